"""``PlentyClient`` and ``AsyncPlentyClient``: typed access to the plentymarkets REST API.

Both are thin: each method builds an operation from :mod:`.endpoints` and hands
it to the engine; paging lives in :mod:`.paging`, pacing in :mod:`.throttle`.
Client-side filters (exact external ids, exact barcodes ...) are pure
functions shared by both.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, TypeVar

import httpx

from .._convert import Style, make_converter
from .._http.auth import AsyncTokenAuth, StaticTokenAuth, SyncTokenAuth, settle_renewals
from .._http.engine import AsyncAuth, AsyncEngine, EngineConfig, SyncAuth, SyncEngine
from .._http.operation import Operation
from .._http.redact import require_scrubbable
from .._http.retry import RetryEvent, RetryPolicy
from .._version import __version__
from ..errors import APIError, ReferenceDataError
from ..tokens import MemoryTokenStore, Token, TokenStore
from . import endpoints as ep
from ._service import PlentyService
from .auth import (
    SERVICE,
    PlentyCredentials,
    keep_refresh_token,
    login_operation,
    normalize_base_url,
    refresh_operation,
    token_key,
)
from .models import (
    Address,
    Comment,
    Contact,
    Country,
    Currency,
    NewAddress,
    NewComment,
    NewContact,
    NewOrder,
    NewPayment,
    NewReferrer,
    Order,
    OrderPropertyTypeInfo,
    OrderType,
    Page,
    Payment,
    PaymentMethod,
    PaymentOrderRelation,
    PaymentPropertyType,
    Referrer,
    ShippingPackage,
    ShippingProfile,
    StatusHistoryEntry,
    Variation,
    VatConfiguration,
)
from .paging import PageWalk
from .throttle import PlentyBudget, PlentyThrottle, RateLimit

__all__ = [
    "DEFAULT_TIMEOUT",
    "PLENTY_RETRY",
    "AsyncPlentyClient",
    "PlentyClient",
    "ReferenceDataError",
]

T = TypeVar("T")
log = logging.getLogger("allegro_plenty.plenty")

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
PLENTY_RETRY = RetryPolicy()
"""plenty sends ``Retry-After`` with its 429s; the default policy honours it."""
USER_AGENT = f"allegro-plenty/{__version__} (+https://pypi.org/project/allegro-plenty/)"

_PROCESS_STORE = MemoryTokenStore()
"""Shared by every client of this process that is given no token store: one login per user."""


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class _TtlCache:
    """Reference data that rarely changes (countries, VAT, currencies ...), kept for a while."""

    def __init__(self, ttl: float, clock: Callable[[], float]) -> None:
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._values: dict[str, tuple[float, Any]] = {}

    def get(self, key: str) -> Any:
        with self._lock:
            hit = self._values.get(key)
        if hit is None or self._clock() >= hit[0]:
            return None
        return hit[1]

    def put(self, key: str, value: T) -> T:
        with self._lock:
            self._values[key] = (self._clock() + self._ttl, value)
        return value

    def drop(self, key: str) -> None:
        with self._lock:
            self._values.pop(key, None)


# --- client-side filters shared by both clients ------------------------------------


def _exact_contacts(contacts: Sequence[Contact], external_id: str) -> list[Contact]:
    return [c for c in contacts if c.external_id == external_id]


def _exact_number(variations: Sequence[Variation], number: str) -> list[Variation]:
    return [v for v in variations if v.number == number]


def _exact_barcode(variations: Sequence[Variation], code: str) -> list[Variation]:
    return [v for v in variations if any(b.code == code for b in v.variation_barcodes or ())]


def _exact_sku(
    variations: Sequence[Variation], sku: str, referrer_id: Decimal | int | None
) -> list[Variation]:
    market = None if referrer_id is None else Decimal(referrer_id)
    return [
        v
        for v in variations
        if any(
            s.sku == sku and (market is None or s.market_id == market)
            for s in v.variation_skus or ()
        )
    ]


def _live_payments(payments: Sequence[Payment], type_id: int, value: str) -> list[Payment]:
    # plentymarkets' own shopware connector drops deleted payments here. Where the
    # properties came along, they must match exactly too.
    return [
        p
        for p in payments
        if not p.is_deleted and (p.properties is None or p.property_value(type_id) == value)
    ]


def _referrers_named(referrers: Sequence[Referrer], name: str) -> list[Referrer]:
    return [r for r in referrers if name in (r.backend_name, r.name)]


def _country_id(countries: Sequence[Country], iso_code: str) -> int:
    code = iso_code.upper()
    for country in countries:
        if country.iso_code2.upper() == code or (country.iso_code3 or "").upper() == code:
            return country.id
    raise ReferenceDataError(f"plentymarkets has no country with ISO code {iso_code!r}")


def _system_currency(currencies: Sequence[Currency]) -> str:
    # Inferred: plenty's exchange rates are relative to the system currency, so
    # it is the one currency whose rate is exactly 1.
    ones = [c.currency for c in currencies if c.exchange_rate == 1]
    if len(ones) != 1:
        raise ReferenceDataError(
            f"cannot tell the system currency from the exchange rates (rate 1: {ones}); "
            "pass system_currency= to the client"
        )
    return ones[0]


class _PlentyClientBase:
    """What the sync and async clients share: configuration, no I/O."""

    def __init__(
        self,
        base_url: str,
        *,
        username: str | None,
        password: str | None,
        token_store: TokenStore | None,
        access_token: str | None,
        retry: RetryPolicy,
        on_retry: Callable[[RetryEvent], None] | None,
        strict: bool,
        budget: PlentyBudget | None,
        throttle: bool | PlentyThrottle,
        monotonic: Callable[[], float],
        clock: Callable[[], datetime],
        reference_ttl: float,
        system_currency: str | None,
    ) -> None:
        self.base_url = normalize_base_url(base_url)
        if access_token is None and (not username or password is None):
            raise ValueError("pass username and password (or a ready access_token)")
        require_scrubbable("password", password)
        require_scrubbable("access_token", access_token)
        self.credentials = (
            None if username is None or password is None else PlentyCredentials(username, password)
        )
        self.token_store = token_store if token_store is not None else _PROCESS_STORE
        self.token_key = token_key(self.base_url, username) if username else None
        self._access_token = access_token
        self._clock = clock
        self._system_currency = system_currency
        if isinstance(throttle, PlentyThrottle):
            if budget is not None:
                raise ValueError("pass the budget to the shared PlentyThrottle, not to the client")
            self.throttle = throttle
        else:
            self.throttle = PlentyThrottle(budget, enabled=throttle, clock=monotonic)
        self._cache = _TtlCache(reference_ttl, monotonic)
        self._config = EngineConfig(
            service=PlentyService(self.throttle, secrets=(password,) if password else ()),
            base_url=self.base_url,
            converter=make_converter(strict=strict, style=Style.PLENTY),
            retry=retry,
            headers={"Accept": "application/json", "User-Agent": USER_AGENT},
            on_retry=on_retry,
        )

    def __repr__(self) -> str:
        user = self.credentials.username if self.credentials else None
        return f"{type(self).__name__}(base_url={self.base_url!r}, username={user!r})"

    @property
    def rate_limits(self) -> tuple[RateLimit, ...]:
        """The rate limits plentymarkets last reported, for monitoring."""
        return self.throttle.limits

    def _login(self) -> Operation[Token]:
        assert self.credentials is not None
        return login_operation(self.credentials, clock=self._clock)

    def _refresh(self, stored: Token | None) -> Operation[Token] | None:
        if stored is None or stored.refresh_token is None:
            return None
        return refresh_operation(stored, clock=self._clock)

    @staticmethod
    def _orders_walk(**filters: Any) -> PageWalk[Order]:
        return PageWalk(
            lambda page: ep.list_orders(sort_by="id", sort_order="asc", page=page, **filters),
            lambda order: order.id,
        )

    @staticmethod
    def _external_id_walk(external_order_id: str) -> PageWalk[Order]:
        return PageWalk(
            lambda page: ep.find_orders_by_external_id(external_order_id, page=page),
            lambda order: order.id,
        )


class PlentyClient(_PlentyClientBase):
    """Blocking client for the plentymarkets REST API.

    Args:
        base_url: The system's URL (``https://xyz.plentymarkets-cloud01.com``).
        username: A back-end user made for this integration.
        password: Its password (never logged, never in a ``repr``).
        token_store: Where the login lives, shared by every thread, task and
            process that uses this user (plenty allows 3 concurrent back-end
            users by default). Clients of one process share a memory store by
            default; give processes a :class:`~allegro_plenty.JsonFileTokenStore`
            or your own store.
        access_token: Instead of username and password: a token you manage.
        http_client: Your own ``httpx.Client`` (you close it).
        transport: A transport for the client this object creates (tests use
            ``httpx.MockTransport``).
        timeout: Request timeouts.
        retry: Retry policy; each endpoint's retry class still applies.
        on_retry: Called before every retry (for metrics).
        strict: Reject unknown keys in responses (for tests).
        budget: This integration's share of the shop's rate limits.
        throttle: ``False`` turns pacing off (headers are still read); a
            :class:`~allegro_plenty.plenty.throttle.PlentyThrottle` shares one
            throttle between clients of the same system.
        sleep: Injected in tests so waits take no time.
        monotonic: The throttle's and caches' clock, injected in tests.
        clock: The wall clock that token expiry is measured on.
        reference_ttl: Seconds that countries, VAT configurations, currencies,
            referrers, property types, payment methods and shipping profiles
            are kept before they are read again.
        system_currency: The system currency, if you know it; otherwise it is
            inferred from the exchange rates.
    """

    def __init__(
        self,
        base_url: str,
        *,
        username: str | None = None,
        password: str | None = None,
        token_store: TokenStore | None = None,
        access_token: str | None = None,
        http_client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy = PLENTY_RETRY,
        on_retry: Callable[[RetryEvent], None] | None = None,
        strict: bool = False,
        budget: PlentyBudget | None = None,
        throttle: bool | PlentyThrottle = True,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        clock: Callable[[], datetime] = _utcnow,
        reference_ttl: float = 3600.0,
        system_currency: str | None = None,
    ) -> None:
        super().__init__(
            base_url,
            username=username,
            password=password,
            token_store=token_store,
            access_token=access_token,
            retry=retry,
            on_retry=on_retry,
            strict=strict,
            budget=budget,
            throttle=throttle,
            monotonic=monotonic,
            clock=clock,
            reference_ttl=reference_ttl,
            system_currency=system_currency,
        )
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(transport=transport, timeout=timeout)
        self._engine = SyncEngine(self._config, self._http, self._auth(), sleep=sleep)

    def _auth(self) -> SyncAuth:
        if self._access_token is not None:
            return StaticTokenAuth(self._access_token)
        assert self.token_key is not None

        def renew(stored: Token | None) -> Token:
            refresh = self._refresh(stored)
            if refresh is not None and stored is not None:
                try:
                    return keep_refresh_token(self._engine.run(refresh), stored)
                except APIError as error:
                    log.info("plenty token refresh failed (%s); logging in again", error)
            return self._engine.run(self._login())

        return SyncTokenAuth(self.token_store, SERVICE, self.token_key, renew, clock=self._clock)

    def close(self) -> None:
        """Close the HTTP client if this object created it."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> PlentyClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _all(self, walk: PageWalk[T]) -> Iterator[T]:
        while (operation := walk.next_operation()) is not None:
            yield from walk.feed(self._engine.run(operation))

    def _cached(self, key: str, load: Callable[[], T]) -> T:
        hit = self._cache.get(key)
        return hit if hit is not None else self._cache.put(key, load())

    # --- orders --------------------------------------------------------------

    def create_order(self, order: NewOrder) -> Order:
        """Create an order (``POST /rest/orders``). Never retried.

        After a timeout, reset or 5xx the order may exist:
        :meth:`find_orders_by_external_id` before creating it again.
        """
        return self._engine.run(ep.create_order(order))

    def get_order(
        self, order_id: int, *, relations: Sequence[str] = ep.DEFAULT_ORDER_RELATIONS
    ) -> Order:
        """An order with addresses, relations and shipping packages (``GET /rest/orders/{id}``)."""
        return self._engine.run(ep.get_order(order_id, relations=relations))

    def find_orders_by_external_id(self, external_order_id: str) -> list[Order]:
        """Orders whose property 7 is exactly ``external_order_id`` (``GET /rest/orders``)."""
        found = list(self._all(self._external_id_walk(external_order_id)))
        return ep.exact_external_id(found, external_order_id)

    def iter_changed_orders(
        self,
        updated_at_from: datetime,
        *,
        updated_at_to: datetime | None = None,
        referrer_id: Decimal | int | None = None,
        status_from: ep.StatusId | None = None,
        status_to: ep.StatusId | None = None,
        order_types: Sequence[int] = (OrderType.SALES_ORDER,),
        relations: Sequence[str] = (),
        page_size: int = ep.MAX_ITEMS_PER_PAGE,
    ) -> Iterator[Order]:
        """Every order updated in the range, page after page (``GET /rest/orders``).

        Sales orders only unless ``order_types`` says otherwise. Remember when
        the walk started and pass that as ``updated_at_from`` next time: orders
        updated during the walk may or may not be in it.
        """
        walk = self._orders_walk(
            updated_at_from=updated_at_from,
            updated_at_to=updated_at_to,
            referrer_id=referrer_id,
            status_from=status_from,
            status_to=status_to,
            order_types=order_types,
            relations=relations,
            items_per_page=page_size,
        )
        return self._all(walk)

    def list_orders(self, **filters: Any) -> Page[Order]:
        """One page of ``GET /rest/orders`` (filters as in :func:`endpoints.list_orders`)."""
        return self._engine.run(ep.list_orders(**filters))

    def delivery_orders(self, order_id: int) -> list[Order]:
        """The delivery orders (type 2) split off a sales order."""
        walk = self._orders_walk(parent_order_id=order_id, order_types=(OrderType.DELIVERY,))
        return list(self._all(walk))

    def update_order_status(self, order_id: int, status: ep.StatusId) -> Order:
        """Set the status (``5``, ``"5.1"``, ``Decimal("5.1")``); idempotent, so retried."""
        return self._engine.run(ep.update_order_status(order_id, status))

    def cancel_order(
        self, order_id: int, *, status: ep.StatusId = Decimal(8), message: str | None = None
    ) -> None:
        """Cancel an order (``PUT /rest/orders/{id}/cancel``)."""
        self._engine.run(ep.cancel_order(order_id, status=status, message=message))

    def order_status_history(self, order_id: int) -> tuple[StatusHistoryEntry, ...]:
        """The status changes of one order, oldest first."""
        return self._engine.run(ep.order_status_history(order_id))

    def iter_status_history(
        self,
        created_at_from: datetime,
        *,
        created_at_to: datetime | None = None,
        status: ep.StatusId | None = None,
        page_size: int = ep.MAX_ITEMS_PER_PAGE,
    ) -> Iterator[StatusHistoryEntry]:
        """Status changes of every order since ``created_at_from`` (for polling)."""
        walk = PageWalk(
            lambda page: ep.list_status_history(
                created_at_from=created_at_from,
                created_at_to=created_at_to,
                status=status,
                page=page,
                items_per_page=page_size,
            ),
            lambda entry: entry.id,
        )
        return self._all(walk)

    # --- referrers and property types --------------------------------------------

    def list_referrers(self, *, refresh: bool = False) -> tuple[Referrer, ...]:
        """Every referrer (cached for ``reference_ttl``)."""
        if refresh:
            self._cache.drop("referrers")
        return self._cached("referrers", lambda: self._engine.run(ep.list_referrers()))

    def find_referrers(self, name: str) -> list[Referrer]:
        """Referrers whose back-end or public name is exactly ``name``."""
        return _referrers_named(self.list_referrers(), name)

    def create_referrer(self, referrer: NewReferrer, *, parent_id: int | None = None) -> Referrer:
        """Create a referrer, a sub-referrer of ``parent_id`` if given.

        Re-sent only if plenty provably did not get it; after an ambiguous
        failure, :meth:`find_referrers` (with ``refresh``) first.
        """
        created = self._engine.run(ep.create_referrer(referrer, parent_id=parent_id))
        self._cache.drop("referrers")
        return created

    def order_property_types(self) -> tuple[OrderPropertyTypeInfo, ...]:
        """The order property types with their names and value types (cached)."""
        return self._cached("property_types", lambda: self._engine.run(ep.order_property_types()))

    # --- contacts and addresses -----------------------------------------------------

    def find_contacts_by_external_id(self, external_id: str) -> list[Contact]:
        """Contacts whose ``externalId`` is exactly ``external_id``."""
        walk = PageWalk(
            lambda page: ep.list_contacts(external_id=external_id, page=page),
            lambda contact: contact.id,
        )
        return _exact_contacts(list(self._all(walk)), external_id)

    def create_contact(self, contact: NewContact) -> Contact:
        """Create a contact; after an ambiguous failure, find it by external id first."""
        return self._engine.run(ep.create_contact(contact))

    def create_address(
        self,
        contact_id: int,
        address: NewAddress,
        *,
        type_id: int,
        is_primary: bool | None = None,
    ) -> Address:
        """Add a billing (1) or delivery (2) address to a contact; plenty reuses duplicates."""
        return self._engine.run(
            ep.create_address(contact_id, address, type_id=type_id, is_primary=is_primary)
        )

    # --- payments ---------------------------------------------------------------------

    def create_payment(self, payment: NewPayment) -> Payment:
        """Create a payment; after an ambiguous failure, look it up by transaction id first."""
        return self._engine.run(ep.create_payment(payment))

    def find_payments_by_transaction_id(self, transaction_id: str) -> list[Payment]:
        """Live payments whose transaction id (property 1) is ``transaction_id``."""
        found = self._engine.run(
            ep.payments_by_property(PaymentPropertyType.TRANSACTION_ID, transaction_id)
        )
        return _live_payments(found, PaymentPropertyType.TRANSACTION_ID, transaction_id)

    def order_payments(self, order_id: int) -> tuple[Payment, ...]:
        """The payments linked to an order."""
        return self._engine.run(ep.order_payments(order_id))

    def link_payment_to_order(self, payment_id: int, order_id: int) -> PaymentOrderRelation:
        """Link a payment to an order (``POST /rest/payment/{id}/order/{orderId}``)."""
        return self._engine.run(ep.link_payment_to_order(payment_id, order_id))

    def payment_methods(self) -> tuple[PaymentMethod, ...]:
        """The methods of payment and their ``mopId`` (cached)."""
        return self._cached("payment_methods", lambda: self._engine.run(ep.payment_methods()))

    # --- variations -------------------------------------------------------------------

    def find_variations_by_number(self, number: str) -> list[Variation]:
        """Variations whose number is exactly ``number`` (``numberExact``)."""
        walk = PageWalk(
            lambda page: ep.search_variations(number_exact=number, page=page), lambda v: v.id
        )
        return _exact_number(list(self._all(walk)), number)

    def find_variations_by_barcode(self, code: str) -> list[Variation]:
        """Variations with a barcode exactly ``code`` (EAN, GTIN ...)."""
        walk = PageWalk(
            lambda page: ep.search_variations(
                barcode=code, relations=("variationBarcodes",), page=page
            ),
            lambda v: v.id,
        )
        return _exact_barcode(list(self._all(walk)), code)

    def find_variations_by_sku(
        self, sku: str, *, referrer_id: Decimal | int | None = None
    ) -> list[Variation]:
        """Variations with the market SKU ``sku`` (of market ``referrer_id`` if given)."""
        walk = PageWalk(
            lambda page: ep.search_variations(
                sku=sku, sku_referrer_id=referrer_id, relations=("variationSkus",), page=page
            ),
            lambda v: v.id,
        )
        return _exact_sku(list(self._all(walk)), sku, referrer_id)

    # --- shipping ----------------------------------------------------------------------

    def package_numbers(self, order_id: int) -> tuple[str, ...]:
        """The tracking numbers registered on an order."""
        return self._engine.run(ep.package_numbers(order_id))

    def shipping_packages(
        self, order_id: int, *, with_items: bool = True
    ) -> tuple[ShippingPackage, ...]:
        """The shipping packages of an order and the items each contains."""
        return self._engine.run(ep.shipping_packages(order_id, with_items=with_items))

    def shipping_profiles(self) -> tuple[ShippingProfile, ...]:
        """Shipping profiles with their parcel service names (cached)."""
        return self._cached("shipping_profiles", lambda: self._engine.run(ep.shipping_profiles()))

    # --- comments -----------------------------------------------------------------------

    def create_comment(self, comment: NewComment) -> Comment:
        """Add a comment (HTML); build plain-text ones with :meth:`NewComment.plain`."""
        return self._engine.run(ep.create_comment(comment))

    def order_comments(self, order_id: int) -> tuple[Comment, ...]:
        """The comments of an order."""
        return self._engine.run(ep.order_comments(order_id))

    # --- reference data ------------------------------------------------------------------

    def countries(self) -> tuple[Country, ...]:
        """Every country plenty knows (cached)."""
        return self._cached("countries", lambda: self._engine.run(ep.shipping_countries()))

    def country_id(self, iso_code: str) -> int:
        """plenty's country id for an ISO 3166 code (``"PL"`` → 23)."""
        return _country_id(self.countries(), iso_code)

    def vat_configurations(self, *, country_id: int | None = None) -> tuple[VatConfiguration, ...]:
        """VAT configurations, of one country if given (all pages, cached)."""
        every: tuple[VatConfiguration, ...] = self._cached(
            "vat",
            lambda: tuple(
                self._all(
                    PageWalk(lambda page: ep.list_vat_configurations(page=page), lambda vat: vat.id)
                )
            ),
        )
        return tuple(v for v in every if country_id is None or v.country_id == country_id)

    def standard_vat_configuration(self, plenty_id: int) -> VatConfiguration:
        """The VAT configuration of a client's standard accounting location."""
        return self._engine.run(ep.standard_vat_configuration(plenty_id))

    def currencies(self) -> tuple[Currency, ...]:
        """The system's currencies with their exchange rates (cached)."""
        return self._cached("currencies", lambda: self._engine.run(ep.list_currencies()))

    def system_currency(self) -> str:
        """The system currency: as configured, else the currency whose rate is 1."""
        return self._system_currency or _system_currency(self.currencies())

    def exchange_rate(self, currency: str) -> Decimal:
        """The current exchange rate of ``currency`` (not cached: rates move daily)."""
        return self._engine.run(ep.exchange_rate(currency))


