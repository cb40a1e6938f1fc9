"""The import ledger: which Allegro form became which plentymarkets order, who works on
what right now, what was decided and why, what failed and when to try again, and
which event procedure ran on which order and subject (the executions, schema v2).

The importer and the procedures stand on it; it imports neither, nor any client.
:class:`SqliteLedger` (one file, many threads and processes on one machine) is the
default, :class:`MemoryLedger` serves tests, :class:`~allegro_plenty.ledger.postgres.PostgresLedger`
(the ``postgres`` extra, imported from its own module) serves many machines, and a
host may bring its own store by implementing :class:`ImportLedger` (checked by the
contract suite in :mod:`allegro_plenty.testing.ledger_contract`). :class:`AsyncLedger` serves any of
them to asyncio from a worker thread. See ``docs/ledger.md``.
"""

from .aio import AsyncLedger
from .memory import MemoryLedger
from .protocol import AsyncImportLedger, ImportLedger
from .records import (
    JSON,
    Binding,
    BindingOrigin,
    Claim,
    Cursor,
    Decision,
    Execution,
    ExecutionBlock,
    ExecutionClaim,
    ExecutionStart,
    ExecutionState,
    Failure,
    FormVersion,
    StatusWrite,
)
from .sqlite import SqliteLedger

__all__ = [
    "JSON",
    "AsyncImportLedger",
    "AsyncLedger",
    "Binding",
    "BindingOrigin",
    "Claim",
    "Cursor",
    "Decision",
    "Execution",
    "ExecutionBlock",
    "ExecutionClaim",
    "ExecutionStart",
    "ExecutionState",
    "Failure",
    "FormVersion",
    "ImportLedger",
    "MemoryLedger",
    "SqliteLedger",
    "StatusWrite",
]
