"""What every client of this library shares: defaults, the HTTP client, the engine, the plan driver.

A client's logic lives in plans (see :mod:`._plan`) and operations (see
:mod:`._http.operation`). :class:`SyncConnection` and :class:`AsyncConnection`
own the I/O: an httpx client, an engine that sends operations, and a driver
that runs plans with the resources they name:

* ``"http"``: the engine (``run(operation)``);
* ``"locks"``: per-key locks for caches (:mod:`._cache`);
* ``"sleep"``: the sleep function (``__call__(seconds)``).

The Allegro and plentymarkets clients and the OAuth helpers are built on them,
so they share one User-Agent, one timeout default and one way of closing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from datetime import datetime
from typing import Any, Generic, TypeVar

import attrs
import cattrs
import httpx

from ._cache import LOCKS, TaskLocks, ThreadLocks
from ._http.auth import AsyncTokenAuth, Renew, StaticTokenAuth, SyncTokenAuth, settle_renewals
from ._http.engine import AsyncEngine, EngineConfig, Service, SyncEngine
from ._http.operation import Operation
from ._http.retry import RetryEvent, RetryPolicy
from ._plan import AsyncDriver, Call, Plan, SyncDriver, Walk
from ._version import __version__
from .tokens import TokenStore

__all__ = [
    "DEFAULT_TIMEOUT",
    "HTTP",
    "USER_AGENT",
    "AsyncConnection",
    "AsyncSender",
    "Connection",
    "HttpSettings",
    "SyncConnection",
    "SyncSender",
    "run",
    "sleep",
]

T = TypeVar("T")
P = TypeVar("P")
S = TypeVar("S")
HttpT = TypeVar("HttpT")
TransportT = TypeVar("TransportT")
SleepT = TypeVar("SleepT")

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
"""Every client's and OAuth helper's timeouts unless given others."""
USER_AGENT = f"allegro-plenty/{__version__} (+https://pypi.org/project/allegro-plenty/)"
"""The User-Agent of every request the library sends."""

HTTP = "http"
"""The resource name plans use for the engine."""


def run(operation: Operation[T]) -> Plan[T]:
    """A plan sending one operation through the client's engine."""
    return (yield Call(HTTP, "run", (operation,)))  # type: ignore[no-any-return]


def sleep(seconds: float) -> Plan[None]:
    """A plan waiting ``seconds`` with the client's (injectable) sleep."""
    yield Call("sleep", "__call__", (seconds,))


@attrs.frozen
class HttpSettings:
    """How a client talks HTTP, the same for every client and OAuth helper.

    Attributes:
        timeout: Timeouts of an httpx client the library creates.
        retry: The retry policy (each endpoint's retry class still applies).
        on_retry: Called before every retry (for metrics).
        user_agent: Sent with every request.
    """

    retry: RetryPolicy
    timeout: httpx.Timeout = DEFAULT_TIMEOUT
    on_retry: Callable[[RetryEvent], None] | None = None
    user_agent: str = USER_AGENT

    def engine_config(
        self,
        service: Service,
        base_url: str,
        converter: cattrs.Converter,
        headers: Mapping[str, str] = {},
    ) -> EngineConfig:
        """The engine's configuration with these settings."""
        return EngineConfig(
            service=service,
            base_url=base_url,
            converter=converter,
            retry=self.retry,
            headers={**headers, "User-Agent": self.user_agent},
            on_retry=self.on_retry,
        )


@attrs.frozen
class _Kind:
    """The classes one I/O half is made of; the only place sync and async differ."""

    http: Callable[..., Any]
    engine: Callable[..., Any]
    driver: Callable[[Mapping[str, object]], Any]
    locks: Callable[[], object]
    token_auth: Callable[..., Any]
    sleep: Callable[[float], Any]


_SYNC = _Kind(httpx.Client, SyncEngine, SyncDriver, ThreadLocks, SyncTokenAuth, time.sleep)
_ASYNC = _Kind(
    httpx.AsyncClient, AsyncEngine, AsyncDriver, TaskLocks, AsyncTokenAuth, asyncio.sleep
)


