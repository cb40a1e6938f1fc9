"""Base class, HTTP exchange errors and one class per meaningful status."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs


class AllegroPlentyError(Exception):
    """Base class of every exception this library raises on purpose."""

    @property
    def may_have_taken_effect(self) -> bool:
        """Whether the write that failed with this error may have been applied anyway.

        ``False`` means certainly not: the request never reached the service
        (refused while it was built, no connection, no token) or the service
        refused it with a 4xx, 429 included. ``True`` means it may have: the
        connection failed after sending began (a timeout, a reset, a broken
        answer), the service answered 5xx, or it answered 2xx with a body that
        does not fit. After ``True``, look the result up (an order by its
        external id, a waybill among the shipments) before sending the write
        again; never re-send it blindly.

        Errors that do not come from an exchange with a service (the ledger, the
        mapping, configuration, token storage) answer ``False``.
        """
        return False


@attrs.frozen
class ErrorItem:
    """One entry of an error body.

    Allegro answers ``{"errors": [{code, message, details, path, userMessage}]}``;
    plentymarkets answers ``{"error": {"code", "message"}}`` or ``{"message": ...}``.
    Both are normalised to this shape.
    """

    code: str | None = None
    message: str | None = None
    user_message: str | None = None
    path: str | None = None
    details: str | None = None

    def __str__(self) -> str:
        parts = [p for p in (self.code, self.message) if p]
        if self.path:
            parts.append(f"at {self.path}")
        return ": ".join(parts[:2]) + (f" ({parts[2]})" if len(parts) > 2 else "")


class APIError(AllegroPlentyError):
    """A call to Allegro or plentymarkets failed.

    Attributes:
        service: ``"allegro"`` or ``"plenty"``.
        method: The HTTP method.
        url: The request URL with secrets redacted.
        operation: The library's name for the call (``"get_checkout_form"``).
        earlier_attempt_may_have_taken_effect: An earlier attempt of the same
            call, since retried, failed in a way that may have applied it (a
            timeout, a 5xx): then :attr:`may_have_taken_effect` is ``True``
            whatever this last attempt's failure says.
    """

    def __init__(
        self,
        message: str,
        *,
        service: str,
        method: str,
        url: str,
        operation: str,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.service = service
        self.method = method
        self.url = url
        self.operation = operation
        self.earlier_attempt_may_have_taken_effect = False

    @property
    def may_have_taken_effect(self) -> bool:
        """See :attr:`AllegroPlentyError.may_have_taken_effect`."""
        return self.earlier_attempt_may_have_taken_effect or self._attempt_may_have_taken_effect()

    def _attempt_may_have_taken_effect(self) -> bool:
        # What this attempt's failure alone says; nothing proves a bare APIError harmless.
        return True


class APIConnectionError(APIError):
    """No usable response arrived: the connection failed, reset or broke off.

    Whether the server acted on the request is unknown unless
    :attr:`request_sent` is ``False``.
    """

    def __init__(self, message: str, *, request_sent: bool, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.request_sent = request_sent

    def _attempt_may_have_taken_effect(self) -> bool:
        return self.request_sent


class APITimeoutError(APIConnectionError):
    """The request timed out. If it was a write, it may have been applied."""


class APIStatusError(APIError):
    """The service answered with an error status.

    Attributes:
        status_code: The HTTP status.
        request_id: The service's request id (Allegro's ``trace-id`` header).
        errors: The parsed error items, possibly empty.
        body: The parsed JSON body, or the first 500 characters of a non-JSON body.
        headers: The response headers.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        request_id: str | None,
        errors: Sequence[ErrorItem] = (),
        body: object = None,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.status_code = status_code
        self.request_id = request_id
        self.errors = tuple(errors)
        self.body = body
        self.headers = dict(headers or {})

    @property
    def codes(self) -> tuple[str, ...]:
        """The ``code`` of every error item that has one."""
        return tuple(e.code for e in self.errors if e.code)

    def _attempt_may_have_taken_effect(self) -> bool:
        # A 4xx (429 included) is a refusal before processing; anything else (a 5xx,
        # a redirect the client does not follow) leaves the outcome open.
        return not _is_client_error(self.status_code)


class BadRequestError(APIStatusError):
    """400: the request was malformed or a value was refused."""


class AuthenticationError(APIStatusError):
    """401: the token is missing, expired or revoked and could not be renewed."""


class PermissionDeniedError(APIStatusError):
    """403: the token lacks a permission.

    Attributes:
        missing_scope: The OAuth scope Allegro names as missing, where it names one.
    """

    def __init__(self, message: str, *, missing_scope: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.missing_scope = missing_scope


class NotFoundError(APIStatusError):
    """404: the resource does not exist (or does not belong to this account)."""


class ConflictError(APIStatusError):
    """409: the request conflicts with the resource's current state."""


class StaleRevisionError(ConflictError):
    """409 on an Allegro fulfillment update: ``checkoutForm.revision`` is outdated.

    Re-read the checkout form and decide again; never re-send blindly.
    """


class UnprocessableEntityError(APIStatusError):
    """422: the request was understood but refused (a rule or a limit)."""


class RateLimitError(APIStatusError):
    """429: too many requests.

    Attributes:
        retry_after: Seconds the service asked us to wait, when it said so.
    """

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class TooManySessionsError(APIStatusError):
    """plentymarkets refused a login: too many concurrent back-end sessions.

    This is not a rate limit; waiting a few seconds does not help. Share one
    token across workers through a :class:`~allegro_plenty.tokens.TokenStore`.
    """


class InternalServerError(APIStatusError):
    """5xx: the service failed. For a write, whether it was applied is unknown."""


class ResponseValidationError(APIError):
    """A 2xx response whose body is not JSON or does not fit the model.

    The service accepted the call: a write that raises this took effect (so
    :attr:`may_have_taken_effect` is ``True``).

    Attributes:
        field_path: Where in the body the mismatch is (``lineItems[0].price.amount``).
        request_id: The service's request id.
    """

    def __init__(
        self, message: str, *, field_path: str | None, request_id: str | None, **kwargs: Any
    ) -> None:
        super().__init__(message, **kwargs)
        self.field_path = field_path
        self.request_id = request_id


def _is_client_error(status: int) -> bool:
    return 400 <= status < 500
