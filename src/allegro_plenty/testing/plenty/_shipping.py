"""Shipping: profiles (parcel service presets), delivery and return orders, packages and
their numbers."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from .._resources import route
from .._transport import Exchange, FakeResponse, Refusal
from ._data import SHIPPING_ITEM_TYPE
from ._model import StoredOrder, integer_value, iso
from ._state import PlentyState, Resource, ok, status_name, wanted_relations


class Shipping(Resource):
    """``/rest/orders/shipping/presets`` and an order's packages."""

    def create_child_order(
        self,
        order_id: int,
        type_id: int,
        items: Mapping[int, Decimal | int] | None = None,
        status: Decimal | None = None,
    ) -> int:
        """See :meth:`FakePlenty.create_delivery_order` and `create_return_order`."""
        parent = self.state.order_or_404(order_id)
        wanted = items or {i["id"]: i["quantity"] for i in parent.items}
        now = self.state.clock.now()
        child_id = self.state.next_id("order")
        data = copy.deepcopy(parent.data)
        data.update(
            id=child_id,
            typeId=type_id,
            createdAt=iso(now),
            updatedAt=iso(now),
            hasDeliveryOrders=False,
        )
        if status is not None:
            data.update(statusId=status, statusName=status_name(status))
        child_items = []
        for item in parent.items:
            if item["id"] in wanted:
                copied = copy.deepcopy(item)
                copied.update(
                    id=self.state.next_id("order_item"),
                    orderId=child_id,
                    quantity=Decimal(str(wanted[item["id"]])),
                )
                for amount in copied["amounts"]:
                    amount["id"] = self.state.next_id("amount")
                    amount["orderItemId"] = copied["id"]
                child_items.append(copied)
        child = StoredOrder(
            data=data,
            items=child_items,
            properties=[
                {**copy.deepcopy(p), "id": self.state.next_id("property"), "orderId": child_id}
                for p in parent.properties
            ],
            dates=[],
            address_relations=[
                {**r, "id": self.state.next_id("relation"), "orderId": child_id}
                for r in parent.address_relations
            ],
            relations=[
                {**r, "id": self.state.next_id("relation"), "orderId": child_id}
                for r in parent.relations
            ],
            created_at=now,
            updated_at=now,
            parent_id=order_id,
        )
        self.state.store_order(child)
        if type_id == 2:
            parent.data["hasDeliveryOrders"] = True
        self.state.touch(parent)
        kind = "Delivery" if type_id == 2 else "Return"
        self.state.record_status(child, user_id=1, text=f"{kind} order created")
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
        """See :meth:`FakePlenty.register_package`."""
        order = self.state.order_or_404(order_id)
        package_id = self.state.next_id("package")
        now = iso(self.state.clock.now())
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
                        "id": self.state.next_id("package_item"),
                        "packageId": package_id,
                        "itemId": self.state.variations.get(by_id[oid]["itemVariationId"], {}).get(
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

    @route("GET", "/rest/orders/shipping/presets", query=("with", "columns"))
    def presets(self, exchange: Exchange) -> FakeResponse:
        relations = wanted_relations(
            exchange, frozenset({"parcelServiceNames", "parcelServicePresetNames"})
        )
        return ok([render_preset(self.state, p, relations) for p in self.state.profiles])

    @route("GET", "/rest/orders/shipping/presets/{presetId}", query=("columns",))
    def preset(self, exchange: Exchange) -> FakeResponse:
        preset_id = integer_value(exchange.path_params["presetId"], "presetId")
        profile = next((p for p in self.state.profiles if p["id"] == preset_id), None)
        if profile is None:
            raise Refusal(404, "404", f"Shipping profile {preset_id} not found")
        return ok(render_preset(self.state, profile, set()))

    @route("GET", "/rest/orders/{orderId}/packagenumbers")
    def package_numbers(self, exchange: Exchange) -> FakeResponse:
        order = self.state.order_or_404(exchange.path_params["orderId"])
        return ok([p["packageNumber"] for p in order.packages])

    @route("GET", "/rest/orders/{orderId}/shipping/packages", query=("with", "columns"))
    def packages(self, exchange: Exchange) -> FakeResponse:
        order = self.state.order_or_404(exchange.path_params["orderId"])
        wanted = wanted_relations(exchange, frozenset({"items", "labelBase64"}))
        out = []
        for package in order.packages:
            rendered = {k: copy.deepcopy(v) for k, v in package.items() if k != "items"}
            if "items" in wanted:
                rendered["items"] = copy.deepcopy(package["items"])
            if "labelBase64" in wanted:
                rendered["labelBase64"] = ""
            out.append(rendered)
        return ok(out)


def render_preset(
    state: PlentyState, profile: Mapping[str, Any], relations: set[str]
) -> dict[str, Any]:
    """A shipping profile as the API renders it, with the ``relations`` asked for."""
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
        "updatedAt": iso(state.clock.now()),
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
