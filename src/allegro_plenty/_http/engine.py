"""Sending operations: retries, token renewal, error mapping, throttling hooks.

The whole exchange is written once, as a generator that *yields* what it needs
done (send this request, sleep this long, give me a token) and receives the
outcome. :class:`SyncEngine` and :class:`AsyncEngine` are the two drivers; the
only lines that differ between them are the ones that do I/O.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable, Generator, Mapping
from typing import Any, Protocol, TypeVar

import attrs
import cattrs
import httpx

from ..errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    InvalidRequestError,
    OAuthError,
    ResponseValidationError,
)
from .operation import BodyMismatch, Operation
from .redact import redact_url, scrub
from .retry import NOT_SENT, RetryEvent, RetryPolicy, parse_retry_after

__all__ = [
    "AsyncAuth",
    "AsyncEngine",
    "EngineConfig",
    "Service",
    "SyncAuth",
    "SyncEngine",
]

T = TypeVar("T")
log = logging.getLogger("allegro_plenty.http")


class Service(Protocol):
    """What differs between Allegro and plentymarkets at the HTTP level."""

    name: str

    def request_id(self, response: httpx.Response) -> str | None:
        """The service's id of this response, for support tickets."""
        ...

    def error_for(self, response: httpx.Response, operation: Operation[Any], url: str) -> Exception:
        """The exception for a non-2xx answer (``url`` is already redacted).

        Called when the operation's own :attr:`~Operation.read_error` gives none.
        """
        ...

    def may_retry(self, error: Exception) -> bool:
        """Whether re-sending after ``error`` can help at all.

        The retry policy and the operation's retry class decide whether to
        re-send; ``False`` here vetoes it for failures the service knows waiting
        does not cure (plentymarkets' session limit answers 429 too).
        """
        ...

    def before_send(self, operation: Operation[Any]) -> float:
        """Seconds to wait before asking again; 0 to send now.

        The engine sleeps and calls again until it gets 0, so a throttle
        counts a call only when it lets it go.
        """
        ...

    def after_response(self, operation: Operation[Any], response: httpx.Response) -> None:
        """See every response (a throttle reads rate-limit headers here)."""
        ...


class SyncAuth(Protocol):
    """Gives the sync engine an access token."""

    def access_token(self, rejected: str | None) -> str:
        """A usable access token; ``rejected`` is one the service just refused with 401."""
        ...


class AsyncAuth(Protocol):
    """Gives the async engine an access token (a sync provider also qualifies)."""

    def access_token(self, rejected: str | None) -> Awaitable[str] | str:
        """A usable access token; ``rejected`` is one the service just refused with 401."""
        ...


@attrs.frozen
class EngineConfig:
    """Everything the exchange needs besides I/O."""

    service: Service
    base_url: str
    converter: cattrs.Converter
    retry: RetryPolicy
    headers: Mapping[str, str]
    on_retry: Callable[[RetryEvent], None] | None = None
    clock: Callable[[], float] = time.time
    rng: Callable[[], float] = random.random


@attrs.frozen
class _Send:
    request: httpx.Request


@attrs.frozen
class _Sleep:
    seconds: float


@attrs.frozen
class _Authorize:
    rejected: str | None


@attrs.frozen
class _Check:
    """Run the operation's precondition now; it raises to stop the call unsent."""


_Action = _Send | _Sleep | _Authorize | _Check
_Outcome = httpx.Response | httpx.RequestError | str | None


def _build_request(cfg: EngineConfig, op: Operation[Any], token: str | None) -> httpx.Request:
    try:
        return _request(cfg, op, token)
    except httpx.InvalidURL as exc:  # a value too long for a URL: the caller's, nothing sent
        field, value = max([(None, op.path), *op.params], key=lambda pair: len(pair[1]))
        raise InvalidRequestError(f"cannot be sent ({exc})", field=field, value=value) from None


