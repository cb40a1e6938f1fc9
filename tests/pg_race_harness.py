"""Eight worker processes on one PostgreSQL ledger: import, then run a procedure, for the same
two Allegro accounts, against one pair of fakes served on loopback from a process of its own.

The shape of ``race_harness.py`` (which races threads over SQLite), on the deployment a
host with workers on many machines has: :class:`PostgresLedger` for the ledger and
:class:`PostgresTokenStore` for the tokens (one plentymarkets login for all, which the
fake's cap on sessions would otherwise refuse). An earlier run started both accounts'
journals; then the forms came, so every worker goes for the same forms in the same order.
Behind one barrier every worker imports; behind a second one every worker dispatches
``allegro.status.processing`` for every bound order. Order creates and Allegro's status
writes are held back 50 to 200 ms each, so a worker that skipped a claim would find no
order (or a status still ``NEW``) and write too. Some workers' wall clocks are five
minutes off.
"""

from __future__ import annotations

import json
import random
import time
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import httpx

from allegro_plenty import AllegroClient, ImportSettings, OrderImporter, PlentyClient
from allegro_plenty.accounts import AllegroAccount
from allegro_plenty.errors import ClaimLostError
from allegro_plenty.ledger import ExecutionBlock
from allegro_plenty.ledger.postgres import PostgresLedger
from allegro_plenty.ledger.records import ExecutionClaim, ExecutionStart
from allegro_plenty.procedures import ProcedureRunner
from allegro_plenty.testing import checkout_form, seed_catalogue
from allegro_plenty.tokens_postgres import PostgresTokenStore

from .importer_support import CONFIG
from .loopback_workers import (
    FORK,
    SELLER,
    Reach,
    ServedFakes,
    Stage,
    exit_after,
    fakes_at,
    loopback_transport,
)
from .race_harness import CREATE_LATENCY, ClaimsAlwaysGranted, HeldCreates

SECOND = "77553311"
SELLERS = (SELLER, SECOND)
SETTINGS = ImportSettings(backfill=86400)
PROCEDURE = "allegro.status.processing"
PUT_ROUTE = "PUT /order/checkout-forms/{id}/fulfillment"
SKEWS = (0.0, 300.0, -300.0, 0.0, 300.0, -300.0, 0.0, 0.0)
"""Each worker's wall clock, seconds off the real time (the ledger never reads it)."""


@attrs.frozen
class PgRace:
    dsn: str
    schema: str
    forms: int = 6
    """Per account."""
    processes: int = 8
    seed: int = 21
    claims_disabled: bool = False
    """The negative control: every claim on a form and on an execution is granted."""
    leases_on_worker_clocks: bool = False
    """The negative control of the skewed clocks: each worker's ledger counts leases on
    the worker's own clock (the database's time moved by the worker's skew)."""


def ledger_of(race: PgRace, skew: float = 0.0) -> PostgresLedger:
    shift = (lambda: skew) if race.leases_on_worker_clocks and skew else None
    return PostgresLedger(race.dsn, schema=race.schema, max_connections=2, time_shift=shift)


def tokens_of(race: PgRace) -> PostgresTokenStore:
    return PostgresTokenStore(race.dsn, table=f"{race.schema}.tokens", max_connections=2)


class ClaimsDisabled(ClaimsAlwaysGranted):
    """The broken ledger of the negative control: a form's claim (see ``race_harness``) and
    an execution's are granted although another worker holds them, and losing one is
    never noticed."""

    def begin_execution(
        self, account: str, procedure: str, order: int, subject: str, owner: str, *, lease: float
    ) -> ExecutionStart:
        start: ExecutionStart = self.inner.begin_execution(
            account, procedure, order, subject, owner, lease=lease
        )
        if start.blocked is not ExecutionBlock.HELD:
            return start
        e = start.execution
        claim = ExecutionClaim(
            e.account, e.procedure, e.plenty_order_id, e.subject, owner, 0, time.time() + 60
        )
        return attrs.evolve(start, claim=claim, blocked=None)

    def _ignoring_loss(self, name: str, claim: ExecutionClaim, *args: Any, **kwargs: Any) -> Any:
        try:
            return getattr(self.inner, name)(claim, *args, **kwargs)
        except ClaimLostError:
            if name == "renew_execution":
                return claim
            return self.inner.execution(
                claim.account, claim.procedure, claim.plenty_order_id, claim.subject
            )

    def renew_execution(self, claim: ExecutionClaim, **kwargs: Any) -> Any:
        return self._ignoring_loss("renew_execution", claim, **kwargs)

    def finish_execution(self, claim: ExecutionClaim, *args: Any, **kwargs: Any) -> Any:
        return self._ignoring_loss("finish_execution", claim, *args, **kwargs)

    def postpone_execution(self, claim: ExecutionClaim, *args: Any, **kwargs: Any) -> Any:
        return self._ignoring_loss("postpone_execution", claim, *args, **kwargs)

    def fail_execution(self, claim: ExecutionClaim, *args: Any, **kwargs: Any) -> Any:
        return self._ignoring_loss("fail_execution", claim, *args, **kwargs)


class HeldStatusWrites(httpx.BaseTransport):
    """Holds every Allegro status write back for a random 50 to 200 ms, then sends it."""

    def __init__(self, inner: httpx.BaseTransport, rng: random.Random) -> None:
        self.inner, self.rng = inner, rng

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "PUT" and request.url.path.endswith("/fulfillment"):
            time.sleep(self.rng.uniform(*CREATE_LATENCY))
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def accounts_with_clients(reach: Reach, tokens: dict[str, str], wrap: Any) -> list[Any]:
    return [
        (
            AllegroAccount(key=seller, mapping=CONFIG),
            AllegroClient(
                access_token=tokens[seller], base_url=reach.allegro_url, strict=True,
                transport=wrap(loopback_transport()),
            ),
        )
        for seller in SELLERS
    ]  # fmt: skip


