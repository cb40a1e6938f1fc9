"""What a FakePlenty knows, shared by its resources, and the answers they all give."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

from .._clock import Clock
from .._transport import Exchange, FakeResponse, Refusal, json_response
from ._data import (
    DEFAULT_COUNTRIES,
    DEFAULT_PAYMENT_METHODS,
    DEFAULT_REFERRERS,
    DEFAULT_SHIPPING_PROFILES,
    ID_STARTS,
    MAX_ITEMS_PER_PAGE,
    ORDER_STATUSES,
    WITH,
)
from ._model import Session, StoredOrder, integer_value, iso, relation_names, status_key


class PlentyState:
    """Every record of one FakePlenty and the settings its resources read.

    The fake's lock guards it: handlers run under it, and the fake's seeding
    methods take it.
    """

    def __init__(
        self,
        *,
        clock: Clock,
        seed: int,
        plenty_id: int,
        system_currency: str,
        exchange_rates: Mapping[str, Decimal],
        max_sessions: int,
        token_keys: str,
        external_id_match: str,
    ) -> None:
        self.clock = clock
        self.plenty_id = plenty_id
        self.system_currency = system_currency
        self.exchange_rates = dict(exchange_rates)
        self.max_sessions = max_sessions
        self.token_keys = token_keys
        self.external_id_match = external_id_match
        self.rng = random.Random(seed)
        self.ids = {name: itertools.count(start) for name, start in ID_STARTS.items()}
        self.users: dict[str, str] = {}
        self.sessions: dict[str, Session] = {}
        self.countries: list[dict[str, Any]] = [
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
        self.vats: list[dict[str, Any]] = []
        self.referrers: dict[Decimal, dict[str, Any]] = {
            Decimal(rid): {
                "id": Decimal(rid),
                "isEditable": False,
                "backendName": name,
                "name": name,
                "orderOwnerId": 0,
                "isFilterable": True,
                "origin": origin,
                "showInLeads": False,
            }
            for rid, name, origin in DEFAULT_REFERRERS
        }
        self.methods: list[dict[str, Any]] = [
            {
                "id": mid,
                "pluginKey": plugin,
                "paymentKey": key,
                "name": name,
                "isDocumentBuilderActive": False,
            }
            for mid, plugin, key, name in DEFAULT_PAYMENT_METHODS
        ]
        self.profiles: list[dict[str, Any]] = [
            {"id": pid, "parcelServiceId": sid, "backendName": name, "service": service}
            for pid, sid, name, service in DEFAULT_SHIPPING_PROFILES
        ]
        self.orders: dict[int, StoredOrder] = {}
        self.history: list[dict[str, Any]] = []
        self.contacts: dict[int, dict[str, Any]] = {}
        self.addresses: dict[int, dict[str, Any]] = {}
        self.contact_addresses: dict[int, list[tuple[int, int]]] = {}
        self.payments: dict[int, dict[str, Any]] = {}
        self.payment_links: dict[int, dict[str, Any]] = {}
        self.variations: dict[int, dict[str, Any]] = {}
        self.comments: list[dict[str, Any]] = []
        self.documents: dict[int, Any] = {}
        """Order documents (``StoredDocument`` of :mod:`._documents`) by id."""

    def next_id(self, kind: str) -> int:
        """The next id of a kind of record (``"order"``, ``"payment"`` ...)."""
        return next(self.ids[kind])

    def now_iso(self) -> str:
        """The fake's time in plentymarkets' format."""
        return iso(self.clock.now())

    # --- orders, which most resources hang off ---------------------------------------------------

    def order_or_404(self, order_id: int | str) -> StoredOrder:
        """The order, or the 404 plentymarkets answers."""
        try:
            key = int(order_id)
        except ValueError:
            key = -1
        order = self.orders.get(key)
        if order is None:
            raise Refusal(404, "404", f"Order {order_id} not found")
        return order

    def touch(self, order: StoredOrder) -> None:
        """Move an order's ``updatedAt`` to now."""
        order.updated_at = self.clock.now()
        order.data["updatedAt"] = iso(order.updated_at)

    def record_status(self, order: StoredOrder, *, user_id: int, text: str) -> None:
        """Write the order's current status into the status history."""
        self.history.append(
            {
                "id": self.next_id("history"),
                "orderId": order.data["id"],
                "statusId": order.data["statusId"],
                "createdAt": self.now_iso(),
                "userId": user_id,
                "procedureText": text,
            }
        )

    def change_status(
        self, order: StoredOrder, status: Decimal, *, user_id: int, text: str
    ) -> None:
        """Set a status; an unchanged status writes no history (and no ``updatedAt``)."""
        if status_key(status) not in ORDER_STATUSES:
            raise Refusal(422, "422", f"Unknown order status {status}", path="statusId")
        if order.data["statusId"] != status:
            order.data["statusId"] = status
            order.data["statusName"] = status_name(status)
            self.touch(order)
            self.record_status(order, user_id=user_id, text=text)

    def property(
        self, raw: Mapping[str, Any], where: str, *, owner: tuple[str, int]
    ) -> dict[str, Any]:
        """A property (``{typeId, value}``) of an order, order item or payment."""
        type_id = integer_value(raw.get("typeId"), f"{where}.typeId")
        if type_id < 1:
            raise Refusal(422, "422", f"{where}.typeId must be positive", path=where)
        value = raw.get("value")
        if not isinstance(value, str):
            raise Refusal(422, "422", f"{where}.value must be a string", path=f"{where}.value")
        now = self.now_iso()
        return {
            "id": self.next_id("property"),
            owner[0]: owner[1],
            "typeId": type_id,
            "value": value,
            "createdAt": now,
            "updatedAt": now,
        }

    def external_match(self, value: str, wanted: str) -> bool:
        """Whether an external id matches a search, as ``external_id_match`` says."""
        if self.external_id_match == "exact":
            return value == wanted
        if self.external_id_match == "prefix":
            return value.startswith(wanted)
        return wanted in value

    def comments_of_order(self, order_id: int) -> Iterator[dict[str, Any]]:
        """The stored comments of an order (not copies)."""
        return (
            c
            for c in self.comments
            if c["referenceType"] == "order" and c["referenceValue"] == order_id
        )


