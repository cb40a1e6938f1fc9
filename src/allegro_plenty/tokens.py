"""Where tokens of both services live, and the lock that makes refreshes single-flight.

Allegro refresh tokens are single-use: two workers refreshing the same account
at once leave one of them with a dead pair, and the account is lost until a
person reconnects it. plentymarkets allows three concurrent back-end sessions
by default, so every worker must reuse one login. Both problems have one cure:
one :class:`TokenStore` shared by every thread, task and process, and a refresh
(or login) done only while holding :meth:`TokenStore.lock`, after re-loading.

The host owns storage: implement :class:`TokenStore` over a database or a
secrets manager, or use :class:`MemoryTokenStore` (one process) or
:class:`JsonFileTokenStore` (several processes on one POSIX machine), or
:class:`~allegro_plenty.tokens_postgres.PostgresTokenStore` (workers on several
machines; the ``postgres`` extra).

Storage that fails never costs an account: a store that cannot be read or
written raises :class:`~allegro_plenty.errors.TokenStorageError` (naming the
place, never a token) before a refresh token is spent, and a renewed pair that
cannot be saved is kept by the client (:class:`~allegro_plenty.errors.TokenSaveError`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import errno
import json
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, runtime_checkable

import attrs
from dateutil.parser import isoparse

__all__ = [
    "DamagedTokenFileError",
    "JsonFileTokenStore",
    "LockTimeoutError",
    "MemoryTokenStore",
    "Token",
    "TokenLock",
    "TokenSaveError",
    "TokenStorageError",
    "TokenStore",
]

# The errors live in errors.py; importing them from here keeps working.
from .errors import DamagedTokenFileError, LockTimeoutError, TokenSaveError, TokenStorageError


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
    def from_json(cls, data: Mapping[str, Any]) -> Token:
        """Inverse of :meth:`to_json`.

        Raises:
            ValueError: A field is missing or of the wrong type, or ``expires_at``
                is not an ISO 8601 timestamp with a timezone. The message names
                the field, never its value.
        """
        access, expires = data.get("access_token"), data.get("expires_at")
        if not access or not expires:
            raise ValueError("stored token lacks access_token or expires_at")
        for name in ("access_token", "expires_at", "refresh_token", "scope"):
            if data.get(name) is not None and not isinstance(data[name], str):
                raise ValueError(f"stored token's {name} is not a string")
        try:
            moment = isoparse(expires)
        except (ValueError, OverflowError):
            raise ValueError("stored token's expires_at is not an ISO 8601 timestamp") from None
        if moment.utcoffset() is None:
            # Local time or UTC? Guessing could refresh hours late, or keep a dead token.
            raise ValueError("stored token's expires_at has no timezone")
        return cls(
            access_token=access,
            expires_at=moment.astimezone(timezone.utc),
            refresh_token=data.get("refresh_token"),
            scope=data.get("scope"),
        )


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

    Async clients call these methods from worker threads (``asyncio.to_thread``),
    never on the event loop, so they may block.

    A store may also offer ``check_writable(service, key) -> None``, raising
    when a save would fail now. Clients call it before spending a refresh token
    (whose successor must then be saved); a store without it is checked by
    saving the current token again.
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


class _BlockingLock:
    """``with``/``async with`` over a blocking acquire with a deadline.

    The async form waits in a thread of its own, never on the event loop and
    never in the loop's default executor (the holder needs that one for its
    store I/O, and waiters filling it would stall the holder). A wait abandoned
    by a cancelled task releases the lock as soon as its thread gets it.
    """

    def __init__(self, timeout: float) -> None:
        self._timeout = timeout

    def _acquire(self, deadline: float) -> None:
        """Block until acquired; LockTimeoutError once ``deadline`` (monotonic) passes."""
        raise NotImplementedError

    def _try_acquire_now(self) -> bool:
        """Acquire without blocking or I/O, if that can be done; for the async fast path."""
        return False

    def _release(self) -> None:
        raise NotImplementedError

    def _timed_out(self, what: str) -> LockTimeoutError:
        return LockTimeoutError(f"{what} not acquired within {self._timeout} s")

    def __enter__(self) -> _BlockingLock:
        self._acquire(time.monotonic() + self._timeout)
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._release()

    async def __aenter__(self) -> _BlockingLock:
        if self._try_acquire_now():
            return self
        deadline = time.monotonic() + self._timeout
        acquired: concurrent.futures.Future[None] = concurrent.futures.Future()

        def wait() -> None:
            if not acquired.set_running_or_notify_cancel():
                return
            try:
                self._acquire(deadline)
            except BaseException as exc:  # handed to the waiting task
                acquired.set_exception(exc)
            else:
                acquired.set_result(None)

        threading.Thread(target=wait, name="token-lock-wait", daemon=True).start()
        try:
            await asyncio.wrap_future(acquired)
        except asyncio.CancelledError:
            acquired.add_done_callback(self._release_if_acquired)
            raise
        return self

    def _release_if_acquired(self, acquired: concurrent.futures.Future[None]) -> None:
        if not acquired.cancelled() and acquired.exception() is None:
            self._release()

    async def __aexit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._release()


class _ThreadLock(_BlockingLock):
    def __init__(self, lock: threading.Lock, timeout: float) -> None:
        super().__init__(timeout)
        self._lock = lock

    def _try_acquire_now(self) -> bool:
        return self._lock.acquire(blocking=False)

    def _acquire(self, deadline: float) -> None:
        if not self._lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
            raise self._timed_out("token lock")

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


def _storage_error(action: str, path: Path, exc: OSError) -> TokenStorageError:
    """A TokenStorageError naming ``path`` (or its missing folder) and the OS's reason."""
    if isinstance(exc, FileNotFoundError) and not path.parent.is_dir():
        return TokenStorageError(
            f"token folder {path.parent} does not exist", path=str(path.parent)
        )
    code = errno.errorcode.get(exc.errno or 0)
    reason = f"{exc.strerror} [{code}]" if exc.strerror and code else str(exc)
    return TokenStorageError(f"cannot {action} {path}: {reason}", path=str(path))


