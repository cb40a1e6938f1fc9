"""Crash trials: an importer worker killed with SIGKILL at a write point, then a fresh run.

A trial seeds both fakes with a few randomised checkout forms, serves them on
loopback from a process of their own, and starts worker 1, which kills itself
(``SIGKILL``, no clean-up of any kind) at one chosen *write point*: every
plentymarkets write (referrer, contact, address, order, payment, link,
comment ...) and every ledger write around them. A plentymarkets write is cut

* ``before`` it is sent,
* ``unread``: plentymarkets committed it, but the worker dies before it reads
  the answer (the transport forwards the request, then kills the process), or
* ``after`` the importer got the answer (the worker dies at its next call);

a ledger write ``before`` it, or ``after`` it committed (before the importer
hears of it). Worker 2 is a fresh run with the ledger's clock past the dead
worker's lease. Then every eligible form must have exactly one order (and one
payment per paid part, no doubled contact or comment) and its binding, and no
other form any order.

Which write points exist comes from a *probe*: the same scene imported in
process, with in-memory transports and ledger, recording every write point in
order. Each runner then kills at the (write point, phase) of its share it has
killed at least so far (the rarest first), at a random occurrence of it, so
every write point is hit in every phase within a few dozen trials, and the rest
are spread evenly.

Processes (see ``loopback_workers.py``), each single-threaded when it forks:

* the *host*, spawned by the test: imports the library once, warms it up, and
  forks the runners (``multiprocessing``'s fork context, so no trial imports
  anything);
* ``slots`` *runners*, each doing its share of the trials one after another
  with a *fakes* process of its own, which serves a fresh pair of fakes on
  loopback for each trial;
* per trial, worker 1, forked from its runner. Worker 2, which is never
  killed, is a fresh importer (new clients, new ledger handle) in the runner.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import random
import re
import signal
import time
import traceback
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

import attrs
import httpx

from allegro_plenty import AllegroClient, ImportSettings, OrderImporter, PlentyClient
from allegro_plenty.accounts import AllegroAccount
from allegro_plenty.importer.order import FINISHED
from allegro_plenty.ledger import MemoryLedger, SqliteLedger
from allegro_plenty.mapping import ContactPolicy
from allegro_plenty.testing import FakeAllegro, FakePlenty, checkout_form, seed_catalogue

from .importer_support import CONFIG
from .loopback_workers import (
    FORK,
    SELLER,
    Reach,
    ServedFakes,
    Stage,
    clients,
    exit_after,
    fakes_at,
    forked,
    memory_clients,
)

SETTINGS = ImportSettings(backfill=7 * 86400)
SKIP = 3600.0
"""How far ahead of the real time the fresh run's ledger clock is: past the dead
worker's lease (300 s), its retry delays and the sweep interval."""
PLENTY_PHASES = ("before", "unread", "after")
LEDGER_PHASES = ("before", "after")
LEDGER_WRITES = frozenset(
    {
        "claim", "renew", "confirm", "release_claim", "bind", "update_binding", "decide",
        "record_failure", "quarantine", "clear_failure", "release_failure", "mark_handled",
        "save_cursor", "record_sweep", "record_status_write", "forget_status_write",
        "consume_status_write",
    }
)  # fmt: skip
ELIGIBLE_STATUSES = ("NEW", "PROCESSING")
_NUMBER = re.compile(r"/\d+(?:\.\d+)?(?=/|$)")
WORKER_TIMEOUT = 60.0


def phases_of(label: str) -> tuple[str, ...]:
    """The moments a write point can be cut at."""
    return LEDGER_PHASES if label.startswith("ledger.") else PLENTY_PHASES


# --- the scene -----------------------------------------------------------------------------


@attrs.frozen
class Scene:
    """What one trial imports, drawn from its seed."""

    seed: int
    forms: tuple[dict[str, Any], ...]
    journal: bool
    """An earlier run started the journal (the forms come as events); otherwise this is
    the first run, which finds them by its backfill sweep."""
    referrer_exists: bool
    """plentymarkets has the "Allegro" referrer already (its sub-referrer is created)."""
    guests: bool
    """The contact policy is a guest contact per order (external id derived from the form)."""

    @property
    def account(self) -> AllegroAccount:
        policy = ContactPolicy.GUEST_PER_ORDER if self.guests else ContactPolicy.PER_BUYER
        mapping = attrs.evolve(CONFIG, contact_policy=policy)
        return AllegroAccount(key=SELLER, mapping=mapping)


