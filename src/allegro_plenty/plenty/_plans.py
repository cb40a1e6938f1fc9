"""The plentymarkets client's composite calls, each written once as a plan.

A plan yields the operations it needs sent (through the ``"http"`` resource,
the client's engine) and receives their results; :class:`~.client.PlentyClient`
and :class:`~.client.AsyncPlentyClient` only drive it. Look-ups walk every
page and keep exact matches only (plenty's filters may match by prefix or
ignore a value); reference data is cached and fetched once however many
threads or tasks ask at the same time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

from .._cache import TtlCache, cached
from .._client import HTTP, run
from .._http.operation import Operation, Precondition
from .._plan import Plan, collect
from ..errors import APIError
from ..tokens import Token
from . import endpoints as ep
from .auth import PlentyCredentials, keep_refresh_token, login_operation, refresh_operation
from .filters import OrderFilter
from .models import (
    Contact,
    Country,
    Currency,
    NewReferrer,
    Order,
    OrderPropertyTypeInfo,
    OrderType,
    Page,
    Payment,
    PaymentMethod,
    PaymentPropertyType,
    Referrer,
    ShippingProfile,
    Variation,
    VatConfiguration,
)
from .paging import OrderWalk, PageWalk

__all__ = [
    "contacts_by_external_id",
    "countries",
    "create_referrer",
    "currencies",
    "delivery_orders",
    "orders_by_external_id",
    "payment_methods",
    "payments_by_transaction_id",
    "property_types",
    "referrers",
    "referrers_named",
    "renew_token",
    "shipping_profiles",
    "variations_by_barcode",
    "variations_by_number",
    "variations_by_sku",
    "vat_configurations",
]

T = TypeVar("T")
log = logging.getLogger("allegro_plenty.plenty")


def _every(
    make: Callable[[int], Operation[Page[T]]], key: Callable[[T], Hashable]
) -> Plan[list[T]]:
    return (yield from collect(PageWalk(make, key), HTTP, "run"))


# --- the token ---------------------------------------------------------------------


def renew_token(
    stored: Token | None, credentials: PlentyCredentials, clock: Callable[[], datetime]
) -> Plan[Token]:
    """Refresh the stored token; log in again if that fails or there is nothing to refresh."""
    if stored is not None and stored.refresh_token is not None:
        try:
            fresh = yield from run(refresh_operation(stored, clock=clock))
        except APIError as error:
            log.info("plenty token refresh failed (%s); logging in again", error)
        else:
            return keep_refresh_token(fresh, stored)
    return (yield from run(login_operation(credentials, clock=clock)))


# --- orders ------------------------------------------------------------------------


def orders_by_external_id(external_order_id: str) -> Plan[list[Order]]:
    """Orders whose property 7 is exactly ``external_order_id``."""
    found = yield from _every(
        lambda page: ep.find_orders_by_external_id(external_order_id, page=page),
        lambda order: order.id,
    )
    return ep.exact_external_id(found, external_order_id)


def delivery_orders(order_id: int) -> Plan[list[Order]]:
    """The delivery orders (type 2) split off a sales order."""
    deliveries = OrderFilter(parent_order_id=order_id, order_types=(OrderType.DELIVERY,))
    return (yield from collect(OrderWalk(deliveries), HTTP, "run"))


# --- contacts, payments, variations ------------------------------------------------


def contacts_by_external_id(external_id: str) -> Plan[list[Contact]]:
    """Contacts whose ``externalId`` is exactly ``external_id``."""
    found = yield from _every(
        lambda page: ep.list_contacts(external_id=external_id, page=page),
        lambda contact: contact.id,
    )
    return [c for c in found if c.external_id == external_id]


def payments_by_transaction_id(transaction_id: str) -> Plan[list[Payment]]:
    """Live payments whose transaction id (property 1) is exactly ``transaction_id``."""
    kind = PaymentPropertyType.TRANSACTION_ID
    found = yield from run(ep.payments_by_property(kind, transaction_id))
    # plentymarkets' own shopware connector drops deleted payments here. Where the
    # properties came along, they must match exactly too.
    return [
        p
        for p in found
        if not p.is_deleted and (p.properties is None or p.property_value(kind) == transaction_id)
    ]


def variations_by_number(number: str) -> Plan[list[Variation]]:
    """Variations whose number is exactly ``number``."""
    found = yield from _every(
        lambda page: ep.search_variations(number_exact=number, page=page), lambda v: v.id
    )
    return [v for v in found if v.number == number]


def variations_by_barcode(code: str) -> Plan[list[Variation]]:
    """Variations with a barcode exactly ``code``."""
    found = yield from _every(
        lambda page: ep.search_variations(
            barcode=code, relations=("variationBarcodes",), page=page
        ),
        lambda v: v.id,
    )
    return [v for v in found if any(b.code == code for b in v.variation_barcodes or ())]


def variations_by_sku(sku: str, referrer_id: Decimal | int | None) -> Plan[list[Variation]]:
    """Variations with the market SKU ``sku`` (of market ``referrer_id`` if given)."""
    found = yield from _every(
        lambda page: ep.search_variations(
            sku=sku, sku_referrer_id=referrer_id, relations=("variationSkus",), page=page
        ),
        lambda v: v.id,
    )
    market = None if referrer_id is None else Decimal(referrer_id)
    return [
        v
        for v in found
        if any(
            s.sku == sku and (market is None or s.market_id == market)
            for s in v.variation_skus or ()
        )
    ]


# --- reference data (cached) ---------------------------------------------------------


def referrers(cache: TtlCache, refresh: bool = False) -> Plan[tuple[Referrer, ...]]:
    """Every referrer; ``refresh`` reads them again."""
    if refresh:
        cache.drop("referrers")
    return (yield from cached(cache, "referrers", run(ep.list_referrers())))


def referrers_named(cache: TtlCache, name: str) -> Plan[list[Referrer]]:
    """Referrers whose back-end or public name is exactly ``name``."""
    every = yield from referrers(cache)
    return [r for r in every if name in (r.backend_name, r.name)]


def create_referrer(
    cache: TtlCache,
    referrer: NewReferrer,
    parent_id: int | None,
    precondition: Precondition | None = None,
) -> Plan[Referrer]:
    """Create a referrer; the cached list is read again next time."""
    operation = ep.create_referrer(referrer, parent_id=parent_id).guarded(precondition)
    created = yield from run(operation)
    cache.drop("referrers")
    return created


def property_types(cache: TtlCache) -> Plan[tuple[OrderPropertyTypeInfo, ...]]:
    """The order property types."""
    return (yield from cached(cache, "property_types", run(ep.order_property_types())))


def payment_methods(cache: TtlCache) -> Plan[tuple[PaymentMethod, ...]]:
    """The methods of payment."""
    return (yield from cached(cache, "payment_methods", run(ep.payment_methods())))


def shipping_profiles(cache: TtlCache) -> Plan[tuple[ShippingProfile, ...]]:
    """Shipping profiles with their parcel service names."""
    return (yield from cached(cache, "shipping_profiles", run(ep.shipping_profiles())))


def countries(cache: TtlCache) -> Plan[tuple[Country, ...]]:
    """Every country plenty knows."""
    return (yield from cached(cache, "countries", run(ep.shipping_countries())))


def currencies(cache: TtlCache) -> Plan[tuple[Currency, ...]]:
    """The system's currencies with their exchange rates."""
    return (yield from cached(cache, "currencies", run(ep.list_currencies())))


def _all_vat() -> Plan[tuple[VatConfiguration, ...]]:
    every = yield from _every(lambda page: ep.list_vat_configurations(page=page), lambda v: v.id)
    return tuple(every)


def vat_configurations(
    cache: TtlCache, country_id: int | None
) -> Plan[tuple[VatConfiguration, ...]]:
    """VAT configurations (all pages), of one country if given."""
    every: Sequence[VatConfiguration] = yield from cached(cache, "vat", _all_vat())
    return tuple(v for v in every if country_id is None or v.country_id == country_id)
