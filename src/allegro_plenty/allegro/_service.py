"""Allegro's HTTP conventions: media type, request id, error bodies."""

from __future__ import annotations

import re
import threading
import time
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from .._convert import loads
from .._http.operation import Operation
from .._http.redact import scrub
from .._http.retry import RetryPolicy, parse_retry_after
from .._http.status import status_error
from ..errors import ErrorItem, OAuthError
from .rate_gate import AllegroRateGate

__all__ = ["MEDIA_TYPE", "AllegroService", "oauth_error"]

MEDIA_TYPE = "application/vnd.allegro.public.v1+json"
"""Allegro answers 406 to any other ``Accept``."""

_SCOPE_IN_CHALLENGE = re.compile(r'scope="([^"]+)"')


def _no_jitter() -> float:
    return 0.0


def _body(response: httpx.Response, secrets: tuple[str, ...] = ()) -> Any:
    # Scrubbed before parsing: Allegro's messages quote tokens they refuse
    # ("Access token expired: <token>", "Invalid refresh token: <token>").
    text = scrub(response.text, secrets)
    try:
        # Bounded reading (long integers, deep nesting); floats stay floats so
        # the body can be serialized again.
        return loads(text, parse_float=float)
    except ValueError:
        return text[:500]


def error_items(body: Any) -> list[ErrorItem]:
    """Allegro's ``{"errors": [...]}`` and the OAuth ``{"error", "error_description"}``."""
    if not isinstance(body, dict):
        return []
    raw = body.get("errors")
    if isinstance(raw, list):
        return [
            ErrorItem(
                code=_text(e.get("code")),
                message=_text(e.get("message")),
                user_message=_text(e.get("userMessage")),
                path=_text(e.get("path")),
                details=_text(e.get("details")),
            )
            for e in raw
            if isinstance(e, dict)
        ]
    if "error" in body:
        return [
            ErrorItem(code=_text(body.get("error")), message=_text(body.get("error_description")))
        ]
    return []


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def oauth_error(response: httpx.Response, secrets: tuple[str, ...]) -> OAuthError | None:
    """The OAuthError for a token-endpoint refusal, or ``None`` if it is not one.

    The :attr:`~allegro_plenty._http.operation.Operation.read_error` of the
    OAuth token and device operations.

    Allegro's ``invalid_grant`` description quotes the refresh token it refused,
    so every secret of the request is scrubbed from the description.
    """
    body = _body(response, secrets)
    if response.status_code not in (400, 401) or not isinstance(body, dict):
        return None
    error = body.get("error")
    if not isinstance(error, str):
        return None
    description = body.get("error_description")
    return OAuthError(
        error, None if description is None else str(description), response.status_code
    )


def response_date(response: httpx.Response) -> datetime | None:
    """The response's ``Date`` header as an aware UTC datetime, or ``None`` if absent or bad."""
    raw = response.headers.get("date")
    if raw is None:
        return None
    try:
        parsed = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:  # "-0000": RFC 5322's "UTC, source unknown"
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


class AllegroService:
    """The :class:`~allegro_plenty._http.engine.Service` for Allegro.

    Args:
        rate_gate: The application's gate (see :mod:`.rate_gate`): every call
            waits while it is blocked, and a 429 blocks it. ``None``: no gate
            (the OAuth helpers, and clients made with ``rate_gate=False``).
        retry: The client's retry policy; a 429 blocks the gate for its
            ``Retry-After`` or its rate-limit backoff, capped at
            ``max_retry_after``.

    Attributes:
        last_date: The ``Date`` of the last API response (Allegro's clock).
    """

    name = "allegro"

    def __init__(
        self, rate_gate: AllegroRateGate | None = None, retry: RetryPolicy | None = None
    ) -> None:
        self.rate_gate = rate_gate
        self._retry = retry or RetryPolicy()
        self._lock = threading.Lock()
        self._throttled = 0  # 429s in a row this client got, for the backoff's doubling
        self.last_date: datetime | None = None

    def request_id(self, response: httpx.Response) -> str | None:
        """Allegro's ``trace-id`` header (the token endpoint sends none)."""
        request_id: str | None = response.headers.get("trace-id")
        return request_id

    def before_send(self, operation: Operation[Any]) -> float:
        """The gate's wait: no call goes while a 429 holds the application back."""
        return 0.0 if self.rate_gate is None else self.rate_gate.wait()

    def after_response(self, operation: Operation[Any], response: httpx.Response) -> None:
        """Keep the answer's ``Date`` (Allegro's time, for watermarks that never trust
        ours); on a 429, block the gate for every client of the application.

        The block is the wait the engine's own retry takes at the least (the
        backoff without its jitter, which only adds), so the client that got
        the 429 waits once, and the others wait as long. A 429 that arrives
        while the gate is already blocked belongs to the burst that caused the
        block and does not lengthen it.
        """
        date = response_date(response)
        if date is not None:
            self.last_date = date
        gate, policy = self.rate_gate, self._retry
        with self._lock:
            if response.status_code != 429:
                self._throttled = 0
                return
            if gate is None:
                return
            seconds = parse_retry_after(response.headers, time.time())
            if seconds is None:
                if gate.wait() > 0:
                    return
                seconds = policy.rate_limit_backoff(self._throttled, _no_jitter)
                self._throttled += 1
            gate.block(min(seconds, policy.max_retry_after))

    def may_retry(self, error: Exception) -> bool:
        """No veto: the retry policy decides alone."""
        return True

    def error_for(self, response: httpx.Response, operation: Operation[Any], url: str) -> Exception:
        """The status's APIStatusError (OAuth endpoints read theirs with :func:`oauth_error`)."""
        body = _body(response, operation.secrets)
        items = error_items(body)
        extra: dict[str, Any] = {}
        note = None
        if response.status_code == 403:
            challenge = _SCOPE_IN_CHALLENGE.search(response.headers.get("www-authenticate", ""))
            extra["missing_scope"] = challenge.group(1) if challenge else None
            if operation.required_scope:
                note = f"This call needs the OAuth scope {operation.required_scope}"
        return status_error(
            service=self.name,
            response=response,
            operation=operation,
            url=url,
            request_id=self.request_id(response),
            errors=items,
            body=body,
            note=note,
            **extra,
        )
