"""What this package's ledgers derive from their own reads and writes, written once."""

from __future__ import annotations

import abc
from collections.abc import Callable
from typing import TypeVar

from . import _rules as rules
from .records import (
    JSON,
    Decision,
    Execution,
    ExecutionClaim,
    ExecutionStart,
    ExecutionState,
    Failure,
    FormVersion,
)

T = TypeVar("T")


class DerivedCalls(abc.ABC):
    """The protocol's calls that need no storage of their own.

    A subclass sets ``_clock`` and implements the reads these build on, and
    ``_fail``: store one more failed attempt (``retry_in=None`` quarantines).
    """

    _clock: Callable[[], float]

    @abc.abstractmethod
    def decision(self, account: str, form_id: str) -> Decision | None:
        """The form's decision, or ``None``."""

    @abc.abstractmethod
    def last_sweep(self, account: str) -> float | None:
        """When the last sweep finished, or ``None``."""

    @abc.abstractmethod
    def _fail(
        self, account: str, form_id: str, error: str, retry_in: float | None, reason: str | None
    ) -> Failure: ...

    def needs_look(
        self, account: str, form_id: str, *, version: FormVersion, fingerprint: str
    ) -> bool:
        """See :meth:`ImportLedger.needs_look`."""
        decision = self.decision(account, form_id)
        return decision is None or decision.needs_another_look(version, fingerprint)

    def sweep_due(self, account: str, *, interval: float) -> bool:
        """See :meth:`ImportLedger.sweep_due`."""
        seconds = rules.duration("interval", interval, allow_zero=True)
        last = self.last_sweep(account)
        return last is None or self._clock() - last >= seconds

    def record_failure(self, account: str, form_id: str, error: str, *, retry_in: float) -> Failure:
        """See :meth:`ImportLedger.record_failure`."""
        rules.text("account", account)
        rules.text("form_id", form_id)
        seconds = rules.duration("retry_in", retry_in, allow_zero=True)
        return self._fail(account, form_id, rules.error_text(error), seconds, None)

    def quarantine(self, account: str, form_id: str, reason: str) -> Failure:
        """See :meth:`ImportLedger.quarantine`."""
        rules.text("account", account)
        rules.text("form_id", form_id)
        reason = rules.error_text(reason)
        return self._fail(account, form_id, reason, None, reason)


class ExecutionCalls(abc.ABC):
    """The execution calls of the protocol, over one primitive a store implements:
    :meth:`_change_execution` applies a change (:data:`._rules.Change`) to the row
    of one execution atomically."""

    @abc.abstractmethod
    def _change_execution(self, key: rules.ExecutionKey, change: rules.Change[T]) -> T:
        """Read the row of ``key``, let ``change`` compute the new row and the result
        from it and the ledger's ``now``, store the new row (unless it is the row
        given), all in one atomic step; return the result."""

    def begin_execution(
        self,
        account: str,
        procedure: str,
        plenty_order_id: int,
        subject: str,
        owner: str,
        *,
        lease: float,
    ) -> ExecutionStart:
        """See :meth:`ImportLedger.begin_execution`."""
        return self._change_execution(
            *rules.begin_change(account, procedure, plenty_order_id, subject, owner, lease)
        )

    def renew_execution(
        self, claim: ExecutionClaim, *, lease: float, data: dict[str, JSON] | None = None
    ) -> ExecutionClaim:
        """See :meth:`ImportLedger.renew_execution`."""
        return self._change_execution(*rules.renew_change(claim, lease, data))

    def finish_execution(
        self,
        claim: ExecutionClaim,
        state: ExecutionState,
        *,
        reason: str | None = None,
        data: dict[str, JSON] | None = None,
    ) -> Execution:
        """See :meth:`ImportLedger.finish_execution`."""
        return self._change_execution(*rules.finish_change(claim, state, reason, data))

    def postpone_execution(
        self,
        claim: ExecutionClaim,
        reason: str,
        *,
        retry_in: float,
        data: dict[str, JSON] | None = None,
    ) -> Execution:
        """See :meth:`ImportLedger.postpone_execution`."""
        return self._change_execution(*rules.postpone_change(claim, reason, retry_in, data))

    def fail_execution(
        self,
        claim: ExecutionClaim,
        error: str,
        *,
        retry_in: float | None,
        data: dict[str, JSON] | None = None,
    ) -> Execution:
        """See :meth:`ImportLedger.fail_execution`."""
        return self._change_execution(*rules.fail_change(claim, error, retry_in, data))

    def release_execution(
        self, account: str, procedure: str, plenty_order_id: int, subject: str
    ) -> Execution:
        """See :meth:`ImportLedger.release_execution`."""
        return self._change_execution(
            *rules.release_change(account, procedure, plenty_order_id, subject)
        )
