"""Crash safety: an importer worker killed with SIGKILL at any write point, then a fresh run,
leaves exactly one order (one payment per paid part, one comment of each kind, no second
contact) per eligible form; see ``crash_harness.py`` for how a trial runs.

The trials run four at a time in processes forked from one prepared host, so all 200 of
them run in CI.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from allegro_plenty.ledger import MemoryLedger

from .crash_harness import Ledgers, Plan, phases_of, problems, run_all
from .importer_support import World
from .loopback_workers import in_spawned_host

TRIALS = 200
PG_TRIALS = 40
"""Fewer with PostgreSQL (the 200 run with SQLite): the ledger is the only difference."""

COMMITTED_UNBOUND = {("POST /rest/orders", "unread"), ("POST /rest/orders", "after"),
                     ("ledger.bind", "before")}  # fmt: skip
"""Kills that leave an order in plentymarkets that the ledger does not know."""


def trials(plan: Plan, root: Path) -> list[dict[str, Any]]:
    # Bounded generously: 200 trials take about 30 s on a quiet 2-core machine, several
    # times that on one loaded by parallel jobs.
    reports: list[dict[str, Any]] = in_spawned_host(run_all, plan, str(root), timeout=540)
    assert [r["trial"] for r in reports] == list(range(plan.trials))
    return reports


def check(reports: list[dict[str, Any]]) -> Counter[tuple[str, str]]:
    """Every trial killed its worker and ended with exactly one order per form; returns how
    often each (write point, phase) was hit."""
    found = list(problems(reports))
    assert not found, f"{len(found)} problems:\n" + "\n".join(found[:40])
    not_killed = [r["kill"] for r in reports if r["worker1"] != -9]
    assert not not_killed, f"worker 1 was not killed at {not_killed}"
    return Counter((r["killed_at"][1], r["killed_at"][2]) for r in reports)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_worker_killed_at_any_write_point_leaves_exactly_one_order_per_form(
    tmp_path: Path,
) -> None:
    hit = check(trials(Plan(trials=TRIALS), tmp_path))
    labels = {label for label, _ in hit}
    assert {
        "POST /rest/orders", "POST /rest/payments", "POST /rest/payment/{id}/order/{id}",
        "POST /rest/comments", "POST /rest/accounts/contacts",
        "POST /rest/accounts/contacts/{id}/addresses", "POST /rest/orders/referrers",
        "POST /rest/orders/referrers/{id}", "ledger.claim", "ledger.bind",
        "ledger.save_cursor:events:first", "ledger.save_cursor:sweep:first", "ledger.decide",
    } <= labels, labels  # fmt: skip
    missed = [
        (label, phase) for label in labels for phase in phases_of(label) if not hit[label, phase]
    ]
    assert not missed, f"never killed at {missed}"


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_negative_control_without_the_look_up_the_fresh_run_duplicates(tmp_path: Path) -> None:
    """The same trials with the importer's look-up of the external id broken in the
    workers, killed between plentymarkets committing the order and its binding: the
    fresh run creates the order again, and the harness reports it."""
    focus = ("POST /rest/orders@unread", "POST /rest/orders@after", "ledger.bind@before")
    reports = trials(Plan(trials=12, seed=12, break_lookup=True, focus=focus), tmp_path)
    assert {(r["killed_at"][1], r["killed_at"][2]) for r in reports} == COMMITTED_UNBOUND
    for r in reports:
        assert r["worker1"] == -9
        assert any(": orders [" in what for what in r["duplicates"]), r


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_the_same_with_the_postgresql_ledger(postgres: Any, pg_schema: str, tmp_path: Path) -> None:
    """The ledger is all that differs from the SQLite trials: every ledger write point is
    hit in each phase, and the order create, which it brackets."""
    ledgers = Ledgers("postgres", postgres.dsn, prefix=pg_schema)
    focus = ("ledger.*", "POST /rest/orders")
    hit = check(trials(Plan(trials=PG_TRIALS, seed=13, ledgers=ledgers, focus=focus), tmp_path))
    labels = {label for label, _ in hit}
    assert {"POST /rest/orders", "ledger.bind", "ledger.save_cursor:events:first"} <= labels
    missed = [
        (label, phase) for label in labels for phase in phases_of(label) if not hit[label, phase]
    ]
    assert not missed, f"never killed at {missed}"


class Died(BaseException):
    """The worker's process ends here (a plan never catches a ``BaseException``)."""


class DiesAfterSaves(MemoryLedger):
    """A ledger whose worker dies once it stored ``saves`` cursors."""

    def __init__(self, saves: int, **options: Any) -> None:
        super().__init__(**options)
        self.saves = saves

    def save_cursor(self, *args: Any, **kwargs: Any) -> Any:
        saved = super().save_cursor(*args, **kwargs)
        self.saves -= 1
        if self.saves == 0:
            raise Died
        return saved


@pytest.mark.parametrize("saves", [1, 2])
def test_a_first_run_that_dies_between_its_two_cursors_loses_no_form(saves: int) -> None:
    """The first run stores the sweep's cursor (whose backfill covers the forms already
    there), then the events cursor (from now on). Dying after either, the next run still
    imports every form. (Found by the crash trials: events first lost the backfill.)"""
    world = World()
    world.ledger = DiesAfterSaves(saves, clock=world.clock.time)
    forms = [world.add(seed=s) for s in (1, 2)]
    with world.importer() as importer, pytest.raises(Died):
        importer.run()
    world.clock.advance(1)
    with world.importer() as importer:
        result = importer.run()
    assert {e.checkout_form_id for e in result.entries} == set(forms)
    assert all(len(world.orders(form_id)) == 1 for form_id in forms)
