"""How the fakes are built: routes declared by their resources, settings shared by them."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest

from allegro_plenty.allegro.models import (
    NewRefund,
    RefundLineItem,
    RefundReference,
    RefundStatus,
)
from allegro_plenty.testing import (
    FakeAllegro,
    FakeClock,
    FakePlenty,
    FakeRequest,
    FakeResponse,
    FakeService,
    checkout_form,
)
from allegro_plenty.testing._resources import route
from allegro_plenty.testing._transport import Exchange, Refusal, json_response

from .fakes_support import Checked, allegro_client
from .specs import PLENTY_HOST


@pytest.mark.parametrize("make", [FakeAllegro, FakePlenty])
def test_every_route_answers_its_own_paths(make: type[FakeService]) -> None:
    # Routes come from many resource classes, in no global order: a literal path must
    # still win over a template ("/rest/orders/search" over "/rest/orders/{orderId}"),
    # and no route may catch another's paths.
    fake = make()
    for served in fake.routes:
        fake.handle(FakeRequest(served.method, re.sub(r"\{\w+\}", "x1", served.template)))
    assert [c.route for c in fake.calls()] == [r.name for r in fake.routes]


class _Service(FakeService):
    def render_error(self, refusal: Refusal, exchange: Exchange | None) -> FakeResponse:
        return json_response(refusal.status, {"error": refusal.message})


class _Things:
    @route("GET", "/things/{id}")
    def one(self, exchange: Exchange) -> FakeResponse:
        return json_response(200, {"one": exchange.path_params["id"]})

    @route("GET", "/things/new", query=("name",))
    @route("POST", "/things", body={"name": None})
    def make(self, exchange: Exchange) -> FakeResponse:
        return json_response(201, {"made": exchange.param("name") or exchange.json()["name"]})


class _Renamed(_Things):
    @route("GET", "/items/{id}")
    def one(self, exchange: Exchange) -> FakeResponse:
        return json_response(200, {"item": exchange.path_params["id"]})


class _Unrouted(_Things):
    def make(self, exchange: Exchange) -> FakeResponse:  # no mark: no longer a handler
        raise AssertionError("not a route")


def test_a_resource_declares_its_routes_where_its_handlers_are() -> None:
    fake = _Service()
    fake.add_resource(_Things())
    assert [r.name for r in fake.routes] == ["GET /things/new", "POST /things", "GET /things/{id}"]
    with httpx.Client(transport=fake.transport(), base_url="http://fake") as http:
        assert http.get("/things/new", params={"name": "a"}).json() == {"made": "a"}
        assert http.post("/things", json={"name": "b"}).json() == {"made": "b"}
        assert http.get("/things/7").json() == {"one": "7"}
        assert http.get("/things/7", params={"name": "a"}).status_code == 400  # allow-lists
        assert http.post("/things", json={"nme": "b"}).status_code == 400

    renamed, unrouted = _Service(), _Service()
    renamed.add_resource(_Renamed())
    unrouted.add_resource(_Unrouted())
    assert [r.name for r in renamed.routes] == [
        "GET /things/new",
        "POST /things",
        "GET /items/{id}",
    ]
    assert [r.name for r in unrouted.routes] == ["GET /things/{id}"]


def test_allegro_settings_changed_after_construction_reach_its_resources(
    checked: Checked, fake_clock: FakeClock
) -> None:
    allegro: FakeAllegro = checked(FakeAllegro(clock=fake_clock))
    form_id = allegro.add_checkout_form(checkout_form(seed=5))
    form = allegro.checkout_form(form_id)
    allegro.refund_status = "IN_PROGRESS"
    allegro.carriers = [("ACME", "Acme Parcels")]
    with allegro_client(allegro, fake_clock, {"transport": allegro.transport()}) as client:
        made = client.create_refund(
            NewRefund(
                payment=RefundReference(form["payment"]["id"]),
                order=RefundReference(form_id),
                reason="REFUND",
                command_id=str(uuid.uuid4()),
                line_items=(RefundLineItem.units(form["lineItems"][0]["id"], 1),),
            )
        )
        carriers = client.list_carriers()
    assert made.status is RefundStatus.IN_PROGRESS
    assert [(c.id, c.name) for c in carriers] == [("ACME", "Acme Parcels")]
    assert allegro.refund_status == "IN_PROGRESS"


def test_plenty_settings_changed_after_construction_reach_its_resources(
    checked: Checked, fake_clock: FakeClock
) -> None:
    plenty: FakePlenty = checked(FakePlenty(clock=fake_clock))
    plenty.max_sessions = 1
    plenty.exchange_rates = {**plenty.exchange_rates, "GBP": Decimal("0.19")}
    credentials: dict[str, Any] = {"username": plenty.username, "password": plenty.password}
    with httpx.Client(transport=plenty.transport(), base_url=PLENTY_HOST) as http:
        first = http.post("/rest/login", json=credentials)
        second = http.post("/rest/login", json=credentials)
        token = first.json()["access_token"]
        rate = http.get(
            "/rest/orders/currencies/GBP/exchangeRate",
            headers={"Authorization": f"Bearer {token}"},
        )
    assert (first.status_code, second.status_code) == (200, 429)
    assert rate.json() == {"exchangeRate": 0.19}


def test_the_old_module_paths_still_import() -> None:
    from allegro_plenty.testing import allegro_fake, plenty_fake

    assert allegro_fake.FakeAllegro is FakeAllegro
    assert plenty_fake.FakePlenty is FakePlenty
