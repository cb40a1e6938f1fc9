"""Fault injection: the plan itself, and every fault kind through both real clients."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest

from allegro_plenty.allegro.models import NewRefund, RefundLineItem, RefundReason, RefundReference
from allegro_plenty.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    InternalServerError,
    RateLimitError,
)
from allegro_plenty.plenty.models import NewOrder, NewOrderItem, OrderItemAmount, OrderProperty
from allegro_plenty.testing import (
    FakeAllegro,
    FakeClock,
    FakePlenty,
    Fault,
    FaultKind,
    Faults,
    checkout_form,
)

from .fakes_support import MODES, Checked, allegro_client, plenty_client, reach
from .specs import PLENTY_HOST

FAULTS: dict[str, Fault] = {
    "server_error": Fault.server_error(503),
    "timeout": Fault.timeout(),
    "reset": Fault.reset(),
    "rate_limited": Fault.rate_limited(retry_after=7),
    "lost_via_reset": Fault.response_lost("reset"),
    "lost_via_timeout": Fault.response_lost("timeout"),
    "lost_via_5xx": Fault.response_lost("server_error"),
}
SHORT = httpx.Timeout(0.25)
"""Over loopback a timeout fault is real silence; the client gives up after this."""


# --- the plan ------------------------------------------------------------------------------------


def test_rules_fire_by_route_count_and_order() -> None:
    faults = Faults()
    once = faults.inject(Fault.reset(), route="POST /rest/orders")
    later = faults.inject(Fault.timeout(), route="GET /order/*", after=2, times=2)
    assert faults.pick("GET /rest/orders") is None
    assert faults.pick("POST /rest/orders") == Fault.reset()
    assert faults.pick("POST /rest/orders") is None
    picked = [faults.pick("GET /order/events") for _ in range(5)]
    assert picked == [None, None, Fault.timeout(), Fault.timeout(), None]
    assert (once.fired, later.fired) == (1, 2)
    assert [f.route for f in faults.injected] == [
        "POST /rest/orders",
        "GET /order/events",
        "GET /order/events",
    ]
    faults.inject(Fault.server_error(), route="*", times=None)
    assert faults.pick("anything") == Fault.server_error()
    faults.clear()
    assert faults.pick("anything") is None


def test_probabilistic_rules_are_deterministic_with_a_seed() -> None:
    def run(seed: int) -> list[bool]:
        faults = Faults(seed)
        faults.inject(Fault.server_error(), probability=0.3, times=None)
        return [faults.pick("GET /x") is not None for _ in range(200)]

    first, again, other = run(7), run(7), run(8)
    assert first == again
    assert first != other
    assert 30 < sum(first) < 90


def test_fault_validation() -> None:
    with pytest.raises(ValueError, match="5xx"):
        Fault.server_error(404)
    with pytest.raises(ValueError, match="lost via"):
        Fault.response_lost("rate_limited")
    with pytest.raises(ValueError, match="probability"):
        Faults().inject(Fault.reset(), probability=1.5)
    assert Fault.response_lost("timeout").commits
    assert Fault.response_lost("timeout").outcome is FaultKind.TIMEOUT
    assert not Fault.timeout().commits


# --- raw behaviour on the wire -------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_drops_become_network_errors_and_only_lost_responses_commit(
    checked: Checked, fake_clock: FakeClock, mode: str
) -> None:
    plenty: FakePlenty = checked(FakePlenty(clock=fake_clock))
    route = "POST /rest/login"
    with reach(plenty, mode) as via:
        base = via.get("base_url", PLENTY_HOST)
        with httpx.Client(transport=via.get("transport"), base_url=base, timeout=SHORT) as http:

            def login() -> int:
                body = {"username": plenty.username, "password": plenty.password}
                return http.post("/rest/login", json=body).status_code

            plenty.faults.inject(Fault.reset(), route=route)
            with pytest.raises(httpx.TransportError):
                login()
            plenty.faults.inject(Fault.timeout(), route=route)
            with pytest.raises(httpx.ReadTimeout):
                login()
            assert plenty.active_sessions() == 0
            plenty.faults.inject(Fault.response_lost("reset"), route=route)
            with pytest.raises(httpx.TransportError):
                login()
            assert plenty.active_sessions() == 1  # committed, answer lost
            plenty.faults.inject(Fault.server_error(502), route=route)
            assert login() == 502
            assert login() == 200
    calls = plenty.calls(route)
    assert [c.committed for c in calls] == [False, False, True, False, True]
    assert [c.status for c in calls] == [None, None, None, 502, 200]


# --- every kind through the real clients ---------------------------------------------------------


def _plenty_order(plenty: FakePlenty, external_id: str) -> NewOrder:
    vat = plenty.vat_configuration_id("PL")
    return NewOrder(
        type_id=1,
        plenty_id=plenty.plenty_id,
        status_id=Decimal(3),
        referrer_id=Decimal(1),
        order_items=(
            NewOrderItem(
                type_id=9,
                quantity=Decimal(1),
                order_item_name="Unassigned Allegro offer",
                amounts=(OrderItemAmount("PLN", Decimal("19.90")),),
                country_vat_id=vat,
                vat_field=0,
            ),
        ),
        properties=(OrderProperty(7, external_id),),
    )


def _create_once(client: Any, order: NewOrder, external_id: str) -> int:
    """What an importer must do: never re-post blindly, look the order up first."""
    try:
        return int(client.create_order(order).id)
    except (APIConnectionError, APIStatusError):
        found = client.find_orders_by_external_id(external_id)
        return int(found[0].id) if found else int(client.create_order(order).id)


def _create_naively(client: Any, order: NewOrder, external_id: str) -> int:
    """The broken variant: re-post after any failure."""
    try:
        return int(client.create_order(order).id)
    except (APIConnectionError, APIStatusError):
        return int(client.create_order(order).id)


EXPECTED_ERROR: dict[str, type[Exception]] = {
    "server_error": InternalServerError,
    "timeout": APITimeoutError,
    "reset": APIConnectionError,
    "rate_limited": RateLimitError,
    "lost_via_reset": APIConnectionError,
    "lost_via_timeout": APITimeoutError,
    "lost_via_5xx": InternalServerError,
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", list(FAULTS))
def test_plenty_order_create_under_every_fault_never_duplicates(
    checked: Checked, fake_clock: FakeClock, mode: str, kind: str
) -> None:
    fault = FAULTS[kind]
    external_id = f"form-{kind}"
    plenty: FakePlenty = checked(FakePlenty(clock=fake_clock))
    with (
        reach(plenty, mode) as via,
        plenty_client(plenty, fake_clock, via, timeout=SHORT) as client,
    ):
        client.countries()  # log in before the fault
        plenty.faults.inject(fault, route="POST /rest/orders")
        with pytest.raises(EXPECTED_ERROR[kind]):
            client.create_order(_plenty_order(plenty, external_id))  # never retried by the client
    assert len(plenty.orders_with_external_id(external_id)) == (1 if fault.commits else 0)
    assert len(plenty.calls("POST /rest/orders")) == 1

    results: dict[str, int] = {}
    for name, create in (("careful", _create_once), ("naive", _create_naively)):
        plenty = checked(FakePlenty(clock=fake_clock))
        with (
            reach(plenty, mode) as via,
            plenty_client(plenty, fake_clock, via, timeout=SHORT) as client,
        ):
            client.countries()
            plenty.faults.inject(fault, route="POST /rest/orders")
            create(client, _plenty_order(plenty, external_id), external_id)
        results[name] = len(plenty.orders_with_external_id(external_id))
    assert results["careful"] == 1
    # Negative control: blind re-posting duplicates exactly when the write was committed.
    assert results["naive"] == (2 if fault.commits else 1)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", ["server_error", "timeout", "reset", "rate_limited"])
def test_reads_are_retried_through_every_uncommitted_fault(
    checked: Checked, fake_clock: FakeClock, mode: str, kind: str
) -> None:
    allegro: FakeAllegro = checked(FakeAllegro(clock=fake_clock))
    plenty: FakePlenty = checked(FakePlenty(clock=fake_clock))
    form_id = allegro.add_checkout_form(checkout_form(seed=3))
    with reach(allegro, mode) as a_via, reach(plenty, mode) as p_via:
        with allegro_client(allegro, fake_clock, a_via, timeout=SHORT) as a_client:
            allegro.faults.inject(FAULTS[kind], route="GET /order/checkout-forms/{id}")
            before = fake_clock.monotonic()
            assert a_client.get_checkout_form(form_id).id == form_id
            waited = fake_clock.monotonic() - before
        with plenty_client(plenty, fake_clock, p_via, timeout=SHORT) as p_client:
            plenty.faults.inject(
                FAULTS[kind], route="GET /rest/orders/currencies/{currencyIso}/exchangeRate"
            )
            assert p_client.exchange_rate("EUR") == Decimal("0.2326")
    a_calls = allegro.calls("GET /order/checkout-forms/{id}")
    assert [c.fault is not None for c in a_calls] == [True, False]
    p_calls = plenty.calls("GET /rest/orders/currencies/{currencyIso}/exchangeRate")
    assert [c.fault is not None for c in p_calls] == [True, False]
    if kind == "rate_limited":
        # Allegro sends no Retry-After and calling during a block lengthens it: a minute.
        assert waited >= 45
        assert p_calls[0].response is not None
        assert p_calls[0].response.header("Retry-After") == "7"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", ["lost_via_reset", "lost_via_timeout", "lost_via_5xx"])
def test_allegro_writes_whose_answer_is_lost(
    checked: Checked, fake_clock: FakeClock, mode: str, kind: str
) -> None:
    allegro: FakeAllegro = checked(FakeAllegro(clock=fake_clock))
    form_id = allegro.add_checkout_form(checkout_form(seed=4))
    form = allegro.checkout_form(form_id)
    command = str(uuid.uuid4())
    refund = NewRefund(
        payment=RefundReference(form["payment"]["id"]),
        order=RefundReference(form_id),
        reason=RefundReason.REFUND,
        command_id=command,
        line_items=(RefundLineItem.units(form["lineItems"][0]["id"], 1),),
    )
    with (
        reach(allegro, mode) as via,
        allegro_client(allegro, fake_clock, via, timeout=SHORT) as client,
    ):
        allegro.faults.inject(FAULTS[kind], route="PUT /order/checkout-forms/{id}/fulfillment")
        with pytest.raises(EXPECTED_ERROR[kind]):
            client.set_fulfillment_status(form_id, "PROCESSING")
        # Never re-sent (each PUT counts against 100), but it did happen: re-read.
        assert client.get_checkout_form(form_id).fulfillment.status == "PROCESSING"  # type: ignore[union-attr]
        allegro.faults.inject(FAULTS[kind], route="POST /payments/refunds")
        made = client.create_refund(refund)  # retried with the same commandId
    assert allegro.fulfillment_changes(form_id) == 1
    assert [r["id"] for r in allegro.refunds(form_id)] == [made.id]
    assert len(allegro.calls("POST /payments/refunds")) == 2


def test_injected_answers_are_in_each_services_format(
    checked: Checked, fake_clock: FakeClock
) -> None:
    allegro: FakeAllegro = checked(FakeAllegro(clock=fake_clock))
    plenty: FakePlenty = checked(FakePlenty(clock=fake_clock))
    token = allegro.issue_token().access_token
    allegro.faults.inject(Fault.rate_limited(), route="GET /me")
    allegro.faults.inject(Fault.server_error(500), route="GET /me")
    plenty.faults.inject(Fault.rate_limited(retry_after=30), route="POST /rest/login")
    headers = {
        "Accept": "application/vnd.allegro.public.v1+json",
        "Authorization": f"Bearer {token}",
    }
    with httpx.Client(transport=allegro.transport(), base_url="https://api.allegro.pl") as http:
        limited, broken = http.get("/me", headers=headers), http.get("/me", headers=headers)
    with httpx.Client(transport=plenty.transport(), base_url=PLENTY_HOST) as http:
        refused = http.post("/rest/login", json={"username": "x", "password": "y"})
    assert limited.status_code == 429
    assert "retry-after" not in limited.headers  # Allegro sends none
    assert limited.headers["trace-id"]
    assert broken.json()["errors"][0]["code"] == "INTERNAL_SERVER_ERROR"
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "30"


Factory = Callable[[], Any]
