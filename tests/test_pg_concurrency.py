"""Concurrency on PostgreSQL: 8 worker processes import and run a procedure for the same two
accounts against one PostgreSQL ledger and one pair of fakes on loopback (see
``pg_race_harness.py``): every order imported once, every status written to Allegro once,
although a quarter of the workers' clocks run five minutes ahead and a quarter behind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .loopback_workers import in_spawned_host
from .pg_race_harness import PgRace, run_pg_race

pytestmark = pytest.mark.slow


def race(postgres: Any, schema: str, tmp_path: Path, **options: Any) -> dict[str, Any]:
    outcome: dict[str, Any] = in_spawned_host(
        run_pg_race, PgRace(postgres.dsn, schema, **options), str(tmp_path)
    )
    assert outcome["errors"] == []
    assert len(outcome["results"]) == 8
    return outcome


def test_eight_processes_import_and_dispatch_each_order_once(
    postgres: Any, pg_schema: str, tmp_path: Path
) -> None:
    outcome = race(postgres, pg_schema, tmp_path)
    found, results = outcome["found"], outcome["results"]
    assert all(r["stops"] == [] for r in results), results
    assert len(found) == 12
    assert {f: len(seen["orders"]) for f, seen in found.items()} == dict.fromkeys(found, 1)
    assert outcome["bound"] == {f: seen["orders"][0] for f, seen in found.items()}
    assert sum(r["created"] for r in results) == 12
    assert sum(r["claims_lost"] for r in results) >= 12, "the workers hardly raced"
    assert {f: seen["puts"] for f, seen in found.items()} == dict.fromkeys(found, 1)
    assert {f: seen["status"] for f, seen in found.items()} == dict.fromkeys(found, "PROCESSING")
    assert outcome["executions"] == {key: ["done"] for key in found}
    # Every worker dispatched every order; one ran it, the others found it held or done.
    assert sum(r["statuses"].count("done") for r in results) == 12


def test_negative_control_with_the_claims_disabled_the_workers_duplicate(
    postgres: Any, pg_schema: str, tmp_path: Path
) -> None:
    found = race(postgres, pg_schema, tmp_path, claims_disabled=True)["found"]
    assert max(len(seen["orders"]) for seen in found.values()) > 1, found
    assert max(seen["puts"] for seen in found.values()) > 1, found


def test_negative_control_with_leases_on_the_workers_clocks_skewed_workers_duplicate(
    postgres: Any, pg_schema: str, tmp_path: Path
) -> None:
    """The same race with each ledger counting leases on its worker's skewed clock: a worker
    five minutes ahead finds live claims run out and takes them over, and work is done
    twice."""
    found = race(postgres, pg_schema, tmp_path, leases_on_worker_clocks=True)["found"]
    doubled = [f for f, seen in found.items() if len(seen["orders"]) > 1 or seen["puts"] > 1]
    assert doubled, found
