"""Negative controls: the contract's cases fail against ledgers missing one safeguard.

Each test runs a case of the contract suite, unchanged, against a broken ledger
from ``ledger_broken`` and asserts that the case fails. A case that passed here
would prove nothing about the real ledgers.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import pytest

from allegro_plenty.ledger import ImportLedger, SqliteLedger
from allegro_plenty.testing import FakeClock
from allegro_plenty.testing._ledger_race import Opener, async_over

from . import test_ledger_contract
from .ledger_broken import (
    BindWithoutUniqueness,
    ClaimWithoutCompareAndSet,
    CursorWithoutVersionCheck,
    DecisionsIgnoringTheFingerprint,
    ExecutionsReadThenWritten,
    RenewWithoutOwnerCheck,
)

# Reached through the module, so that pytest does not collect the suite here again.
CONTRACT = test_ledger_contract.TestSqliteLedger()
RACE_BROKEN = r"at once|within its lease|taken while held"
EXECUTION_RACE_BROKEN = r"ran \d+ times|within its lease|could not finish"


def _open(kind: type[SqliteLedger], tmp_path: Path, clock: FakeClock) -> ImportLedger:
    ledger = kind(tmp_path / "broken.db", clock=clock.time)
    ledger.migrate()
    return ledger


def test_the_claim_race_among_threads_catches_a_claim_without_compare_and_set(
    tmp_path: Path,
) -> None:
    ledger = _open(ClaimWithoutCompareAndSet, tmp_path, FakeClock())
    with pytest.raises(AssertionError, match=RACE_BROKEN):
        CONTRACT.test_claims_are_exclusive_among_threads(ledger)


@pytest.mark.slow
def test_the_claim_race_among_processes_catches_a_claim_without_compare_and_set(
    tmp_path: Path,
) -> None:
    make = functools.partial(ClaimWithoutCompareAndSet, tmp_path / "broken.db")
    opener: Callable[[], ImportLedger] = Opener("sync", make, functools.partial(async_over, make))
    ledger = _open(ClaimWithoutCompareAndSet, tmp_path, FakeClock())
    with pytest.raises(AssertionError, match=RACE_BROKEN):
        CONTRACT.test_claims_are_exclusive_among_processes(opener, ledger)


def test_the_takeover_case_catches_a_renewal_without_an_owner_check(tmp_path: Path) -> None:
    clock = FakeClock()
    ledger = _open(RenewWithoutOwnerCheck, tmp_path, clock)
    with pytest.raises(pytest.fail.Exception, match="DID NOT RAISE"):
        CONTRACT.test_renewal_is_refused_after_a_takeover(ledger, clock)


def test_the_binding_race_catches_a_bind_that_overwrites(tmp_path: Path) -> None:
    ledger = _open(BindWithoutUniqueness, tmp_path, FakeClock())
    with pytest.raises(AssertionError):
        CONTRACT.test_one_binding_wins_a_race_among_threads(ledger, "order")


def test_the_cursor_race_catches_a_save_without_a_version_check(tmp_path: Path) -> None:
    ledger = _open(CursorWithoutVersionCheck, tmp_path, FakeClock())
    with pytest.raises(AssertionError, match="'n'"):
        CONTRACT.test_cursor_saves_racing_in_threads_lose_nothing(ledger)


def test_the_decision_case_catches_a_ledger_ignoring_the_fingerprint(tmp_path: Path) -> None:
    ledger = _open(DecisionsIgnoringTheFingerprint, tmp_path, FakeClock())
    with pytest.raises(AssertionError):
        CONTRACT.test_decisions_are_reopened_by_a_changed_form_or_fingerprint(ledger)


def test_the_execution_race_catches_executions_read_then_written(tmp_path: Path) -> None:
    ledger = _open(ExecutionsReadThenWritten, tmp_path, FakeClock())
    with pytest.raises(AssertionError, match=EXECUTION_RACE_BROKEN):
        CONTRACT.test_each_execution_runs_once_among_threads(ledger)
