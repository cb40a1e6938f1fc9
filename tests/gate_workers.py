"""Workers of one Allegro application in processes of their own, for the shared rate gate.

One worker's call is answered 429 by the fake Allegro (served on loopback from its own
process); the moment it read that answer is told to the others, who then call at once.
Every worker notes, on the machine's monotonic clock (one clock for all processes),
when each of its requests left. Two workers' wall clocks are skewed by five minutes.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import attrs
import httpx

from allegro_plenty import AllegroClient, AsyncAllegroClient
from allegro_plenty.allegro import ALLEGRO_RETRY, AllegroRateGate, MemoryRateGate
from allegro_plenty.allegro.rate_gate_postgres import PostgresRateGate
from allegro_plenty.errors import RateLimitError
from allegro_plenty.testing import Fault, checkout_form

from .loopback_workers import FORK, Reach, ServedFakes, exit_after, fakes_at, loopback_transport

APP = "gate-test-app"
BACKOFF = 3.0
"""The block after the 429 (the retry policy's rate-limit delay, no jitter)."""
RETRY = attrs.evolve(ALLEGRO_RETRY, max_retries=0, rate_limit_delay=BACKOFF)
FORM_ROUTE = "GET /order/checkout-forms/{id}"
OTHERS = (("sync", 0.0), ("async", 0.0), ("sync", 300.0), ("async", -300.0))
"""The workers that did not get the 429: their client kind and wall-clock skew (s)."""


@attrs.frozen
class GateTrial:
    dsn: str
    table: str
    shared: bool
    """``True``: every worker uses one :class:`PostgresRateGate`; ``False`` (the negative
    control): each process its own :class:`MemoryRateGate`."""


class Noted(httpx.BaseTransport):
    """Notes when each request leaves and when its answer was read (monotonic)."""

    def __init__(self, notes: list[dict[str, Any]]) -> None:
        self.inner, self.notes = loopback_transport(), notes

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        sent = time.monotonic()
        response = self.inner.handle_request(request)
        response.read()
        self.notes.append({"sent": sent, "read": time.monotonic(), "status": response.status_code})
        return response

    def close(self) -> None:
        self.inner.close()


class AsyncNoted(httpx.AsyncBaseTransport):
    """:class:`Noted` for the async client."""

    def __init__(self, notes: list[dict[str, Any]]) -> None:
        self.inner, self.notes = httpx.AsyncHTTPTransport(verify=False), notes

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        sent = time.monotonic()
        response = await self.inner.handle_async_request(request)
        await response.aread()
        self.notes.append({"sent": sent, "read": time.monotonic(), "status": response.status_code})
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def gate_of(trial: GateTrial) -> AllegroRateGate:
    if trial.shared:
        return PostgresRateGate(trial.dsn, app=APP, table=trial.table)
    return MemoryRateGate()


def throttled_worker(trial: GateTrial, reach: Reach, form_id: str, told: Any, folder: Path) -> None:
    """Gets the 429 (no retry), then tells the others."""

    def work() -> None:
        notes: list[dict[str, Any]] = []
        with AllegroClient(
            access_token=reach.token, base_url=reach.allegro_url, transport=Noted(notes),
            retry=RETRY, rate_gate=gate_of(trial),
        ) as client:  # fmt: skip
            try:
                client.get_checkout_form(form_id)
            except RateLimitError:
                told.set()
        (folder / "throttled.json").write_text(json.dumps(notes))

    exit_after(work, folder / "throttled.error")


def other_worker(
    trial: GateTrial, reach: Reach, kind: str, skew: float, told: Any, index: int, folder: Path
) -> None:
    """Calls ``GET /me`` as soon as it is told of the 429, its wall clock ``skew`` off."""

    def work() -> None:
        real = time.time
        time.time = lambda: real() + skew  # type: ignore[assignment]
        notes: list[dict[str, Any]] = []
        common: dict[str, Any] = {
            "access_token": reach.token, "base_url": reach.allegro_url, "retry": RETRY,
            "rate_gate": gate_of(trial),
        }  # fmt: skip
        assert told.wait(30)
        told_at = time.monotonic()
        if kind == "sync":
            with AllegroClient(transport=Noted(notes), **common) as client:
                me = client.get_me()
        else:

            async def call() -> Any:
                async with AsyncAllegroClient(transport=AsyncNoted(notes), **common) as client:
                    return await client.get_me()

            me = asyncio.run(call())
        result = {"notes": notes, "told_at": told_at, "me": me.id, "kind": kind, "skew": skew}
        (folder / f"other-{index}.json").write_text(json.dumps(result))

    exit_after(work, folder / f"other-{index}.error")


def run_gate_trial(trial: GateTrial, root: str) -> dict[str, Any]:
    """(In the spawned host.) One 429 and four other workers; every worker's notes."""
    folder = Path(root)
    if trial.shared:
        with PostgresRateGate(trial.dsn, app=APP, table=trial.table) as gate:
            gate.create_table()
    allegro, plenty = fakes_at(datetime.now(timezone.utc).replace(microsecond=0))
    form_id = allegro.add_checkout_form(checkout_form(seed=5))
    allegro.faults.inject(Fault.rate_limited(), route=FORM_ROUTE, times=1)
    told = FORK.Event()
    with ServedFakes(allegro, plenty) as served:
        workers = [
            FORK.Process(
                target=other_worker, args=(trial, served.reach, kind, skew, told, i, folder)
            )
            for i, (kind, skew) in enumerate(OTHERS)
        ]
        workers.append(
            FORK.Process(target=throttled_worker, args=(trial, served.reach, form_id, told, folder))
        )
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(60)
            if worker.exitcode is None:
                worker.kill()
                worker.join()
    errors = [p.read_text() for p in sorted(folder.glob("*.error"))]
    others = [json.loads(p.read_text()) for p in sorted(folder.glob("other-*.json"))]
    throttled = json.loads((folder / "throttled.json").read_text()) if not errors else []
    return {"errors": errors, "throttled": throttled, "others": others}
