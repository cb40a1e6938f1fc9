"""Importer workers in processes of their own, against both fakes served on loopback.

What the process-spawning importer tests share (``crash_harness.py``,
``race_harness.py``):

* :func:`in_spawned_host` runs a harness in a freshly *spawned* process, so it
  forks from a process that is single-threaded and holds nothing of pytest's;
  there :func:`prepare` makes each forked worker cheap (no import, no model
  hook compiled again), and ``multiprocessing``'s fork context starts them.
* :class:`ServedFakes` serves both fakes on loopback from a forked process of
  their own, so a killed worker cannot take their state with it; it evaluates
  functions on them when asked (what plentymarkets holds, after the workers),
  and puts a fresh pair on the same addresses for the next trial.
* :func:`clients` builds the clients a worker uses over loopback.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import multiprocessing
import os
import socket
import socketserver
import traceback
from collections.abc import Callable, Iterator
from datetime import datetime
from multiprocessing.connection import Connection
from typing import Any

import attrs
import httpx

from allegro_plenty import AllegroClient, PlentyClient
from allegro_plenty.testing import FakeAllegro, FakeClock, FakePlenty, FakeServer
from allegro_plenty.tokens import MemoryTokenStore, TokenStore

FORK = multiprocessing.get_context("fork")
SPAWN = multiprocessing.get_context("spawn")
SELLER = "46968690"
"""The fakes' default seller."""


def fakes_at(start: datetime, **plenty_options: Any) -> tuple[FakeAllegro, FakePlenty]:
    """Both fakes on one clock standing still at ``start`` (the workers in other processes
    cannot move it; a client that waits waits for real), plentymarkets without its plan's
    rate limit unless ``plenty_options`` say otherwise."""
    clock = FakeClock(start)
    plenty_options.setdefault("plan", None)
    return FakeAllegro(clock=clock), FakePlenty(clock=clock, **plenty_options)


# --- the host --------------------------------------------------------------------------------


def prepare() -> None:
    """Make forked workers cheap: one model converter per kind for every client (each
    client compiles its own hooks otherwise), the HTTP stack imported."""
    from allegro_plenty import _convert
    from allegro_plenty.allegro import client as allegro_module
    from allegro_plenty.plenty import _client_base as plenty_module

    shared = functools.cache(_convert.make_converter)
    allegro_module.make_converter = shared  # type: ignore[attr-defined]
    plenty_module.make_converter = shared  # type: ignore[attr-defined]
    httpx.HTTPTransport(verify=False).close()  # imports httpcore
    import h11  # noqa: F401 - imported on a transport's first request otherwise


def _host(target: Callable[..., Any], args: tuple[Any, ...], conn: Connection) -> None:
    try:
        prepare()
        conn.send(("done", target(*args)))
    except BaseException:
        conn.send(("crashed", traceback.format_exc()))
    conn.close()


def in_spawned_host(target: Callable[..., Any], *args: Any, timeout: float = 100.0) -> Any:
    """``target(*args)`` in a freshly spawned, prepared process; what it returns.

    ``target`` and ``args`` must pickle (module-level functions, plain data).
    """
    ours, theirs = SPAWN.Pipe()
    process = SPAWN.Process(target=_host, args=(target, args, theirs))
    process.start()
    theirs.close()
    try:
        if not ours.poll(timeout):
            raise AssertionError(f"{target.__name__} took longer than {timeout} s")
        status, value = ours.recv()
    finally:
        process.join(10)
        if process.exitcode is None:
            process.kill()
            process.join()
    assert status == "done", f"{target.__name__} crashed:\n{value}"
    return value


def forked(target: Callable[..., None], *args: Any, timeout: float = 60.0) -> int:
    """Run ``target(*args)`` in a forked process; its exit code (``-9``: killed)."""
    process = FORK.Process(target=target, args=args)
    process.start()
    process.join(timeout)
    if process.exitcode is None:
        process.kill()
        process.join()
    assert process.exitcode is not None
    return process.exitcode


def exit_after(work: Callable[[], None], error_file: os.PathLike[str] | str) -> None:
    """A forked worker's body: run ``work``, write any error to ``error_file``, and exit
    at once (no clean-up that could touch what the parent process holds)."""
    code = 0
    gc.disable()  # short-lived: collecting would only copy the parent's pages
    try:
        work()
    except BaseException:
        with open(error_file, "a", encoding="utf-8") as out:
            out.write(traceback.format_exc())
        code = 1
    os._exit(code)


# --- the fakes' process ------------------------------------------------------------------------


@attrs.frozen
class Reach:
    """How a worker reaches the served fakes."""

    allegro_url: str
    plenty_url: str
    token: str
    """An access token of the default seller."""
    username: str
    password: str


@attrs.define
class Stage:
    """(In the fakes' process.) The fakes being served; a new pair can take the stage."""

    allegro: FakeAllegro
    plenty: FakePlenty


