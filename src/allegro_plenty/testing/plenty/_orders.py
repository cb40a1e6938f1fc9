"""Orders: create, read, list, search, update and cancel, and how an order is rendered.

No idempotency on ``POST /rest/orders``: the same external order id can be
created twice, exactly as in plentymarkets. ``PUT /rest/orders/{orderId}``
re-points the billing or delivery address (one of each type per order) only
while the order is unlocked (plentymarkets locks an order once invoiced; that
it then refuses the change is inferred, not documented).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from .._resources import route
from .._transport import Exchange, FakeResponse, Refusal
from ._amounts import order_amounts
from ._contacts import render_address, render_contact
from ._data import (
    ORDER_BODY,
    ORDER_RELATIONS,
    ORDER_STATUSES,
    ORDER_TYPES,
    PAGING,
    PROPERTY_SHAPE,
    SEARCH_GROUP,
    WITH,
)
from ._items import render_variation
from ._model import (
    StoredOrder,
    date_param,
    decimal_value,
    group_test,
    integer_value,
    iso,
    search_test,
    status_key,
    within,
)
from ._order_items import order_item
from ._payments import render_payment
from ._state import PlentyState, Resource, ok, page, status_name, wanted_relations

LIST_QUERY = (
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
)
SEARCH_QUERY = (
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


class Orders(Resource):
    """``/rest/orders`` and ``/rest/orders/search``."""

    @route("POST", "/rest/orders", query=("coupon",), body=ORDER_BODY)
    def create_order(self, exchange: Exchange) -> FakeResponse:
        body = exchange.json()
        if not isinstance(body, Mapping):
            raise Refusal(400, "400", "the order body must be a JSON object")
        type_id = integer_value(body.get("typeId"), "typeId")
        if type_id not in ORDER_TYPES:
            raise Refusal(422, "422", f"Unknown order type {type_id}", path="typeId")
        if integer_value(body.get("plentyId"), "plentyId") != self.state.plenty_id:
            raise Refusal(422, "422", f"plentyId must be {self.state.plenty_id}", path="plentyId")
        status = decimal_value(body.get("statusId", 1), "statusId")
        if status_key(status) not in ORDER_STATUSES:
            raise Refusal(422, "422", f"Unknown order status {status}", path="statusId")
        referrer = decimal_value(body.get("referrerId", 0), "referrerId")
        if referrer not in self.state.referrers:
            raise Refusal(422, "422", f"Unknown referrer {referrer}", path="referrerId")
        now = self.state.clock.now()
        order_id = self.state.next_id("order")
        relations = self._relations(body.get("relations") or [], order_id)
        address_relations = self._address_relations(body.get("addressRelations") or [], order_id)
        items = [
            order_item(self.state, raw, order_id, i)
            for i, raw in enumerate(body.get("orderItems") or [])
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
            self.state.property(raw, f"properties[{i}]", owner=("orderId", order_id))
            for i, raw in enumerate(body.get("properties") or [])
        ]
        dates = []
        for i, raw in enumerate(body.get("dates") or []):
            when = date_param(str(raw.get("date")), f"dates[{i}].date")
            dates.append(
                {
                    "id": self.state.next_id("date"),
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
            "statusName": status_name(status),
            "referrerId": referrer,
            "createdAt": iso(now),
            "updatedAt": iso(now),
            "plentyId": self.state.plenty_id,
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
        self.state.store_order(order)
        self.state.record_status(order, user_id=data.get("ownerId", 1), text="Order created")
        return ok(render_order(self.state, order, set()))

    def _relations(self, raw: Sequence[Any], order_id: int) -> list[dict[str, Any]]:
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
            if kind == "contact" and ref not in self.state.contacts:
                raise Refusal(
                    422, "422", f"contact {ref} does not exist", path=f"{where}.referenceId"
                )
            out.append(
                {
                    "id": self.state.next_id("relation"),
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
            if address_id not in self.state.addresses:
                raise Refusal(
                    422, "422", f"address {address_id} does not exist", path=f"{where}.addressId"
                )
            out.append(
                {
                    "id": self.state.next_id("relation"),
                    "orderId": order_id,
                    "typeId": type_id,
                    "addressId": address_id,
                }
            )
        return out

    @route("GET", "/rest/orders/{orderId}", query=(*WITH, "addOrderItems"))
    def get_order(self, exchange: Exchange) -> FakeResponse:
        order = self.state.order_or_404(exchange.path_params["orderId"])
        return ok(render_order(self.state, order, wanted_relations(exchange, ORDER_RELATIONS)))

    @route("GET", "/rest/orders", query=LIST_QUERY)
    def list_orders(self, exchange: Exchange) -> FakeResponse:
        request = exchange.request
        relations = wanted_relations(exchange, ORDER_RELATIONS)
        tests: list[Callable[[StoredOrder], bool]] = []
        external = request.param("externalOrderId")
        if external is not None:
            tests.append(
                lambda o: any(
                    p["typeId"] == 7 and self.state.external_match(p["value"], external)
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
        candidates = self.state.orders_to_search(external)
        matches = [o for o in candidates if all(t(o) for t in tests)]
        matches = sorted_orders(matches, request.param("sortBy"), request.param("sortOrder"))
        return page(exchange, [render_order(self.state, o, relations) for o in matches])

    @route("GET", "/rest/orders/search", query=SEARCH_QUERY)
    @route("POST", "/rest/orders/search", query=SEARCH_QUERY, body=SEARCH_GROUP)
    def search_orders(self, exchange: Exchange) -> FakeResponse:
        request = exchange.request
        relations = wanted_relations(exchange, ORDER_RELATIONS)
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

        matches = [o for o in self.state.orders.values() if keep(o)]
        matches = sorted_orders(matches, request.param("sortBy"), request.param("sortOrder"))
        return page(exchange, [render_order(self.state, o, relations) for o in matches])

    @route(
        "PUT",
        "/rest/orders/{orderId}",
        body={
            "statusId": None,
            "ownerId": None,
            "properties": [PROPERTY_SHAPE],
            "addressRelations": [{"typeId": None, "addressId": None}],
        },
    )
    def update_order(self, exchange: Exchange) -> FakeResponse:
        order = self.state.order_or_404(exchange.path_params["orderId"])
        body = exchange.json() or {}
        # Checked before anything changes, so a refused update changes nothing.
        relations = self._address_relations(body.get("addressRelations") or [], order.data["id"])
        if relations and order.data["lockStatus"] != "unlocked":
            raise Refusal(
                422,
                "422",
                f"order {order.data['id']} is {order.data['lockStatus']}: its addresses are fixed",
                path="addressRelations",
            )
        for relation in relations:
            current = [r for r in order.address_relations if r["typeId"] == relation["typeId"]]
            if [r["addressId"] for r in current] != [relation["addressId"]]:
                # One address per type: the relation of that type is replaced.
                order.address_relations = [
                    r for r in order.address_relations if r not in current
                ] + [relation]
                self.state.touch(order)
        if "statusId" in body:
            self.state.change_status(
                order, decimal_value(body["statusId"], "statusId"), user_id=1, text="REST"
            )
        if "ownerId" in body:
            order.data["ownerId"] = integer_value(body["ownerId"], "ownerId")
            self.state.touch(order)
        for i, raw in enumerate(body.get("properties") or []):
            prop = self.state.property(raw, f"properties[{i}]", owner=("orderId", order.data["id"]))
            order.properties = [p for p in order.properties if p["typeId"] != prop["typeId"]] + [
                prop
            ]
            self.state.index_order(order)
            self.state.touch(order)
        return ok(render_order(self.state, order, set()))

    @route("PUT", "/rest/orders/{orderId}/cancel", body={"statusId": None, "message": None})
    def cancel_order(self, exchange: Exchange) -> FakeResponse:
        order = self.state.order_or_404(exchange.path_params["orderId"])
        body = exchange.json() or {}
        status = decimal_value(body.get("statusId", 8), "statusId")
        if not Decimal(8) <= status < Decimal(9):
            raise Refusal(422, "422", "a cancel status is 8 or a sub-status of 8", path="statusId")
        self.state.change_status(
            order, status, user_id=1, text=str(body.get("message") or "Cancelled via REST")
        )
        return FakeResponse(200)


def render_order(
    state: PlentyState, order: StoredOrder, relations: set[str] | frozenset[str]
) -> dict[str, Any]:
    """An order as the API renders it, with the ``relations`` asked for."""
    data = copy.deepcopy(order.data)
    data["properties"] = copy.deepcopy(order.properties)
    data["dates"] = copy.deepcopy(order.dates)
    data["amounts"] = order_amounts(state, order)
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
            render_address(state.addresses[r["addressId"]]) for r in order.address_relations
        ]
    if "shippingPackages" in relations:
        data["shippingPackages"] = [
            {k: v for k, v in p.items() if k != "items"} for p in order.packages
        ]
    if "comments" in relations:
        data["comments"] = list(state.comments_of_order(order.data["id"]))
    if "payments" in relations:
        data["payments"] = [
            render_payment(state, payment) for payment in state.payments_of_order(order.data["id"])
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
            data["contactReceiver"] = render_contact(state, state.contacts[receiver], set())
    if "orderItems.variation" in relations:
        for item in data["orderItems"]:
            variation = state.variations.get(item["itemVariationId"])
            if variation is not None:
                item["variation"] = render_variation(variation, set())
    return data


def sorted_orders(
    orders: list[StoredOrder], sort_by: str | None, sort_order: str | None
) -> list[StoredOrder]:
    """Orders in the order ``sortBy`` and ``sortOrder`` ask for (by id by default)."""
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
