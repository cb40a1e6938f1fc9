"""What an import costs: calls per order, the idle run, throughput under plenty's limit, memory.

The fakes (``allegro_plenty.testing``: FakeAllegro and FakePlenty) run in a
process of their own and serve on loopback (``serve()``); the importer runs in
this process (and, for memory, in a fresh process per figure) with real clients
over real HTTP, a SQLite ledger and a JSON-file token store, as a host would.
Printed, each with whether its floor is met (the exit status is 1 if one is not):

* **calls**: a per-route call table, as the fakes recorded them, for one new
  order per run: the first run ever (referrers made), a cold run (new clients
  and importer, set-up done), a warm run, and a run resuming an order whose
  payment answer was lost. (a) a new buyer, one line item, billing = delivery,
  one online payment: at most 6 plenty writes and 3 plenty reads warm, the
  payment look-up only when resuming; (b) a company invoice with its own
  billing address.
* **idle**: Allegro calls of a run with nothing to do (floor: 1, no plenty call).
* **rate**: orders per minute with plentymarkets' write limit at 40 a minute,
  enforced by FakePlenty's own limiter (``X-Plenty-*`` headers, 429 with
  ``Retry-After``), over several decay windows, against the bound
  40 / writes-per-order (floor: 90 %, no 429 on the wire). The fakes and the
  client share a virtual clock (a float in a file both processes map): every
  throttle wait advances it instead of sleeping, so minutes take milliseconds.
* **rss**: peak RSS (``ru_maxrss``) of a fresh process importing 2,000 and
  20,000 orders in one run (no rate limiter) (floor: each under 150 MB, the
  second at most 1.25 x the first).

    python benchmarks/import.py [--quick] [--only calls idle rate rss]

``--quick`` keeps the floors but measures less: three decay windows, and memory
at 200 and 2,000 orders (not the issue's figures, which need the full run).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import mmap
import os
import platform
import resource
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from allegro_plenty import ImportSettings, OrderImporter
from allegro_plenty.accounts import AllegroAccount
from allegro_plenty.allegro import PRODUCTION, AllegroClient
from allegro_plenty.allegro.auth import AllegroApp
from allegro_plenty.demo import MAPPING  # the fake plentymarkets system's ids
from allegro_plenty.importer import EntryKind, ImportEntry, ImportResult
from allegro_plenty.ledger import SqliteLedger
from allegro_plenty.plenty import PlentyClient
from allegro_plenty.tokens import JsonFileTokenStore

START = datetime(2025, 3, 14, 9, 0, tzinfo=timezone.utc)
WINDOW = 60.0
"""plentymarkets' short period: the write limit's decay window, in seconds."""
WRITE_LIMIT = 40
WRITES_FLOOR, READS_FLOOR = 6, 3
RATE_FLOOR = 0.90
RSS_LIMIT_MB, RSS_GROWTH = 150.0, 1.25
CATALOGUE = 1_000
"""Products the memory runs' orders are drawn from (the call tables give each order its own)."""
SCENARIOS = {
    "a": "new buyer, one line item, billing = delivery, one online payment",
    "b": "company invoice with a separate billing address, one line item, one online payment",
}


# --- a clock two processes share ---------------------------------------------------------------


class SharedClock:
    """A fake clock whose time lives in a file mapped by every process that opens it.

    It stands still until someone sleeps or advances it, like
    :class:`allegro_plenty.testing.FakeClock`; the fakes' process reads it, the
    client's process moves it (one writer, one 8-byte float, so no lock).
    """

    def __init__(self, path: Path, start: datetime = START) -> None:
        if not path.exists() or path.stat().st_size < 8:
            path.write_bytes(struct.pack("d", 0.0))
        self._file = path.open("r+b")
        self._map = mmap.mmap(self._file.fileno(), 8)
        self._start = start

    def monotonic(self) -> float:
        """Seconds since the start."""
        value: float = struct.unpack_from("d", self._map, 0)[0]
        return value

    def now(self) -> datetime:
        """The current shared time (UTC)."""
        return self._start + timedelta(seconds=self.monotonic())

    def time(self) -> float:
        """Seconds since the epoch."""
        return self.now().timestamp()

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        struct.pack_into("d", self._map, 0, self.monotonic() + max(0.0, seconds))

    def sleep(self, seconds: float) -> None:
        """A ``time.sleep`` that advances the clock and returns at once."""
        self.advance(seconds)

    async def async_sleep(self, seconds: float) -> None:
        """An ``asyncio.sleep`` that advances the clock and returns at once."""
        self.advance(seconds)
        await asyncio.sleep(0)