class _FileLock(_BlockingLock):
    """``flock`` on a side file plus a thread lock.

    ``flock`` locks belong to the open file description, so two ``open()`` calls
    exclude each other even within one process; the thread lock spares threads
    of one process the polling. Every failure on the way releases both.
    """

    _POLL_START = 0.002
    _POLL_MAX = 0.05

    def __init__(
        self, path_of: Callable[[], Path], thread_lock: threading.Lock, timeout: float
    ) -> None:
        super().__init__(timeout)
        self._path_of = path_of
        self._thread_lock = thread_lock
        self._fd: int | None = None

    def _acquire(self, deadline: float) -> None:
        import fcntl

        if not self._thread_lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
            raise self._timed_out("token lock")
        fd: int | None = None
        try:
            path = self._path_of()
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError as exc:
                raise _storage_error("open the lock file", path, exc) from exc
            pause = self._POLL_START
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    pass
                except OSError as exc:
                    raise _storage_error("lock", path, exc) from exc
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise self._timed_out(f"token lock {path}")
                time.sleep(min(pause, remaining))
                pause = min(pause * 2, self._POLL_MAX)
        except BaseException:
            if fd is not None:
                os.close(fd)
            self._thread_lock.release()
            raise
        self._fd = fd

    def _release(self) -> None:
        import fcntl

        fd, self._fd = self._fd, None
        try:
            if fd is not None:
                # Closing our only descriptor drops the flock even if unlocking failed.
                with contextlib.suppress(OSError):
                    fcntl.flock(fd, fcntl.LOCK_UN)
                with contextlib.suppress(OSError):
                    os.close(fd)
        finally:
            self._thread_lock.release()


_TEMP_SUFFIX = ".tmp"
_TEMP_RANDOM = r"[a-z0-9_]{8}"  # what tempfile.mkstemp puts between prefix and suffix


def _kind(value: object) -> str:
    if isinstance(value, dict):
        return "an object"
    return "a list" if isinstance(value, list) else "a scalar"


