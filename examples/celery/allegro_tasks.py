"""allegro_plenty on Celery: workers on any number of machines, one PostgreSQL database.

Run (see docs/deployment.md)::

    pip install 'allegro-plenty[postgres,celery]'
    export ALLEGRO_PLENTY_PG_DSN=postgresql://app:secret@db/shop  BROKER_URL=redis://redis:6379/0
    export ALLEGRO_CLIENT_ID=... ALLEGRO_CLIENT_SECRET=... ALLEGRO_ACCOUNTS=12345678,87654321
    export PLENTY_URL=https://shop.plentymarkets-cloud01.com PLENTY_USER=... PLENTY_PASSWORD=...
    python allegro_tasks.py migrate        # once per release: tables and schema
    celery -A allegro_tasks worker         # as many as you like, on as many machines
    celery -A allegro_tasks beat           # exactly one

Every ``FAN_OUT_EVERY`` seconds beat sends :func:`fan_out`, which sends one
:func:`import_orders` and one :func:`run_procedures` task per Allegro account.
There are no task locks: if a slow import of an account still runs when the
next one starts, or a task is delivered twice, both work on the same forms and
the ledger hands each form and each procedure execution to exactly one of them
(the other counts a lost claim). Everything workers share lives in PostgreSQL:
the ledger, the tokens (one refresh per expiry, one plentymarkets login for all
workers) and the Allegro rate-limit gate (a 429 in one worker pauses all).
"""

from __future__ import annotations

import functools
import logging
import os
import sys
from decimal import Decimal
from typing import Any

from celery import Celery

from allegro_plenty import (
    AllegroApp,
    AllegroClient,
    ImportSettings,
    MappingConfig,
    OrderImporter,
    PlentyClient,
    ProcedureRunner,
)
from allegro_plenty.accounts import AllegroAccount
from allegro_plenty.allegro.rate_gate_postgres import PostgresRateGate
from allegro_plenty.importer import EntryKind, ImportResult
from allegro_plenty.ledger.postgres import PostgresLedger
from allegro_plenty.tokens_postgres import PostgresTokenStore

log = logging.getLogger("shop.allegro")

# --- configuration: secrets and addresses from the environment, the rest here ----------------

DSN = os.environ["ALLEGRO_PLENTY_PG_DSN"]
BROKER_URL = os.environ.get("BROKER_URL", "redis://127.0.0.1:6379/0")
ACCOUNTS = [key.strip() for key in os.environ["ALLEGRO_ACCOUNTS"].split(",") if key.strip()]
SCHEMA = os.environ.get("ALLEGRO_PLENTY_SCHEMA", "allegro_plenty")
ALLEGRO_BASE_URL = os.environ.get("ALLEGRO_BASE_URL")  # unset: production
FAN_OUT_EVERY = float(os.environ.get("FAN_OUT_EVERY", "120"))
ON_IMPORT = ("allegro.status.processing",)
"""Procedures dispatched for every order an import created (empty: none)."""

MAPPING = MappingConfig(
    plenty_id=int(os.environ.get("PLENTY_ID", "1000")),
    status_id=Decimal(5),
    payment_method_ids={"ONLINE": 6000, "CASH_ON_DELIVERY": 1, "WIRE_TRANSFER": 5001},
    default_payment_method_id=6000,
    default_shipping_profile_id=1,
)
SETTINGS = ImportSettings()

app = Celery("allegro_tasks", broker=BROKER_URL, backend=os.environ.get("RESULT_BACKEND"))
app.conf.update(
    task_acks_late=True,  # a worker that dies mid-task leaves it to another: safe, see above
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_serializer="json",
    result_serializer="json",
    beat_schedule={
        "allegro-fan-out": {"task": "allegro_tasks.fan_out", "schedule": FAN_OUT_EVERY},
    },
)


# --- what every worker process shares: opened on first use in that process ------------------
# (The ledger, token store and gate open their pools lazily, and again in a forked child.)


@functools.cache
def ledger() -> PostgresLedger:
    return PostgresLedger(DSN, schema=SCHEMA)


@functools.cache
def tokens() -> PostgresTokenStore:
    return PostgresTokenStore(DSN, table=f"{SCHEMA}.tokens")


