"""The exception hierarchy: every public exception of the library lives here.

Everything the library raises on purpose derives from :class:`AllegroPlentyError`.
HTTP failures split into connection failures (:class:`APIConnectionError`,
:class:`APITimeoutError`), responses with an error status (:class:`APIStatusError`
and one subclass per meaningful status) and responses whose body does not fit
the model (:class:`ResponseValidationError`).

Every error answers :attr:`AllegroPlentyError.may_have_taken_effect`: whether the
write that failed with it may have been applied all the same. After a failed
write, look the result up when it says ``True`` instead of sending the write again.

No exception text, attribute or URL carries a secret: URLs are redacted and
server messages that echo a token (Allegro's ``invalid_grant`` does) are
scrubbed before they reach an exception.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AllegroPlentyError",
    "AllegroRefusedError",
    "AuthenticationError",
    "BadRequestError",
    "BindingConflictError",
    "BudgetExhaustedError",
    "CarrierNotMappedError",
    "ClaimLostError",
    "ConfigurationError",
    "ConflictError",
    "CursorConflictError",
    "DamagedTokenFileError",
    "DeviceFlowError",
    "DuplicateOrdersFound",
    "ErrorItem",
    "ForeignOrderExists",
    "InternalServerError",
    "InvalidRequestError",
    "LedgerBusyError",
    "LedgerError",
    "LedgerInputError",
    "LedgerSchemaError",
    "LedgerStorageError",
    "LineItemsUnclearError",
    "LockTimeoutError",
    "MappingError",
    "ModelValidationError",
    "NotConnectedError",
    "NotFoundError",
    "NotFromAllegroError",
    "NotInLedgerError",
    "NotRefundableError",
    "OAuthError",
    "OneFulfillmentError",
    "PagingError",
    "PermissionDeniedError",
    "ProcedureError",
    "ProcedureRefusedError",
    "RateGateStorageError",
    "RateLimitError",
    "ReferenceDataError",
    "RefundFailedError",
    "RefundNotFoundError",
    "ResponseValidationError",
    "SecretTooShortError",
    "StaleRevisionError",
    "TokenSaveError",
    "TokenStorageError",
    "TooManySessionsError",
    "UnknownProcedureError",
    "UnprocessableEntityError",
]


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


class OAuthError(AllegroPlentyError):
    """An OAuth token or device endpoint refused a grant.

    Attributes:
        error: The OAuth error code (``invalid_grant``, ``access_denied`` ...).
        description: The server's description, with any token scrubbed.
        status_code: The HTTP status.
        earlier_attempt_may_have_taken_effect: As for :class:`APIError`.
    """

    def __init__(self, error: str, description: str | None, status_code: int) -> None:
        text = f"{error}: {description}" if description else error
        super().__init__(f"OAuth error {status_code} {text}")
        self.error = error
        self.description = description
        self.status_code = status_code
        self.earlier_attempt_may_have_taken_effect = False

    @property
    def may_have_taken_effect(self) -> bool:
        """``False`` for the 4xx refusals OAuth errors are (see the base class)."""
        return self.earlier_attempt_may_have_taken_effect or not _is_client_error(self.status_code)


def _is_client_error(status: int) -> bool:
    return 400 <= status < 500


class DeviceFlowError(OAuthError):
    """The device flow ended without a token: denied, expired or already used."""


class NotConnectedError(AllegroPlentyError):
    """No refreshable token is stored for the account: connect it (device flow) first."""


class PagingError(AllegroPlentyError):
    """A paged list cannot be walked further without skipping or repeating items.

    Allegro caps ``offset + limit`` at 10,000; a walk that would need more
    (over 10,000 checkout forms updated in one millisecond) stops here instead
    of silently skipping forms. A walk also stops here when it does not
    advance: the server ignored the parameter that moves it on (``from`` of the
    order events, ``page`` of a plentymarkets list, ``updatedAt.gte`` or
    ``offset`` of the checkout forms) and answered what it answered before.
    """


class SecretTooShortError(AllegroPlentyError, ValueError):
    """A configured secret is too short to be kept out of error texts.

    Error bodies that echo a secret are scrubbed of every configured secret;
    one of a few characters cannot be masked without mangling ordinary text,
    so a client refuses it when it is built. The message names the setting,
    never its value.

    Attributes:
        setting: The constructor argument at fault (``password``, ``client_secret`` ...).
        minimum: The shortest length accepted.
    """

    def __init__(self, setting: str, minimum: int) -> None:
        super().__init__(
            f"{setting} is shorter than {minimum} characters; secrets that short cannot be "
            "kept out of error messages and are refused"
        )
        self.setting = setting
        self.minimum = minimum


class MappingError(AllegroPlentyError):
    """A checkout form cannot be mapped to a plentymarkets order.

    Attributes:
        checkout_form_id: The Allegro checkout-form id.
        field_path: The field at fault (``lineItems[2].price``), when there is one.
        reason: What is wrong, without personal data.
    """

    def __init__(self, reason: str, *, checkout_form_id: str, field_path: str | None = None):
        where = f" at {field_path}" if field_path else ""
        super().__init__(f"checkout form {checkout_form_id}{where}: {reason}")
        self.reason = reason
        self.checkout_form_id = checkout_form_id
        self.field_path = field_path


_SHOWN = 120
"""How much of a refused value an error message quotes (a value may be megabytes long)."""


class InvalidRequestError(AllegroPlentyError, ValueError):
    """A request the service would refuse, caught while it was built: nothing was sent.

    Attributes:
        field: Where the value goes, named as on the wire: a JSON path
            (``lineItems[0].value.amount``) or a query parameter
            (``fulfillment.status``); ``None`` where the place is not known.
        value: The refused value.
        reason: What is wrong with it.
    """

    def __init__(self, reason: str, *, field: str | None, value: object) -> None:
        shown = repr(value)
        if len(shown) > _SHOWN:
            shown = f"{shown[:_SHOWN]}... ({len(shown)} characters)"
        where = f"{field}: " if field else ""
        super().__init__(f"{where}{reason} (got {shown})")
        self.field = field
        self.value = value
        self.reason = reason

    def at(self, field: str) -> InvalidRequestError:
        """The same refusal, naming ``field`` (for checks that do not know where they run)."""
        return InvalidRequestError(self.reason, field=field, value=self.value)


class ReferenceDataError(AllegroPlentyError, LookupError):
    """The system has no such country, currency or other reference entry."""


class BudgetExhaustedError(AllegroPlentyError):
    """A call would have to wait longer than :attr:`~allegro_plenty.PlentyBudget.max_wait`.

    Usually the daily limit is down to its reserve; run again after
    :attr:`wait` seconds. Nothing was sent.

    Attributes:
        scope: The limit that is used up (see :class:`~allegro_plenty.RateLimit`).
        kind: ``"read"`` or ``"write"``.
        operation: The call that was refused.
        wait: Seconds until the limit allows the call.
    """

    def __init__(self, *, scope: str, kind: str, operation: str, wait: float) -> None:
        super().__init__(
            f"{operation}: the plentymarkets {scope} {kind} limit allows the next call "
            f"in {wait:.0f} s, longer than the budget's max_wait"
        )
        self.scope = scope
        self.kind = kind
        self.operation = operation
        self.wait = wait


class RefundNotFoundError(AllegroPlentyError):
    """Allegro lists no refund with this id (for this seller).

    Attributes:
        refund_id: The id asked for.
    """

    def __init__(self, refund_id: str) -> None:
        super().__init__(f"Allegro lists no refund with id {refund_id!r} for this account")
        self.refund_id = refund_id


class LockTimeoutError(AllegroPlentyError):
    """A token lock was not acquired in time (another worker holds it)."""


class TokenStorageError(AllegroPlentyError):
    """A token store cannot be read or written (a missing folder, a read-only or
    full disk, no file descriptors left).

    The message names the place and the problem, never a token. When this is
    raised before a renewal, nothing was spent: the stored refresh token is
    still the valid one.

    Attributes:
        path: The file or folder at fault, or a description of the store.
    """

    def __init__(self, message: str, *, path: str) -> None:
        super().__init__(message)
        self.path = path


class DamagedTokenFileError(TokenStorageError, ValueError):
    """A token file holds something that is not a token store (truncated JSON, a
    list where an object belongs, a timestamp without a timezone).

    The file is left as it is, for a person to repair or restore. Also a
    ``ValueError``, as the store raised before this class existed.
    """


class TokenSaveError(TokenStorageError):
    """A renewed token could not be saved.

    The renewal already happened, so the stored refresh token is dead: the
    client keeps the new pair in memory for the life of the process, uses it,
    and saves it on every later use until a save succeeds. Fix the storage
    while the process runs and the account keeps working without reconnecting.
    """


class RateGateStorageError(AllegroPlentyError):
    """A rate gate over shared storage (PostgreSQL) cannot be read or written.

    Raised from the Allegro call that asked the gate; that call was not sent.
    """


# --- the import ledger and accounts -----------------------------------------------------


class ConfigurationError(AllegroPlentyError, ValueError):
    """A configuration value is wrong or contradicts another; the message names both."""


class LedgerError(AllegroPlentyError):
    """Base class of the import ledger's errors."""


