"""Error statuses and bad bodies become typed exceptions carrying what support needs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from allegro_plenty import (
    APIConnectionError,
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    ErrorItem,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseValidationError,
    RetryPolicy,
    StaleRevisionError,
    UnprocessableEntityError,
)
from allegro_plenty.allegro.models import NewShipment

from .specs import SpecCheckedTransport
from .test_allegro_client import FORM_ID, call, vendor
from .test_allegro_models import spec_example_form

pytestmark = pytest.mark.spec

NO_RETRY = {"retry": RetryPolicy(max_retries=0)}
ERROR_BODY = {
    "errors": [
        {
            "code": "VALIDATION_ERROR",
            "message": "Invalid value",
            "details": "limit must be <= 100",
            "path": "limit",
            "userMessage": "Nieprawidłowa wartość",
            "metadata": {"field": "limit"},
        },
        {"code": "OTHER", "message": "second", "details": None, "path": None},
    ]
}


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, UnprocessableEntityError),
        (429, RateLimitError),
        (500, InternalServerError),
        (503, InternalServerError),
        (418, APIStatusError),
    ],
)
def test_each_status_maps_to_its_class(
    mode: str, code: int, cls: type[APIStatusError], spec_checked: Callable[..., Any]
) -> None:
    transport = spec_checked(
        "allegro", lambda r: vendor(code, ERROR_BODY, **{"trace-id": "abc123"})
    )
    with pytest.raises(cls) as caught:
        call(mode, transport, "get_checkout_form", FORM_ID, options=NO_RETRY)
    error = caught.value
    assert type(error) is cls
    assert error.status_code == code
    assert error.request_id == "abc123"
    assert error.method == "GET"
    assert error.url == f"https://api.allegro.pl/order/checkout-forms/{FORM_ID}"
    assert error.operation == "get_checkout_form"
    assert error.service == "allegro"
    assert error.errors == (
        ErrorItem(
            code="VALIDATION_ERROR",
            message="Invalid value",
            user_message="Nieprawidłowa wartość",
            path="limit",
            details="limit must be <= 100",
        ),
        ErrorItem(code="OTHER", message="second"),
    )
    assert error.codes == ("VALIDATION_ERROR", "OTHER")
    assert "VALIDATION_ERROR: Invalid value" in str(error)
    assert "request id abc123" in str(error)


def test_403_names_the_missing_scope(mode: str, spec_checked: Callable[..., Any]) -> None:
    challenge = 'Bearer error="insufficient_scope", scope="allegro:api:profile:read"'
    body = {"errors": [{"code": "ACCESS_DENIED", "message": "Access is denied"}]}
    transport = spec_checked(
        "allegro", lambda r: vendor(403, body, **{"www-authenticate": challenge})
    )
    with pytest.raises(PermissionDeniedError) as caught:
        call(mode, transport, "get_me", options=NO_RETRY)
    assert caught.value.missing_scope == "allegro:api:profile:read"
    assert "needs the OAuth scope allegro:api:profile:read" in str(caught.value)


def test_403_without_a_challenge_still_says_which_scope_the_call_needs(
    mode: str, spec_checked: Callable[..., Any]
) -> None:
    transport = spec_checked("allegro", lambda r: vendor(403, {"errors": []}))
    with pytest.raises(PermissionDeniedError) as caught:
        call(mode, transport, "list_refunds", order_id=FORM_ID, options=NO_RETRY)
    assert caught.value.missing_scope is None
    assert "allegro:api:payments:read" in str(caught.value)


def test_409_on_fulfillment_is_a_stale_revision(
    mode: str, spec_checked: Callable[..., Any]
) -> None:
    body = {"errors": [{"code": "CONFLICT", "message": "Provided revision is outdated."}]}
    transport = spec_checked("allegro", lambda r: vendor(409, body))
    with pytest.raises(StaleRevisionError) as caught:
        call(mode, transport, "set_fulfillment_status", FORM_ID, "SENT", revision="old")
    assert isinstance(caught.value, ConflictError)


def test_409_elsewhere_is_a_plain_conflict(mode: str, spec_checked: Callable[..., Any]) -> None:
    body = {"errors": [{"code": "WAYBILL_USAGE", "message": "Maximum waybill usage exceeded"}]}
    transport = spec_checked("allegro", lambda r: vendor(409, body))
    with pytest.raises(ConflictError) as caught:
        call(mode, transport, "add_shipment", FORM_ID, NewShipment(carrier_id="DPD", waybill="W"))
    assert not isinstance(caught.value, StaleRevisionError)


def test_a_non_json_error_body_is_kept_as_text(mode: str, spec_checked: Callable[..., Any]) -> None:
    # 429s from allegro.pl can be an HTML captcha page.
    html = "<html>" + "captcha " * 200 + "</html>"
    transport = spec_checked(
        "allegro",
        lambda r: httpx.Response(429, text=html, headers={"content-type": "text/html"}),
    )
    with pytest.raises(RateLimitError) as caught:
        call(mode, transport, "get_me", options=NO_RETRY)
    assert caught.value.errors == ()
    assert isinstance(caught.value.body, str)
    assert len(caught.value.body) == 500
    assert caught.value.request_id is None


def test_malformed_json_is_a_response_validation_error(
    mode: str, spec_checked: Callable[..., SpecCheckedTransport]
) -> None:
    transport = spec_checked(
        "allegro",
        lambda r: httpx.Response(
            200,
            content=b'{"id": "1", ',
            headers={"content-type": "application/json", "trace-id": "t9"},
        ),
    )
    with pytest.raises(ResponseValidationError) as caught:
        call(mode, transport, "get_me")
    assert caught.value.request_id == "t9"
    assert caught.value.field_path is None
    assert "not JSON" in str(caught.value)


@pytest.mark.parametrize(
    ("damage", "path"),
    [
        (lambda f: f["lineItems"][0]["price"].update(amount="twelve"), "lineItems[0].price.amount"),
        (lambda f: f["buyer"].pop("login"), "buyer.login"),
        (lambda f: f.update(lineItems={"not": "a list"}), "lineItems"),
        (lambda f: f["lineItems"][0].update(quantity=True), "lineItems[0].quantity"),
        (lambda f: f.update(status="PARTIALLY_REFUNDED"), "status"),  # strict mode only
        (lambda f: f["delivery"].update(smart="yes"), "delivery.smart"),
    ],
)
def test_a_body_of_the_wrong_shape_names_the_field(
    mode: str, damage: Callable[[dict[str, Any]], Any], path: str
) -> None:
    form = spec_example_form()
    damage(form)
    transport = httpx.MockTransport(lambda r: vendor(200, form))  # deliberately off-spec
    with pytest.raises(ResponseValidationError) as caught:
        call(mode, transport, "get_checkout_form", FORM_ID)
    assert caught.value.field_path == path
    assert caught.value.request_id == "trace-1"
    assert caught.value.operation == "get_checkout_form"


def test_a_list_without_its_member_names_it(mode: str) -> None:
    transport = httpx.MockTransport(lambda r: vendor(200, {"count": 0, "totalCount": 0}))
    with pytest.raises(ResponseValidationError) as caught:
        call(mode, transport, "list_checkout_forms")
    assert caught.value.field_path == "checkoutForms"


def test_a_connection_error_keeps_its_cause_but_not_the_request(
    mode: str, spec_checked: Callable[..., Any]
) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(APIConnectionError) as caught:
        call(mode, spec_checked("allegro", refuse), "get_checkout_form", FORM_ID, options=NO_RETRY)
    cause = caught.value.__cause__
    assert isinstance(cause, httpx.ConnectError)
    assert str(cause) == "connection refused"
    # The original httpx error holds the request and so the bearer token in its
    # headers; the cause attached to our error must not.
    with pytest.raises(RuntimeError):
        _ = cause.request
