"""The spec validator in ``tests/specs.py`` is live: it rejects what the spec forbids.

Without these, every "validated against the spec" claim in the other tests
could be vacuous (openapi-core silently accepts bodies of a media type it has
no deserializer for, and undeclared query parameters).
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from allegro_plenty.allegro import endpoints as ep
from allegro_plenty.allegro.models import NewRefund, RefundReason, RefundReference

from .spec_deviations import DEVIATIONS
from .specs import ALLEGRO_MEDIA_TYPE, request_errors, response_errors, unexcused

pytestmark = pytest.mark.spec

API = "https://api.allegro.pl"
HEADERS = {
    "Accept": ALLEGRO_MEDIA_TYPE,
    "Content-Type": ALLEGRO_MEDIA_TYPE,
    "Authorization": "Bearer token-for-validator-tests",
}
VALID_REFUND: dict[str, Any] = {
    "payment": {"id": "a6bee8b2-8b4e-11e9-8918-07b31163120a"},
    "order": {"id": "29738e61-7f6a-11e8-ac45-09db60ede9d6"},
    "commandId": "14e142cf-e8e0-48cc-bcf6-399b5fd90b32",
    "reason": "REFUND",
    "lineItems": [
        {"id": "09f0b4cc-7880-11e9-8f9e-2a86e4085a59", "type": "QUANTITY", "quantity": 1}
    ],
}


def refund_request(body: dict[str, Any], **headers: str) -> httpx.Request:
    return httpx.Request(
        "POST",
        f"{API}/payments/refunds",
        headers={**HEADERS, **headers},
        content=json.dumps(body).encode(),
    )


def test_a_valid_refund_body_passes() -> None:
    assert request_errors("allegro", refund_request(VALID_REFUND)) == []


def test_a_refund_body_missing_order_is_reported() -> None:
    body = {k: v for k, v in VALID_REFUND.items() if k != "order"}
    errors = request_errors("allegro", refund_request(body))
    assert errors
    assert any("'order' is a required property" in e for e in errors), errors


def test_a_wrongly_typed_body_field_is_reported() -> None:
    errors = request_errors("allegro", refund_request({**VALID_REFUND, "reason": "BECAUSE"}))
    assert any("BECAUSE" in e for e in errors), errors


def test_the_refund_the_library_builds_passes() -> None:
    from allegro_plenty._convert import make_converter

    refund = NewRefund(
        payment=RefundReference(VALID_REFUND["payment"]["id"]),
        order=RefundReference(VALID_REFUND["order"]["id"]),
        reason=RefundReason.REFUND,
        command_id=VALID_REFUND["commandId"],
    )
    body = make_converter().unstructure(refund)
    assert request_errors("allegro", refund_request(body)) == []


def test_a_language_the_endpoint_does_not_accept_is_reported() -> None:
    request = httpx.Request(
        "GET", f"{API}/marketplaces", headers={**HEADERS, "Accept-Language": "pl-PL"}
    )
    assert any("pl-PL" in e for e in request_errors("allegro", request))
    # ...and the library never sends it there.
    assert ep.list_marketplaces().headers["Accept-Language"] == "en-US"
    assert ep.set_fulfillment_status("x", "SENT").headers["Accept-Language"] == "en-US"


def test_an_undeclared_query_parameter_is_reported() -> None:
    request = httpx.Request(
        "GET", f"{API}/order/checkout-forms", params={"statuses": "NEW"}, headers=HEADERS
    )
    assert request_errors("allegro", request) == ["undeclared query parameter 'statuses'"]


def test_a_query_parameter_out_of_range_is_reported() -> None:
    request = httpx.Request("GET", f"{API}/order/events", params={"limit": 1001}, headers=HEADERS)
    assert request_errors("allegro", request)


def test_response_bodies_are_validated_too() -> None:
    request = httpx.Request("GET", f"{API}/me", headers=HEADERS)
    good = httpx.Response(200, headers={"content-type": ALLEGRO_MEDIA_TYPE}, json={"id": "1"})
    bad = httpx.Response(200, headers={"content-type": ALLEGRO_MEDIA_TYPE}, json={"id": 1})
    assert response_errors("allegro", request, good) == []
    assert response_errors("allegro", request, bad)


def test_deviations_excuse_only_what_they_name() -> None:
    empty = {"checkoutForms": [], "count": 0, "totalCount": 0}
    response = httpx.Response(200, headers={"content-type": ALLEGRO_MEDIA_TYPE}, json=empty)
    request = httpx.Request("GET", f"{API}/order/checkout-forms", headers=HEADERS)
    errors = response_errors("allegro", request, response)
    assert errors, "the spec's minimum: 1 on count should make this invalid"
    assert unexcused("allegro", "response", request, errors) == []
    # The same kind of error on another path is not excused.
    other = httpx.Request("GET", f"{API}/order/events", headers=HEADERS)
    assert unexcused("allegro", "response", other, errors) == errors


def test_every_deviation_names_a_real_source() -> None:
    for deviation in DEVIATIONS:
        assert "TO VERIFY" not in deviation.source, deviation.id
        assert deviation.source.strip()
        assert deviation.reality.strip()
