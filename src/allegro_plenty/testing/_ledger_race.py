"""Races against a ledger from threads and processes, and what they must show.

The ledger contract suite, the stress test and ``benchmarks/ledger.py`` share
these harnesses. Nothing here imports pytest. Work run in other processes must
be picklable (a module-level function, or a :func:`functools.partial` of one),
and so must the opener that gives each process its own handle on the store.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import logging
import multiprocessing
import os
import queue
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Coroutine, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Generic, TypeVar, cast

import attrs

from ..errors import BindingConflictError, ClaimLostError, CursorConflictError
from ..ledger import AsyncImportLedger, AsyncLedger, BindingOrigin, ExecutionState, ImportLedger

__all__ = [
    "AsyncBridge",
    "AsyncLedgerFactory",
    "Hold",
    "LedgerFactory",
    "Opener",
    "RaceOutcome",
    "async_over",
    "bind_one_form",
    "claim_every_key",
    "claim_violations",
    "count_up_cursor",
    "execution_violations",
    "race",
    "run_every_execution",
    "slow_callbacks",
]

R = TypeVar("R")
LedgerFactory = Callable[..., ImportLedger]
"""``make_ledger(clock=...)``: a handle on a store, on that clock."""
AsyncLedgerFactory = Callable[..., AsyncImportLedger]
"""``make_async_ledger(clock=...)``: an async handle on a store, on that clock."""
Work = Callable[[ImportLedger, str], R]
"""One racer's work: gets the ledger and a worker name unique across processes."""

_DEADLINE = 90.0  # seconds a race may take before it is reported stuck


@attrs.frozen
class RaceOutcome(Generic[R]):
    """What every racer returned, and what any of them raised (as text)."""

    results: list[R]
    errors: list[str]


def race(
    work: Work[R],
    *,
    threads: int,
    processes: int = 0,
    ledger: ImportLedger | None = None,
    opener: Callable[[], ImportLedger] | None = None,
) -> RaceOutcome[R]:
    """Run ``work`` in ``threads`` threads of this process (sharing ``ledger``), or of
    each of ``processes`` spawned processes (each opening its own handle), all
    released at once by a barrier."""
    if processes == 0:
        if ledger is None:
            raise ValueError("a race in this process needs the ledger")
        return _in_threads(ledger, work, threads, _start_barrier(threads), f"{os.getpid()}")
    if opener is None:
        raise ValueError("a race across processes needs a picklable opener")
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(processes)
    results: Any = context.Queue()
    children = [
        context.Process(
            target=_process_main, args=(opener, work, threads, barrier, results, f"p{n}")
        )
        for n in range(processes)
    ]
    for child in children:
        child.start()
    merged: RaceOutcome[R] = RaceOutcome([], [])
    try:
        for _ in children:
            try:
                part = results.get(timeout=_DEADLINE)
            except queue.Empty:
                merged.errors.append(f"a racing process sent nothing within {_DEADLINE:g} s")
                break
            merged.results.extend(part.results)
            merged.errors.extend(part.errors)
    finally:
        for child in children:
            child.join(timeout=10)
            if child.is_alive():
                child.kill()
                merged.errors.append(f"racing process {child.pid} did not end")
            elif child.exitcode != 0:
                merged.errors.append(f"racing process {child.pid} exited with {child.exitcode}")
    return merged


def _start_barrier(threads: int) -> threading.Barrier:
    return threading.Barrier(threads, timeout=_DEADLINE)


def _process_main(
    opener: Callable[[], ImportLedger],
    work: Work[R],
    threads: int,
    barrier: Any,
    results: Any,
    name: str,
) -> None:
    errors: list[str] = []
    outcome: RaceOutcome[R] = RaceOutcome([], errors)
    try:
        ledger = opener()
        try:
            ledger.migrate()
            barrier.wait(timeout=_DEADLINE)  # every process opened its handle: go
            outcome = _in_threads(ledger, work, threads, _start_barrier(threads), name)
        finally:
            ledger.close()
    except BaseException:
        barrier.abort()  # the others need not wait for a process that will never come
        errors.append(traceback.format_exc())
    results.put(outcome)


