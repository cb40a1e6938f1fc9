"""Single-flight token renewal over a shared :class:`~allegro_plenty.tokens.TokenStore`.

The protocol, the same for Allegro refreshes and plentymarkets logins:

1. load the stored token; if it is valid (and not the one the service just
   refused), use it without taking any lock;
2. otherwise take ``store.lock(service, key)`` and load again: another worker
   may have renewed it while we waited, and then we use theirs;
3. only if it is still unusable, renew (refresh or log in), save, release.

Renewal never happens twice for one expiry, across threads, tasks and processes
that share the store.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone

from ..tokens import Token, TokenStore

__all__ = ["AsyncTokenAuth", "StaticTokenAuth", "SyncTokenAuth"]

Clock = Callable[[], datetime]


def _now() -> datetime:
    return datetime.now(timezone.utc)


class _TokenAuthBase:
    def __init__(
        self,
        store: TokenStore,
        service: str,
        key: str,
        *,
        leeway: timedelta = timedelta(seconds=60),
        clock: Clock = _now,
    ) -> None:
        self.store = store
        self.service = service
        self.key = key
        self.leeway = leeway
        self.clock = clock

    def __repr__(self) -> str:
        return f"{type(self).__name__}(service={self.service!r}, key={self.key!r})"

    def _usable(self, token: Token | None, rejected: str | None) -> str | None:
        if token is None or token.access_token == rejected:
            return None
        if not token.is_valid(now=self.clock(), leeway=self.leeway):
            return None
        return token.access_token


class SyncTokenAuth(_TokenAuthBase):
    """Token provider for sync clients.

    Args:
        renew: Given the stored token (or ``None``), obtain a new one: an
            Allegro refresh, or a plentymarkets refresh-then-login.
    """

    def __init__(
        self,
        store: TokenStore,
        service: str,
        key: str,
        renew: Callable[[Token | None], Token],
        **kwargs: object,
    ) -> None:
        super().__init__(store, service, key, **kwargs)  # type: ignore[arg-type]
        self._renew = renew

    def access_token(self, rejected: str | None) -> str:
        """A valid access token, renewing it under the store's lock if needed."""
        usable = self._usable(self.store.load(self.service, self.key), rejected)
        if usable is not None:
            return usable
        with self.store.lock(self.service, self.key):
            stored = self.store.load(self.service, self.key)
            usable = self._usable(stored, rejected)
            if usable is not None:
                return usable
            token = self._renew(stored)
            self.store.save(self.service, self.key, token)
            return token.access_token


class AsyncTokenAuth(_TokenAuthBase):
    """Token provider for async clients; the lock is awaited, not blocked on."""

    def __init__(
        self,
        store: TokenStore,
        service: str,
        key: str,
        renew: Callable[[Token | None], Awaitable[Token]],
        **kwargs: object,
    ) -> None:
        super().__init__(store, service, key, **kwargs)  # type: ignore[arg-type]
        self._renew = renew

    async def access_token(self, rejected: str | None) -> str:
        """A valid access token, renewing it under the store's lock if needed."""
        usable = self._usable(self.store.load(self.service, self.key), rejected)
        if usable is not None:
            return usable
        async with self.store.lock(self.service, self.key):
            stored = self.store.load(self.service, self.key)
            usable = self._usable(stored, rejected)
            if usable is not None:
                return usable
            token = await self._renew(stored)
            self.store.save(self.service, self.key, token)
            return token.access_token


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
