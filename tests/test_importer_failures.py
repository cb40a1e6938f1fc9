"""When things fail: bad orders quarantined, transient failures retried without holding
anything up, lost answers looked up, lost claims never written through, stale cursors
recovered, and failures that stop an account or the run said so."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import attrs
import httpx
import pytest

from allegro_plenty import ImportResult, ImportSettings, OrderImporter, PlentyBudget
from allegro_plenty.importer import EntryKind
from allegro_plenty.mapping import UnknownVariationPolicy
from allegro_plenty.testing import FakeClock, FakePlenty, Fault, checkout_form

from .fakes_support import allegro_client, plenty_client
from .importer_support import MODES, SETTINGS, World, allegro_404


@pytest.fixture
def world() -> World:
    return World()


def refuse_create_of(form_id: str) -> Callable[[httpx.Request], httpx.Response | None]:
    """plentymarkets failing (500) every create of one form's order, and only that one."""

    def answer(request: httpx.Request) -> httpx.Response | None:
        creates = request.method == "POST" and request.url.path == "/rest/orders"
        if creates and form_id.encode() in request.content:
            return httpx.Response(500, json={"error": {"code": 500, "message": "boom"}})
        return None

    return answer


@pytest.mark.parametrize("mode", MODES)
def test_a_bad_order_is_quarantined_with_its_reason_and_the_run_goes_on(
    world: World, mode: str
) -> None:
    unknown = world.allegro.add_checkout_form(checkout_form(seed=1, external_ids=["NOPE", "NAH"]))
    fine = world.add(seed=2)
    account = world.account(unknown_variation=UnknownVariationPolicy.REFUSE)
    with world.importer(mode, accounts=[account]) as importer:
        result = importer.run()
    kinds = {e.checkout_form_id: e for e in result.entries}
    assert kinds[fine].kind is EntryKind.CREATED
    assert kinds[unknown].kind is EntryKind.QUARANTINED
    assert "no variation for line item" in (kinds[unknown].reason or "")
    (failure,) = world.ledger.failures(quarantined=True)
    assert failure.form_id == unknown
    assert "MappingError" in (failure.quarantine_reason or "")
    assert world.orders(unknown) == []


@pytest.mark.parametrize("mode", MODES)
def test_a_form_whose_create_always_fails_does_not_delay_fifty_later_forms(
    world: World, mode: str
) -> None:
    with world.importer(mode) as importer:
        importer.run()  # the first run starts the journal
    bad = world.add(seed=100)
    later = [world.add(seed=seed) for seed in range(101, 151)]
    with world.importer(mode, plenty_answers=refuse_create_of(bad)) as importer:
        first = importer.run()
        failed_once = world.ledger.failure(world.seller, bad)
        world.clock.advance(2 * SETTINGS.retry_base)
        second = importer.run()
    assert first.counts["created"] == 50
    assert [e.checkout_form_id for e in first.of(EntryKind.FAILED)] == [bad]
    assert all(len(world.orders(form_id)) == 1 for form_id in later)
    assert [(e.kind, e.checkout_form_id) for e in second.entries] == [(EntryKind.FAILED, bad)]
    assert failed_once is not None
    assert failed_once.attempts == 1
    failure = world.ledger.failure(world.seller, bad)
    assert failure is not None
    assert failure.attempts == 2
    assert not failure.quarantined
    assert failure.next_retry_at is not None
    assert failure.next_retry_at - failure.last_failed_at == 2 * SETTINGS.retry_base  # backoff
    cursor = world.ledger.cursor(world.seller, "events")
    assert cursor is not None
    assert isinstance(cursor.value, dict)
    assert cursor.value["last"] == world.allegro.events()[-1]["id"]  # moved past the bad one
    assert world.orders(bad) == []


def test_a_failing_form_is_quarantined_after_max_attempts(world: World) -> None:
    bad = world.add(seed=3)
    settings = attrs.evolve(SETTINGS, max_attempts=3, retry_base=60)
    kinds = []
    with world.importer(settings=settings, plenty_answers=refuse_create_of(bad)) as importer:
        for _ in range(4):
            kinds += [e.kind for e in importer.run().entries]
            world.clock.advance(3600)
    assert kinds == [EntryKind.FAILED, EntryKind.FAILED, EntryKind.QUARANTINED]
    failure = world.ledger.failure(world.seller, bad)
    assert failure is not None
    assert failure.quarantined
    assert (failure.quarantine_reason or "").startswith("gave up after 3 attempts")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("via", ["reset", "timeout", "server_error"])
def test_a_lost_answer_to_the_create_is_looked_up_never_re_posted(
    world: World, mode: str, via: str
) -> None:
    form_id = world.add(seed=4)
    world.plenty.faults.inject(Fault.response_lost(via), route="POST /rest/orders")
    with world.importer(mode) as importer:
        result = importer.run()
    (order_id,) = world.orders(form_id)
    assert [(e.kind, e.plenty_order_id) for e in result.entries] == [(EntryKind.CREATED, order_id)]
    assert world.plenty.call_count("POST /rest/orders") == 1
    binding = world.ledger.binding(world.seller, form_id)
    assert binding is not None
    assert binding.plenty_order_id == order_id