class WallClock:
    """The real time, with the same methods (for the memory figures, where nothing waits)."""

    monotonic = staticmethod(time.monotonic)
    sleep = staticmethod(time.sleep)

    @staticmethod
    def time() -> float:
        """Seconds since the epoch."""
        return time.time()

    @staticmethod
    def now() -> datetime:
        """The current time (UTC)."""
        return datetime.now(timezone.utc)


# --- the fakes' process ------------------------------------------------------------------------


def serve_fakes(options: argparse.Namespace) -> None:
    """The fakes' process: serve both fakes on loopback, answer commands on stdin.

    One JSON object a line in, one a line out. It starts by printing where the
    fakes are and how to log in (the Allegro token goes into the token file).
    """
    from allegro_plenty.testing import (
        BASIC,
        FakeAllegro,
        FakePlenty,
        Fault,
        SystemClock,
        checkout_form,
        seed_catalogue,
    )

    clock: Any = SharedClock(Path(options.clock)) if options.clock else SystemClock()
    allegro = FakeAllegro(clock=clock)
    plenty = FakePlenty(clock=clock, plan=BASIC if options.limited else None)
    seller = allegro.default_seller.id
    JsonFileTokenStore(options.tokens).save("allegro", seller, allegro.issue_token(seller))
    fakes = {"allegro": allegro, "plenty": plenty}
    seeded: list[str] = []
    if options.forget_calls:  # a long run: keep the fakes' call records from growing

        def forget() -> None:
            while True:
                time.sleep(0.5)
                allegro.clear_calls()
                plenty.clear_calls()

        threading.Thread(target=forget, daemon=True).start()

    def seed(scenario: str, count: int, first: int, catalogue: int = 0) -> list[str]:
        """``count`` paid forms; each offer its own product, or one of ``catalogue``."""
        forms = [
            checkout_form(
                seed=first + n,
                items=1,
                company=scenario == "b",
                external_ids=[f"SKU-{(first + n) % catalogue}"] if catalogue else None,
            )
            for n in range(count)
        ]
        seed_catalogue(plenty, forms)
        ids = []
        for form in forms:  # one READY_FOR_PROCESSING event each, as a paid form has
            form_id = allegro.add_checkout_form(form, emit_events=False)
            allegro.emit_event(form_id, "READY_FOR_PROCESSING")
            ids.append(form_id)
        seeded.extend(ids)
        return ids

    def calls() -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for service, fake in fakes.items():
            out += (
                {
                    "service": service,
                    "route": call.route or f"{call.request.method} ?",
                    "status": call.status,
                    "at": (call.at - START).total_seconds(),
                }
                for call in fake.calls()
            )
            fake.clear_calls()
        return sorted(out, key=lambda c: c["at"])

    def orders() -> dict[str, int]:
        """Sales orders per form seeded (each must have exactly one)."""
        return {form_id: len(plenty.orders_with_external_id(form_id)) for form_id in seeded}

    def lose_answer(route: str) -> None:
        plenty.faults.inject(Fault.response_lost(), route=route, times=1)

    commands: dict[str, Callable[..., Any]] = {
        "seed": seed,
        "calls": calls,
        "orders": orders,
        "lose_answer": lose_answer,
    }
    with allegro.serve() as allegro_server, plenty.serve() as plenty_server:
        _say(
            {
                "allegro": allegro_server.url,
                "plenty": plenty_server.url,
                "seller": seller,
                "app": [allegro.app.client_id, allegro.app.client_secret],
                "plenty_login": [plenty.username, plenty.password],
                "pid": os.getpid(),
            }
        )
        for line in sys.stdin:
            request = json.loads(line)
            if request["cmd"] == "quit":
                break
            _say({"ok": commands[request["cmd"]](*request.get("args", []))})


def _say(message: Any) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


