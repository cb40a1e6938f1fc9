"""Requests Allegro would refuse are refused while they are built; the rest go out exactly.

Every test drives the public clients, sync and async, over a transport that
validates each request against the official spec and records it. A refused
request must leave that record empty: nothing reached the wire. Wire bodies
are compared byte for byte where the notation matters (money).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from allegro_plenty.allegro import endpoints as ep
from allegro_plenty.allegro.models import (
    CheckoutFormFilter,
    CheckoutFormSort,
    CheckoutFormStatus,
    FulfillmentStatus,
    LineItemReference,
    Money,
    NewRefund,
    NewShipment,
    OrderEventType,
    RefundDeposit,
    RefundLineItem,
    RefundLineItemType,
    RefundReason,
    RefundReference,
    RefundStatus,
    RefundSurcharge,
    RefundValue,
    checkout_form_filter,
)
from allegro_plenty.errors import (
    InvalidRequestError,
    RefundNotFoundError,
    ResponseValidationError,
)
from allegro_plenty.plenty import OrderFilter
from allegro_plenty.plenty import models as plenty_models
from allegro_plenty.testing import FakeAllegro, FakeClock, checkout_form

from .fakes_support import MODES as FAKE_MODES
from .fakes_support import Checked, allegro_client, async_allegro_client, reach, reach_async
from .plenty_fakes import FakePlenty, query
from .plenty_fakes import call as plenty_call
from .specs import (
    ALLEGRO_MEDIA_TYPE,
    ALLEGRO_SPEC,
    SpecCheckedTransport,
    request_errors,
    require,
)
from .test_allegro_client import FORM_ID, call, vendor
from .test_allegro_models import example_response
from .test_plenty_client import payment_json

pytestmark = pytest.mark.spec

PAYMENT_ID = "a6bee8b2-8b4e-11e9-8918-07b31163120a"
LINE_A = "09f0b4cc-7880-11e9-8f9e-2a86e4085a59"
LINE_B = "62ae358b-8f65-4fc4-9c77-bedf604a2e2b"
SURCHARGE_ID = "7b6f0e32-8b4e-11e9-8918-07b31163120a"
COMMAND_ID = "14e142cf-e8e0-48cc-bcf6-399b5fd90b32"
REFUND_ID = "09f0b4cc-7880-11e9-8f9e-2a86e4085a59"
"""The id of the refund in the spec's example answers."""
Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def allegro(spec_checked: Callable[..., SpecCheckedTransport]) -> Callable[[Handler], Any]:
    def make(handler: Handler) -> SpecCheckedTransport:
        return spec_checked("allegro", handler, check_responses=True)

    return make


def never_called(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"a refused request was sent: {request.method} {request.url}")


def refused(mode: str, allegro: Any, method: str, *args: Any, **kw: Any) -> InvalidRequestError:
    """Call ``method``; it must raise InvalidRequestError and send nothing."""
    transport = allegro(never_called)
    with pytest.raises(InvalidRequestError) as caught:
        call(mode, transport, method, *args, **kw)
    assert transport.requests == []
    return caught.value


def refund(**changes: Any) -> NewRefund:
    fields: dict[str, Any] = {
        "payment": RefundReference(PAYMENT_ID),
        "order": RefundReference(FORM_ID),
        "reason": RefundReason.REFUND,
        "command_id": COMMAND_ID,
    }
    fields.update(changes)
    return NewRefund(**fields)


def pln(amount: Any) -> Money:
    return Money(amount, "PLN")


def created(allegro: Any) -> SpecCheckedTransport:
    transport: SpecCheckedTransport = allegro(
        lambda r: vendor(200, example_response("/payments/refunds", "post"))
    )
    return transport


# --- 12: money goes out in plain notation with two decimals -------------------------------


