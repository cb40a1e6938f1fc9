"""plentymarkets login, refresh, the session limit, and keeping secrets out of sight."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from allegro_plenty.errors import (
    AuthenticationError,
    RateLimitError,
    ResponseValidationError,
    TooManySessionsError,
)
from allegro_plenty.plenty import AsyncPlentyClient, PlentyClient, PlentyCredentials, token_key
from allegro_plenty.tokens import MemoryTokenStore, Token

from .plenty_fakes import (
    ACCESS,
    MODES,
    PASSWORD,
    REFRESH,
    USERNAME,
    FakePlenty,
    body,
    call,
    token_body,
)
from .specs import PLENTY_HOST

pytestmark = pytest.mark.spec
KEY = f"{USERNAME}@{PLENTY_HOST}"
SESSION_LIMIT = {
    "error": "too_many_concurrent_sessions",
    "max_current_sessions": 3,
    "message": "Too many users. Only 3 users can be logged in simultaneously in the back end.",
}
ORDER = {"id": 630, "typeId": 1, "statusId": 5, "properties": []}


def bearer(request: httpx.Request) -> str:
    return request.headers.get("authorization", "")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("camel", [False, True], ids=["snake_case", "camelCase"])
def test_login_accepts_both_key_spellings(mode: str, camel: bool, spec_checked: Any) -> None:
    fake = (
        FakePlenty()
        .on("POST", "/rest/login", token_body(camel=camel))
        .on("GET", "/rest/orders/630", ORDER)
    )
    store = MemoryTokenStore()
    call(mode, spec_checked("plenty", fake), "get_order", 630, store=store)
    login = fake.only("POST", "/rest/login")
    assert body(login) == {"username": USERNAME, "password": PASSWORD}
    assert "authorization" not in login.headers
    assert bearer(fake.only("GET", "/rest/orders/630")) == f"Bearer {ACCESS}"
    stored = store.load("plenty", KEY)
    assert stored is not None
    assert (stored.access_token, stored.refresh_token) == (ACCESS, REFRESH)


def test_token_key_is_system_url_plus_user() -> None:
    assert token_key("https://shop.plentymarkets-cloud01.com/rest/", "api") == (
        "api@https://shop.plentymarkets-cloud01.com"
    )
    with pytest.raises(ValueError, match="absolute"):
        token_key("shop.example.com", "api")


@pytest.mark.parametrize("mode", MODES)
def test_login_without_a_token_is_a_validation_error(mode: str, spec_checked: Any) -> None:
    fake = FakePlenty().on("POST", "/rest/login", {"token_type": "Bearer", "expires_in": 1})
    with pytest.raises(ResponseValidationError, match="access_token"):
        call(mode, spec_checked("plenty", fake), "get_order", 630)


@pytest.mark.parametrize("mode", MODES)
def test_session_limit_is_its_own_error_and_not_retried(mode: str, spec_checked: Any) -> None:
    refusal = httpx.Response(429, json=SESSION_LIMIT, headers={"Retry-After": "1"})
    fake = FakePlenty().on("POST", "/rest/login", refusal)
    with pytest.raises(TooManySessionsError) as caught:
        call(mode, spec_checked("plenty", fake), "get_order", 630)
    assert not isinstance(caught.value, RateLimitError)
    assert caught.value.codes == ("too_many_concurrent_sessions",)
    assert "token store" in str(caught.value)
    assert len(fake.calls("POST", "/rest/login")) == 1


@pytest.mark.parametrize("mode", MODES)
def test_rate_limit_429_is_retried_after_retry_after(mode: str, spec_checked: Any) -> None:
    slept: list[float] = []
    fake = FakePlenty().on(
        "GET",
        "/rest/orders/630",
        httpx.Response(429, json={"error": {"message": "Too Many Requests"}},
                       headers={"Retry-After": "7"}),
        ORDER,
    )  # fmt: skip
    transport = spec_checked("plenty", fake)
    if mode == "sync":
        with PlentyClient(
            PLENTY_HOST, **_options(), transport=transport, sleep=slept.append, throttle=False
        ) as client:
            client.get_order(630)
    else:

        async def record(seconds: float) -> None:
            slept.append(seconds)

        async def run() -> None:
            async with AsyncPlentyClient(
                PLENTY_HOST, **_options(), transport=transport, sleep=record, throttle=False
            ) as client:
                await client.get_order(630)

        asyncio.run(run())
    assert slept == [7.0]
    assert len(fake.calls("GET", "/rest/orders/630")) == 2


def _options(**overrides: Any) -> dict[str, Any]:
    options: dict[str, Any] = {
        "username": USERNAME,
        "password": PASSWORD,
        "token_store": MemoryTokenStore(),
        "strict": True,
    }
    options.update(overrides)
    return options


class Clock:
    """A wall clock the test moves."""

    def __init__(self) -> None:
        self.now = datetime(2025, 3, 3, 9, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now


def _drive(mode: str, transport: Any, clock: Clock, steps: list[Any], store: Any) -> None:
    """Run ``steps`` (callables taking the client, or timedeltas to advance) on one client."""
    options = _options(token_store=store, clock=clock)
    if mode == "sync":
        with PlentyClient(PLENTY_HOST, transport=transport, **options) as client:
            for step in steps:
                if isinstance(step, timedelta):
                    clock.now += step
                else:
                    step(client)
        return

    async def run() -> None:
        async with AsyncPlentyClient(PLENTY_HOST, transport=transport, **options) as client:
            for step in steps:
                if isinstance(step, timedelta):
                    clock.now += step
                else:
                    await step(client)

    asyncio.run(run())


@pytest.mark.parametrize("mode", MODES)
def test_expired_token_is_refreshed_then_relogin_when_refresh_fails(
    mode: str, spec_checked: Any
) -> None:
    second, third = "acc-2-" + "b" * 30, "acc-3-" + "c" * 30
    fake = (
        FakePlenty()
        .on("POST", "/rest/login", token_body(), token_body(third, "ref-3-" + "z" * 30))
        .on(
            "POST",
            "/rest/login/refresh",
            {"accessToken": second, "expiresIn": 86400},  # no new refresh token
            httpx.Response(401, json={"error": "invalid_grant", "message": "expired"}),
        )
        .on("GET", "/rest/orders/630", ORDER)
    )
    clock, store = Clock(), MemoryTokenStore()
    day = timedelta(hours=24)

    def get(client: Any) -> Any:
        return client.get_order(630)

    _drive(mode, spec_checked("plenty", fake), clock, [get, day, get, day, get], store)

    assert [bearer(r) for r in fake.calls("GET", "/rest/orders/630")] == [
        f"Bearer {ACCESS}",
        f"Bearer {second}",
        f"Bearer {third}",
    ]
    first_refresh, second_refresh = fake.calls("POST", "/rest/login/refresh")
    assert bearer(first_refresh) == f"Bearer {ACCESS}"
    assert first_refresh.content == f"refresh_token={REFRESH}".encode()
    # The first refresh answer had no refresh token: the old one was kept and used.
    assert second_refresh.content == f"refresh_token={REFRESH}".encode()
    assert len(fake.calls("POST", "/rest/login")) == 2
    stored = store.load("plenty", KEY)
    assert stored is not None
    assert stored.access_token == third


@pytest.mark.parametrize("mode", MODES)
def test_token_refused_mid_run_is_renewed_once(mode: str, spec_checked: Any) -> None:
    second = "acc-2-" + "b" * 30

    def orders(request: httpx.Request) -> httpx.Response:
        if bearer(request) == f"Bearer {ACCESS}":
            return httpx.Response(401, json={"error": {"message": "Unauthenticated."}})
        return httpx.Response(200, json=ORDER)

    fake = (
        FakePlenty()
        .on("POST", "/rest/login/refresh", token_body(second, "ref-2-" + "y" * 30))
        .on("GET", "/rest/orders/630", orders)
    )
    store = MemoryTokenStore()
    far = datetime.now(timezone.utc) + timedelta(hours=20)
    store.save("plenty", KEY, Token(ACCESS, far, REFRESH))
    call(mode, spec_checked("plenty", fake), "get_order", 630, store=store)
    assert [bearer(r) for r in fake.calls("GET", "/rest/orders/630")] == [
        f"Bearer {ACCESS}",
        f"Bearer {second}",
    ]
    assert fake.calls("POST", "/rest/login") == []


@pytest.mark.parametrize("mode", MODES)
def test_a_stored_token_is_used_without_login(mode: str, spec_checked: Any) -> None:
    fake = FakePlenty().on("GET", "/rest/orders/630", ORDER)
    store = MemoryTokenStore()
    store.save("plenty", KEY, Token(ACCESS, datetime.now(timezone.utc) + timedelta(hours=1)))
    call(mode, spec_checked("plenty", fake), "get_order", 630, store=store)
    assert [r.url.path for r in fake.requests] == ["/rest/orders/630"]


@pytest.mark.parametrize("mode", MODES)
def test_bring_your_own_token(mode: str, spec_checked: Any) -> None:
    fake = FakePlenty().on("GET", "/rest/orders/630", httpx.Response(401, json={"message": "x"}))
    options = {"access_token": "own-" + "t" * 30, "username": None, "password": None}
    with pytest.raises(AuthenticationError):
        call(mode, spec_checked("plenty", fake), "get_order", 630, client_options=options)
    assert [bearer(r) for r in fake.requests] == ["Bearer own-" + "t" * 30]


def test_constructor_needs_credentials() -> None:
    with pytest.raises(ValueError, match="username and password"):
        PlentyClient(PLENTY_HOST, username="api")
    with pytest.raises(ValueError, match="absolute"):
        PlentyClient("/rest", username="api", password="x")


# --- secrets -------------------------------------------------------------------------------


def _leaks(
    mode: str, transport: Any, fake: FakePlenty, caplog: pytest.LogCaptureFixture
) -> list[str]:
    """Drive login, a refused call, a failing refresh and a failing re-login; return leaks."""
    caplog.set_level(logging.DEBUG)
    store = MemoryTokenStore()
    failures: list[BaseException] = []
    reprs: list[str] = []

    def get(client: Any) -> Any:
        reprs.append(repr(client))
        try:
            return client.get_order(630)
        except Exception as error:
            failures.append(error)
            return None

    async def aget(client: Any) -> Any:
        reprs.append(repr(client))
        try:
            return await client.get_order(630)
        except Exception as error:
            failures.append(error)
            return None

    # Call 1 logs in; call 2 is refused (401): refresh fails, re-login fails.
    step = get if mode == "sync" else aget
    _drive(mode, transport, Clock(), [step, step], store)
    assert len(failures) == 1
    assert fake.calls("POST", "/rest/login/refresh"), "the refresh path was not exercised"
    assert USERNAME in failures[0].args[0]  # scrubbing keeps the rest of the message

    texts = [caplog.text, *reprs, repr(PlentyCredentials(USERNAME, PASSWORD))]
    texts.append(repr(store.load("plenty", KEY)))
    for error in failures:
        texts += _exception_texts(error)
    return [t for t in texts for secret in (PASSWORD, ACCESS, REFRESH) if secret in t]


def _echoing_fake() -> FakePlenty:
    """Every error answer echoes what its request carried (servers do quote what they
    refuse); the refresh answer echoes the password as well."""
    return (
        FakePlenty()
        .on("POST", "/rest/login", token_body(),
            httpx.Response(401, json={"error": "invalid_credentials",
                                      "message": f"wrong password {PASSWORD} for {USERNAME}"}))
        .on("POST", "/rest/login/refresh", httpx.Response(
            400, json={"message": f"refresh {REFRESH} with bearer {ACCESS} refused; "
                                  f"user {USERNAME} has password {PASSWORD}"}))
        .on("GET", "/rest/orders/630", ORDER,
            httpx.Response(401, json={"error": {"message": f"token {ACCESS} revoked"}}))
    )  # fmt: skip


@pytest.mark.parametrize("mode", MODES)
def test_password_and_tokens_never_leak(
    mode: str, spec_checked: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Password and tokens stay out of logs (DEBUG), reprs and exceptions, even when echoed."""
    fake = _echoing_fake()
    assert _leaks(mode, spec_checked("plenty", fake), fake, caplog) == []


def test_leak_harness_catches_unscrubbed_errors(
    spec_checked: Any, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Negative control: with scrubbing switched off the same harness finds the echoes."""
    from allegro_plenty.plenty import _service

    monkeypatch.setattr(_service, "scrub", lambda text, secrets: text)
    fake = _echoing_fake()
    assert _leaks("sync", spec_checked("plenty", fake), fake, caplog) != []


def _exception_texts(error: BaseException) -> list[str]:
    texts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        texts += [str(current), repr(current), *(repr(v) for v in vars(current).values())]
        current = current.__cause__ or current.__context__
    return texts
