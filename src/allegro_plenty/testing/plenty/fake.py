"""``FakePlenty``: a stateful, in-memory plentymarkets REST API for tests.

It serves the routes :class:`~allegro_plenty.PlentyClient` uses and behaves
like plentymarkets where integrations break:

* ``POST /rest/login`` with tokens that expire after 24 h, refresh that
  rotates them, and a cap on concurrent back-end sessions (3 by default; the
  next login gets 429 ``too_many_concurrent_sessions``);
* its own rate limiter (:mod:`._limits`): ``X-Plenty-*`` headers on
  every answer and 429 with ``Retry-After`` past a limit;
* orders that accept only documented body keys, compute their amounts the way
  plenty does (``priceGross = priceOriginalGross + surcharge − discount``,
  VAT from the VAT configuration, totals per currency plus one in the system
  currency), carry a status history, and split into delivery orders with
  shipping packages;
* **no idempotency on** ``POST /rest/orders``: the same external order id can
  be created twice, exactly as in plenty. Tests count
  :meth:`FakePlenty.orders_with_external_id` to prove a client never does it;
* contacts, addresses (an identical address is reused, not duplicated),
  payments found by property, variations by number, barcode and SKU,
  referrers, shipping profiles, comments, countries, VAT, currencies;
* order documents (invoices, correction documents) with their PDF files, and
  invoice generation (:mod:`._documents`).

Unknown query parameters and body keys are answered with 400 (the official
spec barely types the order body and the search filters, so the fake guards
them). ``docs/fakes.md`` lists each behaviour with its source.

The endpoints live in one class per resource (``_orders``, ``_contacts``,
``_payments`` ...), each handler declaring its route where it is written; they
share one :class:`~._state.PlentyState`. This class holds them together: the
service's conventions (sessions, rate limits, error format) and the seeding
and inspection methods tests call.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from .._clock import Clock, SystemClock
from .._resources import Shared
from .._transport import Exchange, FakeResponse, FakeService, Refusal, json_response
from ..faults import Fault, FaultKind
from ._auth import PUBLIC, Auth
from ._comments import Comments
from ._contacts import Contacts, render_contact
from ._data import DEFAULT_EXCHANGE_RATES, DEFAULT_VAT_RATES, ORDER_RELATIONS
from ._documents import Documents
from ._history import StatusHistory
from ._items import Items
from ._limits import CLASSIC, PlentyLimiter, PlentyPlan
from ._orders import Orders, render_order
from ._payments import Payments, render_payment
from ._reference import ReferenceData
from ._referrers import Referrers
from ._shipping import Shipping
from ._state import PlentyState

__all__ = ["FakePlenty"]


class FakePlenty(FakeService):
    """A stateful fake of the plentymarkets REST API.

    Args:
        clock: Time source (a :class:`~allegro_plenty.testing.FakeClock` in tests).
        seed: Seeds fault injection and token generation.
        plenty_id: The client (store) id orders must carry.
        system_currency: The system currency (exchange rate 1).
        exchange_rates: Units of each currency per system-currency unit.
        home_country: The standard accounting location's country.
        max_sessions: Concurrent back-end sessions allowed (plenty's default is 3).
        plan: The call limits; ``None`` switches the rate limiter off.
        route_limits: Extra per-route limits, ``{"POST /rest/orders": (calls, seconds)}``.
        token_keys: Which spellings the login answer uses: ``"both"``,
            ``"snake"`` (as plentymarkets' docs show) or ``"camel"`` (as the spec).
        external_id_match: How ``GET /rest/orders?externalOrderId=`` and
            ``GET /rest/accounts/contacts?externalId=`` match: ``"exact"``,
            ``"prefix"`` or ``"contains"`` (plentymarkets does not document
            it; the looser modes prove a client filters the answer itself).
    """

    service_name = "plenty"

    # Settings the resources read, kept on their shared state: assigning one reaches them.
    clock = Shared[Clock]()
    plenty_id = Shared[int]()
    system_currency = Shared[str]()
    exchange_rates = Shared[dict[str, Decimal]]()
    max_sessions = Shared[int]()
    token_keys = Shared[str]()
    external_id_match = Shared[str]()

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        seed: int = 0,
        plenty_id: int = 1000,
        system_currency: str = "PLN",
        exchange_rates: Mapping[str, str | Decimal] = DEFAULT_EXCHANGE_RATES,
        home_country: str = "PL",
        max_sessions: int = 3,
        plan: PlentyPlan | None = CLASSIC,
        route_limits: Mapping[str, tuple[int, float]] | None = None,
        token_keys: str = "both",  # noqa: S107 - a spelling, not a password
        external_id_match: str = "exact",
    ) -> None:
        self._state = PlentyState(
            clock=clock or SystemClock(),
            seed=seed,
            plenty_id=plenty_id,
            system_currency=system_currency,
            exchange_rates={k: Decimal(str(v)) for k, v in exchange_rates.items()},
            max_sessions=max_sessions,
            token_keys=token_keys,
            external_id_match=external_id_match,
        )
        super().__init__(clock=self._state.clock, seed=seed)
        if token_keys not in ("both", "snake", "camel"):
            raise ValueError("token_keys must be 'both', 'snake' or 'camel'")
        if external_id_match not in ("exact", "prefix", "contains"):
            raise ValueError("external_id_match must be 'exact', 'prefix' or 'contains'")
        if self.exchange_rates.get(system_currency) != 1:
            raise ValueError("the system currency's exchange rate must be 1")
        self.limiter = None if plan is None else PlentyLimiter(plan, route_limits=route_limits)
        state = self._state
        self._auth = Auth(state)
        self._reference = ReferenceData(state)
        self._referrers = Referrers(state)
        self._items = Items(state)
        self._shipping = Shipping(state)
        self._documents = Documents(state)
        for resource in (
            self._auth,
            Orders(state),
            StatusHistory(state),
            self._shipping,
            self._documents,
            self._referrers,
            Contacts(state),
            Payments(state),
            self._items,
            Comments(state),
            self._reference,
        ):
            self.add_resource(resource)
        home = self.country_id(home_country)
        for country in state.countries:
            rates = DEFAULT_VAT_RATES.get(country["isoCode2"])
            if rates is not None:
                self.add_vat_configuration(country["id"], rates, standard=country["id"] == home)
        self.username = "api-user"
        self.password = "api-password"  # noqa: S105 - a test credential
        self.add_user(self.username, self.password)

    def __repr__(self) -> str:
        return f"FakePlenty(orders={len(self._state.orders)}, contacts={len(self._state.contacts)})"

    # --- conventions -----------------------------------------------------------------------------

    def render_error(self, refusal: Refusal, exchange: Exchange | None) -> FakeResponse:
        """``{"error": {"code", "message"}}``, plus ``validation_errors`` on a 422."""
        if refusal.body is not None:
            body = refusal.body
        else:
            body = {"error": {"code": refusal.status, "message": refusal.message}}
            if refusal.status == 422:
                body["validation_errors"] = {refusal.path or "request": [refusal.message]}
        return json_response(
            refusal.status, body, [("Content-Type", "application/json"), *refusal.headers]
        )

    def fault_response(self, fault: Fault, exchange: Exchange) -> FakeResponse:
        """A 429 with ``Retry-After`` and the limit headers, or a 5xx."""
        if fault.outcome is FaultKind.RATE_LIMITED:
            wait = fault.retry_after if fault.retry_after is not None else 5
            headers: list[tuple[str, str]] = [("Retry-After", str(wait))]
            return self.render_error(
                Refusal(429, "429", "Too many requests", headers=headers), exchange
            )
        return self.render_error(
            Refusal(fault.status, str(fault.status), "Internal Server Error"), exchange
        )

    def admit(self, exchange: Exchange) -> None:
        """A valid session token, then the rate limiter."""
        if exchange.route.access == PUBLIC:
            return
        session = self._auth.session_for(exchange.request.headers.get("authorization", ""))
        exchange.principal = session
        if self.limiter is None:
            return
        decision = self.limiter.check(
            exchange.route.name,
            session.user,
            write=exchange.request.method != "GET",
            now=self.clock.now(),
        )
        if not decision.allowed:
            raise Refusal(429, "429", "Too Many Requests", headers=decision.headers)
        exchange.headers.extend(decision.headers)

    # --- seeding and inspection: users and sessions ----------------------------------------------

    def add_user(self, username: str, password: str) -> None:
        """Add a back-end user who may log in."""
        with self.lock:
            self._state.users[username] = password

    def active_sessions(self) -> int:
        """How many sessions are open (logged in, not expired, not logged out)."""
        with self.lock:
            now = self.clock.now()
            return sum(1 for s in self._state.sessions.values() if now < s.expires_at)

    def login_count(self) -> int:
        """How many logins plentymarkets accepted."""
        return sum(
            1
            for c in self.calls("POST /rest/login")
            if c.committed and c.response and c.response.status == 200
        )

    def end_sessions(self) -> None:
        """End every session now: access and refresh tokens die (a password change, a logout)."""
        with self.lock:
            self._state.sessions.clear()

    # --- seeding: reference data -----------------------------------------------------------------

    def country_id(self, iso_code: str) -> int:
        """plentymarkets' id of a country (``"PL"`` → 23)."""
        return self._reference.country_id(iso_code)

    def add_vat_configuration(
        self, country_id: int, rates: Sequence[str | Decimal], *, standard: bool = False
    ) -> int:
        """Add a VAT configuration (the ``countryVatId`` of order items); returns its id."""
        with self.lock:
            return self._reference.add_vat_configuration(country_id, rates, standard=standard)

    def vat_configuration_id(self, iso_code: str) -> int:
        """The id of the VAT configuration of a country (``countryVatId``)."""
        return self._reference.vat_configuration_id(iso_code)

    def add_referrer(
        self, backend_name: str, *, referrer_id: Decimal | str | None = None, origin: str = "test"
    ) -> Decimal:
        """Add a referrer (an order channel); returns its id."""
        with self.lock:
            return self._referrers.add_referrer(
                backend_name, referrer_id=referrer_id, origin=origin
            )

    def add_payment_method(
        self, mop_id: int, name: str, *, plugin_key: str = "test", payment_key: str = "TEST"
    ) -> None:
        """Add a method of payment."""
        with self.lock:
            self._state.methods.append(
                {
                    "id": mop_id,
                    "pluginKey": plugin_key,
                    "paymentKey": payment_key,
                    "name": name,
                    "isDocumentBuilderActive": False,
                }
            )

    def add_shipping_profile(
        self,
        profile_id: int,
        name: str,
        parcel_service: str,
        *,
        parcel_service_id: int | None = None,
    ) -> None:
        """Add a shipping profile (parcel service preset) and its parcel service's name."""
        with self.lock:
            self._state.profiles.append(
                {
                    "id": profile_id,
                    "parcelServiceId": parcel_service_id or 100 + profile_id,
                    "backendName": name,
                    "service": parcel_service,
                }
            )

    def add_variation(
        self,
        *,
        number: str,
        name: str = "Test item",
        barcode: str | None = None,
        skus: Iterable[tuple[Decimal | str | None, str]] = (),
        item_id: int | None = None,
        is_active: bool = True,
    ) -> int:
        """Add an item variation to the catalogue; returns its id.

        Args:
            number: The variation number (``numberExact`` finds it).
            name: Its name.
            barcode: An EAN/GTIN (``barcode`` finds it).
            skus: ``(market id, sku)`` pairs; a ``None`` market is referrer 0.
            item_id: The item it belongs to (a new one by default).
            is_active: Whether it is active.
        """
        with self.lock:
            return self._items.add_variation(
                number=number,
                name=name,
                barcode=barcode,
                skus=skus,
                item_id=item_id,
                is_active=is_active,
            )

    # --- seeding and inspection: orders ----------------------------------------------------------

    def orders_with_external_id(
        self, external_order_id: str, *, order_type: int | None = 1
    ) -> list[int]:
        """Ids of orders whose property 7 is exactly ``external_order_id`` (sales orders only,
        unless ``order_type`` says otherwise)."""
        with self.lock:
            return [
                oid
                for oid, order in self._state.orders.items()
                if (order_type is None or order.data["typeId"] == order_type)
                and any(
                    p["typeId"] == 7 and p["value"] == external_order_id for p in order.properties
                )
            ]

    def order(self, order_id: int) -> dict[str, Any]:
        """An order as ``GET /rest/orders/{id}`` renders it with every relation the fake has."""
        with self.lock:
            state = self._state
            return render_order(state, state.order_or_404(order_id), ORDER_RELATIONS)

    def order_ids(self) -> list[int]:
        """Every order id, oldest first."""
        with self.lock:
            return list(self._state.orders)

    def payments_with_transaction_id(
        self, transaction_id: str, *, include_deleted: bool = False
    ) -> list[int]:
        """Ids of payments whose property 1 (transaction id) is ``transaction_id``."""
        with self.lock:
            return [
                pid
                for pid, payment in self._state.payments.items()
                if (include_deleted or not payment["deleted"])
                and any(
                    p["typeId"] == 1 and p["value"] == transaction_id for p in payment["properties"]
                )
            ]

    def payment(self, payment_id: int) -> dict[str, Any]:
        """A payment as the API renders it."""
        with self.lock:
            return render_payment(self._state, self._state.payments[payment_id])

    def delete_payment(self, payment_id: int) -> None:
        """Delete a payment in the back end (it stays findable, marked ``deleted``)."""
        with self.lock:
            self._state.payments[payment_id]["deleted"] = 1

    def contacts_with_external_id(self, external_id: str) -> list[int]:
        """Ids of contacts whose ``externalId`` is exactly ``external_id``."""
        with self.lock:
            return [
                cid for cid, c in self._state.contacts.items() if c.get("externalId") == external_id
            ]

    def contact(self, contact_id: int) -> dict[str, Any]:
        """A contact as ``GET /rest/accounts/contacts/{id}`` renders it with its options and
        addresses (an address used both ways is listed once per use)."""
        with self.lock:
            found = self._state.contacts.get(contact_id)
            if found is None:
                raise KeyError(f"no contact {contact_id}")
            return render_contact(self._state, found, {"options", "addresses"})

    def comments(self, order_id: int) -> list[dict[str, Any]]:
        """The comments of an order."""
        with self.lock:
            return [copy.deepcopy(c) for c in self._state.comments_of_order(order_id)]

    def status_history(self, order_id: int) -> list[dict[str, Any]]:
        """The status changes of an order, oldest first."""
        with self.lock:
            return [copy.deepcopy(h) for h in self._state.history if h["orderId"] == order_id]

    def set_status(self, order_id: int, status: Decimal | str | int, *, user_id: int = 1) -> None:
        """Change an order's status in the back end (a person, a flow, an event procedure)."""
        with self.lock:
            order = self._state.order_or_404(order_id)
            self._state.change_status(order, Decimal(str(status)), user_id=user_id, text="Back end")

    def lock_order(self, order_id: int, lock_status: str = "permanentlyLocked") -> None:
        """Lock an order as invoicing does (``reversibleLocked`` or ``permanentlyLocked``).

        A locked order keeps its addresses: re-pointing one is refused with 422.
        """
        if lock_status not in ("reversibleLocked", "permanentlyLocked"):
            raise ValueError(
                f"lock_status must be reversibleLocked or permanentlyLocked, not {lock_status!r}"
            )
        with self.lock:
            order = self._state.order_or_404(order_id)
            order.data["lockStatus"] = lock_status
            order.data["isLocked"] = True

    def create_delivery_order(
        self, order_id: int, items: Mapping[int, Decimal | int] | None = None
    ) -> int:
        """Split a delivery order (type 2) off a sales order; returns its id.

        ``items`` maps order item ids to quantities (all items by default). The
        delivery order keeps the parent's properties, relations and addresses.
        """
        with self.lock:
            return self._shipping.create_child_order(order_id, 2, items)

    def create_return_order(
        self,
        order_id: int,
        items: Mapping[int, Decimal | int],
        *,
        status: Decimal | int | str = 9,
    ) -> int:
        """Make a return order (order type 3) of a sales order; returns its id.

        ``items`` maps the sales order's item ids to the quantity returned; the
        return's items are copies of them (properties included, so property 41
        still names the Allegro line item), and the return order keeps the
        parent's properties, relations and addresses, as plentymarkets copies
        them. Its status is ``status`` (plentymarkets' returns are 9.x).
        """
        with self.lock:
            return self._shipping.create_child_order(
                order_id, 3, items, status=Decimal(str(status))
            )

    def set_order_property(self, order_id: int, type_id: int, value: str | None) -> None:
        """Set, replace or (``None``) remove an order property in the back end, e.g. the
        shipping profile (property 2) of a delivery order."""
        with self.lock:
            order = self._state.order_or_404(order_id)
            kept = [p for p in order.properties if p["typeId"] != type_id]
            if value is not None:
                kept.append(
                    self._state.property(
                        {"typeId": type_id, "value": value},
                        "properties[0]",
                        owner=("orderId", order_id),
                    )
                )
            order.properties = kept
            self._state.touch(order)

    def add_document(
        self,
        order_id: int,
        document_type: str = "invoice",
        *,
        pdf: bytes | None = None,
        number: int | None = None,
        display_date: datetime | None = None,
    ) -> int:
        """A document plentymarkets made for an order (an ``invoice``, a ``correction``
        ...), with its file (a small PDF naming it by default); returns its id. Numbers
        count up per type unless given."""
        with self.lock:
            return self._documents.add(
                order_id, document_type, content=pdf, number=number, display_date=display_date
            ).id

    def document(self, document_id: int) -> dict[str, Any]:
        """A document as plentymarkets lists it, with its file's bytes under ``"file"``."""
        with self.lock:
            stored = self._state.documents[document_id]
            return {**stored.json(references=True, content=False), "file": stored.content}

    def documents(self, order_id: int) -> list[dict[str, Any]]:
        """Every document of an order, oldest first."""
        with self.lock:
            return [
                d.json(references=True, content=False)
                for d in sorted(self._state.documents.values(), key=lambda d: d.id)
                if d.order_id == order_id
            ]

    def register_package(
        self,
        order_id: int,
        package_number: str,
        *,
        items: Mapping[int, Decimal | int] | None = None,
        weight: int = 1000,
        package_type: int = 0,
    ) -> int:
        """Register a shipping package (a tracking number) on an order; returns its id.

        ``items`` maps order item ids to the quantity in the package (all items
        by default). As in plentymarkets, this does not touch the order's
        ``updatedAt``.
        """
        with self.lock:
            return self._shipping.register_package(
                order_id, package_number, items=items, weight=weight, package_type=package_type
            )
