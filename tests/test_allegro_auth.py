"""Allegro OAuth: device flow, authorization code with PKCE, refresh, own tokens, ``/me``."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

import httpx
import pytest

from allegro_plenty import (
    ALLEGRO_SANDBOX,
    AllegroApp,
    AllegroClient,
    AllegroOAuth,
    AsyncAllegroClient,
    AsyncAllegroOAuth,
    AuthenticationError,
    DeviceFlowError,
    MemoryTokenStore,
    NotConnectedError,
    OAuthError,
    Token,
)
from allegro_plenty.allegro import PkcePair, order_scopes
from allegro_plenty.allegro.auth import DeviceAuthorization

from .specs import ALLEGRO_MEDIA_TYPE, SpecCheckedTransport
from .test_allegro_client import vendor
from .test_allegro_models import example_response

APP = AllegroApp("client-id-1", "client-secret-0123456789")
CODE_APP = AllegroApp("client-id-1", "client-secret-0123456789", "https://shop.example/callback")
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)


def oauth_json(status: int, body: dict[str, Any]) -> httpx.Response:
    return httpx.Response(status, json=body)


def token_body(n: int) -> dict[str, Any]:
    return {
        "access_token": f"access-{n}-abcdefgh",
        "refresh_token": f"refresh-{n}-abcdefgh",
        "token_type": "bearer",
        "expires_in": 43199,
        "scope": "allegro:api:orders:read",
        "jti": f"jti-{n}",
    }


class FakeAuthServer:
    """Allegro's token and device endpoints; refresh tokens are single-use."""

    def __init__(self, device_answers: list[tuple[int, dict[str, Any]]] | None = None) -> None:
        self.device_answers = list(device_answers or [])
        self.requests: list[httpx.Request] = []
        self.forms: list[dict[str, str]] = []
        self.live_refresh = {"refresh-0-abcdefgh"}
        self.issued = 0

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        expected = "Basic " + base64.b64encode(b"client-id-1:client-secret-0123456789").decode()
        if request.headers.get("authorization") != expected:
            return oauth_json(401, {"error": "Unauthorized", "error_description": "Unauthorized"})
        assert request.headers["content-type"] == "application/x-www-form-urlencoded"
        form = dict(parse_qsl(request.content.decode()))
        self.forms.append(form)
        if request.url.path == "/auth/oauth/device":
            return oauth_json(
                200,
                {
                    "device_code": "device-code-secret-123",
                    "user_code": "ABC-DEF",
                    "verification_uri": "https://allegro.pl/skojarz-aplikacje",
                    "verification_uri_complete": "https://allegro.pl/skojarz-aplikacje?code=ABCDEF",
                    "expires_in": 3600,
                    "interval": 5,
                },
            )
        grant = form["grant_type"]
        if grant.endswith("device_code"):
            status, body = self.device_answers.pop(0)
            if status != GRANTED[0]:
                return oauth_json(status, body)
        if grant == "refresh_token":
            token = form["refresh_token"]
            if token not in self.live_refresh:
                return oauth_json(
                    400,
                    {
                        "error": "invalid_grant",
                        "error_description": f"Invalid refresh token: {token}",
                    },
                )
            self.live_refresh.discard(token)
        self.issued += 1
        self.live_refresh.add(f"refresh-{self.issued}-abcdefgh")
        return oauth_json(200, token_body(self.issued))


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def with_oauth(
    mode: str,
    server: FakeAuthServer,
    action: str,
    *args: Any,
    app: AllegroApp = APP,
    now: Callable[[], datetime] = lambda: NOW,
    **kw: Any,
) -> tuple[Any, list[float]]:
    """Run an OAuth method sync or async with instant, recorded sleeps."""
    sleeps: list[float] = []
    ticks = [0.0]

    def monotonic() -> float:
        return ticks[0]

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        ticks[0] += seconds

    options: dict[str, Any] = {"clock": now, "monotonic": monotonic}
    transport = httpx.MockTransport(server.handle)
    if mode == "sync":
        with AllegroOAuth(
            app, http_client=httpx.Client(transport=transport), sleep=sleep, **options
        ) as oauth:
            return getattr(oauth, action)(*args, **kw), sleeps

    async def async_sleep(seconds: float) -> None:
        sleep(seconds)

    async def run() -> Any:
        async with AsyncAllegroOAuth(
            app, http_client=httpx.AsyncClient(transport=transport), sleep=async_sleep, **options
        ) as oauth:
            return await getattr(oauth, action)(*args, **kw)

    return asyncio.run(run()), sleeps


