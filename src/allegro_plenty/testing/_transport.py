"""The request-handling core every fake shares, and its two httpx transports.

A fake is a :class:`FakeService`: a table of routes, state behind one lock,
fault injection and a record of every call. :meth:`FakeService.handle` takes a
transport-neutral :class:`FakeRequest` and returns either a
:class:`FakeResponse` or a :class:`Drop` (no answer: a reset or a timeout).
:class:`SyncFakeTransport` and :class:`AsyncFakeTransport` turn that into
httpx behaviour; the loopback server in :mod:`._server` turns it into socket
behaviour. Both paths run the same code, so a test can switch between them.
"""

from __future__ import annotations

import asyncio
import fnmatch
import json
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote

import attrs
import httpx

from ._clock import Clock, SystemClock
from ._resources import declared_routes
from .faults import Fault, FaultKind, Faults

if TYPE_CHECKING:
    from ._server import FakeServer

__all__ = [
    "AsyncFakeTransport",
    "Drop",
    "Exchange",
    "FakeRequest",
    "FakeResponse",
    "FakeService",
    "RecordedCall",
    "Refusal",
    "Route",
    "SyncFakeTransport",
]

Shape = Mapping[str, Any] | Sequence[Any] | None
"""An allow-list for a JSON body: a mapping of allowed keys to the shape of
their value, ``[shape]`` for a list of such items, ``None`` for any value."""


@attrs.frozen
class FakeRequest:
    """A request as the fakes see it, whatever carried it.

    Attributes:
        method: The HTTP method, upper case.
        path: The path, still percent-encoded (ids may contain ``/``).
        query: Query parameters in order, decoded; keys may repeat.
        headers: The request headers.
        body: The raw body.
    """

    method: str
    path: str
    query: tuple[tuple[str, str], ...] = ()
    headers: httpx.Headers = attrs.field(factory=httpx.Headers)
    body: bytes = b""

    @classmethod
    def from_target(
        cls, method: str, target: str, headers: Iterable[tuple[str, str]], body: bytes
    ) -> FakeRequest:
        """Build from a raw request target (``/path?query``)."""
        path, _, raw_query = target.partition("?")
        return cls(
            method=method.upper(),
            path=path,
            query=tuple(parse_qsl(raw_query, keep_blank_values=True)),
            headers=httpx.Headers(list(headers)),
            body=body,
        )

    @classmethod
    def from_httpx(cls, request: httpx.Request, body: bytes) -> FakeRequest:
        """Build from an httpx request whose body has been read."""
        return cls.from_target(
            request.method,
            request.url.raw_path.decode("ascii"),
            request.headers.multi_items(),
            body,
        )

    def param(self, name: str) -> str | None:
        """The last value of query parameter ``name``."""
        values = self.params(name)
        return values[-1] if values else None

    def params(self, name: str) -> list[str]:
        """Every value of query parameter ``name``, in order."""
        return [v for k, v in self.query if k == name]

    @property
    def content_type(self) -> str:
        """The media type of the body, without parameters."""
        return str(self.headers.get("content-type", "")).split(";")[0].strip().lower()


@attrs.frozen
class FakeResponse:
    """An answer of a fake."""

    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    def json(self) -> Any:
        """The body parsed as JSON (decimals as :class:`~decimal.Decimal`)."""
        return json.loads(self.body, parse_float=Decimal) if self.body else None

    def with_headers(self, extra: Iterable[tuple[str, str]]) -> FakeResponse:
        """A copy with ``extra`` headers appended."""
        return attrs.evolve(self, headers=(*self.headers, *extra))

    def header(self, name: str) -> str | None:
        """The first header called ``name`` (case-insensitive)."""
        lowered = name.lower()
        return next((v for k, v in self.headers if k.lower() == lowered), None)


@attrs.frozen
class Drop:
    """No answer at all: the connection is reset, or the client times out."""

    kind: FaultKind


Outcome = FakeResponse | Drop


@attrs.frozen
class RecordedCall:
    """One request a fake received, and what became of it.

    Attributes:
        route: The route name (``"POST /rest/orders"``), or ``None`` if no
            route matched.
        request: The request.
        response: What the fake answered (for a committed request whose answer
            was lost, the answer it would have sent); ``None`` if nothing was
            processed and nothing was answered.
        fault: The injected fault, if any.
        at: The fake's time when the request arrived.
        delivered: Whether ``response`` reached the client.
    """

    route: str | None
    request: FakeRequest
    response: FakeResponse | None
    fault: Fault | None
    at: datetime
    delivered: bool

    @property
    def status(self) -> int | None:
        """The status the client saw, or ``None`` if it saw none."""
        return self.response.status if self.delivered and self.response is not None else None

    @property
    def committed(self) -> bool:
        """Whether the fake processed the request (it may still have refused it)."""
        return self.response is not None and (self.fault is None or self.fault.commits)

    def json(self) -> Any:
        """The request body parsed as JSON."""
        return json.loads(self.request.body, parse_float=Decimal) if self.request.body else None


