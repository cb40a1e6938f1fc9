"""Retry behaviour: what is re-sent, how often, after how long; through the public API."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from allegro_plenty import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    InternalServerError,
    RateLimitError,
    RetryEvent,
    RetryPolicy,
)
from allegro_plenty._http.retry import parse_retry_after
from allegro_plenty.allegro import ALLEGRO_RETRY
from allegro_plenty.allegro.models import (
    NewRefund,
    NewShipment,
    RefundReason,
    RefundReference,
)

from .specs import SpecCheckedTransport
from .test_allegro_client import FORM_ID, call, vendor
from .test_allegro_models import example_response

pytestmark = pytest.mark.spec

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc).timestamp()


# --- Retry-After parsing --------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "120"}, 120.0),
        ({"retry-after": " 7 "}, 7.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"retry-after": "0"}, 0.0),
        ({"retry-after": "-5"}, 0.0),
        (
            {"retry-after": format_datetime(datetime.fromtimestamp(NOW + 30, timezone.utc), True)},
            30.0,
        ),
        ({"retry-after": "Sun, 01 Jun 2025 12:01:30 GMT"}, 90.0),
        ({"retry-after": "Sun, 01 Jun 2025 11:00:00 GMT"}, 0.0),  # in the past
        ({"retry-after": "soon"}, None),
        ({"retry-after": ""}, None),
        ({"retry-after": "nan"}, None),
        ({"retry-after": "inf"}, None),
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),  # the precise one wins
        ({"retry-after-ms": "later", "retry-after": "9"}, 9.0),
        ({}, None),
    ],
)
def test_retry_after_parsing(headers: dict[str, str], expected: float | None) -> None:
    assert parse_retry_after(httpx.Headers(headers), NOW) == expected


# --- harness --------------------------------------------------------------------------

Failure = Callable[[httpx.Request], httpx.Response]


def failing(n: int, failure: Failure, success: Failure) -> tuple[Failure, list[httpx.Request]]:
    """A handler failing the first ``n`` calls with ``failure``; it records every call."""
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return failure(request) if len(calls) <= n else success(request)

    return handler, calls


def status(code: int, **headers: str) -> Failure:
    return lambda r: vendor(
        code, {"errors": [{"code": "E", "message": f"status {code}"}]}, **headers
    )


def raising(exc: type[httpx.TransportError]) -> Failure:
    def fail(request: httpx.Request) -> httpx.Response:
        raise exc("simulated", request=request)

    return fail


def me(request: httpx.Request) -> httpx.Response:
    return vendor(200, example_response("/me"))


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def options(events: list[RetryEvent], **policy: Any) -> dict[str, Any]:
    settings = {"max_retries": 4, "rate_limit_delay": 1.0, **policy}
    return {"retry": RetryPolicy(**settings), "on_retry": events.append}


FAILURES: dict[str, Failure] = {
    "429": status(429),
    "500": status(500),
    "502": status(502),
    "503": status(503),
    "504": status(504),
    "408": status(408),
    "ReadTimeout": raising(httpx.ReadTimeout),
    "ConnectError": raising(httpx.ConnectError),
    "ReadError": raising(httpx.ReadError),
    "RemoteProtocolError": raising(httpx.RemoteProtocolError),
}


@pytest.mark.parametrize("failures", [0, 2, 4])
@pytest.mark.parametrize("kind", sorted(FAILURES))
def test_reads_are_retried_until_they_succeed(
    mode: str,
    kind: str,
    failures: int,
    spec_checked: Callable[..., SpecCheckedTransport],
) -> None:
    handler, calls = failing(failures, FAILURES[kind], me)
    events: list[RetryEvent] = []
    sleeps: list[float] = []
    me_ = call(
        mode, spec_checked("allegro", handler), "get_me", sleeps=sleeps, options=options(events)
    )
    assert me_.id == "46968690"
    assert len(calls) == failures + 1
    assert [e.attempt for e in events] == list(range(1, failures + 1))
    assert {e.reason for e in events} <= {kind}
    assert {e.operation for e in events} <= {"get_me"}
    assert sleeps == [e.delay for e in events]


@pytest.mark.parametrize("kind", ["500", "ReadTimeout", "429"])
def test_retries_stop_at_max_retries(
    mode: str, kind: str, spec_checked: Callable[..., SpecCheckedTransport]
) -> None:
    handler, calls = failing(99, FAILURES[kind], me)
    events: list[RetryEvent] = []
    expected = {"500": InternalServerError, "ReadTimeout": APITimeoutError, "429": RateLimitError}
    with pytest.raises(expected[kind]):
        call(mode, spec_checked("allegro", handler), "get_me", options=options(events))
    assert len(calls) == 5
    assert len(events) == 4


def test_backoff_grows_and_is_capped(
    mode: str, spec_checked: Callable[..., SpecCheckedTransport]
) -> None:
    handler, _ = failing(4, FAILURES["500"], me)
    sleeps: list[float] = []
    policy = {"initial_delay": 1.0, "max_delay": 3.0, "jitter": 0.0}
    call(
        mode,
        spec_checked("allegro", handler),
        "get_me",
        sleeps=sleeps,
        options=options([], **policy),
    )
    assert sleeps == [1.0, 2.0, 3.0, 3.0]


@pytest.mark.parametrize("code", [400, 401, 403, 404, 409, 422])
def test_other_client_errors_are_not_retried(
    mode: str, code: int, spec_checked: Callable[..., SpecCheckedTransport]
) -> None:
    handler, calls = failing(99, status(code), me)
    events: list[RetryEvent] = []
    with pytest.raises(APIStatusError) as caught:
        call(mode, spec_checked("allegro", handler), "get_me", options=options(events))
    assert caught.value.status_code == code
    assert len(calls) == 1
    assert events == []


def test_retry_after_is_honoured(
    mode: str, spec_checked: Callable[..., SpecCheckedTransport]
) -> None:
    handler, calls = failing(1, status(503, **{"retry-after": "7"}), me)
    sleeps: list[float] = []
    call(mode, spec_checked("allegro", handler), "get_me", sleeps=sleeps, options=options([]))
    assert sleeps == [7.0]
    assert len(calls) == 2


def test_429_without_retry_after_backs_off_hard(
    mode: str, spec_checked: Callable[..., SpecCheckedTransport]
) -> None:
    # Allegro sends no Retry-After, and calling during its block lengthens it.
    handler, calls = failing(2, status(429), me)
    sleeps: list[float] = []
    call(
        mode,
        spec_checked("allegro", handler),
        "get_me",
        sleeps=sleeps,
        options={"retry": ALLEGRO_RETRY},
    )
    assert len(calls) == 3
    assert 60.0 <= sleeps[0] <= 60.0 * 1.25
    assert 120.0 <= sleeps[1] <= 120.0 * 1.25
    # A 5xx, by contrast, waits the short backoff.
    handler, _ = failing(1, status(500), me)
    short: list[float] = []
    call(
        mode,
        spec_checked("allegro", handler),
        "get_me",
        sleeps=short,
        options={"retry": ALLEGRO_RETRY},
    )
    assert short[0] <= ALLEGRO_RETRY.initial_delay


def test_retry_after_above_the_cap_raises_rate_limit_error(
    mode: str, spec_checked: Callable[..., SpecCheckedTransport]
) -> None:
    handler, calls = failing(99, status(429, **{"retry-after": "600"}), me)
    sleeps: list[float] = []
    with pytest.raises(RateLimitError) as caught:
        call(
            mode,
            spec_checked("allegro", handler),
            "get_me",
            sleeps=sleeps,
            options=options([], max_retry_after=300.0),
        )
    assert caught.value.retry_after == 600.0
    assert caught.value.request_id == "trace-1"
    assert len(calls) == 1
    assert sleeps == []


# --- retry classes --------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["ReadTimeout", "ConnectError", "503", "429"])
def test_a_never_endpoint_is_not_resent(
    mode: str, kind: str, spec_checked: Callable[..., SpecCheckedTransport]
) -> None:
    handler, calls = failing(99, FAILURES[kind], lambda r: vendor(204))
    events: list[RetryEvent] = []
    with pytest.raises((APIStatusError, APIConnectionError)) as caught:
        call(
            mode,
            spec_checked("allegro", handler),
            "set_fulfillment_status",
            FORM_ID,
            "SENT",
            options=options(events),
        )
    assert len(calls) == 1
    assert events == []
    if kind == "ReadTimeout":
        assert isinstance(caught.value, APITimeoutError)
        assert caught.value.request_sent  # it may have been applied: re-read, do not re-send


def _shipment_created(request: httpx.Request) -> httpx.Response:
    return vendor(201, example_response("/order/checkout-forms/{id}/shipments", "post", "201"))


@pytest.mark.parametrize(
    ("kind", "resent"),
    [("ConnectError", True), ("429", True), ("ReadTimeout", False), ("500", False)],
)
def test_a_shipment_is_resent_only_if_it_never_arrived(
    mode: str, kind: str, resent: bool, spec_checked: Callable[..., SpecCheckedTransport]
) -> None:
    handler, calls = failing(1, FAILURES[kind], _shipment_created)
    shipment = NewShipment(carrier_id="DPD", waybill="W1")
    if resent:
        call(
            mode,
            spec_checked("allegro", handler),
            "add_shipment",
            FORM_ID,
            shipment,
            options=options([]),
        )
        assert len(calls) == 2
    else:
        with pytest.raises((APIConnectionError, InternalServerError)):
            call(
                mode,
                spec_checked("allegro", handler),
                "add_shipment",
                FORM_ID,
                shipment,
                options=options([]),
            )
        assert len(calls) == 1


def test_a_refund_is_resent_with_the_same_command_id(
    mode: str, spec_checked: Callable[..., SpecCheckedTransport]
) -> None:
    handler, calls = failing(
        2,
        FAILURES["ReadTimeout"],
        lambda r: vendor(200, example_response("/payments/refunds", "post")),
    )
    refund = NewRefund(
        payment=RefundReference("a6bee8b2-8b4e-11e9-8918-07b31163120a"),
        order=RefundReference(FORM_ID),
        reason=RefundReason.REFUND,
        command_id="14e142cf-e8e0-48cc-bcf6-399b5fd90b32",
    )
    call(mode, spec_checked("allegro", handler), "create_refund", refund, options=options([]))
    assert len(calls) == 3
    bodies = {r.content for r in calls}
    assert len(bodies) == 1
    assert json.loads(bodies.pop())["commandId"] == "14e142cf-e8e0-48cc-bcf6-399b5fd90b32"
