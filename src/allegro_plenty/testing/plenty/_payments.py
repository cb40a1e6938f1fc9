"""Payments: created with properties, found by property, linked to orders; methods of payment."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from .._resources import route
from .._transport import Exchange, FakeResponse, Refusal
from ._amounts import order_amounts
from ._data import PAGING, PAYMENT_BODY, PAYMENT_PROPERTY_TYPES
from ._model import StoredOrder, date_param, decimal_value, integer_value, iso
from ._state import PlentyState, Resource, ok


class Payments(Resource):
    """``/rest/payments``, a payment's link to an order, and ``/rest/payments/methods``."""

    @route("POST", "/rest/payments", body=PAYMENT_BODY)
    def create_payment(self, exchange: Exchange) -> FakeResponse:
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
        if mop not in {m["id"] for m in self.state.methods}:
            raise Refusal(422, "422", f"Unknown method of payment {mop}", path="mopId")
        if body["currency"] not in self.state.exchange_rates:
            raise Refusal(422, "422", f"Unknown currency {body['currency']!r}", path="currency")
        if body["type"] not in ("credit", "debit"):
            raise Refusal(422, "422", "type must be credit or debit", path="type")
        payment_id = self.state.next_id("payment")
        now = self.state.clock.now()
        received = (
            date_param(body.get("receivedAt"), "receivedAt") if body.get("receivedAt") else now
        )
        properties = []
        for i, raw in enumerate(body.get("properties") or []):
            prop = self.state.property(raw, f"properties[{i}]", owner=("paymentId", payment_id))
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
            "hash": f"{self.state.rng.getrandbits(128):032x}",
            "origin": integer_value(body.get("origin", 6), "origin"),
            "receivedAt": iso(received or now),
            "importedAt": iso(now),
            "status": integer_value(body["status"], "status"),
            "transactionType": integer_value(body["transactionType"], "transactionType"),
            "mopId": mop,
            "updateOrderPaymentStatus": bool(body.get("updateOrderPaymentStatus", False)),
            "isSystemCurrency": bool(
                body.get("isSystemCurrency", body["currency"] == self.state.system_currency)
            ),
            "properties": properties,
        }
        self.state.payments[payment_id] = payment
        return ok(render_payment(self.state, payment))

    @route("GET", "/rest/payments/property/{propertyTypeId}/{propertyValue}", query=PAGING)
    def payments_by_property(self, exchange: Exchange) -> FakeResponse:
        type_id = integer_value(exchange.path_params["propertyTypeId"], "propertyTypeId")
        value = exchange.path_params["propertyValue"]
        return ok(
            [
                render_payment(self.state, p)
                for p in self.state.payments.values()
                if any(
                    prop["typeId"] == type_id and prop["value"] == value for prop in p["properties"]
                )
            ]
        )

    @route("GET", "/rest/payments/orders/{orderId}", query=PAGING)
    def order_payments(self, exchange: Exchange) -> FakeResponse:
        order = self.state.order_or_404(exchange.path_params["orderId"])
        return ok(
            [
                render_payment(self.state, payment)
                for payment in self.state.payments_of_order(order.data["id"])
            ]
        )

    @route("POST", "/rest/payment/{paymentId}/order/{orderId}")
    def link_payment(self, exchange: Exchange) -> FakeResponse:
        payment_id = integer_value(exchange.path_params["paymentId"], "paymentId")
        payment = self.state.payments.get(payment_id)
        if payment is None:
            raise Refusal(404, "404", f"Payment {payment_id} not found")
        order = self.state.order_or_404(exchange.path_params["orderId"])
        link = self.state.payment_links.get(payment_id)
        if link is None or link["orderId"] != order.data["id"]:
            link = {
                "id": self.state.next_id("payment_link"),
                "paymentId": payment_id,
                "orderId": order.data["id"],
                "assignedAt": iso(self.state.clock.now()),
            }
            self.state.payment_links[payment_id] = link
            self.state.payment_ids_by_order.setdefault(order.data["id"], set()).add(payment_id)
            if payment["updateOrderPaymentStatus"]:
                self._update_payment_status(order)
            self.state.touch(order)
        return ok(copy.deepcopy(link))

    def _update_payment_status(self, order: StoredOrder) -> None:
        amounts = order_amounts(self.state, order)
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
        now = iso(self.state.clock.now())
        order.properties = [p for p in order.properties if p["typeId"] != 4] + [
            {
                "id": self.state.next_id("property"),
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
                    "id": self.state.next_id("date"),
                    "orderId": order.data["id"],
                    "typeId": 3,
                    "date": now,
                    "createdAt": now,
                    "updatedAt": now,
                }
            )

    @route("GET", "/rest/payments/methods", query=("backendSearchable", "backendActive"))
    def payment_methods(self, exchange: Exchange) -> FakeResponse:
        return ok(copy.deepcopy(self.state.methods))


def render_payment(state: PlentyState, payment: Mapping[str, Any]) -> dict[str, Any]:
    """A payment as the API renders it, with the order it is linked to."""
    data = copy.deepcopy(dict(payment))
    link = state.payment_links.get(payment["id"])
    if link is not None:
        data["order"] = {"orderId": link["orderId"]}
    return data