def test_money_goes_out_in_plain_notation_with_exactly_two_decimals(
    mode: str, allegro: Any
) -> None:
    transport = created(allegro)
    call(
        mode,
        transport,
        "create_refund",
        refund(
            line_items=(RefundLineItem.amount(LINE_B, pln(Decimal("12.3"))),),
            deposits=(RefundDeposit(LINE_A, pln(Decimal("100").normalize())),),
            delivery=RefundValue(pln(Decimal("7"))),
            overpaid=RefundValue(pln(Decimal("1E-2"))),
            additional_services=RefundValue(pln(Decimal("12.340"))),
            surcharges=(RefundSurcharge(SURCHARGE_ID, pln(Decimal("0.5E1"))),),
        ),
    )
    assert Decimal("100").normalize().as_tuple().exponent == 2  # what used to go out as 1E+2
    assert transport.requests[0].content == (
        b'{"payment":{"id":"a6bee8b2-8b4e-11e9-8918-07b31163120a"},'
        b'"order":{"id":"29738e61-7f6a-11e8-ac45-09db60ede9d6"},'
        b'"reason":"REFUND","commandId":"14e142cf-e8e0-48cc-bcf6-399b5fd90b32",'
        b'"lineItems":[{"id":"62ae358b-8f65-4fc4-9c77-bedf604a2e2b","type":"AMOUNT",'
        b'"value":{"amount":"12.30","currency":"PLN"}}],'
        b'"deposits":[{"lineItemId":"09f0b4cc-7880-11e9-8f9e-2a86e4085a59",'
        b'"totalValue":{"amount":"100.00","currency":"PLN"}}],'
        b'"delivery":{"value":{"amount":"7.00","currency":"PLN"}},'
        b'"overpaid":{"value":{"amount":"0.01","currency":"PLN"}},'
        b'"additionalServices":{"value":{"amount":"12.34","currency":"PLN"}},'
        b'"surcharges":[{"id":"7b6f0e32-8b4e-11e9-8918-07b31163120a",'
        b'"value":{"amount":"5.00","currency":"PLN"}}]}'
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (
            {"line_items": (RefundLineItem.amount(LINE_B, pln(Decimal("12.345"))),)},
            "lineItems[0].value.amount",
        ),
        (
            {
                "line_items": (
                    RefundLineItem.units(LINE_A, 1),
                    RefundLineItem.amount(LINE_B, pln(Decimal("12.345"))),
                )
            },
            "lineItems[1].value.amount",
        ),
        (
            {"deposits": (RefundDeposit(LINE_A, pln(Decimal("12.345"))),)},
            "deposits[0].totalValue.amount",
        ),
        ({"delivery": RefundValue(pln(Decimal("12.345")))}, "delivery.value.amount"),
        ({"overpaid": RefundValue(pln(Decimal("12.345")))}, "overpaid.value.amount"),
        (
            {"additional_services": RefundValue(pln(Decimal("12.345")))},
            "additionalServices.value.amount",
        ),
        (
            {"surcharges": (RefundSurcharge(SURCHARGE_ID, pln(Decimal("12.345"))),)},
            "surcharges[0].value.amount",
        ),
    ],
)
def test_money_with_more_than_two_decimals_is_refused_never_rounded(
    mode: str, allegro: Any, changes: dict[str, Any], field: str
) -> None:
    error = refused(mode, allegro, "create_refund", refund(**changes))
    assert error.field == field
    assert error.value == Decimal("12.345")
    assert field in str(error)
    assert "12.345" in str(error)
    assert isinstance(error, ValueError)


@pytest.mark.parametrize(
    "amount",
    [
        Decimal("0.001"),
        Decimal("1E-3"),
        Decimal("9.999"),
        Decimal("NaN"),
        Decimal("Infinity"),
        Decimal("-Infinity"),
        Decimal("1E+40"),
        Decimal("1E+1000000"),
        Decimal("1E-1000000"),
        12.5,
        "12.50",
        None,
    ],
)
def test_amounts_that_are_not_two_decimal_numbers_are_refused(
    mode: str, allegro: Any, amount: Any
) -> None:
    error = refused(mode, allegro, "create_refund", refund(delivery=RefundValue(pln(amount))))
    assert error.field == "delivery.value.amount"
    assert repr(amount)[:20] in str(error)


def test_every_marketplace_currency_takes_two_decimals(mode: str, allegro: Any) -> None:
    # PLN, CZK, EUR and HUF all have two minor-unit digits (ISO 4217), and
    # Allegro's Price amounts carry at most two decimals (allegro-api #12680).
    for currency in ("PLN", "CZK", "EUR", "HUF"):
        transport = created(allegro)
        call(
            mode,
            transport,
            "create_refund",
            refund(delivery=RefundValue(Money(Decimal("1500.5"), currency))),
        )
        sent = json.loads(transport.requests[0].content)
        assert sent["delivery"] == {"value": {"amount": "1500.50", "currency": currency}}


