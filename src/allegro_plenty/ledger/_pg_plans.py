"""Every PostgreSQL ledger call, written once as a plan of SQL statements.

A plan is a generator: it yields :class:`Sql` statements, receives each one's
rows, and returns the call's result (or raises the call's error). It does no
I/O: :class:`~allegro_plenty.ledger.postgres.PostgresLedger` runs it on a
connection, :class:`~allegro_plenty.ledger.postgres.AsyncPostgresLedger` on an
async one, each in one short transaction. Plans take exactly the protocol
method's parameters, so the two ledgers are generated from this module.
The plans live in private modules by concern (``_pg_claims``, ``_pg_bindings``,
``_pg_decisions``, ``_pg_failures``, ``_pg_cursors``, ``_pg_executions``, over
``_pg_sql``); this module gathers them with the schema's own plans.

Every time is the database's: ``{now}`` in a statement is its
``clock_timestamp()`` (plus the ledger's ``time_shift``, which only tests set).
Every record a plan returns is built from the rows the database returned, so
what a call returns equals what a later read finds. Claims, bindings and
cursors are each one compare-and-set statement; a read-then-write (a failure
counting up) locks its row for the rest of its own transaction, never longer.
No module of psycopg is imported here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..errors import LedgerSchemaError
from . import _pg_schema as schema
from . import _rules as rules
from ._pg_bindings import bind, binding, binding_for_order, update_binding
from ._pg_claims import claim, confirm, release_claim, renew
from ._pg_cursors import (
    consume_status_write,
    cursor,
    forget_status_write,
    last_sweep,
    record_status_write,
    record_sweep,
    save_cursor,
    sweep_due,
)
from ._pg_decisions import decide, decision, needs_look
from ._pg_executions import (
    begin_execution,
    due_executions,
    execution,
    executions,
    fail_execution,
    finish_execution,
    postpone_execution,
    release_execution,
    renew_execution,
)
from ._pg_failures import (
    clear_failure,
    due_retries,
    failure,
    failures,
    mark_handled,
    quarantine,
    record_failure,
    release_failure,
)
from ._pg_sql import Plan, Row, Rows, Sql

__all__ = [
    "MIGRATION_LOCK",
    "PROTOCOL_PLANS",
    "Plan",
    "Row",
    "Rows",
    "Sql",
    "begin_execution",
    "bind",
    "binding",
    "binding_for_order",
    "check_schema",
    "claim",
    "clear_failure",
    "confirm",
    "consume_status_write",
    "cursor",
    "decide",
    "decision",
    "due_executions",
    "due_retries",
    "execution",
    "executions",
    "fail_execution",
    "failure",
    "failures",
    "finish_execution",
    "forget_status_write",
    "last_sweep",
    "mark_handled",
    "migrate",
    "needs_look",
    "postpone_execution",
    "quarantine",
    "record_failure",
    "record_status_write",
    "record_sweep",
    "release_claim",
    "release_execution",
    "release_failure",
    "renew",
    "renew_execution",
    "save_cursor",
    "sweep_due",
    "update_binding",
]

# --- schema ----------------------------------------------------------------------------------


def _stored_version() -> Plan[tuple[str, int]]:
    """The ledger's schema name (``%(schema)s``, which every statement gets) and version."""
    rows = yield Sql(
        """SELECT %(schema)s::text, to_regclass(%(schema)s || '.schema_version') IS NOT NULL,
        (SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = %(schema)s)"""
    )
    name, has_version, tables = rows[0]
    if not has_version:
        if tables:
            raise LedgerSchemaError(
                f"schema {name!r} holds tables but no ledger schema: not a ledger's schema",
                found=0,
                supported=len(schema.MIGRATIONS),
            )
        return name, 0
    rows = yield Sql("SELECT version FROM {s}.schema_version")
    return name, int(rows[0][0]) if rows else 0


def check_schema() -> Plan[None]:
    """Raise :class:`~allegro_plenty.errors.LedgerSchemaError` unless the store is current."""
    name, found = yield from _stored_version()
    supported = len(schema.MIGRATIONS)
    if found != supported:
        raise rules.schema_error(f"ledger schema {name!r}", found, supported)


MIGRATION_LOCK = Sql(
    "SELECT pg_advisory_xact_lock(hashtextextended('allegro_plenty.ledger ' || %(schema)s, 0))"
)
"""Held until the migration's transaction ends: concurrent migrations of one
schema run one after the other, and the later ones find nothing left to do."""


def migrate() -> Plan[int]:
    """Apply every step the store has not seen; return the schema version."""
    yield MIGRATION_LOCK
    name, found = yield from _stored_version()
    steps: Sequence[Sequence[str]] = schema.MIGRATIONS
    if found > len(steps):
        raise rules.schema_error(f"ledger schema {name!r}", found, len(steps))
    if found == 0:
        yield Sql("CREATE SCHEMA IF NOT EXISTS {s}")
        yield Sql(
            """CREATE TABLE {s}.schema_version (
                one_row boolean PRIMARY KEY DEFAULT true CHECK (one_row),
                version integer NOT NULL)"""
        )
    for number in range(found + 1, len(steps) + 1):
        for statement in steps[number - 1]:
            yield Sql(statement)
        yield Sql(
            """INSERT INTO {s}.schema_version (version) VALUES (%(version)s)
            ON CONFLICT (one_row) DO UPDATE SET version = excluded.version""",
            {"version": number},
        )
    return len(steps)


PROTOCOL_PLANS: Mapping[str, Callable[..., Plan[Any]]] = {
    plan.__name__: plan
    for plan in (
        claim, renew, confirm, release_claim, bind, binding, binding_for_order, update_binding,
        decide, decision, needs_look, record_failure, quarantine, failure, clear_failure,
        due_retries, failures, release_failure, mark_handled, cursor, save_cursor, sweep_due,
        record_sweep, last_sweep, record_status_write, forget_status_write, consume_status_write,
        begin_execution, renew_execution, finish_execution, postpone_execution, fail_execution,
        execution, due_executions, executions, release_execution,
    )
}  # fmt: skip
"""Every protocol method but ``migrate`` and ``close``, by name (for the tests)."""