class Fakes:
    """The fakes' process, seen from here: where they are, and their commands."""

    def __init__(self, folder: Path, *, limited: bool, virtual: bool, forget_calls: bool) -> None:
        self.tokens = folder / "tokens.json"
        self.clock: SharedClock | WallClock = WallClock()
        command = [sys.executable, __file__, "--serve-fakes", "--tokens", str(self.tokens)]
        if virtual:
            path = folder / "clock"
            self.clock = SharedClock(path)
            command += ["--clock", str(path)]
        command += ["--limited"] * limited + ["--forget-calls"] * forget_calls
        self._process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self.info: dict[str, Any] = self._answer()

    def _answer(self) -> Any:
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError(f"the fakes' process ended (exit {self._process.wait()})")
        return json.loads(line)

    def do(self, command: str, *args: Any) -> Any:
        """Run a command in the fakes' process; its answer."""
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps({"cmd": command, "args": list(args)}) + "\n")
        self._process.stdin.flush()
        return self._answer()["ok"]

    def close(self) -> None:
        with contextlib.suppress(OSError):
            assert self._process.stdin is not None
            self._process.stdin.write('{"cmd": "quit"}\n')
            self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


@contextlib.contextmanager
def fakes(
    *, limited: bool = False, virtual: bool = True, forget_calls: bool = False
) -> Iterator[tuple[Fakes, Path]]:
    """Start the fakes' process in a fresh folder (ledger, tokens, clock); stop it after."""
    with tempfile.TemporaryDirectory(prefix="import-bench-") as folder:
        host = Fakes(Path(folder), limited=limited, virtual=virtual, forget_calls=forget_calls)
        try:
            yield host, Path(folder)
        finally:
            host.close()


# --- the importer, as a host builds it ---------------------------------------------------------


@contextlib.contextmanager
def importer(
    info: dict[str, Any],
    tokens: Path,
    ledger: Path,
    clock: SharedClock | WallClock,
    settings: ImportSettings,
    on_progress: Callable[[ImportEntry], None] | None = None,
) -> Iterator[OrderImporter]:
    """New clients and a new importer over the fakes (what a new process starts with)."""
    store = JsonFileTokenStore(tokens)
    environment = PRODUCTION.with_base_url(info["allegro"], info["allegro"])
    username, password = info["plenty_login"]
    with (
        AllegroClient(
            app=AllegroApp(*info["app"]),
            account=info["seller"],
            token_store=store,
            environment=environment,
            sleep=clock.sleep,
            clock=clock.now,
        ) as allegro,
        PlentyClient(
            info["plenty"],
            username=username,
            password=password,
            token_store=store,
            sleep=clock.sleep,
            monotonic=clock.monotonic,
            clock=clock.now,
        ) as plenty,
    ):
        yield OrderImporter(
            plenty=plenty,
            ledger=SqliteLedger(ledger, clock=clock.time, synchronous="NORMAL"),
            accounts=[(AllegroAccount(key=info["seller"], mapping=MAPPING), allegro)],
            settings=settings,
            on_progress=on_progress,
            clock=clock.monotonic,
        )


def _is_write(call: dict[str, Any]) -> bool:
    return call["service"] == "plenty" and not call["route"].startswith("GET ")