# --- 12: the plenty client's numbers never go out in exponent notation ----------------------


def _payment(amount: Decimal, exchange_ratio: Decimal = Decimal(1)) -> plenty_models.NewPayment:
    return plenty_models.NewPayment(
        amount=amount, exchange_ratio=exchange_ratio, mop_id=6000, currency="PLN"
    )


@pytest.mark.parametrize("plenty_mode", ["sync", "async"])
def test_plenty_numbers_go_out_in_plain_notation(plenty_mode: str, spec_checked: Any) -> None:
    fake = FakePlenty().on("POST", "/rest/payments", payment_json())
    plenty_call(
        plenty_mode,
        spec_checked("plenty", fake),
        "create_payment",
        _payment(Decimal("100").normalize(), exchange_ratio=Decimal("2.5E-1")),
    )
    sent = fake.only("POST", "/rest/payments").content
    assert b'"amount":100,' in sent
    assert b'"exchangeRatio":0.25,' in sent


@pytest.mark.parametrize("plenty_mode", ["sync", "async"])
def test_plenty_query_decimals_go_out_in_plain_notation(
    plenty_mode: str, spec_checked: Any
) -> None:
    answer = {"page": 1, "totalsCount": 0, "isLastPage": True, "lastPageNumber": 1,
              "firstOnPage": 0, "lastOnPage": 0, "itemsPerPage": 50, "entries": []}  # fmt: skip
    fake = FakePlenty().on("GET", "/rest/orders", answer)
    plenty_call(
        plenty_mode,
        spec_checked("plenty", fake),
        "list_orders",
        OrderFilter(referrer_id=Decimal("1E+2"), status_from=Decimal("5E0")),
    )
    params = query(fake.only("GET", "/rest/orders"))
    assert (params["referrerId"], params["statusFrom"]) == ("100", "5")


@pytest.mark.parametrize("plenty_mode", ["sync", "async"])
@pytest.mark.parametrize(
    "amount",
    [
        Decimal("0.00001"),  # a float would print 1e-05
        Decimal("0.1000000000000000000001"),  # a float would round it
        Decimal("1E+50"),
    ],
)
def test_plenty_numbers_that_a_json_number_cannot_carry_are_refused(
    plenty_mode: str, spec_checked: Any, amount: Decimal
) -> None:
    fake = FakePlenty().on("POST", "/rest/payments", payment_json())
    with pytest.raises(InvalidRequestError) as caught:
        plenty_call(plenty_mode, spec_checked("plenty", fake), "create_payment", _payment(amount))
    assert fake.calls("POST", "/rest/payments") == []
    assert caught.value.value == amount


# --- 13: enum fields take their members or their exact values -------------------------------


def test_enum_fields_take_their_exact_string_values(mode: str, allegro: Any) -> None:
    transport = created(allegro)
    call(
        mode,
        transport,
        "create_refund",
        refund(
            reason="OVERPAID",
            line_items=(
                RefundLineItem(LINE_A, "QUANTITY", quantity=1),
                RefundLineItem(LINE_B, "AMOUNT", value=pln(Decimal("2"))),
            ),
        ),
    )
    sent = json.loads(transport.requests[0].content)
    assert sent["reason"] == "OVERPAID"
    assert sent["lineItems"] == [
        {"id": LINE_A, "type": "QUANTITY", "quantity": 1},
        {"id": LINE_B, "type": "AMOUNT", "value": {"amount": "2.00", "currency": "PLN"}},
    ]


def test_string_values_become_members() -> None:
    assert refund(reason="OVERPAID").reason is RefundReason.OVERPAID
    assert RefundLineItem(LINE_A, "QUANTITY", quantity=1).type is RefundLineItemType.QUANTITY


