"""Look-ups that guard a write fail closed: a 200 without its list is an error, never "none".

Before creating an order, a contact, a payment, a waybill or a refund, the
library (and its users) ask "does it exist already?". If a 200 answer that
lacks its list (``{}``, ``{"message": ...}``, the list under another key, or
the key with a value that is no list) read as "nothing found", the next step
would create a duplicate. Each look-up is driven here through the public
clients, sync and async, with the production (lenient) converter, against
exactly those answers. The negative controls put the old lenient wrappers
back and show the same harness then reads "nothing found".
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Generic, TypeVar

import attrs
import httpx
import pytest

from allegro_plenty import ResponseValidationError
from allegro_plenty.allegro import models as am
from allegro_plenty.plenty import models as pm

from . import plenty_fakes
from . import test_allegro_client as allegro_calls
from .spec_deviations import REQUIRED_BY_US, RequiredByUs
from .specs import allegro_spec_dict, plenty_spec_dict

T = TypeVar("T")
MODES = ("sync", "async")
FORM_ID = "29738e61-7f6a-11e8-ac45-09db60ede9d6"
SINCE = datetime(2025, 3, 1, tzinfo=timezone.utc)


@attrs.frozen
class LookUp:
    """A public client call, the list key its real answer carries, and an entry of it."""

    name: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = attrs.field(factory=dict)
    key: str | None = None
    """The wrapper's list key; ``None`` for a route whose answer is a bare list."""
    entry: Any = attrs.field(factory=lambda: {"id": 1})

    def __str__(self) -> str:
        return self.name + (f"[{self.key}]" if self.key else "")


def wrong_bodies(look_up: LookUp) -> list[Any]:
    """The answers that must not read as "nothing found"."""
    bodies: list[Any] = [{}, {"message": "x"}, {"data": [look_up.entry]}]
    if look_up.key is not None:
        # The key is there, but holds no list.
        bodies += [{look_up.key: None}, {look_up.key: "x"}, {look_up.key: {"0": look_up.entry}}]
    return bodies


def cases(look_ups: list[LookUp]) -> list[Any]:
    return [
        pytest.param(mode, look_up, body, id=f"{mode}-{look_up}-{json.dumps(body)[:30]}")
        for look_up in look_ups
        for body in wrong_bodies(look_up)
        for mode in MODES
    ]


# --- the harness -----------------------------------------------------------------------------


def allegro_outcome(mode: str, look_up: LookUp, body: Any) -> Any:
    """What a production AllegroClient makes of ``body``: what it returned, or its refusal."""
    transport = httpx.MockTransport(lambda request: allegro_calls.vendor(200, body))
    options = {"strict": False}
    try:
        return allegro_calls.call(
            mode, transport, look_up.name, *look_up.args, options=options, **look_up.kwargs
        )
    except ResponseValidationError as error:
        return error


def plenty_outcome(mode: str, look_up: LookUp, body: Any) -> Any:
    """What a production PlentyClient makes of ``body``: what it returned, or its refusal."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/rest/login":
            return httpx.Response(200, json=plenty_fakes.token_body())
        return httpx.Response(200, json=body)

    try:
        return plenty_fakes.call(
            mode,
            httpx.MockTransport(handler),
            look_up.name,
            *look_up.args,
            client_options={"strict": False},
            **look_up.kwargs,
        )
    except ResponseValidationError as error:
        return error


def refused(result: Any) -> bool:
    """Whether the client refused the answer with a typed error naming the call."""
    return isinstance(result, ResponseValidationError) and bool(result.operation)


def found_nothing(result: Any) -> bool:
    """Whether a look-up's result says "none there"."""
    for page_list in ("refunds", "checkout_forms"):
        if hasattr(result, page_list):
            return getattr(result, page_list) == ()
    return isinstance(result, list | tuple) and len(result) == 0


# --- Allegro ------------------------------------------------------------------------------------


