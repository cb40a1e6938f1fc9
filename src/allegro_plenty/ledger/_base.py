"""What this package's ledgers derive from their own reads and writes, written once."""

from __future__ import annotations

import abc
from collections.abc import Callable

from . import _rules as rules
from .records import Decision, Failure, FormVersion


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