class LedgerInputError(LedgerError, ValueError):
    """A ledger call got a value it cannot store (empty key, non-positive lease ...)."""


class LedgerBusyError(LedgerError):
    """The ledger stayed locked by other writers for longer than its busy timeout.

    Raised only after bounded retries with backoff; nothing was written.
    """


class LedgerStorageError(LedgerError):
    """The ledger's storage failed (file missing, disk full, corrupt database).

    Attributes:
        location: Where the ledger lives (a file path), without credentials.
    """

    def __init__(self, message: str, *, location: str) -> None:
        super().__init__(message)
        self.location = location


class LedgerSchemaError(LedgerError):
    """The stored schema is not the one this release uses and cannot be migrated to it.

    Attributes:
        found: The schema version in the store.
        supported: The newest schema version this release knows.
    """

    def __init__(self, message: str, *, found: int, supported: int) -> None:
        super().__init__(message)
        self.found = found
        self.supported = supported


class ClaimLostError(LedgerError):
    """The claim is no longer the caller's: its lease ran out and another worker took it,
    or it was released. The caller must stop working on the key without writing.

    Attributes:
        account: The account key.
        key: The claimed key (a checkout-form id).
        owner: The owner that lost it.
    """

    def __init__(self, *, account: str, key: str, owner: str) -> None:
        super().__init__(f"claim on {key!r} of account {account!r} is no longer held by {owner!r}")
        self.account = account
        self.key = key
        self.owner = owner