@functools.cache
def rate_gate() -> PostgresRateGate:
    return PostgresRateGate(DSN, app=os.environ["ALLEGRO_CLIENT_ID"], table=f"{SCHEMA}.rate_gate")


def allegro_client(account: str) -> AllegroClient:
    app_ = AllegroApp(os.environ["ALLEGRO_CLIENT_ID"], os.environ["ALLEGRO_CLIENT_SECRET"])
    return AllegroClient(
        app=app_, account=account, token_store=tokens(), base_url=ALLEGRO_BASE_URL,
        rate_gate=rate_gate(),
    )  # fmt: skip


def plenty_client() -> PlentyClient:
    return PlentyClient(
        os.environ["PLENTY_URL"], username=os.environ["PLENTY_USER"],
        password=os.environ["PLENTY_PASSWORD"], token_store=tokens(),
    )  # fmt: skip


# --- the tasks -------------------------------------------------------------------------------


@app.task
def fan_out() -> list[str]:
    """(Beat, every ``FAN_OUT_EVERY`` s.) One import and one procedure task per account."""
    sent = []
    for account in ACCOUNTS:
        sent.append(import_orders.delay(account).id)
        sent.append(run_procedures.delay(account).id)
    return sent


@app.task
def import_orders(account: str) -> dict[str, Any]:
    """Import one account's new and changed orders; returns the run's figures."""
    with allegro_client(account) as allegro, plenty_client() as plenty:
        importer = OrderImporter(
            plenty=plenty, ledger=ledger(), settings=SETTINGS,
            accounts=[(AllegroAccount(key=account, mapping=MAPPING), allegro)],
        )  # fmt: skip
        result = importer.run()
    report(account, result)
    created = [e.plenty_order_id for e in result.of(EntryKind.CREATED) if e.plenty_order_id]
    for key in ON_IMPORT:
        for order_id in created:
            dispatch.delay(account, key, order_id)
    return {"counts": result.counts, "claims_lost": result.claims_lost, "created": created}


@app.task
def run_procedures(account: str) -> dict[str, int]:
    """Run again every procedure execution of the account that is due (failed earlier,
    waiting on Allegro, or left by a worker that died)."""
    with allegro_client(account) as allegro, plenty_client() as plenty:
        runner = ProcedureRunner(plenty=plenty, ledger=ledger(), accounts=[(account, allegro)])
        done = runner.retry_due(account=account)
    for _, failed in done.failed:
        log.error("procedure failed", extra={"account": account, "reason": failed.reason})
    return {"done": len(done.done), "skipped": len(done.skipped), "failed": len(done.failed)}


@app.task
def dispatch(account: str, key: str, plenty_order_id: int) -> list[str]:
    """Run one procedure on one order (from your own trigger, or after an import)."""
    with allegro_client(account) as allegro, plenty_client() as plenty:
        runner = ProcedureRunner(plenty=plenty, ledger=ledger(), accounts=[(account, allegro)])
        outcome = runner.dispatch(key, plenty_order_id)
    return [result.status.value for result in outcome.results]


def report(account: str, result: ImportResult) -> None:
    """Metrics and alerts from an import run: send them where your monitoring looks."""
    # (Nested: "created" is a field of every log record and cannot be an extra of its own.)
    figures = {"counts": result.counts, "claims_lost": result.claims_lost}
    log.info("allegro import of %s: %s", account, figures, extra={"account": account, **figures})
    for stop in result.stops:  # an account (or the run) stopped: a person must act
        log.error("allegro import stopped: %s", stop.message, extra={"account": account})
    for entry in result.of(EntryKind.QUARANTINED):  # waits for a person
        log.error("order quarantined: %s", entry.reason, extra={"account": account})
    for warning in result.warnings:
        log.warning("allegro import: %s", warning.message, extra={"account": account})


def migrate() -> None:
    """Create or upgrade the tables (idempotent; run once per release)."""
    with psycopg_connection() as con:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    ledger().migrate()
    tokens().create_table()
    rate_gate().create_table()


def psycopg_connection() -> Any:
    import psycopg

    return psycopg.connect(DSN, autocommit=True)


if __name__ == "__main__" and sys.argv[1:] == ["migrate"]:
    migrate()
