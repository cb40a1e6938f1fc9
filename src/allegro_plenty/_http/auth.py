"""Single-flight token renewal over a shared :class:`~allegro_plenty.tokens.TokenStore`.

The protocol, the same for Allegro refreshes and plentymarkets logins:

1. load the stored token; if it is valid (and not the one the service just
   refused), use it without taking any lock;
2. otherwise take ``store.lock(service, key)`` and load again: another worker
   may have renewed it while we waited, and then we use theirs;
3. only if it is still unusable, check that the store can be written, renew
   (refresh or log in), save, release.

Renewal never happens twice for one expiry, across threads, tasks and processes
that share the store. And it never loses an account:

* a refresh token is spent only after the store proved writable
  (``check_writable``, or saving the current token again), so a read-only or
  full disk costs nothing but an error;
* a renewed token whose save fails anyway is kept in this object for the life
  of the process, used, and saved again on every later use until a save works
  (:class:`~allegro_plenty.errors.TokenSaveError` tells the caller once);
* under asyncio the renewal runs in a task of its own that finishes even when
  its caller is cancelled, and store calls run in worker threads.

The steps are written once, as a plan (see :mod:`allegro_plenty._plan`) that
yields the store calls it needs and runs the service's renewal plan (an
Allegro refresh, a plentymarkets refresh-then-login) inline; the sync and
async providers only drive it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Callable, Coroutine, Mapping
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import httpx

from .._convert import JSONTooDeepError, loads
from .._plan import AsyncDriver, Call, InWorkerThreads, Plan, SyncDriver
from ..errors import TokenSaveError, TokenStorageError
from ..tokens import Token, TokenStore
from .operation import BodyMismatch
from .redact import scrub

__all__ = [
    "MAX_TOKEN_LIFETIME",
    "AsyncTokenAuth",
    "StaticTokenAuth",
    "SyncTokenAuth",
    "bounded_seconds",
    "settle_renewals",
    "token_expiry",
    "token_json",
]

Clock = Callable[[], datetime]
log = logging.getLogger("allegro_plenty.tokens")

MAX_TOKEN_LIFETIME = timedelta(days=1)
"""The longest an access token is trusted, whatever ``expires_in`` says.

