"""The ledger contract's cases of failures, operator actions, cursors, sweeps and status writes."""

from __future__ import annotations

import functools
from decimal import Decimal

import pytest

from ...errors import BindingConflictError, CursorConflictError, LedgerInputError, NotInLedgerError
from ...ledger import JSON, BindingOrigin, ImportLedger
from .._clock import FakeClock
from .._ledger_race import count_up_cursor, race
from ._base import ACCOUNT, OTHER_ACCOUNT, _assert_no_errors, _ContractBase


class _FailureCases(_ContractBase):
    """Failures and operator actions, cursors and sweeps, status writes."""

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
