"""PostgreSQL ledger plans of the cursors, sweeps and status writes (see :mod:`._pg_plans`)."""

from __future__ import annotations

import json
from decimal import Decimal

from ..errors import CursorConflictError
from . import _rules as rules
from ._pg_sql import Plan, Row, Sql, _at, _sql
from .records import JSON, Cursor, StatusWrite


def _cursor_from(account: str, name: str, row: Row) -> Cursor:
    value: JSON = json.loads(row[0])
    return Cursor(account, name, value, row[1], _at(row[2]))


def cursor(account: str, name: str) -> Plan[Cursor | None]:
    """See :meth:`ImportLedger.cursor`."""
    rows = yield Sql(
        """SELECT value::text, version, saved_at FROM {s}.cursors
        WHERE account = %(account)s AND name = %(name)s""",
        {"account": account, "name": name},
    )
    return _cursor_from(account, name, rows[0]) if rows else None


def save_cursor(account: str, name: str, value: JSON, *, expected_version: int) -> Plan[Cursor]:
    """See :meth:`ImportLedger.save_cursor`."""
    rules.text("account", account)
    rules.text("name", name)
    params = {"account": account, "name": name, "value": rules.json_text(value)}
    expected = rules.expected_version(expected_version)
    # A compare-and-set on the version: the first save inserts only if nobody
    # did, a later one updates only the version it was based on.
    if expected == 0:
        statement = """INSERT INTO {s}.cursors
            VALUES (%(account)s, %(name)s, %(value)s::json, 1, {now})
            ON CONFLICT DO NOTHING RETURNING value::text, version, saved_at"""
    else:
        statement = """UPDATE {s}.cursors SET value = %(value)s::json, version = version + 1,
            saved_at = {now} WHERE account = %(account)s AND name = %(name)s
            AND version = %(expected)s RETURNING value::text, version, saved_at"""
    rows = yield Sql(_sql(statement), {**params, "expected": expected})
    if rows:
        return _cursor_from(account, name, rows[0])
    found = yield from cursor(account, name)
    raise CursorConflictError(
        account=account, name=name, expected=expected, found=found.version if found else 0
    )


def sweep_due(account: str, *, interval: float) -> Plan[bool]:
    """See :meth:`ImportLedger.sweep_due`."""
    seconds = rules.duration("interval", interval, allow_zero=True)
    rows = yield Sql(
        _sql(
            """SELECT NOT EXISTS (SELECT 1 FROM {s}.sweeps WHERE account = %(account)s
            AND swept_at > {now} - make_interval(secs => %(interval)s))"""
        ),
        {"account": account, "interval": seconds},
    )
    return bool(rows[0][0])


def record_sweep(account: str) -> Plan[float]:
    """See :meth:`ImportLedger.record_sweep`."""
    rows = yield Sql(
        _sql(
            """INSERT INTO {s}.sweeps VALUES (%(account)s, {now}) ON CONFLICT (account)
            DO UPDATE SET swept_at = excluded.swept_at RETURNING swept_at"""
        ),
        {"account": rules.text("account", account)},
    )
    return _at(rows[0][0])


def last_sweep(account: str) -> Plan[float | None]:
    """See :meth:`ImportLedger.last_sweep`."""
    rows = yield Sql(
        "SELECT swept_at FROM {s}.sweeps WHERE account = %(account)s", {"account": account}
    )
    return _at(rows[0][0]) if rows else None


# --- status writes ---------------------------------------------------------------------------


def record_status_write(account: str, plenty_order_id: int, status: Decimal) -> Plan[StatusWrite]:
    """See :meth:`ImportLedger.record_status_write`."""
    rules.text("account", account)
    order, normalized = rules.order_id(plenty_order_id), rules.status(status)
    rows = yield Sql(
        _sql(
            """INSERT INTO {s}.status_writes (account, plenty_order_id, status, recorded_at)
            VALUES (%(account)s, %(order)s, %(status)s, {now}) RETURNING id, recorded_at"""
        ),
        {"account": account, "order": order, "status": str(normalized)},
    )
    return StatusWrite(rows[0][0], account, order, normalized, _at(rows[0][1]))


def forget_status_write(write: StatusWrite) -> Plan[bool]:
    """See :meth:`ImportLedger.forget_status_write`."""
    rows = yield Sql(
        "DELETE FROM {s}.status_writes WHERE id = %(id)s RETURNING 1", {"id": write.id}
    )
    return bool(rows)


def consume_status_write(account: str, plenty_order_id: int, status: Decimal) -> Plan[bool]:
    """See :meth:`ImportLedger.consume_status_write`."""
    order, normalized = rules.order_id(plenty_order_id), rules.status(status)
    # SKIP LOCKED: of two consumers racing for one record, the second takes the
    # next matching one instead of finding its pick gone and reporting none.
    rows = yield Sql(
        """DELETE FROM {s}.status_writes WHERE id = (
            SELECT id FROM {s}.status_writes
            WHERE plenty_order_id = %(order)s AND status = %(status)s AND account = %(account)s
            ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING 1""",
        {"account": account, "order": order, "status": str(normalized)},
    )
    return bool(rows)