SHIPMENT = {"id": "x", "waybill": "W1", "carrierId": "DPD"}
ALLEGRO_LOOK_UPS = [
    LookUp("list_shipments", (FORM_ID,), key="shipments", entry=SHIPMENT),
    LookUp("list_carriers", key="carriers", entry={"id": "DPD", "name": "DPD"}),
    LookUp("list_refunds", kwargs={"order_id": FORM_ID}, key="refunds"),
    LookUp("list_checkout_forms", key="checkoutForms"),
    LookUp("iter_checkout_forms", (SINCE,), key="checkoutForms"),
    LookUp("list_order_events", key="events"),
    LookUp("iter_order_events", key="events"),
    LookUp("list_marketplaces", key="marketplaces", entry={"id": "allegro-pl"}),
]


@pytest.mark.parametrize(("mode", "look_up", "body"), cases(ALLEGRO_LOOK_UPS))
def test_allegro_look_up_refuses_an_answer_without_its_list(
    mode: str, look_up: LookUp, body: Any
) -> None:
    assert refused(allegro_outcome(mode, look_up, body))


def test_allegro_refusal_names_the_missing_list() -> None:
    transport = httpx.MockTransport(lambda request: allegro_calls.vendor(200, {"data": []}))
    with pytest.raises(ResponseValidationError) as caught:
        allegro_calls.call("sync", transport, "list_shipments", FORM_ID, options={"strict": False})
    assert caught.value.field_path == "shipments"
    assert "shipments" in str(caught.value)


@pytest.mark.parametrize("mode", MODES)
def test_allegro_empty_lists_still_mean_none(mode: str) -> None:
    # The fix must not refuse a real "none": the key present with [].
    look_up = LookUp("list_shipments", (FORM_ID,), key="shipments")
    assert allegro_outcome(mode, look_up, {"shipments": []}) == ()
    refunds = allegro_outcome(mode, LookUp("list_refunds"), {"refunds": []})
    assert isinstance(refunds, am.Refunds)
    assert refunds.refunds == ()


