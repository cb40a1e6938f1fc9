"""``PlentyClient``: the blocking client for the plentymarkets REST API."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from decimal import Decimal

import httpx

from .._client import SyncSender
from .._http.operation import Precondition
from . import _plans as plans
from . import endpoints as ep
from ._client_base import _changed_orders, _country_id, _PlentyClientBase, _system_currency
from .filters import NO_ORDER_FILTER, OrderFilter, StatusId
from .models import (
    Address,
    Comment,
    Contact,
    Country,
    Currency,
    Document,
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
    Referrer,
    ShippingPackage,
    ShippingProfile,
    StatusHistoryEntry,
    Variation,
    VatConfiguration,
)
from .paging import StatusHistoryWalk


class PlentyClient(
    SyncSender, _PlentyClientBase[httpx.Client, httpx.BaseTransport, Callable[[float], None]]
):
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
        timeout: Request timeouts (:data:`~allegro_plenty.DEFAULT_TIMEOUT`).
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
            are kept before they are read again. However many threads ask at
            once, each is read once.
        system_currency: The system currency, if you know it; otherwise it is
            inferred from the exchange rates.

    Every write method takes ``precondition=``: a callable run right before
    each send attempt, after any throttle wait or retry backoff. If it raises,
    nothing is sent, nothing is retried and its error reaches you. The importer
    passes its ledger claim's renewal, so a worker that lost its claim while it
    waited for the rate limit never writes. (A call stopped this way still
    counts as admitted by the throttle, which only ever errs towards fewer calls.)
    """

    # --- orders --------------------------------------------------------------

    def create_order(self, order: NewOrder, *, precondition: Precondition | None = None) -> Order:
        """Create an order (``POST /rest/orders``). Never retried.

        After a timeout, reset or 5xx the order may exist:
        :meth:`find_orders_by_external_id` before creating it again.
        """
        return self.send(ep.create_order(order).guarded(precondition))

    def get_order(
        self, order_id: int, *, relations: Sequence[str] = ep.DEFAULT_ORDER_RELATIONS
    ) -> Order:
        """An order with addresses, relations and shipping packages (``GET /rest/orders/{id}``)."""
        return self.send(ep.get_order(order_id, relations=relations))

    def find_orders_by_external_id(self, external_order_id: str) -> list[Order]:
        """Orders whose property 7 is exactly ``external_order_id`` (``GET /rest/orders``)."""
        return self._drive(plans.orders_by_external_id(external_order_id))

    def iter_changed_orders(
        self,
        updated_at_from: datetime,
        *,
        updated_at_to: datetime | None = None,
        referrer_id: Decimal | int | None = None,
        status_from: StatusId | None = None,
        status_to: StatusId | None = None,
        order_types: Sequence[int] = (OrderType.SALES_ORDER,),
        relations: Sequence[str] = (),
        page_size: int = ep.MAX_ITEMS_PER_PAGE,
    ) -> Iterator[Order]:
        """Every order updated in the range, page after page (``GET /rest/orders``).

        Sales orders only unless ``order_types`` says otherwise. Remember when
        the walk started and pass that as ``updated_at_from`` next time: orders
        updated during the walk may or may not be in it. To stop and resume
        later, iterate an :class:`~allegro_plenty.plenty.OrderWalk` with
        :meth:`iterate` and keep its ``cursor``.
        """
        return self.iterate(
            _changed_orders(
                updated_at_from,
                updated_at_to,
                referrer_id,
                status_from,
                status_to,
                order_types,
                relations,
                page_size,
            )
        )

    def list_orders(
        self,
        filter: OrderFilter = NO_ORDER_FILTER,
        *,
        relations: Sequence[str] = (),
        page: int = 1,
        items_per_page: int = ep.MAX_ITEMS_PER_PAGE,
    ) -> Page[Order]:
        """One page of ``GET /rest/orders`` matching ``filter``."""
        return self.send(
            ep.list_orders(filter, relations=relations, page=page, items_per_page=items_per_page)
        )

    def delivery_orders(self, order_id: int) -> list[Order]:
        """The delivery orders (type 2) split off a sales order."""
        return self._drive(plans.delivery_orders(order_id))

    def update_order_status(
        self, order_id: int, status: StatusId, *, precondition: Precondition | None = None
    ) -> Order:
        """Set the status (``5``, ``"5.1"``, ``Decimal("5.1")``); idempotent, so retried."""
        return self.send(ep.update_order_status(order_id, status).guarded(precondition))

    def set_order_address(
        self,
        order_id: int,
        address_id: int,
        *,
        type_id: int,
        precondition: Precondition | None = None,
    ) -> Order:
        """Point the order's billing (1) or delivery (2) address at ``address_id``.

        Make the address first (:meth:`create_address`); idempotent, so retried.
        An order is locked once invoiced: check ``Order.lock_status`` first.
        """
        return self.send(
            ep.set_order_address(order_id, address_id, type_id=type_id).guarded(precondition)
        )

    def cancel_order(
        self,
        order_id: int,
        *,
        status: StatusId = Decimal(8),
        message: str | None = None,
        precondition: Precondition | None = None,
    ) -> None:
        """Cancel an order (``PUT /rest/orders/{id}/cancel``)."""
        return self.send(
            ep.cancel_order(order_id, status=status, message=message).guarded(precondition)
        )

    def order_status_history(self, order_id: int) -> tuple[StatusHistoryEntry, ...]:
        """The status changes of one order, oldest first."""
        return self.send(ep.order_status_history(order_id))

    def iter_status_history(
        self,
        created_at_from: datetime,
        *,
        created_at_to: datetime | None = None,
        status: StatusId | None = None,
        page_size: int = ep.MAX_ITEMS_PER_PAGE,
    ) -> Iterator[StatusHistoryEntry]:
        """Status changes of every order since ``created_at_from`` (for polling).

        To resume later, iterate a :class:`~allegro_plenty.plenty.StatusHistoryWalk`
        with :meth:`iterate` and keep its ``cursor``.
        """
        return self.iterate(
            StatusHistoryWalk(
                created_at_from, created_at_to=created_at_to, status=status, page_size=page_size
            )
        )

    # --- referrers and property types --------------------------------------------

    def list_referrers(self, *, refresh: bool = False) -> tuple[Referrer, ...]:
        """Every referrer (cached for ``reference_ttl``)."""
        return self._drive(plans.referrers(self._cache, refresh))

    def find_referrers(self, name: str) -> list[Referrer]:
        """Referrers whose back-end or public name is exactly ``name``."""
        return self._drive(plans.referrers_named(self._cache, name))

    def create_referrer(
        self,
        referrer: NewReferrer,
        *,
        parent_id: int | None = None,
        precondition: Precondition | None = None,
    ) -> Referrer:
        """Create a referrer, a sub-referrer of ``parent_id`` if given.

        Re-sent only if plenty provably did not get it; after an ambiguous
        failure, :meth:`find_referrers` (with ``refresh``) first.
        """
        return self._drive(plans.create_referrer(self._cache, referrer, parent_id, precondition))

    def order_property_types(self) -> tuple[OrderPropertyTypeInfo, ...]:
        """The order property types with their names and value types (cached)."""
        return self._drive(plans.property_types(self._cache))

    # --- contacts and addresses -----------------------------------------------------

    def find_contacts_by_external_id(self, external_id: str) -> list[Contact]:
        """Contacts whose ``externalId`` is exactly ``external_id``."""
        return self._drive(plans.contacts_by_external_id(external_id))

    def create_contact(
        self, contact: NewContact, *, precondition: Precondition | None = None
    ) -> Contact:
        """Create a contact; after an ambiguous failure, find it by external id first."""
        return self.send(ep.create_contact(contact).guarded(precondition))

    def create_address(
        self,
        contact_id: int,
        address: NewAddress,
        *,
        type_id: int,
        is_primary: bool | None = None,
        precondition: Precondition | None = None,
    ) -> Address:
        """Add a billing (1) or delivery (2) address to a contact; plenty reuses duplicates."""
        return self.send(
            ep.create_address(contact_id, address, type_id=type_id, is_primary=is_primary).guarded(
                precondition
            )
        )

    # --- payments ---------------------------------------------------------------------

    def create_payment(
        self, payment: NewPayment, *, precondition: Precondition | None = None
    ) -> Payment:
        """Create a payment; after an ambiguous failure, look it up by transaction id first."""
        return self.send(ep.create_payment(payment).guarded(precondition))

    def find_payments_by_transaction_id(self, transaction_id: str) -> list[Payment]:
        """Live payments whose transaction id (property 1) is ``transaction_id``."""
        return self._drive(plans.payments_by_transaction_id(transaction_id))

    def order_payments(self, order_id: int) -> tuple[Payment, ...]:
        """The payments linked to an order."""
        return self.send(ep.order_payments(order_id))

    def link_payment_to_order(
        self, payment_id: int, order_id: int, *, precondition: Precondition | None = None
    ) -> PaymentOrderRelation:
        """Link a payment to an order (``POST /rest/payment/{id}/order/{orderId}``)."""
        return self.send(ep.link_payment_to_order(payment_id, order_id).guarded(precondition))

    def payment_methods(self) -> tuple[PaymentMethod, ...]:
        """The methods of payment and their ``mopId`` (cached)."""
        return self._drive(plans.payment_methods(self._cache))

    # --- variations -------------------------------------------------------------------

    def find_variations_by_number(self, number: str) -> list[Variation]:
        """Variations whose number is exactly ``number`` (``numberExact``)."""
        return self._drive(plans.variations_by_number(number))

    def find_variations_by_barcode(self, code: str) -> list[Variation]:
        """Variations with a barcode exactly ``code`` (EAN, GTIN ...)."""
        return self._drive(plans.variations_by_barcode(code))

    def find_variations_by_sku(
        self, sku: str, *, referrer_id: Decimal | int | None = None
    ) -> list[Variation]:
        """Variations with the market SKU ``sku`` (of market ``referrer_id`` if given)."""
        return self._drive(plans.variations_by_sku(sku, referrer_id))

    # --- shipping ----------------------------------------------------------------------

    def package_numbers(self, order_id: int) -> tuple[str, ...]:
        """The tracking numbers registered on an order."""
        return self.send(ep.package_numbers(order_id))

    def shipping_packages(
        self, order_id: int, *, with_items: bool = True
    ) -> tuple[ShippingPackage, ...]:
        """The shipping packages of an order and the items each contains."""
        return self.send(ep.shipping_packages(order_id, with_items=with_items))

    def shipping_profiles(self) -> tuple[ShippingProfile, ...]:
        """Shipping profiles with their parcel service names (cached)."""
        return self._drive(plans.shipping_profiles(self._cache))

    # --- documents ----------------------------------------------------------------------

    def order_documents(
        self, order_id: int, document_type: str = "invoice", *, with_content: bool = False
    ) -> tuple[Document, ...]:
        """An order's documents of a type (``invoice``, ``correction`` ...), with number and
        date."""
        return self.send(ep.order_documents(order_id, document_type, with_content=with_content))

    def list_documents(
        self,
        document_type: str = "invoice",
        *,
        updated_at_from: datetime | None = None,
        updated_at_to: datetime | None = None,
        page: int = 1,
        items_per_page: int = ep.MAX_ITEMS_PER_PAGE,
    ) -> Page[Document]:
        """One page of documents of a type across orders, e.g. changed since a cursor."""
        return self.send(
            ep.list_documents(
                document_type,
                updated_at_from=updated_at_from,
                updated_at_to=updated_at_to,
                page=page,
                items_per_page=items_per_page,
            )
        )

    def download_document(self, document_id: int) -> bytes:
        """A document's file (a PDF), byte for byte."""
        return self.send(ep.download_document(document_id))

    def generate_invoice(
        self,
        order_id: int,
        *,
        document_date: datetime | None = None,
        precondition: Precondition | None = None,
    ) -> None:
        """Have plentymarkets make the order's invoice (never retried: look it up after an
        ambiguous failure)."""
        return self.send(
            ep.generate_invoice(order_id, document_date=document_date).guarded(precondition)
        )

    # --- comments -----------------------------------------------------------------------

    def create_comment(
        self, comment: NewComment, *, precondition: Precondition | None = None
    ) -> Comment:
        """Add a comment (HTML); build plain-text ones with :meth:`NewComment.plain`."""
        return self.send(ep.create_comment(comment).guarded(precondition))

    def order_comments(self, order_id: int) -> tuple[Comment, ...]:
        """The comments of an order."""
        return self.send(ep.order_comments(order_id))

    # --- reference data ------------------------------------------------------------------

    def countries(self) -> tuple[Country, ...]:
        """Every country plenty knows (cached)."""
        return self._drive(plans.countries(self._cache))

    def country_id(self, iso_code: str) -> int:
        """plenty's country id for an ISO 3166 code (``"PL"`` → 23)."""
        return self._drive(_country_id(self._cache, iso_code))

    def vat_configurations(self, *, country_id: int | None = None) -> tuple[VatConfiguration, ...]:
        """VAT configurations, of one country if given (all pages, cached)."""
        return self._drive(plans.vat_configurations(self._cache, country_id))

    def standard_vat_configuration(self, plenty_id: int) -> VatConfiguration:
        """The VAT configuration of a client's standard accounting location."""
        return self.send(ep.standard_vat_configuration(plenty_id))

    def currencies(self) -> tuple[Currency, ...]:
        """The system's currencies with their exchange rates (cached)."""
        return self._drive(plans.currencies(self._cache))

    def system_currency(self) -> str:
        """The system currency: as configured, else the currency whose rate is 1."""
        return self._drive(_system_currency(self._cache, self._system_currency))

    def exchange_rate(self, currency: str) -> Decimal:
        """The current exchange rate of ``currency`` (not cached: rates move daily)."""
        return self.send(ep.exchange_rate(currency))
