"""``FakeAllegro``: a stateful, in-memory Allegro REST API for tests.

It serves the endpoints :class:`~allegro_plenty.AllegroClient` uses, the OAuth
token and device endpoints, and behaves like Allegro where integrations break:

* ``Accept: application/vnd.allegro.public.v1+json`` or 406; a ``trace-id``
  header on every API answer; errors as ``{"errors": [...]}``;
* tokens that expire after 12 h, refresh tokens that are single-use and rotate
  (a replay answers 400 ``invalid_grant``, and a refresh kills the previous
  access token), scopes checked per endpoint;
* checkout forms with every filter of the list endpoint, sorting, and 422 once
  ``offset + limit`` exceeds 10,000; revisions that change on buyer-side edits
  and a 409 for a stale one on the fulfillment PUT;
* an events journal with an exclusive ``from`` cursor, 60-day retention, and
  duplicate or out-of-order events on demand;
* fulfillment status changes (422 for ``RETURNED`` and past 100 changes per
  order, re-setting the same status included), shipments (409 once a waybill is
  used on too many orders, 400 for a waybill not in its carrier's format),
  carriers, refunds idempotent by ``commandId``;
* invoices: metadata then a PDF, 409 once the order has its seller invoice,
  422 while an earlier file is scanned, 429 for metadata added too fast, and a
  malware scan that ends ``ACCEPTED`` or ``REJECTED`` (see :mod:`._invoices`).

Where the fake is stricter than Allegro it says so: unknown query parameters
and body keys are answered with 400, so a typo in a filter fails a test
instead of silently matching every order. ``docs/fakes.md`` lists each
behaviour with its source.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from email.utils import format_datetime
from typing import Any

from ...allegro.auth import AllegroApp
from ...tokens import Token
from .._clock import Clock, SystemClock
from .._resources import Shared
from .._transport import Exchange, FakeResponse, FakeService, Refusal, json_response
from ..faults import Fault, FaultKind
from ._account import Account
from ._auth import OAuth
from ._checkout_forms import CheckoutForms
from ._data import (
    ACCESS_TOKEN_SECONDS,
    ALL_SCOPES,
    DEFAULT_CARRIERS,
    EVENT_TYPES,
    MEDIA_TYPE,
    Seller,
    form_pairs,
)
from ._events import Events
from ._fulfillment import Fulfillment
from ._invoices import Invoices, StoredInvoice
from ._refunds import Refunds
from ._shipments import Shipments
from ._state import Access, AllegroState

__all__ = ["FakeAllegro"]


class FakeAllegro(FakeService):
    """A stateful fake of Allegro's order-management API.

    Args:
        clock: Time source (a :class:`~allegro_plenty.testing.FakeClock` in tests).
        seed: Seeds fault injection, token and id generation.
        client_id: The registered application's id.
        client_secret: Its secret.
        carriers: ``(id, name)`` pairs ``GET /order/carriers`` answers.
        fulfillment_change_limit: Status changes allowed per order (Allegro: 100).
        max_orders_per_waybill: On how many orders one waybill may be used
            before ``POST .../shipments`` answers 409 (Allegro's number is not
            published).
        auto_sent_on_waybill: Set ``SENT`` once every line item has a waybill
            (the seller setting Allegro offers).
        refund_status: The status new refunds get.
        waybill_formats: Carrier id → a regular expression its waybills must match
            in full; any other waybill under that carrier is answered 400
            ``CarrierWaybillValidationException`` (Allegro checks formats of the
            carriers it tracks; it publishes no patterns, so tests give them).
        invoice_limit: How many seller invoices an order takes before new metadata
            is answered 409 (the spec's reading); ``None`` for any number (what
            Allegro's maintainers describe, allegro-api #9919).
        invoice_scan_seconds: How long the malware scan of an invoice file takes
            (``WAITING`` until then; new metadata meanwhile is a 422).
        invoice_metadata_pause: New metadata on an order whose previous metadata
            is younger than this and has no file is answered 429.
        requests_per_minute: The application's request budget (Allegro: 9000);
            ``None`` disables it. Over it, calls get 429 for a minute, and each
            call during the block lengthens it.
    """

    service_name = "allegro"

    # Settings the resources read, kept on their shared state: assigning one reaches them.
    clock = Shared[Clock]()
    client_id = Shared[str]()
    client_secret = Shared[str]()
    carriers = Shared[list[tuple[str, str]]]()
    fulfillment_change_limit = Shared[int]()
    max_orders_per_waybill = Shared[int]()
    auto_sent_on_waybill = Shared[bool]()
    refund_status = Shared[str]()
    waybill_formats = Shared[dict[str, str]]()
    invoice_limit = Shared["int | None"]()
    invoice_scan_seconds = Shared[float]()
    invoice_metadata_pause = Shared[float]()
    default_seller = Shared[Seller]()
    """The seller the seeding methods use when given no ``seller_id``."""

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        seed: int = 0,
        client_id: str = "fake-client-id",
        client_secret: str = "fake-client-secret",  # noqa: S107 - a test credential
        carriers: Sequence[tuple[str, str]] = DEFAULT_CARRIERS,
        fulfillment_change_limit: int = 100,
        max_orders_per_waybill: int = 5,
        auto_sent_on_waybill: bool = False,
        refund_status: str = "SUCCESS",
        waybill_formats: Mapping[str, str] | None = None,
        invoice_limit: int | None = 1,
        invoice_scan_seconds: float = 30.0,
        invoice_metadata_pause: float = 5.0,
        requests_per_minute: int | None = None,
    ) -> None:
        self._state = AllegroState(
            clock=clock or SystemClock(),
            seed=seed,
            client_id=client_id,
            client_secret=client_secret,
            carriers=carriers,
            fulfillment_change_limit=fulfillment_change_limit,
            max_orders_per_waybill=max_orders_per_waybill,
            auto_sent_on_waybill=auto_sent_on_waybill,
            refund_status=refund_status,
            waybill_formats=dict(waybill_formats or {}),
            invoice_limit=invoice_limit,
            invoice_scan_seconds=invoice_scan_seconds,
            invoice_metadata_pause=invoice_metadata_pause,
        )
        super().__init__(clock=self._state.clock, seed=seed)
        self.requests_per_minute = requests_per_minute
        self._window_start: datetime | None = None
        self._window_calls = 0
        self._blocked_until: datetime | None = None
        state = self._state
        self._oauth = OAuth(state)
        self._forms = CheckoutForms(state)
        self._events = Events(state)
        self._shipments = Shipments(state)
        self._invoices = Invoices(state)
        for resource in (
            self._oauth,
            self._forms,
            Fulfillment(state),
            self._shipments,
            self._events,
            Account(state),
            Refunds(state),
            self._invoices,
        ):
            self.add_resource(resource)
        self.default_seller = self.add_seller("46968690", "fake-seller")

    def __repr__(self) -> str:
        state = self._state
        return f"FakeAllegro(sellers={len(state.sellers)}, checkout_forms={len(state.forms)})"

    @property
    def app(self) -> AllegroApp:
        """The registered application, ready for ``AllegroClient(app=...)``."""
        return AllegroApp(self.client_id, self.client_secret)

    # --- conventions -----------------------------------------------------------------------------

    def _is_oauth(self, exchange: Exchange | None) -> bool:
        return exchange is not None and exchange.route.template.startswith("/auth/")

    def render_error(self, refusal: Refusal, exchange: Exchange | None) -> FakeResponse:
        """``{"errors": [...]}`` for the API; ``{"error", "error_description"}`` for OAuth."""
        headers = list(refusal.headers)
        if refusal.body is not None:
            body = refusal.body
        elif self._is_oauth(exchange):
            body = {"error": refusal.code, "error_description": refusal.message}
        else:
            body = {
                "errors": [
                    {
                        "code": refusal.code,
                        "message": refusal.message,
                        # The 403 error schema (Error403) has a non-nullable details.
                        "details": refusal.message if refusal.status == 403 else None,
                        "path": refusal.path,
                        "userMessage": refusal.message,
                        "metadata": {},
                    }
                ]
            }
        media = "application/json" if self._is_oauth(exchange) else MEDIA_TYPE
        return json_response(refusal.status, body, [("Content-Type", media), *headers])

    def fault_response(self, fault: Fault, exchange: Exchange) -> FakeResponse:
        """Allegro's 429 (no ``Retry-After``) and 5xx bodies."""
        if fault.outcome is FaultKind.RATE_LIMITED:
            return self.render_error(
                Refusal(429, "TooManyRequestsException", "Too many requests"), exchange
            )
        # The body Allegro sends during incidents (allegro-api #4166, #4167).
        return self.render_error(
            Refusal(
                fault.status,
                "INTERNAL_SERVER_ERROR",
                "Internal server error.",
                body={
                    "errors": [
                        {
                            "code": "INTERNAL_SERVER_ERROR",
                            "message": "Internal server error.",
                            "details": None,
                            "path": None,
                            "userMessage": (
                                "Internal server error. Please try again in a few minutes."
                            ),
                        }
                    ]
                },
            ),
            exchange,
        )

    def decorate(self, response: FakeResponse, exchange: Exchange | None) -> FakeResponse:
        """A ``trace-id`` on every API answer (the token endpoint sends none, allegro-api
        #6706), and a ``Date`` from the fake's clock on every answer (RFC 9110)."""
        date = ("Date", format_datetime(self.clock.now().astimezone(timezone.utc), usegmt=True))
        if self._is_oauth(exchange):
            return response.with_headers([date])
        trace = ("trace-id", f"{self._state.rng.getrandbits(128):032x}")
        return response.with_headers([trace, date])

    def admit(self, exchange: Exchange) -> None:
        """Accept header, the application's request budget, the token and its scope."""
        if self._is_oauth(exchange):
            return
        request = exchange.request
        accepted = [
            part.split(";")[0].strip() for part in request.headers.get("accept", "").split(",")
        ]
        if MEDIA_TYPE not in accepted:
            raise Refusal(
                406,
                "NotAcceptableException",
                "Not acceptable representation requested. Please check 'Accept' request header",
            )
        self._count_request()
        access: Access = exchange.route.access or Access()
        header = request.headers.get("authorization", "")
        if not header and access.anonymous:
            return
        token = self._oauth.bearer(header)
        if token.seller_id is None and not access.app_token:
            raise Refusal(
                403, "AccessDenied", "This resource needs a user token, not an application token"
            )
        scope = access.scope
        if scope is not None and scope not in token.scopes:
            raise Refusal(
                403,
                "AccessDenied",
                "Access is denied",
                headers=[
                    (
                        "WWW-Authenticate",
                        f'Bearer error="insufficient_scope", scope="{scope}"',
                    )
                ],
            )
        exchange.principal = token.seller_id

    def _count_request(self) -> None:
        if self.requests_per_minute is None:
            return
        now = self.clock.now()
        if self._blocked_until is not None and now < self._blocked_until:
            # Calling during a block lengthens it (allegro-api #3454, #6754).
            self._blocked_until = now + timedelta(minutes=1)
            raise Refusal(429, "TooManyRequestsException", "Too many requests")
        if self._window_start is None or now - self._window_start >= timedelta(minutes=1):
            self._window_start, self._window_calls = now, 0
        self._window_calls += 1
        if self._window_calls > self.requests_per_minute:
            self._blocked_until = now + timedelta(minutes=1)
            raise Refusal(429, "TooManyRequestsException", "Too many requests")

    # --- seeding: accounts and tokens ------------------------------------------------------------

    def add_seller(self, seller_id: str, login: str, **details: Any) -> Seller:
        """Add a seller account; ``details`` are :class:`Seller` fields."""
        with self.lock:
            seller = Seller(seller_id, login, **details)
            self._state.sellers[seller_id] = seller
            return seller

    def issue_token(
        self,
        seller_id: str | None = None,
        *,
        scopes: Iterable[str] = ALL_SCOPES,
        expires_in: int = ACCESS_TOKEN_SECONDS,
    ) -> Token:
        """A connected account's token pair, as a token store would hold it.

        Put it in a :class:`~allegro_plenty.tokens.TokenStore` under the seller
        id, and an :class:`~allegro_plenty.AllegroClient` for that account works
        (and refreshes against this fake when it expires).
        """
        with self.lock:
            return self._oauth.issue_token(seller_id, scopes=scopes, expires_in=expires_in)

    def authorization_code(
        self,
        seller_id: str | None = None,
        *,
        scopes: Iterable[str] = ALL_SCOPES,
        redirect_uri: str | None = None,
        code_challenge: str | None = None,
    ) -> str:
        """A one-time authorization code, as the redirect after consent carries."""
        with self.lock:
            return self._oauth.authorization_code(
                seller_id, scopes=scopes, redirect_uri=redirect_uri, code_challenge=code_challenge
            )

    def approve_device(self, user_code: str, seller_id: str | None = None) -> None:
        """The seller confirms a device flow (enters ``user_code``)."""
        with self.lock:
            self._oauth.approve_device(user_code, seller_id)

    def deny_device(self, user_code: str) -> None:
        """The seller refuses a device flow."""
        with self.lock:
            self._oauth.deny_device(user_code)

    def revoke_tokens(self, seller_id: str | None = None) -> None:
        """Kill every token of a seller (a password change, logging out everywhere)."""
        with self.lock:
            self._oauth.revoke_tokens(seller_id)

    # --- seeding: checkout forms and buyer actions -----------------------------------------------

    def add_checkout_form(
        self,
        form: Mapping[str, Any],
        *,
        seller_id: str | None = None,
        emit_events: bool = True,
        occurred_at: datetime | None = None,
    ) -> str:
        """Add a checkout form (JSON as Allegro sends it; see :mod:`.factories`).

        ``revision``, ``updatedAt`` and missing ``fulfillment`` parts are filled
        in. Unless ``emit_events`` is false (to simulate events Allegro lost),
        the journal gets the events a buyer's path to this status produces.
        Returns the form's id.
        """
        with self.lock:
            return self._forms.add_checkout_form(
                form, seller_id=seller_id, emit_events=emit_events, occurred_at=occurred_at
            )

    def checkout_form(self, form_id: str) -> dict[str, Any]:
        """The current JSON of a checkout form (a copy)."""
        with self.lock:
            return copy.deepcopy(self._state.stored(form_id).data)

    def checkout_form_ids(self, seller_id: str | None = None) -> list[str]:
        """Ids of every live checkout form of a seller (default seller if ``None``)."""
        with self.lock:
            key = self._state.seller(seller_id).id
            return [i for i, f in self._state.forms.items() if f.seller_id == key and not f.gone]

    def pay(self, form_id: str, *, paid_amount: Decimal | str | None = None) -> None:
        """The buyer pays: ``READY_FOR_PROCESSING``, a new revision, an event."""
        with self.lock:
            self._forms.pay(form_id, paid_amount=paid_amount)

    def add_surcharge(
        self, form_id: str, amount: Decimal | str, *, surcharge_id: str | None = None
    ) -> str:
        """The buyer pays a surcharge (dopłata): a payment of its own in ``surcharges``.

        A surcharge pays for a change in the form, here a dearer delivery:
        ``delivery.cost`` and ``summary.totalToPay`` grow by it, so the total is
        still ``payment.paidAmount`` plus the surcharges (allegro-api #1103).
        The journal gets another ``READY_FOR_PROCESSING`` for the same form
        (allegro-api #2087, #2573). A form without delivery has nothing a
        surcharge could pay for: ``ValueError``.
        """
        with self.lock:
            return self._forms.add_surcharge(form_id, amount, surcharge_id=surcharge_id)

    def modify_delivery_address(self, form_id: str, **changes: Any) -> None:
        """The buyer edits the delivery address (camelCase keys: ``street``, ``zipCode`` ...).

        Allegro allows it only before the seller starts processing and before a
        waybill is added; the fake refuses (ValueError) otherwise, as the buyer
        would be refused.
        """
        with self.lock:
            self._forms.modify_delivery_address(form_id, **changes)

    def cancel(self, form_id: str, *, by_allegro: bool = False) -> None:
        """The buyer (or, with ``by_allegro``, Allegro) cancels the purchase."""
        with self.lock:
            self._forms.cancel(form_id, by_allegro=by_allegro)

    def merge(self, form_ids: Sequence[str]) -> str:
        """The buyer pays several unpaid purchases together: Allegro makes one new form.

        The new form has a new id and all line items; the old forms answer 404
        from now on (allegro-api #8898, #10406). Only unpaid forms merge.
        """
        with self.lock:
            return self._forms.merge(form_ids)

    def set_fulfillment_status(self, form_id: str, status: str, *, emit_event: bool = True) -> None:
        """Allegro (or the seller in Allegro's pages) sets the status (``RETURNED`` after a
        return, ``SENT`` by a carrier, ``NEW`` again); ``emit_event=False`` loses the event."""
        with self.lock:
            stored = self._state.stored(form_id)
            stored.data["fulfillment"]["status"] = status
            self._state.bump(stored, revision=False)
            if emit_event:
                self._state.emit(stored, "FULFILLMENT_STATUS_CHANGED", self.clock.now())

    def add_shipment(
        self,
        form_id: str,
        waybill: str,
        *,
        carrier_id: str = "ALLEGRO",
        carrier_name: str | None = None,
        line_items: Sequence[str] = (),
    ) -> None:
        """A waybill added outside the API: by Allegro itself ("Wysyłam z Allegro"), by
        the carrier, or by the seller in Moje Allegro (allegro-api #12490). It lists
        among the form's shipments like any other."""
        with self.lock:
            self._shipments.add(
                self._state.stored(form_id), carrier_id, waybill, carrier_name, line_items
            )

    # --- events ----------------------------------------------------------------------------------

    def emit_event(
        self, form_id: str, event_type: str, *, occurred_at: datetime | None = None
    ) -> str:
        """Append an event for a form; an ``occurred_at`` in the past makes it out of order."""
        if event_type not in EVENT_TYPES:
            raise ValueError(f"unknown event type {event_type!r}")
        with self.lock:
            return self._state.emit(
                self._state.stored(form_id), event_type, occurred_at or self.clock.now()
            ).id

    def duplicate_event(self, event_id: str) -> str:
        """Append a copy of an event (same type, form and ``occurredAt``; a new id)."""
        with self.lock:
            return self._events.duplicate_event(event_id)

    def events(self, form_id: str | None = None) -> list[dict[str, Any]]:
        """The journal (every seller), oldest first, as ``GET /order/events`` renders it."""
        with self.lock:
            return [e.json() for e in self._state.events if form_id is None or e.form_id == form_id]

    # --- inspection ------------------------------------------------------------------------------

    def fulfillment_changes(self, form_id: str) -> int:
        """How many fulfillment PUTs Allegro accepted for a form (it allows 100)."""
        with self.lock:
            return self._state.stored(form_id).fulfillment_changes

    def shipments(self, form_id: str) -> list[dict[str, Any]]:
        """Every waybill added to a form, duplicates included."""
        with self.lock:
            return copy.deepcopy(self._state.stored(form_id).shipments)

    def refunds(self, order_id: str | None = None) -> list[dict[str, Any]]:
        """Refunds created (for one order, if given)."""
        with self.lock:
            return [
                copy.deepcopy(r.data)
                for r in self._state.refunds
                if order_id is None or r.data.get("order", {}).get("id") == order_id
            ]

    def set_refund_status(self, refund_id: str, status: str) -> None:
        """Allegro moves a refund on: ``IN_PROGRESS`` → ``SUCCESS``, or ``CANCELED`` when the
        seller's balance lacks the funds (allegro-api #7828)."""
        with self.lock:
            for refund in self._state.refunds:
                if refund.data["id"] == refund_id:
                    refund.data["status"] = status
                    return
            raise KeyError(f"no refund {refund_id!r}")

    # --- invoices ----------------------------------------------------------------------------

    def refuse_invoices(
        self, form_id: str, reason: str = "Order does not allow an invoice"
    ) -> None:
        """The order takes no invoice: new metadata is answered 422 with ``reason``."""
        with self.lock:
            self._state.stored(form_id).invoice_refusal = reason

    def add_external_invoice(self, form_id: str) -> None:
        """The seller sent an invoice outside Allegro: ``hasExternalInvoices`` turns true."""
        with self.lock:
            self._state.stored(form_id).has_external_invoices = True

    def add_invoice(
        self, form_id: str, number: str | None, pdf: bytes | None = None, *, name: str = "inv.pdf"
    ) -> str:
        """An invoice added outside this library (in Moje Allegro, by another tool), with its
        file when ``pdf`` is given (scanned at once: ``ACCEPTED``). Returns its id."""
        with self.lock:
            stored = self._state.stored(form_id)
            now = self.clock.now()
            invoice = StoredInvoice(f"seeded-{len(stored.invoices) + 1}", number, name, now)
            if pdf is not None:
                invoice.content, invoice.uploaded_at = pdf, now
                invoice.scan, invoice.verified_at = "ACCEPTED", now
            stored.invoices.append(invoice)
            return invoice.id

    def reject_invoice_file(self, form_id: str, invoice_id: str) -> None:
        """The scan of this invoice's file will end ``REJECTED``."""
        with self.lock:
            for invoice in self._state.stored(form_id).invoices:
                if invoice.id == invoice_id:
                    invoice.reject = True
                    return
            raise KeyError(f"no invoice {invoice_id!r} on form {form_id!r}")

    def invoices(self, form_id: str) -> list[dict[str, Any]]:
        """The invoices of a form as Allegro lists them (scans whose time is up ended)."""
        with self.lock:
            stored = self._state.stored(form_id)
            self._invoices.scan(stored)
            return [invoice.json() for invoice in stored.invoices]

    def invoice_file(self, form_id: str, invoice_id: str) -> bytes | None:
        """The file uploaded to an invoice, byte for byte (``None`` before the upload)."""
        with self.lock:
            for invoice in self._state.stored(form_id).invoices:
                if invoice.id == invoice_id:
                    content: bytes | None = invoice.content
                    return content
            raise KeyError(f"no invoice {invoice_id!r} on form {form_id!r}")

    def refresh_count(self) -> int:
        """How many refresh grants of an authenticated application the token endpoint
        processed, accepted or refused (a replayed token counts: it reached Allegro)."""
        return sum(
            1
            for c in self.calls("POST /auth/oauth/token")
            if c.committed
            and c.response is not None
            and c.response.status != 401
            and dict(form_pairs(c)).get("grant_type") == "refresh_token"
        )
