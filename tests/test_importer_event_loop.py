"""An async import never holds the event loop: run under asyncio debug mode, it logs no
slow callback, even while another connection holds the SQLite ledger's write lock.

The check must stand on a loaded two-core machine, where the operating system can
stretch any callback: the threshold is 0.1 s, the garbage collector's old objects are
frozen (a full collection of a big test process can take tens of milliseconds), the
clients are warmed up by a first import, and a slow callback counts only if it shows
in each of ``ATTEMPTS`` fresh runs. Blocking work on the loop shows every time (the
negative control); a preempted callback does not.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from allegro_plenty.ledger import SqliteLedger

from .importer_support import World
from .ledger_support import LedgerOnTheLoop

THRESHOLD = 0.1
"""Seconds a callback may hold the loop before asyncio logs it."""
ATTEMPTS = 3
HELD = 0.5
"""Seconds another connection holds the ledger's write lock at the start of the run."""


@contextlib.contextmanager
def write_lock_held(path: Path, seconds: float) -> Iterator[None]:
    """Another connection (another process's long write, as SQLite sees it) holds the
    write lock for ``seconds`` from the moment this is entered."""
    held = threading.Event()

    def hold() -> None:
        con = sqlite3.connect(path, isolation_level=None)
        con.execute("BEGIN IMMEDIATE")
        held.set()
        time.sleep(seconds)
        con.execute("COMMIT")
        con.close()

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(10)
    try:
        yield
    finally:
        holder.join()


def slow_callbacks_of_a_run(
    path: Path, caplog: pytest.LogCaptureFixture, wrap: Callable[[SqliteLedger], Any]
) -> list[str]:
    """After a first import (not watched), import six forms (the write lock held at the
    start), then run idle, on one loop in debug mode; the slow callbacks asyncio logged."""
    world = World()
    sqlite = SqliteLedger(path, clock=world.clock.time)
    sqlite.migrate()
    world.ledger = wrap(sqlite)
    world.add(seed=59)
    gc.collect()
    gc.freeze()
    try:
        with world.importer("async", slow_callback=3600) as importer:
            # The first import warms the clients up: each compiles its converter's hooks
            # at a model's first use (tens of milliseconds of CPU, once per client).
            importer.run()
            for seed in range(60, 66):
                world.add(seed=seed)
            caplog.clear()
            assert importer.loop is not None
            importer.loop.slow_callback_duration = THRESHOLD
            with write_lock_held(path, HELD):
                result = importer.run()
            importer.run()
    finally:
        gc.unfreeze()
        sqlite.close()
    assert result.counts["created"] == 6
    return [r.getMessage() for r in caplog.records if r.name == "asyncio"]


def slow_in_every_attempt(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, wrap: Callable[[SqliteLedger], Any]
) -> list[str]:
    """The slow callbacks of the first of ``ATTEMPTS`` runs, or none if any run had none."""
    caplog.set_level(logging.WARNING, logger="asyncio")
    first: list[str] | None = None
    for attempt in range(ATTEMPTS):
        found = slow_callbacks_of_a_run(tmp_path / f"ledger-{attempt}.db", caplog, wrap)
        if not found:
            return []
        first = found if first is None else first
    return first or []


def test_an_async_import_against_a_locked_ledger_logs_no_slow_callback(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert slow_in_every_attempt(tmp_path, caplog, lambda ledger: ledger) == []


def test_negative_control_ledger_calls_on_the_loop_are_logged_as_slow_callbacks(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    found = slow_in_every_attempt(tmp_path, caplog, LedgerOnTheLoop)
    assert found, "blocking calls on the loop went unnoticed"
    assert all("took" in message for message in found)