DEVICE = DeviceAuthorization(
    device_code="device-code-secret-123",
    user_code="ABC-DEF",
    verification_uri="https://allegro.pl/skojarz-aplikacje",
    verification_uri_complete=None,
    expires_in=3600,
    interval=5,
)
GRANTED = (200, {})
"""A device-flow poll answered with a freshly issued token pair."""
PENDING = (400, {"error": "authorization_pending", "error_description": "User has not authorized"})
SLOW_DOWN = (400, {"error": "slow_down"})


# --- device flow ----------------------------------------------------------------------


def test_device_flow_start(mode: str) -> None:
    server = FakeAuthServer()
    started, _ = with_oauth(mode, server, "start_device_flow", order_scopes(refunds=True))
    assert started.user_code == "ABC-DEF"
    assert started.interval == 5
    assert server.requests[0].url == "https://allegro.pl/auth/oauth/device"
    assert server.forms[0]["client_id"] == "client-id-1"
    assert server.forms[0]["scope"].split() == [
        "allegro:api:orders:read",
        "allegro:api:orders:write",
        "allegro:api:profile:read",
        "allegro:api:payments:read",
        "allegro:api:payments:write",
    ]
    assert "device-code-secret-123" not in repr(started)


def test_device_flow_polls_through_pending_and_slow_down(mode: str) -> None:
    server = FakeAuthServer([PENDING, SLOW_DOWN, PENDING, GRANTED])
    token, sleeps = with_oauth(mode, server, "wait_for_device_token", DEVICE)
    assert token.access_token == "access-1-abcdefgh"
    assert token.refresh_token == "refresh-1-abcdefgh"
    assert token.expires_at == NOW + timedelta(seconds=43199)
    # interval 5; slow_down adds 5 seconds (RFC 8628) for every later poll
    assert sleeps == [5, 5, 10, 10]
    assert all(f["device_code"] == "device-code-secret-123" for f in server.forms)
    assert all(
        f["grant_type"] == "urn:ietf:params:oauth:grant-type:device_code" for f in server.forms
    )


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ((400, {"error": "access_denied"}), "access_denied"),
        (
            (400, {"error": "invalid_request", "error_description": "Invalid device code"}),
            "invalid_request",
        ),
    ],
)
def test_device_flow_ends_on_denial_or_a_dead_code(
    mode: str, answer: tuple[int, dict[str, Any]], error: str
) -> None:
    server = FakeAuthServer([PENDING, answer])
    with pytest.raises(DeviceFlowError) as caught:
        with_oauth(mode, server, "wait_for_device_token", DEVICE)
    assert caught.value.error == error
    assert len(server.requests) == 2  # no further polling


def test_device_flow_gives_up_when_the_code_expires(mode: str) -> None:
    server = FakeAuthServer([PENDING] * 10)
    short = DeviceAuthorization("device-code-secret-123", "A", "https://x", None, 12, 5)
    with pytest.raises(DeviceFlowError) as caught:
        with_oauth(mode, server, "wait_for_device_token", short)
    assert caught.value.error == "expired_token"
    assert len(server.requests) == 2  # at t=5 and t=10; t=15 would be past expires_in


def test_device_flow_surfaces_other_oauth_errors(mode: str) -> None:
    server = FakeAuthServer([(401, {"error": "unauthorized_client", "error_description": "no"})])
    with pytest.raises(OAuthError) as caught:
        with_oauth(mode, server, "wait_for_device_token", DEVICE)
    assert not isinstance(caught.value, DeviceFlowError)
    assert caught.value.error == "unauthorized_client"
    assert caught.value.status_code == 401


def test_wrong_app_credentials_are_an_oauth_error(mode: str) -> None:
    server = FakeAuthServer()
    with pytest.raises(OAuthError) as caught:
        with_oauth(
            mode, server, "refresh", "refresh-0-abcdefgh", app=AllegroApp("client-id-1", "wrong")
        )
    assert caught.value.status_code == 401


# --- authorization code with PKCE -----------------------------------------------------


def test_pkce_authorization_url() -> None:
    pkce = PkcePair.generate()
    assert re.fullmatch(r"[A-Za-z0-9_-]{43,128}", pkce.verifier)
    digest = hashlib.sha256(pkce.verifier.encode()).digest()
    assert pkce.challenge == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert pkce.verifier not in repr(pkce)
    assert PkcePair.generate().verifier != pkce.verifier

    url = AllegroOAuth(CODE_APP, environment=ALLEGRO_SANDBOX).authorization_url(
        state="state-42", pkce=pkce
    )
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
        "https://allegro.pl.allegrosandbox.pl/auth/oauth/authorize"
    )
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query == {
        "response_type": "code",
        "client_id": "client-id-1",
        "redirect_uri": "https://shop.example/callback",
        "state": "state-42",
        "scope": "allegro:api:orders:read allegro:api:orders:write allegro:api:profile:read",
        "code_challenge": pkce.challenge,
        "code_challenge_method": "S256",
    }


