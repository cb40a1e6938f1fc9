"""Test your Allegro ↔ plentymarkets integration without a live shop.

:class:`FakeAllegro` and :class:`FakePlenty` are stateful, in-memory fakes of
the two APIs, strict about input and faithful where integrations break (token
rotation, revisions, the 10,000 offset cap, session caps, rate limits, no
idempotency on plenty's order create). Serve them to a client as an httpx
transport (:meth:`~FakeAllegro.transport`, :meth:`~FakeAllegro.async_transport`)
or over real HTTP on loopback (:meth:`~FakeAllegro.serve`), inject faults with
:class:`Fault`, seed realistic orders with :func:`checkout_form`, and assert
on the resulting state (:meth:`FakePlenty.orders_with_external_id`,
:meth:`FakePlenty.payments_with_transaction_id`, recorded calls). Move time
with :class:`FakeClock`.

This module needs only the library's runtime dependencies; it never imports
pytest. See ``docs/testing.md``.
"""

from ._clock import Clock, FakeClock, SystemClock
from ._server import FakeServer
from ._transport import (
    AsyncFakeTransport,
    FakeRequest,
    FakeResponse,
    FakeService,
    RecordedCall,
    SyncFakeTransport,
)
from .allegro import ALL_SCOPES, FakeAllegro, Seller
from .factories import COUNTRIES, checkout_form, ean13, seed_catalogue
from .faults import Fault, FaultKind, FaultRule, Faults
from .plenty import BASIC, CLASSIC, FLEX, PLUS, FakePlenty, PlentyLimiter, PlentyPlan

__all__ = [
    "ALL_SCOPES",
    "BASIC",
    "CLASSIC",
    "COUNTRIES",
    "FLEX",
    "PLUS",
    "AsyncFakeTransport",
    "Clock",
    "FakeAllegro",
    "FakeClock",
    "FakePlenty",
    "FakeRequest",
    "FakeResponse",
    "FakeServer",
    "FakeService",
    "Fault",
    "FaultKind",
    "FaultRule",
    "Faults",
    "PlentyLimiter",
    "PlentyPlan",
    "RecordedCall",
    "Seller",
    "SyncFakeTransport",
    "SystemClock",
    "checkout_form",
    "ean13",
    "seed_catalogue",
]
