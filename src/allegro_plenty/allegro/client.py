"""``AllegroClient`` and ``AsyncAllegroClient``: typed access to Allegro's order API.

Both are thin and share one constructor (:class:`_AllegroClientBase`). Each
method sends one operation from :mod:`.endpoints`, or drives one plan (token
renewal, the cached carriers); paging lives in the walks of :mod:`.paging`,
which :meth:`~AllegroClient.iterate` drives and a plan can page through
:meth:`~AllegroClient.send`.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from datetime import datetime, timezone
from typing import Generic

import httpx

from .._cache import TtlCache, cached
from .._client import (
    DEFAULT_TIMEOUT,
    AsyncSender,
    Connection,
    HttpSettings,
    HttpT,
    SleepT,
    SyncSender,
    TransportT,
    run,
)
from .._convert import make_converter
from .._http.redact import require_scrubbable
from .._http.retry import RetryEvent, RetryPolicy
from .._plan import Plan
from ..errors import ConfigurationError, NotConnectedError
from ..tokens import Token, TokenStore
from . import endpoints as ep
from ._defaults import ALLEGRO_RETRY, SERVICE
from ._service import MEDIA_TYPE, AllegroService
from .auth import PRODUCTION, AllegroApp, AllegroEnvironment, refresh_form, token_operation
from .models import (
    Carrier,
    CheckoutForm,
    CheckoutFormFilter,
    CheckoutForms,
    FulfillmentStatus,
    MarketplaceDetails,
    Me,
    NewInvoice,
    NewRefund,
    NewShipment,
    OrderEvent,
    OrderEventStats,
    OrderEventType,
    OrderInvoices,
    Refund,
    Refunds,
    RefundStatus,
    Shipment,
)
from .paging import CheckoutFormWalk, OrderEventWalk
from .rate_gate import NO_APP, AllegroRateGate, shared_rate_gate

__all__ = [
    "ALLEGRO_RETRY",
    "DEFAULT_TIMEOUT",
    "AllegroClient",
    "AsyncAllegroClient",
]

NO_FILTER = ep.NO_FILTER


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class _AllegroClientBase(Connection[HttpT, TransportT, SleepT], Generic[HttpT, TransportT, SleepT]):
    """What the sync and async clients share: the constructor and the plans, no I/O.

    The constructor is written once; its arguments are documented on
    :class:`AllegroClient`.
    """

    def __init__(
        self,
        *,
        app: AllegroApp | None = None,
        account: str | None = None,
        token_store: TokenStore | None = None,
        access_token: str | None = None,
        environment: AllegroEnvironment = PRODUCTION,
        base_url: str | None = None,
        http_client: HttpT | None = None,
        transport: TransportT | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy = ALLEGRO_RETRY,
        on_retry: Callable[[RetryEvent], None] | None = None,
        strict: bool = False,
        language: str = "en-US",
        sleep: SleepT | None = None,
        clock: Callable[[], datetime] = _utcnow,
        rate_gate: AllegroRateGate | bool = True,
    ) -> None:
        if access_token is None and (app is None or account is None or token_store is None):
            raise ValueError("pass access_token, or app + account + token_store")
        require_scrubbable("access_token", access_token)
        require_scrubbable("client_secret", app.client_secret if app else None)
        self.environment = environment.with_base_url(base_url) if base_url else environment
        self.app = app
        self.account = account
        self.token_store = token_store
        self.language = language
        self._clock = clock
        self._cache = TtlCache(float("inf"), time.monotonic)
        if rate_gate is True:
            rate_gate = shared_rate_gate(app.client_id if app is not None else NO_APP)
        elif rate_gate is not False and not isinstance(rate_gate, AllegroRateGate):
            raise ConfigurationError(
                f"rate_gate must be an AllegroRateGate, True or False, not {rate_gate!r}"
            )
        self.rate_gate: AllegroRateGate | None = None if rate_gate is False else rate_gate
        settings = HttpSettings(retry, timeout=timeout, on_retry=on_retry)
        self._service = AllegroService(self.rate_gate, retry)
        config = settings.engine_config(
            self._service,
            self.environment.api_url,
            make_converter(strict=strict),
            {"Accept": MEDIA_TYPE},
        )
        self._connect(config, settings, http_client=http_client, transport=transport, sleep=sleep)
        if access_token is not None:
            self._use_token(access_token)
        elif account is not None and token_store is not None:  # as checked above
            self._use_token_store(token_store, SERVICE, account, self._renew, clock)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(account={self.account!r}, api_url={self.environment.api_url!r})"
        )

    def last_response_date(self) -> datetime | None:
        """The ``Date`` header of the last answer from Allegro's API, in UTC (``None`` before one).

        Allegro's clock, not this host's: a watermark taken from it never skips
        forms because the host's clock runs ahead. Shared by the threads or
        tasks using this client, so it is the latest answer of any of them.
        """
        return self._service.last_date

    # --- plans ---------------------------------------------------------------------------

    def _renew(self, stored: Token | None) -> Plan[Token]:
        """Refresh the stored token (Allegro's refresh tokens are single-use: under the lock)."""
        assert self.app is not None
        if stored is None or stored.refresh_token is None:
            raise NotConnectedError(
                f"no refreshable Allegro token stored for account {self.account!r}; "
                "connect the account (device flow or authorization code) first"
            )
        form = refresh_form(self.app, stored.refresh_token)
        return (
            yield from run(token_operation(self.app, self.environment, form, clock=self._clock))
        )

    def _carriers(self, refresh: bool) -> Plan[tuple[Carrier, ...]]:
        if refresh:
            self._cache.drop("carriers")
        load = run(ep.list_carriers(language=self.language))
        return (yield from cached(self._cache, "carriers", load))

    def _events(
        self, from_: str | None, types: Iterable[OrderEventType | str], limit: int
    ) -> Plan[tuple[OrderEvent, ...]]:
        operation = ep.list_order_events(
            from_=from_, types=types, limit=limit, language=self.language
        )
        return (yield from run(operation)).events

    def _form_walk(
        self, updated_since: datetime, filter: CheckoutFormFilter, page_size: int
    ) -> CheckoutFormWalk:
        return CheckoutFormWalk(updated_since, filter, page_size=page_size, language=self.language)

    def _event_walk(
        self, from_: str | None, types: Iterable[OrderEventType | str], page_size: int
    ) -> OrderEventWalk:
        return OrderEventWalk(from_, types, page_size=page_size, language=self.language)


class AllegroClient(
    SyncSender, _AllegroClientBase[httpx.Client, httpx.BaseTransport, Callable[[float], None]]
):
    """Blocking client for Allegro's order-management API.

    Args:
        app: The application's credentials (needed to refresh tokens).
        account: The seller account this client acts for (the ``/me`` id);
            the key of its token in ``token_store``.
        token_store: Where the account's tokens live; refreshes happen under
            its lock, so every worker sharing it refreshes at most once.
        access_token: Instead of the three above: a token you manage yourself.
        environment: :data:`~allegro_plenty.allegro.auth.PRODUCTION` or ``SANDBOX``.
        base_url: Override the API base URL (a proxy, a mock server).
        http_client: Your own ``httpx.Client`` (you close it).
        transport: A transport for the client this object creates (tests use
            ``httpx.MockTransport``).
        timeout: Request timeouts (:data:`~allegro_plenty.DEFAULT_TIMEOUT`).
        retry: Retry policy; :data:`ALLEGRO_RETRY` by default (token refreshes too).
        on_retry: Called before every retry (for metrics).
        strict: Reject unknown keys and enum values in responses (for tests).
        language: Preferred ``Accept-Language`` for error messages.
        sleep: Injected in tests so backoff takes no time.
        clock: The wall clock token expiry is judged by (injected in tests).
        rate_gate: Allegro's rate limit is per application, so after a 429 no
            client of the application calls until the back-off has passed. By
            default the client shares the process-wide gate of ``app``'s
            client id (:func:`~allegro_plenty.allegro.rate_gate.shared_rate_gate`);
            pass an :class:`~allegro_plenty.allegro.rate_gate.AllegroRateGate`
            to share one across processes (or to give a test its clock), or
            ``False`` for none.
    """

    # --- checkout forms ------------------------------------------------------

    def list_checkout_forms(
        self,
        filter: CheckoutFormFilter = NO_FILTER,
        *,
        offset: int = 0,
        limit: int = ep.CHECKOUT_FORMS_PAGE_LIMIT,
    ) -> CheckoutForms:
        """One page of checkout forms (``GET /order/checkout-forms``).

        To walk every form changed since a point in time, use
        :meth:`iter_checkout_forms`: offsets skip forms that change mid-walk.
        """
        return self.send(
            ep.list_checkout_forms(filter, offset=offset, limit=limit, language=self.language)
        )

    def iter_checkout_forms(
        self,
        updated_since: datetime,
        filter: CheckoutFormFilter = NO_FILTER,
        *,
        page_size: int = ep.CHECKOUT_FORMS_PAGE_LIMIT,
    ) -> Iterator[CheckoutForm]:
        """Every form updated at or after ``updated_since``, none skipped (see CheckoutFormWalk).

        A form updated during the walk may come twice, the second time in its
        new state. To stop and resume later, iterate a :class:`CheckoutFormWalk`
        with :meth:`iterate` and keep its ``cursor``.
        """
        return self.iterate(self._form_walk(updated_since, filter, page_size))

    def get_checkout_form(self, form_id: str) -> CheckoutForm:
        """One checkout form by id (``GET /order/checkout-forms/{id}``)."""
        return self.send(ep.get_checkout_form(form_id, language=self.language))

    def set_fulfillment_status(
        self, form_id: str, status: FulfillmentStatus | str, *, revision: str | None = None
    ) -> None:
        """Set the seller-side status (any but ``RETURNED``, which only Allegro sets).

        Never retried; a stale revision raises StaleRevisionError.
        """
        return self.send(ep.set_fulfillment_status(form_id, status, revision=revision))

    # --- order events ----------------------------------------------------------

    def list_order_events(
        self,
        *,
        from_: str | None = None,
        types: Iterable[OrderEventType | str] = (),
        limit: int = ep.EVENTS_PAGE_LIMIT,
    ) -> tuple[OrderEvent, ...]:
        """One page of order events after ``from_`` (exclusive), oldest first."""
        return self._drive(self._events(from_, types, limit))

    def iter_order_events(
        self,
        from_: str | None = None,
        *,
        types: Iterable[OrderEventType | str] = (),
        page_size: int = ep.EVENTS_PAGE_LIMIT,
    ) -> Iterator[OrderEvent]:
        """Every event after ``from_`` until caught up; store the last id to resume."""
        return self.iterate(self._event_walk(from_, types, page_size))

    def get_order_event_stats(self) -> OrderEventStats:
        """The latest event (``GET /order/event-stats``): where to start reading events."""
        return self.send(ep.get_order_event_stats(language=self.language))

    # --- shipments and carriers ------------------------------------------------

    def list_shipments(self, form_id: str) -> tuple[Shipment, ...]:
        """The tracking numbers of an order, including ones added outside this library."""
        return self.send(ep.list_shipments(form_id, language=self.language))

    def add_shipment(self, form_id: str, shipment: NewShipment) -> Shipment:
        """Add a tracking number. Retried only if it never reached Allegro: after
        an ambiguous failure, :meth:`list_shipments` before trying again."""
        return self.send(ep.add_shipment(form_id, shipment, language=self.language))

    def list_carriers(self, *, refresh: bool = False) -> tuple[Carrier, ...]:
        """The carriers Allegro knows; fetched once per client unless ``refresh``."""
        return self._drive(self._carriers(refresh))

    # --- invoices ----------------------------------------------------------------

    def list_invoices(self, form_id: str) -> OrderInvoices:
        """The order's invoices, with their files' scan status and ``hasExternalInvoices``."""
        return self.send(ep.list_invoices(form_id))

    def add_invoice(self, form_id: str, invoice: NewInvoice) -> str:
        """Add invoice metadata; returns the invoice's id, to :meth:`upload_invoice_file` to.

        Never re-sent after it may have reached Allegro (metadata sent twice is two
        invoices): after an ambiguous failure, :meth:`list_invoices` and look for
        the invoice number. A 409 (the order has a seller invoice) raises
        ConflictError, a 422 UnprocessableEntityError.
        """
        return self.send(ep.add_invoice(form_id, invoice))

    def upload_invoice_file(self, form_id: str, invoice_id: str, pdf: bytes) -> None:
        """Upload the PDF (at most 3 MB) of an invoice whose metadata was added."""
        return self.send(ep.upload_invoice_file(form_id, invoice_id, pdf))

    # --- refunds ---------------------------------------------------------------

    def create_refund(self, refund: NewRefund) -> Refund:
        """Initiate a refund. Safe to retry with the same ``command_id`` (Allegro's
        idempotency key); after a failure, :meth:`list_refunds` before a new one."""
        return self.send(ep.create_refund(refund, language=self.language))

    def list_refunds(
        self,
        *,
        refund_id: str | None = None,
        order_id: str | None = None,
        payment_id: str | None = None,
        status: Iterable[RefundStatus | str] = (),
        occurred_at_gte: datetime | None = None,
        occurred_at_lte: datetime | None = None,
        offset: int = 0,
        limit: int = ep.REFUNDS_PAGE_LIMIT,
    ) -> Refunds:
        """Refunds the seller initiated (``GET /payments/refunds``), e.g. of one order.

        Ids are UUIDs; ``status`` takes the values the spec's filter allows
        (:data:`~allegro_plenty.allegro.endpoints.REFUND_STATUS_FILTER`).
        """
        return self.send(
            ep.list_refunds(
                refund_id=refund_id,
                order_id=order_id,
                payment_id=payment_id,
                status=status,
                occurred_at_gte=occurred_at_gte,
                occurred_at_lte=occurred_at_lte,
                offset=offset,
                limit=limit,
                language=self.language,
            )
        )

    def get_refund(self, refund_id: str) -> Refund:
        """One refund by id, to poll it until its status is final.

        Raises:
            RefundNotFoundError: Allegro lists no refund with this id.
            InvalidRequestError: ``refund_id`` is not a UUID.
        """
        return self.send(ep.get_refund(refund_id, language=self.language))

    # --- marketplaces and the account -------------------------------------------

    def list_marketplaces(self) -> tuple[MarketplaceDetails, ...]:
        """Allegro's marketplaces with their currencies and languages."""
        return self.send(ep.list_marketplaces())

    def get_me(self) -> Me:
        """The seller account behind the token; its ``id`` is the account key."""
        return self.send(ep.get_me(language=self.language))


class AsyncAllegroClient(
    AsyncSender,
    _AllegroClientBase[
        httpx.AsyncClient, httpx.AsyncBaseTransport, Callable[[float], Awaitable[None]]
    ],
):
    """Async client for Allegro's order-management API. See :class:`AllegroClient`."""

    # --- checkout forms ------------------------------------------------------

    async def list_checkout_forms(
        self,
        filter: CheckoutFormFilter = NO_FILTER,
        *,
        offset: int = 0,
        limit: int = ep.CHECKOUT_FORMS_PAGE_LIMIT,
    ) -> CheckoutForms:
        """One page of checkout forms (see :meth:`AllegroClient.list_checkout_forms`)."""
        return await self.send(
            ep.list_checkout_forms(filter, offset=offset, limit=limit, language=self.language)
        )

    def iter_checkout_forms(
        self,
        updated_since: datetime,
        filter: CheckoutFormFilter = NO_FILTER,
        *,
        page_size: int = ep.CHECKOUT_FORMS_PAGE_LIMIT,
    ) -> AsyncIterator[CheckoutForm]:
        """Every form updated at or after ``updated_since``, none skipped.

        See :meth:`AllegroClient.iter_checkout_forms`.
        """
        return self.iterate(self._form_walk(updated_since, filter, page_size))

    async def get_checkout_form(self, form_id: str) -> CheckoutForm:
        """One checkout form by id (``GET /order/checkout-forms/{id}``)."""
        return await self.send(ep.get_checkout_form(form_id, language=self.language))

    async def set_fulfillment_status(
        self, form_id: str, status: FulfillmentStatus | str, *, revision: str | None = None
    ) -> None:
        """Set the seller-side status (any but ``RETURNED``, which only Allegro sets).

        Never retried; a stale revision raises StaleRevisionError.
        """
        return await self.send(ep.set_fulfillment_status(form_id, status, revision=revision))

    # --- order events ----------------------------------------------------------

    async def list_order_events(
        self,
        *,
        from_: str | None = None,
        types: Iterable[OrderEventType | str] = (),
        limit: int = ep.EVENTS_PAGE_LIMIT,
    ) -> tuple[OrderEvent, ...]:
        """One page of order events after ``from_`` (exclusive), oldest first."""
        return await self._drive(self._events(from_, types, limit))

    def iter_order_events(
        self,
        from_: str | None = None,
        *,
        types: Iterable[OrderEventType | str] = (),
        page_size: int = ep.EVENTS_PAGE_LIMIT,
    ) -> AsyncIterator[OrderEvent]:
        """Every event after ``from_`` until caught up; store the last id to resume."""
        return self.iterate(self._event_walk(from_, types, page_size))

    async def get_order_event_stats(self) -> OrderEventStats:
        """The latest event (``GET /order/event-stats``): where to start reading events."""
        return await self.send(ep.get_order_event_stats(language=self.language))

    # --- shipments and carriers ------------------------------------------------

    async def list_shipments(self, form_id: str) -> tuple[Shipment, ...]:
        """The tracking numbers of an order, including ones added outside this library."""
        return await self.send(ep.list_shipments(form_id, language=self.language))

    async def add_shipment(self, form_id: str, shipment: NewShipment) -> Shipment:
        """Add a tracking number (see :meth:`AllegroClient.add_shipment`)."""
        return await self.send(ep.add_shipment(form_id, shipment, language=self.language))

    async def list_carriers(self, *, refresh: bool = False) -> tuple[Carrier, ...]:
        """The carriers Allegro knows; fetched once per client unless ``refresh``."""
        return await self._drive(self._carriers(refresh))

    # --- invoices ----------------------------------------------------------------

    async def list_invoices(self, form_id: str) -> OrderInvoices:
        """The order's invoices (see :meth:`AllegroClient.list_invoices`)."""
        return await self.send(ep.list_invoices(form_id))

    async def add_invoice(self, form_id: str, invoice: NewInvoice) -> str:
        """Add invoice metadata (see :meth:`AllegroClient.add_invoice`)."""
        return await self.send(ep.add_invoice(form_id, invoice))

    async def upload_invoice_file(self, form_id: str, invoice_id: str, pdf: bytes) -> None:
        """Upload the PDF of an invoice (see :meth:`AllegroClient.upload_invoice_file`)."""
        return await self.send(ep.upload_invoice_file(form_id, invoice_id, pdf))

    # --- refunds ---------------------------------------------------------------

    async def create_refund(self, refund: NewRefund) -> Refund:
        """Initiate a refund (see :meth:`AllegroClient.create_refund`)."""
        return await self.send(ep.create_refund(refund, language=self.language))

    async def list_refunds(
        self,
        *,
        refund_id: str | None = None,
        order_id: str | None = None,
        payment_id: str | None = None,
        status: Iterable[RefundStatus | str] = (),
        occurred_at_gte: datetime | None = None,
        occurred_at_lte: datetime | None = None,
        offset: int = 0,
        limit: int = ep.REFUNDS_PAGE_LIMIT,
    ) -> Refunds:
        """Refunds the seller initiated (``GET /payments/refunds``), e.g. of one order."""
        return await self.send(
            ep.list_refunds(
                refund_id=refund_id,
                order_id=order_id,
                payment_id=payment_id,
                status=status,
                occurred_at_gte=occurred_at_gte,
                occurred_at_lte=occurred_at_lte,
                offset=offset,
                limit=limit,
                language=self.language,
            )
        )

    async def get_refund(self, refund_id: str) -> Refund:
        """One refund by id (see :meth:`AllegroClient.get_refund`)."""
        return await self.send(ep.get_refund(refund_id, language=self.language))

    # --- marketplaces and the account -------------------------------------------

    async def list_marketplaces(self) -> tuple[MarketplaceDetails, ...]:
        """Allegro's marketplaces with their currencies and languages."""
        return await self.send(ep.list_marketplaces())

    async def get_me(self) -> Me:
        """The seller account behind the token; its ``id`` is the account key."""
        return await self.send(ep.get_me(language=self.language))