@pytest.mark.parametrize(
    ("changes", "field", "value"),
    [
        ({"reason": "overpaid"}, "reason", "overpaid"),
        ({"reason": "OVERPAYED"}, "reason", "OVERPAYED"),
        ({"reason": RefundReason("NEW_REASON")}, "reason", "NEW_REASON"),
        ({"reason": CheckoutFormStatus.CANCELLED}, "reason", "CANCELLED"),
        ({"reason": 5}, "reason", 5),
        (
            {"line_items": (RefundLineItem(LINE_A, "QUANTITIES", quantity=1),)},
            "lineItems[0].type",
            "QUANTITIES",
        ),
        (
            {"line_items": (RefundLineItem(LINE_A, RefundLineItemType.QUANTITY),)},
            "lineItems[0].quantity",
            None,
        ),
        (
            {"line_items": (RefundLineItem(LINE_A, RefundLineItemType.QUANTITY, quantity=0),)},
            "lineItems[0].quantity",
            0,
        ),
        (
            {"line_items": (RefundLineItem(LINE_A, RefundLineItemType.AMOUNT),)},
            "lineItems[0].value",
            None,
        ),
        ({"payment": {"id": PAYMENT_ID}}, "payment", {"id": PAYMENT_ID}),
        (
            {"line_items": (RefundLineItem(LINE_A, "QUANTITY", quantity=True),)},
            "lineItems[0].quantity",
            True,
        ),
    ],
)
def test_a_refund_Allegro_would_refuse_is_refused_naming_the_field(
    mode: str, allegro: Any, changes: dict[str, Any], field: str, value: Any
) -> None:
    error = refused(mode, allegro, "create_refund", refund(**changes))
    assert (error.field, error.value) == (field, value)
    assert field in str(error)


SETTABLE = [s for s in FulfillmentStatus if s is not FulfillmentStatus.RETURNED]


@pytest.mark.parametrize("status", [*SETTABLE, *(s.value for s in SETTABLE)])
def test_set_fulfillment_status_sends_every_status_a_seller_may_set(
    mode: str, allegro: Any, status: Any
) -> None:
    transport = allegro(lambda r: vendor(204))
    call(mode, transport, "set_fulfillment_status", FORM_ID, status)
    assert transport.requests[0].content == f'{{"status":"{status}"}}'.encode()


@pytest.mark.parametrize(
    "status",
    [
        "SHIPPED",
        "sent",
        " SENT",
        "RETURNED",
        FulfillmentStatus.RETURNED,
        FulfillmentStatus("SHIPPED"),
        CheckoutFormStatus.CANCELLED,
        None,
    ],
)
def test_set_fulfillment_status_refuses_what_a_seller_cannot_set(
    mode: str, allegro: Any, status: Any
) -> None:
    error = refused(mode, allegro, "set_fulfillment_status", FORM_ID, status)
    assert error.field == "status"
    assert error.value == status


def test_the_checkout_form_filter_takes_exact_string_values(mode: str, allegro: Any) -> None:
    body = {"checkoutForms": [], "count": 0, "totalCount": 0}
    transport = allegro(lambda r: vendor(200, body))
    filters = CheckoutFormFilter(
        status="CANCELLED",
        fulfillment_status="RETURNED",  # a filter may ask for it; only setting it is refused
        fulfillment_provider_id="ALLEGRO",
        line_items_sent="SOME",
        sort="-lineItems.boughtAt",
    )
    call(mode, transport, "list_checkout_forms", filters, limit=10)
    assert list(transport.requests[0].url.params.multi_items()) == [
        ("offset", "0"),
        ("limit", "10"),
        ("status", "CANCELLED"),
        ("fulfillment.status", "RETURNED"),
        ("fulfillment.provider.id", "ALLEGRO"),
        ("fulfillment.shipmentSummary.lineItemsSent", "SOME"),
        ("sort", "-lineItems.boughtAt"),
    ]


FILTER_REFUSALS = [
    ({"sort": "-boughtAt"}, "sort"),
    ({"sort": "updatedat"}, "sort"),
    ({"sort": CheckoutFormSort("boughtAt")}, "sort"),
    ({"status": "PAID"}, "status"),
    ({"status": FulfillmentStatus.CANCELLED}, "status"),
    ({"fulfillment_status": "SHIPPED"}, "fulfillment.status"),
    ({"fulfillment_status": CheckoutFormStatus.CANCELLED}, "fulfillment.status"),
    ({"fulfillment_provider_id": "AMAZON"}, "fulfillment.provider.id"),
    ({"line_items_sent": "MOST"}, "fulfillment.shipmentSummary.lineItemsSent"),
    ({"line_items_sent": 2}, "fulfillment.shipmentSummary.lineItemsSent"),
]


@pytest.mark.parametrize(("changes", "field"), FILTER_REFUSALS)
def test_the_checkout_form_filter_refuses_unknown_values(
    changes: dict[str, Any], field: str
) -> None:
    (value,) = changes.values()
    with pytest.raises(InvalidRequestError) as caught:
        CheckoutFormFilter(**changes)
    assert (caught.value.field, caught.value.value) == (field, value)