def test_authorization_code_needs_a_redirect_uri() -> None:
    with pytest.raises(ValueError, match="redirect_uri"):
        AllegroOAuth(APP).authorization_url(state="s")


def test_code_exchange_sends_the_verifier(mode: str) -> None:
    server = FakeAuthServer()
    pkce = PkcePair.generate()
    token, _ = with_oauth(mode, server, "exchange_code", "auth-code-xyz", pkce=pkce, app=CODE_APP)
    assert token.access_token == "access-1-abcdefgh"
    assert server.forms == [
        {
            "grant_type": "authorization_code",
            "code": "auth-code-xyz",
            "redirect_uri": "https://shop.example/callback",
            "code_verifier": pkce.verifier,
        }
    ]


# --- refresh --------------------------------------------------------------------------


@pytest.mark.parametrize("app", [APP, CODE_APP], ids=["device-app", "code-app"])
def test_refresh_rotates_the_pair(mode: str, app: AllegroApp) -> None:
    server = FakeAuthServer()
    token, _ = with_oauth(mode, server, "refresh", "refresh-0-abcdefgh", app=app)
    assert token.refresh_token == "refresh-1-abcdefgh"
    expected = {"grant_type": "refresh_token", "refresh_token": "refresh-0-abcdefgh"}
    if app.redirect_uri:  # tokens from the code flow refresh with their redirect_uri
        expected["redirect_uri"] = app.redirect_uri
    assert server.forms == [expected]


def test_a_used_refresh_token_is_invalid_grant_without_echoing_it(mode: str) -> None:
    server = FakeAuthServer()
    server.live_refresh.clear()
    with pytest.raises(OAuthError) as caught:
        with_oauth(mode, server, "refresh", "refresh-0-abcdefgh")
    assert caught.value.error == "invalid_grant"
    assert "refresh-0-abcdefgh" not in str(caught.value)
    assert caught.value.description == "Invalid refresh token: ***"
    assert len(server.requests) == 1  # a refresh that reached Allegro is never re-sent


# --- the client and its token store ---------------------------------------------------


class FakeAllegro:
    """Token endpoint plus a REST API that accepts only the newest access token."""

    def __init__(self) -> None:
        self.auth = FakeAuthServer()
        self.api_calls: list[httpx.Request] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/auth/oauth/"):
            return self.auth.handle(request)
        self.api_calls.append(request)
        current = f"Bearer access-{self.auth.issued}-abcdefgh"
        if request.headers.get("authorization") != current:
            return httpx.Response(
                401,
                json={"error": "invalid_token", "error_description": "Access token expired"},
                headers={"content-type": ALLEGRO_MEDIA_TYPE},
            )
        return vendor(200, example_response("/me"))


def run_client(mode: str, transport: httpx.MockTransport, method: str, **options: Any) -> Any:
    if mode == "sync":
        with AllegroClient(transport=transport, strict=True, **options) as client:
            return getattr(client, method)()

    async def run() -> Any:
        async with AsyncAllegroClient(transport=transport, strict=True, **options) as client:
            return await getattr(client, method)()

    return asyncio.run(run())


def stored(access: str, refresh: str | None, expires_in: float) -> Token:
    return Token(access, datetime.now(timezone.utc) + timedelta(seconds=expires_in), refresh)


def test_client_refreshes_an_expired_token_and_stores_the_new_pair(
    mode: str, spec_checked: Callable[..., SpecCheckedTransport]
) -> None:
    fake = FakeAllegro()
    store = MemoryTokenStore()
    store.save("allegro", "46968690", stored("access-0-abcdefgh", "refresh-0-abcdefgh", -1))
    transport = spec_checked("allegro", fake.handle, check_responses=True)
    me = run_client(mode, transport, "get_me", app=APP, account="46968690", token_store=store)
    assert me.id == "46968690"
    token = store.load("allegro", "46968690")
    assert token is not None
    assert (token.access_token, token.refresh_token) == ("access-1-abcdefgh", "refresh-1-abcdefgh")
    assert fake.auth.issued == 1
    assert len(fake.api_calls) == 1


def test_a_valid_token_is_used_without_refreshing(
    mode: str, spec_checked: Callable[..., SpecCheckedTransport]
) -> None:
    fake = FakeAllegro()
    fake.auth.issued = 7
    store = MemoryTokenStore()
    store.save("allegro", "46968690", stored("access-7-abcdefgh", "refresh-7-abcdefgh", 3600))
    transport = spec_checked("allegro", fake.handle)
    run_client(mode, transport, "get_me", app=APP, account="46968690", token_store=store)
    assert fake.auth.forms == []


