"""allegro_plenty: a typed SDK connecting Allegro.pl orders to plentymarkets.

The public names are re-exported here; submodules hold the details:
:mod:`allegro_plenty.allegro` (client, OAuth, :mod:`~allegro_plenty.allegro.models`),
:mod:`allegro_plenty.plenty` (client, throttle, :mod:`~allegro_plenty.plenty.models`),
:mod:`allegro_plenty.mapping` (the pure order mapper), :mod:`allegro_plenty.errors`,
:mod:`allegro_plenty.tokens`, and :mod:`allegro_plenty.testing` (fakes of both
services for tests; not imported here).
"""

from ._convert import OpenEnum, parse_model
from ._http.operation import Retry
from ._http.retry import RetryEvent, RetryPolicy
from ._version import __version__
from .allegro import PRODUCTION as ALLEGRO_PRODUCTION
from .allegro import SANDBOX as ALLEGRO_SANDBOX
from .allegro import (
    AllegroApp,
    AllegroClient,
    AllegroEnvironment,
    AllegroOAuth,
    AsyncAllegroClient,
    AsyncAllegroOAuth,
    parse_checkout_form,
)
from .allegro import models as allegro_models
from .errors import (
    AllegroPlentyError,
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    DeviceFlowError,
    ErrorItem,
    InternalServerError,
    MappingError,
    ModelValidationError,
    NotConnectedError,
    NotFoundError,
    OAuthError,
    PagingError,
    PermissionDeniedError,
    RateLimitError,
    ResponseValidationError,
    StaleRevisionError,
    TooManySessionsError,
    UnprocessableEntityError,
)
from .mapping import (
    CurrencyPolicy,
    MappingConfig,
    MappingContext,
    OrderDraft,
    OrderMapper,
    SkippedOrder,
    VatPolicy,
)
from .plenty import (
    AsyncPlentyClient,
    BudgetExhaustedError,
    PlentyBudget,
    PlentyClient,
    PlentyCredentials,
    PlentyThrottle,
    RateLimit,
    ReferenceDataError,
)
from .plenty import models as plenty_models
from .tokens import (
    JsonFileTokenStore,
    LockTimeoutError,
    MemoryTokenStore,
    Token,
    TokenLock,
    TokenStore,
)

__all__ = [
    "ALLEGRO_PRODUCTION",
    "ALLEGRO_SANDBOX",
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AllegroApp",
    "AllegroClient",
    "AllegroEnvironment",
    "AllegroOAuth",
    "AllegroPlentyError",
    "AsyncAllegroClient",
    "AsyncAllegroOAuth",
    "AsyncPlentyClient",
    "AuthenticationError",
    "BadRequestError",
    "BudgetExhaustedError",
    "ConflictError",
    "CurrencyPolicy",
    "DeviceFlowError",
    "ErrorItem",
    "InternalServerError",
    "JsonFileTokenStore",
    "LockTimeoutError",
    "MappingConfig",
    "MappingContext",
    "MappingError",
    "MemoryTokenStore",
    "ModelValidationError",
    "NotConnectedError",
    "NotFoundError",
    "OAuthError",
    "OpenEnum",
    "OrderDraft",
    "OrderMapper",
    "PagingError",
    "PermissionDeniedError",
    "PlentyBudget",
    "PlentyClient",
    "PlentyCredentials",
    "PlentyThrottle",
    "RateLimit",
    "RateLimitError",
    "ReferenceDataError",
    "ResponseValidationError",
    "Retry",
    "RetryEvent",
    "RetryPolicy",
    "SkippedOrder",
    "StaleRevisionError",
    "Token",
    "TokenLock",
    "TokenStore",
    "TooManySessionsError",
    "UnprocessableEntityError",
    "VatPolicy",
    "__version__",
    "allegro_models",
    "parse_checkout_form",
    "parse_model",
    "plenty_models",
]
