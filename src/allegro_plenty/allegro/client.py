"""``AllegroClient`` and ``AsyncAllegroClient``: typed access to Allegro's order API.

Both are thin: each method builds an operation from :mod:`.endpoints` and hands
it to the engine. Paging logic that must work in both lives in :mod:`.paging`
as plain state machines.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from datetime import datetime, timezone
from typing import TypeVar

import httpx

from .._convert import make_converter
from .._http.auth import AsyncTokenAuth, StaticTokenAuth, SyncTokenAuth, settle_renewals
from .._http.engine import AsyncAuth, AsyncEngine, EngineConfig, SyncAuth, SyncEngine
from .._http.redact import require_scrubbable
from .._http.retry import RetryEvent, RetryPolicy
from .._version import __version__
from ..errors import NotConnectedError
from ..tokens import Token, TokenStore
from . import endpoints as ep
from ._service import MEDIA_TYPE, AllegroService
from .auth import PRODUCTION, AllegroApp, AllegroEnvironment, AllegroOAuth, AsyncAllegroOAuth
from .models import (
    Carrier,
    CheckoutForm,
    CheckoutFormFilter,
    CheckoutForms,
    FulfillmentStatus,
    MarketplaceDetails,
    Me,
    NewRefund,
    NewShipment,
    OrderEvent,
    OrderEventStats,
    OrderEventType,
    Refund,
    Refunds,
    RefundStatus,
    Shipment,
)
from .paging import CheckoutFormWalk, OrderEventWalk, Walk

__all__ = [
    "ALLEGRO_RETRY",
    "DEFAULT_TIMEOUT",
    "AllegroClient",
    "AsyncAllegroClient",
]

P = TypeVar("P")
T = TypeVar("T")

SERVICE = "allegro"
NO_FILTER = ep.NO_FILTER
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
ALLEGRO_RETRY = RetryPolicy(rate_limit_delay=60.0, max_retry_after=300.0)
"""Allegro sends no Retry-After on 429 and calling during a block lengthens it:
wait a minute, then two."""
USER_AGENT = f"allegro-plenty/{__version__} (+https://pypi.org/project/allegro-plenty/)"


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class _AllegroClientBase:
    """What the sync and async clients share: configuration, no I/O."""

    def __init__(
        self,
        *,
        app: AllegroApp | None,
        account: str | None,
        token_store: TokenStore | None,
        access_token: str | None,
        environment: AllegroEnvironment,
        base_url: str | None,
        retry: RetryPolicy,
        on_retry: Callable[[RetryEvent], None] | None,
        strict: bool,
        language: str,
        clock: Callable[[], datetime],
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
        self._access_token = access_token
        self._carriers: tuple[Carrier, ...] | None = None
        self._config = EngineConfig(
            service=AllegroService(),
            base_url=self.environment.api_url,
            converter=make_converter(strict=strict),
            retry=retry,
            headers={"Accept": MEDIA_TYPE, "User-Agent": USER_AGENT},
            on_retry=on_retry,
        )

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(account={self.account!r}, api_url={self.environment.api_url!r})"
        )

    def _stored_refresh_token(self, stored: Token | None) -> str:
        if stored is None or stored.refresh_token is None:
            raise NotConnectedError(
                f"no refreshable Allegro token stored for account {self.account!r}; "
                "connect the account (device flow or authorization code) first"
            )
        return stored.refresh_token


class AllegroClient(_AllegroClientBase):
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
        timeout: Request timeouts.
        retry: Retry policy; :data:`ALLEGRO_RETRY` by default.
        on_retry: Called before every retry (for metrics).
        strict: Reject unknown keys and enum values in responses (for tests).
        language: Preferred ``Accept-Language`` for error messages.
        sleep: Injected in tests so backoff takes no time.
        clock: The wall clock token expiry is judged by (injected in tests).
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
        http_client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy = ALLEGRO_RETRY,
        on_retry: Callable[[RetryEvent], None] | None = None,
        strict: bool = False,
        language: str = "en-US",
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        super().__init__(
            app=app,
            account=account,
            token_store=token_store,
            access_token=access_token,
            environment=environment,
            base_url=base_url,
            retry=retry,
            on_retry=on_retry,
            strict=strict,
            language=language,
            clock=clock,
        )
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(transport=transport, timeout=timeout)
        self._engine = SyncEngine(self._config, self._http, self._auth(sleep), sleep=sleep)

    def _auth(self, sleep: Callable[[float], None]) -> SyncAuth:
        if self._access_token is not None:
            return StaticTokenAuth(self._access_token)
        assert self.app is not None
        assert self.account is not None
        assert self.token_store is not None
        oauth = AllegroOAuth(
            self.app,
            environment=self.environment,
            http_client=self._http,
            sleep=sleep,
            clock=self._clock,
        )

        def renew(stored: Token | None) -> Token:
            return oauth.refresh(self._stored_refresh_token(stored))

        return SyncTokenAuth(self.token_store, SERVICE, self.account, renew, clock=self._clock)

    def close(self) -> None:
        """Close the HTTP client if this object created it."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> AllegroClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

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
        return self._engine.run(
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
        new state. Resume the next walk from the newest ``updated_at`` seen.
        """
        walk = CheckoutFormWalk(updated_since, filter, page_size=page_size, language=self.language)
        return self._walk(walk)

    def get_checkout_form(self, form_id: str) -> CheckoutForm:
        """One checkout form by id (``GET /order/checkout-forms/{id}``)."""
        return self._engine.run(ep.get_checkout_form(form_id, language=self.language))

    def set_fulfillment_status(
        self, form_id: str, status: FulfillmentStatus | str, *, revision: str | None = None
    ) -> None:
        """Set the seller-side status (any but ``RETURNED``, which only Allegro sets).

        Never retried; a stale revision raises StaleRevisionError.
        """
        self._engine.run(ep.set_fulfillment_status(form_id, status, revision=revision))

    # --- order events ----------------------------------------------------------

    def list_order_events(
        self,
        *,
        from_: str | None = None,
        types: Iterable[OrderEventType | str] = (),
        limit: int = ep.EVENTS_PAGE_LIMIT,
    ) -> tuple[OrderEvent, ...]:
        """One page of order events after ``from_`` (exclusive), oldest first."""
        page = self._engine.run(
            ep.list_order_events(from_=from_, types=types, limit=limit, language=self.language)
        )
        return page.events

    def iter_order_events(
        self,
        from_: str | None = None,
        *,
        types: Iterable[OrderEventType | str] = (),
        page_size: int = ep.EVENTS_PAGE_LIMIT,
    ) -> Iterator[OrderEvent]:
        """Every event after ``from_`` until caught up; store the last id to resume."""
        walk = OrderEventWalk(from_, types, page_size=page_size, language=self.language)
        return self._walk(walk)

    def get_order_event_stats(self) -> OrderEventStats:
        """The latest event (``GET /order/event-stats``): where to start reading events."""
        return self._engine.run(ep.get_order_event_stats(language=self.language))

    # --- shipments and carriers ------------------------------------------------

    def list_shipments(self, form_id: str) -> tuple[Shipment, ...]:
        """The tracking numbers of an order, including ones added outside this library."""
        return self._engine.run(ep.list_shipments(form_id, language=self.language))

    def add_shipment(self, form_id: str, shipment: NewShipment) -> Shipment:
        """Add a tracking number. Retried only if it never reached Allegro: after
        an ambiguous failure, :meth:`list_shipments` before trying again."""
        return self._engine.run(ep.add_shipment(form_id, shipment, language=self.language))

    def list_carriers(self, *, refresh: bool = False) -> tuple[Carrier, ...]:
        """The carriers Allegro knows; fetched once per client unless ``refresh``."""
        if self._carriers is None or refresh:
            self._carriers = self._engine.run(ep.list_carriers(language=self.language))
        return self._carriers

    # --- refunds ---------------------------------------------------------------

    def create_refund(self, refund: NewRefund) -> Refund:
        """Initiate a refund. Safe to retry with the same ``command_id`` (Allegro's
        idempotency key); after a failure, :meth:`list_refunds` before a new one."""
        return self._engine.run(ep.create_refund(refund, language=self.language))

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
        return self._engine.run(
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
        return self._engine.run(ep.get_refund(refund_id, language=self.language))

    # --- marketplaces and the account -------------------------------------------

    def list_marketplaces(self) -> tuple[MarketplaceDetails, ...]:
        """Allegro's marketplaces with their currencies and languages."""
        return self._engine.run(ep.list_marketplaces())

    def get_me(self) -> Me:
        """The seller account behind the token; its ``id`` is the account key."""
        return self._engine.run(ep.get_me(language=self.language))

    def _walk(self, walk: Walk[P, T]) -> Iterator[T]:
        while (operation := walk.next_operation()) is not None:
            yield from walk.feed(self._engine.run(operation))


class AsyncAllegroClient(_AllegroClientBase):
    """Async client for Allegro's order-management API. See :class:`AllegroClient`."""

    def __init__(
        self,
        *,
        app: AllegroApp | None = None,
        account: str | None = None,
        token_store: TokenStore | None = None,
        access_token: str | None = None,
        environment: AllegroEnvironment = PRODUCTION,
        base_url: str | None = None,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy = ALLEGRO_RETRY,
        on_retry: Callable[[RetryEvent], None] | None = None,
        strict: bool = False,
        language: str = "en-US",
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        super().__init__(
            app=app,
            account=account,
            token_store=token_store,
            access_token=access_token,
            environment=environment,
            base_url=base_url,
            retry=retry,
            on_retry=on_retry,
            strict=strict,
            language=language,
            clock=clock,
        )
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(transport=transport, timeout=timeout)
        self._engine = AsyncEngine(self._config, self._http, self._auth(sleep), sleep=sleep)

    def _auth(self, sleep: Callable[[float], Awaitable[None]]) -> AsyncAuth:
        if self._access_token is not None:
            return StaticTokenAuth(self._access_token)
        assert self.app is not None
        assert self.account is not None
        assert self.token_store is not None
        oauth = AsyncAllegroOAuth(
            self.app,
            environment=self.environment,
            http_client=self._http,
            sleep=sleep,
            clock=self._clock,
        )

        async def renew(stored: Token | None) -> Token:
            return await oauth.refresh(self._stored_refresh_token(stored))

        return AsyncTokenAuth(self.token_store, SERVICE, self.account, renew, clock=self._clock)

    async def aclose(self) -> None:
        """Close the HTTP client if this object created it.

        A token renewal still running for a cancelled call finishes first: its
        answer holds the only copy of the new refresh token.
        """
        await settle_renewals(self._engine.auth)
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncAllegroClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # --- checkout forms ------------------------------------------------------

    async def list_checkout_forms(
        self,
        filter: CheckoutFormFilter = NO_FILTER,
        *,
        offset: int = 0,
        limit: int = ep.CHECKOUT_FORMS_PAGE_LIMIT,
    ) -> CheckoutForms:
        """One page of checkout forms (see :meth:`AllegroClient.list_checkout_forms`)."""
        return await self._engine.run(
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
        walk = CheckoutFormWalk(updated_since, filter, page_size=page_size, language=self.language)
        return self._walk(walk)

    async def get_checkout_form(self, form_id: str) -> CheckoutForm:
        """One checkout form by id (``GET /order/checkout-forms/{id}``)."""
        return await self._engine.run(ep.get_checkout_form(form_id, language=self.language))

    async def set_fulfillment_status(
        self, form_id: str, status: FulfillmentStatus | str, *, revision: str | None = None
    ) -> None:
        """Set the seller-side status (any but ``RETURNED``, which only Allegro sets).

        Never retried; a stale revision raises StaleRevisionError.
        """
        await self._engine.run(ep.set_fulfillment_status(form_id, status, revision=revision))

    # --- order events ----------------------------------------------------------

    async def list_order_events(
        self,
        *,
        from_: str | None = None,
        types: Iterable[OrderEventType | str] = (),
        limit: int = ep.EVENTS_PAGE_LIMIT,
    ) -> tuple[OrderEvent, ...]:
        """One page of order events after ``from_`` (exclusive), oldest first."""
        page = await self._engine.run(
            ep.list_order_events(from_=from_, types=types, limit=limit, language=self.language)
        )
        return page.events

    def iter_order_events(
        self,
        from_: str | None = None,
        *,
        types: Iterable[OrderEventType | str] = (),
        page_size: int = ep.EVENTS_PAGE_LIMIT,
    ) -> AsyncIterator[OrderEvent]:
        """Every event after ``from_`` until caught up; store the last id to resume."""
        walk = OrderEventWalk(from_, types, page_size=page_size, language=self.language)
        return self._walk(walk)

    async def get_order_event_stats(self) -> OrderEventStats:
        """The latest event (``GET /order/event-stats``): where to start reading events."""
        return await self._engine.run(ep.get_order_event_stats(language=self.language))

    # --- shipments and carriers ------------------------------------------------

    async def list_shipments(self, form_id: str) -> tuple[Shipment, ...]:
        """The tracking numbers of an order, including ones added outside this library."""
        return await self._engine.run(ep.list_shipments(form_id, language=self.language))

    async def add_shipment(self, form_id: str, shipment: NewShipment) -> Shipment:
        """Add a tracking number (see :meth:`AllegroClient.add_shipment`)."""
        return await self._engine.run(ep.add_shipment(form_id, shipment, language=self.language))

    async def list_carriers(self, *, refresh: bool = False) -> tuple[Carrier, ...]:
        """The carriers Allegro knows; fetched once per client unless ``refresh``."""
        if self._carriers is None or refresh:
            self._carriers = await self._engine.run(ep.list_carriers(language=self.language))
        return self._carriers

    # --- refunds ---------------------------------------------------------------

    async def create_refund(self, refund: NewRefund) -> Refund:
        """Initiate a refund (see :meth:`AllegroClient.create_refund`)."""
        return await self._engine.run(ep.create_refund(refund, language=self.language))

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
        return await self._engine.run(
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
        return await self._engine.run(ep.get_refund(refund_id, language=self.language))

    # --- marketplaces and the account -------------------------------------------

    async def list_marketplaces(self) -> tuple[MarketplaceDetails, ...]:
        """Allegro's marketplaces with their currencies and languages."""
        return await self._engine.run(ep.list_marketplaces())

    async def get_me(self) -> Me:
        """The seller account behind the token; its ``id`` is the account key."""
        return await self._engine.run(ep.get_me(language=self.language))

    async def _walk(self, walk: Walk[P, T]) -> AsyncIterator[T]:
        while (operation := walk.next_operation()) is not None:
            for item in walk.feed(await self._engine.run(operation)):
                yield item
