"""Where tokens of both services live, and the lock that makes refreshes single-flight.

Allegro refresh tokens are single-use: two workers refreshing the same account
at once leave one of them with a dead pair, and the account is lost until a
person reconnects it. plentymarkets allows three concurrent back-end sessions
by default, so every worker must reuse one login. Both problems have one cure:
one :class:`TokenStore` shared by every thread, task and process, and a refresh
(or login) done only while holding :meth:`TokenStore.lock`, after re-loading.

The host owns storage: implement :class:`TokenStore` over a database or a
secrets manager, or use :class:`MemoryTokenStore` (one process) or
:class:`JsonFileTokenStore` (several processes on one POSIX machine).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import TracebackType
from typing import Protocol, runtime_checkable

import attrs

__all__ = [
    "JsonFileTokenStore",
    "LockTimeoutError",
    "MemoryTokenStore",
    "Token",
    "TokenLock",
    "TokenStore",
]

from .errors import AllegroPlentyError


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


@attrs.frozen(repr=False)
class Token:
    """An access token, its refresh token and when the access token expires.

    The ``repr`` shows only the expiry: tokens never reach a log by accident.
    """

    access_token: str
    expires_at: datetime
    refresh_token: str | None = None
    scope: str | None = None

    def is_valid(self, *, now: datetime | None = None, leeway: timedelta = timedelta(0)) -> bool:
        """Whether the access token is still usable ``leeway`` from ``now``."""
        return (now or _utcnow()) + leeway < self.expires_at

    def __repr__(self) -> str:
        has_refresh = self.refresh_token is not None
        return f"Token(expires_at={self.expires_at.isoformat()}, refreshable={has_refresh})"

    def to_json(self) -> dict[str, str | None]:
        """A JSON-ready dict (for stores that persist tokens)."""
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_at": self.expires_at.isoformat(),
            "scope": self.scope,
        }

    @classmethod
    def from_json(cls, data: dict[str, str | None]) -> Token:
        """Inverse of :meth:`to_json`."""
        access, expires = data.get("access_token"), data.get("expires_at")
        if not access or not expires:
            raise ValueError("stored token lacks access_token or expires_at")
        return cls(
            access_token=access,
            expires_at=datetime.fromisoformat(expires),
            refresh_token=data.get("refresh_token"),
            scope=data.get("scope"),
        )


class LockTimeoutError(AllegroPlentyError):
    """A token lock was not acquired in time (another worker holds it)."""


class TokenLock(Protocol):
    """A lock usable with ``with`` and ``async with``.

    It must exclude other threads, asyncio tasks and processes that lock the
    same (service, key). The async form must not block the event loop.
    """

    def __enter__(self) -> object: ...

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    async def __aenter__(self) -> object: ...

    async def __aexit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None: ...


@runtime_checkable
class TokenStore(Protocol):
    """Storage for tokens, keyed by service (``"allegro"``, ``"plenty"``) and key.

    For Allegro the key is the account (the seller id); for plentymarkets it is
    the system URL plus the user name.
    """

    def load(self, service: str, key: str) -> Token | None:
        """The stored token, or ``None``."""
        ...

    def save(self, service: str, key: str, token: Token) -> None:
        """Store ``token``, replacing what was there."""
        ...

    def lock(self, service: str, key: str) -> TokenLock:
        """A lock excluding every other holder of the same (service, key)."""
        ...


class _PollingLock:
    """Shared ``with``/``async with`` behaviour over a non-blocking try-acquire.

    Async acquisition polls with short sleeps so the event loop keeps running;
    cancelling the waiting task simply stops polling.
    """

    _POLL_START = 0.002
    _POLL_MAX = 0.05

    def __init__(self, timeout: float) -> None:
        self._timeout = timeout

    def _try_acquire(self) -> bool:
        raise NotImplementedError

    def _release(self) -> None:
        raise NotImplementedError

    def _deadline_passed(self, started: float) -> bool:
        return time.monotonic() - started > self._timeout

    def __enter__(self) -> _PollingLock:
        started, pause = time.monotonic(), self._POLL_START
        while not self._try_acquire():
            if self._deadline_passed(started):
                raise LockTimeoutError(f"token lock not acquired within {self._timeout} s")
            time.sleep(pause)
            pause = min(pause * 2, self._POLL_MAX)
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._release()

    async def __aenter__(self) -> _PollingLock:
        started, pause = time.monotonic(), self._POLL_START
        while not self._try_acquire():
            if self._deadline_passed(started):
                raise LockTimeoutError(f"token lock not acquired within {self._timeout} s")
            await asyncio.sleep(pause)
            pause = min(pause * 2, self._POLL_MAX)
        return self

    async def __aexit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._release()


class _ThreadLock(_PollingLock):
    def __init__(self, lock: threading.Lock, timeout: float) -> None:
        super().__init__(timeout)
        self._lock = lock

    def _try_acquire(self) -> bool:
        return self._lock.acquire(blocking=False)

    def _release(self) -> None:
        self._lock.release()


class MemoryTokenStore:
    """Tokens in a dict; the lock excludes threads and tasks of this process.

    Args:
        lock_timeout: Seconds to wait for a lock before :class:`LockTimeoutError`.
    """

    def __init__(self, *, lock_timeout: float = 60.0) -> None:
        self._tokens: dict[tuple[str, str], Token] = {}
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._guard = threading.Lock()
        self._lock_timeout = lock_timeout

    def __repr__(self) -> str:
        return f"MemoryTokenStore(keys={len(self._tokens)})"

    def load(self, service: str, key: str) -> Token | None:
        """The stored token, or ``None``."""
        return self._tokens.get((service, key))

    def save(self, service: str, key: str, token: Token) -> None:
        """Store ``token``, replacing what was there."""
        self._tokens[(service, key)] = token

    def lock(self, service: str, key: str) -> TokenLock:
        """A lock excluding other threads and tasks of this process."""
        with self._guard:
            lock = self._locks.setdefault((service, key), threading.Lock())
        return _ThreadLock(lock, self._lock_timeout)


class _FileLock(_PollingLock):
    """``flock`` on a side file plus a thread lock.

    ``flock`` locks belong to the open file description, so two ``open()`` calls
    exclude each other even within one process; the thread lock only spares
    threads of one process the polling.
    """

    def __init__(self, path: Path, thread_lock: threading.Lock, timeout: float) -> None:
        super().__init__(timeout)
        self._path = path
        self._thread_lock = thread_lock
        self._fd: int | None = None

    def _try_acquire(self) -> bool:
        import fcntl

        if not self._thread_lock.acquire(blocking=False):
            return False
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            self._thread_lock.release()
            return False
        self._fd = fd
        return True

    def _release(self) -> None:
        import fcntl

        fd, self._fd = self._fd, None
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
        self._thread_lock.release()


class JsonFileTokenStore:
    """Tokens in one JSON file, shared by processes on one POSIX machine.

    Writes replace the file atomically (write a temporary file, ``fsync``,
    ``rename``) with mode 0600. Locks are ``flock`` locks on a side file per
    (service, key), so they also exclude other processes. POSIX only: ``fcntl``
    does not exist on Windows.

    Args:
        path: The JSON file. Its directory must exist.
        lock_timeout: Seconds to wait for a lock before :class:`LockTimeoutError`.
    """

    def __init__(self, path: str | os.PathLike[str], *, lock_timeout: float = 60.0) -> None:
        self.path = Path(path)
        self._lock_timeout = lock_timeout
        self._thread_locks: dict[tuple[str, str], threading.Lock] = {}
        self._guard = threading.Lock()

    def __repr__(self) -> str:
        return f"JsonFileTokenStore({str(self.path)!r})"

    def _read_all(self) -> dict[str, dict[str, dict[str, str | None]]]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        data = json.loads(text) if text.strip() else {}
        if not isinstance(data, dict):
            raise ValueError(f"{self.path} does not hold a JSON object")
        return data

    def load(self, service: str, key: str) -> Token | None:
        """The stored token, or ``None``; reads the file every time (others may write it)."""
        entry = self._read_all().get(service, {}).get(key)
        return Token.from_json(entry) if entry else None

    def save(self, service: str, key: str, token: Token) -> None:
        """Store ``token``, replacing what was there, keeping every other entry."""
        # Read-modify-write of the whole file: serialised across processes by a
        # file-wide lock, so saves for different keys do not lose each other.
        with self._file_lock(self.path.with_name(self.path.name + ".lock")):
            data = self._read_all()
            data.setdefault(service, {})[key] = token.to_json()
            self._replace(json.dumps(data, indent=1, sort_keys=True))

    def _replace(self, text: str) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                os.fchmod(handle.fileno(), 0o600)
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    def lock(self, service: str, key: str) -> TokenLock:
        """A lock excluding other threads, tasks and processes (``flock`` on a side file)."""
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in f"{service}.{key}")
        return self._file_lock(self.path.with_name(f"{self.path.name}.{safe}.lock"))

    def _file_lock(self, path: Path) -> _FileLock:
        with self._guard:
            thread_lock = self._thread_locks.setdefault((str(path), ""), threading.Lock())
        return _FileLock(path, thread_lock, self._lock_timeout)


TokenFactory = Callable[[], Token]
