"""Ledgers for the tests: the contract's stores, an old-schema file, broken variants."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Coroutine
from contextlib import closing
from pathlib import Path
from typing import Any

from allegro_plenty.ledger import ImportLedger

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


class LedgerOnTheLoop:
    """The mistake the async adapters prevent: sync ledger calls made on the event loop
    (awaited as if the ledger were async)."""

    def __init__(self, ledger: ImportLedger) -> None:
        self.ledger = ledger

    def __getattr__(self, name: str) -> Callable[..., Coroutine[Any, Any, Any]]:
        method = getattr(self.ledger, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            return method(*args, **kwargs)

        return call