def _plenty_calls(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """plenty calls but the login (a session lasts a day; not a per-order cost)."""
    return [c for c in calls if c["service"] == "plenty" and c["route"] != "POST /rest/login"]


def _created(result: ImportResult) -> int:
    if result.stops or result.counts["failed"] or result.counts["quarantined"]:
        raise RuntimeError(f"the run went wrong: {json.dumps(result.to_json())[:2000]}")
    return result.counts["created"]


class Report:
    """Figures and floors, printed as they come; ``failed`` once a floor is missed."""

    def __init__(self) -> None:
        self.failed: list[str] = []

    def floor(self, name: str, met: bool, detail: str) -> None:
        print(f"  floor {name}: {detail} -> {'met' if met else 'NOT MET'}")
        if not met:
            self.failed.append(name)


# --- (1) call tables, (2) the idle run --------------------------------------------------------


SETTINGS = ImportSettings(backfill=timedelta(days=7))
"""The first run looks a week back (its form was added before it)."""


def call_tables(report: Report, scenarios: list[str], idle: bool) -> None:
    """One new order per run of each kind; its calls per route."""
    for scenario in scenarios:
        with fakes() as (host, folder):
            info, clock, ledger = host.info, host.clock, folder / "ledger.db"
            assert isinstance(clock, SharedClock)
            columns: dict[str, list[dict[str, Any]]] = {}
            seed = 1000 if scenario == "a" else 2000
            host.do("seed", scenario, 1, seed)
            with importer(info, host.tokens, ledger, clock, SETTINGS) as first:
                assert _created(first.run()) == 1
                columns["first"] = host.do("calls")
            with importer(info, host.tokens, ledger, clock, SETTINGS) as fresh:
                clock.advance(1)
                host.do("seed", scenario, 1, seed + 1)
                assert _created(fresh.run()) == 1
                columns["cold"] = host.do("calls")
                clock.advance(1)
                host.do("seed", scenario, 1, seed + 2)
                assert _created(fresh.run()) == 1
                columns["warm"] = host.do("calls")
                clock.advance(1)
                host.do("seed", scenario, 1, seed + 3)
                host.do("lose_answer", "POST /rest/payments")
                assert _created(fresh.run()) == 1  # the payment was made, its answer lost
                columns["lost"] = host.do("calls")
                if idle and scenario == "a":
                    clock.advance(1)
                    assert sum(fresh.run().counts.values()) == 0
                    columns["idle"] = host.do("calls")
            duplicates = {k: n for k, n in host.do("orders").items() if n != 1}
        print(f"\n({scenario}) {SCENARIOS[scenario]}: calls per route, one new order per run")
        print(
            "  first: the first run ever (referrers made); cold: new clients and importer;\n"
            "  warm: the next run; lost: a warm run whose payment answer was lost on the way\n"
            "  back (the importer looks the payment up instead of sending it again)"
        )
        _print_table(columns)
        warm = _plenty_calls(columns["warm"])
        writes = sum(1 for c in warm if _is_write(c))
        reads = len(warm) - writes
        report.floor(f"({scenario}) no duplicate order", not duplicates, f"duplicates {duplicates}")
        if scenario == "a":
            report.floor(
                "(a) warm plenty writes", writes <= WRITES_FLOOR, f"{writes} <= {WRITES_FLOOR}"
            )
            report.floor("(a) warm plenty reads", reads <= READS_FLOOR, f"{reads} <= {READS_FLOOR}")
            payment_lookups = {
                name: sum(1 for c in columns[name] if c["route"].startswith("GET /rest/payments"))
                for name in ("first", "cold", "warm", "lost")
            }
            report.floor(
                "(a) payment look-up only when resuming",
                payment_lookups["lost"] >= 1
                and payment_lookups["first"] == payment_lookups["cold"]
                == payment_lookups["warm"] == 0,
                f"GET /rest/payments per run {payment_lookups}",
            )  # fmt: skip
        if "idle" in columns:
            allegro = [c for c in columns["idle"] if c["service"] == "allegro"]
            plenty = [c for c in columns["idle"] if c["service"] == "plenty"]
            print(
                f"\nidle run (nothing new, no sweep due, token valid, caches warm): "
                f"{len(allegro)} Allegro call(s) {[c['route'] for c in allegro]}, "
                f"{len(plenty)} plenty call(s)"
            )
            report.floor(
                "idle run", len(allegro) == 1 and not plenty, f"{len(allegro)} Allegro, "
                f"{len(plenty)} plenty calls; 1 and 0 allowed",
            )  # fmt: skip


def _print_table(columns: dict[str, list[dict[str, Any]]]) -> None:
    names = [n for n in columns if n != "idle"]
    counts = {name: Counter((c["service"], c["route"]) for c in columns[name]) for name in names}
    rows = sorted({key for counter in counts.values() for key in counter})
    print(f"  {'route':<68}" + "".join(f"{n:>7}" for n in names))
    for service, route in rows:
        print(
            f"  {service + ' ' + route:<68}"
            + "".join(f"{counts[n][(service, route)]:>7}" for n in names)
        )
    print(f"  {'-' * 68}" + "-------" * len(names))
    totals = {name: _totals(columns[name]) for name in names}
    for index, label in enumerate(
        ["Allegro calls", "plenty writes (login excluded)", "plenty reads (login excluded)"]
    ):
        print(f"  {label:<68}" + "".join(f"{totals[n][index]:>7}" for n in names))


def _totals(calls: list[dict[str, Any]]) -> tuple[int, int, int]:
    """Allegro calls, plenty writes and plenty reads (the login left out)."""
    plenty = _plenty_calls(calls)
    writes = sum(1 for c in plenty if _is_write(c))
    return sum(1 for c in calls if c["service"] == "allegro"), writes, len(plenty) - writes


# --- (3) orders per minute under the write limit ------------------------------------------------


def rate(report: Report, windows: int) -> None:
    """Import a backlog with plenty's limiter at 40 writes a minute, on the shared clock."""
    with fakes(limited=True) as (host, folder):
        info, clock, ledger = host.info, host.clock, folder / "ledger.db"
        assert isinstance(clock, SharedClock)
        host.do("seed", "a", 1, 1)
        with importer(info, host.tokens, ledger, clock, SETTINGS) as warm_up:
            _created(warm_up.run())  # referrers, reference data: not per-order work
        host.do("calls")
        clock.advance(2 * WINDOW)  # every limit window starts afresh
        backlog = math.ceil(WRITE_LIMIT / WRITES_FLOOR * (windows + 1)) + 5
        host.do("seed", "a", backlog, 100)
        done_at: list[float] = []

        def progress(entry: ImportEntry) -> None:
            if entry.kind is EntryKind.CREATED:
                done_at.append(clock.monotonic())

        span = windows * WINDOW
        with importer(info, host.tokens, ledger, clock, SETTINGS, progress) as worker:
            started = clock.monotonic()
            wall = time.perf_counter()
            result = worker.run(deadline=span)
            wall = time.perf_counter() - wall
        created = _created(result)
        calls = host.do("calls")
        orders = host.do("orders")  # the deadline leaves part of the backlog for a later run
        duplicates = {k: n for k, n in orders.items() if n > 1}
        imported = sum(1 for n in orders.values() if n == 1)
    plenty = _plenty_calls(calls)
    refused = sum(1 for c in calls if c["status"] == 429)
    writes = sum(1 for c in plenty if _is_write(c))
    per_order = writes / created
    in_span = sum(1 for t in done_at if t - started <= span)
    measured = in_span / (span / WINDOW)
    bound = WRITE_LIMIT / per_order
    first_write = min(c["at"] for c in plenty if _is_write(c))
    last_write = max(c["at"] for c in plenty if _is_write(c))
    print(
        f"\nrate: plentymarkets write limit {WRITE_LIMIT}/min (FakePlenty's limiter, plan BASIC: "
        f"{WRITE_LIMIT} writes and 80 reads a minute)"
    )
    print(
        "  TIME-SCALED: the fake's limiter and the client's throttle run on a virtual clock both\n"
        "  processes share; a throttle wait advances it instead of sleeping (windows of 60\n"
        "  virtual seconds), so the limits are the real ones but minutes take milliseconds"
    )
    print(
        f"  {created} orders created in {clock.monotonic() - started:.1f} virtual s "
        f"({wall:.2f} s of real time); writes from {first_write:.1f} s to {last_write:.1f} s "
        f"on the fakes' clock; {writes} plenty writes = {per_order:.2f} per order"
    )
    print(
        f"  orders completed within {windows} decay windows ({span:.0f} s) of the run's start: "
        f"{in_span} -> {measured:.2f} orders/min; bound {WRITE_LIMIT}/{per_order:.2f} = "
        f"{bound:.2f} orders/min -> {measured / bound:.1%} of the bound"
    )
    print(f"  plenty writes per decay window (as the fake's limiter counts): {_per_window(plenty)}")
    print(f"  429s on the wire: {refused} (of {len(calls)} requests)")
    report.floor("rate", measured >= RATE_FLOOR * bound, f"{measured / bound:.1%} >= 90 %")
    report.floor("rate: no 429", refused == 0, f"{refused} 429s")
    report.floor(
        "rate: each order once",
        not duplicates and imported == created + 1,  # + 1: the warm-up's order
        f"{imported} forms with one order ({created} + the warm-up's), duplicates {duplicates}",
    )


def _per_window(plenty: list[dict[str, Any]]) -> list[int]:
    """Writes per window of the fake's limiter: a window opens with the first write after
    the last one ended, and lasts a minute."""
    counts: list[int] = []
    ends = -math.inf
    for call in plenty:
        if not _is_write(call):
            continue
        if call["at"] >= ends:
            counts.append(0)
            ends = call["at"] + WINDOW
        counts[-1] += 1
    return counts


# --- (4) peak memory ---------------------------------------------------------------------------


def rss(report: Report, sizes: list[int]) -> None:
    """Peak RSS of a fresh process importing ``size`` orders in one run, for each size."""
    print("\nrss: peak RSS (ru_maxrss) of a fresh process importing N new orders in one run")
    print("  (events path: one READY_FOR_PROCESSING event and a GET per form; no rate limiter;")
    print(f"  {CATALOGUE:,} products; the SQLite ledger on disk; the fakes' process not counted)")
    figures: dict[int, float] = {}
    for size in [0, *sizes]:
        with fakes(virtual=False, forget_calls=True) as (host, folder):
            info, ledger = host.info, folder / "ledger.db"
            host.do("seed", "a", 1, 1)
            with importer(info, host.tokens, ledger, WallClock(), SETTINGS) as set_up:
                _created(set_up.run())  # referrers and cursors, as an earlier run left them
            if size:
                host.do("seed", "a", size, 10_000, CATALOGUE)
            started = time.perf_counter()
            child = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--rss-child",
                    json.dumps(info),
                    str(host.tokens),
                    str(ledger),
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            seconds = time.perf_counter() - started
            if child.returncode != 0:
                raise RuntimeError(f"the measuring process failed:\n{child.stderr[-4000:]}")
            measured = json.loads(child.stdout)
            orders = host.do("orders")
        duplicates = sum(1 for n in orders.values() if n != 1)
        if measured["created"] != size or duplicates:
            report.floor(f"rss {size}: every order once", False, f"{measured} {duplicates}")
        figures[size] = measured["max_rss_mb"]
        label = "no new order (start-up)" if size == 0 else f"{size:,} orders"
        print(
            f"  {label:<24} peak RSS {measured['max_rss_mb']:7.1f} MB   "
            f"(run {measured['seconds']:.1f} s, {size / max(measured['seconds'], 1e-9):.0f} "
            f"orders/s; process {seconds:.1f} s)"
        )
    small, large = figures[sizes[0]], figures[sizes[-1]]
    report.floor(
        "rss limit", max(figures.values()) < RSS_LIMIT_MB, f"{max(figures.values()):.1f} MB < 150"
    )
    report.floor(
        "rss growth",
        large <= RSS_GROWTH * small,
        f"{sizes[-1]:,}: {large:.1f} MB <= 1.25 x {small:.1f} MB = {RSS_GROWTH * small:.1f} MB",
    )


def rss_child(info_json: str, tokens: str, ledger: str) -> None:
    """The measured process: one run over whatever the fakes hold; prints its figures."""
    info = json.loads(info_json)
    with importer(info, Path(tokens), Path(ledger), WallClock(), SETTINGS) as worker:
        started = time.perf_counter()
        result = worker.run()
        seconds = time.perf_counter() - started
        created = _created(result)
    max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    _say({"created": created, "seconds": seconds, "max_rss_mb": max_rss / 1024})


# --- main ----------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer windows, smaller memory runs")
    parser.add_argument(
        "--only",
        nargs="+",
        choices=["calls", "calls-a", "calls-b", "idle", "rate", "rss"],
        help="run only these parts (calls = calls-a and calls-b)",
    )
    parser.add_argument("--serve-fakes", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--clock", help=argparse.SUPPRESS)
    parser.add_argument("--tokens", help=argparse.SUPPRESS)
    parser.add_argument("--limited", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--forget-calls", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--rss-child", nargs=3, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.serve_fakes:
        serve_fakes(options)
        return 0
    if options.rss_child:
        rss_child(*options.rss_child)
        return 0
    parts = set(options.only or ["calls", "idle", "rate", "rss"])
    if "calls" in parts:
        parts |= {"calls-a", "calls-b"}
    report = Report()
    started = time.perf_counter()
    print(
        f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; "
        f"the fakes serve on loopback from a process of their own"
        + ("; --quick" if options.quick else "")
    )
    scenarios = [s for s in "ab" if f"calls-{s}" in parts]
    if "idle" in parts and "a" not in scenarios:
        scenarios.insert(0, "a")
    if scenarios:
        call_tables(report, scenarios, idle="idle" in parts)
    if "rate" in parts:
        rate(report, windows=3 if options.quick else 10)
    if "rss" in parts:
        rss(report, [200, 2_000] if options.quick else [2_000, 20_000])
    print(f"\n{time.perf_counter() - started:.0f} s in all")
    if report.failed:
        print(f"floors NOT met: {', '.join(report.failed)}")
        return 1
    print("every floor met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
