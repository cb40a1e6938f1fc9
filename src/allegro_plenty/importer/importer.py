"""``OrderImporter`` and ``AsyncOrderImporter``: two thin drivers of one run plan.

Everything an import does is written once, as plans (:mod:`.run` and below);
these classes only hold the resources the plans call (each account's Allegro
client, the plenty client, the ledger) and drive them, blocking or awaited.
"""

from __future__ import annotations

import inspect
import os
import secrets
import socket
import time
from collections.abc import Callable, Coroutine, Iterable, Sequence
from typing import Any, Generic, TypeVar

from .._plan import AsyncDriver, InWorkerThreads, Plan, SyncDriver
from ..accounts import AllegroAccount
from ..allegro.client import AllegroClient, AsyncAllegroClient
from ..errors import ConfigurationError
from ..mapping import OrderMapper
from ..plenty.client import AsyncPlentyClient, PlentyClient
from ._state import AccountRun, Budget, Shared
from .result import ImportEntry, ImportResult
from .run import run_accounts
from .settings import ImportSettings

__all__ = ["AsyncOrderImporter", "OrderImporter", "default_owner"]

A = TypeVar("A", AllegroClient, AsyncAllegroClient)
P = TypeVar("P", PlentyClient, AsyncPlentyClient)
R = TypeVar("R")


def default_owner() -> str:
    """A worker id unique to this process: host, process id and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class _Importer(Generic[A, P, R]):
    """What both importers share: the constructor and :meth:`run`; they differ only in
    how they drive the run's plan (blocking, or as a coroutine to await).

    Args:
        plenty: The plentymarkets client.
        ledger: The import ledger (``SqliteLedger``, ``MemoryLedger``, your own;
            the async importer also takes an async ledger).
        accounts: Each Allegro account with the client acting for it.
        settings: How the importer runs.
        mapper: The mapper class (subclass :class:`~allegro_plenty.mapping.OrderMapper`
            to extend it); one instance per account's mapping configuration.
        on_progress: Called with each :class:`ImportEntry` as the run records it.
        owner: This worker's id in ledger claims (unique per worker; by default
            the host, the process id and a random part).
        clock: Monotonic seconds for ``deadline`` and ``duration`` (inject a
            test clock).
    """

    def __init__(
        self,
        *,
        plenty: P,
        ledger: Any,
        accounts: Sequence[tuple[AllegroAccount, A]],
        settings: ImportSettings | None = None,
        mapper: Callable[..., OrderMapper] = OrderMapper,
        on_progress: Callable[[ImportEntry], None] | None = None,
        owner: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings if settings is not None else ImportSettings()
        self.accounts = tuple(account for account, _ in _checked(accounts))
        self.settings.check_lease(plenty.timeout, "the plenty client")
        if owner is not None and (not isinstance(owner, str) or not owner.strip()):
            raise ConfigurationError(f"owner must be a non-empty string, got {owner!r}")
        self.owner = owner or default_owner()
        self.on_progress = on_progress
        self._clock = clock
        self._mappers = {account.key: mapper(account.mapping) for account in self.accounts}
        self._shared = Shared()
        self._resources: dict[str, object] = {"plenty": plenty, "ledger": self._ledger(ledger)}
        self._resources.update({f"allegro:{account.key}": client for account, client in accounts})

    def __repr__(self) -> str:
        keys = ", ".join(account.key for account in self.accounts)
        return f"{type(self).__name__}(accounts=[{keys}], owner={self.owner!r})"

    def _ledger(self, ledger: Any) -> object:
        return ledger

    def _drive(self, plan: Plan[ImportResult]) -> R:
        raise NotImplementedError

    def run(
        self,
        account: str | None = None,
        *,
        max_orders: int | None = None,
        deadline: float | None = None,
        dry_run: bool = False,
    ) -> R:
        """One pass over every account (or one): due retries, events, and the sweep when due.

        The blocking importer returns the :class:`ImportResult`; the async one a
        coroutine to await for it.

        Args:
            account: Only this account (its key).
            max_orders: Stop after working on this many forms (the next run goes on).
            deadline: Stop taking new forms after this many seconds.
            dry_run: Write nothing anywhere; report what would be done.

        Raises:
            ConfigurationError: An unknown account, a ``max_orders`` or ``deadline``
                out of range. Everything else that goes wrong is in the result.
        """
        return self._drive(self._plan(account, max_orders, deadline, dry_run))

    def _plan(
        self,
        account: str | None,
        max_orders: int | None,
        deadline: float | None,
        dry_run: bool,
    ) -> Plan[ImportResult]:
        if max_orders is not None and (isinstance(max_orders, bool) or max_orders < 1):
            raise ConfigurationError(f"max_orders must be a positive integer, got {max_orders!r}")
        if deadline is not None and not deadline > 0:
            raise ConfigurationError(
                f"deadline must be a positive number of seconds, got {deadline!r}"
            )
        chosen = [a for a in self.accounts if account is None or a.key == account]
        if not chosen:
            raise ConfigurationError(
                f"no account {account!r} (accounts: {[a.key for a in self.accounts]})"
            )
        result = ImportResult(dry_run=dry_run, on_entry=self.on_progress)
        ends_at = None if deadline is None else self._clock() + deadline
        budget = Budget(self._clock, max_orders, ends_at)
        runs = [
            AccountRun(
                account=chosen_account,
                mapper=self._mappers[chosen_account.key],
                settings=self.settings,
                result=result,
                shared=self._shared,
                budget=budget,
                owner=self.owner,
                dry_run=dry_run,
            )
            for chosen_account in chosen
        ]
        return run_accounts(runs, result, self._clock)


def _checked(
    accounts: Iterable[tuple[AllegroAccount, A]],
) -> list[tuple[AllegroAccount, A]]:
    pairs = list(accounts)
    if not pairs:
        raise ConfigurationError("the importer needs at least one (AllegroAccount, client) pair")
    for pair in pairs:
        if not (isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[0], AllegroAccount)):
            raise ConfigurationError(
                f"accounts must be (AllegroAccount, client) pairs, got {pair!r}"
            )
    keys = [account.key for account, _ in pairs]
    doubled = sorted({key for key in keys if keys.count(key) > 1})
    if doubled:
        raise ConfigurationError(f"accounts {doubled} are listed more than once")
    return pairs


class OrderImporter(_Importer[AllegroClient, PlentyClient, ImportResult]):
    """Imports eligible Allegro orders into plentymarkets exactly once (blocking).

    Call :meth:`run` from the host's scheduler; any number of workers (threads,
    processes, machines sharing the ledger) may run at the same time. See
    ``docs/importer.md``; the arguments are documented on the shared base.
    """

    def _drive(self, plan: Plan[ImportResult]) -> ImportResult:
        return SyncDriver(self._resources).drive(plan)


class AsyncOrderImporter(
    _Importer[AsyncAllegroClient, AsyncPlentyClient, Coroutine[Any, Any, ImportResult]]
):
    """:class:`OrderImporter` for asyncio: the same constructor, ``await importer.run()``.

    A sync ledger is served from worker threads, so no ledger call blocks the
    event loop; an async ledger (``AsyncLedger``, your own) is used as it is.
    """

    def _ledger(self, ledger: Any) -> object:
        if inspect.iscoroutinefunction(getattr(ledger, "claim", None)):
            return ledger
        return InWorkerThreads(ledger)

    def _drive(self, plan: Plan[ImportResult]) -> Coroutine[Any, Any, ImportResult]:
        return AsyncDriver(self._resources).drive(plan)