class Connection(Generic[HttpT, TransportT, SleepT]):
    """A client's I/O: an httpx client, an engine, a plan driver; set up once for both halves.

    ``HttpT``, ``TransportT`` and ``SleepT`` are the httpx client, transport
    and sleep function types of the sync or async half, so one constructor,
    written once per client in its shared base class, is typed right for both.
    """

    _kind: _Kind
    _http: Any
    _engine: Any
    _driver: Any

    def _connect(
        self,
        config: EngineConfig,
        settings: HttpSettings,
        *,
        http_client: HttpT | None,
        transport: TransportT | None,
        sleep: SleepT | None,
    ) -> None:
        kind = self._kind
        self._owns_http = http_client is None
        self._http = http_client or kind.http(transport=transport, timeout=settings.timeout)
        self._engine = kind.engine(config, self._http, None, sleep=sleep or kind.sleep)
        self._driver = kind.driver(
            {HTTP: self._engine, LOCKS: kind.locks(), "sleep": self._engine.sleep}
        )

    @property
    def timeout(self) -> httpx.Timeout:
        """The HTTP client's timeouts: how long one attempt of a call can take."""
        timeout: httpx.Timeout = self._http.timeout
        return timeout

    def _use_token(self, access_token: str) -> None:
        """Send ``access_token`` as given, never renewing it."""
        self._engine.auth = StaticTokenAuth(access_token)

    def _use_token_store(
        self, store: TokenStore, service: str, key: str, renew: Renew, clock: Callable[[], datetime]
    ) -> None:
        """Keep the token in ``store``; renew it with the ``renew`` plan under the store's lock."""
        resources = self._driver.resources
        self._engine.auth = self._kind.token_auth(
            store, service, key, renew, resources=resources, clock=clock
        )


class SyncConnection(Connection[httpx.Client, httpx.BaseTransport, Callable[[float], None]]):
    """The blocking I/O of a client: an ``httpx.Client``, an engine, a plan driver."""

    _kind = _SYNC
    _http: httpx.Client
    _engine: SyncEngine
    _driver: SyncDriver

    def _drive(self, plan: Plan[T]) -> T:
        return self._driver.drive(plan)

    def close(self) -> None:
        """Close the HTTP client if this object created it."""
        if self._owns_http:
            self._http.close()

    def __enter__(self: S) -> S:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncConnection(
    Connection[httpx.AsyncClient, httpx.AsyncBaseTransport, Callable[[float], Awaitable[None]]]
):
    """The async I/O of a client: an ``httpx.AsyncClient``, an engine, a plan driver."""

    _kind = _ASYNC
    _http: httpx.AsyncClient
    _engine: AsyncEngine
    _driver: AsyncDriver

    async def _drive(self, plan: Plan[T]) -> T:
        return await self._driver.drive(plan)

    async def aclose(self) -> None:
        """Close the HTTP client if this object created it.

        A token renewal still running for a cancelled call finishes first: its
        answer holds the only copy of the new refresh token.
        """
        await settle_renewals(self._engine.auth)
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self: S) -> S:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class SyncSender(SyncConnection):
    """A blocking client's public way to send one operation and to walk a list."""

    def send(self, operation: Operation[T]) -> T:
        """Send one endpoint operation (with retries and token renewal); return its result.

        Plans that page a walk send each ``walk.next_operation()`` through here.
        """
        return self._engine.run(operation)

    def iterate(self, walk: Walk[P, T]) -> Iterator[T]:
        """Every item of ``walk``, page after page; ``walk.cursor`` tells where it is."""
        while (operation := walk.next_operation()) is not None:
            yield from walk.feed(self.send(operation))


class AsyncSender(AsyncConnection):
    """An async client's public way to send one operation and to walk a list."""

    async def send(self, operation: Operation[T]) -> T:
        """Send one endpoint operation (with retries and token renewal); return its result.

        Plans that page a walk send each ``walk.next_operation()`` through here.
        """
        return await self._engine.run(operation)

    async def iterate(self, walk: Walk[P, T]) -> AsyncIterator[T]:
        """Every item of ``walk``, page after page; ``walk.cursor`` tells where it is."""
        while (operation := walk.next_operation()) is not None:
            for item in walk.feed(await self.send(operation)):
                yield item
