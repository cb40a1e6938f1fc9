"""The async ledger: the same protocol, every call off the event loop."""

from __future__ import annotations

import ast
import asyncio
import inspect
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest

from allegro_plenty.ledger import (
    AsyncImportLedger,
    AsyncLedger,
    BindingOrigin,
    ImportLedger,
    MemoryLedger,
    SqliteLedger,
)
from allegro_plenty.testing._ledger_race import slow_callbacks

from .ledger_support import LedgerOnTheLoop


def _methods(protocol: type) -> dict[str, Callable[..., Any]]:
    return {
        name: member
        for name, member in vars(protocol).items()
        if callable(member) and not name.startswith("_")
    }


def test_the_sync_and_async_protocols_have_the_same_methods_and_parameters() -> None:
    sync, asynchronous = _methods(ImportLedger), _methods(AsyncImportLedger)
    assert sorted(sync) == sorted(asynchronous)
    assert len(sync) == 38
    for name, method in sync.items():
        assert inspect.iscoroutinefunction(asynchronous[name]), name
        assert not inspect.iscoroutinefunction(method), name
        assert inspect.signature(method) == inspect.signature(asynchronous[name]), name


def test_the_adapter_serves_every_method_of_the_protocol() -> None:
    for name in _methods(AsyncImportLedger):
        served = getattr(AsyncLedger, name)
        assert inspect.iscoroutinefunction(served), name
        assert served.__name__ == name


class _ThreadRecorder(MemoryLedger):
    """Notes the thread of every call."""

    def __init__(self) -> None:
        super().__init__()
        self.threads: set[str] = set()

    def claim(self, *args: Any, **kwargs: Any) -> Any:
        self.threads.add(threading.current_thread().name)
        return super().claim(*args, **kwargs)


def test_every_call_runs_on_the_adapters_own_worker_thread() -> None:
    recorder = _ThreadRecorder()

    async def main() -> str:
        async with AsyncLedger(recorder) as ledger:
            await asyncio.gather(
                *(ledger.claim("seller", f"form-{n}", "task", lease=60) for n in range(20))
            )
        return threading.current_thread().name

    loop_thread = asyncio.run(main())
    (worker,) = recorder.threads
    assert worker != loop_thread
    assert worker.startswith("allegro-plenty-ledger")


def test_a_cancelled_call_leaves_the_adapter_usable() -> None:
    class Slow(MemoryLedger):
        def binding(self, account: str, form_id: str) -> Any:
            time.sleep(0.2)
            return super().binding(account, form_id)

    async def main() -> None:
        async with AsyncLedger(Slow()) as ledger:
            waiting = asyncio.ensure_future(ledger.binding("seller", "form-1"))
            await asyncio.sleep(0.05)
            waiting.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiting
            bound = await ledger.bind("seller", "form-1", 1, origin=BindingOrigin.CREATED)
            assert await ledger.binding("seller", "form-1") == bound

    asyncio.run(main())


# --- the event loop stays free, even while another process holds the file ---------------


def _workload(path: Path, ledger: Any) -> Callable[[], Coroutine[Any, Any, None]]:
    """Tasks claiming, binding and failing forms while another connection holds the
    write lock for 0.3 s (another process's long write, as SQLite sees it)."""

    def hold_lock(held: threading.Event) -> None:
        con = sqlite3.connect(path, isolation_level=None)
        con.execute("BEGIN IMMEDIATE")
        held.set()
        time.sleep(0.3)
        con.execute("COMMIT")
        con.close()

    async def worker(n: int) -> None:
        for k in range(5):
            form = f"form-{n}-{k}"
            claim = await ledger.claim("seller", form, f"task-{n}", lease=60)
            await ledger.bind("seller", form, 100 * n + k + 1, origin=BindingOrigin.CREATED)
            await ledger.record_failure("seller", form, "HTTP 503", retry_in=0)
            await ledger.release_claim(claim)

    async def main() -> None:
        await ledger.migrate()
        held = threading.Event()
        holder = threading.Thread(target=hold_lock, args=(held,))
        holder.start()
        await asyncio.to_thread(held.wait, 5)
        try:
            await asyncio.gather(*(worker(n) for n in range(1, 5)))
        finally:
            await asyncio.to_thread(holder.join)
            await ledger.close()

    return main


def test_an_async_run_against_a_locked_file_logs_no_slow_callback(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    ledger = AsyncLedger(SqliteLedger(path))
    assert slow_callbacks(_workload(path, ledger), threshold=0.05) == []


def test_the_slow_callback_check_catches_sqlite_calls_on_the_loop(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    ledger = LedgerOnTheLoop(SqliteLedger(path))
    found = slow_callbacks(_workload(path, ledger), threshold=0.05)
    assert found, "blocking calls on the loop went unnoticed"
    assert all("took" in message for message in found)


def test_the_library_imports_no_pytest_unless_the_contract_suite_is_imported() -> None:
    check = (
        "import sys, allegro_plenty, allegro_plenty.accounts, allegro_plenty.ledger, "
        "allegro_plenty.testing, allegro_plenty.testing._ledger_race; "
        "assert 'pytest' not in sys.modules, 'pytest was imported'"
    )
    run = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, timeout=60, check=False
    )
    assert run.returncode == 0, run.stderr


def test_the_ledger_imports_nothing_of_the_library_but_its_errors() -> None:
    package = Path(__file__).resolve().parents[1] / "src" / "allegro_plenty" / "ledger"
    imported = set()
    for module in package.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level > 0:
                imported.add("." * node.level + (node.module or ""))
    outside = {name for name in imported if name.startswith("..")}
    assert outside == {"..errors"}
