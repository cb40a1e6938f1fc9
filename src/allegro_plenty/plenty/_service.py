"""plentymarkets' HTTP conventions: error bodies, the session limit, rate-limit headers."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from .._convert import loads
from .._http.operation import Operation
from .._http.redact import scrub
from .._http.status import status_error
from ..errors import ErrorItem, TooManySessionsError
from .throttle import PlentyThrottle

__all__ = ["SESSION_LIMIT_ERROR", "PlentyService", "error_items"]

SESSION_LIMIT_ERROR = "too_many_concurrent_sessions"
"""The ``error`` of plenty's 429 when too many back-end users are logged in."""


def _body(response: httpx.Response, secrets: tuple[str, ...]) -> Any:
    # Scrubbed before parsing: a login error may echo what was sent.
    text = scrub(response.text, secrets)
    try:
        # Bounded reading (long integers, deep nesting); floats stay floats so
        # the body can be serialized again.
        return loads(text, parse_float=float)
    except ValueError:
        return text[:500]


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def error_items(body: Any) -> list[ErrorItem]:
    """Normalise plentymarkets' error bodies.

    Seen shapes (plentymarkets docs, ``errors.adoc`` and ``authentication.adoc``):
    ``{"error": {"message", "code"}}``; ``{"error": "<code>", "message": ...}``
    (the session limit, OAuth errors with ``error_description``);
    ``{"message": ...}``; 422 adds ``{"validation_errors": {field: [messages]}}``
    and 403 ``{"error": {"missing_permissions": [...]}}``.
    """
    if not isinstance(body, dict):
        return []
    items: list[ErrorItem] = []
    error = body.get("error")
    if isinstance(error, dict):
        missing = error.get("missing_permissions")
        items.append(
            ErrorItem(
                code=_text(error.get("code")),
                message=_text(error.get("message")),
                details=", ".join(map(str, missing)) if isinstance(missing, list) else None,
            )
        )
    elif isinstance(error, str):
        message = body.get("message", body.get("error_description"))
        items.append(ErrorItem(code=error, message=_text(message)))
    elif "message" in body:
        items.append(ErrorItem(message=_text(body.get("message"))))
    validation = body.get("validation_errors")
    if isinstance(validation, dict):
        for field, messages in validation.items():
            items.extend(
                ErrorItem(code="validation", message=_text(message), path=field)
                for message in (messages if isinstance(messages, list) else [messages])
            )
    return items


class PlentyService:
    """The :class:`~allegro_plenty._http.engine.Service` for plentymarkets.

    Args:
        throttle: Paces calls by plenty's rate-limit headers.
        secrets: Scrubbed from every error body, whatever the call (the
            password: a server may echo it anywhere).
        clock: Wall-clock seconds (for ``Retry-After`` given as a date).
    """

    name = "plenty"

    def __init__(
        self,
        throttle: PlentyThrottle,
        *,
        secrets: tuple[str, ...] = (),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.throttle = throttle
        self._secrets = secrets
        self._clock = clock

    def __repr__(self) -> str:
        return f"PlentyService({self.throttle!r})"

    def request_id(self, response: httpx.Response) -> str | None:
        # plentymarkets documents no request id; a proxy in front may add one.
        request_id: str | None = response.headers.get("x-request-id")
        return request_id

    def before_send(self, operation: Operation[Any]) -> float:
        return self.throttle.before_send(operation)

    def after_response(self, operation: Operation[Any], response: httpx.Response) -> None:
        self.throttle.after_response(operation, response)

    def may_retry(self, error: Exception) -> bool:
        """Not after the session limit: waiting does not free a session (it is no rate limit)."""
        return not isinstance(error, TooManySessionsError)

    def error_for(self, response: httpx.Response, operation: Operation[Any], url: str) -> Exception:
        body = _body(response, (*operation.secrets, *self._secrets))
        items = error_items(body)
        cls = None
        note = None
        if (
            response.status_code == 429
            and isinstance(body, dict)
            and body.get("error") == SESSION_LIMIT_ERROR
        ):
            cls = TooManySessionsError
            note = (
                "plentymarkets allows only a few back-end users to be logged in at once; "
                "share one token store between workers instead of logging in again"
            )
        return status_error(
            service=self.name,
            response=response,
            operation=operation,
            url=url,
            request_id=self.request_id(response),
            errors=items,
            body=body,
            cls=cls,
            note=note,
            now=self._clock(),
        )
