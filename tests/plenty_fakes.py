"""Helpers for the plenty client tests: a scripted fake server and a sync/async caller."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from allegro_plenty.plenty import AsyncPlentyClient, PlentyClient
from allegro_plenty.tokens import MemoryTokenStore, TokenStore

from .specs import PLENTY_HOST

ACCESS = "acc-" + "a" * 40
REFRESH = "ref-" + "r" * 40
PASSWORD = "pw-Secret-1234567"
USERNAME = "api-user"

Reply = httpx.Response | Callable[[httpx.Request], httpx.Response]


def token_body(access: str = ACCESS, refresh: str = REFRESH, *, camel: bool = False) -> Any:
    """A login answer in either key spelling."""
    if camel:
        return {"accessToken": access, "tokenType": "Bearer", "expiresIn": 86400,
                "refreshToken": refresh}  # fmt: skip
    return {"access_token": access, "token_type": "Bearer", "expires_in": 86400,
            "refresh_token": refresh}  # fmt: skip


class FakePlenty:
    """Answers scripted routes; logs in every request; ``/rest/login`` works by default."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], list[Reply]] = {}
        self.requests: list[httpx.Request] = []

    def on(self, method: str, path: str, *replies: Reply | Any) -> FakePlenty:
        """Queue answers for a route; a non-Response value is sent as a 200 JSON body.

        The last answer repeats.
        """
        self.routes[(method, path)] = [
            r if isinstance(r, httpx.Response) or callable(r) else httpx.Response(200, json=r)
            for r in replies
        ]
        return self

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        key = (request.method, request.url.path)
        if key not in self.routes and key == ("POST", "/rest/login"):
            return httpx.Response(200, json=token_body())
        queue = self.routes.get(key)
        if not queue:
            return httpx.Response(404, json={"error": {"message": f"no route {key}", "code": 0}})
        reply = queue.pop(0) if len(queue) > 1 else queue[0]
        return reply(request) if callable(reply) else reply

    def calls(self, method: str, path: str) -> list[httpx.Request]:
        """The requests sent to one route."""
        return [r for r in self.requests if (r.method, r.url.path) == (method, path)]

    def only(self, method: str, path: str) -> httpx.Request:
        """The single request sent to a route."""
        found = self.calls(method, path)
        assert len(found) == 1, f"{len(found)} requests to {method} {path}"
        return found[0]


def body(request: httpx.Request) -> Any:
    """The JSON body of a request."""
    return json.loads(request.content)


def query(request: httpx.Request) -> dict[str, str]:
    """The query parameters of a request (last value wins)."""
    return dict(request.url.params)


def client_kwargs(**overrides: Any) -> dict[str, Any]:
    """Constructor arguments shared by the tests."""
    kwargs: dict[str, Any] = {
        "username": USERNAME,
        "password": PASSWORD,
        "token_store": MemoryTokenStore(),
        "strict": True,
    }
    kwargs.update(overrides)
    return kwargs


def call(
    mode: str,
    transport: httpx.MockTransport,
    name: str,
    *args: Any,
    store: TokenStore | None = None,
    client_options: dict[str, Any] | None = None,
    **kwargs: Any,
) -> Any:
    """Call client method ``name`` on a fresh sync or async client; drain iterators."""
    options = client_kwargs(**(client_options or {}))
    if store is not None:
        options["token_store"] = store
    if mode == "sync":

        def no_sleep(seconds: float) -> None:
            return None

        with PlentyClient(PLENTY_HOST, transport=transport, sleep=no_sleep, **options) as client:
            result = getattr(client, name)(*args, **kwargs)
            return list(result) if isinstance(result, Iterator) else result

    async def run() -> Any:
        async def no_sleep(seconds: float) -> None:
            return None

        async with AsyncPlentyClient(
            PLENTY_HOST, transport=transport, sleep=no_sleep, **options
        ) as client:
            result = getattr(client, name)(*args, **kwargs)
            if hasattr(result, "__aiter__"):
                return [entry async for entry in result]
            return await result

    return asyncio.run(run())


MODES = ("sync", "async")
