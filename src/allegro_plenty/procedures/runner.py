"""``ProcedureRunner`` and ``AsyncProcedureRunner``: thin drivers of the dispatch plans.

Both are built the same way and run the same plans (:mod:`.dispatch`); the sync
runner calls the clients and the ledger, the async one awaits them. A sync
ledger given to the async runner is served from worker threads.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from typing import Generic, TypeVar

from .._plan import AsyncDriver, InWorkerThreads, SyncDriver
from ..accounts import AllegroAccount
from ..allegro import AllegroClient, AsyncAllegroClient
from ..errors import ConfigurationError
from ..ledger import AsyncImportLedger, ImportLedger
from ..plenty import AsyncPlentyClient, PlentyClient
from . import dispatch as plans
from .config import ProcedureConfig, ProcedureSettings
from .dispatch import Dispatch, DispatchSetup, allegro_resource
from .outcome import ProcedureOutcome, ProcedureReport
from .registry import ProcedureRegistry

__all__ = ["AsyncProcedureRunner", "ProcedureRunner"]

ClientT = TypeVar("ClientT", AllegroClient, AsyncAllegroClient)
PlentyT = TypeVar("PlentyT", PlentyClient, AsyncPlentyClient)
LedgerT = TypeVar("LedgerT", ImportLedger, ImportLedger | AsyncImportLedger)
DriverT = TypeVar("DriverT", SyncDriver, AsyncDriver)

DispatchLike = Dispatch | tuple[str, int] | tuple[str, int, str]


class _RunnerBase(Generic[PlentyT, ClientT, LedgerT, DriverT]):
    """The constructor both runners share; arguments are documented on :class:`ProcedureRunner`."""

    _driver_kind: type[DriverT]

    def __init__(
        self,
        *,
        plenty: PlentyT,
        ledger: LedgerT,
        accounts: Iterable[tuple[AllegroAccount | str, ClientT]],
        registry: ProcedureRegistry | None = None,
        config: ProcedureConfig | None = None,
        settings: ProcedureSettings | None = None,
    ) -> None:
        if registry is None:
            from .builtins import builtin_registry

            registry = builtin_registry()
        clients: dict[str, object] = {}
        for account, client in accounts:
            key = account.key if isinstance(account, AllegroAccount) else account
            if not isinstance(key, str) or not key.strip():
                raise ConfigurationError(f"an account is its seller id (a string), got {key!r}")
            if key in clients:
                raise ConfigurationError(f"account {key!r} is given twice")
            clients[allegro_resource(key)] = client
        if not clients:
            raise ConfigurationError("a procedure runner needs at least one Allegro account")
        self.registry = registry
        self.setup = DispatchSetup(
            registry,
            tuple(name.removeprefix("allegro:") for name in clients),
            config or ProcedureConfig(),
            settings or ProcedureSettings(),
        )
        self.resources = {"plenty": plenty, "ledger": self._ledger(ledger), **clients}
        self._driver: DriverT = self._driver_kind(self.resources)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(accounts={list(self.setup.accounts)}, {self.registry!r})"

    def _ledger(self, ledger: LedgerT) -> object:
        return ledger


class ProcedureRunner(_RunnerBase[PlentyClient, AllegroClient, ImportLedger, SyncDriver]):
    """Runs event procedures (blocking).

    Args:
        plenty: The plentymarkets client.
        ledger: The ledger (executions, and the importer's bindings and referrers).
        accounts: ``(account, client)`` pairs: an
            :class:`~allegro_plenty.accounts.AllegroAccount` or a seller id, with
            that account's :class:`~allegro_plenty.AllegroClient`.
        registry: The procedures; the built-ins by default.
        config: Carrier map, refund reasons and the other maps.
        settings: Leases and retries.
    """

    _driver_kind = SyncDriver

    def dispatch(
        self, key: str, plenty_order_id: int, subject: str | None = None
    ) -> ProcedureOutcome:
        """Run procedure ``key`` on a plentymarkets order (a sales order, or a delivery
        or return order of one); ``subject`` limits it to one execution.

        Raises:
            UnknownProcedureError: No procedure has that key.
            NotFromAllegroError: The order is not an Allegro order (nothing was sent).
        """
        return self._driver.drive(plans.dispatch(self.setup, key, plenty_order_id, subject))

    def dispatch_many(self, dispatches: Iterable[DispatchLike]) -> ProcedureReport:
        """Run a batch; a dispatch that fails before running lands in ``report.failures``."""
        return self._driver.drive(plans.dispatch_many(self.setup, dispatches))

    def retry_due(self, *, account: str | None = None, limit: int = 100) -> ProcedureReport:
        """Run again every execution due (failed, waiting on Allegro, or left by a dead worker)."""
        return self._driver.drive(plans.retry_due(self.setup, account, limit))


class AsyncProcedureRunner(
    _RunnerBase[
        AsyncPlentyClient, AsyncAllegroClient, ImportLedger | AsyncImportLedger, AsyncDriver
    ]
):
    """Runs event procedures under asyncio; see :class:`ProcedureRunner`.

    ``ledger`` may be async (``AsyncLedger``, ``AsyncPostgresLedger``) or sync;
    a sync one is called from worker threads, never on the event loop.
    """

    _driver_kind = AsyncDriver

    def _ledger(self, ledger: ImportLedger | AsyncImportLedger) -> object:
        native = inspect.iscoroutinefunction(getattr(ledger, "begin_execution", None))
        return ledger if native else InWorkerThreads(ledger)

    async def dispatch(
        self, key: str, plenty_order_id: int, subject: str | None = None
    ) -> ProcedureOutcome:
        """See :meth:`ProcedureRunner.dispatch`."""
        return await self._driver.drive(plans.dispatch(self.setup, key, plenty_order_id, subject))

    async def dispatch_many(self, dispatches: Iterable[DispatchLike]) -> ProcedureReport:
        """See :meth:`ProcedureRunner.dispatch_many`."""
        return await self._driver.drive(plans.dispatch_many(self.setup, dispatches))

    async def retry_due(self, *, account: str | None = None, limit: int = 100) -> ProcedureReport:
        """See :meth:`ProcedureRunner.retry_due`."""
        return await self._driver.drive(plans.retry_due(self.setup, account, limit))
