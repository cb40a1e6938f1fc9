"""The ledger contract suite against the two ledgers this library ships."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from allegro_plenty.ledger import ImportLedger, MemoryLedger, SqliteLedger
from allegro_plenty.testing.ledger_contract import LedgerContract

from .ledger_support import FIXTURES, sqlite_file_from_dump


class TestMemoryLedger(LedgerContract):
    @pytest.fixture
    def make_ledger(self) -> functools.partial[MemoryLedger]:
        return functools.partial(MemoryLedger)


class TestSqliteLedger(LedgerContract):
    processes = True

    @pytest.fixture
    def make_ledger(self, tmp_path: Path) -> functools.partial[SqliteLedger]:
        return functools.partial(SqliteLedger, tmp_path / "ledger.db")

    @pytest.fixture
    def legacy_ledger(self, tmp_path: Path) -> ImportLedger:
        old = sqlite_file_from_dump(FIXTURES / "sqlite_v1.sql", tmp_path / "v1.db")
        return SqliteLedger(old, auto_migrate=False)