def racer(
    race: PgRace,
    reach: Reach,
    tokens: dict[str, str],
    forms: list[tuple[str, str]],
    barrier: Any,
    index: int,
    folder: Path,
) -> None:
    """A worker process: one importer, then one procedure runner, on the shared ledger."""

    def work() -> None:
        skew = SKEWS[index % len(SKEWS)]
        real = time.time
        time.time = lambda: real() + skew  # type: ignore[assignment]
        rng = random.Random(f"{race.seed}:{index}")
        ledger: Any = ledger_of(race, skew)
        if race.claims_disabled:
            ledger = ClaimsDisabled(ledger)
        accounts = accounts_with_clients(reach, tokens, lambda t: HeldStatusWrites(t, rng))
        with PlentyClient(
            reach.plenty_url, username=reach.username, password=reach.password,
            token_store=tokens_of(race), strict=True,
            transport=HeldCreates(loopback_transport(), rng),
        ) as plenty:  # fmt: skip
            importer = OrderImporter(
                plenty=plenty, ledger=ledger, accounts=accounts, settings=SETTINGS
            )
            runner = ProcedureRunner(plenty=plenty, ledger=ledger, accounts=accounts)
            barrier.wait(timeout=30)
            result = importer.run()
            barrier.wait(timeout=60)
            statuses: list[str] = []
            for account, form_id in forms:
                binding = ledger.binding(account, form_id)
                if binding is not None:
                    outcome = runner.dispatch(PROCEDURE, binding.plenty_order_id)
                    statuses += [r.status.value for r in outcome.results]
        for _, client in accounts:
            client.close()
        report = {
            "created": result.counts["created"],
            "claims_lost": result.claims_lost,
            "stops": [f"{s.error}: {s.message}" for s in result.stops],
            "statuses": statuses,
        }
        (folder / f"racer-{index}.json").write_text(json.dumps(report))

    exit_after(work, folder / f"racer-{index}.error")


def held(stage: Stage, forms: list[tuple[str, str]]) -> dict[str, Any]:
    """(In the fakes' process.) Each form's sales orders and Allegro status writes."""
    puts = [c for c in stage.allegro.calls(PUT_ROUTE) if c.response is not None]
    return {
        form_id: {
            "orders": stage.plenty.orders_with_external_id(form_id),
            "puts": sum(1 for c in puts if f"/{form_id}/" in c.request.path),
            "status": stage.allegro.checkout_form(form_id)["fulfillment"]["status"],
        }
        for _, form_id in forms
    }


def run_pg_race(race: PgRace, root: str) -> dict[str, Any]:
    """(In the spawned host.) The race, and what came of it."""
    folder = Path(root)
    allegro, plenty = fakes_at(datetime.now(timezone.utc).replace(microsecond=0))
    allegro.add_seller(SECOND, "second-shop")
    main = plenty.add_referrer("Allegro")
    for n, seller in enumerate(SELLERS, 1):
        plenty.add_referrer(f"Allegro {seller}", referrer_id=main + Decimal(n) / 100)
    tokens = {seller: allegro.issue_token(seller).access_token for seller in SELLERS}
    with ledger_of(race) as ledger:
        ledger.migrate()
    store = tokens_of(race)
    store.create_table()
    with ServedFakes(allegro, plenty) as served:
        reach = served.reach
        with PlentyClient(
            reach.plenty_url, username=reach.username, password=reach.password,
            token_store=store, strict=True, transport=loopback_transport(),
        ) as plenty_client, ledger_of(race) as ledger:  # fmt: skip
            accounts = accounts_with_clients(reach, tokens, lambda t: t)
            OrderImporter(  # an earlier run: both journals started, the sweep not due
                plenty=plenty_client, ledger=ledger, accounts=accounts, settings=SETTINGS
            ).run()
            for _, client in accounts:
                client.close()
        made = [
            (
                seller,
                checkout_form(seed=race.seed * 100 + 10 * n + i, surcharges=["4.99"] * (i % 2)),
            )
            for i in range(race.forms)
            for n, seller in enumerate(SELLERS)
        ]
        forms = served.ask(_add_forms, made)
        barrier = FORK.Barrier(race.processes)
        processes = [
            FORK.Process(target=racer, args=(race, reach, tokens, forms, barrier, i, folder))
            for i in range(race.processes)
        ]
        for process in processes:
            process.start()
        for process in processes:
            process.join(90)
            if process.exitcode is None:
                process.kill()
                process.join()
        found = served.ask(held, forms)
    with ledger_of(race) as ledger:
        bound = {f: getattr(ledger.binding(a, f), "plenty_order_id", None) for a, f in forms}
        done = {
            f: [e.state.value for e in ledger.executions(a, plenty_order_id=bound[f])]
            if bound[f] is not None
            else []
            for a, f in forms
        }
    errors = [p.read_text() for p in sorted(folder.glob("racer-*.error"))]
    results = [json.loads(p.read_text()) for p in sorted(folder.glob("racer-*.json"))]
    return {
        "errors": errors,
        "results": results,
        "forms": forms,
        "found": found,
        "bound": bound,
        "executions": done,
    }


def _add_forms(stage: Stage, made: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, str]]:
    """(In the fakes' process.) The forms arrive, one second apart, after the earlier run."""
    seed_catalogue(stage.plenty, [form for _, form in made])
    added = []
    for seller, form in made:
        stage.allegro.clock.advance(1)
        added.append((seller, stage.allegro.add_checkout_form(form, seller_id=seller)))
    return added
