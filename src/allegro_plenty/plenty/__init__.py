"""The plentymarkets (PlentyONE) client: auth, throttle, endpoints, models."""

from . import models
from .auth import PlentyCredentials, token_key
from .client import PLENTY_RETRY, AsyncPlentyClient, PlentyClient, ReferenceDataError
from .throttle import BudgetExhaustedError, PlentyBudget, PlentyThrottle, RateLimit

__all__ = [
    "PLENTY_RETRY",
    "AsyncPlentyClient",
    "BudgetExhaustedError",
    "PlentyBudget",
    "PlentyClient",
    "PlentyCredentials",
    "PlentyThrottle",
    "RateLimit",
    "ReferenceDataError",
    "models",
    "token_key",
]