def test_a_filter_value_set_later_is_checked_too() -> None:
    # attrs classes are mutable: a value assigned after construction is checked as well.
    filters = CheckoutFormFilter()
    with pytest.raises(InvalidRequestError) as caught:
        filters.sort = "-boughtAt"
    assert caught.value.field == "sort"


@pytest.mark.parametrize("status", ["WAITING", "IN_PROGRESS", "SUCCESS", "CANCELED", "PARTIAL"])
def test_the_refund_list_takes_the_statuses_its_filter_allows(
    mode: str, allegro: Any, status: str
) -> None:
    transport = allegro(lambda r: vendor(200, example_response("/payments/refunds")))
    call(mode, transport, "list_refunds", status=[status, RefundStatus(status)])
    assert transport.requests[0].url.params.get_list("status") == [status, status]


@pytest.mark.parametrize(
    "status",
    [
        RefundStatus.NEW,
        "VALIDATED",
        RefundStatus.VALIDATE_FAILED,
        "success",
        "CANCELLED",
        RefundStatus("REVERSED"),
        RefundReason.REFUND,
    ],
)
def test_the_refund_list_refuses_statuses_its_filter_does_not_allow(
    mode: str, allegro: Any, status: Any
) -> None:
    error = refused(mode, allegro, "list_refunds", status=[RefundStatus.SUCCESS, status])
    assert (error.field, error.value) == ("status", status)


def test_order_event_types_are_checked(mode: str, allegro: Any) -> None:
    transport = allegro(lambda r: vendor(200, {"events": []}))
    call(mode, transport, "list_order_events", types=["BUYER_MODIFIED", OrderEventType.BOUGHT])
    assert transport.requests[0].url.params.get_list("type") == ["BUYER_MODIFIED", "BOUGHT"]
    error = refused(mode, allegro, "list_order_events", types=["PAID"])
    assert (error.field, error.value) == ("type", "PAID")


@pytest.mark.parametrize(
    ("method", "args", "kwargs", "field", "value"),
    [
        ("list_checkout_forms", (), {"limit": 101}, "limit", 101),
        ("list_checkout_forms", (), {"limit": 0}, "limit", 0),
        ("list_checkout_forms", (), {"offset": -1}, "offset", -1),
        ("list_checkout_forms", (), {"offset": 9950, "limit": 100}, "offset", 9950),
        ("get_checkout_form", ("",), {}, "id", ""),
        ("get_checkout_form", ("  ",), {}, "id", "  "),
        ("set_fulfillment_status", ("", "SENT"), {}, "id", ""),
        ("list_shipments", ("",), {}, "id", ""),
        ("list_order_events", (), {"limit": 1001}, "limit", 1001),
        ("list_refunds", (), {"limit": 0}, "limit", 0),
        ("list_refunds", (), {"offset": -1}, "offset", -1),
        ("list_refunds", (), {"order_id": "order-1"}, "order.id", "order-1"),
        ("list_refunds", (), {"payment_id": "p"}, "payment.id", "p"),
        ("list_refunds", (), {"refund_id": "r"}, "id", "r"),
        (
            "list_refunds",
            (),
            {"occurred_at_gte": datetime(2025, 1, 1)},
            "occurredAt.gte",
            datetime(2025, 1, 1),
        ),
        (
            "list_refunds",
            (),
            {"occurred_at_lte": datetime(2025, 1, 1)},
            "occurredAt.lte",
            datetime(2025, 1, 1),
        ),
    ],
)
def test_other_bad_arguments_are_refused_with_the_typed_error(
    mode: str, allegro: Any, method: str, args: Any, kwargs: Any, field: str, value: Any
) -> None:
    error = refused(mode, allegro, method, *args, **kwargs)
    assert (error.field, error.value) == (field, value)


