"""Concurrency: 4 importer threads in each of 2 processes, released by one barrier, race
for the same 8 forms over one SQLite ledger while every order create takes 50 to 200 ms:
exactly one order per form, and the races the claims decided are on record (see
``race_harness.py``)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from .loopback_workers import SELLER, in_spawned_host
from .race_harness import Race, run_race

pytestmark = pytest.mark.slow

REFERRERS = ["Allegro", f"Allegro {SELLER}"]


def race(tmp_path: Path, **options: Any) -> dict[str, Any]:
    outcome: dict[str, Any] = in_spawned_host(run_race, Race(**options), str(tmp_path))
    assert outcome["errors"] == []
    assert len(outcome["results"]) == 8
    assert all("error" not in r and r["stops"] == [] for r in outcome["results"]), outcome
    return outcome


def counts(orders: dict[str, list[int]]) -> dict[str, int]:
    return {form_id: len(found) for form_id, found in orders.items()}


def test_racing_workers_create_each_order_once_and_the_ledger_shows_the_lost_races(
    tmp_path: Path,
) -> None:
    outcome = race(tmp_path)
    orders = outcome["raced"]["orders"]
    assert counts(orders) == dict.fromkeys(orders, 1)
    results = outcome["results"]
    assert sum(r["counts"]["created"] for r in results) == 8
    lost = sum(r["claims_lost"] for r in results)
    assert lost >= 8, "the workers hardly raced"
    assert sum(r["counts"]["deferred"] for r in results) == lost
    # A lost race is a deferral in the ledger (the form is looked at again once the
    # winner's lease could have run out) until the winner finishes and clears it; one
    # that came later is cleared by the next run, which finds the form done.
    assert set(outcome["deferred"]) <= set(orders)
    assert outcome["finished"] == outcome["raced"]
    assert outcome["bound"] == {form_id: found[0] for form_id, found in orders.items()}
    assert outcome["failures"] == []


def test_racing_from_a_cold_start_makes_one_referrer_of_each_and_no_second_order(
    tmp_path: Path,
) -> None:
    """No referrer yet: the workers race to create them as well. Those that lose that
    race try their forms again on a later run; nothing is made twice."""
    outcome = race(tmp_path, cold=True, seed=4)
    assert outcome["raced"]["referrers"] == REFERRERS
    assert max(counts(outcome["raced"]["orders"]).values()) == 1
    assert sum(r["claims_lost"] for r in outcome["results"]) > 0
    finished = outcome["finished"]
    assert finished["referrers"] == REFERRERS
    assert counts(finished["orders"]) == dict.fromkeys(finished["orders"], 1)
    assert outcome["bound"] == {f: found[0] for f, found in finished["orders"].items()}
    assert outcome["failures"] == []


def test_negative_control_without_the_claim_racing_workers_duplicate(tmp_path: Path) -> None:
    outcome = race(tmp_path, claims_always_granted=True)
    doubled = Counter(counts(outcome["raced"]["orders"]).values())
    assert set(doubled) - {1}, outcome["raced"]["orders"]
    assert sum(r["claims_lost"] for r in outcome["results"]) == 0
