"""The ledger contract suite against PostgreSQL: sync, natively async, threads and processes."""

from __future__ import annotations

import functools

import pytest

from allegro_plenty.ledger import ImportLedger
from allegro_plenty.testing.ledger_contract import LedgerContract

from .pg_ledgers import load_legacy_dump, open_async_ledger, open_ledger
from .pg_server import Postgres


class TestPostgresLedger(LedgerContract):
    processes = True

    @pytest.fixture
    def make_ledger(self, postgres: Postgres, pg_schema: str) -> functools.partial[ImportLedger]:
        return functools.partial(open_ledger, postgres.dsn, pg_schema)

    @pytest.fixture
    def make_async_ledger(self, postgres: Postgres, pg_schema: str) -> functools.partial[object]:
        return functools.partial(open_async_ledger, postgres.dsn, pg_schema)

    @pytest.fixture
    def legacy_ledger(self, postgres: Postgres, pg_schema: str) -> ImportLedger:
        load_legacy_dump(postgres.dsn, pg_schema)
        return open_ledger(postgres.dsn, pg_schema)
