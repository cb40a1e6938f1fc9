"""One set of client defaults: every client and OAuth helper sends the same User-Agent,
uses the same default timeouts, and talks to Allegro with the Allegro retry policy.

Before, the OAuth helpers (and the refresh inside ``AllegroClient``) sent a
shorter User-Agent, made their own httpx client with a hard-coded timeout, and
retried a 429 after a second, where Allegro lengthens a block for every call
made during it.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from allegro_plenty import (
    DEFAULT_TIMEOUT,
    USER_AGENT,
    AllegroApp,
    AllegroClient,
    AllegroOAuth,
    AsyncAllegroClient,
    AsyncAllegroOAuth,
    MemoryTokenStore,
    PlentyClient,
    Token,
)
from allegro_plenty.allegro import ALLEGRO_RETRY, MemoryRateGate
from allegro_plenty.testing import FakeClock

from .test_allegro_client import vendor

APP = AllegroApp("client-id-123", "client-secret-456")
NOW = datetime(2025, 3, 1, 8, 0, tzinfo=timezone.utc)
TOKEN_BODY = {
    "access_token": "new-access-token-0123456789",
    "refresh_token": "new-refresh-token-0123456789",
    "expires_in": 43199,
    "token_type": "bearer",
}


class Recorder:
    """Answers the token endpoint (429 first if asked) and every API call; records requests."""

    def __init__(self, *, throttled_first: bool = False) -> None:
        self.requests: list[httpx.Request] = []
        self.throttled_first = throttled_first

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/auth/oauth/token":
            if self.throttled_first and len(self.requests) == 1:
                return httpx.Response(429, json={"error": "too_many_requests"})
            return httpx.Response(200, json=TOKEN_BODY)
        if request.url.path == "/me":
            return vendor(200, {"id": "46968690", "login": "seller"})
        return httpx.Response(200, json=[])

    def header(self, name: str) -> set[str]:
        return {r.headers[name] for r in self.requests}

    def timeouts(self) -> list[Any]:
        return [r.extensions.get("timeout") for r in self.requests]


def expired_store() -> MemoryTokenStore:
    store = MemoryTokenStore()
    old = Token("old-access-token-0123456789", NOW - timedelta(hours=1), "old-refresh-0123456789")
    store.save("allegro", "46968690", old)
    return store


def refresh_through_oauth(recorder: Recorder, sleeps: list[float]) -> None:
    with AllegroOAuth(
        APP, http_client=httpx.Client(transport=httpx.MockTransport(recorder)), sleep=sleeps.append
    ) as oauth:
        oauth.refresh("a-refresh-token-0123456789")


def refresh_inside_the_client(recorder: Recorder, sleeps: list[float]) -> None:
    waited = FakeClock()  # the rate gate counts the time the sleeps pass
    with AllegroClient(
        app=APP,
        account="46968690",
        token_store=expired_store(),
        transport=httpx.MockTransport(recorder),
        sleep=waited.sleep,
        clock=lambda: NOW,
        rate_gate=MemoryRateGate(clock=waited.monotonic),
    ) as client:
        client.get_me()
    sleeps += waited.slept


REFRESHES = [refresh_through_oauth, refresh_inside_the_client]


@pytest.mark.parametrize("refresh", REFRESHES, ids=["oauth", "client"])
def test_token_requests_carry_the_clients_user_agent(refresh: Any) -> None:
    recorder = Recorder()
    refresh(recorder, [])
    with PlentyClient(
        "https://plenty.test",
        access_token="acc-" + "a" * 40,
        transport=httpx.MockTransport(recorder),
    ) as plenty:
        plenty.countries()
    assert recorder.header("user-agent") == {USER_AGENT}
    assert USER_AGENT.startswith("allegro-plenty/")
    assert "+https://" in USER_AGENT


@pytest.mark.parametrize("refresh", REFRESHES, ids=["oauth", "client"])
def test_a_throttled_token_request_waits_as_the_allegro_policy_says(refresh: Any) -> None:
    recorder = Recorder(throttled_first=True)
    sleeps: list[float] = []
    refresh(recorder, sleeps)
    # Allegro sends no Retry-After and lengthens a block for every call made
    # during it: the Allegro policy waits a minute, the generic one a second.
    assert len(sleeps) == 1
    assert ALLEGRO_RETRY.rate_limit_delay <= sleeps[0] <= ALLEGRO_RETRY.max_retry_after


def test_oauth_helpers_use_the_default_timeouts_and_take_others() -> None:
    recorder = Recorder()
    with AllegroOAuth(APP, transport=httpx.MockTransport(recorder)) as oauth:
        oauth.refresh("a-refresh-token-0123456789")
    with AllegroClient(access_token="t" * 20, transport=httpx.MockTransport(recorder)) as client:
        client.get_me()
    short = httpx.Timeout(2.0, connect=1.0)
    with AllegroOAuth(APP, transport=httpx.MockTransport(recorder), timeout=short) as oauth:
        oauth.refresh("a-refresh-token-0123456789")
    assert recorder.timeouts() == [DEFAULT_TIMEOUT.as_dict()] * 2 + [short.as_dict()]


def test_async_oauth_helper_shares_the_settings() -> None:
    recorder = Recorder(throttled_first=True)
    sleeps: list[float] = []

    async def record(seconds: float) -> None:
        sleeps.append(seconds)

    async def main() -> None:
        transport = httpx.MockTransport(recorder)
        async with AsyncAllegroOAuth(APP, transport=transport, sleep=record) as oauth:
            await oauth.refresh("a-refresh-token-0123456789")
        async with AsyncAllegroClient(access_token="t" * 20, transport=transport) as client:
            await client.get_me()

    asyncio.run(main())
    assert recorder.header("user-agent") == {USER_AGENT}
    assert recorder.timeouts()[0] == DEFAULT_TIMEOUT.as_dict()
    assert sleeps[0] >= ALLEGRO_RETRY.rate_limit_delay
