"""The items of a new order: checked against the catalogue and VAT, amounts computed."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .._transport import Refusal
from ._data import ORDER_ITEM_TYPES
from ._model import decimal_value, integer_value, round_money
from ._state import PlentyState


def vat_configuration(state: PlentyState, country_vat_id: int, where: str) -> dict[str, Any]:
    """The VAT configuration an item names, or a 422."""
    vat = next((v for v in state.vats if v["id"] == country_vat_id), None)
    if vat is None:
        raise Refusal(
            422,
            "422",
            f"VAT configuration {country_vat_id} does not exist",
            path=f"{where}.countryVatId",
        )
    return vat


def order_item(
    state: PlentyState, raw: Mapping[str, Any], order_id: int, index: int
) -> dict[str, Any]:
    """An order item from ``orderItems[index]`` of a new order."""
    where = f"orderItems[{index}]"
    type_id = integer_value(raw.get("typeId"), f"{where}.typeId")
    if type_id not in ORDER_ITEM_TYPES:
        raise Refusal(422, "422", f"Unknown order item type {type_id}", path=f"{where}.typeId")
    quantity = decimal_value(raw.get("quantity"), f"{where}.quantity")
    if quantity <= 0:
        raise Refusal(422, "422", f"{where}.quantity must be positive", path=f"{where}.quantity")
    name = raw.get("orderItemName")
    if not isinstance(name, str) or not name.strip():
        raise Refusal(
            422, "422", f"{where}.orderItemName is required", path=f"{where}.orderItemName"
        )
    variation_id = integer_value(raw.get("itemVariationId", 0), f"{where}.itemVariationId")
    if type_id == 1 and variation_id not in state.variations:
        raise Refusal(
            422,
            "422",
            f"variation {variation_id} does not exist",
            path=f"{where}.itemVariationId",
        )
    if raw.get("countryVatId") is None:
        raise Refusal(422, "422", f"{where}.countryVatId is required", path=f"{where}.countryVatId")
    vat = vat_configuration(
        state, integer_value(raw["countryVatId"], f"{where}.countryVatId"), where
    )
    rates = {r["id"]: r["vatRate"] for r in vat["vatRates"]}
    field: int | None = None
    if raw.get("vatField") is not None:
        field = integer_value(raw["vatField"], f"{where}.vatField")
        if field not in rates:
            raise Refusal(422, "422", f"{where}.vatField must be 0 to 3", path=f"{where}.vatField")
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
        and decimal_value(referrer, f"{where}.referrerId") not in state.referrers
    ):
        raise Refusal(422, "422", f"Unknown referrer {referrer}", path=f"{where}.referrerId")
    item_id = state.next_id("order_item")
    amounts_in = raw.get("amounts") or []
    if not amounts_in:
        raise Refusal(
            422, "422", f"{where}.amounts needs at least one amount", path=f"{where}.amounts"
        )
    now = state.now_iso()
    item: dict[str, Any] = {
        "id": item_id,
        "orderId": order_id,
        "typeId": type_id,
        "referrerId": decimal_value(referrer, "referrerId") if referrer is not None else Decimal(0),
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
            item_amount(state, a, rates[field], item_id, f"{where}.amounts[{i}]")
            for i, a in enumerate(amounts_in)
        ],
        "properties": [
            state.property(p, f"{where}.properties[{i}]", owner=("orderItemId", item_id))
            for i, p in enumerate(raw.get("properties") or [])
        ],
    }
    return item


def item_amount(
    state: PlentyState, raw: Mapping[str, Any], vat_rate: Decimal, item_id: int, where: str
) -> dict[str, Any]:
    """An item's amount in one currency, with the prices plentymarkets derives."""
    currency = raw.get("currency")
    if currency not in state.exchange_rates:
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
        else state.exchange_rates[currency]
    )
    now = state.now_iso()
    return {
        "id": state.next_id("amount"),
        "orderItemId": item_id,
        "isSystemCurrency": currency == state.system_currency,
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