@pytest.mark.parametrize(
    "route", ["POST /rest/payments", "POST /rest/accounts/contacts", "POST /rest/comments"]
)
def test_lost_answers_on_follow_up_writes_are_looked_up(world: World, route: str) -> None:
    form_id = world.add(seed=5)
    world.plenty.faults.inject(Fault.response_lost(), route=route)
    with world.importer() as importer:
        result = importer.run()
    assert result.counts["created"] == 1
    (order_id,) = world.orders(form_id)
    form = world.allegro.checkout_form(form_id)
    assert len(world.plenty.payments_with_transaction_id(form["payment"]["id"])) == 1
    assert len(world.plenty.contacts_with_external_id(form["buyer"]["id"])) == 1
    assert len(world.plenty.comments(order_id)) == 1


def test_a_404_on_a_form_seen_paid_is_a_failure_never_gone(world: World) -> None:
    with world.importer() as importer:
        importer.run()
    form_id = world.add(seed=6)  # its READY_FOR_PROCESSING event is in the journal
    with world.importer(allegro_answers=allegro_404(form_id)) as importer:
        result = importer.run()
    assert [(e.kind, e.request_ids) for e in result.entries] == [(EntryKind.FAILED, ("t-404",))]
    assert world.ledger.decision(world.seller, form_id) is None
    world.clock.advance(SETTINGS.retry_base + 1)
    with world.importer() as importer:  # the right token again: retried and imported
        retried = importer.run()
    assert [e.kind for e in retried.entries] == [EntryKind.CREATED]
    assert len(world.orders(form_id)) == 1


@pytest.mark.parametrize("mode", MODES)
def test_a_cursor_older_than_the_journal_recovers_with_no_lost_order(
    world: World, mode: str
) -> None:
    with world.importer(mode) as importer:
        importer.run()
        first = world.add(seed=7)
        importer.run()
        world.clock.advance(3600)
        missed = [world.add(seed=s) for s in (8, 9)]  # their events expire unread
        world.clock.advance(timedelta(days=61))
        result = importer.run()
        again = importer.run()
    assert len(world.orders(first)) == 1
    assert {e.checkout_form_id for e in result.of(EntryKind.CREATED)} == set(missed)
    assert "cursor_reset" in {w.code for w in result.warnings}
    assert again.entries == []
    assert all(len(world.orders(form_id)) == 1 for form_id in missed)


def rejected_cursor(world: World) -> Callable[[httpx.Request], httpx.Response | None]:
    """Allegro refusing the stored event cursor (422), as for an id it no longer knows."""
    cursor = world.ledger.cursor(world.seller, "events")
    assert cursor is not None
    assert isinstance(cursor.value, dict)
    stale = str(cursor.value["last"])

    def answer(request: httpx.Request) -> httpx.Response | None:
        if request.url.path == "/order/events" and request.url.params.get("from") == stale:
            body = {"errors": [{"code": "VALIDATION_ERROR", "message": "Invalid event id"}]}
            return httpx.Response(422, json=body)
        return None

    return answer


def rejected_cursor_run(world: World) -> tuple[str, Any]:
    world.add(seed=9)  # the journal holds an event: the cursor names it
    with world.importer() as importer:
        importer.run()
    world.clock.advance(10)
    world.add(seed=10, status="FILLED_IN")
    world.allegro.emit_event(world.allegro.checkout_form_ids()[-1], "BUYER_MODIFIED")
    form_id = world.add(seed=11)
    with world.importer(allegro_answers=rejected_cursor(world)) as importer:
        return form_id, importer.run()


def test_a_cursor_allegro_rejects_restarts_and_a_forced_sweep_covers_the_gap(
    world: World,
) -> None:
    form_id, result = rejected_cursor_run(world)
    assert "cursor_reset" in {w.code for w in result.warnings}
    assert [e.checkout_form_id for e in result.of(EntryKind.CREATED)] == [form_id]


