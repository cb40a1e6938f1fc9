"""Refresh races: many workers, one single-use refresh token, exactly one refresh.

A real HTTP server on loopback plays Allegro: its token endpoint rejects a
refresh token once used (``invalid_grant``, as Allegro does) and its API
accepts only the newest access token. Workers in two processes (four threads
each), or eight asyncio tasks, share one :class:`JsonFileTokenStore` whose
token has expired, and call ``GET /me`` at the same moment.

Negative controls run the same harness with deliberately broken stores (a lock
that does not lock; a re-load that returns a stale token) and must show the
damage: more than one refresh, or an ``invalid_grant``.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from allegro_plenty import (
    AllegroApp,
    AllegroClient,
    AllegroEnvironment,
    AsyncAllegroClient,
    JsonFileTokenStore,
    Token,
    TokenLock,
)

pytestmark = pytest.mark.slow

APP = AllegroApp("race-client", "race-secret-0123456789")
ACCOUNT = "46968690"
ME = b'{"id": "46968690", "login": "seller"}'


class AllegroOnLoopback:
    """A threaded HTTP server with Allegro's single-use refresh tokens.

    Attributes:
        refreshes: Successful refreshes.
        invalid_grants: Refreshes refused because the token was already used.
        max_in_flight: The most ``GET /me`` requests served at the same time.
    """

    def __init__(self, *, refresh_delay: float = 0.2, gather: int = 0, gather_wait: float = 0.0):
        self.refresh_delay = refresh_delay
        self.gather, self.gather_wait = gather, gather_wait
        self.lock = threading.Condition()
        self.live_refresh = {"refresh-0-abcdefgh"}
        self.issued = 0
        self.refreshes = self.invalid_grants = self.api_calls = 0
        self.in_flight = self.max_in_flight = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> AllegroOnLoopback:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return None

            def do_POST(self) -> None:
                length = int(self.headers["content-length"])
                form = dict(parse_qsl(self.rfile.read(length).decode()))
                status, body = fake.refresh(form.get("refresh_token", ""))
                self._reply(status, body, "application/json")

            def do_GET(self) -> None:
                status, body = fake.me(self.headers.get("authorization", ""))
                self._reply(status, body, "application/vnd.allegro.public.v1+json")

            def _reply(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("content-type", content_type)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler

    def refresh(self, token: str) -> tuple[int, bytes]:
        with self.lock:
            if token not in self.live_refresh:
                self.invalid_grants += 1
                return (
                    400,
                    b'{"error": "invalid_grant", "error_description": "Invalid refresh token"}',
                )
            self.live_refresh.discard(token)
            self.refreshes += 1
            self.issued += 1
            n = self.issued
            self.live_refresh.add(f"refresh-{n}-abcdefgh")
        time.sleep(self.refresh_delay)  # a slow answer widens the race window
        body = (
            f'{{"access_token": "access-{n}-abcdefgh", "refresh_token": "refresh-{n}-abcdefgh", '
            f'"expires_in": 43199, "token_type": "bearer"}}'
        )
        return 200, body.encode()

    def me(self, authorization: str) -> tuple[int, bytes]:
        with self.lock:
            self.api_calls += 1
            if authorization != f"Bearer access-{self.issued}-abcdefgh":
                return (
                    401,
                    b'{"error": "invalid_token", "error_description": "Access token expired"}',
                )
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self.lock.notify_all()
            deadline = time.monotonic() + self.gather_wait
            # Hold each request until `gather` were in flight together once.
            while self.max_in_flight < self.gather and time.monotonic() < deadline:
                self.lock.wait(deadline - time.monotonic())
        try:
            return 200, ME
        finally:
            with self.lock:
                self.in_flight -= 1


# --- stores: the real one and two deliberately broken ones ----------------------------


class _NoLock:
    def __enter__(self) -> object:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    async def __aenter__(self) -> object:
        return self

    async def __aexit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None


class LockThatDoesNotLock(JsonFileTokenStore):
    """Broken on purpose: ``lock`` excludes nobody."""

    def lock(self, service: str, key: str) -> TokenLock:
        return _NoLock()


class StaleReload(JsonFileTokenStore):
    """Broken on purpose: ``load`` keeps returning the first token it read."""

    def __init__(self, path: str | Path) -> None:
        super().__init__(path)
        self._first: dict[tuple[str, str], Token | None] = {}

    def load(self, service: str, key: str) -> Token | None:
        if (service, key) not in self._first:
            self._first[(service, key)] = super().load(service, key)
        return self._first[(service, key)]


STORES: dict[str, type[JsonFileTokenStore]] = {
    "correct": JsonFileTokenStore,
    "no-lock": LockThatDoesNotLock,
    "no-reload": StaleReload,
}


def expired_token_in(path: Path) -> None:
    past = datetime.now(timezone.utc) - timedelta(minutes=5)
    JsonFileTokenStore(path).save(
        "allegro", ACCOUNT, Token("access-0-abcdefgh", past, "refresh-0-abcdefgh")
    )


def valid_token_in(path: Path, n: int = 0) -> None:
    future = datetime.now(timezone.utc) + timedelta(hours=1)
    JsonFileTokenStore(path).save(
        "allegro", ACCOUNT, Token(f"access-{n}-abcdefgh", future, f"refresh-{n}-abcdefgh")
    )


def environment(url: str) -> AllegroEnvironment:
    return AllegroEnvironment(api_url=url, oauth_url=url)


def sync_client(url: str, store: JsonFileTokenStore) -> AllegroClient:
    return AllegroClient(
        app=APP,
        account=ACCOUNT,
        token_store=store,
        environment=environment(url),
        transport=httpx.HTTPTransport(),  # no proxies from the environment
    )


def call_me(url: str, store: JsonFileTokenStore, gate: Any) -> str:
    gate.wait(timeout=30)
    try:
        with sync_client(url, store) as client:
            return client.get_me().id
    except Exception as exc:  # reported to the parent, asserted there
        return f"{type(exc).__name__}: {exc}"


def process_worker(url: str, path: str, variant: str, threads: int, gate: Any, out: Any) -> None:
    """One process: ``threads`` threads, each with its own client and store object."""
    results: list[str] = []

    def run() -> None:
        results.append(call_me(url, STORES[variant](path), gate))

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    out.put(results)


def race_processes(
    server: AllegroOnLoopback, path: Path, variant: str, processes: int = 2, threads: int = 4
) -> list[str]:
    ctx = multiprocessing.get_context("spawn")
    gate = ctx.Barrier(processes * threads)
    out = ctx.Queue()
    children = [
        ctx.Process(
            target=process_worker, args=(server.url, str(path), variant, threads, gate, out)
        )
        for _ in range(processes)
    ]
    for child in children:
        child.start()
    results = [item for _ in children for item in out.get(timeout=60)]
    for child in children:
        child.join(timeout=30)
        assert child.exitcode == 0
    return results


# --- processes x threads --------------------------------------------------------------


def test_two_processes_of_four_threads_refresh_exactly_once(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    expired_token_in(path)
    with AllegroOnLoopback() as server:
        results = race_processes(server, path, "correct")
    assert results == [ACCOUNT] * 8
    assert (server.refreshes, server.invalid_grants) == (1, 0)
    token = JsonFileTokenStore(path).load("allegro", ACCOUNT)
    assert token is not None
    assert token.refresh_token == "refresh-1-abcdefgh"


@pytest.mark.parametrize("variant", ["no-lock", "no-reload"])
def test_negative_control_broken_stores_lose_the_race(tmp_path: Path, variant: str) -> None:
    path = tmp_path / "tokens.json"
    expired_token_in(path)
    with AllegroOnLoopback() as server:
        results = race_processes(server, path, variant)
    assert server.refreshes > 1 or server.invalid_grants > 0
    assert any(r != ACCOUNT for r in results)


# --- asyncio tasks --------------------------------------------------------------------


async def _async_race(url: str, store: JsonFileTokenStore, tasks: int = 8) -> list[str]:
    start = asyncio.Event()

    async def one() -> str:
        await start.wait()
        try:
            async with AsyncAllegroClient(
                app=APP,
                account=ACCOUNT,
                token_store=store,
                environment=environment(url),
                transport=httpx.AsyncHTTPTransport(),
            ) as client:
                return (await client.get_me()).id
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"

    running = [asyncio.create_task(one()) for _ in range(tasks)]
    await asyncio.sleep(0)
    start.set()
    return list(await asyncio.gather(*running))


def test_eight_asyncio_tasks_refresh_exactly_once(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    expired_token_in(path)
    with AllegroOnLoopback() as server:
        results = asyncio.run(_async_race(server.url, JsonFileTokenStore(path)))
    assert results == [ACCOUNT] * 8
    assert (server.refreshes, server.invalid_grants) == (1, 0)


@pytest.mark.parametrize("variant", ["no-lock", "no-reload"])
def test_negative_control_asyncio_tasks_with_a_broken_store(tmp_path: Path, variant: str) -> None:
    path = tmp_path / "tokens.json"
    expired_token_in(path)
    with AllegroOnLoopback() as server:
        results = asyncio.run(_async_race(server.url, STORES[variant](path)))
    assert server.refreshes > 1 or server.invalid_grants > 0
    assert any(r != ACCOUNT for r in results)


# --- requests that need no refresh do not queue behind each other ---------------------


@contextlib.contextmanager
def gathering_server(expected: int) -> Iterator[AllegroOnLoopback]:
    # Requests wait (up to 2 s) until `expected` of them have been in flight at once.
    with AllegroOnLoopback(gather=expected, gather_wait=2.0) as server:
        yield server


def test_threads_with_a_valid_token_call_concurrently(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    valid_token_in(path)
    with gathering_server(4) as server:
        gate = threading.Barrier(8)
        results: list[str] = []
        workers = [
            threading.Thread(
                target=lambda: results.append(call_me(server.url, JsonFileTokenStore(path), gate))
            )
            for _ in range(8)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    assert results == [ACCOUNT] * 8
    assert server.max_in_flight >= 4
    assert server.refreshes == 0


def test_tasks_with_a_valid_token_call_concurrently(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    valid_token_in(path)
    with gathering_server(4) as server:
        results = asyncio.run(_async_race(server.url, JsonFileTokenStore(path)))
    assert results == [ACCOUNT] * 8
    assert server.max_in_flight >= 4
    assert server.refreshes == 0


def test_negative_control_the_harness_sees_serialised_requests(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    valid_token_in(path)
    one_at_a_time = threading.Lock()

    def serialised() -> None:
        with one_at_a_time:
            call_me(server.url, JsonFileTokenStore(path), threading.Barrier(1))

    with AllegroOnLoopback(gather=4, gather_wait=0.2) as server:
        workers = [threading.Thread(target=serialised) for _ in range(4)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    assert server.api_calls == 4
    assert server.max_in_flight == 1
