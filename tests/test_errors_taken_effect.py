"""Every error answers "may this write have taken effect?" (``may_have_taken_effect``).

The importer asks it after every failed write: ``True`` means look the order up
before doing anything else, ``False`` means the write was certainly not applied.
The table below pins the answer for every error class in every situation that
raises it; HTTP situations are driven through both clients, sync and async, the
way a user meets them.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest

import allegro_plenty.errors as errors_module
from allegro_plenty import (
    AllegroApp,
    AllegroOAuth,
    AllegroPlentyError,
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AsyncAllegroOAuth,
    AuthenticationError,
    BadRequestError,
    BindingConflictError,
    BudgetExhaustedError,
    ClaimLostError,
    ConfigurationError,
    ConflictError,
    CursorConflictError,
    DamagedTokenFileError,
    DeviceFlowError,
    DuplicateOrdersFound,
    ForeignOrderExists,
    InternalServerError,
    InvalidRequestError,
    LedgerBusyError,
    LedgerError,
    LedgerInputError,
    LedgerSchemaError,
    LedgerStorageError,
    LockTimeoutError,
    MappingError,
    ModelValidationError,
    NotConnectedError,
    NotFoundError,
    NotInLedgerError,
    OAuthError,
    PagingError,
    PermissionDeniedError,
    RateGateStorageError,
    RateLimitError,
    ReferenceDataError,
    RefundNotFoundError,
    ResponseValidationError,
    RetryPolicy,
    SecretTooShortError,
    StaleRevisionError,
    TokenSaveError,
    TokenStorageError,
    TooManySessionsError,
    UnprocessableEntityError,
)
from allegro_plenty._http import engine
from allegro_plenty.allegro.auth import DeviceAuthorization
from allegro_plenty.allegro.models import NewRefund, NewShipment, RefundReason, RefundReference
from allegro_plenty.errors import (
    AllegroRefusedError,
    CarrierNotMappedError,
    InvoiceConflictError,
    InvoiceFileRejectedError,
    LineItemsUnclearError,
    NotFromAllegroError,
    NotRefundableError,
    OneFulfillmentError,
    ProcedureError,
    ProcedureRefusedError,
    RefundFailedError,
    UnknownProcedureError,
    WebhookRejectedError,
)
from allegro_plenty.plenty.models import NewOrder

from . import plenty_fakes
from .test_allegro_client import FORM_ID, vendor
from .test_allegro_client import call as allegro_call

NO_RETRY = RetryPolicy(max_retries=0)
SHIPMENT = NewShipment(carrier_id="DPD", waybill="W1")
NEW_ORDER = NewOrder(1, 1, Decimal(3), Decimal(1), (), ())

Failure = Callable[[httpx.Request], httpx.Response]


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def raising(exc: type[httpx.TransportError]) -> Failure:
    def fail(request: httpx.Request) -> httpx.Response:
        raise exc("simulated", request=request)

    return fail


def answering(status: int) -> Failure:
    """An error answer in the shape of the service the request went to."""

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/rest/"):
            return httpx.Response(status, json={"error": {"message": f"status {status}"}})
        return vendor(status, {"errors": [{"code": "E", "message": f"status {status}"}]})

    return answer


def off_model(request: httpx.Request) -> httpx.Response:
    """A 2xx whose body does not fit: the service accepted the write."""
    if request.url.path.startswith("/rest/"):
        return httpx.Response(201, json={"id": "not a number"})
    return vendor(201, {"unexpected": True})


# --- the table ------------------------------------------------------------------------------
# (situation, what the service does, the class raised, may the write have taken effect?)

HTTP_SITUATIONS: list[tuple[str, Failure, type[AllegroPlentyError], bool]] = [
    ("connection refused", raising(httpx.ConnectError), APIConnectionError, False),
    ("connect timed out", raising(httpx.ConnectTimeout), APITimeoutError, False),
    ("no free pooled connection", raising(httpx.PoolTimeout), APITimeoutError, False),
    ("unsupported protocol", raising(httpx.UnsupportedProtocol), APIConnectionError, False),
    ("write timed out mid-request", raising(httpx.WriteTimeout), APITimeoutError, True),
    ("write broke off mid-request", raising(httpx.WriteError), APIConnectionError, True),
    ("read timed out", raising(httpx.ReadTimeout), APITimeoutError, True),
    ("connection reset while reading", raising(httpx.ReadError), APIConnectionError, True),
    ("server broke the protocol", raising(httpx.RemoteProtocolError), APIConnectionError, True),
    ("400", answering(400), BadRequestError, False),
    ("401", answering(401), AuthenticationError, False),
    ("403", answering(403), PermissionDeniedError, False),
    ("404", answering(404), NotFoundError, False),
    ("408", answering(408), APIStatusError, False),
    ("409", answering(409), ConflictError, False),
    ("418", answering(418), APIStatusError, False),
    ("422", answering(422), UnprocessableEntityError, False),
    ("429", answering(429), RateLimitError, False),
    ("500", answering(500), InternalServerError, True),
    ("502", answering(502), InternalServerError, True),
    ("503", answering(503), InternalServerError, True),
    ("504", answering(504), InternalServerError, True),
    ("2xx with a body that does not fit", off_model, ResponseValidationError, True),
]


def allegro_write(mode: str, failure: Failure) -> AllegroPlentyError:
    transport = httpx.MockTransport(failure)
    with pytest.raises(AllegroPlentyError) as caught:
        allegro_call(
            mode, transport, "add_shipment", FORM_ID, SHIPMENT, options={"retry": NO_RETRY}
        )
    return caught.value


def plenty_write(mode: str, failure: Failure) -> AllegroPlentyError:
    fake = plenty_fakes.FakePlenty().on("POST", "/rest/orders", failure)
    with pytest.raises(AllegroPlentyError) as caught:
        plenty_fakes.call(
            mode,
            httpx.MockTransport(fake),
            "create_order",
            NEW_ORDER,
            client_options={"retry": NO_RETRY, "throttle": False},
        )
    return caught.value


@pytest.mark.parametrize("write", [allegro_write, plenty_write], ids=["allegro", "plenty"])
@pytest.mark.parametrize(
    ("situation", "failure", "cls", "answer"),
    HTTP_SITUATIONS,
    ids=[row[0] for row in HTTP_SITUATIONS],
)
def test_a_failed_write_says_whether_it_may_have_taken_effect(
    mode: str,
    write: Callable[[str, Failure], AllegroPlentyError],
    situation: str,
    failure: Failure,
    cls: type[AllegroPlentyError],
    answer: bool,
) -> None:
    error = write(mode, failure)
    assert type(error) is cls, situation
    assert error.may_have_taken_effect is answer, situation


# Situations only one service has, driven through its public API.


def _stale_revision(mode: str) -> AllegroPlentyError:
    body = {"errors": [{"code": "CONFLICT", "message": "Provided revision is outdated."}]}
    transport = httpx.MockTransport(lambda r: vendor(409, body))
    with pytest.raises(AllegroPlentyError) as caught:
        allegro_call(mode, transport, "set_fulfillment_status", FORM_ID, "SENT", revision="old")
    return caught.value


def _session_limit(mode: str) -> AllegroPlentyError:
    refusal = httpx.Response(429, json={"error": "too_many_concurrent_sessions", "message": "x"})
    fake = plenty_fakes.FakePlenty().on("POST", "/rest/login", refusal)
    with pytest.raises(AllegroPlentyError) as caught:
        plenty_fakes.call(mode, httpx.MockTransport(fake), "create_order", NEW_ORDER)
    return caught.value


def _with_oauth(mode: str, answer: httpx.Response, action: str, argument: Any) -> None:
    """Run one OAuth action against a token endpoint that always gives ``answer``."""
    app = AllegroApp("client-id-1", "client-secret-0123456789")
    transport = httpx.MockTransport(lambda r: answer)
    if mode == "sync":
        with AllegroOAuth(
            app, http_client=httpx.Client(transport=transport), sleep=lambda s: None
        ) as oauth:
            getattr(oauth, action)(argument)
        return

    async def no_sleep(seconds: float) -> None:
        return None

    async def run() -> None:
        async with AsyncAllegroOAuth(
            app, http_client=httpx.AsyncClient(transport=transport), sleep=no_sleep
        ) as oauth:
            await getattr(oauth, action)(argument)

    asyncio.run(run())


def _refused_grant(mode: str) -> AllegroPlentyError:
    refusal = httpx.Response(400, json={"error": "invalid_grant", "error_description": "no"})
    with pytest.raises(AllegroPlentyError) as caught:
        _with_oauth(mode, refusal, "refresh", "refresh-token-abcdefgh")
    return caught.value


def _device_flow_denied(mode: str) -> AllegroPlentyError:
    denied = DeviceAuthorization("device-code-secret-123", "A", "https://x", None, 60, 1)
    refusal = httpx.Response(400, json={"error": "access_denied"})
    with pytest.raises(AllegroPlentyError) as caught:
        _with_oauth(mode, refusal, "wait_for_device_token", denied)
    return caught.value


def _refused_while_built(mode: str) -> AllegroPlentyError:
    transport = httpx.MockTransport(lambda r: vendor(204))
    with pytest.raises(AllegroPlentyError) as caught:
        allegro_call(mode, transport, "set_fulfillment_status", FORM_ID, "SHIPPED")
    return caught.value


SERVICE_SITUATIONS: list[tuple[str, Callable[[str], AllegroPlentyError], type, bool]] = [
    ("Allegro: fulfillment revision outdated (409)", _stale_revision, StaleRevisionError, False),
    ("plentymarkets: too many sessions (429)", _session_limit, TooManySessionsError, False),
    ("Allegro: token endpoint refused a grant (400)", _refused_grant, OAuthError, False),
    ("Allegro: the seller denied the device flow", _device_flow_denied, DeviceFlowError, False),
    ("refused while the request was built", _refused_while_built, InvalidRequestError, False),
]


@pytest.mark.parametrize(
    ("situation", "provoke", "cls", "answer"),
    SERVICE_SITUATIONS,
    ids=[row[0] for row in SERVICE_SITUATIONS],
)
def test_service_specific_failures_say_whether_they_may_have_taken_effect(
    mode: str,
    situation: str,
    provoke: Callable[[str], AllegroPlentyError],
    cls: type[AllegroPlentyError],
    answer: bool,
) -> None:
    error = provoke(mode)
    assert type(error) is cls, situation
    assert error.may_have_taken_effect is answer, situation


# Errors that do not come from an exchange with a service: nothing was sent.

NOT_SENT: list[tuple[str, AllegroPlentyError]] = [
    ("token store unusable", TokenStorageError("cannot write", path="/tokens.json")),
    ("shared rate gate unreachable", RateGateStorageError("no table")),
    ("token file damaged", DamagedTokenFileError("not JSON", path="/tokens.json")),
    ("renewed token not saved", TokenSaveError("not saved", path="/tokens.json")),
    ("token lock not acquired", LockTimeoutError("lock not acquired within 1 s")),
    ("no stored refresh token", NotConnectedError("connect the account first")),
    ("a client secret too short", SecretTooShortError("password", 4)),
    ("plenty budget used up", BudgetExhaustedError(scope="s", kind="write", operation="o", wait=9)),
    ("no such country", ReferenceDataError("no country XX")),
    ("webhook call rejected", WebhookRejectedError("bad signature")),
    ("a walk cannot go on", PagingError("offset cap")),
    ("no such refund", RefundNotFoundError("r-1")),
    ("stored JSON does not fit", ModelValidationError("CheckoutForm", "not JSON")),
    ("a request refused while built", InvalidRequestError("bad", field="f", value=1)),
    ("a form cannot be mapped", MappingError("no price", checkout_form_id="f-1")),
    ("configuration contradicts itself", ConfigurationError("a and b")),
    ("ledger", LedgerError("ledger")),
    ("ledger input", LedgerInputError("empty key")),
    ("ledger busy", LedgerBusyError("busy")),
    ("ledger storage", LedgerStorageError("disk full", location="/l.db")),
    ("ledger schema", LedgerSchemaError("newer", found=3, supported=2)),
    ("claim lost", ClaimLostError(account="a", key="k", owner="o")),
    ("binding conflict", BindingConflictError("bound", existing=None)),
    ("cursor conflict", CursorConflictError(account="a", name="n", expected=1, found=2)),
    ("not in the ledger", NotInLedgerError("unbound")),
    ("several orders carry the form", DuplicateOrdersFound("form-1", [7, 8])),
    ("a foreign order carries the form", ForeignOrderExists("form-1", 7, Decimal(2))),
    ("a procedure's error", ProcedureError("procedure")),
    ("no such procedure", UnknownProcedureError("x", ["allegro.refund"])),
    ("not an Allegro order", NotFromAllegroError(7, "foreign referrer")),
    ("a procedure refused the order", ProcedureRefusedError("refused")),
    ("One Fulfillment", OneFulfillmentError("f-1", "allegro.tracking")),
    ("cash on delivery not refunded", NotRefundableError("f-1", "cash on delivery")),
    ("line items unclear", LineItemsUnclearError(7, "variation 3 in two line items")),
    ("carrier not mapped", CarrierNotMappedError(6, "not in the carrier map")),
    ("Allegro refused a procedure's write", AllegroRefusedError("p", 422, ["X"], "no")),
    ("Allegro ended a refund CANCELED", RefundFailedError("r-1", "CANCELED")),
    ("another seller invoice on Allegro", InvoiceConflictError("f-1", "RE1", ["FV 9"])),
    ("invoice file rejected by the scan", InvoiceFileRejectedError("f-1", "i-1", "RE1")),
    ("the base class", AllegroPlentyError("anything")),
]


@pytest.mark.parametrize(
    ("situation", "error"), NOT_SENT, ids=[situation for situation, _ in NOT_SENT]
)
def test_errors_outside_an_exchange_never_took_effect(
    situation: str, error: AllegroPlentyError
) -> None:
    assert error.may_have_taken_effect is False, situation


def test_the_table_covers_every_exception_class() -> None:
    defined = {
        cls
        for _, cls in inspect.getmembers(errors_module, inspect.isclass)
        if issubclass(cls, BaseException) and cls.__module__ == errors_module.__name__
    }
    covered = {cls for _, _, cls, _ in HTTP_SITUATIONS}
    covered |= {cls for _, _, cls, _ in SERVICE_SITUATIONS}
    covered |= {type(error) for _, error in NOT_SENT}
    covered.add(APIError)  # the abstract base: see the next test
    assert defined - covered == set(), "give each new error class its row in the table"


def test_an_error_from_an_unknown_exchange_failure_may_have_taken_effect() -> None:
    # APIError itself is the base of the HTTP errors; raised bare (a service's own
    # reading of an odd answer), nothing says the write was refused: assume it may.
    error = APIError("odd", service="s", method="POST", url="https://x", operation="o")
    assert error.may_have_taken_effect is True


# --- retries: an earlier attempt counts -----------------------------------------------------


def _refund() -> NewRefund:
    return NewRefund(
        payment=RefundReference("a6bee8b2-8b4e-11e9-8918-07b31163120a"),
        order=RefundReference(FORM_ID),
        reason=RefundReason.REFUND,
        command_id="14e142cf-e8e0-48cc-bcf6-399b5fd90b32",
    )


def _first_then(first: Failure, then: Failure) -> tuple[Failure, list[httpx.Request]]:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return first(request) if len(calls) == 1 else then(request)

    return handler, calls


@pytest.mark.parametrize(
    ("first", "answer"),
    [
        (raising(httpx.ReadTimeout), True),  # the first refund may have gone through
        (answering(503), True),
        (raising(httpx.ConnectError), False),  # the first never arrived
        (answering(429), False),  # the first was refused unprocessed
    ],
    ids=["read timeout", "503", "connect error", "429"],
)
def test_a_retried_write_remembers_an_earlier_attempt_that_may_have_taken_effect(
    mode: str, first: Failure, answer: bool
) -> None:
    """The refund is re-sent (its command id makes that safe); the retry is refused.

    The refusal alone would say "not applied", but the first attempt may have
    been: the error must say so, or the importer would trust a 4xx and move on.
    """
    handler, calls = _first_then(first, answering(422))
    policy = RetryPolicy(max_retries=1, rate_limit_delay=0.0)
    with pytest.raises(UnprocessableEntityError) as caught:
        allegro_call(
            mode, httpx.MockTransport(handler), "create_refund", _refund(),
            options={"retry": policy},
        )  # fmt: skip
    assert len(calls) == 2
    assert caught.value.may_have_taken_effect is answer


def test_the_negative_control_a_forgetful_engine_is_caught(
    mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The harness above notices an engine that lets the last attempt speak alone."""

    class Unrelated(Exception):
        pass

    # The engine marks only the error classes it knows; with none known, it forgets.
    monkeypatch.setattr(engine, "APIError", Unrelated)
    monkeypatch.setattr(engine, "OAuthError", Unrelated)
    handler, _ = _first_then(raising(httpx.ReadTimeout), answering(422))
    with pytest.raises(UnprocessableEntityError) as caught:
        allegro_call(
            mode, httpx.MockTransport(handler), "create_refund", _refund(),
            options={"retry": RetryPolicy(max_retries=1)},
        )  # fmt: skip
    assert caught.value.may_have_taken_effect is False  # wrong, and the test above says so
