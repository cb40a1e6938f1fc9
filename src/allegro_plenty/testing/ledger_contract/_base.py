"""What every case of the ledger contract shares: its constants, fixtures and checks."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import ClassVar, cast

import pytest

from ...ledger import ExecutionStart, ExecutionState, FormVersion, ImportLedger
from .._clock import FakeClock
from .._ledger_race import AsyncBridge, AsyncLedgerFactory, LedgerFactory, Opener, async_over

ACCOUNT = "contract-seller"
OTHER_ACCOUNT = "contract-seller-2"
LONG = 3600.0  # a lease no test outlives
V1 = FormVersion("rev-1", datetime(2024, 5, 1, 10, 0, tzinfo=timezone.utc), "NEW")
PROCEDURE = "contract.status"
PENDING, DONE, SKIPPED, FAILED = (
    ExecutionState.PENDING,
    ExecutionState.DONE,
    ExecutionState.SKIPPED,
    ExecutionState.FAILED,
)


def _begin(
    ledger: ImportLedger,
    owner: str,
    subject: str = "PROCESSING",
    *,
    account: str = ACCOUNT,
    procedure: str = PROCEDURE,
    order: int = 501,
    lease: float = 60,
) -> ExecutionStart:
    return ledger.begin_execution(account, procedure, order, subject, owner, lease=lease)


class _ContractBase:
    """The fixtures every case uses (documented on :class:`LedgerContract`)."""

    processes: ClassVar[bool] = False

    # --- fixtures a subclass provides or may override -----------------------------------

    @pytest.fixture
    def make_ledger(self) -> LedgerFactory:
        """Override: a factory ``make_ledger(clock=...)`` opening a handle on a fresh store.

        When :attr:`processes` is true it must be picklable, and every call in
        one test must reach the same store (the racing processes open it).
        """
        pytest.fail("a LedgerContract subclass must provide the make_ledger fixture")

    @pytest.fixture
    def make_async_ledger(self, make_ledger: LedgerFactory) -> AsyncLedgerFactory:
        """Override for a native async ledger; by default :class:`AsyncLedger` over the sync one."""
        return functools.partial(async_over, make_ledger)

    @pytest.fixture
    def legacy_ledger(self) -> ImportLedger:
        """Override: a ledger opened on a store written at an older schema version that
        holds the records of :func:`write_legacy_records`, not yet migrated."""
        pytest.skip("this ledger has no older schema to migrate from")

    # --- fixtures of the suite --------------------------------------------------------

    @pytest.fixture
    def clock(self) -> FakeClock:
        """The ledger's clock in the single-process cases: it moves only when told to."""
        return FakeClock()

    @pytest.fixture(params=["sync", "async"])
    def flavour(self, request: pytest.FixtureRequest) -> str:
        """Each case runs against the sync ledger and against the async one."""
        return cast(str, request.param)

    @pytest.fixture
    def ledger(
        self,
        flavour: str,
        make_ledger: LedgerFactory,
        make_async_ledger: AsyncLedgerFactory,
        clock: FakeClock,
    ) -> Iterator[ImportLedger]:
        """The ledger under test, migrated; async ones behind a sync face."""
        if flavour == "sync":
            ledger = make_ledger(clock=clock.time)
        else:
            ledger = cast(ImportLedger, AsyncBridge(make_async_ledger(clock=clock.time)))
        try:
            ledger.migrate()
            yield ledger
        finally:
            ledger.close()

    @pytest.fixture
    def opener(
        self, flavour: str, make_ledger: LedgerFactory, make_async_ledger: AsyncLedgerFactory
    ) -> Callable[[], ImportLedger]:
        """Opens the store from another process, on the real clock."""
        if not self.processes:
            pytest.skip("this ledger cannot be shared between processes")
        return Opener(flavour, make_ledger, make_async_ledger)


def _assert_no_errors(errors: list[str]) -> None:
    assert errors == [], "racers raised:\n" + "\n".join(errors)


def _assert_one_binding_won(results: list[tuple[str, int]], racers: int) -> None:
    assert len(results) == racers
    won = [order for outcome, order in results if outcome == "bound"]
    assert len(won) == 1, results
    assert all(order == won[0] for _, order in results), results
