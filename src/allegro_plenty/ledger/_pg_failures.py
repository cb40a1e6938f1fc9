"""PostgreSQL ledger plans of the failures and operator actions (see :mod:`._pg_plans`)."""

from __future__ import annotations

from ..errors import NotInLedgerError
from . import _rules as rules
from ._pg_bindings import _bind
from ._pg_sql import Plan, Row, Sql, _at, _by_form, _seconds, _sql
from .records import Binding, BindingOrigin, Failure


def _failure_from(row: Row) -> Failure:
    account, form_id, attempts, error, retry_at, quarantined, reason, first, last = row
    return Failure(
        account, form_id, attempts, error, _seconds(retry_at), quarantined, reason, _at(first),
        _at(last),
    )  # fmt: skip


def _locked_failure(account: str, form_id: str) -> Plan[tuple[Failure | None, float]]:
    """The form's failure, locked for the rest of this transaction, and the time now."""
    rows = yield Sql(
        _sql(
            """SELECT {failure} FROM {s}.failures
            WHERE account = %(account)s AND form_id = %(form_id)s FOR UPDATE"""
        ),
        {"account": account, "form_id": form_id},
    )
    now = yield Sql(_sql("SELECT extract(epoch FROM {now})::float8"))
    return (_failure_from(rows[0]) if rows else None), now[0][0]


# Writes a failure computed by _rules; the first one for a form inserts only
# if no racing worker inserted first (then the plan reads and counts again).
_STORE_FAILURE = """INSERT INTO {s}.failures ({failure}) VALUES (%(account)s, %(form_id)s,
    %(attempts)s, %(error)s, to_timestamp(%(retry_at)s), %(quarantined)s, %(reason)s,
    to_timestamp(%(first)s), to_timestamp(%(last)s))
    ON CONFLICT (account, form_id) DO {action} RETURNING {failure}"""
_INSERT_FAILURE = _sql(_STORE_FAILURE.replace("{action}", "NOTHING"))
_REPLACE_FAILURE = _sql(
    _STORE_FAILURE.replace(
        "{action}",
        """UPDATE SET attempts = excluded.attempts, last_error = excluded.last_error,
        next_retry_at = excluded.next_retry_at, quarantined = excluded.quarantined,
        quarantine_reason = excluded.quarantine_reason,
        first_failed_at = excluded.first_failed_at, last_failed_at = excluded.last_failed_at""",
    )
)


def _store_failure(failure: Failure, *, replace: bool) -> Plan[Failure | None]:
    rows = yield Sql(
        _REPLACE_FAILURE if replace else _INSERT_FAILURE,
        {
            "account": failure.account,
            "form_id": failure.form_id,
            "attempts": failure.attempts,
            "error": failure.last_error,
            "retry_at": failure.next_retry_at,
            "quarantined": failure.quarantined,
            "reason": failure.quarantine_reason,
            "first": failure.first_failed_at,
            "last": failure.last_failed_at,
        },
    )
    return _failure_from(rows[0]) if rows else None


def _fail(
    account: str, form_id: str, error: str, retry_in: float | None, reason: str | None
) -> Plan[Failure]:
    while True:
        previous, now = yield from _locked_failure(account, form_id)
        failure = rules.failed(
            previous,
            account,
            form_id,
            error,
            now=now,
            retry_at=None if retry_in is None else now + retry_in,
            quarantine_reason=reason,
        )
        stored = yield from _store_failure(failure, replace=previous is not None)
        if stored is not None:
            return stored


def record_failure(account: str, form_id: str, error: str, *, retry_in: float) -> Plan[Failure]:
    """See :meth:`ImportLedger.record_failure`."""
    rules.text("account", account)
    rules.text("form_id", form_id)
    seconds = rules.duration("retry_in", retry_in, allow_zero=True)
    return (yield from _fail(account, form_id, rules.error_text(error), seconds, None))


def quarantine(account: str, form_id: str, reason: str) -> Plan[Failure]:
    """See :meth:`ImportLedger.quarantine`."""
    rules.text("account", account)
    rules.text("form_id", form_id)
    reason = rules.error_text(reason)
    return (yield from _fail(account, form_id, reason, None, reason))


def failure(account: str, form_id: str) -> Plan[Failure | None]:
    """See :meth:`ImportLedger.failure`."""
    select = _sql("SELECT {failure} FROM {s}.failures")
    return (yield from _by_form(select, _failure_from, account, form_id))


def _delete_failure(account: str, form_id: str) -> Plan[None]:
    yield Sql(
        "DELETE FROM {s}.failures WHERE account = %(account)s AND form_id = %(form_id)s",
        {"account": account, "form_id": form_id},
    )


def clear_failure(account: str, form_id: str) -> Plan[None]:
    """See :meth:`ImportLedger.clear_failure`."""
    yield from _delete_failure(account, form_id)


def due_retries(account: str, *, limit: int = 100) -> Plan[list[Failure]]:
    """See :meth:`ImportLedger.due_retries`."""
    rows = yield Sql(
        _sql(
            """SELECT {failure} FROM {s}.failures
            WHERE account = %(account)s AND NOT quarantined AND next_retry_at <= {now}
            ORDER BY next_retry_at, form_id LIMIT %(limit)s"""
        ),
        {"account": account, "limit": rules.count("limit", limit)},
    )
    return [_failure_from(row) for row in rows]


def failures(account: str | None = None, *, quarantined: bool | None = None) -> Plan[list[Failure]]:
    """See :meth:`ImportLedger.failures`."""
    rows = yield Sql(
        _sql(
            """SELECT {failure} FROM {s}.failures
            WHERE (%(account)s::text IS NULL OR account = %(account)s)
            AND (%(quarantined)s::boolean IS NULL OR quarantined = %(quarantined)s)
            ORDER BY account, last_failed_at, form_id"""
        ),
        {"account": account, "quarantined": quarantined},
    )
    return [_failure_from(row) for row in rows]


def release_failure(account: str, form_id: str) -> Plan[Failure]:
    """See :meth:`ImportLedger.release_failure`."""
    previous, now = yield from _locked_failure(account, form_id)
    if previous is None:
        raise NotInLedgerError(f"form {form_id!r} of account {account!r} has no failure")
    stored = yield from _store_failure(rules.released(previous, now=now), replace=True)
    assert stored is not None  # the row is locked: it cannot have gone
    return stored


def mark_handled(
    account: str, form_id: str, plenty_order_id: int, *, note: str | None = None
) -> Plan[Binding]:
    """See :meth:`ImportLedger.mark_handled`."""
    note = rules.optional_text("note", note)
    bound = yield from _bind(account, form_id, plenty_order_id, BindingOrigin.MANUAL, None, note)
    yield from _delete_failure(account, form_id)
    return bound