@pytest.mark.parametrize("mode", MODES)
def test_negative_control_a_lenient_allegro_wrapper_fails_open(
    mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The harness detects the bug: with the old defaults, ``{}`` reads as "no waybills"."""

    @attrs.define
    class LenientShipments:
        shipments: tuple[am.Shipment, ...] = ()

    @attrs.define
    class LenientRefunds:
        refunds: tuple[am.Refund, ...] = ()
        count: int | None = None
        total_count: int | None = None

    from allegro_plenty.allegro import endpoints

    monkeypatch.setattr(endpoints, "Shipments", LenientShipments)
    monkeypatch.setattr(endpoints, "Refunds", LenientRefunds)
    for look_up in (ALLEGRO_LOOK_UPS[0], ALLEGRO_LOOK_UPS[2]):
        result = allegro_outcome(mode, look_up, {"message": "x"})
        assert not refused(result)
        assert found_nothing(result)


# --- plentymarkets ------------------------------------------------------------------------------


PLENTY_LOOK_UPS = [
    LookUp("find_orders_by_external_id", (FORM_ID,), key="entries"),
    LookUp("find_contacts_by_external_id", ("buyer-1",), key="entries"),
    LookUp("find_payments_by_transaction_id", ("tx-1",)),
    LookUp("find_referrers", ("Allegro",)),
    LookUp("list_referrers"),
    LookUp("find_variations_by_number", ("N-1",), key="entries"),
    LookUp("find_variations_by_barcode", ("5901234123457",), key="entries"),
    LookUp("find_variations_by_sku", ("SKU-1",), {"referrer_id": Decimal("104.01")}, "entries"),
    LookUp("package_numbers", (630,)),
    LookUp("shipping_packages", (630,)),
    LookUp("order_payments", (630,)),
    LookUp("order_comments", (630,)),
    LookUp("iter_changed_orders", (SINCE,), key="entries"),
    LookUp("delivery_orders", (630,), key="entries"),
]


@pytest.mark.parametrize(("mode", "look_up", "body"), cases(PLENTY_LOOK_UPS))
def test_plenty_look_up_refuses_an_answer_without_its_list(
    mode: str, look_up: LookUp, body: Any
) -> None:
    assert refused(plenty_outcome(mode, look_up, body))


@pytest.mark.parametrize("mode", MODES)
def test_plenty_page_without_its_last_page_flag_is_refused(mode: str) -> None:
    # Without isLastPage a walk cannot know it has seen everything; reading the
    # first page as the whole list would miss an order on the second.
    look_up = PLENTY_LOOK_UPS[0]
    assert refused(plenty_outcome(mode, look_up, {"page": 1, "entries": []}))


@pytest.mark.parametrize("mode", MODES)
def test_plenty_empty_pages_still_mean_none(mode: str) -> None:
    body = {"page": 1, "totalsCount": 0, "isLastPage": True, "entries": []}
    assert plenty_outcome(mode, PLENTY_LOOK_UPS[0], body) == []
    assert plenty_outcome(mode, PLENTY_LOOK_UPS[1], body) == []


@pytest.mark.parametrize("mode", MODES)
def test_negative_control_a_lenient_plenty_page_fails_open(
    mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The harness detects the bug: with the old ``Page`` defaults, ``{}`` reads as "no order"."""

    @attrs.define
    class LenientPage(Generic[T]):
        page: int = 1
        totals_count: int = 0
        is_last_page: bool = True
        entries: tuple[T, ...] = ()

    from allegro_plenty.plenty import endpoints

    monkeypatch.setattr(endpoints, "Page", LenientPage)
    for look_up in PLENTY_LOOK_UPS[:2]:
        result = plenty_outcome(mode, look_up, {"data": [look_up.entry]})
        assert not refused(result)
        assert found_nothing(result)


# --- "required by us": each entry is a real deviation from the spec, and the model enforces it ---


def _schema(entry: RequiredByUs, method: str, route: str) -> dict[str, Any]:
    spec = allegro_spec_dict() if entry.service == "allegro" else plenty_spec_dict()
    operation = spec["paths"][route][method.lower()]
    media = next(iter(operation["responses"]["200"]["content"].values()))
    schema: dict[str, Any] = media["schema"]
    while "$ref" in schema:
        node: Any = spec
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


@pytest.mark.spec
@pytest.mark.parametrize("entry", REQUIRED_BY_US, ids=lambda e: e.id)
def test_required_by_us_lists_fields_the_spec_leaves_optional(entry: RequiredByUs) -> None:
    model = entry.model_class()
    for method, route in entry.operations:
        schema = _schema(entry, method, route)
        for field in entry.fields:
            assert field in schema["properties"], (route, field)
            assert field not in schema.get("required", ()), (
                f"the spec requires {field} on {route} now: drop it from REQUIRED_BY_US"
            )
    by_key = {a.metadata.get("key", _camel(a.name)): a for a in attrs.fields(model)}
    for field in entry.fields:
        assert by_key[field].default is attrs.NOTHING, f"{model.__name__}.{field} has a default"
    assert entry.source.strip()
    assert entry.reason.strip()


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


def test_every_wrapper_list_is_required() -> None:
    """No list wrapper of either service defaults its list: a new one must not fail open."""
    wrappers = [am.Shipments, am.Carriers, am.Refunds, am.Marketplaces, am.CheckoutForms]
    wrappers += [am.OrderEvents, pm.Page]
    for wrapper in wrappers:
        # Fields outside ``__init__`` are never read from a body (``unreadable``).
        lists = [a for a in attrs.fields(wrapper) if str(a.type).startswith("tuple[") and a.init]
        assert lists, wrapper
        for attribute in lists:
            assert attribute.default is attrs.NOTHING, f"{wrapper.__name__}.{attribute.name}"
