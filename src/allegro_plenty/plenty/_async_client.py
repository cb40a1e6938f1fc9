"""``AsyncPlentyClient``: the async client for the plentymarkets REST API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import datetime
from decimal import Decimal

import httpx

from .._client import AsyncSender
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


class AsyncPlentyClient(
    AsyncSender,
    _PlentyClientBase[
        httpx.AsyncClient, httpx.AsyncBaseTransport, Callable[[float], Awaitable[None]]
    ],
):
    """Async client for the plentymarkets REST API. See :class:`PlentyClient`."""

    # --- orders --------------------------------------------------------------

    async def create_order(
        self, order: NewOrder, *, precondition: Precondition | None = None
    ) -> Order:
        """Create an order (``POST /rest/orders``). Never retried.

        After a timeout, reset or 5xx the order may exist:
        :meth:`find_orders_by_external_id` before creating it again.
        """
        return await self.send(ep.create_order(order).guarded(precondition))

    async def get_order(
        self, order_id: int, *, relations: Sequence[str] = ep.DEFAULT_ORDER_RELATIONS
    ) -> Order:
        """An order with addresses, relations and shipping packages (``GET /rest/orders/{id}``)."""
        return await self.send(ep.get_order(order_id, relations=relations))

    async def find_orders_by_external_id(self, external_order_id: str) -> list[Order]:
        """Orders whose property 7 is exactly ``external_order_id`` (``GET /rest/orders``)."""
        return await self._drive(plans.orders_by_external_id(external_order_id))

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
    ) -> AsyncIterator[Order]:
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

    async def list_orders(
        self,
        filter: OrderFilter = NO_ORDER_FILTER,
        *,
        relations: Sequence[str] = (),
        page: int = 1,
        items_per_page: int = ep.MAX_ITEMS_PER_PAGE,
    ) -> Page[Order]:
        """One page of ``GET /rest/orders`` matching ``filter``."""
        return await self.send(
            ep.list_orders(filter, relations=relations, page=page, items_per_page=items_per_page)
        )

    async def delivery_orders(self, order_id: int) -> list[Order]:
        """The delivery orders (type 2) split off a sales order."""
        return await self._drive(plans.delivery_orders(order_id))

    async def update_order_status(
        self, order_id: int, status: StatusId, *, precondition: Precondition | None = None
    ) -> Order:
        """Set the status (``5``, ``"5.1"``, ``Decimal("5.1")``); idempotent, so retried."""
        return await self.send(ep.update_order_status(order_id, status).guarded(precondition))

    async def set_order_address(
        self,
        order_id: int,
        address_id: int,
        *,
        type_id: int,
        precondition: Precondition | None = None,
    ) -> Order:
        """Point the order's billing (1) or delivery (2) address at ``address_id``.

        See :meth:`PlentyClient.set_order_address`.
        """
        return await self.send(
            ep.set_order_address(order_id, address_id, type_id=type_id).guarded(precondition)
        )

    async def cancel_order(
        self,
        order_id: int,
        *,
        status: StatusId = Decimal(8),
        message: str | None = None,
        precondition: Precondition | None = None,
    ) -> None:
        """Cancel an order (``PUT /rest/orders/{id}/cancel``)."""
        return await self.send(
            ep.cancel_order(order_id, status=status, message=message).guarded(precondition)
        )

    async def order_status_history(self, order_id: int) -> tuple[StatusHistoryEntry, ...]:
        """The status changes of one order, oldest first."""
        return await self.send(ep.order_status_history(order_id))

    def iter_status_history(
        self,
        created_at_from: datetime,
        *,
        created_at_to: datetime | None = None,
        status: StatusId | None = None,
        page_size: int = ep.MAX_ITEMS_PER_PAGE,
    ) -> AsyncIterator[StatusHistoryEntry]:
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

    async def list_referrers(self, *, refresh: bool = False) -> tuple[Referrer, ...]:
        """Every referrer (cached for ``reference_ttl``)."""
        return await self._drive(plans.referrers(self._cache, refresh))

    async def find_referrers(self, name: str) -> list[Referrer]:
        """Referrers whose back-end or public name is exactly ``name``."""
        return await self._drive(plans.referrers_named(self._cache, name))

    async def create_referrer(
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
        return await self._drive(
            plans.create_referrer(self._cache, referrer, parent_id, precondition)
        )

    async def order_property_types(self) -> tuple[OrderPropertyTypeInfo, ...]:
        """The order property types with their names and value types (cached)."""
        return await self._drive(plans.property_types(self._cache))

    # --- contacts and addresses -----------------------------------------------------

    async def find_contacts_by_external_id(self, external_id: str) -> list[Contact]:
        """Contacts whose ``externalId`` is exactly ``external_id``."""
        return await self._drive(plans.contacts_by_external_id(external_id))

    async def create_contact(
        self, contact: NewContact, *, precondition: Precondition | None = None
    ) -> Contact:
        """Create a contact; after an ambiguous failure, find it by external id first."""
        return await self.send(ep.create_contact(contact).guarded(precondition))

    async def create_address(
        self,
        contact_id: int,
        address: NewAddress,
        *,
        type_id: int,
        is_primary: bool | None = None,
        precondition: Precondition | None = None,
    ) -> Address:
        """Add a billing (1) or delivery (2) address to a contact; plenty reuses duplicates."""
        return await self.send(
            ep.create_address(contact_id, address, type_id=type_id, is_primary=is_primary).guarded(
                precondition
            )
        )

    # --- payments ---------------------------------------------------------------------

    async def create_payment(
        self, payment: NewPayment, *, precondition: Precondition | None = None
    ) -> Payment:
        """Create a payment; after an ambiguous failure, look it up by transaction id first."""
        return await self.send(ep.create_payment(payment).guarded(precondition))

    async def find_payments_by_transaction_id(self, transaction_id: str) -> list[Payment]:
        """Live payments whose transaction id (property 1) is ``transaction_id``."""
        return await self._drive(plans.payments_by_transaction_id(transaction_id))

    async def order_payments(self, order_id: int) -> tuple[Payment, ...]:
        """The payments linked to an order."""
        return await self.send(ep.order_payments(order_id))

    async def link_payment_to_order(
        self, payment_id: int, order_id: int, *, precondition: Precondition | None = None
    ) -> PaymentOrderRelation:
        """Link a payment to an order (``POST /rest/payment/{id}/order/{orderId}``)."""
        return await self.send(ep.link_payment_to_order(payment_id, order_id).guarded(precondition))

    async def payment_methods(self) -> tuple[PaymentMethod, ...]:
        """The methods of payment and their ``mopId`` (cached)."""
        return await self._drive(plans.payment_methods(self._cache))

    # --- variations -------------------------------------------------------------------

    async def find_variations_by_number(self, number: str) -> list[Variation]:
        """Variations whose number is exactly ``number`` (``numberExact``)."""
        return await self._drive(plans.variations_by_number(number))

    async def find_variations_by_barcode(self, code: str) -> list[Variation]:
        """Variations with a barcode exactly ``code`` (EAN, GTIN ...)."""
        return await self._drive(plans.variations_by_barcode(code))

    async def find_variations_by_sku(
        self, sku: str, *, referrer_id: Decimal | int | None = None
    ) -> list[Variation]:
        """Variations with the market SKU ``sku`` (of market ``referrer_id`` if given)."""
        return await self._drive(plans.variations_by_sku(sku, referrer_id))

    # --- shipping ----------------------------------------------------------------------

    async def package_numbers(self, order_id: int) -> tuple[str, ...]:
        """The tracking numbers registered on an order."""
        return await self.send(ep.package_numbers(order_id))

    async def shipping_packages(
        self, order_id: int, *, with_items: bool = True
    ) -> tuple[ShippingPackage, ...]:
        """The shipping packages of an order and the items each contains."""
        return await self.send(ep.shipping_packages(order_id, with_items=with_items))

    async def shipping_profiles(self) -> tuple[ShippingProfile, ...]:
        """Shipping profiles with their parcel service names (cached)."""
        return await self._drive(plans.shipping_profiles(self._cache))

    # --- documents ----------------------------------------------------------------------

    async def order_documents(
        self, order_id: int, document_type: str = "invoice", *, with_content: bool = False
    ) -> tuple[Document, ...]:
        """An order's documents of a type (see :meth:`PlentyClient.order_documents`)."""
        return await self.send(
            ep.order_documents(order_id, document_type, with_content=with_content)
        )

    async def list_documents(
        self,
        document_type: str = "invoice",
        *,
        updated_at_from: datetime | None = None,
        updated_at_to: datetime | None = None,
        page: int = 1,
        items_per_page: int = ep.MAX_ITEMS_PER_PAGE,
    ) -> Page[Document]:
        """One page of documents across orders (see :meth:`PlentyClient.list_documents`)."""
        return await self.send(
            ep.list_documents(
                document_type,
                updated_at_from=updated_at_from,
                updated_at_to=updated_at_to,
                page=page,
                items_per_page=items_per_page,
            )
        )

    async def download_document(self, document_id: int) -> bytes:
        """A document's file (a PDF), byte for byte."""
        return await self.send(ep.download_document(document_id))

    async def generate_invoice(
        self,
        order_id: int,
        *,
        document_date: datetime | None = None,
        precondition: Precondition | None = None,
    ) -> None:
        """Have plentymarkets make the invoice (see :meth:`PlentyClient.generate_invoice`)."""
        return await self.send(
            ep.generate_invoice(order_id, document_date=document_date).guarded(precondition)
        )

    # --- comments -----------------------------------------------------------------------

    async def create_comment(
        self, comment: NewComment, *, precondition: Precondition | None = None
    ) -> Comment:
        """Add a comment (HTML); build plain-text ones with :meth:`NewComment.plain`."""
        return await self.send(ep.create_comment(comment).guarded(precondition))

    async def order_comments(self, order_id: int) -> tuple[Comment, ...]:
        """The comments of an order."""
        return await self.send(ep.order_comments(order_id))

    # --- reference data ------------------------------------------------------------------

    async def countries(self) -> tuple[Country, ...]:
        """Every country plenty knows (cached)."""
        return await self._drive(plans.countries(self._cache))

    async def country_id(self, iso_code: str) -> int:
        """plenty's country id for an ISO 3166 code (``"PL"`` → 23)."""
        return await self._drive(_country_id(self._cache, iso_code))

    async def vat_configurations(
        self, *, country_id: int | None = None
    ) -> tuple[VatConfiguration, ...]:
        """VAT configurations, of one country if given (all pages, cached)."""
        return await self._drive(plans.vat_configurations(self._cache, country_id))

    async def standard_vat_configuration(self, plenty_id: int) -> VatConfiguration:
        """The VAT configuration of a client's standard accounting location."""
        return await self.send(ep.standard_vat_configuration(plenty_id))

    async def currencies(self) -> tuple[Currency, ...]:
        """The system's currencies with their exchange rates (cached)."""
        return await self._drive(plans.currencies(self._cache))

    async def system_currency(self) -> str:
        """The system currency: as configured, else the currency whose rate is 1."""
        return await self._drive(_system_currency(self._cache, self._system_currency))

    async def exchange_rate(self, currency: str) -> Decimal:
        """The current exchange rate of ``currency`` (not cached: rates move daily)."""
        return await self.send(ep.exchange_rate(currency))