class AsyncPlentyClient(_PlentyClientBase):
    """Async client for the plentymarkets REST API. See :class:`PlentyClient`."""

    def __init__(
        self,
        base_url: str,
        *,
        username: str | None = None,
        password: str | None = None,
        token_store: TokenStore | None = None,
        access_token: str | None = None,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy = PLENTY_RETRY,
        on_retry: Callable[[RetryEvent], None] | None = None,
        strict: bool = False,
        budget: PlentyBudget | None = None,
        throttle: bool | PlentyThrottle = True,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        clock: Callable[[], datetime] = _utcnow,
        reference_ttl: float = 3600.0,
        system_currency: str | None = None,
    ) -> None:
        super().__init__(
            base_url,
            username=username,
            password=password,
            token_store=token_store,
            access_token=access_token,
            retry=retry,
            on_retry=on_retry,
            strict=strict,
            budget=budget,
            throttle=throttle,
            monotonic=monotonic,
            clock=clock,
            reference_ttl=reference_ttl,
            system_currency=system_currency,
        )
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(transport=transport, timeout=timeout)
        self._engine = AsyncEngine(self._config, self._http, self._auth(), sleep=sleep)

    def _auth(self) -> AsyncAuth:
        if self._access_token is not None:
            return StaticTokenAuth(self._access_token)
        assert self.token_key is not None

        async def renew(stored: Token | None) -> Token:
            refresh = self._refresh(stored)
            if refresh is not None and stored is not None:
                try:
                    return keep_refresh_token(await self._engine.run(refresh), stored)
                except APIError as error:
                    log.info("plenty token refresh failed (%s); logging in again", error)
            return await self._engine.run(self._login())

        return AsyncTokenAuth(self.token_store, SERVICE, self.token_key, renew, clock=self._clock)

    async def aclose(self) -> None:
        """Close the HTTP client if this object created it.

        A token renewal still running for a cancelled call finishes first: its
        answer holds the only copy of the new refresh token.
        """
        await settle_renewals(self._engine.auth)
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncPlentyClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _all(self, walk: PageWalk[T]) -> AsyncIterator[T]:
        while (operation := walk.next_operation()) is not None:
            for entry in walk.feed(await self._engine.run(operation)):
                yield entry

    async def _collect(self, walk: PageWalk[T]) -> list[T]:
        return [entry async for entry in self._all(walk)]

    async def _cached(self, key: str, load: Callable[[], Awaitable[T]]) -> T:
        hit = self._cache.get(key)
        return hit if hit is not None else self._cache.put(key, await load())

    # --- orders --------------------------------------------------------------

    async def create_order(self, order: NewOrder) -> Order:
        """Create an order. Never retried; see :meth:`PlentyClient.create_order`."""
        return await self._engine.run(ep.create_order(order))

    async def get_order(
        self, order_id: int, *, relations: Sequence[str] = ep.DEFAULT_ORDER_RELATIONS
    ) -> Order:
        """An order with addresses, relations and shipping packages."""
        return await self._engine.run(ep.get_order(order_id, relations=relations))

    async def find_orders_by_external_id(self, external_order_id: str) -> list[Order]:
        """Orders whose property 7 is exactly ``external_order_id``."""
        found = await self._collect(self._external_id_walk(external_order_id))
        return ep.exact_external_id(found, external_order_id)

    def iter_changed_orders(
        self,
        updated_at_from: datetime,
        *,
        updated_at_to: datetime | None = None,
        referrer_id: Decimal | int | None = None,
        status_from: ep.StatusId | None = None,
        status_to: ep.StatusId | None = None,
        order_types: Sequence[int] = (OrderType.SALES_ORDER,),
        relations: Sequence[str] = (),
        page_size: int = ep.MAX_ITEMS_PER_PAGE,
    ) -> AsyncIterator[Order]:
        """Every order updated in the range; see :meth:`PlentyClient.iter_changed_orders`."""
        walk = self._orders_walk(
            updated_at_from=updated_at_from,
            updated_at_to=updated_at_to,
            referrer_id=referrer_id,
            status_from=status_from,
            status_to=status_to,
            order_types=order_types,
            relations=relations,
            items_per_page=page_size,
        )
        return self._all(walk)

    async def list_orders(self, **filters: Any) -> Page[Order]:
        """One page of ``GET /rest/orders``."""
        return await self._engine.run(ep.list_orders(**filters))

    async def delivery_orders(self, order_id: int) -> list[Order]:
        """The delivery orders (type 2) split off a sales order."""
        walk = self._orders_walk(parent_order_id=order_id, order_types=(OrderType.DELIVERY,))
        return await self._collect(walk)

    async def update_order_status(self, order_id: int, status: ep.StatusId) -> Order:
        """Set the status; idempotent, so retried."""
        return await self._engine.run(ep.update_order_status(order_id, status))

    async def cancel_order(
        self, order_id: int, *, status: ep.StatusId = Decimal(8), message: str | None = None
    ) -> None:
        """Cancel an order."""
        await self._engine.run(ep.cancel_order(order_id, status=status, message=message))

    async def order_status_history(self, order_id: int) -> tuple[StatusHistoryEntry, ...]:
        """The status changes of one order, oldest first."""
        return await self._engine.run(ep.order_status_history(order_id))

    def iter_status_history(
        self,
        created_at_from: datetime,
        *,
        created_at_to: datetime | None = None,
        status: ep.StatusId | None = None,
        page_size: int = ep.MAX_ITEMS_PER_PAGE,
    ) -> AsyncIterator[StatusHistoryEntry]:
        """Status changes of every order since ``created_at_from``."""
        walk = PageWalk(
            lambda page: ep.list_status_history(
                created_at_from=created_at_from,
                created_at_to=created_at_to,
                status=status,
                page=page,
                items_per_page=page_size,
            ),
            lambda entry: entry.id,
        )
        return self._all(walk)

    # --- referrers and property types --------------------------------------------

    async def list_referrers(self, *, refresh: bool = False) -> tuple[Referrer, ...]:
        """Every referrer (cached)."""
        if refresh:
            self._cache.drop("referrers")
        return await self._cached("referrers", lambda: self._engine.run(ep.list_referrers()))

    async def find_referrers(self, name: str) -> list[Referrer]:
        """Referrers whose back-end or public name is exactly ``name``."""
        return _referrers_named(await self.list_referrers(), name)

    async def create_referrer(
        self, referrer: NewReferrer, *, parent_id: int | None = None
    ) -> Referrer:
        """Create a referrer; see :meth:`PlentyClient.create_referrer`."""
        created = await self._engine.run(ep.create_referrer(referrer, parent_id=parent_id))
        self._cache.drop("referrers")
        return created

    async def order_property_types(self) -> tuple[OrderPropertyTypeInfo, ...]:
        """The order property types (cached)."""
        return await self._cached(
            "property_types", lambda: self._engine.run(ep.order_property_types())
        )

    # --- contacts and addresses -----------------------------------------------------

    async def find_contacts_by_external_id(self, external_id: str) -> list[Contact]:
        """Contacts whose ``externalId`` is exactly ``external_id``."""
        walk = PageWalk(
            lambda page: ep.list_contacts(external_id=external_id, page=page),
            lambda contact: contact.id,
        )
        return _exact_contacts(await self._collect(walk), external_id)

    async def create_contact(self, contact: NewContact) -> Contact:
        """Create a contact; after an ambiguous failure, find it by external id first."""
        return await self._engine.run(ep.create_contact(contact))

    async def create_address(
        self,
        contact_id: int,
        address: NewAddress,
        *,
        type_id: int,
        is_primary: bool | None = None,
    ) -> Address:
        """Add a billing (1) or delivery (2) address to a contact."""
        return await self._engine.run(
            ep.create_address(contact_id, address, type_id=type_id, is_primary=is_primary)
        )

    # --- payments ---------------------------------------------------------------------

    async def create_payment(self, payment: NewPayment) -> Payment:
        """Create a payment; after an ambiguous failure, look it up first."""
        return await self._engine.run(ep.create_payment(payment))

    async def find_payments_by_transaction_id(self, transaction_id: str) -> list[Payment]:
        """Live payments whose transaction id (property 1) is ``transaction_id``."""
        found = await self._engine.run(
            ep.payments_by_property(PaymentPropertyType.TRANSACTION_ID, transaction_id)
        )
        return _live_payments(found, PaymentPropertyType.TRANSACTION_ID, transaction_id)

    async def order_payments(self, order_id: int) -> tuple[Payment, ...]:
        """The payments linked to an order."""
        return await self._engine.run(ep.order_payments(order_id))

    async def link_payment_to_order(self, payment_id: int, order_id: int) -> PaymentOrderRelation:
        """Link a payment to an order."""
        return await self._engine.run(ep.link_payment_to_order(payment_id, order_id))

    async def payment_methods(self) -> tuple[PaymentMethod, ...]:
        """The methods of payment (cached)."""
        return await self._cached("payment_methods", lambda: self._engine.run(ep.payment_methods()))

    # --- variations -------------------------------------------------------------------

    async def find_variations_by_number(self, number: str) -> list[Variation]:
        """Variations whose number is exactly ``number``."""
        walk = PageWalk(
            lambda page: ep.search_variations(number_exact=number, page=page), lambda v: v.id
        )
        return _exact_number(await self._collect(walk), number)

    async def find_variations_by_barcode(self, code: str) -> list[Variation]:
        """Variations with a barcode exactly ``code``."""
        walk = PageWalk(
            lambda page: ep.search_variations(
                barcode=code, relations=("variationBarcodes",), page=page
            ),
            lambda v: v.id,
        )
        return _exact_barcode(await self._collect(walk), code)

    async def find_variations_by_sku(
        self, sku: str, *, referrer_id: Decimal | int | None = None
    ) -> list[Variation]:
        """Variations with the market SKU ``sku``."""
        walk = PageWalk(
            lambda page: ep.search_variations(
                sku=sku, sku_referrer_id=referrer_id, relations=("variationSkus",), page=page
            ),
            lambda v: v.id,
        )
        return _exact_sku(await self._collect(walk), sku, referrer_id)

    # --- shipping ----------------------------------------------------------------------

    async def package_numbers(self, order_id: int) -> tuple[str, ...]:
        """The tracking numbers registered on an order."""
        return await self._engine.run(ep.package_numbers(order_id))

    async def shipping_packages(
        self, order_id: int, *, with_items: bool = True
    ) -> tuple[ShippingPackage, ...]:
        """The shipping packages of an order and their items."""
        return await self._engine.run(ep.shipping_packages(order_id, with_items=with_items))

    async def shipping_profiles(self) -> tuple[ShippingProfile, ...]:
        """Shipping profiles with their parcel service names (cached)."""
        return await self._cached(
            "shipping_profiles", lambda: self._engine.run(ep.shipping_profiles())
        )

    # --- comments -----------------------------------------------------------------------

    async def create_comment(self, comment: NewComment) -> Comment:
        """Add a comment (HTML)."""
        return await self._engine.run(ep.create_comment(comment))

    async def order_comments(self, order_id: int) -> tuple[Comment, ...]:
        """The comments of an order."""
        return await self._engine.run(ep.order_comments(order_id))

    # --- reference data ------------------------------------------------------------------

    async def countries(self) -> tuple[Country, ...]:
        """Every country plenty knows (cached)."""
        return await self._cached("countries", lambda: self._engine.run(ep.shipping_countries()))

    async def country_id(self, iso_code: str) -> int:
        """plenty's country id for an ISO 3166 code."""
        return _country_id(await self.countries(), iso_code)

    async def vat_configurations(
        self, *, country_id: int | None = None
    ) -> tuple[VatConfiguration, ...]:
        """VAT configurations, of one country if given (cached)."""

        async def load() -> tuple[VatConfiguration, ...]:
            walk = PageWalk(lambda page: ep.list_vat_configurations(page=page), lambda v: v.id)
            return tuple(await self._collect(walk))

        every = await self._cached("vat", load)
        return tuple(v for v in every if country_id is None or v.country_id == country_id)

    async def standard_vat_configuration(self, plenty_id: int) -> VatConfiguration:
        """The VAT configuration of a client's standard accounting location."""
        return await self._engine.run(ep.standard_vat_configuration(plenty_id))

    async def currencies(self) -> tuple[Currency, ...]:
        """The system's currencies (cached)."""
        return await self._cached("currencies", lambda: self._engine.run(ep.list_currencies()))

    async def system_currency(self) -> str:
        """The system currency: as configured, else the currency whose rate is 1."""
        return self._system_currency or _system_currency(await self.currencies())

    async def exchange_rate(self, currency: str) -> Decimal:
        """The current exchange rate of ``currency`` (not cached)."""
        return await self._engine.run(ep.exchange_rate(currency))