class BindingConflictError(LedgerError):
    """The form, or the plentymarkets order, is already bound to something else.

    Attributes:
        existing: The binding that is already in the ledger
            (an :class:`~allegro_plenty.ledger.Binding`).
    """

    def __init__(self, message: str, *, existing: object) -> None:
        super().__init__(message)
        self.existing = existing


class CursorConflictError(LedgerError):
    """A cursor save was based on a version that is no longer the stored one.

    Another worker moved the cursor since the caller read it; re-read and decide again.

    Attributes:
        account: The account key.
        name: The cursor's name.
        expected: The version the caller based its save on.
        found: The version in the ledger.
    """

    def __init__(self, *, account: str, name: str, expected: int, found: int) -> None:
        super().__init__(
            f"cursor {name!r} of account {account!r} is at version {found}, "
            f"the save expected version {expected}"
        )
        self.account = account
        self.name = name
        self.expected = expected
        self.found = found


class NotInLedgerError(LedgerError, LookupError):
    """The ledger holds no record of what the call names (an unbound form, no failure)."""


class ModelValidationError(AllegroPlentyError, ValueError):
    """Data read outside a client call (stored JSON) is not JSON or does not fit its model.

    Raised by :func:`~allegro_plenty.allegro.parse_checkout_form` and
    :func:`~allegro_plenty.parse_model`; a response body that does not fit is a
    :class:`ResponseValidationError` instead.

    Attributes:
        model: The model's class name (``"CheckoutForm"``).
        reason: What is wrong; long values are cut short.
        field_path: Where, with the JSON's names (``lineItems[0].price.amount``);
            ``None`` when the document as a whole is wrong.
    """

    def __init__(self, model: str, reason: str, *, field_path: str | None = None) -> None:
        where = f" at {field_path}" if field_path else ""
        super().__init__(f"{model}{where}: {reason}")
        self.model = model
        self.reason = reason
        self.field_path = field_path