class Resource:
    """A group of FakePlenty's endpoints, over the fake's state."""

    def __init__(self, state: PlentyState) -> None:
        self.state = state


def status_name(status: Decimal) -> str:
    """The name of an order status."""
    return ORDER_STATUSES.get(status_key(status), "")


def ok(data: Any) -> FakeResponse:
    """A 200 with a JSON body."""
    return json_response(200, data, [("Content-Type", "application/json")])


def page(exchange: Exchange, entries: Sequence[Any], *, default_size: int = 50) -> FakeResponse:
    """One page of ``entries`` in plentymarkets' paging envelope."""
    request = exchange.request
    number = integer_value(request.param("page") or 1, "page")
    # plentymarkets caps the page size (250 on comparable routes) without saying so.
    size = min(
        integer_value(request.param("itemsPerPage") or default_size, "itemsPerPage"),
        MAX_ITEMS_PER_PAGE,
    )
    if number < 1 or size < 1:
        raise Refusal(400, "400", "page and itemsPerPage must be positive")
    total = len(entries)
    last_page = max(1, -(-total // size))
    chunk = list(entries[(number - 1) * size : number * size])
    first = (number - 1) * size + 1 if chunk else 0
    return ok(
        {
            "page": number,
            "totalsCount": total,
            "isLastPage": number >= last_page,
            "lastPageNumber": last_page,
            "firstOnPage": first,
            "lastOnPage": first + len(chunk) - 1 if chunk else 0,
            "itemsPerPage": size,
            "entries": chunk,
        }
    )


def wanted_relations(exchange: Exchange, allowed: frozenset[str]) -> set[str]:
    """The relations ``with`` asks for; 400 for one the fake does not load."""
    wanted = relation_names([v for k, v in exchange.request.query if k in WITH])
    unknown = wanted - allowed
    if unknown:
        raise Refusal(
            400, "400", f"the fake does not load relation(s) {sorted(unknown)}", path="with"
        )
    return wanted