class Refusal(Exception):
    """Raised by route handlers to answer with an error in the service's format."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        path: str | None = None,
        headers: Sequence[tuple[str, str]] = (),
        body: Any = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.path = path
        self.headers = tuple(headers)
        self.body = body
        """A complete body to send instead of the service's error envelope."""


@attrs.define
class Exchange:
    """What a route handler gets: the request, the path values, and who is calling."""

    request: FakeRequest
    route: Route
    path_params: dict[str, str]
    principal: Any = None
    """What the service's authentication resolved (a seller, a session)."""
    headers: list[tuple[str, str]] = attrs.field(factory=list)
    """Headers to add to whatever the answer is (rate-limit headers)."""
    _json: Any = attrs.field(default=None, alias="_json")
    _parsed: bool = attrs.field(default=False, alias="_parsed")

    def json(self) -> Any:
        """The JSON body (decimals as :class:`~decimal.Decimal`); ``None`` when empty."""
        if not self._parsed:
            self._json = _parse_body(self.request)
            self._parsed = True
        return self._json

    def param(self, name: str) -> str | None:
        """The last value of query parameter ``name``."""
        return self.request.param(name)


def _parse_body(request: FakeRequest) -> Any:
    if not request.body:
        return None
    if request.content_type == "application/x-www-form-urlencoded":
        return dict(parse_qsl(request.body.decode("utf-8"), keep_blank_values=True))
    try:
        return json.loads(request.body, parse_float=Decimal)
    except ValueError:
        raise Refusal(400, "VALIDATION_ERROR", "the request body is not valid JSON") from None


Handler = Callable[[Exchange], FakeResponse]


@attrs.frozen
class Route:
    """One endpoint of a fake.

    Attributes:
        method: HTTP method.
        template: The path template, as the official spec writes it.
        handler: Produces the answer.
        query: The query parameters the route accepts (shell patterns allowed,
            ``"orderProperty_*"``); anything else is answered with 400.
        body: The allow-list of JSON body keys (see ``Shape``); ``None`` when
            the route takes no JSON body.
        access: What the fake's admission check needs to know about the route
            (a scope, "no token needed"); each fake defines its own.
        name: ``"METHOD template"``; what fault rules and call records use.
    """

    method: str
    template: str
    handler: Handler
    query: frozenset[str] = frozenset()
    body: Shape = None
    form: bool = False
    """The route takes a form-encoded body (OAuth) instead of JSON."""
    access: Any = None
    raw: str | None = None
    """The media type of a body that is not JSON (a PDF), which the handler reads."""
    pattern: re.Pattern[str] = attrs.field(init=False)
    name: str = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        regex = re.sub(r"\\\{([A-Za-z_]\w*)\\\}", r"(?P<\1>[^/]+)", re.escape(self.template))
        object.__setattr__(self, "pattern", re.compile(f"^{regex}$"))
        object.__setattr__(self, "name", f"{self.method} {self.template}")

    def match(self, method: str, path: str) -> dict[str, str] | None:
        """The path values if this route serves ``method path``."""
        if method != self.method:
            return None
        found = self.pattern.match(path)
        return None if found is None else {k: unquote(v) for k, v in found.groupdict().items()}

    def unknown_query(self, request: FakeRequest) -> list[str]:
        """Query parameter names outside the allow-list."""
        names = dict.fromkeys(k for k, _ in request.query)
        return [n for n in names if not any(fnmatch.fnmatchcase(n, p) for p in self.query)]


def unknown_keys(value: Any, shape: Shape, where: str = "") -> list[str]:
    """JSON paths in ``value`` whose keys are outside the allow-list ``shape``."""
    if shape is None:
        return []
    if isinstance(shape, Mapping):
        if not isinstance(value, Mapping):
            return []
        out: list[str] = []
        for key, item in value.items():
            path = f"{where}.{key}" if where else str(key)
            if key not in shape:
                out.append(path)
            else:
                out.extend(unknown_keys(item, shape[key], path))
        return out
    if isinstance(value, list):
        return [
            p for i, item in enumerate(value) for p in unknown_keys(item, shape[0], f"{where}[{i}]")
        ]
    return []


def json_response(status: int, data: Any, headers: Sequence[tuple[str, str]] = ()) -> FakeResponse:
    """A JSON answer; ``Decimal`` values become JSON numbers without float rounding."""
    return FakeResponse(status, tuple(headers), dumps(data))


