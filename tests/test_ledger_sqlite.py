"""What only the SQLite ledger has: a file, a schema, locks, processes and forks."""

from __future__ import annotations

import functools
import gc
import multiprocessing
import os
import sqlite3
import threading
import time
import warnings
from pathlib import Path

import pytest

from allegro_plenty.errors import (
    LedgerBusyError,
    LedgerError,
    LedgerInputError,
    LedgerSchemaError,
    LedgerStorageError,
)
from allegro_plenty.ledger import BindingOrigin, SqliteLedger
from allegro_plenty.ledger import _sqlite_schema as schema
from allegro_plenty.testing._ledger_race import claim_every_key, race
from allegro_plenty.testing.ledger_contract import check_legacy_records

from .ledger_broken import WithoutBusyRetry
from .ledger_support import FIXTURES, execute, rows, sqlite_file_from_dump


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "ledger.db"


def _hold_write_lock(path: Path, seconds: float, held: threading.Event) -> None:
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("BEGIN IMMEDIATE")
        held.set()
        time.sleep(seconds)
        con.execute("COMMIT")
    finally:
        con.close()


def _while_locked(path: Path, seconds: float) -> threading.Thread:
    held = threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(path, seconds, held))
    holder.start()
    assert held.wait(5)
    return holder


# --- the file ------------------------------------------------------------------------------


def test_the_file_is_in_wal_mode_and_at_the_current_schema(path: Path) -> None:
    ledger = SqliteLedger(path)
    ledger.bind("seller", "form-1", 1, origin=BindingOrigin.CREATED)  # first use migrates
    ledger.close()
    assert rows(path, "PRAGMA journal_mode") == [("wal",)]
    version = rows(path, "SELECT value FROM meta WHERE key = 'schema_version'")
    assert version == [(str(len(schema.MIGRATIONS)),)]


@pytest.mark.parametrize("where", ["", ":memory:", "file:ledger?mode=memory"])
def test_a_path_that_is_not_a_file_is_refused(where: str) -> None:
    with pytest.raises(LedgerInputError, match="file path"):
        SqliteLedger(where)


def test_a_missing_folder_is_a_storage_error_naming_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder" / "ledger.db"
    with pytest.raises(LedgerStorageError, match="no-such-folder") as failed:
        SqliteLedger(missing).migrate()
    assert failed.value.location == str(missing)


def test_a_file_that_is_not_a_database_is_a_storage_error(path: Path) -> None:
    path.write_bytes(b"this is not SQLite " * 100)
    with pytest.raises(LedgerStorageError, match="not a database"):
        SqliteLedger(path).migrate()


def test_a_database_of_something_else_is_not_taken_over(path: Path) -> None:
    execute(path, "CREATE TABLE invoices (id INTEGER)")
    with pytest.raises(LedgerSchemaError, match="not a ledger file"):
        SqliteLedger(path).binding("seller", "form-1")


