"""The HTTP core knows no service: each service speaks to it through the Service protocol.

A third, made-up service here uses the two hooks the core offers: ``may_retry``
(veto a retry the policy would allow) and an operation's own ``read_error``.
"""

from __future__ import annotations

import ast
import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

import allegro_plenty._http as http_core
from allegro_plenty._convert import make_converter
from allegro_plenty._http.engine import AsyncEngine, EngineConfig, SyncEngine
from allegro_plenty._http.operation import Operation, Retry, no_content
from allegro_plenty._http.retry import RetryPolicy
from allegro_plenty._http.status import status_error
from allegro_plenty.errors import APIStatusError, OAuthError, RateLimitError
from allegro_plenty.testing import FakeClock


class Refused(RateLimitError):
    """This service's 429 that waiting does not cure."""


class MadeUpService:
    name = "made-up"

    def request_id(self, response: httpx.Response) -> str | None:
        return None

    def error_for(self, response: httpx.Response, operation: Operation[Any], url: str) -> Exception:
        cls = Refused if response.headers.get("x-final") else None
        return status_error(
            service=self.name,
            response=response,
            operation=operation,
            url=url,
            request_id=None,
            errors=(),
            body=None,
            cls=cls,
        )

    def before_send(self, operation: Operation[Any]) -> float:
        return 0.0

    def after_response(self, operation: Operation[Any], response: httpx.Response) -> None:
        return None

    def may_retry(self, error: Exception) -> bool:
        return not isinstance(error, Refused)


def run(mode: str, operation: Operation[Any], handler: Any) -> None:
    """Run ``operation`` through the sync or async engine against ``handler``."""
    config = EngineConfig(
        service=MadeUpService(),
        base_url="https://made-up.example",
        converter=make_converter(),
        retry=RetryPolicy(max_retries=3, rate_limit_delay=0.0),
        headers={},
    )
    clock = FakeClock()
    if mode == "sync":
        with httpx.Client(transport=httpx.MockTransport(handler)) as client:
            SyncEngine(config, client, None, sleep=clock.sleep).run(operation)
        return

    async def main() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            await AsyncEngine(config, client, None, sleep=clock.async_sleep).run(operation)

    asyncio.run(main())


def operation(**kwargs: Any) -> Operation[None]:
    settings: dict[str, Any] = {
        "name": "poke",
        "method": "GET",
        "path": "/poke",
        "parse": no_content,
        "retry": Retry.ALWAYS,
        "authenticated": False,
        **kwargs,
    }
    return Operation(**settings)


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_the_veto_stops_after_one_attempt_and_its_absence_retries(mode: str) -> None:
    answers = iter([httpx.Response(429, headers={"x-final": "1"})])
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return next(answers, httpx.Response(204))

    with pytest.raises(Refused):
        run(mode, operation(), handler)
    assert len(sent) == 1

    answers = iter([httpx.Response(429)])
    sent.clear()
    run(mode, operation(), handler)  # without the veto the policy retries, and it succeeds
    assert len(sent) == 2


def test_an_operation_reads_its_own_errors_first(mode: str) -> None:
    seen: list[tuple[str, ...]] = []

    def oauth_style(response: httpx.Response, secrets: tuple[str, ...]) -> Exception | None:
        seen.append(secrets)
        body = response.json()
        if "error" not in body:
            return None  # not ours: the service reads it
        return OAuthError(body["error"], None, response.status_code)

    own = operation(read_error=oauth_style, retry=Retry.NEVER, secrets=("s3cret-value",))
    with pytest.raises(OAuthError):
        run(mode, own, lambda r: httpx.Response(400, json={"error": "invalid_grant"}))
    assert seen == [("s3cret-value",)]
    with pytest.raises(APIStatusError):
        run(mode, own, lambda r: httpx.Response(400, json={"message": "plain"}))


def test_the_core_imports_no_service() -> None:
    for path in Path(http_core.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                module = "." * node.level + (node.module or "")
                assert not module.lstrip(".").startswith(("allegro", "plenty")), path.name
                assert "allegro_plenty.allegro" not in module, path.name
                assert "allegro_plenty.plenty" not in module, path.name
            if isinstance(node, ast.Name | ast.Attribute):
                name = node.id if isinstance(node, ast.Name) else node.attr
                assert name != "TooManySessionsError", path.name