def _request(cfg: EngineConfig, op: Operation[Any], token: str | None) -> httpx.Request:
    headers = dict(cfg.headers)
    headers.update(op.headers)
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    url = op.path if "://" in op.path else cfg.base_url.rstrip("/") + op.path
    if op.content is not None:
        return httpx.Request(op.method, url, params=op.params, headers=headers, content=op.content)
    body = op.json
    if body is not None and attrs.has(type(body)):
        body = cfg.converter.unstructure(body)
    if body is not None:
        content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        headers.setdefault("Content-Type", headers.get("Accept", "application/json"))
        return httpx.Request(op.method, url, params=op.params, headers=headers, content=content)
    return httpx.Request(op.method, url, params=op.params, headers=headers, data=op.form)


def _exchange(cfg: EngineConfig, op: Operation[T]) -> Generator[_Action, _Outcome, T]:
    policy, service = cfg.retry, cfg.service
    token: str | None = None
    if op.authenticated:
        first = yield _Authorize(None)
        assert isinstance(first, str)
        token = first
    attempt = throttled = 0
    renewed = applied_before = False
    while True:
        while (wait := service.before_send(op)) > 0:
            yield _Sleep(wait)
        if op.precondition is not None:
            # After every wait, so a check (a claim's renewal) is as fresh as can be.
            yield _Check()
        request = _build_request(cfg, op, token)
        url = redact_url(str(request.url))
        started = time.monotonic()
        outcome = yield _Send(request)
        assert isinstance(outcome, httpx.Response | httpx.RequestError)
        elapsed = time.monotonic() - started
        error: Exception
        if isinstance(outcome, httpx.Response):
            service.after_response(op, outcome)
            request_id = service.request_id(outcome)
            log.debug(
                "%s %s %s -> %s in %.3fs (request id %s)",
                service.name, op.method, url, outcome.status_code, elapsed, request_id,
            )  # fmt: skip
            if outcome.is_success:
                try:
                    return op.parse(outcome, cfg.converter)
                except BodyMismatch as exc:
                    raise ResponseValidationError(
                        f"{op.name}: unexpected response body: {scrub(exc.reason, op.secrets)}",
                        field_path=exc.field_path,
                        request_id=request_id,
                        service=service.name,
                        method=op.method,
                        url=url,
                        operation=op.name,
                    ) from None
            if outcome.status_code == 401 and op.authenticated and not renewed:
                # The request was refused before it was processed: resending it
                # with a renewed token is safe whatever the retry class.
                renewed = True
                renewal = yield _Authorize(token)
                assert isinstance(renewal, str)
                fresh = renewal
                if fresh != token:
                    token = fresh
                    continue
            sent_secrets = op.secrets if token is None else (*op.secrets, token)
            error = _error_for(service, outcome, attrs.evolve(op, secrets=sent_secrets), url)
        else:
            log.debug("%s %s %s failed: %r", service.name, op.method, url, outcome)
            error = _connection_error(service.name, op, url, outcome)

        if (
            attempt >= policy.max_retries
            or not policy.may_retry(op.retry, outcome)
            or not service.may_retry(error)
        ):
            if applied_before and isinstance(error, APIError | OAuthError):
                error.earlier_attempt_may_have_taken_effect = True
            raise error
        # Retried: whether this attempt may have been applied outlives its error.
        applied_before = applied_before or getattr(error, "may_have_taken_effect", True)
        if isinstance(outcome, httpx.Response):
            retry_after = parse_retry_after(outcome.headers, cfg.clock())
            if outcome.status_code == 429 and retry_after is None:
                retry_after = policy.rate_limit_backoff(throttled, cfg.rng)
            if outcome.status_code == 429:
                throttled += 1
            if retry_after is not None and retry_after > policy.max_retry_after:
                raise error
            delay = retry_after if retry_after is not None else policy.backoff(attempt, cfg.rng)
            reason = str(outcome.status_code)
        else:
            delay = policy.backoff(attempt, cfg.rng)
            reason = type(outcome).__name__
        attempt += 1
        event = RetryEvent(service.name, op.name, attempt, delay, reason)
        log.info("retrying %s (attempt %d) in %.2fs after %s", op.name, attempt, delay, reason)
        if cfg.on_retry is not None:
            cfg.on_retry(event)
        yield _Sleep(delay)


