"""Three processes sharing one JSON-file token store log in to plentymarkets exactly once.

A loopback HTTP server plays plenty; its login is slow, so every process
arrives while the first login is still running. The negative control runs the
same processes with a store whose lock does nothing: each process logs in.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest

from allegro_plenty.tokens import JsonFileTokenStore, TokenLock

pytestmark = pytest.mark.slow
PROCESSES = 3
USERNAME = "api-user"
PASSWORD = "pw-Secret-1234567"


class _NoLock:
    """A lock that excludes nobody (the broken variant)."""

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


class UnlockedStore(JsonFileTokenStore):
    """A JSON-file store whose lock is broken."""

    def lock(self, service: str, key: str) -> TokenLock:
        return _NoLock()


def child(base_url: str, store_path: str, broken: bool, ready: Any, start: Any) -> None:
    """One worker process: wait for the start signal, then make three calls."""
    from allegro_plenty.plenty import PlentyClient

    store = (UnlockedStore if broken else JsonFileTokenStore)(store_path)
    ready.put("ready")
    if not start.wait(30):
        raise SystemExit(3)
    with PlentyClient(
        base_url, username=USERNAME, password=PASSWORD, token_store=store, strict=True
    ) as client:
        for _ in range(3):
            client.get_order(630, relations=())


class FakeLoginServer(ThreadingHTTPServer):
    """plenty's login (slow, counted) and one order route that checks the token."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.logins = 0
        self.issued: set[str] = set()
        self.refused = 0
        self.lock = threading.Lock()


class _Handler(BaseHTTPRequestHandler):
    server: FakeLoginServer

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def _reply(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        sent = json.loads(self.rfile.read(length) or b"{}")
        if self.path != "/rest/login" or sent != {"username": USERNAME, "password": PASSWORD}:
            self._reply(400, {"message": "bad login"})
            return
        with self.server.lock:
            self.server.logins += 1
            token = f"token-{self.server.logins}-" + "x" * 30
            self.server.issued.add(token)
        time.sleep(0.3)  # a slow login: the other processes arrive meanwhile
        self._reply(200, {"access_token": token, "token_type": "Bearer", "expires_in": 86400,
                          "refresh_token": "refresh-" + token})  # fmt: skip

    def do_GET(self) -> None:
        token = self.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self.server.issued:
            with self.server.lock:
                self.server.refused += 1
            self._reply(401, {"error": {"message": "Unauthenticated."}})
            return
        self._reply(200, {"id": 630, "typeId": 1, "statusId": 5})


@contextlib.contextmanager
def login_server() -> Iterator[FakeLoginServer]:
    server = FakeLoginServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def run_processes(tmp_path: Path, *, broken: bool) -> FakeLoginServer:
    context = multiprocessing.get_context("spawn")
    ready, start = context.Queue(), context.Event()
    with login_server() as server:
        base_url = f"http://127.0.0.1:{server.server_address[1]}"
        store_path = str(tmp_path / "tokens.json")
        workers = [
            context.Process(target=child, args=(base_url, store_path, broken, ready, start))
            for _ in range(PROCESSES)
        ]
        for worker in workers:
            worker.start()
        for _ in workers:
            ready.get(timeout=60)
        start.set()
        for worker in workers:
            worker.join(timeout=60)
        assert [w.exitcode for w in workers] == [0] * PROCESSES
    return server


def test_three_processes_share_one_login(tmp_path: Path) -> None:
    server = run_processes(tmp_path, broken=False)
    assert server.logins == 1
    assert server.refused == 0
    text = (tmp_path / "tokens.json").read_text()
    keys = list(json.loads(text)["plenty"])
    assert len(keys) == 1
    assert keys[0].startswith(f"{USERNAME}@http://127.0.0.1:")
    assert PASSWORD not in text


def test_without_the_lock_every_process_logs_in(tmp_path: Path) -> None:
    """Negative control: the same harness with a broken lock logs in more than once."""
    server = run_processes(tmp_path, broken=True)
    assert server.logins > 1
