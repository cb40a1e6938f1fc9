"""What a failure means, and what the ledger records for it.

* A bad order (a mapping error, an unknown SKU under the refuse policy, a
  duplicate or foreign order in plentymarkets, a value the clients refuse to
  send) is quarantined at once.
* A transient failure (5xx, timeout, reset, 429, an unexpected error) is
  retried on a later run with capped exponential backoff, and quarantined after
  ``max_attempts``.
* A form the client cannot read (it does not fit the model) is quarantined at
  once: reading it again gives the same.
* A lost claim is a deferral: another worker has the form. It is looked at
  again once that worker's lease could have run out, and never counts as an
  attempt.
* Some failures stop more than the form: a revoked Allegro token or a wrong
  seller id stops the account; plentymarkets' login failing, its budget
  exhausted or a service unreachable stops the run.
"""

from __future__ import annotations

import enum

from .._plan import Plan, call
from ..errors import (
    AllegroPlentyError,
    APIConnectionError,
    AuthenticationError,
    BudgetExhaustedError,
    ClaimLostError,
    ConfigurationError,
    DuplicateOrdersFound,
    ForeignOrderExists,
    InvalidRequestError,
    MappingError,
    NotConnectedError,
    OAuthError,
    PermissionDeniedError,
    TooManySessionsError,
)
from ._state import AccountRun, log
from .result import EntryKind

__all__ = [
    "DEFERRED",
    "AccountStopped",
    "RunStopped",
    "Severity",
    "classify",
    "defer",
    "fail",
    "unreadable",
]

DEFERRED = "deferred: "
"""How a deferral's failure record begins (it never counts as an attempt)."""
_MAX_REASON = 500


class Severity(enum.Enum):
    """How far a failure reaches."""

    QUARANTINE = "quarantine"
    RETRY = "retry"
    ACCOUNT = "account"
    RUN = "run"
    LOST = "lost"


class AccountStopped(Exception):
    """Internal: the account's run must stop (its error is the cause)."""


class RunStopped(Exception):
    """Internal: the whole run must stop (its error is the cause)."""


def classify(error: Exception) -> Severity:
    """How far ``error`` reaches."""
    if isinstance(error, ClaimLostError):
        return Severity.LOST
    if isinstance(
        error, MappingError | DuplicateOrdersFound | ForeignOrderExists | InvalidRequestError
    ):
        return Severity.QUARANTINE  # the same order gives the same refusal
    if isinstance(error, ConfigurationError | NotConnectedError | OAuthError):
        return Severity.ACCOUNT
    if isinstance(error, BudgetExhaustedError | TooManySessionsError):
        return Severity.RUN
    if isinstance(error, AuthenticationError | PermissionDeniedError):
        return Severity.ACCOUNT if error.service == "allegro" else Severity.RUN
    if isinstance(error, APIConnectionError) and not error.request_sent:
        return Severity.RUN  # unreachable, retries included
    return Severity.RETRY


def reason(error: BaseException) -> str:
    """The error in words for the ledger and the result (ids and statuses, no secrets)."""
    return f"{type(error).__name__}: {error}"[:_MAX_REASON]


def request_ids(error: BaseException) -> tuple[str, ...]:
    """The service's request id of a failed call, if it gave one."""
    found = getattr(error, "request_id", None)
    return (found,) if isinstance(found, str) and found else ()


def defer(run: AccountRun, form_id: str, why: str, *, lost_race: bool = False) -> Plan[None]:
    """Another worker has the form: look at it again once its lease could have run out.

    Recorded only where no real failure is recorded: that one brings the form
    back by its own schedule, and a deferral must never count as an attempt.
    """
    if lost_race:
        run.result.claims_lost += 1
    if not run.dry_run:
        existing = yield from call("ledger", "failure", run.key, form_id)
        if existing is None or existing.last_error.startswith(DEFERRED):
            yield from call(
                "ledger", "record_failure", run.key, form_id, DEFERRED + why,
                retry_in=run.settings.lease,
            )  # fmt: skip
    run.entry(EntryKind.DEFERRED, form_id, reason=why)


def fail(
    run: AccountRun, form_id: str, error: Exception, order_id: int | None = None
) -> Plan[None]:
    """Record ``error`` for the form, or raise :class:`AccountStopped` or :class:`RunStopped`
    if it reaches further than the form."""
    severity = classify(error)
    if severity is Severity.LOST:
        yield from defer(run, form_id, "lost the claim to another worker")
        return
    why, ids = reason(error), request_ids(error)
    if not isinstance(error, AllegroPlentyError):
        # Not one of the library's errors: a bug somewhere; keep its traceback.
        log.warning(
            "checkout form %s: unexpected %s", form_id, type(error).__name__, exc_info=error,
            extra={"account": run.key, "checkout_form_id": form_id},
        )  # fmt: skip
    if severity in (Severity.ACCOUNT, Severity.RUN):
        # Not the form's fault: nothing recorded against it (no attempt counted). Its
        # source was not moved past it, so a later run comes back to it.
        run.entry(EntryKind.FAILED, form_id, order_id=order_id, reason=why, request_ids=ids)
        stopped = AccountStopped if severity is Severity.ACCOUNT else RunStopped
        raise stopped(why) from error
    if severity is Severity.QUARANTINE:
        yield from _quarantine(run, form_id, why)
        run.entry(EntryKind.QUARANTINED, form_id, order_id=order_id, reason=why, request_ids=ids)
        return
    kind = yield from _record(run, form_id, why)
    run.entry(kind, form_id, order_id=order_id, reason=why, request_ids=ids)


def unreadable(run: AccountRun, form_id: str, error: Exception) -> Plan[None]:
    """A form that does not fit the model: quarantined at once with ``error`` as the reason,
    unless it is already (a sweep or an event brings it again and again)."""
    existing = yield from call("ledger", "failure", run.key, form_id)
    if existing is not None and existing.quarantined:
        return
    why = reason(error)
    yield from _quarantine(run, form_id, why)
    run.entry(EntryKind.QUARANTINED, form_id, reason=why, request_ids=request_ids(error))


def _quarantine(run: AccountRun, form_id: str, why: str) -> Plan[None]:
    if not run.dry_run:
        yield from call("ledger", "quarantine", run.key, form_id, why)


def _record(run: AccountRun, form_id: str, why: str) -> Plan[EntryKind]:
    """A failed attempt: retried later, or quarantined once attempts run out."""
    if run.dry_run:
        return EntryKind.FAILED
    previous = yield from call("ledger", "failure", run.key, form_id)
    if previous is not None and previous.last_error.startswith(DEFERRED):
        # A deferral was never an attempt: this is the first one.
        yield from call("ledger", "clear_failure", run.key, form_id)
        previous = None
    attempts = (previous.attempts if previous is not None else 0) + 1
    if attempts >= run.settings.max_attempts:
        yield from call(
            "ledger", "quarantine", run.key, form_id, f"gave up after {attempts} attempts: {why}"
        )
        return EntryKind.QUARANTINED
    retry_in = run.settings.retry_in(attempts)
    yield from call("ledger", "record_failure", run.key, form_id, why, retry_in=retry_in)
    return EntryKind.FAILED