def test_without_the_forced_sweep_the_gap_waits(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Negative control: the sweep after a reset is what finds the form at once."""
    from allegro_plenty.importer import sources

    monkeypatch.setattr(sources, "_restart", _restart_without_forcing(sources._restart))
    form_id, result = rejected_cursor_run(world)
    assert result.of(EntryKind.CREATED) == []
    assert world.orders(form_id) == []


def _restart_without_forcing(restart: Any) -> Any:
    def restarted(*args: Any) -> Any:
        yield from restart(*args)
        return False  # broken: no sweep forced

    return restarted


@pytest.mark.parametrize("mode", MODES)
def test_a_revoked_token_stops_its_account_and_the_other_goes_on(world: World, mode: str) -> None:
    other = world.allegro.add_seller("77553311", "second-shop").id
    world.tokens.save("allegro", other, world.allegro.issue_token(other))
    world.tokens.save("allegro", world.seller, world.allegro.issue_token(world.seller))
    revoked = world.add(seed=12)
    fine = world.add(other, seed=13)
    world.allegro.revoke_tokens(world.seller)  # a password change: connect again
    with world.importer(mode, accounts=[world.account(), world.account(other)]) as importer:
        result = importer.run()
    (stop,) = result.stops
    assert stop.account == world.seller
    assert result.exit_code == 3
    assert world.orders(revoked) == []
    assert len(world.orders(fine)) == 1


def test_a_token_of_another_seller_is_a_configuration_error(world: World) -> None:
    world.add(seed=14)
    world.tokens.save("allegro", "99999999", world.allegro.issue_token(world.seller))
    with world.importer(accounts=[world.account("99999999")]) as importer:
        result = importer.run()
    (stop,) = result.stops
    assert (stop.account, stop.error) == ("99999999", "ConfigurationError")
    assert world.seller in stop.message
    assert world.plenty.order_ids() == []


def test_plenty_unreachable_stops_the_run(world: World) -> None:
    world.add(seed=15)
    world.add(seed=16)

    def unreachable(request: httpx.Request) -> httpx.Response | None:
        raise httpx.ConnectError("connection refused", request=request)

    with world.importer(plenty_answers=unreachable) as importer:
        result = importer.run()
    (stop,) = result.stops
    assert stop.account is None
    assert result.exit_code == 4
    assert len(result.of(EntryKind.FAILED)) == 1  # the run stopped at the first form
    json.dumps(result.to_json())


# --- the lease: a worker held in the throttle past its lease ----------------------------------


def lease_race(monkeypatch: pytest.MonkeyPatch | None = None) -> tuple[World, str, ImportResult]:
    """Worker A creates form 1, then waits in plenty's throttle longer than its lease
    before creating form 2; meanwhile worker B takes form 2 over and imports it.

    Returns the world, form 2's id and worker A's result.
    """
    clock = FakeClock()
    # Two order creates per ten minutes: A's second create waits for the window.
    plenty = FakePlenty(clock=clock, route_limits={"POST /rest/orders": (2, 600)})
    world = World(clock=clock, plenty=plenty)
    world.add(seed=20)
    clock.advance(1)
    second = world.add(seed=21)
    settings = ImportSettings(backfill=86400, lease=300)
    patient = PlentyBudget(max_wait=3600)  # waits for the route's window, however long
    if monkeypatch is not None:
        from allegro_plenty.importer import order

        monkeypatch.setattr(order, "bound", _no_ownership_check)
    took_over: list[Any] = []

    with world.importer(owner="worker-b", settings=settings) as worker_b:

        def held(seconds: float) -> None:
            clock.advance(seconds)  # A waits in the throttle ...
            if not took_over:  # ... and its lease runs out: B takes form 2 over
                took_over.append(worker_b.run())

        via = {"transport": plenty.transport()}
        with (
            plenty_client(
                plenty, clock, via, token_store=world.tokens, sleep=held, budget=patient
            ) as a_plenty,
            allegro_client(world.allegro, clock, {"transport": world.allegro.transport()},
                           token_store=world.tokens) as a_allegro,
        ):  # fmt: skip
            worker_a = OrderImporter(
                plenty=a_plenty, ledger=world.ledger, accounts=[(world.account(), a_allegro)],
                settings=settings, owner="worker-a", clock=clock.monotonic,
            )  # fmt: skip
            result = worker_a.run()
    assert took_over, "worker A never waited in the throttle"
    assert [e.kind for e in took_over[0].of(EntryKind.CREATED)] == [EntryKind.CREATED]
    return world, second, result


def _no_ownership_check(*args: Any, **kwargs: Any) -> Any:
    """A broken importer: no renewal of the claim before its writes."""
    return lambda: None
    yield  # pragma: no cover - makes this a plan


def test_a_worker_held_in_the_throttle_past_its_lease_makes_no_second_order() -> None:
    world, form_id, result = lease_race()
    assert len(world.orders(form_id)) == 1
    deferred = result.of(EntryKind.DEFERRED)
    assert [e.checkout_form_id for e in deferred] == [form_id]


def test_without_the_ownership_check_the_held_worker_duplicates(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Negative control: the same race, the pre-write check removed: two orders."""
    world, form_id, _ = lease_race(monkeypatch)
    assert len(world.orders(form_id)) == 2


def test_an_event_of_another_seller_stops_the_account(world: World) -> None:
    with world.importer() as importer:
        importer.run()
    form_id = world.add(seed=17)
    (event,) = [e for e in world.allegro.events(form_id) if e["type"] == "READY_FOR_PROCESSING"]
    event["order"]["seller"]["id"] = "11111111"

    def foreign_journal(request: httpx.Request) -> httpx.Response | None:
        if request.url.path != "/order/events":
            return None
        return httpx.Response(200, json={"events": [event]}, headers={"trace-id": "t-ev"})

    with world.importer(allegro_answers=foreign_journal) as importer:
        result = importer.run()
    (stop,) = result.stops
    assert (stop.account, stop.error) == (world.seller, "ConfigurationError")
    assert "11111111" in stop.message
    assert world.orders(form_id) == []
