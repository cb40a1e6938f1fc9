"""Choosing and building the exception for an error status."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import httpx

from ..errors import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    ErrorItem,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)
from .operation import Operation
from .retry import parse_retry_after

__all__ = ["status_error", "status_error_class"]

_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def status_error_class(status: int) -> type[APIStatusError]:
    """The exception class for an HTTP status."""
    if status >= 500:
        return InternalServerError
    return _BY_STATUS.get(status, APIStatusError)


def status_error(
    *,
    service: str,
    response: httpx.Response,
    operation: Operation[Any],
    url: str,
    request_id: str | None,
    errors: Sequence[ErrorItem],
    body: object,
    cls: type[APIStatusError] | None = None,
    note: str | None = None,
    now: float | None = None,
    **extra: Any,
) -> APIStatusError:
    """Build the exception for ``response``; ``note`` is appended to the message.

    The class is ``cls``, else the operation's own class for the status, else
    the status's. A :class:`RateLimitError` gets ``retry_after`` from the
    headers, relative to ``now`` (a Unix time; the current time by default).
    """
    status = response.status_code
    cls = cls or operation.status_errors.get(status) or status_error_class(status)
    if issubclass(cls, RateLimitError) and "retry_after" not in extra:
        extra["retry_after"] = parse_retry_after(
            response.headers, time.time() if now is None else now
        )
    detail = "; ".join(str(e) for e in errors) or response.reason_phrase
    message = f"{operation.name}: {operation.method} {url} -> {response.status_code} {detail}"
    if request_id:
        message += f" (request id {request_id})"
    if note:
        message += f". {note}"
    return cls(
        message,
        service=service,
        method=operation.method,
        url=url,
        operation=operation.name,
        status_code=response.status_code,
        request_id=request_id,
        errors=errors,
        body=body,
        headers=response.headers,
        **extra,
    )
