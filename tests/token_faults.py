"""A hostile world for token stores: broken disks, a slow token server, and account checks.

:class:`BrokenStorage` makes file operations under one folder fail the way a
broken disk does (we run as root, so permissions would refuse nothing). It
patches ``os`` and ``io`` process-wide but touches only paths under its
folder, and its ``mode`` can change at any moment, from any thread, so a test
can break the disk right when the token endpoint has answered (see
:class:`AfterTokenAnswer`). Worker processes install their own.
"""

from __future__ import annotations

import asyncio
import builtins
import errno
import io
import os
import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx

READ_ONLY = "read-only"
"""Creating, renaming and removing files fail with EROFS; files that exist still open
(so their locks work, as in a folder whose files are writable but whose entries are not)."""
DISK_FULL = "disk-full"
"""``fsync`` fails with ENOSPC (a full disk surfaces when data is flushed)."""
NO_FDS = "emfile"
"""Every open under the folder fails with EMFILE (the process ran out of descriptors)."""
MODES = (READ_ONLY, DISK_FULL, NO_FDS)


def _fd_path(fd: int) -> str:
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return ""


class BrokenStorage:
    """Fail file operations under ``folder`` according to :attr:`mode` (``None``: healthy).

    Attributes:
        mode: One of :data:`MODES`, or ``None``.
        failures: How many operations were made to fail.
        calls: ``(operation, path, thread id)`` of every operation under the folder.
    """

    def __init__(self, folder: str | os.PathLike[str], mode: str | None = None) -> None:
        self.folder = os.path.realpath(folder)
        self.mode = mode
        self.failures = 0
        self.calls: list[tuple[str, str, int]] = []
        self._saved: dict[tuple[Any, str], Any] = {}
        self._guard = threading.Lock()

    def _under(self, path: object) -> str | None:
        if isinstance(path, int) or not isinstance(path, str | bytes | os.PathLike):
            return None
        text = os.fsdecode(os.fspath(path))
        full = os.path.realpath(text)
        inside = full == self.folder or full.startswith(self.folder + os.sep)
        return full if inside else None

    def _note(self, operation: str, path: str) -> None:
        with self._guard:
            self.calls.append((operation, path, threading.get_ident()))

    def _fail(self, code: int, path: str) -> OSError:
        with self._guard:
            self.failures += 1
        return OSError(code, os.strerror(code), path)

    def install(self) -> BrokenStorage:
        """Patch ``os.open``, ``open``, ``os.replace``/``rename``/``unlink``/``fsync``."""
        real_open, real_io_open = os.open, io.open
        real_replace, real_rename, real_unlink, real_fsync = (
            os.replace,
            os.rename,
            os.unlink,
            os.fsync,
        )

        def fake_os_open(path: Any, flags: int, mode: int = 0o777, **kw: Any) -> int:
            full = self._under(path)
            if full is not None:
                self._note("open", full)
                if self.mode == NO_FDS:
                    raise self._fail(errno.EMFILE, full)
                if self.mode == READ_ONLY and flags & os.O_CREAT and not os.path.exists(full):
                    raise self._fail(errno.EROFS, full)
            return real_open(path, flags, mode, **kw)

        def fake_io_open(file: Any, *args: Any, **kw: Any) -> Any:
            full = self._under(file)
            if full is not None:
                self._note("open", full)
                if self.mode == NO_FDS:
                    raise self._fail(errno.EMFILE, full)
            return real_io_open(file, *args, **kw)

        def moving(real: Callable[..., None], name: str) -> Callable[..., None]:
            def move(src: Any, dst: Any, **kw: Any) -> None:
                full = self._under(dst) or self._under(src)
                if full is not None:
                    self._note(name, full)
                    if self.mode == READ_ONLY:
                        raise self._fail(errno.EROFS, full)
                real(src, dst, **kw)

            return move

        def fake_unlink(path: Any, **kw: Any) -> None:
            full = self._under(path)
            if full is not None:
                self._note("unlink", full)
                if self.mode == READ_ONLY:
                    raise self._fail(errno.EROFS, full)
            real_unlink(path, **kw)

        def fake_fsync(fd: Any) -> None:
            number = fd if isinstance(fd, int) else fd.fileno()
            full = self._under(_fd_path(number))
            if full is not None:
                self._note("fsync", full)
                if self.mode == DISK_FULL:
                    raise self._fail(errno.ENOSPC, full)
            real_fsync(fd)

        patches: list[tuple[Any, str, Any]] = [
            (os, "open", fake_os_open),
            (io, "open", fake_io_open),
            (builtins, "open", fake_io_open),
            (os, "replace", moving(real_replace, "replace")),
            (os, "rename", moving(real_rename, "rename")),
            (os, "unlink", fake_unlink),
            (os, "fsync", fake_fsync),
        ]
        for owner, name, replacement in patches:
            self._saved[(owner, name)] = getattr(owner, name)
            setattr(owner, name, replacement)
        return self

    def uninstall(self) -> None:
        """Undo :meth:`install`."""
        for (owner, name), original in self._saved.items():
            setattr(owner, name, original)
        self._saved.clear()

    def __enter__(self) -> BrokenStorage:
        return self.install()

    def __exit__(self, *exc: object) -> None:
        self.uninstall()


def _is_token_answer(request: httpx.Request, response: httpx.Response) -> bool:
    return request.url.path.endswith("/auth/oauth/token") and response.status_code == 200


class AfterTokenAnswer(httpx.BaseTransport):
    """A transport that calls ``action`` once the token endpoint has answered 200.

    The server has rotated the refresh token by then: whatever ``action`` breaks
    now breaks the save of the new pair, not the check before the refresh.
    """

    def __init__(self, inner: httpx.BaseTransport, action: Callable[[], None]) -> None:
        self.inner, self.action = inner, action

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if _is_token_answer(request, response):
            self.action()
        return response


class AsyncAfterTokenAnswer(httpx.AsyncBaseTransport):
    """Async :class:`AfterTokenAnswer`; ``delay`` holds the answer back (the token
    endpoint has rotated, the answer is still on its way: a window for cancellation)."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        action: Callable[[], None] | None = None,
        *,
        delay: float = 0.0,
    ) -> None:
        self.inner, self.action, self.delay = inner, action, delay

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if _is_token_answer(request, response):
            if self.action is not None:
                self.action()
            if self.delay:
                await asyncio.sleep(self.delay)
        return response


def later(hours: float = 13) -> Callable[[], datetime]:
    """A client clock ``hours`` ahead: every stored access token looks expired to it."""
    moment = datetime.now(timezone.utc) + timedelta(hours=hours)
    return lambda: moment


def folder_of(path: Path) -> str:
    """The folder a store's error message must name."""
    return str(path.parent)
