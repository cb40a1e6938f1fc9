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

from ._auth import (
    DamagedTokenFileError,
    DeviceFlowError,
    LockTimeoutError,
    NotConnectedError,
    OAuthError,
    SecretTooShortError,
    TokenSaveError,
    TokenStorageError,
)
from ._base import (
    AllegroPlentyError,
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    ErrorItem,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseValidationError,
    StaleRevisionError,
    TooManySessionsError,
    UnprocessableEntityError,
)
from ._client import (
    BudgetExhaustedError,
    InvalidRequestError,
    PagingError,
    RateGateStorageError,
    ReferenceDataError,
    RefundNotFoundError,
)
from ._importer import (
    ConfigurationError,
    DuplicateOrdersFound,
    ForeignOrderExists,
    MappingError,
    ModelValidationError,
)
from ._ledger import (
    BindingConflictError,
    ClaimLostError,
    CursorConflictError,
    LedgerBusyError,
    LedgerError,
    LedgerInputError,
    LedgerSchemaError,
    LedgerStorageError,
    NotInLedgerError,
)
from ._procedures import (
    AllegroRefusedError,
    CarrierNotMappedError,
    InvoiceConflictError,
    InvoiceFileRejectedError,
    LineItemsUnclearError,
    NotFromAllegroError,
    NotRefundableError,
    OneFulfillmentError,
    ProcedureError,
    ProcedureRefusedError,
    RefundFailedError,
    UnknownProcedureError,
    WebhookRejectedError,
)

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
    "InvoiceConflictError",
    "InvoiceFileRejectedError",
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
    "WebhookRejectedError",
]

# The classes live in private modules grouped by concern; this package is their one public
# home, so they name it (tracebacks, pickles, the docs and the tests see allegro_plenty.errors).
for _name in __all__:
    globals()[_name].__module__ = __name__
del _name
