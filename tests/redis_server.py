"""A throwaway Redis server for the Celery example's test (as ``pg_server.py`` for PostgreSQL).

Debian's ``redis-server`` (``.ci/run`` installs it) on a free loopback port, as an
unprivileged user when we are root, in a temporary folder, persisting nothing; stopped
and removed when the test session ends.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from .pg_server import UNPRIVILEGED_USER, _free_port


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as probe:
            probe.sendall(b"PING\r\n")
            return probe.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class ThrowawayRedis:
    """``redis-server`` on loopback in a temporary folder."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        as_root = os.geteuid() == 0
        self.folder = Path(tempfile.mkdtemp(prefix="allegro-plenty-redis-", dir="/tmp"))
        if as_root:
            user = pwd.getpwnam(UNPRIVILEGED_USER)
            os.chown(self.folder, user.pw_uid, user.pw_gid)
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        argv = [
            binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
            "--save", "", "--appendonly", "no", "--daemonize", "no", "--unixsocket", "",
        ]  # fmt: skip
        if as_root:
            argv = ["runuser", "-u", UNPRIVILEGED_USER, "--", *argv]
        self.process = subprocess.Popen(
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=self.folder
        )
        deadline = time.monotonic() + 15
        while not _answers(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                error = self.process.stderr.read().decode() if self.process.stderr else ""
                self.stop()
                raise RuntimeError(f"redis-server did not start: {error}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stderr:
            self.process.stderr.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def start_redis() -> ThrowawayRedis | str:
    """A started server, or the reason none could be started."""
    binary = shutil.which("redis-server") or shutil.which("redis-server", path="/usr/bin:/usr/sbin")
    if binary is None:
        return "no redis-server found (apt-get install redis-server)"
    try:
        return ThrowawayRedis(binary)
    except (RuntimeError, OSError) as exc:
        return f"could not start {binary}: {exc}"
