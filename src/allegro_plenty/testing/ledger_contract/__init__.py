"""The ledger contract suite: what every import ledger must do, as pytest tests.

Subclass :class:`LedgerContract` in a test module and give it a ``make_ledger``
fixture; pytest then runs every case against your ledger, sync and async (the
async cases drive :class:`~allegro_plenty.ledger.AsyncLedger` over it, or your
own async ledger if you override ``make_async_ledger``)::

    import functools
    import pytest
    from allegro_plenty.testing.ledger_contract import LedgerContract

    class TestMyLedger(LedgerContract):
        processes = True  # separate processes can open one store

        @pytest.fixture
        def make_ledger(self, tmp_path):
            return functools.partial(MyLedger, tmp_path / "ledger.db")

This module imports pytest; the rest of the library never imports it.
"""

from __future__ import annotations

from ._bindings import _BindingCases
from ._claims import _ClaimCases
from ._executions import _ExecutionCases
from ._failures import _FailureCases
from ._legacy import LEGACY_ACCOUNT, check_legacy_records, write_legacy_records
from ._store import _StoreCases

__all__ = [
    "LEGACY_ACCOUNT",
    "LedgerContract",
    "check_legacy_records",
    "write_legacy_records",
]


# The cases live in private modules by concern. pytest collects a class's bases from the
# last to the first: listed this way, the cases run claims first, as they are written.
class LedgerContract(_StoreCases, _ExecutionCases, _FailureCases, _BindingCases, _ClaimCases):
    """The cases every ledger must pass. Subclass it and provide ``make_ledger``.

    Attributes:
        processes: Whether separate processes can open one store (``False``
            skips the cases that race processes).
    """
