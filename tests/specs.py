"""Validating traffic against the official OpenAPI specs in ``../shared/specs``.

The specs are data owned by the vendors; they are read from ``../shared`` and
never copied into the project. Where they are absent, tests that need them skip.

openapi-core ignores bodies whose media type it cannot deserialize, so Allegro's
``application/vnd.allegro.public.v1+json`` gets a JSON deserializer registered:
without it any body would pass (``test_spec_validator_is_live`` proves it works).
openapi-core also accepts undeclared query parameters; :func:`request_errors`
reports those as well.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from .spec_deviations import DEVIATIONS, Deviation

SHARED = Path(
    os.environ.get("ALLEGRO_PLENTY_SHARED", Path(__file__).resolve().parents[2] / "shared")
)
ALLEGRO_SPEC = SHARED / "specs" / "allegro" / "openapi.yaml"
PLENTY_SPEC = SHARED / "specs" / "plentymarkets" / "openApiV3.min.json"

ALLEGRO_MEDIA_TYPE = "application/vnd.allegro.public.v1+json"
PLENTY_HOST = "https://plenty.test"
"""The host tests give the plenty client; the spec's ``servers`` is rewritten to it."""


def _json(value: bytes | str) -> Any:
    return json.loads(value)


def require(path: Path) -> None:
    """Skip the calling test, with a clear reason, where a spec is absent."""
    if not path.exists():
        pytest.skip(f"official spec not found at {path} (../shared is absent in this checkout)")


@lru_cache(maxsize=1)
def allegro_spec_dict() -> dict[str, Any]:
    import yaml

    require(ALLEGRO_SPEC)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with ALLEGRO_SPEC.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=loader)  # noqa: S506 - a safe loader


@lru_cache(maxsize=1)
def plenty_spec_dict() -> dict[str, Any]:
    require(PLENTY_SPEC)
    data = json.loads(PLENTY_SPEC.read_text(encoding="utf-8"))
    data["servers"] = [{"url": PLENTY_HOST}]
    # Most plenty answers are declared with ``content: {}`` (no media type at all);
    # openapi-core would refuse every answer to them, with or without a body.
    # Without the empty map they mean what the spec's authors meant: "not described".
    for path_item in data["paths"].values():
        for operation in path_item.values():
            for response in (
                (operation.get("responses") or {}).values() if isinstance(operation, dict) else ()
            ):
                if response.get("content") == {}:
                    del response["content"]
    return data


def _openapi(data: dict[str, Any], media_types: dict[str, Callable[[Any], Any]]) -> Any:
    from openapi_core import Config, OpenAPI

    config = Config(spec_validator_cls=None, extra_media_type_deserializers=media_types)
    return OpenAPI.from_dict(data, config=config)


@lru_cache(maxsize=1)
def allegro_api() -> Any:
    """The Allegro spec as an openapi-core app (skips where absent)."""
    return _openapi(allegro_spec_dict(), {ALLEGRO_MEDIA_TYPE: _json})


@lru_cache(maxsize=1)
def plenty_api() -> Any:
    """The plentymarkets spec as an openapi-core app (skips where absent).

    plenty declares its responses as ``*/*``; without a deserializer for that
    media type openapi-core would validate the raw bytes, not the JSON.
    """
    return _openapi(plenty_spec_dict(), {"*/*": _json})


class _SpecRequest:
    """An ``httpx.Request`` seen through openapi-core's request protocol."""

    def __init__(self, request: httpx.Request) -> None:
        from openapi_core.datatypes import RequestParameters
        from werkzeug.datastructures import Headers, ImmutableMultiDict

        url = urlsplit(str(request.url))
        self.host_url = f"{url.scheme}://{url.netloc}"
        self.path = url.path
        self.method = request.method.lower()
        self.body: bytes | None = request.content or None
        self.content_type = request.headers.get("content-type", "")
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(parse_qsl(url.query, keep_blank_values=True)),
            header=Headers(dict(request.headers)),
            cookie=ImmutableMultiDict(),
        )


class _SpecResponse:
    def __init__(self, response: httpx.Response) -> None:
        from werkzeug.datastructures import Headers

        self.status_code = response.status_code
        self.content_type = response.headers.get("content-type", "")
        self.headers = Headers(dict(response.headers))
        self.data = response.content


@lru_cache(maxsize=4)
def _templates(service: str) -> tuple[tuple[re.Pattern[str], str], ...]:
    """Path templates as regexes, literal paths first (``/referrers/search`` before ``{id}``)."""
    data = allegro_spec_dict() if service == "allegro" else plenty_spec_dict()
    out = []
    for template in data["paths"]:
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        out.append((re.compile(f"^{pattern}$"), template))
    out.sort(key=lambda pair: pair[1].count("{"))
    return tuple(out)


