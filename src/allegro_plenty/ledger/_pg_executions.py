"""PostgreSQL ledger plans of the procedures' executions (see :mod:`._pg_plans`)."""

from __future__ import annotations

import json

from . import _rules as rules
from ._pg_sql import Plan, Row, Sql, T, _at, _seconds, _sql
from .records import JSON, Execution, ExecutionClaim, ExecutionStart, ExecutionState


def _key_params(key: rules.ExecutionKey) -> dict[str, object]:
    account, procedure, order, subject = key
    return {"account": account, "procedure": procedure, "order": order, "subject": subject}


def _execution_row_from(row: Row) -> rules.ExecutionRow:
    *fields, created, updated, owner, epoch, lease_until = row
    account, procedure, order, subject, state, reason, error, attempts, retry_at, held, data = (
        fields
    )
    execution = Execution(
        account, procedure, order, subject, ExecutionState(state), reason, error, attempts,
        _seconds(retry_at), held, json.loads(data), _at(created), _at(updated),
    )  # fmt: skip
    return rules.ExecutionRow(execution, owner, epoch, _at(lease_until))


# An execution's row is locked for the rest of its call's transaction; a call that
# may create it inserts it first (unclaimed), so racing creators wait on the key.
_CREATE_EXECUTION = _sql(
    """INSERT INTO {s}.executions (account, procedure, plenty_order_id, subject, state,
    attempts, quarantined, data, created_at, updated_at, epoch, lease_until)
    VALUES (%(account)s, %(procedure)s, %(order)s, %(subject)s, 'pending', 0, false,
    '{{}}'::json, {now}, {now}, 0, to_timestamp(0)) ON CONFLICT DO NOTHING"""
)
_LOCK_EXECUTION = _sql("SELECT {execution} FROM {s}.executions WHERE {execution_key} FOR UPDATE")
_STORE_EXECUTION = _sql(
    """UPDATE {s}.executions SET state = %(state)s, reason = %(reason)s,
    last_error = %(error)s, attempts = %(attempts)s, next_retry_at = to_timestamp(%(retry_at)s),
    quarantined = %(quarantined)s, data = %(data)s::json, updated_at = to_timestamp(%(updated)s),
    owner = %(owner)s, epoch = %(epoch)s, lease_until = to_timestamp(%(lease_until)s)
    WHERE {execution_key}"""
)


def _change_execution(
    key: rules.ExecutionKey, change: rules.Change[T], *, create: bool = False
) -> Plan[T]:
    """Apply ``change`` to the locked row of ``key`` (see ``ExecutionCalls._change_execution``)."""
    params = _key_params(key)
    if create:
        yield Sql(_CREATE_EXECUTION, params)
    rows = yield Sql(_LOCK_EXECUTION, params)
    now = yield Sql(_sql("SELECT extract(epoch FROM {now})::float8"))
    row = _execution_row_from(rows[0]) if rows else None
    new, result = change(row, now[0][0])
    if new is not None and new is not row:
        e = new.execution
        yield Sql(
            _STORE_EXECUTION,
            {
                **params,
                "state": e.state.value,
                "reason": e.reason,
                "error": e.last_error,
                "attempts": e.attempts,
                "retry_at": e.next_retry_at,
                "quarantined": e.quarantined,
                "data": rules.json_text(e.data),
                "updated": e.updated_at,
                "owner": new.owner,
                "epoch": new.epoch,
                "lease_until": new.lease_until,
            },
        )
    return result


def begin_execution(
    account: str, procedure: str, plenty_order_id: int, subject: str, owner: str, *, lease: float
) -> Plan[ExecutionStart]:
    """See :meth:`ImportLedger.begin_execution`."""
    key, change = rules.begin_change(account, procedure, plenty_order_id, subject, owner, lease)
    return (yield from _change_execution(key, change, create=True))


def renew_execution(
    claim: ExecutionClaim, *, lease: float, data: dict[str, JSON] | None = None
) -> Plan[ExecutionClaim]:
    """See :meth:`ImportLedger.renew_execution`."""
    return (yield from _change_execution(*rules.renew_change(claim, lease, data)))


def finish_execution(
    claim: ExecutionClaim,
    state: ExecutionState,
    *,
    reason: str | None = None,
    data: dict[str, JSON] | None = None,
) -> Plan[Execution]:
    """See :meth:`ImportLedger.finish_execution`."""
    return (yield from _change_execution(*rules.finish_change(claim, state, reason, data)))


def postpone_execution(
    claim: ExecutionClaim, reason: str, *, retry_in: float, data: dict[str, JSON] | None = None
) -> Plan[Execution]:
    """See :meth:`ImportLedger.postpone_execution`."""
    return (yield from _change_execution(*rules.postpone_change(claim, reason, retry_in, data)))


def fail_execution(
    claim: ExecutionClaim,
    error: str,
    *,
    retry_in: float | None,
    data: dict[str, JSON] | None = None,
) -> Plan[Execution]:
    """See :meth:`ImportLedger.fail_execution`."""
    return (yield from _change_execution(*rules.fail_change(claim, error, retry_in, data)))


def release_execution(
    account: str, procedure: str, plenty_order_id: int, subject: str
) -> Plan[Execution]:
    """See :meth:`ImportLedger.release_execution`."""
    change = rules.release_change(account, procedure, plenty_order_id, subject)
    return (yield from _change_execution(*change))


def execution(
    account: str, procedure: str, plenty_order_id: int, subject: str
) -> Plan[Execution | None]:
    """See :meth:`ImportLedger.execution`."""
    rows = yield Sql(
        _sql("SELECT {execution} FROM {s}.executions WHERE {execution_key}"),
        _key_params((account, procedure, plenty_order_id, subject)),
    )
    return _execution_row_from(rows[0]).execution if rows else None


def due_executions(account: str, *, limit: int = 100) -> Plan[list[Execution]]:
    """See :meth:`ImportLedger.due_executions`."""
    rows = yield Sql(
        _sql(
            """SELECT {execution} FROM {s}.executions
            WHERE account = %(account)s AND state IN ('pending', 'failed') AND NOT quarantined
            AND next_retry_at <= {now}
            ORDER BY next_retry_at, procedure, plenty_order_id, subject LIMIT %(limit)s"""
        ),
        {"account": account, "limit": rules.count("limit", limit)},
    )
    return [_execution_row_from(row).execution for row in rows]


def executions(
    account: str | None = None,
    *,
    procedure: str | None = None,
    plenty_order_id: int | None = None,
    state: ExecutionState | None = None,
    quarantined: bool | None = None,
) -> Plan[list[Execution]]:
    """See :meth:`ImportLedger.executions`."""
    wanted, _ = rules.execution_filter(account, procedure, plenty_order_id, state, quarantined)
    rows = yield Sql(
        _sql(
            """SELECT {execution} FROM {s}.executions
            WHERE (%(account)s::text IS NULL OR account = %(account)s)
            AND (%(procedure)s::text IS NULL OR procedure = %(procedure)s)
            AND (%(order)s::bigint IS NULL OR plenty_order_id = %(order)s)
            AND (%(state)s::text IS NULL OR state = %(state)s)
            AND (%(quarantined)s::boolean IS NULL OR quarantined = %(quarantined)s)
            ORDER BY account, procedure, plenty_order_id, subject"""
        ),
        {
            "account": account,
            "procedure": procedure,
            "order": plenty_order_id,
            "state": None if wanted is None else wanted.value,
            "quarantined": quarantined,
        },
    )
    return [_execution_row_from(row).execution for row in rows]
