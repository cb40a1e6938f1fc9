"""The ledger contract suite: what every import ledger must do, as pytest tests.

Subclass :class:`LedgerContract` in a test module and give it a ``make_ledger``
fixture; pytest then runs every case against your ledger, sync and async (the
async cases drive :class:`~allegro_plenty.ledger.AsyncLedger` over it, or your
own async ledger if you override ``make_async_ledger``)::

    import functools
    import pytest
    from allegro_plenty.testing.ledger_contract import LedgerContract

    class TestMyLedger(LedgerContract):
        processes = True  # separate processes can open one store

        @pytest.fixture
        def make_ledger(self, tmp_path):
            return functools.partial(MyLedger, tmp_path / "ledger.db")

This module imports pytest; the rest of the library never imports it.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from decimal import Decimal
from typing import ClassVar, cast

import pytest

from ..errors import (
    BindingConflictError,
    ClaimLostError,
    CursorConflictError,
    LedgerInputError,
    NotInLedgerError,
)
from ..ledger import (
    JSON,
    BindingOrigin,
    ExecutionBlock,
    ExecutionStart,
    ExecutionState,
    FormVersion,
    ImportLedger,
)
from ._clock import FakeClock
from ._ledger_race import (
    AsyncBridge,
    AsyncLedgerFactory,
    LedgerFactory,
    Opener,
    async_over,
    bind_one_form,
    claim_every_key,
    claim_violations,
    count_up_cursor,
    execution_violations,
    race,
    run_every_execution,
    slow_callbacks,
)

__all__ = [
    "LEGACY_ACCOUNT",
    "LedgerContract",
    "check_legacy_records",
    "write_legacy_records",
]


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


class LedgerContract:
    """The cases every ledger must pass. Subclass it and provide ``make_ledger``.

    Attributes:
        processes: Whether separate processes can open one store (``False``
            skips the cases that race processes).
    """

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

    # --- claims -----------------------------------------------------------------------

    def test_a_claimed_key_is_refused_to_others(self, ledger: ImportLedger) -> None:
        first = ledger.claim(ACCOUNT, "form-1", "worker-a", lease=60)
        assert first is not None
        assert (first.account, first.key, first.owner) == (ACCOUNT, "form-1", "worker-a")
        assert ledger.claim(ACCOUNT, "form-1", "worker-b", lease=60) is None
        # Claims are per account and per key.
        assert ledger.claim(OTHER_ACCOUNT, "form-1", "worker-b", lease=60) is not None
        assert ledger.claim(ACCOUNT, "form-2", "worker-b", lease=60) is not None

    def test_the_holder_claiming_again_renews_and_keeps_the_epoch(
        self, ledger: ImportLedger, clock: FakeClock
    ) -> None:
        first = ledger.claim(ACCOUNT, "form-1", "worker-a", lease=60)
        clock.advance(30)
        again = ledger.claim(ACCOUNT, "form-1", "worker-a", lease=60)
        assert first is not None
        assert again is not None
        assert again.epoch == first.epoch
        assert again.lease_until == pytest.approx(first.lease_until + 30)
        ledger.confirm(first)

    def test_claims_are_exclusive_among_threads(self, ledger: ImportLedger) -> None:
        keys = [f"form-{n}" for n in range(40)]
        work = functools.partial(claim_every_key, account=ACCOUNT, keys=keys, lease=LONG)
        outcome = race(work, threads=8, ledger=ledger)
        _assert_no_errors(outcome.errors)
        holds = [hold for holds in outcome.results for hold in holds]
        violations = claim_violations(holds, keys)
        assert violations == [], "\n".join(violations)

    def test_claims_are_exclusive_among_processes(
        self, opener: Callable[[], ImportLedger], ledger: ImportLedger
    ) -> None:
        keys = [f"form-{n}" for n in range(30)]
        work = functools.partial(claim_every_key, account=ACCOUNT, keys=keys, lease=LONG)
        outcome = race(work, threads=2, processes=2, opener=opener)
        _assert_no_errors(outcome.errors)
        holds = [hold for holds in outcome.results for hold in holds]
        violations = claim_violations(holds, keys)
        assert violations == [], "\n".join(violations)

    def test_a_lease_is_taken_over_after_it_runs_out(
        self, ledger: ImportLedger, clock: FakeClock
    ) -> None:
        crashed = ledger.claim(ACCOUNT, "form-1", "crashed-worker", lease=30)
        assert crashed is not None
        clock.advance(29.9)
        assert ledger.claim(ACCOUNT, "form-1", "worker-b", lease=30) is None
        clock.advance(0.2)
        taken = ledger.claim(ACCOUNT, "form-1", "worker-b", lease=30)
        assert taken is not None
        assert taken.owner == "worker-b"
        assert taken.epoch > crashed.epoch
        ledger.confirm(taken)

    def test_renewal_is_refused_after_a_takeover(
        self, ledger: ImportLedger, clock: FakeClock
    ) -> None:
        slow = ledger.claim(ACCOUNT, "form-1", "slow-worker", lease=30)
        assert slow is not None
        clock.advance(31)
        taken = ledger.claim(ACCOUNT, "form-1", "worker-b", lease=30)
        assert taken is not None
        with pytest.raises(ClaimLostError) as lost:
            ledger.renew(slow, lease=30)
        assert (lost.value.key, lost.value.owner) == ("form-1", "slow-worker")
        with pytest.raises(ClaimLostError):
            ledger.confirm(slow)
        assert ledger.release_claim(slow) is False
        # The slow worker's attempts changed nothing for the new holder.
        ledger.confirm(taken)
        assert ledger.claim(ACCOUNT, "form-1", "slow-worker", lease=30) is None

    def test_a_stale_handle_stays_stale_after_its_owner_claims_again(
        self, ledger: ImportLedger
    ) -> None:
        old = ledger.claim(ACCOUNT, "form-1", "worker-a", lease=60)
        assert old is not None
        assert ledger.release_claim(old) is True
        new = ledger.claim(ACCOUNT, "form-1", "worker-a", lease=60)
        assert new is not None
        assert new.epoch > old.epoch
        with pytest.raises(ClaimLostError):
            ledger.confirm(old)
        ledger.confirm(new)

    def test_renewal_extends_the_lease(self, ledger: ImportLedger, clock: FakeClock) -> None:
        claim = ledger.claim(ACCOUNT, "form-1", "worker-a", lease=30)
        assert claim is not None
        clock.advance(20)
        renewed = ledger.renew(claim, lease=30)
        assert renewed.epoch == claim.epoch
        clock.advance(20)  # 40 s after the claim, 20 s after the renewal
        ledger.confirm(renewed)
        assert ledger.claim(ACCOUNT, "form-1", "worker-b", lease=30) is None

    def test_an_expired_lease_is_not_confirmed_even_before_a_takeover(
        self, ledger: ImportLedger, clock: FakeClock
    ) -> None:
        claim = ledger.claim(ACCOUNT, "form-1", "worker-a", lease=30)
        assert claim is not None
        clock.advance(30)
        with pytest.raises(ClaimLostError):
            ledger.confirm(claim)
        # Nobody took it, so renewing is safe and makes it confirmable again.
        ledger.confirm(ledger.renew(claim, lease=30))

    # --- bindings ---------------------------------------------------------------------

    def test_bindings_are_indexed_both_ways_and_per_account(self, ledger: ImportLedger) -> None:
        bound = ledger.bind(ACCOUNT, "form-1", 501, origin=BindingOrigin.CREATED, revision="r1")
        assert (bound.account, bound.form_id, bound.plenty_order_id) == (ACCOUNT, "form-1", 501)
        assert (bound.origin, bound.revision) == (BindingOrigin.CREATED, "r1")
        assert ledger.binding(ACCOUNT, "form-1") == bound
        assert ledger.binding_for_order(501) == bound
        assert ledger.binding(OTHER_ACCOUNT, "form-1") is None
        assert ledger.binding_for_order(502) is None
        other = ledger.bind(OTHER_ACCOUNT, "form-1", 502, origin=BindingOrigin.ADOPTED)
        assert ledger.binding_for_order(502) == other
        assert ledger.binding(ACCOUNT, "form-1") == bound

    def test_binding_again_to_the_same_order_changes_nothing(self, ledger: ImportLedger) -> None:
        bound = ledger.bind(ACCOUNT, "form-1", 501, origin=BindingOrigin.CREATED, revision="r1")
        again = ledger.bind(ACCOUNT, "form-1", 501, origin=BindingOrigin.ADOPTED, revision="r2")
        assert again == bound

    def test_a_form_or_an_order_bound_elsewhere_is_a_conflict(self, ledger: ImportLedger) -> None:
        bound = ledger.bind(ACCOUNT, "form-1", 501, origin=BindingOrigin.CREATED)
        with pytest.raises(BindingConflictError) as form_taken:
            ledger.bind(ACCOUNT, "form-1", 502, origin=BindingOrigin.CREATED)
        assert form_taken.value.existing == bound
        with pytest.raises(BindingConflictError) as order_taken:
            ledger.bind(OTHER_ACCOUNT, "form-2", 501, origin=BindingOrigin.CREATED)
        assert order_taken.value.existing == bound
        assert ledger.binding_for_order(502) is None
        assert ledger.binding(OTHER_ACCOUNT, "form-2") is None

    @pytest.mark.parametrize("racers_vary", ["order", "form"])
    def test_one_binding_wins_a_race_among_threads(
        self, ledger: ImportLedger, racers_vary: str
    ) -> None:
        work = functools.partial(
            bind_one_form,
            account=ACCOUNT,
            form_id=None if racers_vary == "form" else "form-1",
            order_id=None if racers_vary == "order" else 501,
        )
        outcome = race(work, threads=8, ledger=ledger)
        _assert_no_errors(outcome.errors)
        _assert_one_binding_won(outcome.results, 8)

    def test_one_binding_wins_a_race_among_processes(
        self, opener: Callable[[], ImportLedger], ledger: ImportLedger
    ) -> None:
        work = functools.partial(bind_one_form, account=ACCOUNT, form_id="form-1", order_id=None)
        outcome = race(work, threads=2, processes=2, opener=opener)
        _assert_no_errors(outcome.errors)
        _assert_one_binding_won(outcome.results, 4)
        winner = ledger.binding(ACCOUNT, "form-1")
        assert winner is not None
        assert all(order == winner.plenty_order_id for _, order in outcome.results)

    def test_update_binding_adds_paid_parts_steps_and_revision(self, ledger: ImportLedger) -> None:
        ledger.bind(ACCOUNT, "form-1", 501, origin=BindingOrigin.CREATED, revision="r1")
        ledger.update_binding(ACCOUNT, "form-1", paid_parts=["payment-1"], steps_done=["payment"])
        updated = ledger.update_binding(
            ACCOUNT, "form-1", revision="r2", paid_parts=("payment-1", "surcharge-1")
        )
        assert updated.paid_parts == {"payment-1", "surcharge-1"}
        assert updated.steps_done == {"payment"}
        assert updated.revision == "r2"
        assert ledger.binding_for_order(501) == updated
        assert ledger.update_binding(ACCOUNT, "form-1").revision == "r2"
        with pytest.raises(NotInLedgerError):
            ledger.update_binding(ACCOUNT, "form-9", steps_done=["comment"])
        with pytest.raises(LedgerInputError, match="paid_parts"):
            ledger.update_binding(ACCOUNT, "form-1", paid_parts="payment-2")

    # --- decisions --------------------------------------------------------------------

    def test_decisions_are_reopened_by_a_changed_form_or_fingerprint(
        self, ledger: ImportLedger
    ) -> None:
        assert ledger.needs_look(ACCOUNT, "form-1", version=V1, fingerprint="cfg-a")
        decided = ledger.decide(
            ACCOUNT, "form-1", reason="not paid", final=False, version=V1, fingerprint="cfg-a"
        )
        assert ledger.decision(ACCOUNT, "form-1") == decided
        assert (decided.reason, decided.final, decided.version) == ("not paid", False, V1)
        assert not ledger.needs_look(ACCOUNT, "form-1", version=V1, fingerprint="cfg-a")
        assert ledger.needs_look(ACCOUNT, "form-1", version=V1, fingerprint="cfg-b")
        later = datetime(2024, 5, 1, 10, 0, 1, tzinfo=timezone.utc)
        for changed in (
            FormVersion("rev-2", V1.updated_at, V1.fulfillment_status),
            FormVersion(V1.revision, later, V1.fulfillment_status),
            FormVersion(V1.revision, V1.updated_at, "PROCESSING"),
        ):
            assert ledger.needs_look(ACCOUNT, "form-1", version=changed, fingerprint="cfg-a")
        assert ledger.needs_look(OTHER_ACCOUNT, "form-1", version=V1, fingerprint="cfg-a")

    def test_a_final_decision_stands_and_a_new_decision_replaces_the_old(
        self, ledger: ImportLedger
    ) -> None:
        ledger.decide(
            ACCOUNT, "form-1", reason="not paid", final=False, version=V1, fingerprint="a"
        )
        final = ledger.decide(
            ACCOUNT, "form-1", reason="gone", final=True, version=V1, fingerprint="a"
        )
        assert ledger.decision(ACCOUNT, "form-1") == final
        changed = FormVersion("rev-9", None, "SENT")
        assert not ledger.needs_look(ACCOUNT, "form-1", version=changed, fingerprint="b")

    # --- failures and operator actions ------------------------------------------------

    def test_failures_count_attempts_and_come_due_on_the_ledger_clock(
        self, ledger: ImportLedger, clock: FakeClock
    ) -> None:
        first = ledger.record_failure(ACCOUNT, "form-1", "HTTP 503", retry_in=60)
        clock.advance(10)
        second = ledger.record_failure(ACCOUNT, "form-1", "timeout", retry_in=120)
        assert (second.attempts, second.last_error, second.quarantined) == (2, "timeout", False)
        assert second.first_failed_at == first.first_failed_at
        assert second.next_retry_at == pytest.approx(second.last_failed_at + 120)
        ledger.record_failure(ACCOUNT, "form-2", "HTTP 500", retry_in=0)
        ledger.record_failure(OTHER_ACCOUNT, "form-3", "HTTP 500", retry_in=0)
        assert [f.form_id for f in ledger.due_retries(ACCOUNT)] == ["form-2"]
        clock.advance(120)
        assert [f.form_id for f in ledger.due_retries(ACCOUNT)] == ["form-2", "form-1"]
        assert [f.form_id for f in ledger.due_retries(ACCOUNT, limit=1)] == ["form-2"]
        ledger.clear_failure(ACCOUNT, "form-2")
        assert ledger.failure(ACCOUNT, "form-2") is None
        assert ledger.failure(ACCOUNT, "form-1") == second

    def test_quarantined_forms_wait_for_an_operator(
        self, ledger: ImportLedger, clock: FakeClock
    ) -> None:
        ledger.record_failure(ACCOUNT, "form-1", "HTTP 503", retry_in=0)
        held = ledger.quarantine(ACCOUNT, "form-1", "unknown SKU ABC-1")
        assert (held.quarantined, held.quarantine_reason, held.attempts) == (
            True,
            "unknown SKU ABC-1",
            2,
        )
        # A worker recording another failure does not let it out.
        ledger.record_failure(ACCOUNT, "form-1", "HTTP 503", retry_in=0)
        clock.advance(3600)
        assert ledger.due_retries(ACCOUNT) == []
        released = ledger.release_failure(ACCOUNT, "form-1")
        assert (released.quarantined, released.attempts) == (False, 0)
        assert [f.form_id for f in ledger.due_retries(ACCOUNT)] == ["form-1"]
        with pytest.raises(NotInLedgerError):
            ledger.release_failure(ACCOUNT, "form-9")

    def test_operators_list_failed_and_quarantined_forms_with_reasons(
        self, ledger: ImportLedger, clock: FakeClock
    ) -> None:
        ledger.record_failure(ACCOUNT, "form-1", "HTTP 503", retry_in=60)
        clock.advance(1)
        ledger.quarantine(ACCOUNT, "form-2", "DuplicateOrdersFound: orders 7, 8")
        clock.advance(1)
        ledger.quarantine(OTHER_ACCOUNT, "form-3", "ForeignOrderExists: order 9")
        listed = ledger.failures()
        assert [(f.account, f.form_id) for f in listed] == [
            (ACCOUNT, "form-1"),
            (ACCOUNT, "form-2"),
            (OTHER_ACCOUNT, "form-3"),
        ]
        quarantined = ledger.failures(ACCOUNT, quarantined=True)
        assert [(f.form_id, f.quarantine_reason) for f in quarantined] == [
            ("form-2", "DuplicateOrdersFound: orders 7, 8")
        ]
        failed = ledger.failures(ACCOUNT, quarantined=False)
        assert [(f.form_id, f.last_error) for f in failed] == [("form-1", "HTTP 503")]

    def test_marking_a_form_handled_binds_it_and_forgets_its_failure(
        self, ledger: ImportLedger
    ) -> None:
        ledger.quarantine(ACCOUNT, "form-1", "unknown SKU")
        binding = ledger.mark_handled(ACCOUNT, "form-1", 777, note="entered by hand")
        assert (binding.origin, binding.plenty_order_id, binding.note) == (
            BindingOrigin.MANUAL,
            777,
            "entered by hand",
        )
        assert ledger.binding_for_order(777) == binding
        assert ledger.failure(ACCOUNT, "form-1") is None
        ledger.quarantine(ACCOUNT, "form-2", "unknown SKU")
        with pytest.raises(BindingConflictError):
            ledger.mark_handled(ACCOUNT, "form-2", 777)
        assert ledger.failure(ACCOUNT, "form-2") is not None  # nothing changed

    # --- cursors and sweeps -----------------------------------------------------------

    def test_a_cursor_holds_opaque_json_per_account_and_name(self, ledger: ImportLedger) -> None:
        assert ledger.cursor(ACCOUNT, "events") is None
        value: JSON = {"id": "evt-9", "seen": ["a", "b"], "lag": 1.5, "done": False, "note": None}
        saved = ledger.save_cursor(ACCOUNT, "events", value, expected_version=0)
        assert (saved.value, saved.version) == (value, 1)
        assert ledger.cursor(ACCOUNT, "events") == saved
        assert ledger.cursor(ACCOUNT, "sweep") is None
        assert ledger.cursor(OTHER_ACCOUNT, "events") is None
        with pytest.raises(LedgerInputError):
            ledger.save_cursor(ACCOUNT, "events", {"bad": float("nan")}, expected_version=1)
        with pytest.raises(LedgerInputError):
            ledger.save_cursor(ACCOUNT, "events", {"bad": object()}, expected_version=1)  # type: ignore[dict-item]

    def test_a_cursor_save_based_on_an_old_version_is_refused(self, ledger: ImportLedger) -> None:
        ledger.save_cursor(ACCOUNT, "events", {"id": 1}, expected_version=0)
        read_by_a = ledger.cursor(ACCOUNT, "events")
        read_by_b = ledger.cursor(ACCOUNT, "events")
        assert read_by_a is not None
        assert read_by_b is not None
        moved = ledger.save_cursor(ACCOUNT, "events", {"id": 5}, expected_version=read_by_a.version)
        with pytest.raises(CursorConflictError) as stale:
            ledger.save_cursor(ACCOUNT, "events", {"id": 2}, expected_version=read_by_b.version)
        assert (stale.value.expected, stale.value.found) == (1, 2)
        assert ledger.cursor(ACCOUNT, "events") == moved
        with pytest.raises(CursorConflictError):
            ledger.save_cursor(ACCOUNT, "events", {"id": 6}, expected_version=0)

    def test_cursor_saves_racing_in_threads_lose_nothing(self, ledger: ImportLedger) -> None:
        work = functools.partial(count_up_cursor, account=ACCOUNT, name="events", rounds=15)
        outcome = race(work, threads=6, ledger=ledger)
        _assert_no_errors(outcome.errors)
        cursor = ledger.cursor(ACCOUNT, "events")
        assert cursor is not None
        assert (cursor.value, cursor.version) == ({"n": 90}, 90), f"updates were lost: {cursor}"

    def test_a_sweep_is_due_after_its_interval_on_the_ledger_clock(
        self, ledger: ImportLedger, clock: FakeClock
    ) -> None:
        assert ledger.last_sweep(ACCOUNT) is None
        assert ledger.sweep_due(ACCOUNT, interval=900)
        swept = ledger.record_sweep(ACCOUNT)
        assert ledger.last_sweep(ACCOUNT) == swept
        assert swept == pytest.approx(clock.time())
        clock.advance(899)
        assert not ledger.sweep_due(ACCOUNT, interval=900)
        assert ledger.sweep_due(OTHER_ACCOUNT, interval=900)
        clock.advance(1)
        assert ledger.sweep_due(ACCOUNT, interval=900)

    # --- status writes ----------------------------------------------------------------

    def test_each_status_write_explains_exactly_one_later_history_entry(
        self, ledger: ImportLedger
    ) -> None:
        first = ledger.record_status_write(ACCOUNT, 501, Decimal("8"))
        ledger.record_status_write(ACCOUNT, 501, Decimal("8"))
        ledger.record_status_write(ACCOUNT, 501, Decimal("5.1"))
        assert first.status == Decimal("8")
        assert not ledger.consume_status_write(ACCOUNT, 501, Decimal("7"))
        assert not ledger.consume_status_write(ACCOUNT, 502, Decimal("8"))
        assert not ledger.consume_status_write(OTHER_ACCOUNT, 501, Decimal("8"))
        assert ledger.consume_status_write(ACCOUNT, 501, Decimal("8.0"))
        assert ledger.consume_status_write(ACCOUNT, 501, Decimal("8"))
        assert not ledger.consume_status_write(ACCOUNT, 501, Decimal("8"))  # a person's change
        assert ledger.consume_status_write(ACCOUNT, 501, Decimal("5.10"))

    def test_a_status_write_that_did_not_happen_is_forgotten(self, ledger: ImportLedger) -> None:
        write = ledger.record_status_write(ACCOUNT, 501, Decimal("8"))
        assert ledger.forget_status_write(write) is True
        assert ledger.forget_status_write(write) is False
        assert not ledger.consume_status_write(ACCOUNT, 501, Decimal("8"))

    # --- executions of event procedures ---------------------------------------------------

    def test_an_execution_runs_under_one_claim_and_done_is_final(
        self, ledger: ImportLedger
    ) -> None:
        start = _begin(ledger, "worker-a")
        assert start.claim is not None
        assert start.blocked is None
        fresh = start.execution
        assert (fresh.state, fresh.attempts, fresh.data, fresh.quarantined) == (
            PENDING,
            0,
            {},
            False,
        )
        assert (start.claim.procedure, start.claim.subject, start.claim.owner) == (
            PROCEDURE,
            "PROCESSING",
            "worker-a",
        )
        refused = _begin(ledger, "worker-b")
        assert (refused.claim, refused.blocked) == (None, ExecutionBlock.HELD)
        # Executions are per account, procedure, order and subject.
        assert _begin(ledger, "worker-b", "SENT").claim is not None
        assert _begin(ledger, "worker-b", account=OTHER_ACCOUNT).claim is not None
        assert _begin(ledger, "worker-b", procedure="contract.other").claim is not None
        assert _begin(ledger, "worker-b", order=502).claim is not None
        done = ledger.finish_execution(start.claim, DONE, reason="set on Allegro")
        assert (done.state, done.reason, done.final, done.next_retry_at) == (
            DONE,
            "set on Allegro",
            True,
            None,
        )
        assert ledger.execution(ACCOUNT, PROCEDURE, 501, "PROCESSING") == done
        assert ledger.execution(ACCOUNT, PROCEDURE, 501, "READY_FOR_SHIPMENT") is None
        for owner in ("worker-a", "worker-b"):
            again = _begin(ledger, owner)
            assert (again.claim, again.blocked, again.execution) == (
                None,
                ExecutionBlock.FINAL,
                done,
            )
        # The attempt ended with its claim: the old handle changes nothing any more.
        with pytest.raises(ClaimLostError):
            ledger.fail_execution(start.claim, "late", retry_in=0)
        assert ledger.execution(ACCOUNT, PROCEDURE, 501, "PROCESSING") == done
        with pytest.raises(NotInLedgerError, match="final"):
            ledger.release_execution(ACCOUNT, PROCEDURE, 501, "PROCESSING")

    def test_the_holder_beginning_again_renews_and_keeps_the_epoch(
        self, ledger: ImportLedger, clock: FakeClock
    ) -> None:
        first = _begin(ledger, "worker-a")
        clock.advance(30)
        again = _begin(ledger, "worker-a")
        assert first.claim is not None
        assert again.claim is not None
        assert again.claim.epoch == first.claim.epoch
        assert again.claim.lease_until == pytest.approx(first.claim.lease_until + 30)

    def test_a_skip_is_final_needs_its_reason_and_an_operator_may_release_it(
        self, ledger: ImportLedger
    ) -> None:
        start = _begin(ledger, "worker-a")
        assert start.claim is not None
        with pytest.raises(LedgerInputError, match="reason"):
            ledger.finish_execution(start.claim, SKIPPED)
        with pytest.raises(LedgerInputError, match="done or skipped"):
            ledger.finish_execution(start.claim, PENDING, reason="x")
        skipped = ledger.finish_execution(start.claim, SKIPPED, reason="allegro ahead: SENT")
        assert (skipped.state, skipped.reason, skipped.final) == (
            SKIPPED,
            "allegro ahead: SENT",
            True,
        )
        assert _begin(ledger, "worker-b").blocked is ExecutionBlock.FINAL
        released = ledger.release_execution(ACCOUNT, PROCEDURE, 501, "PROCESSING")
        assert (released.state, released.final) == (PENDING, False)
        assert _begin(ledger, "worker-b").claim is not None

    def test_failed_executions_come_due_on_the_ledger_clock_then_wait_in_quarantine(
        self, ledger: ImportLedger, clock: FakeClock
    ) -> None:
        start = _begin(ledger, "worker-a")
        assert start.claim is not None
        failed = ledger.fail_execution(start.claim, "HTTP 503", retry_in=60)
        assert (failed.state, failed.attempts, failed.last_error, failed.quarantined) == (
            FAILED,
            1,
            "HTTP 503",
            False,
        )
        assert failed.next_retry_at == pytest.approx(failed.updated_at + 60)
        assert _begin(ledger, "worker-b").blocked is ExecutionBlock.NOT_DUE
        assert ledger.due_executions(ACCOUNT) == []
        clock.advance(60)
        assert [e.subject for e in ledger.due_executions(ACCOUNT)] == ["PROCESSING"]
        second = _begin(ledger, "worker-b")
        assert second.claim is not None
        assert second.claim.epoch > start.claim.epoch
        held = ledger.fail_execution(second.claim, "422: Failed to set status", retry_in=None)
        assert (held.attempts, held.quarantined, held.next_retry_at) == (2, True, None)
        clock.advance(3600)
        assert ledger.due_executions(ACCOUNT) == []
        assert _begin(ledger, "worker-c").blocked is ExecutionBlock.QUARANTINED
        listed = ledger.executions(ACCOUNT, quarantined=True)
        assert [(e.subject, e.last_error) for e in listed] == [
            ("PROCESSING", "422: Failed to set status")
        ]
        released = ledger.release_execution(ACCOUNT, PROCEDURE, 501, "PROCESSING")
        assert (released.state, released.attempts, released.quarantined) == (PENDING, 0, False)
        assert [e.subject for e in ledger.due_executions(ACCOUNT)] == ["PROCESSING"]
        assert _begin(ledger, "worker-c").claim is not None
        with pytest.raises(NotInLedgerError):
            ledger.release_execution(ACCOUNT, PROCEDURE, 501, "never-begun")

    def test_data_stored_before_a_write_survives_failures_and_takeovers(
        self, ledger: ImportLedger
    ) -> None:
        body: dict[str, JSON] = {
            "commandId": "5b5d9a6e-7a32-5a4b-9a51-0d4f3c2b1a00",
            "lineItems": [{"id": "line-1", "type": "QUANTITY", "quantity": 2}],
            "delivery": {"value": {"amount": "10.50", "currency": "PLN"}},
            "sellerComment": None,
            "final": False,
        }
        start = _begin(ledger, "worker-a", "full", procedure="contract.refund")
        assert start.claim is not None
        claim = ledger.renew_execution(start.claim, lease=60, data={"attempt": 0, "body": body})
        assert claim.epoch == start.claim.epoch
        stored = {"attempt": 0, "body": body}
        assert ledger.execution(ACCOUNT, "contract.refund", 501, "full").data == stored  # type: ignore[union-attr]
        failed = ledger.fail_execution(claim, "timeout after sending", retry_in=0)
        assert failed.data == stored
        again = _begin(ledger, "worker-b", "full", procedure="contract.refund")
        assert again.claim is not None
        assert again.execution.data == stored
        with pytest.raises(LedgerInputError):
            ledger.renew_execution(again.claim, lease=60, data={"amount": float("nan")})
        with pytest.raises(LedgerInputError):
            ledger.renew_execution(again.claim, lease=60, data=["not", "an", "object"])  # type: ignore[arg-type]
        assert ledger.execution(ACCOUNT, "contract.refund", 501, "full").data == stored  # type: ignore[union-attr]
        done = ledger.finish_execution(again.claim, DONE, data={"refund_id": "r-1"})
        assert done.data == {"refund_id": "r-1"}

    def test_a_waiting_execution_counts_no_attempt_and_comes_due_again(
        self, ledger: ImportLedger, clock: FakeClock
    ) -> None:
        start = _begin(ledger, "worker-a", "full")
        assert start.claim is not None
        waiting = ledger.postpone_execution(
            start.claim, "refund r-1 is IN_PROGRESS", retry_in=900, data={"refund_id": "r-1"}
        )
        assert (waiting.state, waiting.attempts, waiting.reason, waiting.final) == (
            PENDING,
            0,
            "refund r-1 is IN_PROGRESS",
            False,
        )
        assert waiting.data == {"refund_id": "r-1"}
        assert _begin(ledger, "worker-b", "full").blocked is ExecutionBlock.NOT_DUE
        clock.advance(900)
        assert [e.subject for e in ledger.due_executions(ACCOUNT)] == ["full"]
        assert _begin(ledger, "worker-b", "full").claim is not None

    def test_a_crashed_workers_execution_comes_due_when_its_lease_runs_out(
        self, ledger: ImportLedger, clock: FakeClock
    ) -> None:
        crashed = _begin(ledger, "crashed-worker", lease=30)
        assert crashed.claim is not None
        assert ledger.due_executions(ACCOUNT) == []
        clock.advance(29.9)
        assert _begin(ledger, "worker-b", lease=30).blocked is ExecutionBlock.HELD
        clock.advance(0.2)
        assert [e.subject for e in ledger.due_executions(ACCOUNT)] == ["PROCESSING"]
        taken = _begin(ledger, "worker-b", lease=30)
        assert taken.claim is not None
        assert taken.claim.epoch > crashed.claim.epoch
        with pytest.raises(ClaimLostError):
            ledger.renew_execution(crashed.claim, lease=30)
        with pytest.raises(ClaimLostError):
            ledger.finish_execution(crashed.claim, DONE)
        with pytest.raises(ClaimLostError):
            ledger.postpone_execution(crashed.claim, "waiting", retry_in=0)
        assert ledger.finish_execution(taken.claim, DONE).state is DONE

    def test_due_executions_and_listings_filter_and_order(
        self, ledger: ImportLedger, clock: FakeClock
    ) -> None:
        for order, subject, retry_in in ((501, "A", 30), (502, "B", 10), (503, "C", 20)):
            start = _begin(ledger, "w", subject, order=order)
            assert start.claim is not None
            ledger.fail_execution(start.claim, "HTTP 503", retry_in=retry_in)
        other = _begin(ledger, "w", account=OTHER_ACCOUNT)
        assert other.claim is not None
        ledger.fail_execution(other.claim, "HTTP 503", retry_in=0)
        finished = _begin(ledger, "w", "D", procedure="contract.tracking")
        assert finished.claim is not None
        ledger.finish_execution(finished.claim, DONE)
        clock.advance(30)
        assert [e.subject for e in ledger.due_executions(ACCOUNT)] == ["B", "C", "A"]
        assert [e.subject for e in ledger.due_executions(ACCOUNT, limit=2)] == ["B", "C"]
        assert [e.subject for e in ledger.due_executions(OTHER_ACCOUNT)] == ["PROCESSING"]
        everything = ledger.executions()
        assert [(e.account, e.procedure, e.subject) for e in everything] == [
            (ACCOUNT, "contract.status", "A"),
            (ACCOUNT, "contract.status", "B"),
            (ACCOUNT, "contract.status", "C"),
            (ACCOUNT, "contract.tracking", "D"),
            (OTHER_ACCOUNT, "contract.status", "PROCESSING"),
        ]
        assert [e.subject for e in ledger.executions(ACCOUNT, state=DONE)] == ["D"]
        assert [e.subject for e in ledger.executions(procedure="contract.tracking")] == ["D"]
        assert [e.subject for e in ledger.executions(ACCOUNT, plenty_order_id=503)] == ["C"]
        assert ledger.executions(OTHER_ACCOUNT, state=FAILED, quarantined=False) == [
            ledger.execution(OTHER_ACCOUNT, PROCEDURE, 501, "PROCESSING")
        ]

    def test_each_execution_runs_once_among_threads(self, ledger: ImportLedger) -> None:
        subjects = [f"WAYBILL{n}" for n in range(30)]
        work = functools.partial(
            run_every_execution,
            account=ACCOUNT,
            procedure="contract.tracking",
            plenty_order_id=501,
            subjects=subjects,
            lease=LONG,
        )
        outcome = race(work, threads=8, ledger=ledger)
        _assert_no_errors(outcome.errors)
        holds = [hold for holds in outcome.results for hold in holds]
        violations = execution_violations(holds, subjects)
        assert violations == [], "\n".join(violations)
        done = ledger.executions(ACCOUNT, procedure="contract.tracking", state=DONE)
        ran_by = {h.key: h.owner for h in holds}
        assert {(e.subject, e.reason, e.data["by"]) for e in done} == {
            (s, ran_by[s], ran_by[s]) for s in subjects
        }

    def test_each_execution_runs_once_among_processes(
        self, opener: Callable[[], ImportLedger], ledger: ImportLedger
    ) -> None:
        subjects = [f"WAYBILL{n}" for n in range(20)]
        work = functools.partial(
            run_every_execution,
            account=ACCOUNT,
            procedure="contract.tracking",
            plenty_order_id=501,
            subjects=subjects,
            lease=LONG,
        )
        outcome = race(work, threads=2, processes=2, opener=opener)
        _assert_no_errors(outcome.errors)
        holds = [hold for holds in outcome.results for hold in holds]
        violations = execution_violations(holds, subjects)
        assert violations == [], "\n".join(violations)
        assert len(ledger.executions(ACCOUNT, state=DONE)) == len(subjects)

    # --- schema ---------------------------------------------------------------------------

    def test_migrate_is_idempotent(self, ledger: ImportLedger) -> None:
        ledger.bind(ACCOUNT, "form-1", 501, origin=BindingOrigin.CREATED)
        version = ledger.migrate()
        assert version >= 1
        assert ledger.migrate() == version
        assert ledger.binding_for_order(501) is not None

    def test_an_older_schema_migrates_keeping_its_records(
        self, legacy_ledger: ImportLedger
    ) -> None:
        try:
            version = legacy_ledger.migrate()
            assert legacy_ledger.migrate() == version
            check_legacy_records(legacy_ledger)
        finally:
            legacy_ledger.close()

    # --- input ------------------------------------------------------------------------

    @pytest.mark.parametrize(
        ("call", "complaint"),
        [
            (lambda led: led.claim("", "form-1", "w", lease=60), "account"),
            (lambda led: led.claim(ACCOUNT, "form-1", "w", lease=0), "lease"),
            (lambda led: led.claim(ACCOUNT, "form-1", "w", lease=float("inf")), "lease"),
            (lambda led: led.bind(ACCOUNT, "form-1", 0, origin=BindingOrigin.CREATED), "order"),
            (lambda led: led.bind(ACCOUNT, "form-1", True, origin=BindingOrigin.CREATED), "order"),
            (lambda led: led.record_failure(ACCOUNT, "form-1", "x", retry_in=-1), "retry_in"),
            (lambda led: led.record_status_write(ACCOUNT, 1, Decimal("NaN")), "status"),
            (lambda led: led.due_retries(ACCOUNT, limit=0), "limit"),
            (lambda led: led.save_cursor(ACCOUNT, "c", 1, expected_version=-1), "expected_version"),
            (lambda led: _begin(led, "w", ""), "subject"),
            (lambda led: _begin(led, "w", procedure=" "), "procedure"),
            (lambda led: _begin(led, "w", order=0), "order"),
            (lambda led: _begin(led, "w", lease=0), "lease"),
            (lambda led: _begin(led, ""), "owner"),
            (lambda led: led.executions(state="bogus"), "state"),
            (lambda led: led.due_executions(ACCOUNT, limit=0), "limit"),
            (
                lambda led: led.decide(
                    ACCOUNT,
                    "form-1",
                    reason="x",
                    final=False,
                    version=FormVersion(updated_at=datetime(2024, 1, 1)),
                    fingerprint="f",
                ),
                "timezone",
            ),
        ],
    )
    def test_bad_input_is_a_typed_error_naming_the_value(
        self, ledger: ImportLedger, call: Callable[[ImportLedger], object], complaint: str
    ) -> None:
        with pytest.raises(LedgerInputError, match=complaint):
            call(ledger)

    # --- asyncio ----------------------------------------------------------------------

    def test_an_async_run_logs_no_slow_callback(
        self, make_async_ledger: AsyncLedgerFactory
    ) -> None:
        ledger = make_async_ledger(clock=time.time)

        async def worker(n: int) -> None:
            for k in range(5):
                form = f"form-{n}-{k}"
                claim = await ledger.claim(ACCOUNT, form, f"task-{n}", lease=60)
                assert claim is not None
                await ledger.renew(claim, lease=60)
                await ledger.bind(ACCOUNT, form, 1000 * n + k + 1, origin=BindingOrigin.CREATED)
                await ledger.record_failure(ACCOUNT, form, "HTTP 503", retry_in=0)
                await ledger.due_retries(ACCOUNT)
                await ledger.release_claim(claim)

        async def main() -> None:
            try:
                await ledger.migrate()
                await asyncio.gather(*(worker(n) for n in range(1, 7)))
            finally:
                await ledger.close()

        assert slow_callbacks(main, threshold=0.05) == []


def _assert_no_errors(errors: list[str]) -> None:
    assert errors == [], "racers raised:\n" + "\n".join(errors)


def _assert_one_binding_won(results: list[tuple[str, int]], racers: int) -> None:
    assert len(results) == racers
    won = [order for outcome, order in results if outcome == "bound"]
    assert len(won) == 1, results
    assert all(order == won[0] for _, order in results), results


# --- an older store's records ---------------------------------------------------------------

LEGACY_ACCOUNT = "legacy-seller"
"""The account of the records :func:`write_legacy_records` writes."""


def write_legacy_records(ledger: ImportLedger) -> None:
    """Write the records an older-schema store must hold for the migration case.

    Run it with the *older* release (or its schema) to make the store your
    ``legacy_ledger`` fixture opens; :func:`check_legacy_records` reads them back.
    """
    ledger.bind(LEGACY_ACCOUNT, "legacy-form-1", 9001, origin=BindingOrigin.CREATED, revision="r1")
    ledger.update_binding(
        LEGACY_ACCOUNT, "legacy-form-1", paid_parts=["payment-1"], steps_done=["comment"]
    )
    ledger.decide(
        LEGACY_ACCOUNT,
        "legacy-form-2",
        reason="not paid",
        final=False,
        version=V1,
        fingerprint="cfg",
    )
    ledger.quarantine(LEGACY_ACCOUNT, "legacy-form-3", "unknown SKU LEG-1")
    ledger.record_failure(LEGACY_ACCOUNT, "legacy-form-4", "HTTP 503", retry_in=0)
    for version in range(3):
        ledger.save_cursor(
            LEGACY_ACCOUNT, "events", {"id": f"evt-{version}"}, expected_version=version
        )
    ledger.record_sweep(LEGACY_ACCOUNT)
    ledger.record_status_write(LEGACY_ACCOUNT, 9001, Decimal("8"))


def check_legacy_records(ledger: ImportLedger) -> None:
    """Assert that a migrated store still holds what :func:`write_legacy_records` wrote,
    and that work goes on from it."""
    binding = ledger.binding_for_order(9001)
    assert binding is not None
    assert (binding.account, binding.form_id, binding.revision) == (
        LEGACY_ACCOUNT,
        "legacy-form-1",
        "r1",
    )
    assert binding.paid_parts == {"payment-1"}
    assert binding.steps_done == {"comment"}
    decision = ledger.decision(LEGACY_ACCOUNT, "legacy-form-2")
    assert decision is not None
    assert (decision.reason, decision.final, decision.version) == ("not paid", False, V1)
    assert not ledger.needs_look(LEGACY_ACCOUNT, "legacy-form-2", version=V1, fingerprint="cfg")
    held = ledger.failures(LEGACY_ACCOUNT, quarantined=True)
    assert [(f.form_id, f.quarantine_reason) for f in held] == [
        ("legacy-form-3", "unknown SKU LEG-1")
    ]
    assert [f.form_id for f in ledger.due_retries(LEGACY_ACCOUNT)] == ["legacy-form-4"]
    cursor = ledger.cursor(LEGACY_ACCOUNT, "events")
    assert cursor is not None
    assert (cursor.value, cursor.version) == ({"id": "evt-2"}, 3)
    assert ledger.last_sweep(LEGACY_ACCOUNT) is not None
    assert ledger.consume_status_write(LEGACY_ACCOUNT, 9001, Decimal("8"))
    ledger.save_cursor(LEGACY_ACCOUNT, "events", {"id": "evt-3"}, expected_version=3)
    ledger.bind(LEGACY_ACCOUNT, "legacy-form-5", 9005, origin=BindingOrigin.ADOPTED)
    # The store now keeps executions of event procedures too (schema v2).
    start = ledger.begin_execution(
        LEGACY_ACCOUNT, "legacy.status", 9001, "PROCESSING", "legacy-worker", lease=60
    )
    assert start.claim is not None
    ledger.finish_execution(start.claim, ExecutionState.DONE)
    assert (
        _begin(
            ledger, "other-worker", account=LEGACY_ACCOUNT, procedure="legacy.status", order=9001
        ).blocked
        is ExecutionBlock.FINAL
    )
