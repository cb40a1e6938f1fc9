"""Ledgers for the tests: the contract's stores, an old-schema file, broken variants."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures" / "ledger"


def sqlite_file_from_dump(dump: Path, target: Path) -> Path:
    """Make a SQLite file from a text dump (how the old-schema fixtures are kept)."""
    con = sqlite3.connect(target)
    try:
        con.executescript(dump.read_text(encoding="utf-8"))
    finally:
        con.close()
    return target


def rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    """Read a ledger file directly, as an operator's SQLite shell would."""
    with closing(sqlite3.connect(path)) as con:
        return con.execute(sql).fetchall()


def execute(path: Path, sql: str) -> None:
    """Change a ledger file directly (to make it older, newer or foreign)."""
    with closing(sqlite3.connect(path)) as con:
        con.execute(sql)
        con.commit()
