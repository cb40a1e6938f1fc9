"""Importer workers racing for the same forms: threads in several processes, one barrier.

The fakes are served on loopback from a process of their own (``loopback_workers.py``);
an earlier run started the journal, then the forms came, so every worker reads the
same events and goes for the same forms in the same order. Each worker process holds
one :class:`SqliteLedger` on one file, shared by its threads, and one token store (one
plentymarkets login per process); each thread is an importer of its own, whose order
creates take 50 to 200 ms (a transport that holds them back), so a worker that skipped
the claim would find no order yet and create one too.
"""

from __future__ import annotations

import json
import random
import threading
import time
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import httpx

from allegro_plenty import ImportSettings, OrderImporter
from allegro_plenty.accounts import AllegroAccount
from allegro_plenty.errors import ClaimLostError
from allegro_plenty.ledger import SqliteLedger
from allegro_plenty.ledger.records import Claim
from allegro_plenty.testing import checkout_form, seed_catalogue
from allegro_plenty.tokens import MemoryTokenStore

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
    memory_clients,
)

ACCOUNT = AllegroAccount(key=SELLER, mapping=CONFIG)
SETTINGS = ImportSettings(backfill=86400)
CREATE_LATENCY = (0.05, 0.2)
"""Seconds an order create is held back before it is sent."""


@attrs.frozen
class Race:
    """Who races for how many forms."""

    forms: int = 8
    threads: int = 4
    """Importers in each process."""
    processes: int = 2
    seed: int = 3
    cold: bool = False
    """No referrer yet: the workers race to create "Allegro" and its sub-referrer too
    (otherwise both exist, as after the first import)."""
    claims_always_granted: bool = False
    """The negative control: the ledger grants every claim on a form."""


class HeldCreates(httpx.BaseTransport):
    """Holds every order create back for a random 50 to 200 ms, then sends it."""

    def __init__(self, inner: httpx.BaseTransport, rng: random.Random) -> None:
        self.inner, self.rng = inner, rng

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path == "/rest/orders":
            time.sleep(self.rng.uniform(*CREATE_LATENCY))
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


