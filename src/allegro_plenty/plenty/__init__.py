"""The plentymarkets (PlentyONE) client: auth, throttle, endpoints, models, walks."""

from . import models
from .auth import PlentyCredentials, token_key
from .client import PLENTY_RETRY, AsyncPlentyClient, PlentyClient, ReferenceDataError
from .filters import NO_ORDER_FILTER, OrderFilter
from .paging import OrderWalk, StatusHistoryWalk
from .throttle import BudgetExhaustedError, PlentyBudget, PlentyThrottle, RateLimit

__all__ = [
    "NO_ORDER_FILTER",
    "PLENTY_RETRY",
    "AsyncPlentyClient",
    "BudgetExhaustedError",
    "OrderFilter",
    "OrderWalk",
    "PlentyBudget",
    "PlentyClient",
    "PlentyCredentials",
    "PlentyThrottle",
    "RateLimit",
    "ReferenceDataError",
    "StatusHistoryWalk",
    "models",
    "token_key",
]