Allegro's last 12 h and plentymarkets' 24 h. A longer claim is cut to this, so
the refresh token keeps being rotated (Allegro's die unused after 3 months).
"""


def _now() -> datetime:
    return datetime.now(timezone.utc)


def token_json(response: httpx.Response) -> Any:
    """The JSON body of a token answer, with no bounds on its numbers.

    A refresh answer holds the only copy of the new refresh token: an absurd
    number beside it (``"expires_in": 1e400``) must not make the whole answer
    unreadable. Token answers carry no money, so floats are fine: a huge
    number becomes an infinity for :func:`bounded_seconds` to clamp, read in
    bounded time.
    """
    try:
        return loads(response.content, parse_float=float)
    except JSONTooDeepError as exc:
        raise BodyMismatch(f"token answer is {exc}", exc.field_path) from None
    except ValueError as exc:
        raise BodyMismatch(f"token answer is not JSON ({type(exc).__name__})") from None


def bounded_seconds(value: object, upper: float) -> float | None:
    """``value`` (a JSON number or numeric string) as seconds within ``[0, upper]``.

    ``None`` when it is no number at all: absent, text, a boolean, NaN. An
    infinity or a huge number becomes ``upper``, a negative one 0.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        return None
    try:
        seconds = float(value)
    except (ValueError, OverflowError):
        return None
    if math.isnan(seconds):
        return None
    return min(max(seconds, 0.0), upper)


def token_expiry(expires_in: object, now: datetime) -> datetime:
    """When a token answered with ``expires_in`` expires, never later than a day from ``now``.

    A token answer is parsed whatever its ``expires_in`` says: on a refresh the
    same answer carries the only copy of the new refresh token. A value that is
    no number counts as "expired now": the token serves the request at hand and
    the next use renews it.
    """
    seconds = bounded_seconds(expires_in, MAX_TOKEN_LIFETIME.total_seconds())
    if seconds is None:
        log.warning("token answer has no usable expires_in; the token counts as expiring now")
        seconds = 0.0
    return now + timedelta(seconds=seconds)


STORE = "token_store"
"""The resource name of the token store in the renewal plan."""

Renew = Callable[[Token | None], Plan[Token]]
"""Given the stored token (or ``None``), a plan obtaining a new one."""


class _StoreCalls:
    """The store calls of the renewal plan, bound to one token."""

    def __init__(self, auth: _TokenAuthBase) -> None:
        self._auth = auth

    def load(self) -> Token | None:
        return self._auth.store.load(self._auth.service, self._auth.key)

    def check(self, current: Token | None) -> None:
        self._auth._check_writable(current)

    def save(self, token: Token) -> None:
        self._auth.store.save(self._auth.service, self._auth.key, token)


class _TokenAuthBase:
    def __init__(
        self,
        store: TokenStore,
        service: str,
        key: str,
        renew: Renew,
        *,
        resources: Mapping[str, object] = {},
        leeway: timedelta = timedelta(seconds=60),
        clock: Clock = _now,
    ) -> None:
        self.store = store
        self.service = service
        self.key = key
        self.leeway = leeway
        self.clock = clock
        self._renew = renew
        self._resources = resources
        """What the renewal plan calls besides the store (the client's engine)."""
        self._kept: Token | None = None
        """A renewed token not saved yet: the only copy of a live refresh token."""
        self._kept_over: Token | None = None
        """What the store held when ``_kept`` replaced it (to see if the store moved on)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(service={self.service!r}, key={self.key!r})"

    def _usable(self, token: Token | None, rejected: str | None) -> str | None:
        if token is None or token.access_token == rejected:
            return None
        if not token.is_valid(now=self.clock(), leeway=self.leeway):
            return None
        return token.access_token

    # --- the safeguards (tests switch each off to see the account lost) -------------

    def _check_writable(self, current: Token | None) -> None:
        """Raise unless a save would work now; called before a refresh token is spent."""
        check = getattr(self.store, "check_writable", None)
        if callable(check):
            check(self.service, self.key)
        elif current is not None:
            self.store.save(self.service, self.key, current)

    def _keep(self, token: Token, over: Token | None) -> None:
        self._kept, self._kept_over = token, over

    def _forget_kept(self) -> None:
        self._kept = self._kept_over = None

    # --- the plan ---------------------------------------------------------------------

    def _adopt_kept(self, stored: Token | None) -> tuple[Token | None, bool]:
        """The token to go on with, and whether it still needs saving."""
        kept = self._kept
        if kept is None:
            return stored, False
        if stored == kept:  # an earlier save went through after all
            self._forget_kept()
            return stored, False
        if stored is None or stored == self._kept_over:
            return kept, True
        # Someone stored another token meanwhile (the account was connected again):
        # it is newer than ours, and ours must not overwrite it.
        log.warning("the %s token for %r changed in the store; the unsaved one goes", *self._who)
        self._forget_kept()
        return stored, False

    @property
    def _who(self) -> tuple[str, str]:
        return self.service, self.key

    def _renewal(self, rejected: str | None) -> Plan[str]:
        """Runs under the store's lock: re-load, save what is kept, check, renew, save."""
        try:
            stored = yield Call(STORE, "load")
        except Exception as exc:
            return self._serve_kept(exc, rejected)
        current, unsaved = self._adopt_kept(stored)
        if unsaved and current is not None:
            try:
                yield Call(STORE, "save", (current,))
            except Exception as exc:
                log.error("%s", self._reason(exc, "still cannot save", current))
            else:
                log.warning("the %s token for %r kept in memory is saved now", *self._who)
                self._forget_kept()
                unsaved = False
        usable = self._usable(current, rejected)
        if usable is not None:
            return usable
        if not unsaved:
            try:
                yield Call(STORE, "check", (current,))
            except Exception as exc:
                raise self._error(
                    TokenStorageError, exc, "not renewed: the store cannot be written", current
                ) from exc
        token = yield from self._renew(current)
        try:
            yield Call(STORE, "save", (token,))
        except Exception as exc:
            self._keep(token, self._kept_over if unsaved else stored)
            if unsaved:  # the caller was told when the first unsaved token appeared
                log.error("%s", self._reason(exc, "cannot save the renewed", token, current))
                return token.access_token
            raise self._error(
                TokenSaveError,
                exc,
                "renewed but not saved; the new token is kept in memory for the life of this "
                "process and saved on its next use",
                token,
                current,
            ) from exc
        self._forget_kept()
        return token.access_token

    def _serve_kept(self, exc: Exception, rejected: str | None) -> str:
        """The kept token if the store cannot be reached and it is still good, else raise."""
        usable = None if self._kept is None else self._usable(self._kept, rejected)
        if usable is None:
            raise exc
        log.error("%s", self._reason(exc, "store unavailable; using the kept", self._kept))
        return usable

    def _reason(self, exc: Exception, what: str, *tokens: Token | None) -> str:
        return f"{what} {self.service} token for {self.key!r}: {_scrubbed(exc, tokens)}"

    def _error(
        self, cls: type[TokenStorageError], exc: Exception, what: str, *tokens: Token | None
    ) -> TokenStorageError:
        where = getattr(exc, "path", None) or getattr(exc, "filename", None) or repr(self.store)
        text = f"{self.service} token for {self.key!r} {what} ({_scrubbed(exc, tokens)})"
        return cls(text, path=str(where))


def _scrubbed(exc: Exception, tokens: tuple[Token | None, ...]) -> str:
    """``exc``'s text without any of ``tokens`` (a host store's error may quote them)."""
    secrets = [s for t in tokens if t for s in (t.access_token, t.refresh_token) if s]
    return scrub(str(exc), secrets)


class SyncTokenAuth(_TokenAuthBase):
    """Token provider for sync clients.

    Args:
        renew: Given the stored token (or ``None``), a plan obtaining a new one:
            an Allegro refresh, or a plentymarkets refresh-then-login.
        resources: What that plan calls (the client's engine), by name.
    """

    def access_token(self, rejected: str | None) -> str:
        """A valid access token, renewing it under the store's lock if needed."""
        if self._kept is None:
            usable = self._usable(self.store.load(self.service, self.key), rejected)
            if usable is not None:
                return usable
        with contextlib.ExitStack() as held:
            try:
                held.enter_context(self.store.lock(self.service, self.key))
            except Exception as exc:
                return self._serve_kept(exc, rejected)
            driver = SyncDriver({**self._resources, STORE: _StoreCalls(self)})
            return driver.drive(self._renewal(rejected))


async def _finish_despite_cancellation(renewal: Coroutine[Any, Any, str]) -> str:
    """Await ``renewal`` in a task of its own that goes on if the caller is cancelled.

    Once a refresh request is sent, its answer holds the only copy of the new
    refresh token: a ``wait_for`` timeout or a TaskGroup cancelling the caller
    must not stop the answer from being saved.
    """
    task = asyncio.ensure_future(renewal)
    task.add_done_callback(_retrieve)
    return await asyncio.shield(task)


def _retrieve(task: asyncio.Future[str]) -> None:
    # The caller may be gone; its failure is kept (and logged) by the provider itself.
    if not task.cancelled():
        task.exception()


class AsyncTokenAuth(_TokenAuthBase):
    """Token provider for async clients.

    Store calls run in worker threads and the lock is awaited, so the event
    loop never blocks on a disk or a lock. A renewal runs in a task of its own
    that finishes (and saves) even when the caller is cancelled; close the
    client (``aclose``) to wait for such a renewal.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._running: set[asyncio.Future[Any]] = set()

    async def access_token(self, rejected: str | None) -> str:
        """A valid access token, renewing it under the store's lock if needed."""
        if self._kept is None:
            stored = await asyncio.to_thread(self.store.load, self.service, self.key)
            usable = self._usable(stored, rejected)
            if usable is not None:
                return usable
        return await _finish_despite_cancellation(self._renew_under_lock(rejected))

    async def settle(self) -> None:
        """Wait for renewals still running for callers that were cancelled."""
        running = [t for t in self._running if t is not asyncio.current_task()]
        if running:
            await asyncio.wait(running)

    async def _renew_under_lock(self, rejected: str | None) -> str:
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        try:
            async with contextlib.AsyncExitStack() as held:
                try:
                    await held.enter_async_context(self.store.lock(self.service, self.key))
                except Exception as exc:
                    return self._serve_kept(exc, rejected)
                driver = AsyncDriver({**self._resources, STORE: InWorkerThreads(_StoreCalls(self))})
                return await driver.drive(self._renewal(rejected))
        finally:
            self._running.discard(task)


async def settle_renewals(auth: object) -> None:
    """Let renewals that outlived their cancelled callers finish (before closing a client)."""
    settle = getattr(auth, "settle", None)
    if settle is not None:
        await settle()


class StaticTokenAuth:
    """A fixed access token the host manages itself ("bring your own token").

    A 401 is not retried with the same token: it surfaces as AuthenticationError.
    Usable by both engines.
    """

    def __init__(self, access_token: str) -> None:
        self._token = access_token

    def __repr__(self) -> str:
        return "StaticTokenAuth(access_token=***)"

    def access_token(self, rejected: str | None) -> str:
        """The token; after a 401 the same token comes back and the engine raises the 401."""
        return self._token
