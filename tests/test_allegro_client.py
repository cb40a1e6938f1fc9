"""Every AllegroClient / AsyncAllegroClient method, through the public API.

Each test runs twice, sync and async, against an ``httpx.MockTransport`` that
validates every request (and every response) against the official spec. The
mock answers are built from the spec's own examples, and the clients are
strict, so a model that misses or misnames a field fails here.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest

from allegro_plenty import AllegroClient, AsyncAllegroClient
from allegro_plenty.allegro import MemoryRateGate
from allegro_plenty.allegro.models import (
    CheckoutFormFilter,
    CheckoutFormSort,
    CheckoutFormStatus,
    FulfillmentStatus,
    Money,
    NewRefund,
    NewShipment,
    OrderEventType,
    RefundDeposit,
    RefundLineItem,
    RefundReason,
    RefundReference,
    RefundStatus,
    RefundValue,
)
from allegro_plenty.testing import FakeClock

from .specs import ALLEGRO_MEDIA_TYPE, SpecCheckedTransport
from .test_allegro_models import example_response, spec_example_form

pytestmark = pytest.mark.spec

TOKEN = "access-token-for-tests-0123456789"
FORM_ID = "29738e61-7f6a-11e8-ac45-09db60ede9d6"
Handler = Callable[[httpx.Request], httpx.Response]


def vendor(status: int = 200, body: Any = None, **headers: str) -> httpx.Response:
    """An Allegro-style response: vendor media type and a trace-id."""
    content = b"" if body is None else json.dumps(body).encode()
    return httpx.Response(
        status,
        content=content,
        headers={"content-type": ALLEGRO_MEDIA_TYPE, "trace-id": "trace-1", **headers},
    )


def call(
    mode: str,
    transport: httpx.BaseTransport | httpx.AsyncBaseTransport,
    method: str,
    *args: Any,
    sleeps: list[float] | None = None,
    options: dict[str, Any] | None = None,
    **kw: Any,
) -> Any:
    """Call a client method sync or async; iterators are drained into lists.

    ``sleeps`` collects the backoff waits (nothing really sleeps); ``options``
    are further client constructor arguments.
    """
    waits = [] if sleeps is None else sleeps
    # The rate gate runs on the time the recorded sleeps pass.
    clock = FakeClock()
    settings: dict[str, Any] = {
        "access_token": TOKEN,
        "strict": True,
        "language": "pl-PL",
        "rate_gate": MemoryRateGate(clock=clock.monotonic),
    }
    settings.update(options or {})

    def wait(seconds: float) -> None:
        waits.append(seconds)
        clock.advance(max(seconds, 0.0))

    if mode == "sync":
        with AllegroClient(transport=transport, sleep=wait, **settings) as client:
            result = getattr(client, method)(*args, **kw)
            return list(result) if isinstance(result, Iterator) else result

    async def record(seconds: float) -> None:
        wait(seconds)

    async def run() -> Any:
        async with AsyncAllegroClient(transport=transport, sleep=record, **settings) as client:
            result = getattr(client, method)(*args, **kw)
            if isinstance(result, AsyncIterator):
                return [item async for item in result]
            return await result

    return asyncio.run(run())


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def allegro(spec_checked: Callable[..., SpecCheckedTransport]) -> Callable[[Handler], Any]:
    def make(handler: Handler) -> SpecCheckedTransport:
        return spec_checked("allegro", handler, check_responses=True)

    return make


def params(request: httpx.Request) -> list[tuple[str, str]]:
    return list(request.url.params.multi_items())


# --- checkout forms -------------------------------------------------------------------


def test_list_checkout_forms_sends_every_filter(mode: str, allegro: Any) -> None:
    body = {"checkoutForms": [spec_example_form()], "count": 1, "totalCount": 1}
    transport = allegro(lambda r: vendor(200, body))
    since = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=timezone.utc)
    filters = CheckoutFormFilter(
        status=CheckoutFormStatus.READY_FOR_PROCESSING,
        fulfillment_status=FulfillmentStatus.NEW,
        fulfillment_provider_id="SELLER",
        line_items_sent="NONE",
        bought_at_gte=since,
        bought_at_lte=since,
        updated_at_gte=since,
        updated_at_lte=since,
        payment_id="p-1",
        surcharges_id="s-1",
        delivery_method_id="d-1",
        buyer_login="jan",
        marketplace_id="allegro-pl",
        sort=CheckoutFormSort.UPDATED_AT_DESC,
    )
    page = call(mode, transport, "list_checkout_forms", filters, offset=100, limit=50)
    assert page.count == 1
    assert page.checkout_forms[0].id == FORM_ID
    stamp = "2024-05-01T12:00:00.123Z"
    assert params(transport.requests[0]) == [
        ("offset", "100"),
        ("limit", "50"),
        ("status", "READY_FOR_PROCESSING"),
        ("fulfillment.status", "NEW"),
        ("fulfillment.provider.id", "SELLER"),
        ("fulfillment.shipmentSummary.lineItemsSent", "NONE"),
        ("lineItems.boughtAt.gte", stamp),
        ("lineItems.boughtAt.lte", stamp),
        ("updatedAt.gte", stamp),
        ("updatedAt.lte", stamp),
        ("payment.id", "p-1"),
        ("surcharges.id", "s-1"),
        ("delivery.method.id", "d-1"),
        ("buyer.login", "jan"),
        ("marketplace.id", "allegro-pl"),
        ("sort", "-updatedAt"),
    ]
    request = transport.requests[0]
    assert request.headers["accept"] == ALLEGRO_MEDIA_TYPE
    assert request.headers["accept-language"] == "pl-PL"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["user-agent"].startswith("allegro-plenty/")


def test_empty_checkout_form_page_is_accepted(mode: str, allegro: Any) -> None:
    # The real API answers count 0 although the spec says minimum 1 (a listed deviation).
    transport = allegro(lambda r: vendor(200, {"checkoutForms": [], "count": 0, "totalCount": 0}))
    page = call(mode, transport, "list_checkout_forms")
    assert page.checkout_forms == ()
    assert page.total_count == 0


def test_list_checkout_forms_refuses_offsets_allegro_refuses(mode: str, allegro: Any) -> None:
    transport = allegro(lambda r: vendor(200, {}))
    with pytest.raises(ValueError, match="may not exceed 10000"):
        call(mode, transport, "list_checkout_forms", offset=9950, limit=100)
    with pytest.raises(ValueError, match=r"limit: must be 1\.\.100"):
        call(mode, transport, "list_checkout_forms", limit=101)
    with pytest.raises(ValueError, match="timezone-aware"):
        CheckoutFormFilter(updated_at_gte=datetime(2024, 1, 1))
    assert transport.requests == []


def test_get_checkout_form(mode: str, allegro: Any) -> None:
    transport = allegro(lambda r: vendor(200, spec_example_form()))
    form = call(mode, transport, "get_checkout_form", FORM_ID)
    assert form.id == FORM_ID
    assert form.buyer.login == "User_Login"
    assert transport.requests[0].url.path == f"/order/checkout-forms/{FORM_ID}"


def test_path_parameters_cannot_add_segments(mode: str, allegro: Any) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.raw_path.decode())
        return vendor(404, {"errors": [{"code": "NOT_FOUND", "message": "no"}]})

    from allegro_plenty import NotFoundError

    transport = httpx.MockTransport(handler)  # not spec-checked: the id is deliberately bad
    with pytest.raises(NotFoundError):
        call(mode, transport, "get_checkout_form", "../../me")
    assert seen == ["/order/checkout-forms/..%2F..%2Fme"]


def test_set_fulfillment_status_sends_revision_and_english_only(mode: str, allegro: Any) -> None:
    transport = allegro(lambda r: vendor(204))
    call(
        mode,
        transport,
        "set_fulfillment_status",
        FORM_ID,
        FulfillmentStatus.PROCESSING,
        revision="819b5836",
    )
    request = transport.requests[0]
    assert request.method == "PUT"
    assert request.url.path == f"/order/checkout-forms/{FORM_ID}/fulfillment"
    assert params(request) == [("checkoutForm.revision", "819b5836")]
    assert json.loads(request.content) == {"status": "PROCESSING"}
    assert request.headers["content-type"] == ALLEGRO_MEDIA_TYPE
    # The client prefers pl-PL, but this endpoint accepts only en-US.
    assert request.headers["accept-language"] == "en-US"


def test_set_fulfillment_status_rejects_unknown_status_before_sending(
    mode: str, allegro: Any
) -> None:
    transport = allegro(lambda r: vendor(204))
    call(mode, transport, "set_fulfillment_status", FORM_ID, "SENT")
    assert json.loads(transport.requests[0].content) == {"status": "SENT"}


# --- order events ---------------------------------------------------------------------


def _event(event_id: int) -> dict[str, Any]:
    event = example_response("/order/events")["events"][0]
    event["id"] = str(event_id)
    return event


def test_list_order_events_page(mode: str, allegro: Any) -> None:
    transport = allegro(lambda r: vendor(200, example_response("/order/events")))
    events = call(
        mode,
        transport,
        "list_order_events",
        from_="1532603898317497",
        types=[OrderEventType.READY_FOR_PROCESSING, "BUYER_CANCELLED"],
        limit=1000,
    )
    assert events[0].type is OrderEventType.READY_FOR_PROCESSING
    assert events[0].order.checkout_form is not None
    assert params(transport.requests[0]) == [
        ("from", "1532603898317497"),
        ("type", "READY_FOR_PROCESSING"),
        ("type", "BUYER_CANCELLED"),
        ("limit", "1000"),
    ]


def test_iter_order_events_walks_the_cursor_to_the_end(mode: str, allegro: Any) -> None:
    journal = [_event(i) for i in range(101, 126)]  # 25 events

    def handler(request: httpx.Request) -> httpx.Response:
        start = request.url.params.get("from")
        limit = int(request.url.params["limit"])
        after = [e for e in journal if start is None or int(e["id"]) > int(start)]  # exclusive
        return vendor(200, {"events": after[:limit]})

    transport = allegro(handler)
    events = call(mode, transport, "iter_order_events", "105", page_size=10)
    assert [e.id for e in events] == [str(i) for i in range(106, 126)]
    assert [r.url.params.get("from") for r in transport.requests] == ["105", "115", "125"]


def test_iter_order_events_stops_on_an_empty_journal(mode: str, allegro: Any) -> None:
    transport = allegro(lambda r: vendor(200, {"events": []}))
    assert call(mode, transport, "iter_order_events") == []
    assert len(transport.requests) == 1
    assert "from" not in transport.requests[0].url.params


def test_get_order_event_stats(mode: str, allegro: Any) -> None:
    transport = allegro(lambda r: vendor(200, example_response("/order/event-stats")))
    stats = call(mode, transport, "get_order_event_stats")
    assert stats.latest_event.id == "1532603898317497"
    assert stats.latest_event.occurred_at.utcoffset() is not None


# --- shipments and carriers -----------------------------------------------------------


def test_list_shipments(mode: str, allegro: Any) -> None:
    body = example_response("/order/checkout-forms/{id}/shipments")
    transport = allegro(lambda r: vendor(200, body))
    shipments = call(mode, transport, "list_shipments", FORM_ID)
    assert shipments[0].waybill == "AD-1239134"
    assert shipments[0].carrier_id == "ALLEGRO"


def test_add_shipment_sends_the_spec_body(mode: str, allegro: Any) -> None:
    created = example_response("/order/checkout-forms/{id}/shipments", "post", "201")
    transport = allegro(lambda r: vendor(201, created))
    shipment = call(
        mode,
        transport,
        "add_shipment",
        FORM_ID,
        NewShipment(
            carrier_id="OTHER",
            waybill="AD-1239134",
            carrier_name="Kurier Jan",
            line_items=["62ae358b-8f65-4fc4-9c77-bedf604a2e2b"],
        ),
    )
    assert shipment.id == "REhMOjEyMzQ1Njc4OTEwUEw="
    assert json.loads(transport.requests[0].content) == {
        "carrierId": "OTHER",
        "waybill": "AD-1239134",
        "carrierName": "Kurier Jan",
        "lineItems": [{"id": "62ae358b-8f65-4fc4-9c77-bedf604a2e2b"}],
    }


def test_add_shipment_without_line_items_omits_them(mode: str, allegro: Any) -> None:
    created = example_response("/order/checkout-forms/{id}/shipments", "post", "201")
    transport = allegro(lambda r: vendor(201, created))
    call(mode, transport, "add_shipment", FORM_ID, NewShipment(carrier_id="DPD", waybill="W1"))
    assert json.loads(transport.requests[0].content) == {"carrierId": "DPD", "waybill": "W1"}


def test_carriers_are_fetched_once_per_client(mode: str, allegro: Any) -> None:
    transport = allegro(lambda r: vendor(200, example_response("/order/carriers")))

    if mode == "sync":
        with AllegroClient(access_token=TOKEN, transport=transport, strict=True) as client:
            first = client.list_carriers()
            second = client.list_carriers()
            assert len(transport.requests) == 1
            client.list_carriers(refresh=True)
    else:

        async def run() -> tuple[Any, Any]:
            async with AsyncAllegroClient(
                access_token=TOKEN, transport=transport, strict=True
            ) as client:
                first = await client.list_carriers()
                second = await client.list_carriers()
                assert len(transport.requests) == 1
                await client.list_carriers(refresh=True)
                return first, second

        first, second = asyncio.run(run())
    assert first == second
    assert [c.id for c in first] == ["POCZTA_POLSKA", "DHL", "YUN_EXPRESS", "OTHER"]
    assert len(transport.requests) == 2


# --- refunds --------------------------------------------------------------------------


def _refund() -> NewRefund:
    return NewRefund(
        payment=RefundReference("a6bee8b2-8b4e-11e9-8918-07b31163120a"),
        order=RefundReference(FORM_ID),
        reason=RefundReason.PRODUCT_NOT_AVAILABLE,
        command_id="14e142cf-e8e0-48cc-bcf6-399b5fd90b32",
        line_items=(
            RefundLineItem.units("09f0b4cc-7880-11e9-8f9e-2a86e4085a59", 2),
            RefundLineItem.amount("62ae358b-8f65-4fc4-9c77-bedf604a2e2b", Money(_d("5.5"), "PLN")),
        ),
        deposits=(RefundDeposit("09f0b4cc-7880-11e9-8f9e-2a86e4085a59", Money(_d("1"), "PLN")),),
        delivery=RefundValue(Money(_d("9.99"), "PLN")),
        seller_comment="Out of stock",
    )


def _d(value: str) -> Any:
    from decimal import Decimal

    return Decimal(value)


def test_create_refund_sends_the_spec_body(mode: str, allegro: Any) -> None:
    transport = allegro(lambda r: vendor(200, example_response("/payments/refunds", "post")))
    refund = call(mode, transport, "create_refund", _refund())
    assert refund.id == "09f0b4cc-7880-11e9-8f9e-2a86e4085a59"
    assert refund.status is RefundStatus.SUCCESS
    assert json.loads(transport.requests[0].content) == {
        "payment": {"id": "a6bee8b2-8b4e-11e9-8918-07b31163120a"},
        "order": {"id": FORM_ID},
        "reason": "PRODUCT_NOT_AVAILABLE",
        "commandId": "14e142cf-e8e0-48cc-bcf6-399b5fd90b32",
        "lineItems": [
            {"id": "09f0b4cc-7880-11e9-8f9e-2a86e4085a59", "type": "QUANTITY", "quantity": 2},
            {
                "id": "62ae358b-8f65-4fc4-9c77-bedf604a2e2b",
                "type": "AMOUNT",
                "value": {"amount": "5.50", "currency": "PLN"},
            },
        ],
        "deposits": [
            {
                "lineItemId": "09f0b4cc-7880-11e9-8f9e-2a86e4085a59",
                "totalValue": {"amount": "1.00", "currency": "PLN"},
            }
        ],
        "delivery": {"value": {"amount": "9.99", "currency": "PLN"}},
        "sellerComment": "Out of stock",
    }


def test_list_refunds_of_an_order(mode: str, allegro: Any) -> None:
    transport = allegro(lambda r: vendor(200, example_response("/payments/refunds")))
    refunds = call(
        mode,
        transport,
        "list_refunds",
        order_id=FORM_ID,
        status=[RefundStatus.SUCCESS, "IN_PROGRESS"],
        occurred_at_gte=datetime(2025, 1, 1, tzinfo=timezone.utc),
        limit=20,
    )
    assert refunds.total_count == 123
    assert refunds.refunds[0].order is not None
    assert params(transport.requests[0]) == [
        ("order.id", FORM_ID),
        ("status", "SUCCESS"),
        ("status", "IN_PROGRESS"),
        ("occurredAt.gte", "2025-01-01T00:00:00.000Z"),
        ("offset", "0"),
        ("limit", "20"),
    ]


# --- marketplaces and the account -----------------------------------------------------


def test_list_marketplaces_asks_in_english(mode: str, allegro: Any) -> None:
    transport = allegro(lambda r: vendor(200, example_response("/marketplaces")))
    marketplaces = call(mode, transport, "list_marketplaces")
    assert marketplaces[0].id == "allegro-pl"
    assert marketplaces[0].currencies is not None
    assert marketplaces[0].currencies.base is not None
    assert marketplaces[0].currencies.base.code == "PLN"
    assert transport.requests[0].headers["accept-language"] == "en-US"


def test_get_me(mode: str, allegro: Any) -> None:
    transport = allegro(lambda r: vendor(200, example_response("/me")))
    me = call(mode, transport, "get_me")
    assert me.id == "46968690"
    assert me.base_marketplace is not None
    assert me.base_marketplace.id == "allegro-pl"


def test_language_falls_back_where_the_client_preference_is_unknown(allegro: Any) -> None:
    transport = allegro(lambda r: vendor(200, example_response("/me")))
    with AllegroClient(access_token=TOKEN, transport=transport, language="de-DE") as client:
        client.get_me()
    assert transport.requests[0].headers["accept-language"] == "en-US"


def test_base_url_can_be_overridden(allegro: Any) -> None:
    transport = allegro(lambda r: vendor(200, example_response("/me")))
    with AllegroClient(
        access_token=TOKEN, transport=transport, base_url="https://api.allegro.pl/"
    ) as client:
        client.get_me()
    seen: list[str] = []
    mock = httpx.MockTransport(lambda r: seen.append(str(r.url)) or vendor(200, {"id": "1"}))
    with AllegroClient(
        access_token=TOKEN, transport=mock, base_url="http://proxy.local:8080/allegro"
    ) as client:
        assert client.get_me().id == "1"
    assert seen == ["http://proxy.local:8080/allegro/me"]
