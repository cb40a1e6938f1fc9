"""Order totals as plentymarkets computes them: per currency, VAT by rate, paid from payments."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ._data import SHIPPING_ITEM_TYPE
from ._model import StoredOrder, round_money
from ._state import PlentyState


def order_amounts(state: PlentyState, order: StoredOrder) -> list[dict[str, Any]]:
    """The order's ``amounts``: one in its currency, and one in the system currency if other."""
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
    paid = paid_amount(state, order, currency)

    def entry(factor: Decimal, code: str, system: bool, exchange: Decimal) -> dict[str, Any]:
        def convert(value: Decimal) -> Decimal:
            return round_money(value / factor)

        return {
            "id": state.next_id("amount"),
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

    system_currency = state.system_currency
    amounts = [
        entry(
            Decimal(1),
            currency,
            currency == system_currency,
            Decimal(1) if currency == system_currency else rate,
        )
    ]
    if currency != system_currency:
        amounts.append(entry(rate, system_currency, True, Decimal(1)))
    return amounts


def paid_amount(state: PlentyState, order: StoredOrder, currency: str) -> Decimal:
    """What the order's linked, undeleted payments add up to, in ``currency``."""
    total = Decimal(0)
    for payment in state.payments_of_order(order.data["id"]):
        if payment["deleted"]:
            continue
        amount = payment["amount"] if payment["type"] == "credit" else -payment["amount"]
        if payment["currency"] != currency:
            amount = (
                amount
                / state.exchange_rates.get(payment["currency"], Decimal(1))
                * state.exchange_rates[currency]
            )
        total += amount
    return total