def test_a_full_disk_is_a_storage_error_and_nothing_is_half_written(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = SqliteLedger(path)
    ledger.migrate()
    ledger.close()
    connect = sqlite3.connect

    def full_disk(*args: object, **kwargs: object) -> sqlite3.Connection:
        con = connect(*args, **kwargs)  # type: ignore[arg-type]
        pages = con.execute("PRAGMA page_count").fetchone()[0]
        con.execute(f"PRAGMA max_page_count = {pages}")
        return con

    monkeypatch.setattr(sqlite3, "connect", full_disk)
    ledger = SqliteLedger(path)

    def fill() -> None:
        for n in range(1, 10_000):
            ledger.bind("seller", f"form-{n}-" + "x" * 500, n, origin=BindingOrigin.CREATED)

    with pytest.raises(LedgerStorageError, match="full") as failed:
        fill()
    assert failed.value.location == str(path)
    monkeypatch.undo()
    ledger.close()
    reopened = SqliteLedger(path)
    [(stored,)] = rows(path, "SELECT count(*) FROM bindings")
    assert isinstance(stored, int)
    assert reopened.binding_for_order(stored) is not None
    assert reopened.binding_for_order(stored + 1) is None
    reopened.close()


def test_a_closed_ledger_says_so(path: Path) -> None:
    ledger = SqliteLedger(path)
    ledger.migrate()
    ledger.close()
    with pytest.raises(LedgerError, match=r"SqliteLedger\(.*\) is closed") as closed:
        ledger.binding("seller", "form-1")
    assert type(closed.value) is LedgerError


# --- the schema ----------------------------------------------------------------------------


def test_a_file_from_a_newer_release_is_refused(path: Path) -> None:
    SqliteLedger(path).migrate()
    execute(path, "UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    for ledger in (SqliteLedger(path), SqliteLedger(path, auto_migrate=False)):
        with pytest.raises(LedgerSchemaError, match="newer") as refused:
            ledger.binding("seller", "form-1")
        assert (refused.value.found, refused.value.supported) == (99, len(schema.MIGRATIONS))
        with pytest.raises(LedgerSchemaError):
            ledger.migrate()


def test_without_auto_migrate_an_old_file_waits_for_migrate(tmp_path: Path) -> None:
    ledger = SqliteLedger(tmp_path / "new.db", auto_migrate=False)
    with pytest.raises(LedgerSchemaError, match=r"call migrate\(\)") as waiting:
        ledger.binding("seller", "form-1")
    assert waiting.value.found == 0
    assert ledger.migrate() == len(schema.MIGRATIONS)
    assert ledger.binding("seller", "form-1") is None


def test_the_v1_file_opens_with_auto_migrate(tmp_path: Path) -> None:
    old = sqlite_file_from_dump(FIXTURES / "sqlite_v1.sql", tmp_path / "v1.db")
    check_legacy_records(SqliteLedger(old))


def test_a_v1_file_migrates_in_place_to_the_executions_schema(tmp_path: Path) -> None:
    old = sqlite_file_from_dump(FIXTURES / "sqlite_v1.sql", tmp_path / "v1.db")
    ledger = SqliteLedger(old, auto_migrate=False)
    with pytest.raises(LedgerSchemaError, match="version 1; this release needs 2"):
        ledger.binding_for_order(9001)
    assert ledger.migrate() == 2
    assert ledger.migrate() == 2
    check_legacy_records(ledger)
    ledger.close()
    assert rows(old, "SELECT value FROM meta WHERE key = 'schema_version'") == [("2",)]
    assert rows(old, "SELECT count(*) FROM executions") == [(1,)]


LATER_STEP = (
    """CREATE TABLE later_things (
        account TEXT NOT NULL, thing TEXT NOT NULL, PRIMARY KEY (account, thing)
    ) WITHOUT ROWID""",
)


def test_a_v1_file_migrates_in_place_when_a_release_appends_a_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = sqlite_file_from_dump(FIXTURES / "sqlite_v1.sql", tmp_path / "v1.db")
    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, LATER_STEP])
    ledger = SqliteLedger(old, auto_migrate=False)
    with pytest.raises(LedgerSchemaError, match="version 1; this release needs 3"):
        ledger.binding_for_order(9001)
    assert ledger.migrate() == 3
    assert ledger.migrate() == 3
    check_legacy_records(ledger)
    ledger.close()
    assert rows(old, "SELECT value FROM meta WHERE key = 'schema_version'") == [("3",)]
    assert rows(old, "SELECT count(*) FROM later_things") == [(0,)]


def test_a_failing_migration_step_leaves_the_file_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = sqlite_file_from_dump(FIXTURES / "sqlite_v1.sql", tmp_path / "v1.db")
    broken_step = (*LATER_STEP, "ALTER TABLE no_such_table ADD COLUMN x TEXT")
    current = list(schema.MIGRATIONS)
    monkeypatch.setattr(schema, "MIGRATIONS", [*current, broken_step])
    with pytest.raises(LedgerStorageError, match="no_such_table"):
        SqliteLedger(old).migrate()
    # The steps before the broken one commit with it or not at all: still version 1.
    assert rows(old, "SELECT value FROM meta WHERE key = 'schema_version'") == [("1",)]
    tables = rows(old, "SELECT name FROM sqlite_master")
    assert ("later_things",) not in tables
    assert ("executions",) not in tables
    monkeypatch.setattr(schema, "MIGRATIONS", [*current, LATER_STEP])
    ledger = SqliteLedger(old)
    assert ledger.migrate() == 3
    check_legacy_records(ledger)


