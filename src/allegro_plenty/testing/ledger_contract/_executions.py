"""The ledger contract's cases of the event procedures' executions."""

from __future__ import annotations

import functools
from collections.abc import Callable

import pytest

from ...errors import ClaimLostError, LedgerInputError, NotInLedgerError
from ...ledger import JSON, ExecutionBlock, ImportLedger
from .._clock import FakeClock
from .._ledger_race import execution_violations, race, run_every_execution
from ._base import (
    ACCOUNT,
    DONE,
    FAILED,
    LONG,
    OTHER_ACCOUNT,
    PENDING,
    PROCEDURE,
    SKIPPED,
    _assert_no_errors,
    _begin,
    _ContractBase,
)


class _ExecutionCases(_ContractBase):
    """Executions of event procedures: one claim, final states, due and quarantined."""

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