class _OnStage:
    """Serves whichever fake of its kind is on the stage (a ``FakeService`` to the server)."""

    def __init__(self, stage: Stage, kind: str) -> None:
        self.stage, self.kind = stage, kind

    @property
    def service_name(self) -> str:
        return str(getattr(self.stage, self.kind).service_name)

    def handle(self, request: Any) -> Any:
        return getattr(self.stage, self.kind).handle(request)


def _serve(stage: Stage, conn: Connection) -> None:
    gc.disable()
    # A killed worker's connections end in resets; the server need not print each.
    socketserver.BaseServer.handle_error = lambda self, request, address: None  # type: ignore[method-assign]
    allegro = FakeServer(_OnStage(stage, "allegro"))  # type: ignore[arg-type]
    plenty = FakeServer(_OnStage(stage, "plenty"))  # type: ignore[arg-type]
    with allegro, plenty:
        conn.send((allegro.url, plenty.url))
        while (asked := conn.recv()) is not None:
            function, args = asked
            conn.send(function(stage, *args))
    os._exit(0)  # the servers need no graceful stop: nobody calls any more


def _restage(stage: Stage, build: Callable[..., tuple[FakeAllegro, FakePlenty]], args: Any) -> Any:
    stage.allegro, stage.plenty = build(*args)
    return stage.allegro.issue_token().access_token, stage.plenty.username, stage.plenty.password


class ServedFakes:
    """Both fakes served on loopback by a forked process, as long as the ``with`` lasts.

    The fakes are handed over as they are: the process that built them keeps a
    copy that no longer changes. :meth:`ask` evaluates a function on them there,
    :meth:`restage` puts a new pair in their place (same addresses).
    """

    def __init__(self, allegro: FakeAllegro, plenty: FakePlenty) -> None:
        self._conn, theirs = FORK.Pipe()
        token = allegro.issue_token().access_token
        stage = Stage(allegro, plenty)
        self._process = FORK.Process(target=_serve, args=(stage, theirs), daemon=True)
        self._process.start()
        theirs.close()
        allegro_url, plenty_url = self._conn.recv()
        self.reach = Reach(allegro_url, plenty_url, token, plenty.username, plenty.password)

    def ask(self, function: Callable[..., Any], *args: Any) -> Any:
        """``function(stage, *args)`` evaluated on the served fakes' :class:`Stage`
        (``function`` and ``args`` must pickle)."""
        self._conn.send((function, args))
        return self._conn.recv()

    def restage(self, build: Callable[..., tuple[FakeAllegro, FakePlenty]], *args: Any) -> Reach:
        """Serve ``build(*args)`` from now on (built in the fakes' process); how to reach it."""
        token, username, password = self.ask(_restage, build, args)
        self.reach = attrs.evolve(self.reach, token=token, username=username, password=password)
        return self.reach

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._conn.send(None)
        self._process.join(10)
        if self._process.exitcode is None:
            self._process.kill()
            self._process.join()

    def __enter__(self) -> ServedFakes:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- the workers' clients ----------------------------------------------------------------------

Wrap = Callable[[httpx.BaseTransport], httpx.BaseTransport]


def _plain(transport: httpx.BaseTransport) -> httpx.BaseTransport:
    return transport


def loopback_transport() -> httpx.HTTPTransport:
    """Plain HTTP on loopback: no certificates to load; NODELAY, since headers and body
    go out in separate writes and Nagle's algorithm would hold the body back."""
    return httpx.HTTPTransport(
        verify=False, socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
    )


@contextlib.contextmanager
def clients(
    reach: Reach,
    *,
    allegro_wrap: Wrap = _plain,
    plenty_wrap: Wrap = _plain,
    token_store: TokenStore | None = None,
    **plenty_options: Any,
) -> Iterator[tuple[AllegroClient, PlentyClient]]:
    """An Allegro client of the default seller and a plentymarkets client over loopback,
    their transports wrapped as given (strict, as in every test)."""
    with (
        AllegroClient(
            access_token=reach.token, base_url=reach.allegro_url, strict=True,
            transport=allegro_wrap(loopback_transport()),
        ) as allegro,
        PlentyClient(
            reach.plenty_url, username=reach.username, password=reach.password,
            token_store=token_store or MemoryTokenStore(), strict=True,
            transport=plenty_wrap(loopback_transport()), **plenty_options,
        ) as plenty,
    ):  # fmt: skip
        yield allegro, plenty


@contextlib.contextmanager
def memory_clients(
    allegro: FakeAllegro,
    plenty: FakePlenty,
    *,
    allegro_wrap: Wrap = _plain,
    plenty_wrap: Wrap = _plain,
) -> Iterator[tuple[AllegroClient, PlentyClient]]:
    """The same clients in this process, over the fakes' in-memory transports."""
    with (
        AllegroClient(
            access_token=allegro.issue_token().access_token, strict=True,
            transport=allegro_wrap(allegro.transport()),
        ) as allegro_client,
        PlentyClient(
            "https://plenty.invalid", username=plenty.username, password=plenty.password,
            token_store=MemoryTokenStore(), strict=True,
            transport=plenty_wrap(plenty.transport()),
        ) as plenty_client,
    ):  # fmt: skip
        yield allegro_client, plenty_client