def _in_threads(
    ledger: ImportLedger, work: Work[R], threads: int, barrier: threading.Barrier, name: str
) -> RaceOutcome[R]:
    outcome: RaceOutcome[R] = RaceOutcome([], [])
    guard = threading.Lock()

    def racer(index: int) -> None:
        worker = f"{name}-t{index}-{uuid.uuid4().hex[:8]}"
        try:
            barrier.wait()
            result = work(ledger, worker)
        except BaseException:
            with guard:
                outcome.errors.append(f"{worker}: {traceback.format_exc()}")
        else:
            with guard:
                outcome.results.append(result)

    pool = [threading.Thread(target=racer, args=(n,), daemon=True) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=_DEADLINE)
        if thread.is_alive():
            outcome.errors.append(f"{thread.name} did not finish within {_DEADLINE:g} s")
    return outcome


def async_over(make_ledger: LedgerFactory, **options: Any) -> AsyncImportLedger:
    """The default async ledger of a sync factory: :class:`AsyncLedger` over it."""
    return AsyncLedger(make_ledger(**options))


class Opener:
    """Opens a sync face on a store, sync or async, on the real clock (picklable,
    so each racing process opens its own handle)."""

    def __init__(
        self, flavour: str, make_ledger: LedgerFactory, make_async: AsyncLedgerFactory
    ) -> None:
        self.flavour, self.make_ledger, self.make_async = flavour, make_ledger, make_async

    def __call__(self) -> ImportLedger:
        if self.flavour == "sync":
            return self.make_ledger(clock=time.time)
        return cast(ImportLedger, AsyncBridge(self.make_async(clock=time.time)))


# --- claims --------------------------------------------------------------------------------


@attrs.frozen
class Hold:
    """One racer holding one key: from just after its claim to just before its release.

    Times are ``time.monotonic()``, one clock for every process of the machine.
    """

    key: str
    owner: str
    epoch: int
    start: float
    end: float
    lost: bool
    released: bool


def claim_every_key(
    ledger: ImportLedger,
    worker: str,
    *,
    account: str,
    keys: Sequence[str],
    lease: float,
    release: bool = True,
) -> list[Hold]:
    """Try to claim each key; each won claim is renewed, confirmed and (by default) released.

    With a lease far longer than the race, a correct ledger never lets one
    racer's hold overlap another's on the same key.
    """
    holds = []
    for key in keys:
        claim = ledger.claim(account, key, worker, lease=lease)
        if claim is None:
            continue
        start, lost = time.monotonic(), False
        try:
            claim = ledger.renew(claim, lease=lease)
            ledger.confirm(claim)
        except ClaimLostError:
            lost = True
        end = time.monotonic()
        released = ledger.release_claim(claim) if release and not lost else not release
        holds.append(Hold(key, worker, claim.epoch, start, end, lost, released))
    return holds


def claim_violations(holds: Sequence[Hold], keys: Sequence[str]) -> list[str]:
    """Everything in a claim race that breaks "one owner per key at a time"."""
    found = [f"{h.owner} lost {h.key!r} within its lease" for h in holds if h.lost]
    found += [
        f"{h.owner} could not release {h.key!r}: taken while held" for h in holds if not h.released
    ]
    by_key: dict[str, list[Hold]] = {}
    for hold in holds:
        by_key.setdefault(hold.key, []).append(hold)
    found += [f"{key!r} was never claimed" for key in keys if key not in by_key]
    for key, key_holds in by_key.items():
        key_holds.sort(key=lambda h: h.start)
        for before, after in itertools.pairwise(key_holds):
            if after.start < before.end:
                found.append(f"{key!r} held by {before.owner} and {after.owner} at once")
            if after.epoch <= before.epoch:
                found.append(f"{key!r} epoch went {before.epoch} -> {after.epoch}")
    return found


# --- executions ----------------------------------------------------------------------------


def run_every_execution(
    ledger: ImportLedger,
    worker: str,
    *,
    account: str,
    procedure: str,
    plenty_order_id: int,
    subjects: Sequence[str],
    lease: float,
) -> list[Hold]:
    """Begin each execution; each one claimed is renewed (storing data) and finished done.

    A correct ledger lets exactly one racer run each execution: the others find
    it held, then done.
    """
    holds = []
    for subject in subjects:
        start = ledger.begin_execution(
            account, procedure, plenty_order_id, subject, worker, lease=lease
        )
        if start.claim is None:
            continue
        began, lost, claim = time.monotonic(), False, start.claim
        try:
            claim = ledger.renew_execution(claim, lease=lease, data={"by": worker})
        except ClaimLostError:
            lost = True
        end = time.monotonic()
        try:
            ledger.finish_execution(claim, ExecutionState.DONE, reason=worker)
            finished = True
        except ClaimLostError:
            finished = False
        holds.append(Hold(subject, worker, claim.epoch, began, end, lost, finished))
    return holds


