"""A throwaway PostgreSQL server for the tests that need a real one.

``ALLEGRO_PLENTY_PG_DSN`` names a server to use (the tests then make a schema
of their own in it per test and drop it afterwards). Without it, and where a
PostgreSQL installation is present (Debian's ``postgresql`` package; ``.ci/run``
installs it), :class:`ThrowawayServer` makes a data folder in the temporary
folder, runs the server on a free loopback port as an unprivileged user
(PostgreSQL refuses to run as root; we run as root here, so as ``nobody``),
and removes everything when the session ends. Unix sockets are off: only
``127.0.0.1`` is listened on.

Run as a script it starts one and prints the DSN, for trying things by hand::

    python tests/pg_server.py      # Ctrl-C or SIGTERM stops it and removes the folder
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import attrs

DSN_VARIABLE = "ALLEGRO_PLENTY_PG_DSN"
UNPRIVILEGED_USER = "nobody"

# Durability is not what these tests measure: a throwaway server may lose it all.
_FAST = ("fsync=off", "synchronous_commit=off", "full_page_writes=off")


def find_bindir() -> Path | None:
    """The folder of ``initdb`` and ``pg_ctl``: Debian's newest, or the ones on ``PATH``."""
    debian = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: [int(n) for n in re.findall(r"\d+", p.parent.parent.name)],
    )
    if debian:
        return debian[-1].parent
    found = shutil.which("initdb")
    return Path(found).resolve().parent if found else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class ThrowawayServer:
    """A PostgreSQL server in a temporary folder, on loopback, as an unprivileged user.

    Args:
        bindir: Where ``initdb`` and ``pg_ctl`` are.
    """

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self._as_root = os.geteuid() == 0
        # As root, the server's user must reach the folder: /tmp is open to all.
        base = "/tmp" if self._as_root and os.path.isdir("/tmp") else None
        self.folder = Path(tempfile.mkdtemp(prefix="allegro-plenty-pg-", dir=base))
        self.data = self.folder / "data"
        self.port = _free_port()
        self.dsn = f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"

    def _run(self, *command: str, timeout: float = 60) -> None:
        argv = [str(self.bindir / command[0]), *command[1:]]
        if self._as_root:
            argv = ["runuser", "-u", UNPRIVILEGED_USER, "--", *argv]
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=timeout, check=False, cwd=self.folder
        )
        if done.returncode != 0:
            log = self.folder / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(
                f"{' '.join(command[:2])} failed:\n{done.stdout}\n{done.stderr}\n{tail}"
            )

    def start(self) -> str:
        """Make the cluster, start the server and wait until it accepts connections."""
        if self._as_root:
            user = pwd.getpwnam(UNPRIVILEGED_USER)
            os.chmod(self.folder, 0o700)
            os.chown(self.folder, user.pw_uid, user.pw_gid)
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
            "--encoding=UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip
        self._pg_ctl("start")
        return self.dsn

    def _pg_ctl(self, action: str) -> None:
        settings = [
            "listen_addresses=127.0.0.1",
            f"port={self.port}",
            "unix_socket_directories=''",
            "max_connections=200",
            *_FAST,
        ]
        options = " ".join(f"-c {setting}" for setting in settings)
        log = str(self.folder / "server.log")
        self._run(
            "pg_ctl", action, "-D", str(self.data), "-w", "-m", "fast", "-l", log, "-o", options
        )  # fmt: skip

    def restart(self) -> None:
        """Stop the server (ending every connection) and start it again on the same port."""
        self._pg_ctl("restart")

    def pause(self) -> None:
        """Stop the server (ending every connection), keeping its data for :meth:`resume`."""
        self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "fast", "-w")

    def resume(self) -> None:
        """Start the server again after :meth:`pause`, on the same port."""
        self._pg_ctl("start")

    def stop(self) -> None:
        """Stop the server and remove its folder."""
        try:
            self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "immediate", "-w")
        except (RuntimeError, subprocess.TimeoutExpired):
            pass  # never started, or already gone
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def start_throwaway() -> ThrowawayServer | str:
    """A started server, or the reason none could be started."""
    bindir = find_bindir()
    if bindir is None:
        return "no PostgreSQL installation found (apt-get install postgresql)"
    problem = ""
    for _attempt in range(3):  # another port each time: a free one may be taken meanwhile
        server = ThrowawayServer(bindir)
        try:
            server.start()
        except (RuntimeError, subprocess.TimeoutExpired, OSError) as exc:
            server.stop()
            problem = str(exc)
        else:
            return server
    return f"could not start PostgreSQL from {bindir}: {problem}"


@attrs.frozen
class Postgres:
    """The server the tests use.

    Attributes:
        dsn: How to reach it.
        server: The throwaway server, or ``None`` when ``ALLEGRO_PLENTY_PG_DSN``
            named one (then the tests that restart the server skip).
    """

    dsn: str
    server: ThrowawayServer | None


def session_postgres() -> Iterator[Postgres | str]:
    """The session's server, or the reason there is none (for the fixture to skip or fail)."""
    given = os.environ.get(DSN_VARIABLE)
    if given:
        yield Postgres(given, None)
        return
    started = start_throwaway()
    if isinstance(started, str):
        yield f"PostgreSQL tests need {DSN_VARIABLE} or a PostgreSQL installation: {started}"
        return
    try:
        yield Postgres(started.dsn, started)
    finally:
        started.stop()


def fresh_schema_name() -> str:
    """A schema name no other test uses."""
    return f"t_{uuid.uuid4().hex[:16]}"


def drop_schema(dsn: str, name: str) -> None:
    """Remove a test's schema and everything in it."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as con:
        con.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")


def _stop_on_signal(number: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    started = start_throwaway()
    if isinstance(started, str):
        raise SystemExit(started)
    print(f"{DSN_VARIABLE}='{started.dsn}'", flush=True)
    signal.signal(signal.SIGTERM, _stop_on_signal)  # also when started in the background
    try:
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)
    finally:
        started.stop()