class DuplicateOrdersFound(AllegroPlentyError):
    """More than one plentymarkets sales order carries the form's external order id.

    The importer never picks one of them: it quarantines the form until a person
    merges or cancels the duplicates and marks the form handled
    (:meth:`~allegro_plenty.ledger.ImportLedger.mark_handled`).

    Attributes:
        checkout_form_id: The Allegro checkout-form id.
        order_ids: The plentymarkets orders that claim it.
    """

    def __init__(self, checkout_form_id: str, order_ids: Sequence[int]) -> None:
        ids = ", ".join(map(str, order_ids))
        super().__init__(
            f"checkout form {checkout_form_id}: plentymarkets orders {ids} all carry it"
        )
        self.checkout_form_id = checkout_form_id
        self.order_ids = tuple(order_ids)


class ForeignOrderExists(AllegroPlentyError):
    """A plentymarkets order with the form's external order id exists under a referrer
    that is neither the importer's nor listed in ``adopt_referrer_ids``.

    The importer never creates the order again and never takes the other one
    over: list its referrer in ``adopt_referrer_ids`` to adopt it, or mark the
    form handled.

    Attributes:
        checkout_form_id: The Allegro checkout-form id.
        order_id: The plentymarkets order.
        referrer_id: Its referrer.
    """

    def __init__(self, checkout_form_id: str, order_id: int, referrer_id: object) -> None:
        super().__init__(
            f"checkout form {checkout_form_id}: plentymarkets order {order_id} carries it under "
            f"referrer {referrer_id}, which is not listed in adopt_referrer_ids"
        )
        self.checkout_form_id = checkout_form_id
        self.order_id = order_id
        self.referrer_id = referrer_id


# --- event procedures ------------------------------------------------------------------------


class ProcedureError(AllegroPlentyError):
    """Base class of the event procedures' own errors (``allegro_plenty.procedures``)."""


class UnknownProcedureError(ProcedureError, LookupError):
    """No event procedure is registered under this key.

    Attributes:
        key: The key asked for.
        known: The registered keys.
    """

    def __init__(self, key: object, known: Sequence[str]) -> None:
        listed = ", ".join(known) or "none"
        super().__init__(f"no event procedure is registered as {key!r}; registered: {listed}")
        self.key = key
        self.known = tuple(known)


class NotFromAllegroError(ProcedureError):
    """The plentymarkets order is not an Allegro order of a configured account.

    Raised before any Allegro call: the order is not bound in the ledger, and
    neither its referrer nor its external order id (property 7) make it one.

    Attributes:
        plenty_order_id: The order dispatched.
        reason: Why it is not taken for an Allegro order.
    """

    def __init__(self, plenty_order_id: int, reason: str) -> None:
        super().__init__(f"plentymarkets order {plenty_order_id} is not an Allegro order: {reason}")
        self.plenty_order_id = plenty_order_id
        self.reason = reason


class ProcedureRefusedError(ProcedureError):
    """The procedure refuses to act on this order, for good: the execution is recorded
    as skipped with this error's text, and nothing is written to Allegro."""