def _fsync_folder(folder: Path, file: Path) -> None:
    """Make the rename itself durable: after a crash the folder could still list the old file."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError as exc:
        raise _storage_error("write", file, exc) from exc
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP):  # a filesystem without folder fsync
            raise _storage_error("write", file, exc) from exc
    finally:
        os.close(fd)


class JsonFileTokenStore:
    """Tokens in one JSON file, shared by processes on one POSIX machine.

    A save replaces the file atomically: a temporary file beside it (mode
    0600), ``fsync``, ``rename``, ``fsync`` of the folder. Temporary files of a
    save that was killed (``kill -9``, power loss) are removed by the next save.
    A file reached through a symlink is written through it: the target is
    replaced and the link stays; lock files live beside the target, so a store
    opened through the link and one opened at the target share their locks.

    Locks are ``flock`` locks on a side file per (service, key), so they also
    exclude other processes. POSIX only: ``fcntl`` does not exist on Windows.

    A missing folder or a disk that refuses a read or a write raises
    :class:`~allegro_plenty.errors.TokenStorageError`; a file that is not a
    token store raises :class:`~allegro_plenty.errors.DamagedTokenFileError`
    and is left as it is. Neither message contains a token.

    Args:
        path: The JSON file. Its folder must exist.
        lock_timeout: Seconds to wait for a lock before :class:`LockTimeoutError`.
    """

    def __init__(self, path: str | os.PathLike[str], *, lock_timeout: float = 60.0) -> None:
        self.path = Path(path)
        self._lock_timeout = lock_timeout
        self._thread_locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def __repr__(self) -> str:
        return f"JsonFileTokenStore({str(self.path)!r})"

    def _target(self) -> Path:
        """The file itself, symlinks resolved: a save replaces the target, not the link."""
        return Path(os.path.realpath(self.path))

    def _damaged(self, problem: str) -> DamagedTokenFileError:
        return DamagedTokenFileError(f"token file {self.path} {problem}", path=str(self.path))

    def _read_all(self, target: Path) -> dict[str, Any]:
        try:
            raw = target.read_bytes()
        except FileNotFoundError as exc:
            if target.parent.is_dir():
                return {}
            raise _storage_error("read", target, exc) from exc
        except OSError as exc:
            raise _storage_error("read", target, exc) from exc
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise self._damaged("is not UTF-8 text") from None
        if not text.strip():
            return {}
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as exc:  # RecursionError: nested too deeply
            where = ""
            if isinstance(exc, json.JSONDecodeError):
                where = f" (truncated or edited? line {exc.lineno}, column {exc.colno})"
            raise self._damaged(f"is not valid JSON{where}") from None
        if not isinstance(data, dict):
            raise self._damaged(f"does not hold a JSON object (it holds {_kind(data)})")
        return data

    def _section(self, data: dict[str, Any], service: str) -> dict[str, Any] | None:
        section = data.get(service)
        if section is not None and not isinstance(section, dict):
            raise self._damaged(f"has {_kind(section)} for {service!r}, not an object")
        return section

    def load(self, service: str, key: str) -> Token | None:
        """The stored token, or ``None``; reads the file every time (others may write it)."""
        section = self._section(self._read_all(self._target()), service) or {}
        entry = section.get(key)
        if not entry:
            return None
        if not isinstance(entry, dict):
            raise self._damaged(f"has {_kind(entry)} for {service!r}/{key!r}, not an object")
        try:
            return Token.from_json(entry)
        except ValueError as exc:
            raise self._damaged(f"has a damaged entry {service!r}/{key!r}: {exc}") from None

    def save(self, service: str, key: str, token: Token) -> None:
        """Store ``token``, replacing what was there, keeping every other entry."""
        self._rewrite(lambda data: self._put(data, service, key, token))

    def check_writable(self, service: str, key: str) -> None:
        """Raise :class:`~allegro_plenty.errors.TokenStorageError` if a save would fail now.

        Rewrites the file as it is, the way a save writes it: a full disk, a
        read-only folder or a lack of file descriptors shows here, before a
        refresh token is spent.
        """
        self._rewrite(lambda data: None)

    def _put(self, data: dict[str, Any], service: str, key: str, token: Token) -> None:
        section = self._section(data, service)
        if section is None:
            section = data[service] = {}
        section[key] = token.to_json()

    def _rewrite(self, change: Callable[[dict[str, Any]], None]) -> None:
        # Read-modify-write of the whole file: serialised across processes by a
        # file-wide lock, so saves for different keys do not lose each other.
        target = self._target()
        with self._file_lock("", lambda: target.with_name(target.name + ".lock")):
            data = self._read_all(target)
            change(data)
            self._replace(target, json.dumps(data, indent=1, sort_keys=True))

    def _replace(self, target: Path, text: str) -> None:
        self._remove_stale_temps(target)
        try:
            fd, tmp = tempfile.mkstemp(
                dir=target.parent, prefix=f".{target.name}.", suffix=_TEMP_SUFFIX
            )
        except OSError as exc:
            raise _storage_error("write", target, exc) from exc
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                os.fchmod(handle.fileno(), 0o600)
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            if isinstance(exc, OSError):
                raise _storage_error("write", target, exc) from exc
            raise
        _fsync_folder(target.parent, target)

    def _remove_stale_temps(self, target: Path) -> None:
        """Remove the temporary files of saves that died before their rename.

        Each holds a full copy of every token. Called only under the file-wide
        lock, which every writer holds while its temporary file exists: any
        such file found now belongs to a writer that is gone. Only names this
        store makes are touched.
        """
        mine = re.compile(re.escape(f".{target.name}.") + _TEMP_RANDOM + re.escape(_TEMP_SUFFIX))
        try:
            names = os.listdir(target.parent)
        except OSError:
            return  # the write that follows reports the problem
        for name in names:
            if mine.fullmatch(name):
                with contextlib.suppress(OSError):
                    os.unlink(target.parent / name)

    def lock(self, service: str, key: str) -> TokenLock:
        """A lock excluding other threads, tasks and processes (``flock`` on a side file)."""
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in f"{service}.{key}")

        def path() -> Path:  # resolved when acquired: in a worker thread under asyncio
            target = self._target()
            return target.with_name(f"{target.name}.{safe}.lock")

        return self._file_lock(safe, path)

    def _file_lock(self, name: str, path_of: Callable[[], Path]) -> _FileLock:
        with self._guard:
            thread_lock = self._thread_locks.setdefault(name, threading.Lock())
        return _FileLock(path_of, thread_lock, self._lock_timeout)
