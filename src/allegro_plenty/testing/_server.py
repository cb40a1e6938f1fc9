"""A fake served over real HTTP on loopback (stdlib ``ThreadingHTTPServer``).

The server runs in the test's process, in a background thread, and calls the
same :meth:`FakeService.handle` the transports call. Worker processes reach
it by URL, so several processes share one fake, and a worker that is killed
mid-request cannot take the fake's state (or a half-done write) with it.

Faults become socket behaviour: a reset closes the connection with a TCP RST;
a timeout holds the connection open, without an answer, until the client
gives up and hangs up (give clients a short read timeout in such tests).
"""

from __future__ import annotations

import select
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ._transport import Drop, FakeRequest, FakeService
from .faults import FaultKind

__all__ = ["FakeServer"]


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeService
    stopping: threading.Event
    hold_timeout: float


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without this, Nagle's
        # algorithm and delayed ACKs add 40 ms to every answer.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        # Quiet: the fake records every call; stderr noise helps nobody.
        return

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _serve(self) -> None:
        request = FakeRequest.from_target(
            self.command, self.path, self.headers.items(), self._body()
        )
        outcome = self.server.fake.handle(request)
        if isinstance(outcome, Drop):
            if outcome.kind is FaultKind.TIMEOUT:
                self._hold()
            self._reset()
            return
        # send_response() would add the host's Date; a fake that sends its own
        # (its clock's) must be the only one.
        self.log_request(outcome.status)
        self.send_response_only(outcome.status)
        self.send_header("Server", self.version_string())
        if outcome.header("date") is None:
            self.send_header("Date", self.date_time_string())
        for name, value in outcome.headers:
            if name.lower() not in ("content-length", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(outcome.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(outcome.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _serve

    def _hold(self) -> None:
        """Say nothing until the client hangs up (its timeout) or the server stops."""
        deadline = time.monotonic() + self.server.hold_timeout
        conn = self.connection
        while not self.server.stopping.is_set() and time.monotonic() < deadline:
            readable, _, _ = select.select([conn], [], [], 0.01)
            if readable:
                try:
                    if conn.recv(1, socket.MSG_PEEK) == b"":
                        return
                except OSError:
                    return

    def _reset(self) -> None:
        """Close with a TCP RST, as a crashed peer or a dropping proxy does."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass


class FakeServer:
    """Serve one fake on ``http://127.0.0.1:<port>`` until stopped.

    Use as a context manager::

        with fake_plenty.serve() as server:
            client = PlentyClient(base_url=server.url, ...)

    Args:
        fake: The fake to serve.
        host: The address to bind (loopback by default).
        port: The port (0 picks a free one).
        hold_timeout: The longest a timeout fault holds a connection open.
    """

    def __init__(
        self,
        fake: FakeService,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        hold_timeout: float = 30.0,
    ) -> None:
        self.fake = fake
        self._address = (host, port)
        self._hold_timeout = hold_timeout
        self._server: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        where = self.url if self._server else "stopped"
        return f"FakeServer({type(self.fake).__name__}, {where})"

    @property
    def url(self) -> str:
        """The base URL, for example ``http://127.0.0.1:54321``."""
        if self._server is None:
            raise RuntimeError("the server is not running; call start() or use it in a with block")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeServer:
        """Bind and start serving in a daemon thread."""
        if self._server is not None:
            return self
        server = _HTTPServer(self._address, _Handler)
        server.fake = self.fake
        server.stopping = threading.Event()
        server.hold_timeout = self._hold_timeout
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fake-{self.fake.service_name}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        server, thread = self._server, self._thread
        if server is None:
            return
        server.stopping.set()
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