class ClaimsAlwaysGranted:
    """A broken ledger for the negative control: every claim on a form is granted (one
    another worker holds as well), and renewing or releasing one never fails."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def claim(self, account: str, key: str, owner: str, *, lease: float) -> Claim | None:
        granted: Claim | None = self.inner.claim(account, key, owner, lease=lease)
        if granted is None and not key.startswith("referrer:"):
            return Claim(account, key, owner, 0, time.time() + lease)
        return granted  # type: ignore[return-value]

    def renew(self, claim: Claim, *, lease: float) -> Claim:
        if claim.key.startswith("referrer:"):
            renewed_claim: Claim = self.inner.renew(claim, lease=lease)
            return renewed_claim
        try:
            renewed: Claim = self.inner.renew(claim, lease=lease)
        except ClaimLostError:
            return claim
        return renewed

    def release_claim(self, claim: Claim) -> bool:
        released: bool = self.inner.release_claim(claim)
        return released or not claim.key.startswith("referrer:")


def racer(race: Race, reach: Reach, path: str, barrier: Any, index: int, folder: Path) -> None:
    """A worker process: ``race.threads`` importers, one ledger handle, one token store."""

    def work() -> None:
        ledger: Any = SqliteLedger(path)
        if race.claims_always_granted:
            ledger = ClaimsAlwaysGranted(ledger)
        tokens = MemoryTokenStore()
        results: list[Any] = [None] * race.threads

        def one(thread: int) -> None:
            rng = random.Random(f"{race.seed}:{index}:{thread}")
            try:
                with clients(
                    reach, token_store=tokens, plenty_wrap=lambda inner: HeldCreates(inner, rng)
                ) as (allegro, plenty):
                    importer = OrderImporter(
                        plenty=plenty, ledger=ledger, accounts=[(ACCOUNT, allegro)],
                        settings=SETTINGS,
                    )  # fmt: skip
                    barrier.wait(timeout=30)
                    result = importer.run()
                results[thread] = {
                    "claims_lost": result.claims_lost,
                    "counts": result.counts,
                    "stops": [f"{s.error}: {s.message}" for s in result.stops],
                }
            except BaseException as error:  # reported, not raised: the thread ends
                results[thread] = {"error": repr(error)}

        threads = [threading.Thread(target=one, args=(t,)) for t in range(race.threads)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        (folder / f"racer-{index}.json").write_text(json.dumps(results))

    exit_after(work, folder / f"racer-{index}.error")


def held(stage: Stage, form_ids: list[str]) -> dict[str, Any]:
    """(In the fakes' process.) The sales orders carrying each form's id; the names of
    the referrers named Allegro..., one entry per referrer."""
    plenty = stage.plenty
    with plenty.lock:
        referrers = plenty._state.referrers.values()
        names = sorted(
            r["backendName"] for r in referrers if r["backendName"].startswith("Allegro")
        )
    orders = {form_id: plenty.orders_with_external_id(form_id) for form_id in form_ids}
    return {"orders": orders, "referrers": names}


def finish(reach: Reach, path: str) -> None:
    """A later run, once the racers' leases and retry delays have passed."""
    ledger = SqliteLedger(path, clock=lambda: time.time() + 3600)
    with clients(reach) as (allegro, plenty):
        OrderImporter(
            plenty=plenty, ledger=ledger, accounts=[(ACCOUNT, allegro)], settings=SETTINGS
        ).run()
    ledger.close()


def run_race(race: Race, root: str) -> dict[str, Any]:
    """(In the spawned host.) The race, and what came of it."""
    folder = Path(root)
    allegro, plenty = fakes_at(datetime.now(timezone.utc).replace(microsecond=0))
    if not race.cold:
        main = plenty.add_referrer("Allegro")
        plenty.add_referrer(f"Allegro {SELLER}", referrer_id=main + Decimal("0.01"))
    path = str(folder / "ledger.db")
    ledger = SqliteLedger(path)
    with memory_clients(allegro, plenty) as (allegro_client, plenty_client):
        OrderImporter(  # an earlier run: the journal is started, the sweep not due
            plenty=plenty_client, ledger=ledger, accounts=[(ACCOUNT, allegro_client)],
            settings=SETTINGS,
        ).run()  # fmt: skip
    ledger.close()
    forms = [
        checkout_form(seed=race.seed * 100 + i, company=i % 3 == 0, surcharges=["4.99"] * (i % 2))
        for i in range(race.forms)
    ]
    seed_catalogue(plenty, forms)
    for form in forms:
        allegro.clock.advance(1)
        allegro.add_checkout_form(form)
    form_ids = [form["id"] for form in forms]
    barrier = FORK.Barrier(race.threads * race.processes)
    with ServedFakes(allegro, plenty) as served:
        processes = [
            FORK.Process(target=racer, args=(race, served.reach, path, barrier, i, folder))
            for i in range(race.processes)
        ]
        for process in processes:
            process.start()
        for process in processes:
            process.join(90)
            if process.exitcode is None:
                process.kill()
                process.join()
        ledger = SqliteLedger(path)
        deferred = [f.form_id for f in ledger.failures() if f.last_error.startswith("deferred: ")]
        ledger.close()
        raced = served.ask(held, form_ids)
        finish(served.reach, path)
        finished = served.ask(held, form_ids)
    errors = [p.read_text() for p in sorted(folder.glob("racer-*.error"))]
    results = [r for p in sorted(folder.glob("racer-*.json")) for r in json.loads(p.read_text())]
    ledger = SqliteLedger(path)
    bound = {f: getattr(ledger.binding(SELLER, f), "plenty_order_id", None) for f in form_ids}
    failures = [f"{f.form_id}: {f.last_error}" for f in ledger.failures()]
    ledger.close()
    return {
        "errors": errors,
        "results": results,
        "raced": raced,
        "deferred": deferred,
        "finished": finished,
        "bound": bound,
        "failures": failures,
    }
