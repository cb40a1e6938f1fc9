"""Ledgers for the tests: the contract's stores, an old-schema file, broken variants."""

from __future__ import annotations

import sqlite3
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