def dumps(data: Any) -> bytes:
    """JSON-encode, writing :class:`~decimal.Decimal` as an exact JSON number."""
    return json.dumps(_plain(data), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _plain(data: Any) -> Any:
    if isinstance(data, Decimal):
        # Money has at most a few decimals: the shortest float repr is its exact text.
        return int(data) if data == data.to_integral_value() else float(data)
    if isinstance(data, Mapping):
        return {str(k): _plain(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_plain(v) for v in data]
    return data


class FakeService:
    """The base of :class:`~allegro_plenty.testing.FakeAllegro` and ``FakePlenty``.

    Subclasses register routes (usually whole resources, whose handlers
    declare their routes with :func:`~._resources.route`) and implement the
    service's conventions (authentication, error format, headers). The base does routing, the
    allow-list checks, fault injection and recording, all under one lock, so a
    fake serves any number of threads (and, through the loopback server,
    processes) consistently.
    """

    service_name = "fake"

    def __init__(self, *, clock: Clock | None = None, seed: int = 0) -> None:
        self.clock: Clock = clock or SystemClock()
        self.faults = Faults(seed)
        self.lock = threading.RLock()
        """Held while a request is handled; hold it to read or seed state atomically."""
        self._routes: list[Route] = []
        self._calls: list[RecordedCall] = []

    # --- subclass hooks ----------------------------------------------------------

    def render_error(self, refusal: Refusal, exchange: Exchange | None) -> FakeResponse:
        """The service's error envelope for ``refusal``."""
        raise NotImplementedError

    def admit(self, exchange: Exchange) -> None:
        """Authenticate and rate-limit before the handler; raise Refusal to refuse."""

    def fault_response(self, fault: Fault, exchange: Exchange) -> FakeResponse:
        """The answer for an injected server error or 429."""
        if fault.outcome is FaultKind.RATE_LIMITED:
            return self.render_error(
                Refusal(429, "TOO_MANY_REQUESTS", "Too many requests"), exchange
            )
        return self.render_error(
            Refusal(fault.status, "INTERNAL_SERVER_ERROR", "Internal server error"), exchange
        )

    def decorate(self, response: FakeResponse, exchange: Exchange | None) -> FakeResponse:
        """Add the headers the service puts on every answer."""
        return response

    # --- routing -----------------------------------------------------------------

    def add_route(
        self,
        method: str,
        template: str,
        handler: Handler,
        *,
        query: Iterable[str] = (),
        body: Shape = None,
        form: bool = False,
        access: Any = None,
        raw: str | None = None,
    ) -> Route:
        """Register an endpoint (literal paths win over templated ones)."""
        route = Route(method, template, handler, frozenset(query), body, form, access, raw)
        self._routes.append(route)
        self._routes.sort(key=lambda r: r.template.count("{"))
        return route

    def add_resource(self, resource: object) -> None:
        """Register every handler of ``resource`` marked with :func:`~._resources.route`."""
        for mark, handler in declared_routes(resource):
            self.add_route(
                mark.method,
                mark.template,
                handler,
                query=mark.query,
                body=mark.body,
                form=mark.form,
                access=mark.access,
                raw=mark.raw,
            )

    @property
    def routes(self) -> tuple[Route, ...]:
        """Every route this fake serves."""
        return tuple(self._routes)

    def _route_for(self, request: FakeRequest) -> tuple[Route, dict[str, str]] | None:
        for route in self._routes:
            params = route.match(request.method, request.path)
            if params is not None:
                return route, params
        return None

    # --- handling ----------------------------------------------------------------

    def handle(self, request: FakeRequest) -> Outcome:
        """Answer one request: route, inject faults, check, handle, record."""
        with self.lock:
            at = self.clock.now()
            found = self._route_for(request)
            if found is None:
                response = self.decorate(
                    self.render_error(
                        Refusal(
                            404, "NOT_FOUND", f"no such endpoint: {request.method} {request.path}"
                        ),
                        None,
                    ),
                    None,
                )
                self._calls.append(RecordedCall(None, request, response, None, at, True))
                return response
            route, params = found
            exchange = Exchange(request, route, params)
            fault = self.faults.pick(route.name)
            if fault is not None and not fault.commits:
                outcome = self._fault_outcome(fault, exchange)
                answered = outcome if isinstance(outcome, FakeResponse) else None
                self._calls.append(
                    RecordedCall(route.name, request, answered, fault, at, answered is not None)
                )
                return outcome
            response = self._process(exchange)
            if fault is not None:
                lost = self._fault_outcome(fault, exchange)
                self._calls.append(RecordedCall(route.name, request, response, fault, at, False))
                return lost
            self._calls.append(RecordedCall(route.name, request, response, None, at, True))
            return response

    def _fault_outcome(self, fault: Fault, exchange: Exchange) -> Outcome:
        outcome = fault.outcome
        if outcome in (FaultKind.TIMEOUT, FaultKind.RESET):
            return Drop(outcome)
        return self.decorate(self.fault_response(fault, exchange), exchange)

    def _process(self, exchange: Exchange) -> FakeResponse:
        route, request = exchange.route, exchange.request
        try:
            self.admit(exchange)
            unknown = route.unknown_query(request)
            if unknown:
                raise Refusal(
                    400,
                    "VALIDATION_ERROR",
                    f"unknown query parameter(s) for {route.name}: {', '.join(unknown)}",
                    path=unknown[0],
                )
            self._check_body(exchange)
            response = route.handler(exchange)
        except Refusal as refusal:
            response = self.render_error(refusal, exchange)
        return self.decorate(response.with_headers(exchange.headers), exchange)

    def _check_body(self, exchange: Exchange) -> None:
        route, request = exchange.route, exchange.request
        if route.form:
            return
        if route.raw is not None:
            if request.body and request.content_type != route.raw:
                raise Refusal(
                    415, "UNSUPPORTED_MEDIA_TYPE", f"{route.name} takes {route.raw}, not JSON"
                )
            return
        if route.body is None:
            if request.body.strip():
                raise Refusal(400, "VALIDATION_ERROR", f"{route.name} takes no request body")
            return
        body = exchange.json()
        if body is None:
            return
        expected = dict if isinstance(route.body, Mapping) else list
        if not isinstance(body, expected):
            raise Refusal(400, "VALIDATION_ERROR", f"the body must be a JSON {expected.__name__}")
        unknown = unknown_keys(body, route.body)
        if unknown:
            raise Refusal(
                400,
                "VALIDATION_ERROR",
                f"unknown body key(s) for {route.name}: {', '.join(unknown)}",
                path=unknown[0],
            )

    # --- inspection --------------------------------------------------------------

    def calls(self, route: str | None = None) -> list[RecordedCall]:
        """Recorded calls, oldest first; only those of ``route`` (a name or pattern) if given."""
        with self.lock:
            if route is None:
                return list(self._calls)
            return [
                c
                for c in self._calls
                if c.route is not None and (c.route == route or fnmatch.fnmatchcase(c.route, route))
            ]

    def call_count(self, route: str | None = None) -> int:
        """How many requests arrived (on ``route``, if given)."""
        return len(self.calls(route))

    def clear_calls(self) -> None:
        """Forget the recorded calls (state is kept)."""
        with self.lock:
            self._calls.clear()

    # --- transports --------------------------------------------------------------

    def transport(self) -> SyncFakeTransport:
        """An ``httpx`` transport for a blocking client, serving this fake."""
        return SyncFakeTransport(self)

    def async_transport(self) -> AsyncFakeTransport:
        """An ``httpx`` transport for an async client, serving this fake."""
        return AsyncFakeTransport(self)

    def serve(self, *, host: str = "127.0.0.1", port: int = 0) -> FakeServer:
        """Serve this fake over HTTP on loopback; use the result as a context manager."""
        from ._server import FakeServer

        return FakeServer(self, host=host, port=port)


def _to_httpx(outcome: Outcome, request: httpx.Request) -> httpx.Response:
    if isinstance(outcome, Drop):
        if outcome.kind is FaultKind.TIMEOUT:
            raise httpx.ReadTimeout("fake: no answer before the read timeout", request=request)
        raise httpx.ReadError("fake: [Errno 104] Connection reset by peer", request=request)
    return httpx.Response(
        outcome.status, headers=list(outcome.headers), content=outcome.body, request=request
    )


class SyncFakeTransport(httpx.BaseTransport):
    """Serves a fake to an ``httpx.Client``: ``httpx.Client(transport=fake.transport())``."""

    def __init__(self, fake: FakeService) -> None:
        self.fake = fake

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Hand the request to the fake; a dropped answer raises like a real network."""
        body = request.read()
        return _to_httpx(self.fake.handle(FakeRequest.from_httpx(request, body)), request)


class AsyncFakeTransport(httpx.AsyncBaseTransport):
    """Serves a fake to an ``httpx.AsyncClient``."""

    def __init__(self, fake: FakeService) -> None:
        self.fake = fake

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Hand the request to the fake; a dropped answer raises like a real network."""
        body = await request.aread()
        # A network round trip gives the loop back; so does this, so the caller's work
        # between two requests is one callback, as it is in production.
        await asyncio.sleep(0)
        return _to_httpx(self.fake.handle(FakeRequest.from_httpx(request, body)), request)