def test_token_expiry_is_judged_by_the_injected_clock(
    mode: str, spec_checked: Callable[..., SpecCheckedTransport]
) -> None:
    # Valid for an hour by the real clock, but the client's clock is 13 h on:
    # it refreshes before calling, instead of spending a request on a 401.
    fake = FakeAllegro()
    store = MemoryTokenStore()
    store.save("allegro", "46968690", stored("access-0-abcdefgh", "refresh-0-abcdefgh", 3600))
    later = datetime.now(timezone.utc) + timedelta(hours=13)
    transport = spec_checked("allegro", fake.handle)
    run_client(
        mode,
        transport,
        "get_me",
        app=APP,
        account="46968690",
        token_store=store,
        clock=lambda: later,
    )
    assert fake.auth.issued == 1
    assert len(fake.api_calls) == 1
    token = store.load("allegro", "46968690")
    assert token is not None
    assert token.expires_at > later


def test_a_401_renews_once_then_retries_once(
    mode: str, spec_checked: Callable[..., SpecCheckedTransport]
) -> None:
    # The stored token looks valid but Allegro has revoked it (another refresh replaced it).
    fake = FakeAllegro()
    store = MemoryTokenStore()
    store.save("allegro", "46968690", stored("revoked-abcdefgh", "refresh-0-abcdefgh", 3600))
    transport = spec_checked("allegro", fake.handle)
    me = run_client(mode, transport, "get_me", app=APP, account="46968690", token_store=store)
    assert me.id == "46968690"
    assert fake.auth.issued == 1
    assert len(fake.api_calls) == 2


def test_a_second_401_is_raised(
    mode: str, spec_checked: Callable[..., SpecCheckedTransport]
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/auth/"):
            return fake.auth.handle(request)
        return httpx.Response(401, json={"error": "invalid_token"}, headers={"trace-id": "t401"})

    fake = FakeAllegro()
    store = MemoryTokenStore()
    store.save("allegro", "46968690", stored("revoked-abcdefgh", "refresh-0-abcdefgh", 3600))
    with pytest.raises(AuthenticationError) as caught:
        run_client(
            mode,
            spec_checked("allegro", handler),
            "get_me",
            app=APP,
            account="46968690",
            token_store=store,
        )
    assert caught.value.request_id == "t401"
    assert fake.auth.issued == 1  # one renewal, not a loop


def test_an_unconnected_account_says_so(
    mode: str, spec_checked: Callable[..., SpecCheckedTransport]
) -> None:
    fake = FakeAllegro()
    with pytest.raises(NotConnectedError, match="46968690"):
        run_client(
            mode,
            spec_checked("allegro", fake.handle),
            "get_me",
            app=APP,
            account="46968690",
            token_store=MemoryTokenStore(),
        )
    assert fake.api_calls == []
    assert fake.auth.requests == []


def test_bring_your_own_token(mode: str, spec_checked: Callable[..., SpecCheckedTransport]) -> None:
    fake = FakeAllegro()
    fake.auth.issued = 3
    transport = spec_checked("allegro", fake.handle)
    assert run_client(mode, transport, "get_me", access_token="access-3-abcdefgh").id == "46968690"
    # A token Allegro refuses is not refreshed (there is nothing to refresh with).
    with pytest.raises(AuthenticationError):
        run_client(mode, transport, "get_me", access_token="stale-token-abcdefgh")
    assert fake.auth.requests == []
    assert len(fake.api_calls) == 2


def test_a_client_needs_a_token_source() -> None:
    with pytest.raises(ValueError, match="access_token, or app \\+ account \\+ token_store"):
        AllegroClient(app=APP)


def test_connecting_an_account_end_to_end(
    mode: str, spec_checked: Callable[..., SpecCheckedTransport]
) -> None:
    """Device flow, then /me names the account, then a stored-token client works."""
    fake = FakeAllegro()
    fake.auth.device_answers = [PENDING, GRANTED]
    token, _ = with_oauth(
        mode, fake.auth, "wait_for_device_token", DEVICE, now=lambda: datetime.now(timezone.utc)
    )
    transport = spec_checked("allegro", fake.handle, check_responses=True)
    me = run_client(mode, transport, "get_me", access_token=token.access_token)
    store = MemoryTokenStore()
    store.save("allegro", me.id, token)
    again = run_client(mode, transport, "get_me", app=APP, account=me.id, token_store=store)
    assert again.id == me.id == "46968690"
    assert [r.headers["authorization"] for r in transport.requests] == [
        "Bearer access-1-abcdefgh"
    ] * 2
