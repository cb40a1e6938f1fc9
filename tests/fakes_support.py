"""Helpers for the tests of ``allegro_plenty.testing``: spec checks of fake traffic, clients.

Every response a fake returns in the suite is validated against the official
spec (see the ``checked`` fixture in ``conftest.py``); known spec defects are
excused only through ``tests/spec_deviations.py``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from allegro_plenty.allegro import MemoryRateGate, rate_gate
from allegro_plenty.allegro.client import AllegroClient, AsyncAllegroClient
from allegro_plenty.plenty.client import AsyncPlentyClient, PlentyClient
from allegro_plenty.testing import FakeAllegro, FakeClock, FakePlenty, FakeService, RecordedCall
from allegro_plenty.tokens import MemoryTokenStore

from .specs import ALLEGRO_SPEC, PLENTY_HOST, PLENTY_SPEC, response_errors, unexcused

ALLEGRO_HOST = "https://api.allegro.pl"
MODES = ("transport", "http")
"""How a test reaches a fake: an httpx transport, or real HTTP on loopback."""


def _service(fake: FakeService) -> str:
    return "allegro" if isinstance(fake, FakeAllegro) else "plenty"


def _as_httpx(call: RecordedCall, host: str) -> tuple[httpx.Request, httpx.Response]:
    assert call.response is not None
    request = httpx.Request(
        call.request.method,
        httpx.URL(host + call.request.path, params=call.request.query),
        headers=call.request.headers,
        content=call.request.body,
    )
    response = httpx.Response(
        call.response.status,
        headers=list(call.response.headers),
        content=call.response.body,
        request=request,
    )
    return request, response


def spec_violations(fake: FakeService) -> list[str]:
    """Every response of ``fake`` that breaks the official spec and no deviation excuses.

    OAuth answers are skipped (the token endpoint is not part of the REST
    spec), and so are answers to paths no route serves. Identical answers are
    validated once.
    """
    service = _service(fake)
    host = ALLEGRO_HOST if service == "allegro" else PLENTY_HOST
    seen: set[tuple[Any, ...]] = set()
    found: list[str] = []
    for call in fake.calls():
        if call.response is None or call.route is None or call.route.startswith("POST /auth/"):
            continue
        key = (call.route, call.request.path, call.response.status, call.response.body)
        if key in seen:
            continue
        seen.add(key)
        request, response = _as_httpx(call, host)
        errors = unexcused(
            service, "response", request, response_errors(service, request, response)
        )
        found += [f"{call.route} -> {call.response.status}: {e[:400]}" for e in errors]
    return found


def specs_present() -> bool:
    """Whether ``../shared`` holds both official specs."""
    return ALLEGRO_SPEC.exists() and PLENTY_SPEC.exists()


@contextlib.contextmanager
def reach(fake: FakeService, mode: str) -> Iterator[dict[str, Any]]:
    """Client keyword arguments that reach ``fake`` by ``mode`` (sync clients)."""
    if mode == "transport":
        yield {"transport": fake.transport()}
        return
    with fake.serve() as server:
        yield {"base_url": server.url}


@contextlib.contextmanager
def reach_async(fake: FakeService, mode: str) -> Iterator[dict[str, Any]]:
    """Client keyword arguments that reach ``fake`` by ``mode`` (async clients)."""
    if mode == "transport":
        yield {"transport": fake.async_transport()}
        return
    with fake.serve() as server:
        yield {"base_url": server.url}


def fake_time_gate(fake: FakeAllegro, clock: FakeClock) -> MemoryRateGate:
    """The process-wide rate gate of the fake's application, counting the fake clock's time.

    Seeded into the registry (which ``conftest.py`` empties for every test), so the
    clients of the fake's application share it as they share the real one.
    """
    return rate_gate._GATES.setdefault(fake.client_id, MemoryRateGate(clock=clock.monotonic))


def allegro_client(
    fake: FakeAllegro, clock: FakeClock, via: dict[str, Any], **options: Any
) -> AllegroClient:
    """A blocking AllegroClient for the fake's default seller, token already stored."""
    options.setdefault("rate_gate", fake_time_gate(fake, clock))
    store = options.pop("token_store", None) or MemoryTokenStore()
    seller = options.pop("account", fake.default_seller.id)
    if store.load("allegro", seller) is None:
        store.save("allegro", seller, fake.issue_token(seller))
    return AllegroClient(
        app=fake.app,
        account=seller,
        token_store=store,
        sleep=clock.sleep,
        **_allegro_endpoint(via),
        **options,
    )


def async_allegro_client(
    fake: FakeAllegro, clock: FakeClock, via: dict[str, Any], **options: Any
) -> AsyncAllegroClient:
    """An AsyncAllegroClient for the fake's default seller, token already stored."""
    options.setdefault("rate_gate", fake_time_gate(fake, clock))
    store = options.pop("token_store", None) or MemoryTokenStore()
    seller = options.pop("account", fake.default_seller.id)
    if store.load("allegro", seller) is None:
        store.save("allegro", seller, fake.issue_token(seller))
    return AsyncAllegroClient(
        app=fake.app,
        account=seller,
        token_store=store,
        sleep=clock.async_sleep,
        **_allegro_endpoint(via),
        **options,
    )


def _allegro_endpoint(via: dict[str, Any]) -> dict[str, Any]:
    if "base_url" not in via:
        return via
    from allegro_plenty.allegro.auth import PRODUCTION

    # The OAuth host is another host in production; the fake serves both.
    return {"environment": PRODUCTION.with_base_url(via["base_url"], via["base_url"])}


def plenty_client(
    fake: FakePlenty, clock: FakeClock, via: dict[str, Any], **options: Any
) -> PlentyClient:
    """A blocking PlentyClient logged in as the fake's user, on the fake's clock."""
    base_url = via.get("base_url", PLENTY_HOST)
    return PlentyClient(
        base_url,
        username=fake.username,
        password=fake.password,
        token_store=options.pop("token_store", None) or MemoryTokenStore(),
        transport=via.get("transport"),
        monotonic=clock.monotonic,
        clock=clock.now,
        **{"sleep": clock.sleep, "strict": True, **options},
    )


def async_plenty_client(
    fake: FakePlenty, clock: FakeClock, via: dict[str, Any], **options: Any
) -> AsyncPlentyClient:
    """An AsyncPlentyClient logged in as the fake's user, on the fake's clock."""
    base_url = via.get("base_url", PLENTY_HOST)
    return AsyncPlentyClient(
        base_url,
        username=fake.username,
        password=fake.password,
        token_store=options.pop("token_store", None) or MemoryTokenStore(),
        transport=via.get("transport"),
        sleep=clock.async_sleep,
        monotonic=clock.monotonic,
        clock=clock.now,
        **{"strict": True, **options},
    )


Checked = Callable[[Any], Any]
"""The ``checked`` fixture: registers a fake whose traffic must fit the spec."""
