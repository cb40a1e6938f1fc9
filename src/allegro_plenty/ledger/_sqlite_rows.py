"""The SQLite ledger's rows and the records they hold (bindings, failures, cursor values)."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from . import _rules as rules
from .records import JSON, Binding, BindingOrigin, Execution, ExecutionState, Failure

BINDING_COLUMNS = "account, form_id, plenty_order_id, origin, revision, bound_at, note"


def binding(con: sqlite3.Connection, account: str, form_id: str) -> Binding | None:
    """The binding of a form, with its marks."""
    row = con.execute(
        f"SELECT {BINDING_COLUMNS} FROM bindings WHERE account = ? AND form_id = ?",  # noqa: S608
        (account, form_id),
    ).fetchone()
    return None if row is None else binding_from(con, row)


def binding_for_order(con: sqlite3.Connection, order: int) -> Binding | None:
    """The binding of a plentymarkets order, with its marks."""
    row = con.execute(
        f"SELECT {BINDING_COLUMNS} FROM bindings WHERE plenty_order_id = ?",  # noqa: S608
        (order,),
    ).fetchone()
    return None if row is None else binding_from(con, row)


def binding_from(con: sqlite3.Connection, row: Any) -> Binding:
    """A binding from its row (``BINDING_COLUMNS``) and its marks."""
    account, form_id, order, origin, revision, bound_at, note = row
    marks = con.execute(
        "SELECT kind, mark FROM binding_marks WHERE account = ? AND form_id = ?",
        (account, form_id),
    ).fetchall()
    paid = frozenset(mark for kind, mark in marks if kind == "paid")
    steps = frozenset(mark for kind, mark in marks if kind == "step")
    return Binding(
        account, form_id, order, BindingOrigin(origin), revision, paid, steps, bound_at, note
    )


FAILURE_COLUMNS = (
    "account, form_id, attempts, last_error, next_retry_at, quarantined, quarantine_reason, "
    "first_failed_at, last_failed_at"
)


def failure(con: sqlite3.Connection, account: str, form_id: str) -> Failure | None:
    """The failure recorded for a form."""
    row = con.execute(
        f"SELECT {FAILURE_COLUMNS} FROM failures WHERE account = ? AND form_id = ?",  # noqa: S608
        (account, form_id),
    ).fetchone()
    return None if row is None else failure_from(row)


def failure_from(row: Any) -> Failure:
    """A failure from its row (``FAILURE_COLUMNS``)."""
    account, form_id, attempts, error, retry_at, quarantined, reason, first, last = row
    return Failure(
        account, form_id, attempts, error, retry_at, bool(quarantined), reason, first, last
    )


def store_failure(con: sqlite3.Connection, f: Failure) -> None:
    """Insert or replace a form's failure."""
    con.execute(
        "INSERT OR REPLACE INTO failures VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            f.account, f.form_id, f.attempts, f.last_error, f.next_retry_at, f.quarantined,
            f.quarantine_reason, f.first_failed_at, f.last_failed_at,
        ),
    )  # fmt: skip


def delete_failure(con: sqlite3.Connection, account: str, form_id: str) -> None:
    """Forget a form's failure."""
    con.execute("DELETE FROM failures WHERE account = ? AND form_id = ?", (account, form_id))


def json_value(text: str) -> JSON:
    """A cursor value stored as JSON text."""
    value: JSON = json.loads(text)
    return value


EXECUTION_COLUMNS = (
    "account, procedure, plenty_order_id, subject, state, reason, last_error, attempts, "
    "next_retry_at, quarantined, data, created_at, updated_at, owner, epoch, lease_until"
)


def execution_row(con: sqlite3.Connection, key: rules.ExecutionKey) -> rules.ExecutionRow | None:
    """The stored row of one execution."""
    row = con.execute(
        f"""SELECT {EXECUTION_COLUMNS} FROM executions
        WHERE account = ? AND procedure = ? AND plenty_order_id = ? AND subject = ?""",  # noqa: S608
        key,
    ).fetchone()
    return None if row is None else execution_row_from(row)


def execution_row_from(row: Any) -> rules.ExecutionRow:
    """An execution row from its columns (``EXECUTION_COLUMNS``)."""
    *fields, created, updated, owner, epoch, lease_until = row
    account, procedure, order, subject, state, reason, error, attempts, retry_at, held, data = (
        fields
    )
    execution = Execution(
        account, procedure, order, subject, ExecutionState(state), reason, error, attempts,
        retry_at, bool(held), json.loads(data), created, updated,
    )  # fmt: skip
    return rules.ExecutionRow(execution, owner, epoch, lease_until)


def store_execution(con: sqlite3.Connection, row: rules.ExecutionRow) -> None:
    """Insert or replace an execution's row."""
    e = row.execution
    con.execute(
        f"INSERT OR REPLACE INTO executions ({EXECUTION_COLUMNS}) "  # noqa: S608
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            e.account, e.procedure, e.plenty_order_id, e.subject, e.state.value, e.reason,
            e.last_error, e.attempts, e.next_retry_at, e.quarantined, rules.json_text(e.data),
            e.created_at, e.updated_at, row.owner, row.epoch, row.lease_until,
        ),
    )  # fmt: skip