def test_add_shipment_refuses_a_bad_body(mode: str, allegro: Any) -> None:
    shipment = NewShipment(carrier_id="DPD", waybill="W1")
    error = refused(mode, allegro, "add_shipment", "", shipment)
    assert (error.field, error.value) == ("id", "")
    numbered = NewShipment(carrier_id="DPD", waybill="W1", line_items=[LineItemReference(7)])  # type: ignore[arg-type]
    error = refused(mode, allegro, "add_shipment", FORM_ID, numbered)
    assert (error.field, error.value) == ("lineItems[0].id", 7)


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: NewShipment(carrier_id="DPD", waybill="1" * 65), "waybill"),
        (lambda: NewShipment(carrier_id="DPD", waybill=" "), "waybill"),
        (lambda: NewShipment(carrier_id="", waybill="1"), "carrierId"),
        (
            lambda: NewShipment(carrier_id="OTHER", waybill="1", carrier_name="x" * 31),
            "carrierName",
        ),
        (lambda: refund(command_id="refund-1"), "commandId"),
        (lambda: refund(seller_comment="x" * 251), "sellerComment"),
        (lambda: RefundLineItem.units(LINE_A, 0), "quantity"),
        (lambda: CheckoutFormFilter(updated_at_gte=datetime(2024, 1, 1)), "updatedAt.gte"),
    ],
)
def test_request_models_refuse_bad_values_with_the_typed_error(
    build: Callable[[], Any], field: str
) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        build()
    assert caught.value.field == field
    assert len(str(caught.value)) < 400  # a long value is shortened, not copied whole


def test_the_negative_control_the_spec_catches_what_the_checks_refuse(
    monkeypatch: pytest.MonkeyPatch, allegro: Any, mode: str
) -> None:
    """With the checks switched off, the same requests go out and break the spec.

    This proves the refusals above are real: the spec-checked transport would
    notice each of these values if the library let it through.
    """
    require(ALLEGRO_SPEC)

    def anything(cls: Any, value: Any, field: str, allowed: Any = None) -> Any:
        return cls(value)  # what the library did before: any string became a pseudo-member

    monkeypatch.setattr(ep, "known", anything)
    monkeypatch.setattr(checkout_form_filter, "known", anything)
    sent: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        if request.url.path == "/payments/refunds":
            return vendor(200, example_response("/payments/refunds"))
        if request.method == "PUT":
            return vendor(204)
        return vendor(200, {"checkoutForms": [], "count": 0, "totalCount": 0})

    transport = httpx.MockTransport(record)  # not spec-checked: these requests are broken
    call(mode, transport, "set_fulfillment_status", FORM_ID, "SHIPPED")
    call(mode, transport, "list_checkout_forms", CheckoutFormFilter(sort="-boughtAt"))
    call(mode, transport, "list_refunds", status=["NEW"])
    assert len(sent) == 3
    for request in sent:
        assert request_errors("allegro", request), request.url


# --- 14: a refund by id ---------------------------------------------------------------------


def test_list_refunds_filters_by_refund_id(mode: str, allegro: Any) -> None:
    transport = allegro(lambda r: vendor(200, example_response("/payments/refunds")))
    call(mode, transport, "list_refunds", refund_id=REFUND_ID, order_id=FORM_ID)
    assert list(transport.requests[0].url.params.multi_items()) == [
        ("id", REFUND_ID),
        ("order.id", FORM_ID),
        ("offset", "0"),
        ("limit", "100"),
    ]


def test_get_refund_fetches_one_refund_by_id(mode: str, allegro: Any) -> None:
    transport = allegro(lambda r: vendor(200, example_response("/payments/refunds")))
    found = call(mode, transport, "get_refund", REFUND_ID.upper())
    assert found.id == REFUND_ID
    request = transport.requests[0]
    assert (request.method, request.url.path) == ("GET", "/payments/refunds")
    assert list(request.url.params.multi_items()) == [("id", REFUND_ID)]
    assert request.headers["accept"] == ALLEGRO_MEDIA_TYPE


def test_get_refund_of_an_unknown_id_raises_a_clear_error(mode: str, allegro: Any) -> None:
    transport = allegro(lambda r: vendor(200, {"refunds": [], "count": 0, "totalCount": 0}))
    with pytest.raises(RefundNotFoundError) as caught:
        call(mode, transport, "get_refund", REFUND_ID)
    assert caught.value.refund_id == REFUND_ID
    assert REFUND_ID in str(caught.value)


def test_get_refund_never_returns_another_refund(mode: str, allegro: Any) -> None:
    # A server that ignores the id filter answers with other refunds: fail closed.
    other = str(uuid.UUID(int=7))
    transport = allegro(lambda r: vendor(200, example_response("/payments/refunds")))
    with pytest.raises(ResponseValidationError) as caught:
        call(mode, transport, "get_refund", other)
    assert caught.value.field_path == "refunds"
    assert other in str(caught.value)


