"""PostgreSQL ledgers for the tests: picklable openers on one test's schema."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from allegro_plenty.ledger.postgres import AsyncPostgresLedger, PostgresLedger

LEGACY_DUMP = Path(__file__).parent / "fixtures" / "ledger" / "postgres_v1.sql"
LEGACY_SCHEMA = "legacy_schema"  # the schema name in the dump, replaced when it is loaded


class Shift:
    """How far a test clock has moved since the ledger was opened: the ledger adds it
    to the database's clock, so the contract's cases move the database's time."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock, self.start = clock, clock()

    def __call__(self) -> float:
        return self.clock() - self.start


def _shift(clock: Callable[[], float]) -> Shift | None:
    return None if clock is time.time else Shift(clock)


def open_ledger(
    dsn: str, schema: str, *, clock: Callable[[], float] = time.time, **options: object
) -> PostgresLedger:
    """A sync ledger on ``schema``; a test clock moves the database's time with it."""
    return PostgresLedger(dsn, schema=schema, time_shift=_shift(clock), **options)  # type: ignore[arg-type]


def open_async_ledger(
    dsn: str, schema: str, *, clock: Callable[[], float] = time.time, **options: object
) -> AsyncPostgresLedger:
    """The async ledger on ``schema``."""
    return AsyncPostgresLedger(dsn, schema=schema, time_shift=_shift(clock), **options)  # type: ignore[arg-type]


def load_legacy_dump(dsn: str, schema: str) -> None:
    """Make ``schema`` a copy of the v1 store kept in ``fixtures/ledger/postgres_v1.sql``."""
    import psycopg

    text = LEGACY_DUMP.read_text(encoding="utf-8").replace(LEGACY_SCHEMA, schema)
    with psycopg.connect(dsn, autocommit=True) as con:
        con.execute(text.encode())
