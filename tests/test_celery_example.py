"""The Celery example (``examples/celery``) with a real worker process and a real broker:
``redis-server`` on loopback, ``celery worker`` (prefork, two processes) running the
example's tasks against both fakes served on loopback and one PostgreSQL database.

Two fan-outs sent at once run two imports and two procedure tasks per account side by
side, without any task lock: every form becomes one order and every order gets its
Allegro status written once. (The referrers exist, as after the first import: two
imports racing to create a referrer leave the loser's forms to the next fan-out.)
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, NoReturn

import pytest

from allegro_plenty.testing import (
    FakeAllegro,
    FakePlenty,
    FakeServer,
    checkout_form,
    seed_catalogue,
)
from allegro_plenty.tokens_postgres import PostgresTokenStore

from .redis_server import ThrowawayRedis, start_redis

pytestmark = pytest.mark.slow

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "celery"
SECOND = "77553311"
PUT_ROUTE = "PUT /order/checkout-forms/{id}/fulfillment"


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"CI needs it: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def redis() -> Iterator[ThrowawayRedis]:
    """A throwaway redis-server; skips without one (fails in CI)."""
    started = start_redis()
    if isinstance(started, str):
        _unavailable(started)
    yield started
    started.stop()


@pytest.fixture(scope="module")
def celery_client() -> Any:
    try:
        import celery
        import redis as redis_package  # noqa: F401
    except ImportError as missing:
        _unavailable(f"the Celery example needs the 'celery' extra: {missing}")
    return celery


def test_the_example_imports_and_runs_procedures_exactly_once_on_a_real_worker(
    redis: ThrowawayRedis, celery_client: Any, postgres: Any, pg_schema: str, tmp_path: Path
) -> None:
    allegro, plenty = FakeAllegro(), FakePlenty(plan=None)
    allegro.add_seller(SECOND, "second-shop")
    sellers = [allegro.default_seller.id, SECOND]
    forms = [checkout_form(seed=70 + i) for i in range(6)]
    seed_catalogue(plenty, forms)
    main = plenty.add_referrer("Allegro")  # as after the first import (see the docstring)
    for n, seller in enumerate(sellers, 1):
        plenty.add_referrer(f"Allegro {seller}", referrer_id=main + Decimal(n) / 100)
    form_ids = [
        allegro.add_checkout_form(form, seller_id=sellers[i % 2]) for i, form in enumerate(forms)
    ]
    with FakeServer(allegro) as allegro_server, FakeServer(plenty) as plenty_server:
        env = {
            **os.environ,
            "PYTHONPATH": str(EXAMPLE),
            "ALLEGRO_PLENTY_PG_DSN": postgres.dsn,
            "ALLEGRO_PLENTY_SCHEMA": pg_schema,
            "BROKER_URL": redis.url,
            "RESULT_BACKEND": redis.url,
            "ALLEGRO_CLIENT_ID": allegro.client_id,
            "ALLEGRO_CLIENT_SECRET": allegro.client_secret,
            "ALLEGRO_ACCOUNTS": ",".join(sellers),
            "ALLEGRO_BASE_URL": allegro_server.url,
            "PLENTY_URL": plenty_server.url,
            "PLENTY_USER": plenty.username,
            "PLENTY_PASSWORD": plenty.password,
            "PLENTY_ID": "1000",
        }
        python = [sys.executable, str(EXAMPLE / "allegro_tasks.py")]
        subprocess.run([*python, "migrate"], env=env, check=True, timeout=60)
        store = PostgresTokenStore(postgres.dsn, table=f"{pg_schema}.tokens")
        for seller in sellers:  # the accounts were connected (the OAuth flow) beforehand
            store.save("allegro", seller, allegro.issue_token(seller))
        store.close()
        log = (tmp_path / "worker.log").open("w")
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "allegro_tasks", "worker", "--pool=prefork",
             "--concurrency=2", "--loglevel=INFO", "--without-gossip", "--without-mingle",
             "--without-heartbeat", "--hostname=test@%h"],
            cwd=EXAMPLE, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        client = celery_client.Celery("client", broker=redis.url, backend=redis.url)
        try:
            fan_outs = [client.send_task("allegro_tasks.fan_out") for _ in range(2)]
            sent = [task_id for fan_out in fan_outs for task_id in fan_out.get(timeout=60)]
            results = [client.AsyncResult(task_id).get(timeout=60) for task_id in sent]
            deadline = time.monotonic() + 30  # the dispatches the imports sent
            while time.monotonic() < deadline and any(
                allegro.checkout_form(f)["fulfillment"]["status"] != "PROCESSING" for f in form_ids
            ):
                time.sleep(0.2)
            time.sleep(1)  # a doubled status write would have come by now
        finally:
            worker.terminate()
            worker.wait(30)
            log.close()
            client.close()
        worker_log = (tmp_path / "worker.log").read_text()
        assert len(sent) == 8, worker_log
        imports = [r for r in results if "counts" in r]
        assert len(imports) == 4
        assert sum(r["counts"]["created"] for r in imports) == 6, (results, worker_log)
        assert {f: len(plenty.orders_with_external_id(f)) for f in form_ids} == dict.fromkeys(
            form_ids, 1
        )
        statuses = {f: allegro.checkout_form(f)["fulfillment"]["status"] for f in form_ids}
        assert statuses == dict.fromkeys(form_ids, "PROCESSING"), worker_log
        puts = [c.request.path for c in allegro.calls(PUT_ROUTE)]
        assert {f: sum(f"/{f}/" in p for p in puts) for f in form_ids} == dict.fromkeys(form_ids, 1)
