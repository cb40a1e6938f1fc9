"""Item variations: found by number, barcode and SKU."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from .._resources import route
from .._transport import Exchange, FakeResponse
from ._data import PAGING, WITH
from ._model import decimal_value, integer_value, iso
from ._state import Resource, page, wanted_relations


class Items(Resource):
    """``/rest/items/variations``."""

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
        """See :meth:`FakePlenty.add_variation`."""
        variation_id = self.state.next_id("variation")
        now = iso(self.state.clock.now())
        self.state.variations[variation_id] = {
            "id": variation_id,
            "itemId": item_id or self.state.next_id("item"),
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

    @route(
        "GET",
        "/rest/items/variations",
        query=("numberExact", "barcode", "sku", "id", "itemId", "isActive", "lang", *PAGING, *WITH),
    )
    def list_variations(self, exchange: Exchange) -> FakeResponse:
        request = exchange.request
        relations = wanted_relations(
            exchange, frozenset({"variationBarcodes", "variationSkus", "item"})
        )
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
            render_variation(v, relations)
            for v in self.state.variations.values()
            if (number is None or v["number"] == number)
            and (barcode is None or barcode in v["barcodes"])
            and (
                sku is None
                or any(s == sku and (market is None or m == market) for m, s in v["skus"])
            )
            and (wanted_id is None or v["id"] == integer_value(wanted_id, "id"))
            and (item_id is None or v["itemId"] == integer_value(item_id, "itemId"))
        ]
        return page(exchange, matches)


def render_variation(variation: Mapping[str, Any], relations: set[str]) -> dict[str, Any]:
    """A variation as the API renders it, with the ``relations`` asked for."""
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
