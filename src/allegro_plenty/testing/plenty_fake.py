"""``FakePlenty``: a stateful, in-memory plentymarkets REST API for tests.

It serves the routes :class:`~allegro_plenty.PlentyClient` uses and behaves
like plentymarkets where integrations break:

* ``POST /rest/login`` with tokens that expire after 24 h, refresh that
  rotates them, and a cap on concurrent back-end sessions (3 by default; the
  next login gets 429 ``too_many_concurrent_sessions``);
* its own rate limiter (:mod:`._plenty_limits`): ``X-Plenty-*`` headers on
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
  referrers, shipping profiles, comments, countries, VAT, currencies.

Unknown query parameters and body keys are answered with 400 (the official
spec barely types the order body and the search filters, so the fake guards
them). ``docs/fakes.md`` lists each behaviour with its source.
"""

from __future__ import annotations

import copy
import itertools
import random
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any

from dateutil.parser import isoparse

from ._clock import Clock
from ._plenty_data import (
    ADDRESS_BODY,
    ADDRESS_OPTION_TYPES,
    COMMENT_BODY,
    CONTACT_BODY,
    CONTACT_OPTION_TYPES,
    DEFAULT_COUNTRIES,
    DEFAULT_EXCHANGE_RATES,
    DEFAULT_PAYMENT_METHODS,
    DEFAULT_REFERRERS,
    DEFAULT_SHIPPING_PROFILES,
    DEFAULT_VAT_RATES,
    ID_STARTS,
    MAX_ITEMS_PER_PAGE,
    ORDER_BODY,
    ORDER_ITEM_TYPES,
    ORDER_PROPERTY_TYPES,
    ORDER_RELATIONS,
    ORDER_STATUSES,
    ORDER_TYPES,
    PAGING,
    PAYMENT_BODY,
    PAYMENT_PROPERTY_TYPES,
    PROPERTY_SHAPE,
    REFERRER_BODY,
    SEARCH_GROUP,
    SHIPPING_ITEM_TYPE,
    TOKEN_SECONDS,
    WITH,
)
from ._plenty_limits import CLASSIC, PlentyLimiter, PlentyPlan
from ._plenty_model import (
    Session,
    StoredOrder,
    date_param,
    decimal_value,
    group_test,
    integer_value,
    iso,
    relation_names,
    round_money,
    search_test,
    status_key,
    within,
)
from ._transport import Exchange, FakeResponse, FakeService, Refusal, json_response
from .faults import Fault, FaultKind

