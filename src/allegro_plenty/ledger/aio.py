"""Any sync ledger served to asyncio from one dedicated worker thread.

The ledger's logic exists once, in the sync implementation. :class:`AsyncLedger`
runs each call on its own worker thread and awaits the result, so no database
call (nor a wait for SQLite's write lock) ever runs on the event loop. Its
methods are generated from the sync protocol: one generic delegate, typed by
the protocol it implements.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import Any, Concatenate, ParamSpec, TypeVar

from .protocol import AsyncImportLedger, ImportLedger

__all__ = ["AsyncLedger"]

P = ParamSpec("P")
R = TypeVar("R")


def _on_worker(
    declared: Callable[Concatenate[ImportLedger, P], R],
) -> Callable[Concatenate[AsyncLedger, P], Coroutine[Any, Any, R]]:
    """The async form of a sync protocol method: the same call, run on the worker thread."""
    name = declared.__name__

    async def call(self: AsyncLedger, /, *args: P.args, **kwargs: P.kwargs) -> R:
        method: Callable[..., R] = getattr(self.ledger, name)
        return await self._on_thread(functools.partial(method, *args, **kwargs))

    call.__name__ = call.__qualname__ = name
    call.__doc__ = declared.__doc__
    return call


class AsyncLedger(AsyncImportLedger):
    """:class:`~allegro_plenty.ledger.AsyncImportLedger` over any sync ledger.

    ``AsyncLedger(SqliteLedger(path))`` is the async SQLite ledger: every SQLite
    call, the file's creation and migration included, runs on the worker.
    Calls run one at a time, in order, on a worker thread that belongs to this
    adapter. A cancelled call still finishes on the worker (a claim it took
    simply runs out). Use ``async with`` or :meth:`close` to stop the thread.

    Args:
        ledger: The sync ledger to serve; this adapter owns it from now on.
    """

    def __init__(self, ledger: ImportLedger) -> None:
        self.ledger = ledger
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="allegro-plenty-ledger")
        # The pool starts its thread on the first submit and waits until it runs;
        # start it now, so that wait never falls on the event loop.
        self._worker.submit(int)

    def __repr__(self) -> str:
        return f"AsyncLedger({self.ledger!r})"

    async def _on_thread(self, call: Callable[[], R]) -> R:
        return await asyncio.get_running_loop().run_in_executor(self._worker, call)

    async def close(self) -> None:
        """Close the sync ledger (on the worker) and stop the worker thread."""
        try:
            await self._on_thread(self.ledger.close)
        finally:
            self._worker.shutdown(wait=False)

    async def __aenter__(self) -> AsyncLedger:
        return self

    async def __aexit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    migrate = _on_worker(ImportLedger.migrate)
    claim = _on_worker(ImportLedger.claim)
    renew = _on_worker(ImportLedger.renew)
    confirm = _on_worker(ImportLedger.confirm)
    release_claim = _on_worker(ImportLedger.release_claim)
    bind = _on_worker(ImportLedger.bind)
    binding = _on_worker(ImportLedger.binding)
    binding_for_order = _on_worker(ImportLedger.binding_for_order)
    update_binding = _on_worker(ImportLedger.update_binding)
    decide = _on_worker(ImportLedger.decide)
    decision = _on_worker(ImportLedger.decision)
    needs_look = _on_worker(ImportLedger.needs_look)
    record_failure = _on_worker(ImportLedger.record_failure)
    quarantine = _on_worker(ImportLedger.quarantine)
    failure = _on_worker(ImportLedger.failure)
    clear_failure = _on_worker(ImportLedger.clear_failure)
    due_retries = _on_worker(ImportLedger.due_retries)
    failures = _on_worker(ImportLedger.failures)
    release_failure = _on_worker(ImportLedger.release_failure)
    mark_handled = _on_worker(ImportLedger.mark_handled)
    cursor = _on_worker(ImportLedger.cursor)
    save_cursor = _on_worker(ImportLedger.save_cursor)
    sweep_due = _on_worker(ImportLedger.sweep_due)
    record_sweep = _on_worker(ImportLedger.record_sweep)
    last_sweep = _on_worker(ImportLedger.last_sweep)
    record_status_write = _on_worker(ImportLedger.record_status_write)
    forget_status_write = _on_worker(ImportLedger.forget_status_write)
    consume_status_write = _on_worker(ImportLedger.consume_status_write)
    begin_execution = _on_worker(ImportLedger.begin_execution)
    renew_execution = _on_worker(ImportLedger.renew_execution)
    finish_execution = _on_worker(ImportLedger.finish_execution)
    postpone_execution = _on_worker(ImportLedger.postpone_execution)
    fail_execution = _on_worker(ImportLedger.fail_execution)
    execution = _on_worker(ImportLedger.execution)
    due_executions = _on_worker(ImportLedger.due_executions)
    executions = _on_worker(ImportLedger.executions)
    release_execution = _on_worker(ImportLedger.release_execution)