class OneFulfillmentError(ProcedureRefusedError):
    """Allegro's own warehouse fulfils the order (One Fulfillment,
    ``fulfillment.provider.id == ALLEGRO``): its status, parcels and refunds are
    Allegro's, so the procedure writes nothing.

    Attributes:
        checkout_form_id: The Allegro checkout-form id.
        procedure: The procedure's key.
    """

    def __init__(self, checkout_form_id: str, procedure: str) -> None:
        super().__init__(
            f"checkout form {checkout_form_id} is fulfilled by Allegro (One Fulfillment): "
            f"{procedure} writes nothing to it"
        )
        self.checkout_form_id = checkout_form_id
        self.procedure = procedure


class NotRefundableError(ProcedureRefusedError):
    """Allegro refuses refunds of this payment, so none is sent (cash on delivery on a
    marketplace where Allegro does not refund it, allegro-api #11207).

    Attributes:
        checkout_form_id: The Allegro checkout-form id.
        reason: Why it cannot be refunded.
    """

    def __init__(self, checkout_form_id: str, reason: str) -> None:
        super().__init__(f"checkout form {checkout_form_id} cannot be refunded: {reason}")
        self.checkout_form_id = checkout_form_id
        self.reason = reason


class LineItemsUnclearError(ProcedureError):
    """plentymarkets items (of a shipping package or a return) cannot be told apart as
    Allegro line items: a variation appears in no item, or in items of several line
    items, or an item lacks its line-item id (property 41).

    Attributes:
        plenty_order_id: The order holding the package or return.
        reason: What could not be mapped.
    """

    def __init__(self, plenty_order_id: int, reason: str) -> None:
        super().__init__(f"plentymarkets order {plenty_order_id}: {reason}")
        self.plenty_order_id = plenty_order_id
        self.reason = reason


class CarrierNotMappedError(ProcedureError):
    """A waybill's carrier cannot be given to Allegro: its shipping profile is not in the
    carrier map (and the configuration says fail), or it maps to a carrier id that
    Allegro's carrier list does not hold.

    Attributes:
        shipping_profile_id: The plentymarkets shipping profile, if known.
        reason: What is missing.
    """

    def __init__(self, shipping_profile_id: int | None, reason: str) -> None:
        super().__init__(f"shipping profile {shipping_profile_id}: {reason}")
        self.shipping_profile_id = shipping_profile_id
        self.reason = reason


class AllegroRefusedError(ProcedureError):
    """Allegro refused a procedure's write; the message is Allegro's own.

    Raised from the client's error (its ``__cause__``), so an operator reads what
    Allegro said (``Failed to set status SENT on order ...``) in the execution's
    last error.

    Attributes:
        procedure: The procedure's key.
        status_code: The HTTP status Allegro answered.
        codes: Allegro's error codes.
        allegro_message: Allegro's message (its ``userMessage`` where there is none).
    """

    def __init__(
        self, procedure: str, status_code: int, codes: Sequence[str], allegro_message: str
    ) -> None:
        code = f" {', '.join(codes)}" if codes else ""
        super().__init__(f"{procedure}: Allegro refused ({status_code}{code}): {allegro_message}")
        self.procedure = procedure
        self.status_code = status_code
        self.codes = tuple(codes)
        self.allegro_message = allegro_message


class RefundFailedError(ProcedureError):
    """Allegro ended a refund without paying it: ``CANCELED`` (the seller's balance lacked
    the funds, allegro-api #7828) or ``VALIDATE_FAILED``. The execution is quarantined;
    an operator's release sends a new refund (a new ``commandId``).

    Attributes:
        refund_id: Allegro's refund id.
        status: The final status.
    """

    def __init__(self, refund_id: str, status: str) -> None:
        super().__init__(f"Allegro ended refund {refund_id} as {status}: nothing was refunded")
        self.refund_id = refund_id
        self.status = status
