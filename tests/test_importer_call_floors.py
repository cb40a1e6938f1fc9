"""What an import costs in calls (issue 11's floors), through the public API.

A new buyer's order with one line item, billing = delivery and one online payment
costs a warm importer at most 6 plentymarkets writes and 3 reads, with no payment
look-up unless an answer was lost; a run with nothing to do costs one Allegro call
and no plentymarkets call. ``benchmarks/import.py`` prints the whole call tables.
"""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from allegro_plenty import ImportResult
from allegro_plenty.importer import order as order_steps
from allegro_plenty.testing import FakePlenty, Fault

from .importer_support import MODES, World

MAX_WRITES, MAX_READS = 6, 3


@pytest.fixture
def world() -> World:
    return World()


def plenty_calls(plenty: FakePlenty) -> tuple[list[str], list[str]]:
    """The writes and the reads that reached plenty since the calls were cleared (no login)."""
    routes = [c.route or "?" for c in plenty.calls() if c.route != "POST /rest/login"]
    writes = [r for r in routes if not r.startswith("GET ")]
    return writes, [r for r in routes if r.startswith("GET ")]


def payment_lookups(plenty: FakePlenty) -> int:
    return sum(1 for c in plenty.calls() if (c.route or "").startswith("GET /rest/payments"))


@attrs.frozen
class Costs:
    """What a cold run, a warm run with one new simple order and an idle run cost."""

    cold: ImportResult
    cold_lookups: int
    warm: ImportResult
    writes: list[str]
    reads: list[str]
    warm_lookups: int
    idle: ImportResult
    idle_allegro: list[str]
    idle_plenty: list[str]


def measure(world: World, mode: str) -> tuple[Costs, str]:
    """Import one new buyer's simple order cold, another warm, then run idle; the calls."""
    world.add(seed=1, items=1)
    with world.importer(mode) as importer:
        cold = importer.run()  # referrers, reference data, the first sweep
        cold_lookups = payment_lookups(world.plenty)
        world.clock.advance(60)
        world.allegro.clear_calls()
        world.plenty.clear_calls()
        form_id = world.add(seed=2, items=1)  # a new buyer, billing = delivery
        warm = importer.run()
        writes, reads = plenty_calls(world.plenty)
        warm_lookups = payment_lookups(world.plenty)
        world.clock.advance(60)
        world.allegro.clear_calls()
        world.plenty.clear_calls()
        idle = importer.run()
    idle_allegro = [c.route or "?" for c in world.allegro.calls()]
    idle_plenty = [c.route or "?" for c in world.plenty.calls()]
    costs = Costs(
        cold, cold_lookups, warm, writes, reads, warm_lookups, idle, idle_allegro, idle_plenty
    )
    return costs, form_id


@pytest.mark.parametrize("mode", MODES)
def test_a_warm_import_of_a_simple_order_and_an_idle_run_stay_within_the_floors(
    world: World, mode: str
) -> None:
    costs, form_id = measure(world, mode)
    assert costs.cold.counts["created"] == costs.warm.counts["created"] == 1
    assert [e.checkout_form_id for e in costs.warm.entries] == [form_id]
    assert len(costs.writes) <= MAX_WRITES, costs.writes
    assert len(costs.reads) <= MAX_READS, costs.reads
    assert costs.cold_lookups == costs.warm_lookups == 0  # a fresh order has no payment yet
    assert sum(costs.idle.counts.values()) == 0
    assert costs.idle_allegro == ["GET /order/events"]
    assert costs.idle_plenty == []


def test_the_floors_catch_an_importer_that_looks_payments_up_on_every_order(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Negative control: the same harness against an importer that always resumes payments."""
    always_resuming = order_steps.pay

    def pay(*args: Any, resuming: bool) -> Any:
        return always_resuming(*args, resuming=True)

    monkeypatch.setattr(order_steps, "pay", pay)
    costs, _ = measure(world, "sync")
    assert costs.warm.counts["created"] == 1
    assert costs.cold_lookups == costs.warm_lookups == 1
    assert len(costs.reads) > MAX_READS, costs.reads


@pytest.mark.parametrize("mode", MODES)
def test_the_payment_is_looked_up_only_when_its_answer_was_lost(world: World, mode: str) -> None:
    world.add(seed=3, items=1)
    with world.importer(mode) as importer:
        importer.run()
        world.plenty.clear_calls()
        form_id = world.add(seed=4, items=1)
        world.plenty.faults.inject(Fault.response_lost(), route="POST /rest/payments")
        resumed = importer.run()
    assert resumed.counts["created"] == 1
    assert payment_lookups(world.plenty) == 1
    assert world.plenty.call_count("POST /rest/payments") == 1  # never sent twice
    form = world.allegro.checkout_form(form_id)
    assert len(world.plenty.payments_with_transaction_id(form["payment"]["id"])) == 1
