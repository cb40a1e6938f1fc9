"""The SQLite ledger's schema, as an append-only list of migration steps.

Step *n* takes a file from schema version *n - 1* to *n*. A released step is
never edited: a later release appends a step (schema v2 added the procedures'
executions), and ``migrate()`` applies every step the file has not seen, each
in the same transaction as the version bump that records it.

Times are REAL seconds since the epoch on the ledger's clock; ``updated_at`` is
the form's ISO 8601 ``updatedAt``; cursor values are JSON text. The functions at the
end read a file's version and migrate it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

from ..errors import LedgerSchemaError

V1: Sequence[str] = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
    """CREATE TABLE bindings (
        account TEXT NOT NULL,
        form_id TEXT NOT NULL,
        plenty_order_id INTEGER NOT NULL,
        origin TEXT NOT NULL,
        revision TEXT,
        bound_at REAL NOT NULL,
        note TEXT,
        PRIMARY KEY (account, form_id)
    ) WITHOUT ROWID""",
    # The procedures go from a plentymarkets order to its form.
    "CREATE UNIQUE INDEX bindings_by_order ON bindings (plenty_order_id)",
    """CREATE TABLE binding_marks (
        account TEXT NOT NULL,
        form_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('paid', 'step')),
        mark TEXT NOT NULL,
        PRIMARY KEY (account, form_id, kind, mark)
    ) WITHOUT ROWID""",
    """CREATE TABLE claims (
        account TEXT NOT NULL,
        key TEXT NOT NULL,
        owner TEXT,
        epoch INTEGER NOT NULL,
        lease_until REAL NOT NULL,
        PRIMARY KEY (account, key)
    ) WITHOUT ROWID""",
    """CREATE TABLE decisions (
        account TEXT NOT NULL,
        form_id TEXT NOT NULL,
        reason TEXT NOT NULL,
        final INTEGER NOT NULL,
        revision TEXT,
        updated_at TEXT,
        fulfillment_status TEXT,
        fingerprint TEXT NOT NULL,
        decided_at REAL NOT NULL,
        PRIMARY KEY (account, form_id)
    ) WITHOUT ROWID""",
    """CREATE TABLE failures (
        account TEXT NOT NULL,
        form_id TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        last_error TEXT NOT NULL,
        next_retry_at REAL,
        quarantined INTEGER NOT NULL,
        quarantine_reason TEXT,
        first_failed_at REAL NOT NULL,
        last_failed_at REAL NOT NULL,
        PRIMARY KEY (account, form_id)
    ) WITHOUT ROWID""",
    "CREATE INDEX failures_due ON failures (account, next_retry_at) WHERE NOT quarantined",
    """CREATE TABLE cursors (
        account TEXT NOT NULL,
        name TEXT NOT NULL,
        value TEXT NOT NULL,
        version INTEGER NOT NULL,
        saved_at REAL NOT NULL,
        PRIMARY KEY (account, name)
    ) WITHOUT ROWID""",
    "CREATE TABLE sweeps (account TEXT PRIMARY KEY, swept_at REAL NOT NULL) WITHOUT ROWID",
    """CREATE TABLE status_writes (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        account TEXT NOT NULL,
        plenty_order_id INTEGER NOT NULL,
        status TEXT NOT NULL,
        recorded_at REAL NOT NULL
    )""",
    "CREATE INDEX status_writes_by_order ON status_writes (plenty_order_id, status, id)",
)

V2: Sequence[str] = (
    # The executions of event procedures, with the claim of the attempt under way
    # (owner, epoch, lease_until) in the same row: claiming is one read-then-write
    # under the write lock. ``data`` is JSON text.
    """CREATE TABLE executions (
        account TEXT NOT NULL,
        procedure TEXT NOT NULL,
        plenty_order_id INTEGER NOT NULL,
        subject TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'skipped', 'failed')),
        reason TEXT,
        last_error TEXT,
        attempts INTEGER NOT NULL,
        next_retry_at REAL,
        quarantined INTEGER NOT NULL,
        data TEXT NOT NULL,
        owner TEXT,
        epoch INTEGER NOT NULL,
        lease_until REAL NOT NULL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        PRIMARY KEY (account, procedure, plenty_order_id, subject)
    ) WITHOUT ROWID""",
    """CREATE INDEX executions_due ON executions (account, next_retry_at)
        WHERE state IN ('pending', 'failed') AND NOT quarantined""",
    "CREATE INDEX executions_by_order ON executions (plenty_order_id)",
)

MIGRATIONS: list[Sequence[str]] = [V1, V2]
"""Step ``MIGRATIONS[n - 1]`` brings a file to schema version ``n``. Append only."""


# --- reading the version and migrating -----------------------------------------------


def schema_error(path: Path, found: int, supported: int) -> LedgerSchemaError:
    """The error for a file at schema ``found`` when this release needs ``supported``."""
    if found > supported:
        problem = f"is at schema version {found}, newer than this release's {supported}"
    else:
        problem = f"is at schema version {found}; this release needs {supported}: call migrate()"
    return LedgerSchemaError(f"ledger {path} {problem}", found=found, supported=supported)


def stored_version(con: sqlite3.Connection) -> int:
    """The file's schema version: 0 for an empty file; refuses a file that is not a ledger."""
    tables = {row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "meta" not in tables:
        if tables - {"sqlite_sequence"}:
            raise LedgerSchemaError(
                f"{con_path(con)} holds tables but no ledger schema: not a ledger file",
                found=0,
                supported=len(MIGRATIONS),
            )
        return 0
    row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def con_path(con: sqlite3.Connection) -> str:
    """The file a connection has open (for messages)."""
    row = con.execute("PRAGMA database_list").fetchone()
    return str(row[2]) if row else "the database"


def apply_migrations(con: sqlite3.Connection) -> int:
    """Apply every step the file has not seen (in the caller's transaction); the new version."""
    found = stored_version(con)
    steps: Sequence[Sequence[str]] = MIGRATIONS
    if found > len(steps):
        raise schema_error(Path(con_path(con)), found, len(steps))
    for number in range(found + 1, len(steps) + 1):
        for statement in steps[number - 1]:
            con.execute(statement)
        con.execute(
            """INSERT INTO meta (key, value) VALUES ('schema_version', ?)
            ON CONFLICT (key) DO UPDATE SET value = excluded.value""",
            (str(number),),
        )
    return len(steps)