def scene(seed: int) -> Scene:
    """A random but reproducible scene: 1 to 3 forms of every kind the importer meets
    (the first is always one to import)."""
    rng = random.Random(seed)
    forms = []
    for index in range(rng.choice((1, 1, 2, 2, 3))):
        payment = rng.choices(("ONLINE", "CASH_ON_DELIVERY", "WIRE_TRANSFER"), (6, 3, 1))[0]
        options: dict[str, Any] = {
            "seed": seed * 10 + index,
            "country": rng.choice(("PL", "PL", "CZ", "SK", "HU")),
            "items": rng.choice((1, 1, 2, 3, 4)),
            "delivery": rng.choice(("courier", "parcel_locker", "pickup")),
            "company": rng.random() < 0.3,
            "deposit": rng.random() < 0.15,
            "additional_service": rng.random() < 0.15,
            "payment_type": payment,
            "surcharges": [f"{rng.randint(1, 30)}.{rng.randint(0, 99):02d}"]
            * rng.choice((0, 0, 0, 1, 2)),
            "message_to_seller": "Proszę o szybką wysyłkę" if rng.random() < 0.3 else None,
        }
        if index and rng.random() < 0.2:  # not to be imported: unpaid, or shipped already
            if rng.random() < 0.5:
                options["status"] = "FILLED_IN"
            else:
                options["fulfillment_status"] = "SENT"
        forms.append(checkout_form(**options))
    return Scene(
        seed=seed,
        forms=tuple(forms),
        journal=rng.random() < 0.5,
        referrer_exists=rng.random() < 0.5,
        guests=rng.random() < 0.25,
    )


def eligible(form: dict[str, Any]) -> bool:
    status = (form.get("fulfillment") or {}).get("status", "NEW")
    return bool(form["status"] == "READY_FOR_PROCESSING" and status in ELIGIBLE_STATUSES)


def paid_parts(form: dict[str, Any]) -> list[str]:
    """The ids of the form's paid parts: each is one plentymarkets payment."""
    parts = [form["payment"], *form.get("surcharges", ())]
    return [p["id"] for p in parts if p.get("type") != "CASH_ON_DELIVERY" and p.get("paidAmount")]


def fakes(scene: Scene, start: datetime) -> tuple[FakeAllegro, FakePlenty]:
    """Both fakes as the scene starts (no forms yet), with no rate limit.

    Their clock stands still at ``start`` (the trial's, to the second): the probe
    and the trial see the same times, so they import the same forms in the same
    order.
    """
    allegro, plenty = fakes_at(start)
    if scene.referrer_exists:
        plenty.add_referrer("Allegro")
    return allegro, plenty


def add_forms(scene: Scene, allegro: FakeAllegro, plenty: FakePlenty) -> None:
    """The scene's forms, a second apart (so every listing orders them one way)."""
    seed_catalogue(plenty, list(scene.forms))
    for form in scene.forms:
        allegro.clock.advance(1)
        allegro.add_checkout_form(form)


# --- write points and the kill -------------------------------------------------------------


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


@attrs.frozen
class KillAt:
    """Where worker 1 dies: the ``index``-th write point (0-based), in ``phase``."""

    index: int
    label: str
    phase: str


class Tracer:
    """Counts write points as a worker passes them, and kills it at ``kill``."""

    def __init__(self, kill: KillAt | None = None, record: Path | None = None) -> None:
        self.kill = kill
        self.record = record
        self.points: list[str] = []
        self._pending = False

    def enter(self, label: str | None) -> int | None:
        """Any call starts: ``label`` names a write point (``None``: a read)."""
        if self._pending:
            self._kill()
        if label is None:
            return None
        self.points.append(label)
        index = len(self.points) - 1
        if self._hits(index, "before"):
            self._kill()
        return index

    def answered(self, index: int | None) -> None:
        """The write took effect; its answer is not read yet."""
        if index is not None and (self._hits(index, "unread") or self._ledger_after(index)):
            self._kill()

    def read(self, index: int | None) -> None:
        """The importer is about to get the answer: die at its next call."""
        if index is not None and self._hits(index, "after"):
            self._pending = True

    def finished(self) -> None:
        """The run returned (a kill still pending happens now)."""
        if self._pending:
            self._kill()

    def _hits(self, index: int, phase: str) -> bool:
        return self.kill is not None and self.kill.index == index and self.kill.phase == phase

    def _ledger_after(self, index: int) -> bool:
        return self._hits(index, "after") and self.points[index].startswith("ledger.")

    def _kill(self) -> None:
        if self.record is not None and self.kill is not None:
            label = self.points[self.kill.index] if self.kill.index < len(self.points) else "?"
            self.record.write_text(
                json.dumps([self.kill.index, label, self.kill.phase, self.points])
            )
        _die()


