"""The issue's bar: 8 processes x 4 threads claiming 1,000 keys on one SQLite file."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from allegro_plenty.ledger import SqliteLedger
from allegro_plenty.testing._ledger_race import claim_every_key, claim_violations, race


@pytest.mark.slow
def test_each_key_has_one_owner_at_a_time_and_database_is_locked_never_escapes(
    tmp_path: Path,
) -> None:
    """Every worker walks the same 1,000 keys in the same order, claiming, renewing,
    confirming and releasing each it wins, so keys change hands thousands of times
    under constant write-lock contention.

    ``synchronous=NORMAL`` keeps the run short on slow disks; it changes when a
    commit reaches the disk, not how writers lock each other out. The negative
    controls are ``test_without_the_busy_retry_database_is_locked_escapes`` and
    ``test_the_claim_race_among_processes_catches_a_claim_without_compare_and_set``.
    """
    opener = functools.partial(SqliteLedger, tmp_path / "ledger.db", synchronous="NORMAL")
    opener().migrate()
    keys = [f"form-{n}" for n in range(1000)]
    work = functools.partial(claim_every_key, account="stress", keys=keys, lease=3600)

    outcome = race(work, threads=4, processes=8, opener=opener)

    assert outcome.errors == []
    holds = [hold for holds in outcome.results for hold in holds]
    assert len(outcome.results) == 32
    assert claim_violations(holds, keys) == []
    assert len(holds) >= len(keys)