def _error_for(
    service: Service, response: httpx.Response, op: Operation[Any], url: str
) -> Exception:
    own = op.read_error(response, op.secrets) if op.read_error is not None else None
    return own if own is not None else service.error_for(response, op, url)


def _connection_error(
    service: str, op: Operation[Any], url: str, exc: httpx.RequestError
) -> APIConnectionError:
    kwargs: dict[str, Any] = {
        "service": service,
        "method": op.method,
        "url": url,
        "operation": op.name,
    }
    sent = not isinstance(exc, NOT_SENT)
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(
            f"{op.name}: {op.method} {url} timed out ({type(exc).__name__})",
            request_sent=sent,
            **kwargs,
        )
    return APIConnectionError(
        f"{op.name}: {op.method} {url} failed: {type(exc).__name__}", request_sent=sent, **kwargs
    )


def _close(awaitable: Awaitable[Any]) -> None:
    # A coroutine never awaited warns when collected; say why it was not instead.
    close = getattr(awaitable, "close", None)
    if close is not None:
        close()


def _attach_cause(error: BaseException, outcome: _Outcome) -> None:
    # The cause is a copy without the request: httpx errors keep the request,
    # whose headers hold the bearer token, and error trackers capture causes.
    if isinstance(outcome, httpx.RequestError) and isinstance(error, APIConnectionError):
        error.__cause__ = type(outcome)(str(outcome))
        error.__suppress_context__ = True


class SyncEngine:
    """Runs operations with a blocking :class:`httpx.Client`."""

    def __init__(
        self,
        config: EngineConfig,
        http: httpx.Client,
        auth: SyncAuth | None,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self.http = http
        self.auth = auth
        self.sleep = sleep

    def run(self, op: Operation[T]) -> T:
        """Send ``op`` (with retries and token renewal) and return its parsed result."""
        exchange = _exchange(self.config, op)
        outcome: _Outcome = None
        try:
            while True:
                action = exchange.send(outcome)
                if isinstance(action, _Send):
                    try:
                        outcome = self.http.send(action.request)
                    except httpx.RequestError as exc:
                        outcome = exc
                elif isinstance(action, _Sleep):
                    self.sleep(action.seconds)
                    outcome = None
                elif isinstance(action, _Check):
                    assert op.precondition is not None
                    checked = op.precondition()
                    if inspect.isawaitable(checked):
                        _close(checked)
                        raise TypeError(f"{op.name}: a blocking client needs a blocking check")
                    outcome = None
                else:
                    if self.auth is None:
                        raise RuntimeError(f"{op.name} needs a token but the client has no auth")
                    outcome = self.auth.access_token(action.rejected)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        except APIConnectionError as error:
            _attach_cause(error, outcome)
            raise


class AsyncEngine:
    """Runs operations with an :class:`httpx.AsyncClient`."""

    def __init__(
        self,
        config: EngineConfig,
        http: httpx.AsyncClient,
        auth: AsyncAuth | None,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.config = config
        self.http = http
        self.auth = auth
        self.sleep = sleep

    async def run(self, op: Operation[T]) -> T:
        """Send ``op`` (with retries and token renewal) and return its parsed result."""
        exchange = _exchange(self.config, op)
        outcome: _Outcome = None
        try:
            while True:
                action = exchange.send(outcome)
                if isinstance(action, _Send):
                    try:
                        outcome = await self.http.send(action.request)
                    except httpx.RequestError as exc:
                        outcome = exc
                elif isinstance(action, _Sleep):
                    await self.sleep(action.seconds)
                    outcome = None
                elif isinstance(action, _Check):
                    assert op.precondition is not None
                    if inspect.isawaitable(checked := op.precondition()):
                        await checked
                    outcome = None
                else:
                    if self.auth is None:
                        raise RuntimeError(f"{op.name} needs a token but the client has no auth")
                    token = self.auth.access_token(action.rejected)
                    outcome = await token if inspect.isawaitable(token) else token
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        except APIConnectionError as error:
            _attach_cause(error, outcome)
            raise