def test_threads_migrating_one_new_file_at_once_all_succeed(path: Path) -> None:
    def migrate_own_handle(_: object, worker: str) -> int:
        ledger = SqliteLedger(path)  # a handle of its own, as each worker process has
        try:
            return ledger.migrate()
        finally:
            ledger.close()

    outcome = race(migrate_own_handle, threads=6, ledger=SqliteLedger(path))
    assert outcome.errors == []
    assert outcome.results == [len(schema.MIGRATIONS)] * 6


# --- locks ---------------------------------------------------------------------------------


def test_a_writer_waits_for_a_lock_held_briefly(path: Path) -> None:
    ledger = SqliteLedger(path, busy_timeout=10)
    ledger.migrate()
    holder = _while_locked(path, 1.5)  # longer than SQLite's own busy wait of 1 s
    started = time.monotonic()
    claim = ledger.claim("seller", "form-1", "worker", lease=60)
    waited = time.monotonic() - started
    holder.join()
    assert claim is not None
    assert waited >= 1.0


def test_a_lock_held_past_the_busy_timeout_is_a_typed_error_and_writes_nothing(
    path: Path,
) -> None:
    ledger = SqliteLedger(path, busy_timeout=0.3)
    ledger.migrate()
    holder = _while_locked(path, 1.5)
    try:
        with pytest.raises(LedgerBusyError, match=r"stayed locked .* nothing was written"):
            ledger.bind("seller", "form-1", 1, origin=BindingOrigin.CREATED)
    finally:
        holder.join()
    assert ledger.binding("seller", "form-1") is None


@pytest.mark.slow
def test_without_the_busy_retry_database_is_locked_escapes(path: Path) -> None:
    """Negative control of the stress test: the same race, retries removed."""
    SqliteLedger(path, synchronous="NORMAL").migrate()
    keys = [f"form-{n}" for n in range(30)]
    work = functools.partial(claim_every_key, account="seller", keys=keys, lease=3600)
    opener = functools.partial(WithoutBusyRetry, path)
    outcome = race(work, threads=3, processes=4, opener=opener)
    assert any("database is locked" in error for error in outcome.errors), outcome.errors[:3]


# --- fork ----------------------------------------------------------------------------------


def _use_after_fork(ledger: SqliteLedger) -> None:
    claim = ledger.claim("seller", "form-child", "child", lease=60)
    assert claim is not None
    ledger.bind("seller", "form-child", 2, origin=BindingOrigin.CREATED)
    ledger.release_claim(claim)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_a_forked_child_uses_the_ledger_through_its_own_connection(path: Path) -> None:
    ledger = SqliteLedger(path)
    ledger.bind("seller", "form-parent", 1, origin=BindingOrigin.CREATED)
    with warnings.catch_warnings():
        # Python 3.12+ warns about fork in a process with threads; this is the case tested.
        warnings.simplefilter("ignore", DeprecationWarning)
        child = multiprocessing.get_context("fork").Process(target=_use_after_fork, args=(ledger,))
        child.start()
    child.join(30)
    assert child.exitcode == 0
    assert ledger.binding_for_order(2) is not None
    assert ledger.claim("seller", "form-child", "parent", lease=60) is not None
    ledger.close()


def test_a_ledger_dropped_without_close_closes_its_connections(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[sqlite3.Connection] = []
    connect = sqlite3.connect

    def recording(*args: object, **kwargs: object) -> sqlite3.Connection:
        con = connect(*args, **kwargs)  # type: ignore[arg-type]
        opened.append(con)
        return con

    monkeypatch.setattr(sqlite3, "connect", recording)
    ledger = SqliteLedger(path)
    used = race(lambda led, worker: led.binding("seller", worker), threads=4, ledger=ledger)
    assert used.errors == []
    assert len(opened) == 4
    del ledger, used
    gc.collect()
    for con in opened:
        with pytest.raises(sqlite3.ProgrammingError, match="closed"):
            con.execute("SELECT 1")