def spec_template(service: str, request: httpx.Request) -> str | None:
    """The spec path template ``request`` matches, if any."""
    for pattern, template in _templates(service):
        if pattern.match(request.url.path):
            return template
    return None


def declared_query(service: str, method: str, template: str) -> set[str]:
    """Query parameter names the spec declares for an operation."""
    data = allegro_spec_dict() if service == "allegro" else plenty_spec_dict()
    path_item = data["paths"][template]
    params = [
        *path_item.get("parameters", []),
        *path_item.get(method.lower(), {}).get("parameters", []),
    ]
    names = set()
    for param in params:
        if "$ref" in param:
            target: Any = data
            for part in param["$ref"].lstrip("#/").split("/"):
                target = target[part]
            param = target
        if param.get("in") == "query":
            names.add(param["name"])
    return names


def _undeclared_query(service: str, request: httpx.Request) -> list[str]:
    template = spec_template(service, request)
    if template is None:
        return [f"no path in the spec matches {request.url.path}"]
    declared = declared_query(service, request.method, template)
    names = {k for k, _ in parse_qsl(request.url.query.decode(), keep_blank_values=True)}
    return [f"undeclared query parameter {name!r}" for name in sorted(names - declared)]


def request_errors(service: str, request: httpx.Request) -> list[str]:
    """Everything wrong with ``request`` according to the spec (empty when valid)."""
    api = allegro_api() if service == "allegro" else plenty_api()
    errors = [_describe(e) for e in api.iter_request_errors(_SpecRequest(request))]
    return errors + _undeclared_query(service, request)


def response_errors(service: str, request: httpx.Request, response: httpx.Response) -> list[str]:
    """Everything wrong with ``response`` (to ``request``) according to the spec."""
    api = allegro_api() if service == "allegro" else plenty_api()
    return [
        _describe(e)
        for e in api.iter_response_errors(_SpecRequest(request), _SpecResponse(response))
    ]


def _describe(error: BaseException) -> str:
    parts = [str(error)]
    cause = error.__cause__
    while cause is not None:
        parts.append(str(cause))
        parts.extend(
            f"{list(sub.absolute_path)}: {sub.message}"
            for sub in getattr(cause, "schema_errors", ()) or ()
        )
        cause = cause.__cause__
    return " | ".join(parts)


def unexcused(service: str, kind: str, request: httpx.Request, errors: Iterable[str]) -> list[str]:
    """``errors`` minus those a listed deviation in ``spec_deviations`` explains."""
    return [e for e in errors if not any(d.explains(service, kind, request, e) for d in DEVIATIONS)]


class SpecCheckedTransport(httpx.MockTransport):
    """A MockTransport that validates every request (and optionally response).

    Violations not explained by ``tests/spec_deviations.py`` are collected in
    :attr:`violations`; the ``spec_checked`` fixture fails the test on any.
    Where the spec is absent (a clone without ``../shared``) it checks nothing
    and the test still exercises the client; tests whose point is the spec
    itself call :func:`require` and skip.
    """

    def __init__(
        self,
        service: str,
        handler: Callable[[httpx.Request], httpx.Response],
        *,
        check_responses: bool = False,
    ) -> None:
        self.service = service
        self.enabled = (ALLEGRO_SPEC if service == "allegro" else PLENTY_SPEC).exists()
        self.check_responses = check_responses and self.enabled
        self.violations: list[str] = []
        self.requests: list[httpx.Request] = []
        super().__init__(self._handle)
        self._inner = handler

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self._check(request)
        response = self._inner(request)
        if self.check_responses and not self._is_oauth(request):
            response.read()
            found = unexcused(
                self.service, "response", request, response_errors(self.service, request, response)
            )
            self.violations += [f"{request.method} {request.url.path} response: {e}" for e in found]
        return response

    def _check(self, request: httpx.Request) -> None:
        if not self.enabled or self._is_oauth(request):
            return
        found = unexcused(self.service, "request", request, request_errors(self.service, request))
        self.violations += [f"{request.method} {request.url} request: {e}" for e in found]

    def _is_oauth(self, request: httpx.Request) -> bool:
        # The OAuth endpoints live outside the REST spec (allegro.pl/auth/oauth/*).
        return request.url.path.startswith("/auth/oauth/")


__all__ = [
    "ALLEGRO_MEDIA_TYPE",
    "ALLEGRO_SPEC",
    "PLENTY_HOST",
    "PLENTY_SPEC",
    "Deviation",
    "SpecCheckedTransport",
    "allegro_api",
    "declared_query",
    "plenty_api",
    "request_errors",
    "require",
    "response_errors",
    "spec_template",
    "unexcused",
]