def plenty_label(request: httpx.Request) -> str | None:
    """A plentymarkets write's write-point label (``None`` for reads and the login)."""
    if request.method in ("GET", "HEAD") or request.url.path.startswith("/rest/login"):
        return None
    return f"{request.method} {_NUMBER.sub('/{id}', request.url.path)}"


class TracedTransport(httpx.BaseTransport):
    """The worker's transport: forwards every request, passing write points to the tracer."""

    def __init__(
        self, inner: httpx.BaseTransport, tracer: Tracer, label: Callable[[httpx.Request], Any]
    ) -> None:
        self.inner, self.tracer, self.label = inner, tracer, label

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        index = self.tracer.enter(self.label(request))
        response = self.inner.handle_request(request)
        if index is not None:
            self.tracer.answered(index)  # "unread": plentymarkets committed it
            response.read()
            self.tracer.read(index)
        return response

    def close(self) -> None:
        self.inner.close()


def allegro_label(request: httpx.Request) -> str | None:
    """The importer writes nothing to Allegro; should it ever, that is a write point too."""
    if request.method in ("GET", "HEAD"):
        return None
    return f"allegro {request.method} {_NUMBER.sub('/{id}', request.url.path)}"


def ledger_label(method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str | None:
    """A ledger write's write-point label, telling apart what differs in what a crash
    leaves behind: which claim, which cursor (and its first save), which binding field."""
    if method not in LEDGER_WRITES:
        return None
    label = f"ledger.{method}"
    if method in ("claim", "renew", "release_claim"):
        key = args[1] if method == "claim" else args[0].key
        return label + (":referrer" if str(key).startswith("referrer:") else "")
    if method == "save_cursor":
        return f"{label}:{args[1]}" + (":first" if kwargs.get("expected_version") == 0 else "")
    if method == "update_binding":
        return f"{label}:{'+'.join(sorted(kwargs))}"
    return label


class TracedLedger:
    """A ledger whose writes are write points."""

    def __init__(self, inner: Any, tracer: Tracer) -> None:
        self.inner, self.tracer = inner, tracer

    def __getattr__(self, name: str) -> Any:
        found = getattr(self.inner, name)
        if not callable(found):
            return found

        @functools.wraps(found)
        def traced(*args: Any, **kwargs: Any) -> Any:
            index = self.tracer.enter(ledger_label(name, args, kwargs))
            result = found(*args, **kwargs)
            self.tracer.answered(index)
            return result

        return traced


# --- ledgers ---------------------------------------------------------------------------------


@attrs.frozen
class Ledgers:
    """Which ledger the trials use: a SQLite file per trial, or a PostgreSQL schema per trial."""

    kind: str = "sqlite"
    dsn: str | None = None
    prefix: str = "crash"

    def place(self, folder: Path, trial: int) -> str:
        return str(folder / "ledger.db") if self.kind == "sqlite" else f"{self.prefix}_{trial}"

    def open(self, place: str, *, ahead: float = 0.0) -> Any:
        """The ledger at ``place``, its clock ``ahead`` seconds in the future."""
        if self.kind == "sqlite":
            # NORMAL survives a killed process (not a power loss): the property at test.
            return SqliteLedger(place, clock=lambda: time.time() + ahead, synchronous="NORMAL")
        from allegro_plenty.ledger.postgres import PostgresLedger

        shift = (lambda: ahead) if ahead else None
        return PostgresLedger(self.dsn, schema=place, time_shift=shift, max_connections=2)

    def create(self, place: str) -> None:
        if self.kind == "postgres":
            ledger = self.open(place)
            try:
                ledger.migrate()
            finally:
                ledger.close()

    def drop(self, place: str) -> None:
        if self.kind == "postgres":
            from .pg_server import drop_schema

            assert self.dsn is not None
            drop_schema(self.dsn, place)


# --- one importer run ------------------------------------------------------------------------


def run_import(
    scene: Scene, ledger: Any, tracer: Tracer, allegro: AllegroClient, plenty: PlentyClient
) -> dict[str, Any]:
    """One importer run; what a trial needs to know of its result."""
    importer = OrderImporter(
        plenty=plenty,
        ledger=TracedLedger(ledger, tracer),
        accounts=[(scene.account, allegro)],
        settings=SETTINGS,
    )
    result = importer.run()
    tracer.finished()
    return {
        "counts": result.counts,
        "complete": result.complete,
        "problems": [
            f"{e.kind.value} {e.checkout_form_id}: {e.reason}"
            for e in result.entries
            if e.kind.value in ("failed", "quarantined")
        ]
        + [f"stop: {s.error}: {s.message}" for s in result.stops],
    }


def import_in_memory(
    scene: Scene, allegro: FakeAllegro, plenty: FakePlenty, ledger: Any, tracer: Tracer
) -> dict[str, Any]:
    """One importer run in this process, over the fakes' in-memory transports."""
    with memory_clients(
        allegro,
        plenty,
        allegro_wrap=lambda inner: TracedTransport(inner, tracer, allegro_label),
        plenty_wrap=lambda inner: TracedTransport(inner, tracer, plenty_label),
    ) as (allegro_client, plenty_client):
        return run_import(scene, ledger, tracer, allegro_client, plenty_client)


def probe(scene: Scene, start: datetime) -> list[str]:
    """The write points of the scene's import, in order (in process, in memory)."""
    allegro, plenty = fakes(scene, start)
    ledger = MemoryLedger()
    if scene.journal:
        import_in_memory(scene, allegro, plenty, ledger, Tracer())
    add_forms(scene, allegro, plenty)
    tracer = Tracer()
    summary = import_in_memory(scene, allegro, plenty, ledger, tracer)
    if summary["problems"] or not summary["complete"]:
        raise AssertionError(f"the probe of scene {scene.seed} failed: {summary}")
    return tracer.points


def import_over_loopback(
    scene: Scene, reach: Reach, ledger: Any, tracer: Tracer, *, break_lookup: bool = False
) -> dict[str, Any]:
    """One importer run over loopback (with the look-up broken for the negative control)."""
    with contextlib.ExitStack() as stack:
        if break_lookup:  # the negative control: no look-up before creating an order
            from allegro_plenty.importer import order

            stack.enter_context(_replaced(order, "find_existing", _never_found))
        allegro, plenty = stack.enter_context(
            clients(
                reach,
                allegro_wrap=lambda inner: TracedTransport(inner, tracer, allegro_label),
                plenty_wrap=lambda inner: TracedTransport(inner, tracer, plenty_label),
            )
        )
        return run_import(scene, ledger, tracer, allegro, plenty)


@contextlib.contextmanager
def _replaced(owner: Any, name: str, value: Any) -> Iterator[None]:
    kept = getattr(owner, name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        setattr(owner, name, kept)


def _never_found(*args: Any, **kwargs: Any) -> Any:
    """A broken importer: the sales order already carrying the external id is never found."""
    return None
    yield  # pragma: no cover - makes this a plan


def doomed(scene: Scene, reach: Reach, plan: Plan, place: str, kill: KillAt, folder: Path) -> None:
    """Worker 1, a process of its own: an importer run that dies at ``kill``."""

    def work() -> None:
        ledger = plan.ledgers.open(place)
        tracer = Tracer(kill, folder / "killed")
        import_over_loopback(scene, reach, ledger, tracer, break_lookup=plan.break_lookup)
        ledger.close()

    exit_after(work, folder / "worker.error")


def fresh_run(scene: Scene, reach: Reach, plan: Plan, place: str) -> dict[str, Any]:
    """Worker 2: a fresh importer (new clients, new ledger handle) whose ledger clock is
    past the dead worker's lease. It dies at no point, so it runs in the runner."""
    ledger = plan.ledgers.open(place, ahead=SKIP)
    try:
        return import_over_loopback(scene, reach, ledger, Tracer(), break_lookup=plan.break_lookup)
    finally:
        ledger.close()


def _new_scene(stage: Stage, scene: Scene, start: datetime) -> None:
    stage.allegro, stage.plenty = fakes(scene, start)


def _add_forms(stage: Stage, scene: Scene) -> None:
    add_forms(scene, stage.allegro, stage.plenty)


def outcome(stage: Stage, forms: list[dict[str, Any]]) -> Any:
    """(In the fakes' process.) What plentymarkets holds for each form: its orders,
    payments per paid part with the order each is linked to, comments; and how many
    contacts carry each external id."""
    plenty = stage.plenty
    found: dict[str, Any] = {}
    for form in forms:
        orders = plenty.orders_with_external_id(form["id"])
        found[form["id"]] = {
            "orders": orders,
            "payments": {
                part: [
                    (pid, (plenty.payment(pid).get("order") or {}).get("orderId"))
                    for pid in plenty.payments_with_transaction_id(part)
                ]
                for part in paid_parts(form)
            },
            "comments": {
                str(order_id): [c["text"] for c in plenty.comments(order_id)] for order_id in orders
            },
        }
    with plenty.lock:
        contacts = Counter(
            c.get("externalId") for c in plenty._state.contacts.values() if c.get("externalId")
        )
    return {"forms": found, "contacts": dict(contacts)}


# --- a trial -----------------------------------------------------------------------------------


@attrs.frozen
class Plan:
    """The trials to run and how."""

    trials: int
    seed: int = 11
    slots: int = 4
    """Trials run at the same time."""
    ledgers: Ledgers = Ledgers()
    break_lookup: bool = False
    """The negative control: the importer never finds an order already created."""
    focus: tuple[str, ...] = ()
    """Kill only at these write points (all of them when empty): ``"ledger.*"`` names
    every ledger write point, ``"ledger.bind@before"`` one phase of one."""


def _matches(label: str, phase: str, wanted: str) -> bool:
    """``"POST /rest/orders"``: every phase of it; ``"ledger.bind@before"``: one phase;
    ``"ledger.*"``: every ledger write point."""
    point, _, only = wanted.partition("@")
    if only and only != phase:
        return False
    return label == point or (point.endswith("*") and label.startswith(point[:-1]))


@attrs.define
class Coverage:
    """Which (write point, phase) a runner kills at next.

    Each runner looks after its own share of the pairs (by a hash), when the scene
    offers any of them: the least killed at so far, the rarest offered breaking
    ties (the first save of the events cursor comes only with a first run), then
    chance; at a random occurrence of the write point in the scene.
    """

    slot: int
    slots: int
    rng: random.Random
    focus: tuple[str, ...] = ()
    killed: Counter[tuple[str, str]] = attrs.field(factory=Counter)
    offered: Counter[tuple[str, str]] = attrs.field(factory=Counter)

    def _wanted(self, label: str, phase: str) -> bool:
        return not self.focus or any(_matches(label, phase, f) for f in self.focus)

    def choose(self, points: list[str]) -> KillAt:
        options = [
            (label, phase)
            for label in sorted(set(points))
            for phase in phases_of(label)
            if self._wanted(label, phase)
        ]
        self.offered.update(options)
        mine = [o for o in options if zlib.crc32(repr(o).encode()) % self.slots == self.slot]
        candidates = mine or options
        rank = min((self.killed[o], self.offered[o]) for o in candidates)
        label, phase = self.rng.choice(
            [o for o in candidates if (self.killed[o], self.offered[o]) == rank]
        )
        index = self.rng.choice([i for i, point in enumerate(points) if point == label])
        return KillAt(index, label, phase)

    def hit(self, kill: KillAt) -> None:
        self.killed[kill.label, kill.phase] += 1


def judge(scene: Scene, held: dict[str, Any], bindings: dict[str, Any]) -> dict[str, list[str]]:
    """Every way plentymarkets or the ledger is not what exactly-once means."""
    found: dict[str, list[str]] = {"duplicates": [], "missing": [], "extra": []}
    for form in scene.forms:
        form_id = form["id"]
        mine = held["forms"][form_id]
        orders = mine["orders"]
        if not eligible(form):
            if orders:
                found["extra"].append(f"{form_id}: not eligible but has orders {orders}")
            continue
        if len(orders) > 1:
            found["duplicates"].append(f"{form_id}: orders {orders}")
        if not orders:
            found["missing"].append(f"{form_id}: no order")
            continue
        order_id = orders[0]
        for part, payments in mine["payments"].items():
            if len(payments) != 1:
                found["duplicates" if payments else "missing"].append(
                    f"{form_id}: payments {payments} for paid part {part}"
                )
            elif payments[0][1] != order_id:
                found["missing"].append(
                    f"{form_id}: payment {payments[0]} not linked to {order_id}"
                )
        for texts in mine["comments"].values():
            doubled = [text[:60] for text, n in Counter(texts).items() if n > 1]
            if doubled:
                found["duplicates"].append(f"{form_id}: comments {doubled}")
        binding = bindings.get(form_id)
        if binding is None or binding[0] != order_id or FINISHED not in binding[1]:
            found["missing"].append(f"{form_id}: binding {binding}, order {order_id}")
    doubled_contacts = {k: n for k, n in held["contacts"].items() if n > 1}
    if doubled_contacts:
        found["duplicates"].append(f"contacts {doubled_contacts}")
    return found


def _read(path: Path) -> Any:
    return json.loads(path.read_text()) if path.exists() else None


def run_trial(
    plan: Plan, trial: int, root: Path, coverage: Coverage, served: ServedFakes
) -> dict[str, Any]:
    """One trial: probe, a fresh scene on the served fakes, worker 1 killed, worker 2,
    the judgement."""
    seed = plan.seed * 100_000 + trial
    this = scene(seed)
    start = datetime.now(timezone.utc).replace(microsecond=0)
    kill = coverage.choose(probe(this, start))
    report: dict[str, Any] = {"trial": trial, "seed": seed, "kill": attrs.astuple(kill)}
    folder = root / f"trial-{trial}"
    folder.mkdir()
    ledgers = plan.ledgers
    place = ledgers.place(folder, trial)
    ledgers.create(place)
    reach = served.restage(fakes, this, start)
    if this.journal:
        ledger = ledgers.open(place)
        import_over_loopback(this, reach, ledger, Tracer())
        ledger.close()
    served.ask(_add_forms, this)
    args = (this, reach, plan, place, kill, folder)
    report["worker1"] = forked(doomed, *args, timeout=WORKER_TIMEOUT)
    report["killed_at"] = _read(folder / "killed")
    error = folder / "worker.error"
    report["error"] = error.read_text() if error.exists() else None
    report["run"] = fresh_run(this, reach, plan, place)
    held = served.ask(outcome, list(this.forms))
    ledger = ledgers.open(place)
    bindings = {}
    for form in this.forms:
        binding = ledger.binding(this.account.key, form["id"])
        if binding is not None:
            bindings[form["id"]] = (binding.plenty_order_id, list(binding.steps_done))
    ledger.close()
    ledgers.drop(place)
    report.update(judge(this, held, bindings))
    if report["worker1"] == -signal.SIGKILL:
        coverage.hit(kill)
    return report


# --- runners -----------------------------------------------------------------------------------


def runner(plan: Plan, slot: int, root: str, conn: Connection) -> None:
    """A runner process: its share of the trials, one after another, on one fakes process;
    a report each."""
    coverage = Coverage(slot, plan.slots, random.Random(f"{plan.seed}:{slot}"), plan.focus)
    try:
        with ServedFakes(*fakes(scene(0), datetime.now(timezone.utc))) as served:
            for trial in range(slot, plan.trials, plan.slots):
                conn.send(run_trial(plan, trial, Path(root), coverage, served))
    except BaseException:
        conn.send({"crash": traceback.format_exc()})
    conn.send(None)
    conn.close()


def run_all(plan: Plan, root: str) -> list[dict[str, Any]]:
    """(In the spawned host.) Fork the runners; every trial's report, in trial order."""
    probe(scene(0), datetime.now(timezone.utc))  # compiles the model hooks the forks share
    pipes, runners = [], []
    for slot in range(plan.slots):
        ours, theirs = FORK.Pipe()
        process = FORK.Process(target=runner, args=(plan, slot, root, theirs))
        process.start()
        theirs.close()
        pipes.append(ours)
        runners.append(process)
    reports = []
    while pipes:
        for ready in wait(pipes):
            assert isinstance(ready, Connection)
            try:
                got = ready.recv()
            except EOFError:
                got = None
            if got is None:
                pipes.remove(ready)
            else:
                reports.append(got)
    for process in runners:
        process.join(10)
    crashes = [r["crash"] for r in reports if "crash" in r]
    assert not crashes, "a trial runner crashed:\n" + "\n".join(crashes)
    return sorted(reports, key=lambda r: int(r["trial"]))


def problems(reports: list[dict[str, Any]]) -> Iterator[str]:
    """Every problem of every trial, one line each."""
    for r in reports:
        where = f"trial {r['trial']} (seed {r['seed']}, killed at {r['kill']})"
        if r.get("error"):
            yield f"{where}: worker error {r['error']}"
        for problem in (r.get("run") or {}).get("problems", ()):
            yield f"{where}: the fresh run: {problem}"
        for kind in ("duplicates", "missing", "extra"):
            for what in r.get(kind, ()):
                yield f"{where}: {kind}: {what}"