def test_get_refund_refuses_an_id_that_is_no_uuid(mode: str, allegro: Any) -> None:
    error = refused(mode, allegro, "get_refund", "42")
    assert (error.field, error.value) == ("id", "42")


@pytest.mark.parametrize("via", FAKE_MODES)
def test_get_refund_against_the_fake_polls_a_refund_until_final(
    checked: Checked, fake_clock: FakeClock, via: str
) -> None:
    fake: FakeAllegro = checked(FakeAllegro(clock=fake_clock, refund_status="IN_PROGRESS"))
    form_id = fake.add_checkout_form(checkout_form(seed=41, items=2))
    form = fake.checkout_form(form_id)
    new = NewRefund(
        payment=RefundReference(form["payment"]["id"]),
        order=RefundReference(form_id),
        reason="PRODUCT_NOT_AVAILABLE",
        command_id=str(uuid.uuid4()),
        line_items=(RefundLineItem(form["lineItems"][0]["id"], "QUANTITY", quantity=1),),
    )
    with reach(fake, via) as options, allegro_client(fake, fake_clock, options) as client:
        made = client.create_refund(new)
        polled = client.get_refund(made.id)
        with pytest.raises(RefundNotFoundError):
            client.get_refund(str(uuid.uuid4()))
    assert polled == made
    assert polled.status is RefundStatus.IN_PROGRESS
    assert list(fake.calls("GET /payments/refunds")[0].request.query) == [("id", made.id)]


@pytest.mark.parametrize("via", FAKE_MODES)
def test_get_refund_against_the_fake_async(
    checked: Checked, fake_clock: FakeClock, via: str
) -> None:
    import asyncio

    fake: FakeAllegro = checked(FakeAllegro(clock=fake_clock))
    form_id = fake.add_checkout_form(checkout_form(seed=42))
    form = fake.checkout_form(form_id)
    new = refund(
        payment=RefundReference(form["payment"]["id"]),
        order=RefundReference(form_id),
        command_id=str(uuid.uuid4()),
        line_items=(RefundLineItem.units(form["lineItems"][0]["id"], 1),),
    )

    async def run() -> tuple[Any, Any]:
        with reach_async(fake, via) as options:
            async with async_allegro_client(fake, fake_clock, options) as client:
                made = await client.create_refund(new)
                polled = await client.get_refund(made.id)
                with pytest.raises(RefundNotFoundError):
                    await client.get_refund(str(uuid.uuid4()))
                return made, polled

    made, polled = asyncio.run(run())
    assert polled == made


def test_the_fake_refuses_amounts_with_more_than_two_decimals(
    checked: Checked, fake_clock: FakeClock
) -> None:
    # Allegro answers VALIDATION_ERROR to "amount": 50.410000000000004 (allegro-api #12680);
    # the client never sends such a value, so this reaches the fake with raw HTTP.
    fake: FakeAllegro = checked(FakeAllegro(clock=fake_clock))
    form_id = fake.add_checkout_form(checkout_form(seed=43))
    form = fake.checkout_form(form_id)
    token = fake.issue_token(fake.default_seller.id).access_token
    body = {
        "payment": {"id": form["payment"]["id"]},
        "order": {"id": form_id},
        "reason": "REFUND",
        "commandId": str(uuid.uuid4()),
        "delivery": {"value": {"amount": "0.105", "currency": "PLN"}},
    }
    with httpx.Client(transport=fake.transport(), base_url="https://api.allegro.pl") as raw:
        answer = raw.post(
            "/payments/refunds",
            content=json.dumps(body),
            headers={
                "Accept": ALLEGRO_MEDIA_TYPE,
                "Content-Type": ALLEGRO_MEDIA_TYPE,
                "Authorization": f"Bearer {token}",
            },
        )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["path"] == "delivery.value.amount"
    assert fake.refunds(form_id) == []


def test_an_async_and_a_sync_client_build_the_same_refund(allegro: Any) -> None:
    bodies = []
    for mode in ("sync", "async"):
        transport = created(allegro)
        call(mode, transport, "create_refund", refund(delivery=RefundValue(pln(Decimal("3.1")))))
        bodies.append(transport.requests[0].content)
    assert bodies[0] == bodies[1]
    assert b'"amount":"3.10"' in bodies[0]
