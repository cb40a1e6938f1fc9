"""Two accounts of one Allegro application, importing interleaved orders: a 429 on one
pauses the other (their clients share the application's rate gate, see docs/clients.md),
driven through the importer on a fake clock that the clients' waits advance."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from allegro_plenty.allegro import ALLEGRO_RETRY, MemoryRateGate
from allegro_plenty.importer import EntryKind, ImportSettings

from . import fakes_support
from .importer_support import MODES, SETTINGS, World

SECOND = "77553311"
THROTTLED = {"errors": [{"code": "TooManyRequestsException", "message": "Too many requests"}]}


class Journal:
    """Every request an account's client sends to Allegro (by the fake's time), and a 429
    for every read of one checkout form."""

    def __init__(self, world: World, throttled_form: str) -> None:
        self.world, self.throttled_form = world, throttled_form
        self.sent: list[tuple[datetime, str, str, int | None]] = []

    def account(self, request: httpx.Request) -> str:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        for seller in (self.world.seller, SECOND):
            stored = self.world.tokens.load("allegro", seller)
            if stored is not None and stored.access_token == token:
                return seller
        return "?"

    def __call__(self, request: httpx.Request) -> httpx.Response | None:
        throttled = request.url.path == f"/order/checkout-forms/{self.throttled_form}"
        status = 429 if throttled else None
        self.sent.append((self.world.clock.now(), self.account(request), request.url.path, status))
        return httpx.Response(429, json=THROTTLED) if throttled else None

    def after_last_429(self) -> tuple[datetime, list[tuple[datetime, str, str, int | None]]]:
        last = max(i for i, sent in enumerate(self.sent) if sent[3] == 429)
        return self.sent[last][0], self.sent[last + 1 :]


def import_interleaved(world: World, mode: str) -> tuple[Journal, list[str], list[str], Any]:
    """Both accounts' journals started; then orders of A and B in turn; A's last one
    answers 429 however often it is read. Returns the journal, A's and B's forms, and
    the run's result."""
    world.tokens.save("allegro", world.seller, world.allegro.issue_token(world.seller))
    world.tokens.save("allegro", SECOND, world.allegro.issue_token(SECOND))
    accounts = [world.account(), world.account(SECOND)]
    # No sweep comes due while A waits out its 429s: A's last read is its last call.
    settings = ImportSettings(backfill=SETTINGS.backfill, sweep_interval=86400)
    with world.importer(mode, accounts=accounts, settings=settings) as importer:
        importer.run()
    mine, theirs = [], []
    for seed in range(60, 66):
        world.clock.advance(1)
        if seed % 2:
            theirs.append(world.add(SECOND, seed=seed))
        else:
            mine.append(world.add(seed=seed))
    journal = Journal(world, mine[-1])
    with world.importer(
        mode, accounts=accounts, settings=settings, allegro_answers=journal
    ) as importer:
        result = importer.run()
    return journal, mine, theirs, result


@pytest.fixture
def world() -> World:
    world = World()
    world.allegro.add_seller(SECOND, "second-shop")
    return world


@pytest.mark.parametrize("mode", MODES)
def test_a_429_on_one_account_pauses_the_other(world: World, mode: str) -> None:
    journal, mine, theirs, result = import_interleaved(world, mode)
    throttled_at, after = journal.after_last_429()
    assert after, "nothing was sent after the 429"
    assert {sent[1] for sent in after} == {SECOND}  # A is done: only B calls
    pause = min(sent[0] for sent in after) - throttled_at
    assert pause.total_seconds() >= ALLEGRO_RETRY.rate_limit_delay
    failed = result.of(EntryKind.FAILED)
    assert [(e.account, e.checkout_form_id) for e in failed] == [(world.seller, mine[-1])]
    assert "RateLimitError" in (failed[0].reason or "")
    referrers = world.referrers()
    for seller, forms in ((world.seller, mine[:-1]), (SECOND, theirs)):
        for form_id in forms:
            (order_id,) = world.orders(form_id)
            referrer = Decimal(str(world.plenty.order(order_id)["referrerId"]))
            assert referrer == referrers[f"Allegro {seller}"]


def test_negative_control_with_a_gate_per_client_the_other_calls_into_the_block(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each client on a gate of its own: B calls at once, while Allegro's block lasts."""
    monkeypatch.setattr(
        fakes_support, "fake_time_gate", lambda fake, clock: MemoryRateGate(clock=clock.monotonic)
    )
    journal, _, _, _ = import_interleaved(world, "sync")
    throttled_at, after = journal.after_last_429()
    assert after
    assert min(sent[0] for sent in after) == throttled_at