__all__ = ["DEFAULT_COUNTRIES", "FakePlenty", "PlentyPlan"]


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
        super().__init__(clock=clock, seed=seed)
        if token_keys not in ("both", "snake", "camel"):
            raise ValueError("token_keys must be 'both', 'snake' or 'camel'")
        if external_id_match not in ("exact", "prefix", "contains"):
            raise ValueError("external_id_match must be 'exact', 'prefix' or 'contains'")
        self.plenty_id = plenty_id
        self.system_currency = system_currency
        self.exchange_rates = {k: Decimal(str(v)) for k, v in exchange_rates.items()}
        if self.exchange_rates.get(system_currency) != 1:
            raise ValueError("the system currency's exchange rate must be 1")
        self.max_sessions = max_sessions
        self.limiter = None if plan is None else PlentyLimiter(plan, route_limits=route_limits)
        self.token_keys = token_keys
        self.external_id_match = external_id_match
        self._rng = random.Random(seed)
        self._ids = {name: itertools.count(start) for name, start in ID_STARTS.items()}
        self._users: dict[str, str] = {}
        self._sessions: dict[str, Session] = {}
        self._countries: list[dict[str, Any]] = [
            {
                "id": cid,
                "name": name,
                "shippingDestinationId": 1,
                "active": 1,
                "storehouseId": 0,
                "isoCode2": iso2,
                "isoCode3": iso3,
                "lang": lang,
                "isCountryStateMandatory": False,
            }
            for cid, iso2, iso3, name, lang in DEFAULT_COUNTRIES
        ]
        home = self.country_id(home_country)
        self._vats: list[dict[str, Any]] = []
        for country in self._countries:
            rates = DEFAULT_VAT_RATES.get(country["isoCode2"])
            if rates is not None:
                self.add_vat_configuration(country["id"], rates, standard=country["id"] == home)
        self._referrers: dict[Decimal, dict[str, Any]] = {}
        for rid, name, origin in DEFAULT_REFERRERS:
            self._referrers[Decimal(rid)] = {
                "id": Decimal(rid),
                "isEditable": False,
                "backendName": name,
                "name": name,
                "orderOwnerId": 0,
                "isFilterable": True,
                "origin": origin,
                "showInLeads": False,
            }
        self._methods = [
            {
                "id": mid,
                "pluginKey": plugin,
                "paymentKey": key,
                "name": name,
                "isDocumentBuilderActive": False,
            }
            for mid, plugin, key, name in DEFAULT_PAYMENT_METHODS
        ]
        self._profiles = [
            {"id": pid, "parcelServiceId": sid, "backendName": name, "service": service}
            for pid, sid, name, service in DEFAULT_SHIPPING_PROFILES
        ]
        self._orders: dict[int, StoredOrder] = {}
        self._history: list[dict[str, Any]] = []
        self._contacts: dict[int, dict[str, Any]] = {}
        self._addresses: dict[int, dict[str, Any]] = {}
        self._contact_addresses: dict[int, list[tuple[int, int]]] = {}
        self._payments: dict[int, dict[str, Any]] = {}
        self._payment_links: dict[int, dict[str, Any]] = {}
        self._variations: dict[int, dict[str, Any]] = {}
        self._comments: list[dict[str, Any]] = []
        self.username = "api-user"
        self.password = "api-password"  # noqa: S105 - a test credential
        self.add_user(self.username, self.password)
        self._register_routes()

    def __repr__(self) -> str:
        return f"FakePlenty(orders={len(self._orders)}, contacts={len(self._contacts)})"

    # --- routes ----------------------------------------------------------------------------------

    def _register_routes(self) -> None:
        add = self.add_route
        add("POST", "/rest/login", self._login, query=("username", "password"), form=True)
        add("POST", "/rest/login/refresh", self._refresh, query=("refresh_token",), form=True)
        add("POST", "/rest/logout", self._logout)
        add("POST", "/rest/orders", self._create_order, query=("coupon",), body=ORDER_BODY)
        add(
            "GET",
            "/rest/orders",
            self._list_orders,
            query=(
                "externalOrderId",
                "referrerId",
                "orderType",
                "contactId",
                "parentOrderId",
                "orderIds",
                "statusFrom",
                "statusTo",
                "updatedAtFrom",
                "updatedAtTo",
                "createdAtFrom",
                "createdAtTo",
                "sortBy",
                "sortOrder",
                *PAGING,
                *WITH,
            ),
        )
        search_query = (
            "orderId",
            "orderTypeId",
            "statusId",
            "referrerId",
            "updatedAt",
            "createdAt",
            "orderProperty_*",
            "sortBy",
            "sortOrder",
            "lazyLoaded",
            *PAGING,
            *WITH,
        )
        add("GET", "/rest/orders/search", self._search_orders, query=search_query)
        add(
            "POST",
            "/rest/orders/search",
            self._search_orders,
            query=search_query,
            body=SEARCH_GROUP,
        )
        add("GET", "/rest/orders/{orderId}", self._get_order, query=(*WITH, "addOrderItems"))
        add(
            "PUT",
            "/rest/orders/{orderId}",
            self._update_order,
            body={"statusId": None, "ownerId": None, "properties": [PROPERTY_SHAPE]},
        )
        add(
            "PUT",
            "/rest/orders/{orderId}/cancel",
            self._cancel_order,
            body={"statusId": None, "message": None},
        )
        add("GET", "/rest/orders/{orderId}/status-history", self._order_history)
        add(
            "GET",
            "/rest/orders/status-history",
            self._history_list,
            query=("orderId", "statusId", "createdAtFrom", "createdAtTo", "userId", *PAGING),
        )
        add("GET", "/rest/orders/{orderId}/packagenumbers", self._package_numbers)
        add(
            "GET",
            "/rest/orders/{orderId}/shipping/packages",
            self._packages,
            query=("with", "columns"),
        )
        add("GET", "/rest/orders/referrers", self._referrer_list, query=("columns",))
        add("POST", "/rest/orders/referrers", self._create_referrer, body=REFERRER_BODY)
        add(
            "POST",
            "/rest/orders/referrers/{parentReferrerId}",
            self._create_referrer,
            body=REFERRER_BODY,
        )
        add("GET", "/rest/orders/properties/types", self._property_types, query=("lang",))
        add(
            "GET",
            "/rest/accounts/contacts",
            self._list_contacts,
            query=("externalId", "email", "contactEmail", "number", "referrerId", *PAGING, *WITH),
        )
        add("POST", "/rest/accounts/contacts", self._create_contact, body=CONTACT_BODY)
        add("GET", "/rest/accounts/contacts/{contactId}", self._get_contact, query=WITH)
        add(
            "POST",
            "/rest/accounts/contacts/{contactId}/addresses",
            self._create_address,
            query=("typeId", "isPrimary"),
            body=ADDRESS_BODY,
        )
        add("POST", "/rest/payments", self._create_payment, body=PAYMENT_BODY)
        add(
            "GET",
            "/rest/payments/property/{propertyTypeId}/{propertyValue}",
            self._payments_by_property,
            query=PAGING,
        )
        add("GET", "/rest/payments/orders/{orderId}", self._order_payments, query=PAGING)
        add("POST", "/rest/payment/{paymentId}/order/{orderId}", self._link_payment)
        add(
            "GET",
            "/rest/payments/methods",
            self._payment_methods,
            query=("backendSearchable", "backendActive"),
        )
        add(
            "GET",
            "/rest/items/variations",
            self._variations_list,
            query=(
                "numberExact",
                "barcode",
                "sku",
                "id",
                "itemId",
                "isActive",
                "lang",
                *PAGING,
                *WITH,
            ),
        )
        add("GET", "/rest/orders/shipping/presets", self._presets, query=("with", "columns"))
        add("GET", "/rest/orders/shipping/presets/{presetId}", self._preset, query=("columns",))
        add("POST", "/rest/comments", self._create_comment, body=COMMENT_BODY)
        add("GET", "/rest/comments/{referenceType}/{referenceValue}", self._comments_of)
        add(
            "GET", "/rest/orders/shipping/countries", self._countries_list, query=("active", "with")
        )
        add("GET", "/rest/vat", self._vat_list, query=(*PAGING, "with", "columns"))
        add("GET", "/rest/vat/standard", self._vat_standard, query=("plentyId", "startedAt"))
        add("GET", "/rest/orders/currencies", self._currencies, query=("columns", "with"))
        add("GET", "/rest/orders/currencies/{currencyIso}/exchangeRate", self._exchange_rate)

    _UNAUTHENTICATED = frozenset({"POST /rest/login", "POST /rest/login/refresh"})

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
        name = exchange.route.name
        if name in self._UNAUTHENTICATED:
            return
        session = self._session_for(exchange.request.headers.get("authorization", ""))
        exchange.principal = session
        if self.limiter is None:
            return
        decision = self.limiter.check(
            name, session.user, write=exchange.request.method != "GET", now=self.clock.now()
        )
        if not decision.allowed:
            raise Refusal(429, "429", "Too Many Requests", headers=decision.headers)
        exchange.headers.extend(decision.headers)

    def _session_for(self, header: str) -> Session:
        kind, _, value = header.partition(" ")
        session = self._sessions.get(value.strip()) if kind.lower() == "bearer" else None
        if session is None or self.clock.now() >= session.expires_at:
            raise Refusal(401, "401", "Unauthenticated.")
        return session

    # --- seeding and inspection: users and sessions ----------------------------------------------

    def add_user(self, username: str, password: str) -> None:
        """Add a back-end user who may log in."""
        with self.lock:
            self._users[username] = password

    def active_sessions(self) -> int:
        """How many sessions are open (logged in, not expired, not logged out)."""
        with self.lock:
            now = self.clock.now()
            return sum(1 for s in self._sessions.values() if now < s.expires_at)

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
            self._sessions.clear()

    # --- login -----------------------------------------------------------------------------------

    def _credentials(self, exchange: Exchange) -> dict[str, Any]:
        merged: dict[str, Any] = dict(exchange.request.query)
        body = exchange.json()
        if isinstance(body, Mapping):
            merged.update(body)
        return merged

    def _token_body(self, session: Session) -> dict[str, Any]:
        snake = {
            "token_type": "Bearer",
            "expires_in": TOKEN_SECONDS,
            "access_token": session.access_token,
            "refresh_token": session.refresh_token,
        }
        camel = {
            "tokenType": "Bearer",
            "expiresIn": TOKEN_SECONDS,
            "accessToken": session.access_token,
            "refreshToken": session.refresh_token,
        }
        return {"both": {**snake, **camel}, "snake": snake, "camel": camel}[self.token_keys]

    def _new_tokens(self) -> tuple[str, str]:
        return (
            f"fake-plenty-access-{self._rng.getrandbits(160):040x}",
            f"def50200{self._rng.getrandbits(256):064x}",
        )

    def _login(self, exchange: Exchange) -> FakeResponse:
        given = self._credentials(exchange)
        username, password = given.get("username"), given.get("password")
        if not username or self._users.get(str(username)) != password:
            raise Refusal(401, "401", "The user credentials were incorrect.")
        now = self.clock.now()
        active = sum(1 for s in self._sessions.values() if now < s.expires_at)
        if active >= self.max_sessions:
            # authentication.adoc: not a rate limit; waiting a little does not help.
            raise Refusal(
                429,
                "too_many_concurrent_sessions",
                "Too many concurrent sessions",
                body={
                    "error": "too_many_concurrent_sessions",
                    "message": "The maximum number of concurrent sessions is reached.",
                    "max_current_sessions": self.max_sessions,
                    "current_sessions": active,
                },
            )
        access, refresh = self._new_tokens()
        session = Session(str(username), access, refresh, now + timedelta(seconds=TOKEN_SECONDS))
        self._sessions[access] = session
        return json_response(200, self._token_body(session), [("Content-Type", "application/json")])

    def _refresh(self, exchange: Exchange) -> FakeResponse:
        given = self._credentials(exchange)
        value = given.get("refresh_token") or given.get("refreshToken")
        session = next((s for s in self._sessions.values() if s.refresh_token == value), None)
        if session is None or not value:
            raise Refusal(401, "401", "The refresh token is invalid.")
        del self._sessions[session.access_token]
        session.access_token, session.refresh_token = self._new_tokens()
        session.expires_at = self.clock.now() + timedelta(seconds=TOKEN_SECONDS)
        self._sessions[session.access_token] = session
        return json_response(200, self._token_body(session), [("Content-Type", "application/json")])

    def _logout(self, exchange: Exchange) -> FakeResponse:
        session: Session = exchange.principal
        self._sessions.pop(session.access_token, None)
        return FakeResponse(200)

    # --- seeding: reference data -----------------------------------------------------------------

    def country_id(self, iso_code: str) -> int:
        """plentymarkets' id of a country (``"PL"`` → 23)."""
        for country in self._countries:
            if country["isoCode2"] == iso_code.upper():
                return int(country["id"])
        raise KeyError(f"no country {iso_code!r} in this FakePlenty")

    def add_vat_configuration(
        self, country_id: int, rates: Sequence[str | Decimal], *, standard: bool = False
    ) -> int:
        """Add a VAT configuration (the ``countryVatId`` of order items); returns its id."""
        with self.lock:
            vat_id = len(self._vats) + 1
            started = iso(datetime(2020, 1, 1, tzinfo=self.clock.now().tzinfo))
            self._vats.append(
                {
                    "id": vat_id,
                    "countryId": country_id,
                    "taxIdNumber": "",
                    "startedAt": started,
                    "locationId": 1,
                    "marginScheme": "none",
                    "isRestrictedToDigitalItems": False,
                    "isStandard": standard,
                    "createdAt": started,
                    "updatedAt": started,
                    "isActive": True,
                    "vatRates": [
                        {
                            "id": field,
                            "vatRate": Decimal(str(rate)),
                            "name": "ABCD"[field],
                            "revenueAccount": "",
                        }
                        for field, rate in enumerate(rates)
                    ],
                }
            )
            return vat_id

    def vat_configuration_id(self, iso_code: str) -> int:
        """The id of the VAT configuration of a country (``countryVatId``)."""
        country = self.country_id(iso_code)
        return next(int(v["id"]) for v in self._vats if v["countryId"] == country)

    def add_referrer(
        self, backend_name: str, *, referrer_id: Decimal | str | None = None, origin: str = "test"
    ) -> Decimal:
        """Add a referrer (an order channel); returns its id."""
        with self.lock:
            rid = (
                Decimal(str(referrer_id)) if referrer_id is not None else self._next_main_referrer()
            )
            self._referrers[rid] = {
                "id": rid,
                "isEditable": True,
                "backendName": backend_name,
                "name": backend_name,
                "orderOwnerId": 0,
                "isFilterable": True,
                "origin": origin,
                "showInLeads": False,
            }
            return rid

    def add_payment_method(
        self, mop_id: int, name: str, *, plugin_key: str = "test", payment_key: str = "TEST"
    ) -> None:
        """Add a method of payment."""
        with self.lock:
            self._methods.append(
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
            self._profiles.append(
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
            variation_id = next(self._ids["variation"])
            now = iso(self.clock.now())
            self._variations[variation_id] = {
                "id": variation_id,
                "itemId": item_id or next(self._ids["item"]),
                "number": number,
                "model": "",
                "externalId": "",
                "name": name,
                "isMain": True,
                "isActive": is_active,
                "createdAt": now,
                "updatedAt": now,
                "barcodes": [] if barcode is None else [barcode],
                "skus": [
                    (Decimal(str(market)) if market is not None else Decimal(0), sku)
                    for market, sku in skus
                ],
            }
            return variation_id

    # --- seeding and inspection: orders ----------------------------------------------------------

    def orders_with_external_id(
        self, external_order_id: str, *, order_type: int | None = 1
    ) -> list[int]:
        """Ids of orders whose property 7 is exactly ``external_order_id`` (sales orders only,
        unless ``order_type`` says otherwise)."""
        with self.lock:
            return [
                oid
                for oid, order in self._orders.items()
                if (order_type is None or order.data["typeId"] == order_type)
                and any(
                    p["typeId"] == 7 and p["value"] == external_order_id for p in order.properties
                )
            ]

    def order(self, order_id: int) -> dict[str, Any]:
        """An order as ``GET /rest/orders/{id}`` renders it with every relation the fake has."""
        with self.lock:
            return self._render_order(self._order_or_404(order_id), ORDER_RELATIONS)

    def order_ids(self) -> list[int]:
        """Every order id, oldest first."""
        with self.lock:
            return list(self._orders)

    def payments_with_transaction_id(
        self, transaction_id: str, *, include_deleted: bool = False
    ) -> list[int]:
        """Ids of payments whose property 1 (transaction id) is ``transaction_id``."""
        with self.lock:
            return [
                pid
                for pid, payment in self._payments.items()
                if (include_deleted or not payment["deleted"])
                and any(
                    p["typeId"] == 1 and p["value"] == transaction_id for p in payment["properties"]
                )
            ]

    def payment(self, payment_id: int) -> dict[str, Any]:
        """A payment as the API renders it."""
        with self.lock:
            return self._render_payment(self._payments[payment_id])

    def delete_payment(self, payment_id: int) -> None:
        """Delete a payment in the back end (it stays findable, marked ``deleted``)."""
        with self.lock:
            self._payments[payment_id]["deleted"] = 1

    def contacts_with_external_id(self, external_id: str) -> list[int]:
        """Ids of contacts whose ``externalId`` is exactly ``external_id``."""
        with self.lock:
            return [cid for cid, c in self._contacts.items() if c.get("externalId") == external_id]

    def comments(self, order_id: int) -> list[dict[str, Any]]:
        """The comments of an order."""
        with self.lock:
            return [
                copy.deepcopy(c)
                for c in self._comments
                if c["referenceType"] == "order" and c["referenceValue"] == order_id
            ]

    def status_history(self, order_id: int) -> list[dict[str, Any]]:
        """The status changes of an order, oldest first."""
        with self.lock:
            return [copy.deepcopy(h) for h in self._history if h["orderId"] == order_id]

    def set_status(self, order_id: int, status: Decimal | str | int, *, user_id: int = 1) -> None:
        """Change an order's status in the back end (a person, a flow, an event procedure)."""
        with self.lock:
            order = self._order_or_404(order_id)
            self._change_status(order, Decimal(str(status)), user_id=user_id, text="Back end")

    def create_delivery_order(
        self, order_id: int, items: Mapping[int, Decimal | int] | None = None
    ) -> int:
        """Split a delivery order (type 2) off a sales order; returns its id.

        ``items`` maps order item ids to quantities (all items by default). The
        delivery order keeps the parent's properties, relations and addresses.
        """
        with self.lock:
            parent = self._order_or_404(order_id)
            wanted = items or {i["id"]: i["quantity"] for i in parent.items}
            now = self.clock.now()
            child_id = next(self._ids["order"])
            data = copy.deepcopy(parent.data)
            data.update(
                id=child_id,
                typeId=2,
                createdAt=iso(now),
                updatedAt=iso(now),
                hasDeliveryOrders=False,
            )
            child_items = []
            for item in parent.items:
                if item["id"] in wanted:
                    copied = copy.deepcopy(item)
                    copied.update(
                        id=next(self._ids["order_item"]),
                        orderId=child_id,
                        quantity=Decimal(str(wanted[item["id"]])),
                    )
                    for amount in copied["amounts"]:
                        amount["id"] = next(self._ids["amount"])
                        amount["orderItemId"] = copied["id"]
                    child_items.append(copied)
            child = StoredOrder(
                data=data,
                items=child_items,
                properties=[
                    {**copy.deepcopy(p), "id": next(self._ids["property"]), "orderId": child_id}
                    for p in parent.properties
                ],
                dates=[],
                address_relations=[
                    {**r, "id": next(self._ids["relation"]), "orderId": child_id}
                    for r in parent.address_relations
                ],
                relations=[
                    {**r, "id": next(self._ids["relation"]), "orderId": child_id}
                    for r in parent.relations
                ],
                created_at=now,
                updated_at=now,
                parent_id=order_id,
            )
            self._orders[child_id] = child
            parent.data["hasDeliveryOrders"] = True
            self._touch(parent)
            self._record_status(child, user_id=1, text="Delivery order created")
            return child_id

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
            order = self._order_or_404(order_id)
            package_id = next(self._ids["package"])
            now = iso(self.clock.now())
            content = items or {
                i["id"]: i["quantity"] for i in order.items if i["typeId"] != SHIPPING_ITEM_TYPE
            }
            by_id = {i["id"]: i for i in order.items}
            order.packages.append(
                {
                    "id": package_id,
                    "orderId": order_id,
                    "packageId": 1,
                    "weight": weight,
                    "packageNumber": package_number,
                    "returnPackageNumber": "",
                    "packageType": package_type,
                    "volume": Decimal(0),
                    "palletId": 0,
                    "isClosed": True,
                    "createdAt": now,
                    "updatedAt": now,
                    "items": [
                        {
                            "id": next(self._ids["package_item"]),
                            "packageId": package_id,
                            "itemId": self._variations.get(by_id[oid]["itemVariationId"], {}).get(
                                "itemId", 0
                            ),
                            "variationId": by_id[oid]["itemVariationId"],
                            "itemQuantity": Decimal(str(qty)),
                        }
                        for oid, qty in content.items()
                    ],
                }
            )
            return package_id

    # --- helpers ---------------------------------------------------------------------------------

    def _order_or_404(self, order_id: int | str) -> StoredOrder:
        try:
            key = int(order_id)
        except ValueError:
            key = -1
        order = self._orders.get(key)
        if order is None:
            raise Refusal(404, "404", f"Order {order_id} not found")
        return order

    def _touch(self, order: StoredOrder) -> None:
        order.updated_at = self.clock.now()
        order.data["updatedAt"] = iso(order.updated_at)

    def _status_name(self, status: Decimal) -> str:
        return ORDER_STATUSES.get(status_key(status), "")

    def _record_status(self, order: StoredOrder, *, user_id: int, text: str) -> None:
        self._history.append(
            {
                "id": next(self._ids["history"]),
                "orderId": order.data["id"],
                "statusId": order.data["statusId"],
                "createdAt": iso(self.clock.now()),
                "userId": user_id,
                "procedureText": text,
            }
        )

    def _change_status(
        self, order: StoredOrder, status: Decimal, *, user_id: int, text: str
    ) -> None:
        if status_key(status) not in ORDER_STATUSES:
            raise Refusal(422, "422", f"Unknown order status {status}", path="statusId")
        if order.data["statusId"] != status:
            order.data["statusId"] = status
            order.data["statusName"] = self._status_name(status)
            self._touch(order)
            self._record_status(order, user_id=user_id, text=text)

    def _next_main_referrer(self) -> Decimal:
        return Decimal(max(int(r) for r in self._referrers) + 1)

    def _page(
        self, exchange: Exchange, entries: Sequence[Any], *, default_size: int = 50
    ) -> FakeResponse:
        request = exchange.request
        page = integer_value(request.param("page") or 1, "page")
        # plentymarkets caps the page size (250 on comparable routes) without saying so.
        size = min(
            integer_value(request.param("itemsPerPage") or default_size, "itemsPerPage"),
            MAX_ITEMS_PER_PAGE,
        )
        if page < 1 or size < 1:
            raise Refusal(400, "400", "page and itemsPerPage must be positive")
        total = len(entries)
        last_page = max(1, -(-total // size))
        chunk = list(entries[(page - 1) * size : page * size])
        first = (page - 1) * size + 1 if chunk else 0
        return self._ok(
            {
                "page": page,
                "totalsCount": total,
                "isLastPage": page >= last_page,
                "lastPageNumber": last_page,
                "firstOnPage": first,
                "lastOnPage": first + len(chunk) - 1 if chunk else 0,
                "itemsPerPage": size,
                "entries": chunk,
            }
        )

    def _ok(self, data: Any) -> FakeResponse:
        return json_response(200, data, [("Content-Type", "application/json")])

    # --- orders ----------------------------------------------------------------------------------

    def _create_order(self, exchange: Exchange) -> FakeResponse:
        body = exchange.json()
        if not isinstance(body, Mapping):
            raise Refusal(400, "400", "the order body must be a JSON object")
        type_id = integer_value(body.get("typeId"), "typeId")
        if type_id not in ORDER_TYPES:
            raise Refusal(422, "422", f"Unknown order type {type_id}", path="typeId")
        if integer_value(body.get("plentyId"), "plentyId") != self.plenty_id:
            raise Refusal(422, "422", f"plentyId must be {self.plenty_id}", path="plentyId")
        status = decimal_value(body.get("statusId", 1), "statusId")
        if status_key(status) not in ORDER_STATUSES:
            raise Refusal(422, "422", f"Unknown order status {status}", path="statusId")
        referrer = decimal_value(body.get("referrerId", 0), "referrerId")
        if referrer not in self._referrers:
            raise Refusal(422, "422", f"Unknown referrer {referrer}", path="referrerId")
        now = self.clock.now()
        order_id = next(self._ids["order"])
        relations = self._order_relations(body.get("relations") or [], order_id)
        address_relations = self._address_relations(body.get("addressRelations") or [], order_id)
        items = [
            self._order_item(raw, order_id, i) for i, raw in enumerate(body.get("orderItems") or [])
        ]
        currencies = {a["currency"] for item in items for a in item["amounts"]}
        if len(currencies) > 1:
            raise Refusal(
                422,
                "422",
                f"order items in several currencies: {sorted(currencies)}",
                path="orderItems",
            )
        properties = [
            self._property(raw, f"properties[{i}]", owner=("orderId", order_id))
            for i, raw in enumerate(body.get("properties") or [])
        ]
        dates = []
        for i, raw in enumerate(body.get("dates") or []):
            when = date_param(str(raw.get("date")), f"dates[{i}].date")
            dates.append(
                {
                    "id": next(self._ids["date"]),
                    "orderId": order_id,
                    "typeId": integer_value(raw.get("typeId"), f"dates[{i}].typeId"),
                    "date": iso(when) if when else None,
                    "createdAt": iso(now),
                    "updatedAt": iso(now),
                }
            )
        data: dict[str, Any] = {
            "id": order_id,
            "typeId": type_id,
            "statusId": status,
            "statusName": self._status_name(status),
            "referrerId": referrer,
            "createdAt": iso(now),
            "updatedAt": iso(now),
            "plentyId": self.plenty_id,
            "locationId": 1,
            "roundTotalsOnly": False,
            "numberOfDecimals": 2,
            "lockStatus": body.get("lockStatus") or "unlocked",
            "isLocked": False,
            "hasTaxRelevantDocuments": False,
            "hasDeliveryOrders": False,
        }
        if body.get("ownerId") is not None:
            data["ownerId"] = integer_value(body["ownerId"], "ownerId")
        order = StoredOrder(data, items, properties, dates, address_relations, relations, now, now)
        self._orders[order_id] = order
        self._record_status(order, user_id=data.get("ownerId", 1), text="Order created")
        return self._ok(self._render_order(order, set()))

    def _order_relations(self, raw: Sequence[Any], order_id: int) -> list[dict[str, Any]]:
        out = []
        for i, relation in enumerate(raw):
            where = f"relations[{i}]"
            kind, ref = (
                relation.get("referenceType"),
                integer_value(relation.get("referenceId"), f"{where}.referenceId"),
            )
            if kind not in ("contact", "warehouse"):
                raise Refusal(
                    422, "422", f"{where}.referenceType must be contact or warehouse", path=where
                )
            if relation.get("relation") not in ("receiver", "sender"):
                raise Refusal(
                    422, "422", f"{where}.relation must be receiver or sender", path=where
                )
            if kind == "contact" and ref not in self._contacts:
                raise Refusal(
                    422, "422", f"contact {ref} does not exist", path=f"{where}.referenceId"
                )
            out.append(
                {
                    "id": next(self._ids["relation"]),
                    "orderId": order_id,
                    "referenceType": kind,
                    "referenceId": ref,
                    "relation": relation["relation"],
                }
            )
        return out

    def _address_relations(self, raw: Sequence[Any], order_id: int) -> list[dict[str, Any]]:
        out = []
        for i, relation in enumerate(raw):
            where = f"addressRelations[{i}]"
            type_id = integer_value(relation.get("typeId"), f"{where}.typeId")
            address_id = integer_value(relation.get("addressId"), f"{where}.addressId")
            if type_id not in (1, 2):
                raise Refusal(
                    422, "422", f"{where}.typeId must be 1 (billing) or 2 (delivery)", path=where
                )
            if address_id not in self._addresses:
                raise Refusal(
                    422, "422", f"address {address_id} does not exist", path=f"{where}.addressId"
                )
            out.append(
                {
                    "id": next(self._ids["relation"]),
                    "orderId": order_id,
                    "typeId": type_id,
                    "addressId": address_id,
                }
            )
        return out

    def _property(
        self, raw: Mapping[str, Any], where: str, *, owner: tuple[str, int]
    ) -> dict[str, Any]:
        type_id = integer_value(raw.get("typeId"), f"{where}.typeId")
        if type_id < 1:
            raise Refusal(422, "422", f"{where}.typeId must be positive", path=where)
        value = raw.get("value")
        if not isinstance(value, str):
            raise Refusal(422, "422", f"{where}.value must be a string", path=f"{where}.value")
        now = iso(self.clock.now())
        return {
            "id": next(self._ids["property"]),
            owner[0]: owner[1],
            "typeId": type_id,
            "value": value,
            "createdAt": now,
            "updatedAt": now,
        }

    def _vat(self, country_vat_id: int, where: str) -> dict[str, Any]:
        vat = next((v for v in self._vats if v["id"] == country_vat_id), None)
        if vat is None:
            raise Refusal(
                422,
                "422",
                f"VAT configuration {country_vat_id} does not exist",
                path=f"{where}.countryVatId",
            )
        return vat

    def _order_item(self, raw: Mapping[str, Any], order_id: int, index: int) -> dict[str, Any]:
        where = f"orderItems[{index}]"
        type_id = integer_value(raw.get("typeId"), f"{where}.typeId")
        if type_id not in ORDER_ITEM_TYPES:
            raise Refusal(422, "422", f"Unknown order item type {type_id}", path=f"{where}.typeId")
        quantity = decimal_value(raw.get("quantity"), f"{where}.quantity")
        if quantity <= 0:
            raise Refusal(
                422, "422", f"{where}.quantity must be positive", path=f"{where}.quantity"
            )
        name = raw.get("orderItemName")
        if not isinstance(name, str) or not name.strip():
            raise Refusal(
                422, "422", f"{where}.orderItemName is required", path=f"{where}.orderItemName"
            )
        variation_id = integer_value(raw.get("itemVariationId", 0), f"{where}.itemVariationId")
        if type_id == 1 and variation_id not in self._variations:
            raise Refusal(
                422,
                "422",
                f"variation {variation_id} does not exist",
                path=f"{where}.itemVariationId",
            )
        if raw.get("countryVatId") is None:
            raise Refusal(
                422, "422", f"{where}.countryVatId is required", path=f"{where}.countryVatId"
            )
        vat = self._vat(integer_value(raw["countryVatId"], f"{where}.countryVatId"), where)
        rates = {r["id"]: r["vatRate"] for r in vat["vatRates"]}
        field: int | None = None
        if raw.get("vatField") is not None:
            field = integer_value(raw["vatField"], f"{where}.vatField")
            if field not in rates:
                raise Refusal(
                    422, "422", f"{where}.vatField must be 0 to 3", path=f"{where}.vatField"
                )
        if raw.get("vatRate") is not None:
            wanted = decimal_value(raw["vatRate"], f"{where}.vatRate")
            matching = [f for f, r in rates.items() if r == wanted]
            if not matching or (field is not None and field not in matching):
                raise Refusal(
                    422,
                    "422",
                    f"{where}.vatRate {wanted} is not a rate of VAT configuration {vat['id']}",
                    path=f"{where}.vatRate",
                )
            field = field if field is not None else matching[0]
        field = 0 if field is None else field
        referrer = raw.get("referrerId")
        if (
            referrer is not None
            and decimal_value(referrer, f"{where}.referrerId") not in self._referrers
        ):
            raise Refusal(422, "422", f"Unknown referrer {referrer}", path=f"{where}.referrerId")
        item_id = next(self._ids["order_item"])
        amounts_in = raw.get("amounts") or []
        if not amounts_in:
            raise Refusal(
                422, "422", f"{where}.amounts needs at least one amount", path=f"{where}.amounts"
            )
        now = iso(self.clock.now())
        item: dict[str, Any] = {
            "id": item_id,
            "orderId": order_id,
            "typeId": type_id,
            "referrerId": decimal_value(referrer, "referrerId")
            if referrer is not None
            else Decimal(0),
            "itemVariationId": variation_id,
            "quantity": quantity,
            "orderItemName": name,
            "attributeValues": raw.get("attributeValues") or "",
            "shippingProfileId": integer_value(
                raw.get("shippingProfileId", 0), f"{where}.shippingProfileId"
            ),
            "countryVatId": vat["id"],
            "vatField": field,
            "vatRate": rates[field],
            "position": integer_value(raw.get("position", index), f"{where}.position"),
            "warehouseId": integer_value(raw.get("warehouseId", 1), f"{where}.warehouseId"),
            "createdAt": now,
            "updatedAt": now,
            "amounts": [
                self._item_amount(a, rates[field], item_id, f"{where}.amounts[{i}]")
                for i, a in enumerate(amounts_in)
            ],
            "properties": [
                self._property(p, f"{where}.properties[{i}]", owner=("orderItemId", item_id))
                for i, p in enumerate(raw.get("properties") or [])
            ],
        }
        return item

    def _item_amount(
        self, raw: Mapping[str, Any], vat_rate: Decimal, item_id: int, where: str
    ) -> dict[str, Any]:
        currency = raw.get("currency")
        if currency not in self.exchange_rates:
            raise Refusal(
                422,
                "422",
                f"{where}.currency {currency!r} is not a currency of the system",
                path=f"{where}.currency",
            )
        original = decimal_value(raw.get("priceOriginalGross"), f"{where}.priceOriginalGross")
        surcharge = decimal_value(raw.get("surcharge", 0), f"{where}.surcharge")
        discount = decimal_value(raw.get("discount", 0), f"{where}.discount")
        percentage = bool(raw.get("isPercentage", False))
        # order-data.adoc: the discount is an amount, or a percentage of price plus surcharge.
        if percentage:
            gross = (original + surcharge) * (100 - discount) / 100
        else:
            gross = original + surcharge - discount
        divisor = 1 + vat_rate / 100
        rate = (
            decimal_value(raw["exchangeRate"], f"{where}.exchangeRate")
            if raw.get("exchangeRate") is not None
            else self.exchange_rates[currency]
        )
        now = iso(self.clock.now())
        return {
            "id": next(self._ids["amount"]),
            "orderItemId": item_id,
            "isSystemCurrency": currency == self.system_currency,
            "isNet": False,
            "currency": currency,
            "exchangeRate": rate,
            "purchasePrice": decimal_value(raw.get("purchasePrice", 0), f"{where}.purchasePrice"),
            "priceOriginalGross": original,
            "priceOriginalNet": (original / divisor).quantize(
                Decimal("0.0001"), rounding=ROUND_HALF_UP
            ),
            "priceGross": round_money(gross),
            "priceNet": (gross / divisor).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP),
            "surcharge": surcharge,
            "discount": discount,
            "isPercentage": percentage,
            "createdAt": now,
            "updatedAt": now,
        }

    def _order_amounts(self, order: StoredOrder) -> list[dict[str, Any]]:
        lines = [(item, item["amounts"][0]) for item in order.items if item["amounts"]]
        if not lines:
            return []
        currency = lines[0][1]["currency"]
        rate = lines[0][1]["exchangeRate"]
        vats: dict[tuple[int, int, Decimal], list[Decimal]] = {}
        gross = net = shipping_gross = shipping_net = Decimal(0)
        for item, amount in lines:
            line_gross = round_money(amount["priceGross"] * item["quantity"])
            line_net = round_money(line_gross / (1 + item["vatRate"] / 100))
            gross, net = gross + line_gross, net + line_net
            if item["typeId"] == SHIPPING_ITEM_TYPE:
                shipping_gross, shipping_net = shipping_gross + line_gross, shipping_net + line_net
            key = (item["countryVatId"], item["vatField"], item["vatRate"])
            totals = vats.setdefault(key, [Decimal(0), Decimal(0)])
            totals[0] += line_gross
            totals[1] += line_net
        paid = self._paid(order, currency)

        def entry(factor: Decimal, code: str, system: bool, exchange: Decimal) -> dict[str, Any]:
            def convert(value: Decimal) -> Decimal:
                return round_money(value / factor)

            return {
                "id": next(self._ids["amount"]),
                "orderId": order.data["id"],
                "isSystemCurrency": system,
                "isNet": False,
                "currency": code,
                "exchangeRate": exchange,
                "netTotal": convert(net),
                "grossTotal": convert(gross),
                "vatTotal": convert(gross) - convert(net),
                "invoiceTotal": convert(gross),
                "paidAmount": convert(paid),
                "giftCardAmount": Decimal(0),
                "prepaidAmount": Decimal(0),
                "shippingCostsGross": convert(shipping_gross),
                "shippingCostsNet": convert(shipping_net),
                "itemSumGross": convert(gross - shipping_gross),
                "itemSumNet": convert(net - shipping_net),
                "vats": [
                    {
                        "countryVatId": vat_id,
                        "vatField": field,
                        "vatRate": vat_rate,
                        "value": convert(g) - convert(n),
                        "netTotal": convert(n),
                        "grossTotal": convert(g),
                    }
                    for (vat_id, field, vat_rate), (g, n) in vats.items()
                ],
                "createdAt": order.data["createdAt"],
                "updatedAt": order.data["updatedAt"],
            }

        amounts = [
            entry(
                Decimal(1),
                currency,
                currency == self.system_currency,
                Decimal(1) if currency == self.system_currency else rate,
            )
        ]
        if currency != self.system_currency:
            amounts.append(entry(rate, self.system_currency, True, Decimal(1)))
        return amounts

    def _paid(self, order: StoredOrder, currency: str) -> Decimal:
        total = Decimal(0)
        for payment_id, link in self._payment_links.items():
            payment = self._payments[payment_id]
            if link["orderId"] != order.data["id"] or payment["deleted"]:
                continue
            amount = payment["amount"] if payment["type"] == "credit" else -payment["amount"]
            if payment["currency"] != currency:
                amount = (
                    amount
                    / self.exchange_rates.get(payment["currency"], Decimal(1))
                    * self.exchange_rates[currency]
                )
            total += amount
        return total

    def _render_order(
        self, order: StoredOrder, relations: set[str] | frozenset[str]
    ) -> dict[str, Any]:
        data = copy.deepcopy(order.data)
        data["properties"] = copy.deepcopy(order.properties)
        data["dates"] = copy.deepcopy(order.dates)
        data["amounts"] = self._order_amounts(order)
        data["orderItems"] = copy.deepcopy(order.items)
        data["addressRelations"] = copy.deepcopy(order.address_relations)
        if "relations" in relations:
            data["relations"] = copy.deepcopy(order.relations)
            data["orderReferences"] = (
                []
                if order.parent_id is None
                else [
                    {
                        "id": order.data["id"],
                        "orderId": order.data["id"],
                        "originOrderId": order.parent_id,
                        "referenceOrderId": order.parent_id,
                        "referenceType": "parent",
                    }
                ]
            )
        if "addresses" in relations:
            data["addresses"] = [
                self._render_address(self._addresses[r["addressId"]])
                for r in order.address_relations
            ]
        if "shippingPackages" in relations:
            data["shippingPackages"] = [
                {k: v for k, v in p.items() if k != "items"} for p in order.packages
            ]
        if "comments" in relations:
            data["comments"] = [
                c
                for c in self._comments
                if c["referenceType"] == "order" and c["referenceValue"] == order.data["id"]
            ]
        if "payments" in relations:
            data["payments"] = [
                self._render_payment(self._payments[pid])
                for pid, link in self._payment_links.items()
                if link["orderId"] == order.data["id"]
            ]
        if "contactReceiver" in relations:
            receiver = next(
                (
                    r["referenceId"]
                    for r in order.relations
                    if r["referenceType"] == "contact" and r["relation"] == "receiver"
                ),
                None,
            )
            if receiver is not None:
                data["contactReceiver"] = self._render_contact(self._contacts[receiver], set())
        if "orderItems.variation" in relations:
            for item in data["orderItems"]:
                variation = self._variations.get(item["itemVariationId"])
                if variation is not None:
                    item["variation"] = self._render_variation(variation, set())
        return data

    def _with(self, exchange: Exchange, allowed: frozenset[str]) -> set[str]:
        wanted = relation_names([v for k, v in exchange.request.query if k in WITH])
        unknown = wanted - allowed
        if unknown:
            raise Refusal(
                400, "400", f"the fake does not load relation(s) {sorted(unknown)}", path="with"
            )
        return wanted

    def _get_order(self, exchange: Exchange) -> FakeResponse:
        order = self._order_or_404(exchange.path_params["orderId"])
        return self._ok(self._render_order(order, self._with(exchange, ORDER_RELATIONS)))

    def _external_match(self, value: str, wanted: str) -> bool:
        if self.external_id_match == "exact":
            return value == wanted
        if self.external_id_match == "prefix":
            return value.startswith(wanted)
        return wanted in value

    def _list_orders(self, exchange: Exchange) -> FakeResponse:
        request = exchange.request
        relations = self._with(exchange, ORDER_RELATIONS)
        tests: list[Callable[[StoredOrder], bool]] = []
        external = request.param("externalOrderId")
        if external is not None:
            tests.append(
                lambda o: any(
                    p["typeId"] == 7 and self._external_match(p["value"], external)
                    for p in o.properties
                )
            )
        referrer = request.param("referrerId")
        if referrer is not None:
            wanted_referrer = decimal_value(referrer, "referrerId")
            tests.append(lambda o: o.data["referrerId"] == wanted_referrer)
        types = request.param("orderType")
        if types:
            wanted_types = {integer_value(t, "orderType") for t in types.split(",")}
            tests.append(lambda o: o.data["typeId"] in wanted_types)
        contact = request.param("contactId")
        if contact is not None:
            wanted_contact = integer_value(contact, "contactId")
            tests.append(
                lambda o: any(
                    r["referenceType"] == "contact" and r["referenceId"] == wanted_contact
                    for r in o.relations
                )
            )
        parent = request.param("parentOrderId")
        if parent is not None:
            wanted_parent = integer_value(parent, "parentOrderId")
            tests.append(lambda o: o.parent_id == wanted_parent)
        ids = request.param("orderIds")
        if ids:
            wanted_ids = {integer_value(i, "orderIds") for i in ids.split(",")}
            tests.append(lambda o: o.data["id"] in wanted_ids)
        low, high = request.param("statusFrom"), request.param("statusTo")
        if low is not None:
            low_status = decimal_value(low, "statusFrom")
            tests.append(lambda o: o.data["statusId"] >= low_status)
        if high is not None:
            high_status = decimal_value(high, "statusTo")
            tests.append(lambda o: o.data["statusId"] <= high_status)
        updated = (
            date_param(request.param("updatedAtFrom"), "updatedAtFrom"),
            date_param(request.param("updatedAtTo"), "updatedAtTo"),
        )
        created = (
            date_param(request.param("createdAtFrom"), "createdAtFrom"),
            date_param(request.param("createdAtTo"), "createdAtTo"),
        )
        tests.append(lambda o: within(o.updated_at, *updated) and within(o.created_at, *created))
        matches = [o for o in self._orders.values() if all(t(o) for t in tests)]
        matches = self._sorted_orders(matches, request.param("sortBy"), request.param("sortOrder"))
        return self._page(exchange, [self._render_order(o, relations) for o in matches])

    def _sorted_orders(
        self, orders: list[StoredOrder], sort_by: str | None, sort_order: str | None
    ) -> list[StoredOrder]:
        keys: Mapping[str, Callable[[StoredOrder], Any]] = {
            "id": lambda o: o.data["id"],
            "createdAt": lambda o: (o.created_at, o.data["id"]),
            "updatedAt": lambda o: (o.updated_at, o.data["id"]),
        }
        if sort_by is not None and sort_by not in keys:
            raise Refusal(400, "400", f"sortBy must be one of {sorted(keys)}", path="sortBy")
        if sort_order not in (None, "asc", "desc"):
            raise Refusal(400, "400", "sortOrder must be asc or desc", path="sortOrder")
        return sorted(orders, key=keys[sort_by or "id"], reverse=sort_order == "desc")

    def _search_orders(self, exchange: Exchange) -> FakeResponse:
        request = exchange.request
        relations = self._with(exchange, ORDER_RELATIONS)
        conditions: list[tuple[str, str, str]] = []
        for name, raw in request.query:
            if name in (
                "page",
                "itemsPerPage",
                "with",
                "with[]",
                "sortBy",
                "sortOrder",
                "lazyLoaded",
            ):
                continue
            found = re.match(
                r"^(eq|not|in|nin|null|nn|lt|lte|gt|gte|between):(.*)$", raw, re.DOTALL
            )
            operator, value = (found.group(1), found.group(2)) if found else ("eq", raw)
            conditions.append((name, operator, value))
        group = exchange.json() if request.method == "POST" else None

        def keep(order: StoredOrder) -> bool:
            if not all(search_test(order, *c) for c in conditions):
                return False
            return group is None or group_test(order, group)

        matches = [o for o in self._orders.values() if keep(o)]
        matches = self._sorted_orders(matches, request.param("sortBy"), request.param("sortOrder"))
        return self._page(exchange, [self._render_order(o, relations) for o in matches])

    def _update_order(self, exchange: Exchange) -> FakeResponse:
        order = self._order_or_404(exchange.path_params["orderId"])
        body = exchange.json() or {}
        if "statusId" in body:
            self._change_status(
                order, decimal_value(body["statusId"], "statusId"), user_id=1, text="REST"
            )
        if "ownerId" in body:
            order.data["ownerId"] = integer_value(body["ownerId"], "ownerId")
            self._touch(order)
        for i, raw in enumerate(body.get("properties") or []):
            prop = self._property(raw, f"properties[{i}]", owner=("orderId", order.data["id"]))
            order.properties = [p for p in order.properties if p["typeId"] != prop["typeId"]] + [
                prop
            ]
            self._touch(order)
        return self._ok(self._render_order(order, set()))

    def _cancel_order(self, exchange: Exchange) -> FakeResponse:
        order = self._order_or_404(exchange.path_params["orderId"])
        body = exchange.json() or {}
        status = decimal_value(body.get("statusId", 8), "statusId")
        if not Decimal(8) <= status < Decimal(9):
            raise Refusal(422, "422", "a cancel status is 8 or a sub-status of 8", path="statusId")
        self._change_status(
            order, status, user_id=1, text=str(body.get("message") or "Cancelled via REST")
        )
        return FakeResponse(200)

    def _order_history(self, exchange: Exchange) -> FakeResponse:
        order = self._order_or_404(exchange.path_params["orderId"])
        return self._ok([h for h in self._history if h["orderId"] == order.data["id"]])

    def _history_list(self, exchange: Exchange) -> FakeResponse:
        request = exchange.request
        order_id, status, user = (
            request.param("orderId"),
            request.param("statusId"),
            request.param("userId"),
        )
        low = date_param(request.param("createdAtFrom"), "createdAtFrom")
        high = date_param(request.param("createdAtTo"), "createdAtTo")
        entries = [
            h
            for h in self._history
            if (order_id is None or h["orderId"] == integer_value(order_id, "orderId"))
            and (status is None or h["statusId"] == decimal_value(status, "statusId"))
            and (user is None or h["userId"] == integer_value(user, "userId"))
            and (low is None or isoparse(h["createdAt"]) >= low)
            and (high is None or isoparse(h["createdAt"]) <= high)
        ]
        return self._page(exchange, entries, default_size=25)

    def _package_numbers(self, exchange: Exchange) -> FakeResponse:
        order = self._order_or_404(exchange.path_params["orderId"])
        return self._ok([p["packageNumber"] for p in order.packages])

    def _packages(self, exchange: Exchange) -> FakeResponse:
        order = self._order_or_404(exchange.path_params["orderId"])
        wanted = self._with(exchange, frozenset({"items", "labelBase64"}))
        out = []
        for package in order.packages:
            rendered = {k: copy.deepcopy(v) for k, v in package.items() if k != "items"}
            if "items" in wanted:
                rendered["items"] = copy.deepcopy(package["items"])
            if "labelBase64" in wanted:
                rendered["labelBase64"] = ""
            out.append(rendered)
        return self._ok(out)

    # --- referrers and property types ------------------------------------------------------------

    def _referrer_list(self, exchange: Exchange) -> FakeResponse:
        return self._ok([copy.deepcopy(r) for _, r in sorted(self._referrers.items())])

    def _create_referrer(self, exchange: Exchange) -> FakeResponse:
        body = exchange.json() or {}
        backend_name = body.get("backendName")
        if not isinstance(backend_name, str) or not backend_name.strip():
            raise Refusal(422, "422", "backendName is required", path="backendName")
        parent_raw = exchange.path_params.get("parentReferrerId")
        if parent_raw is not None:
            parent = decimal_value(parent_raw, "parentReferrerId")
            stored = self._referrers.get(parent)
            if stored is None or parent != parent.to_integral_value():
                raise Refusal(
                    422,
                    "422",
                    f"parent referrer {parent_raw} is not a main referrer",
                    path="parentReferrerId",
                )
            if stored["origin"] == "plenty":
                raise Refusal(
                    422,
                    "422",
                    f"built-in referrer {parent_raw} cannot have sub-referrers",
                    path="parentReferrerId",
                )
            subs = [
                r
                for r in self._referrers
                if r.to_integral_value(rounding=ROUND_FLOOR) == parent and r != parent
            ]
            referrer_id = parent + Decimal(len(subs) + 1) / 100
        elif body.get("id") is not None:
            referrer_id = decimal_value(body["id"], "id")
            if referrer_id in self._referrers:
                raise Refusal(422, "422", f"referrer {referrer_id} exists already", path="id")
        else:
            referrer_id = self._next_main_referrer()
        stored_referrer = {
            "id": referrer_id,
            "isEditable": bool(body.get("isEditable", True)),
            "backendName": backend_name,
            "name": body.get("name") or backend_name,
            "orderOwnerId": integer_value(body.get("orderOwnerId", 0), "orderOwnerId"),
            "isFilterable": bool(body.get("isFilterable", True)),
            "origin": body.get("origin") or "",
            "showInLeads": bool(body.get("showInLeads", False)),
        }
        self._referrers[referrer_id] = stored_referrer
        return self._ok(copy.deepcopy(stored_referrer))

    def _property_types(self, exchange: Exchange) -> FakeResponse:
        return self._ok(
            [
                {
                    "id": type_id,
                    "isErasable": False,
                    "position": index,
                    "cast": cast,
                    "names": [{"id": type_id, "typeId": type_id, "lang": "en", "name": name}],
                }
                for index, (type_id, cast, name) in enumerate(ORDER_PROPERTY_TYPES)
            ]
        )

    # --- contacts and addresses ------------------------------------------------------------------

    def _render_contact(self, contact: Mapping[str, Any], relations: set[str]) -> dict[str, Any]:
        data = {k: copy.deepcopy(v) for k, v in contact.items() if k != "options"}
        if "options" in relations:
            data["options"] = copy.deepcopy(contact["options"])
        if "addresses" in relations:
            data["addresses"] = [
                self._render_address(self._addresses[aid])
                for aid, _ in self._contact_addresses.get(contact["id"], [])
            ]
        return data

    def _list_contacts(self, exchange: Exchange) -> FakeResponse:
        request = exchange.request
        relations = self._with(exchange, frozenset({"options", "addresses"}))
        external, email, fuzzy = (
            request.param("externalId"),
            request.param("email"),
            request.param("contactEmail"),
        )
        number, referrer = request.param("number"), request.param("referrerId")

        def emails(contact: Mapping[str, Any]) -> list[str]:
            found = [o["value"] for o in contact["options"] if o["typeId"] == 2]
            return found + ([contact["email"]] if contact.get("email") else [])

        matches = [
            self._render_contact(c, relations)
            for c in self._contacts.values()
            if (external is None or self._external_match(c.get("externalId") or "", external))
            and (email is None or email in emails(c))
            and (fuzzy is None or any(fuzzy in e for e in emails(c)))
            and (number is None or c.get("number") == number)
            and (referrer is None or c["referrerId"] == decimal_value(referrer, "referrerId"))
        ]
        return self._page(exchange, matches)

    def _get_contact(self, exchange: Exchange) -> FakeResponse:
        contact = self._contacts.get(integer_value(exchange.path_params["contactId"], "contactId"))
        if contact is None:
            raise Refusal(404, "404", "Contact not found")
        return self._ok(
            self._render_contact(contact, self._with(exchange, frozenset({"options", "addresses"})))
        )

    def _create_contact(self, exchange: Exchange) -> FakeResponse:
        body = exchange.json() or {}
        type_id = integer_value(body.get("typeId"), "typeId")
        if not 1 <= type_id <= 6:
            raise Refusal(422, "422", "typeId must be 1 to 6", path="typeId")
        referrer = decimal_value(body.get("referrerId"), "referrerId")
        if referrer not in self._referrers:
            raise Refusal(422, "422", f"Unknown referrer {referrer}", path="referrerId")
        lang = body.get("lang", "de")
        if not isinstance(lang, str) or len(lang) != 2:
            raise Refusal(422, "422", "lang must be a two-letter language code", path="lang")
        external = body.get("externalId")
        if external is not None and not isinstance(external, str):
            raise Refusal(422, "422", "externalId must be a string", path="externalId")
        contact_id = next(self._ids["contact"])
        now = iso(self.clock.now())
        options = []
        for i, raw in enumerate(body.get("options") or []):
            where = f"options[{i}]"
            option_type = integer_value(raw.get("typeId"), f"{where}.typeId")
            if option_type not in CONTACT_OPTION_TYPES:
                raise Refusal(422, "422", f"Unknown contact option type {option_type}", path=where)
            options.append(
                {
                    "id": next(self._ids["option"]),
                    "contactId": contact_id,
                    "typeId": option_type,
                    "subTypeId": integer_value(raw.get("subTypeId"), f"{where}.subTypeId"),
                    "value": str(raw.get("value", "")),
                    "priority": integer_value(raw.get("priority", 0), f"{where}.priority"),
                    "createdAt": now,
                    "updatedAt": now,
                }
            )
        first, last = body.get("firstName") or "", body.get("lastName") or ""
        contact: dict[str, Any] = {
            "id": contact_id,
            "externalId": external or "",
            "number": body.get("number") or str(contact_id),
            "typeId": type_id,
            "firstName": first,
            "lastName": last,
            "fullName": f"{first} {last}".strip(),
            "gender": body.get("gender") or "",
            "lang": lang,
            "referrerId": referrer,
            "plentyId": integer_value(body.get("plentyId", self.plenty_id), "plentyId"),
            "singleAccess": str(body.get("singleAccess") or ""),
            "classId": integer_value(body.get("classId", 0), "classId"),
            "createdAt": now,
            "updatedAt": now,
            "options": options,
        }
        email = next((o["value"] for o in options if o["typeId"] == 2), None)
        if email is not None:
            contact["email"] = email
        self._contacts[contact_id] = contact
        return self._ok(self._render_contact(contact, set()))

    def _render_address(self, address: Mapping[str, Any]) -> dict[str, Any]:
        return copy.deepcopy(dict(address))

    def _create_address(self, exchange: Exchange) -> FakeResponse:
        contact_id = integer_value(exchange.path_params["contactId"], "contactId")
        if contact_id not in self._contacts:
            raise Refusal(404, "404", f"Contact {contact_id} not found")
        type_id = integer_value(exchange.param("typeId") or 0, "typeId")
        if type_id not in (1, 2):
            raise Refusal(422, "422", "typeId must be 1 (invoice) or 2 (delivery)", path="typeId")
        body = exchange.json() or {}
        if not body.get("town"):
            raise Refusal(422, "422", "town is required", path="town")
        country = integer_value(body.get("countryId"), "countryId")
        if country not in {c["id"] for c in self._countries}:
            raise Refusal(422, "422", f"Unknown country {country}", path="countryId")
        fields = {k: body[k] for k in ADDRESS_BODY if k in body and k != "options"}
        fields["countryId"] = country
        options = sorted(
            (integer_value(o.get("typeId"), "options.typeId"), str(o.get("value", "")))
            for o in body.get("options") or []
        )
        for option_type, _ in options:
            if option_type not in ADDRESS_OPTION_TYPES:
                raise Refusal(
                    422, "422", f"Unknown address option type {option_type}", path="options"
                )
        links = self._contact_addresses.setdefault(contact_id, [])
        for address_id, _ in links:
            existing = self._addresses[address_id]
            same = {k: existing.get(k) for k in fields} == fields and all(
                existing.get(k) in (None, "")
                for k in ADDRESS_BODY
                if k not in fields and k != "options"
            )
            if same and sorted((o["typeId"], o["value"]) for o in existing["options"]) == options:
                # The route's spec text: "If the system finds a duplicate, this address
                # will be assigned."
                if (address_id, type_id) not in links:
                    links.append((address_id, type_id))
                return self._ok(self._render_address(existing))
        address_id = next(self._ids["address"])
        now = iso(self.clock.now())
        address: dict[str, Any] = {
            "id": address_id,
            **fields,
            "createdAt": now,
            "updatedAt": now,
            "options": [
                {
                    "id": next(self._ids["option"]),
                    "addressId": address_id,
                    "typeId": option_type,
                    "value": value,
                    "position": position,
                    "createdAt": now,
                    "updatedAt": now,
                }
                for position, (option_type, value) in enumerate(options)
            ],
        }
        self._addresses[address_id] = address
        links.append((address_id, type_id))
        return self._ok(self._render_address(address))

    # --- payments --------------------------------------------------------------------------------

    def _render_payment(self, payment: Mapping[str, Any]) -> dict[str, Any]:
        data = copy.deepcopy(dict(payment))
        link = self._payment_links.get(payment["id"])
        if link is not None:
            data["order"] = {"orderId": link["orderId"]}
        return data

    def _create_payment(self, exchange: Exchange) -> FakeResponse:
        body = exchange.json() or {}
        for field in (
            "amount",
            "exchangeRatio",
            "mopId",
            "currency",
            "type",
            "status",
            "transactionType",
        ):
            if body.get(field) is None:
                raise Refusal(422, "422", f"{field} is required", path=field)
        mop = integer_value(body["mopId"], "mopId")
        if mop not in {m["id"] for m in self._methods}:
            raise Refusal(422, "422", f"Unknown method of payment {mop}", path="mopId")
        if body["currency"] not in self.exchange_rates:
            raise Refusal(422, "422", f"Unknown currency {body['currency']!r}", path="currency")
        if body["type"] not in ("credit", "debit"):
            raise Refusal(422, "422", "type must be credit or debit", path="type")
        payment_id = next(self._ids["payment"])
        now = self.clock.now()
        received = (
            date_param(body.get("receivedAt"), "receivedAt") if body.get("receivedAt") else now
        )
        properties = []
        for i, raw in enumerate(body.get("properties") or []):
            prop = self._property(raw, f"properties[{i}]", owner=("paymentId", payment_id))
            if prop["typeId"] not in PAYMENT_PROPERTY_TYPES:
                raise Refusal(
                    422,
                    "422",
                    f"Unknown payment property type {prop['typeId']}",
                    path=f"properties[{i}].typeId",
                )
            properties.append({k: prop[k] for k in ("id", "paymentId", "typeId", "value")})
        payment = {
            "id": payment_id,
            "amount": decimal_value(body["amount"], "amount"),
            "exchangeRatio": decimal_value(body["exchangeRatio"], "exchangeRatio"),
            "parentId": integer_value(body.get("parentId", 0), "parentId"),
            "deleted": 0,
            "unaccountable": integer_value(body.get("unaccountable", 0), "unaccountable"),
            "currency": body["currency"],
            "type": body["type"],
            "hash": f"{self._rng.getrandbits(128):032x}",
            "origin": integer_value(body.get("origin", 6), "origin"),
            "receivedAt": iso(received or now),
            "importedAt": iso(now),
            "status": integer_value(body["status"], "status"),
            "transactionType": integer_value(body["transactionType"], "transactionType"),
            "mopId": mop,
            "updateOrderPaymentStatus": bool(body.get("updateOrderPaymentStatus", False)),
            "isSystemCurrency": bool(
                body.get("isSystemCurrency", body["currency"] == self.system_currency)
            ),
            "properties": properties,
        }
        self._payments[payment_id] = payment
        return self._ok(self._render_payment(payment))

    def _payments_by_property(self, exchange: Exchange) -> FakeResponse:
        type_id = integer_value(exchange.path_params["propertyTypeId"], "propertyTypeId")
        value = exchange.path_params["propertyValue"]
        return self._ok(
            [
                self._render_payment(p)
                for p in self._payments.values()
                if any(
                    prop["typeId"] == type_id and prop["value"] == value for prop in p["properties"]
                )
            ]
        )

    def _order_payments(self, exchange: Exchange) -> FakeResponse:
        order = self._order_or_404(exchange.path_params["orderId"])
        return self._ok(
            [
                self._render_payment(self._payments[pid])
                for pid, link in self._payment_links.items()
                if link["orderId"] == order.data["id"]
            ]
        )

    def _link_payment(self, exchange: Exchange) -> FakeResponse:
        payment_id = integer_value(exchange.path_params["paymentId"], "paymentId")
        payment = self._payments.get(payment_id)
        if payment is None:
            raise Refusal(404, "404", f"Payment {payment_id} not found")
        order = self._order_or_404(exchange.path_params["orderId"])
        link = self._payment_links.get(payment_id)
        if link is None or link["orderId"] != order.data["id"]:
            link = {
                "id": next(self._ids["payment_link"]),
                "paymentId": payment_id,
                "orderId": order.data["id"],
                "assignedAt": iso(self.clock.now()),
            }
            self._payment_links[payment_id] = link
            if payment["updateOrderPaymentStatus"]:
                self._update_payment_status(order)
            self._touch(order)
        return self._ok(copy.deepcopy(link))

    def _update_payment_status(self, order: StoredOrder) -> None:
        amounts = self._order_amounts(order)
        if not amounts:
            return
        total, paid = amounts[0]["invoiceTotal"], amounts[0]["paidAmount"]
        state = (
            "unpaid"
            if paid <= 0
            else "partlyPaid"
            if paid < total
            else "fullyPaid"
            if paid == total
            else "overpaid"
        )
        now = iso(self.clock.now())
        order.properties = [p for p in order.properties if p["typeId"] != 4] + [
            {
                "id": next(self._ids["property"]),
                "orderId": order.data["id"],
                "typeId": 4,
                "value": state,
                "createdAt": now,
                "updatedAt": now,
            }
        ]
        if state in ("fullyPaid", "overpaid") and not any(d["typeId"] == 3 for d in order.dates):
            order.dates.append(
                {
                    "id": next(self._ids["date"]),
                    "orderId": order.data["id"],
                    "typeId": 3,
                    "date": now,
                    "createdAt": now,
                    "updatedAt": now,
                }
            )

    def _payment_methods(self, exchange: Exchange) -> FakeResponse:
        return self._ok(copy.deepcopy(self._methods))

    # --- variations, shipping, comments, reference data ------------------------------------------

    def _render_variation(
        self, variation: Mapping[str, Any], relations: set[str]
    ) -> dict[str, Any]:
        data = {k: copy.deepcopy(v) for k, v in variation.items() if k not in ("barcodes", "skus")}
        if "variationBarcodes" in relations:
            data["variationBarcodes"] = [
                {
                    "barcodeId": 1,
                    "variationId": variation["id"],
                    "code": code,
                    "createdAt": variation["createdAt"],
                }
                for code in variation["barcodes"]
            ]
        if "variationSkus" in relations:
            data["variationSkus"] = [
                {
                    "id": index + 1,
                    "variationId": variation["id"],
                    "marketId": market,
                    "accountId": 0,
                    "sku": sku,
                    "parentSku": "",
                    "initialSku": sku,
                    "status": "ACTIVE",
                }
                for index, (market, sku) in enumerate(variation["skus"])
            ]
        return data

    def _variations_list(self, exchange: Exchange) -> FakeResponse:
        request = exchange.request
        relations = self._with(exchange, frozenset({"variationBarcodes", "variationSkus", "item"}))
        number, barcode, sku_raw = (
            request.param("numberExact"),
            request.param("barcode"),
            request.param("sku"),
        )
        sku, market = None, None
        if sku_raw is not None:
            # sku=<SKU>[:<referrerId>] (the route's spec text).
            sku, _, market_raw = sku_raw.partition(":")
            market = decimal_value(market_raw, "sku referrer") if market_raw else None
        wanted_id, item_id = request.param("id"), request.param("itemId")
        matches = [
            self._render_variation(v, relations)
            for v in self._variations.values()
            if (number is None or v["number"] == number)
            and (barcode is None or barcode in v["barcodes"])
            and (
                sku is None
                or any(s == sku and (market is None or m == market) for m, s in v["skus"])
            )
            and (wanted_id is None or v["id"] == integer_value(wanted_id, "id"))
            and (item_id is None or v["itemId"] == integer_value(item_id, "itemId"))
        ]
        return self._page(exchange, matches)

    def _render_preset(self, profile: Mapping[str, Any], relations: set[str]) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": profile["id"],
            "parcelServiceId": profile["parcelServiceId"],
            "backendName": profile["backendName"],
            "flag": 0,
            "priority": profile["id"],
            "category": 0,
            "isInsured": 0,
            "isExpress": 0,
            "isCod": 0,
            "shippingGroup": "",
            "supportedReferrer": [],
            "updatedAt": iso(self.clock.now()),
        }
        if "parcelServicePresetNames" in relations:
            data["parcelServicePresetNames"] = [
                {
                    "id": profile["id"],
                    "parcelServicePresetId": profile["id"],
                    "lang": lang,
                    "name": profile["backendName"],
                }
                for lang in ("de", "en", "pl")
            ]
        if "parcelServiceNames" in relations:
            data["parcelServiceNames"] = [
                {
                    "id": profile["parcelServiceId"],
                    "parcelServiceId": profile["parcelServiceId"],
                    "lang": lang,
                    "name": profile["service"],
                }
                for lang in ("de", "en", "pl")
            ]
        return data

    def _presets(self, exchange: Exchange) -> FakeResponse:
        relations = self._with(
            exchange, frozenset({"parcelServiceNames", "parcelServicePresetNames"})
        )
        return self._ok([self._render_preset(p, relations) for p in self._profiles])

    def _preset(self, exchange: Exchange) -> FakeResponse:
        preset_id = integer_value(exchange.path_params["presetId"], "presetId")
        profile = next((p for p in self._profiles if p["id"] == preset_id), None)
        if profile is None:
            raise Refusal(404, "404", f"Shipping profile {preset_id} not found")
        return self._ok(self._render_preset(profile, set()))

    def _create_comment(self, exchange: Exchange) -> FakeResponse:
        body = exchange.json() or {}
        for field in ("referenceType", "referenceValue", "text", "isVisibleForContact"):
            if body.get(field) is None:
                raise Refusal(422, "422", f"{field} is required", path=field)
        if body["referenceType"] != "order":
            raise Refusal(422, "422", "the fake stores order comments only", path="referenceType")
        order = self._order_or_404(integer_value(body["referenceValue"], "referenceValue"))
        now = iso(self.clock.now())
        comment = {
            "id": next(self._ids["comment"]),
            "referenceType": "order",
            "referenceValue": order.data["id"],
            "text": str(body["text"]),
            "userId": integer_value(body.get("userId", 1), "userId"),
            "isVisibleForContact": bool(body["isVisibleForContact"]),
            "createdAt": now,
            "updatedAt": now,
        }
        self._comments.append(comment)
        return self._ok(copy.deepcopy(comment))

    def _comments_of(self, exchange: Exchange) -> FakeResponse:
        kind = exchange.path_params["referenceType"]
        value = integer_value(exchange.path_params["referenceValue"], "referenceValue")
        return self._ok(
            [
                copy.deepcopy(c)
                for c in self._comments
                if c["referenceType"] == kind and c["referenceValue"] == value
            ]
        )

    def _countries_list(self, exchange: Exchange) -> FakeResponse:
        return self._ok(copy.deepcopy(self._countries))

    def _vat_list(self, exchange: Exchange) -> FakeResponse:
        return self._page(exchange, copy.deepcopy(self._vats))

    def _vat_standard(self, exchange: Exchange) -> FakeResponse:
        plenty_id = exchange.param("plentyId")
        if plenty_id is not None and integer_value(plenty_id, "plentyId") != self.plenty_id:
            raise Refusal(404, "404", f"No client {plenty_id}")
        return self._ok(copy.deepcopy(next(v for v in self._vats if v["isStandard"])))

    def _currencies(self, exchange: Exchange) -> FakeResponse:
        signs = {"PLN": "zł", "EUR": "€", "CZK": "Kč", "HUF": "Ft"}
        return self._ok(
            [
                {
                    "currency": code,
                    "htmlCode": signs.get(code, code),
                    "unicodeSign": signs.get(code, code),
                    "isActive": True,
                    "isErasable": code != self.system_currency,
                    "exchangeRate": rate,
                }
                for code, rate in self.exchange_rates.items()
            ]
        )

    def _exchange_rate(self, exchange: Exchange) -> FakeResponse:
        code = exchange.path_params["currencyIso"].upper()
        if code not in self.exchange_rates:
            raise Refusal(404, "404", f"Unknown currency {code}")
        return self._ok({"exchangeRate": self.exchange_rates[code]})
