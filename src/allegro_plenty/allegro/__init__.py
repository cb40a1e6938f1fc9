"""The typed Allegro client: OAuth flows, endpoints, models and paging walks.

Models live in :mod:`allegro_plenty.allegro.models`.
"""

from . import models
from .auth import (
    ORDERS_READ,
    ORDERS_WRITE,
    PAYMENTS_READ,
    PAYMENTS_WRITE,
    PRODUCTION,
    PROFILE_READ,
    SANDBOX,
    AllegroApp,
    AllegroEnvironment,
    AllegroOAuth,
    AsyncAllegroOAuth,
    DeviceAuthorization,
    PkcePair,
    order_scopes,
)
from .client import ALLEGRO_RETRY, AllegroClient, AsyncAllegroClient
from .paging import CheckoutFormWalk, OrderEventWalk
from .parsing import parse_checkout_form
from .rate_gate import AllegroRateGate, MemoryRateGate, shared_rate_gate

__all__ = [
    "ALLEGRO_RETRY",
    "ORDERS_READ",
    "ORDERS_WRITE",
    "PAYMENTS_READ",
    "PAYMENTS_WRITE",
    "PRODUCTION",
    "PROFILE_READ",
    "SANDBOX",
    "AllegroApp",
    "AllegroClient",
    "AllegroEnvironment",
    "AllegroOAuth",
    "AllegroRateGate",
    "AsyncAllegroClient",
    "AsyncAllegroOAuth",
    "CheckoutFormWalk",
    "DeviceAuthorization",
    "MemoryRateGate",
    "OrderEventWalk",
    "PkcePair",
    "models",
    "order_scopes",
    "parse_checkout_form",
    "shared_rate_gate",
]