def execution_violations(holds: Sequence[Hold], subjects: Sequence[str]) -> list[str]:
    """Everything in an execution race that breaks "each execution runs exactly once"."""
    found = [f"{h.owner} lost {h.key!r} within its lease" for h in holds if h.lost]
    found += [f"{h.owner} could not finish {h.key!r}" for h in holds if not h.released]
    runs: dict[str, list[str]] = {}
    for hold in holds:
        runs.setdefault(hold.key, []).append(hold.owner)
    found += [f"{s!r} never ran" for s in subjects if s not in runs]
    found += [f"{s!r} ran {len(o)} times: {o}" for s, o in runs.items() if len(o) > 1]
    return found


# --- bindings and cursors ------------------------------------------------------------------


def bind_one_form(
    ledger: ImportLedger, worker: str, *, account: str, form_id: str | None, order_id: int | None
) -> tuple[str, int]:
    """Bind a form to an order; racers vary whichever of the two is ``None``.

    Returns ``("bound", order id)`` or ``("conflict", the existing binding's order id)``.
    """
    unique = int(uuid.uuid4().int % 1_000_000_000) + 1
    form = form_id if form_id is not None else f"form-{worker}"
    order = order_id if order_id is not None else unique
    try:
        binding = ledger.bind(account, form, order, origin=BindingOrigin.CREATED)
    except BindingConflictError as conflict:
        existing = conflict.existing
        return ("conflict", getattr(existing, "plenty_order_id", -1))
    return ("bound", binding.plenty_order_id)


def count_up_cursor(
    ledger: ImportLedger, worker: str, *, account: str, name: str, rounds: int
) -> int:
    """Add 1 to a counter in the cursor ``rounds`` times, each a read then a
    compare-and-set save retried on conflict; returns how many saves were refused."""
    refused = 0
    for _ in range(rounds):
        for _attempt in range(100_000):
            cursor = ledger.cursor(account, name)
            count = _counter(cursor.value) if cursor else 0
            try:
                ledger.save_cursor(
                    account,
                    name,
                    {"n": count + 1},
                    expected_version=cursor.version if cursor else 0,
                )
                break
            except CursorConflictError:
                refused += 1
        else:
            raise RuntimeError(f"{worker} never got a cursor save through")
    return refused


def _counter(value: object) -> int:
    if not isinstance(value, dict) or not isinstance(value.get("n"), int):
        raise AssertionError(f"the cursor came back changed: {value!r}")
    count: int = value["n"]
    return count


# --- asyncio -------------------------------------------------------------------------------


class AsyncBridge:
    """A sync face over an :class:`~allegro_plenty.ledger.AsyncImportLedger`.

    Every call is awaited as a task on a private event loop in its own thread,
    so sync harnesses (threads, processes, the contract's cases) drive the async
    implementation itself; calls from several threads run as concurrent tasks.
    """

    def __init__(self, ledger: AsyncImportLedger, *, timeout: float = _DEADLINE) -> None:
        self.ledger = ledger
        self._timeout = timeout
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self.ledger, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            awaited = asyncio.run_coroutine_threadsafe(method(*args, **kwargs), self._loop)
            return awaited.result(self._timeout)

        return call

    def close(self) -> None:
        """Close the async ledger, then stop the loop."""
        try:
            self.__getattr__("close")()
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            self._loop.close()


@contextmanager
def _collect_slow_callbacks() -> Iterator[list[str]]:
    found: list[str] = []

    class _Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            message = record.getMessage()
            if message.startswith("Executing") and "took" in message:
                found.append(message)

    handler = _Collect(logging.WARNING)
    log = logging.getLogger("asyncio")
    log.addHandler(handler)
    try:
        yield found
    finally:
        log.removeHandler(handler)


def slow_callbacks(
    main: Callable[[], Coroutine[Any, Any, None]], *, threshold: float = 0.05
) -> list[str]:
    """Run ``main()`` under asyncio debug mode; return the slow callbacks it logged.

    A callback (a task step) that holds the loop longer than ``threshold``
    seconds is one that did blocking work on the event loop.
    """

    async def observed() -> None:
        loop = asyncio.get_running_loop()
        loop.slow_callback_duration = threshold
        await main()

    # A full garbage collection of a big test process can hold any callback for
    # tens of milliseconds; what is measured here is the ledger, not the collector.
    gc.collect()
    gc.freeze()
    try:
        with _collect_slow_callbacks() as found:
            asyncio.run(observed(), debug=True)
    finally:
        gc.unfreeze()
    return found
