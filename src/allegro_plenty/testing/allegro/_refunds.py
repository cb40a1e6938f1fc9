"""Refunds: idempotent by ``commandId``, never more than the buyer paid.

A refund that ended ``CANCELED`` or ``VALIDATE_FAILED`` returned nothing, so it
does not count against what may still be refunded.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from dateutil.parser import isoparse

from .._resources import route
from .._transport import Exchange, FakeResponse, Refusal
from ._data import (
    PAYMENTS_READ,
    PAYMENTS_WRITE,
    REFUND_BODY,
    REFUND_REASONS,
    StoredRefund,
    date_param,
    decimal_value,
    int_param,
    is_uuid,
    iso,
    money,
)
from ._state import Access, Resource, ok


class Refunds(Resource):
    """``/payments/refunds``."""

    @route("POST", "/payments/refunds", body=REFUND_BODY, access=Access(PAYMENTS_WRITE))
    def create_refund(self, exchange: Exchange) -> FakeResponse:
        body = exchange.json() or {}
        for field in ("payment", "order", "commandId", "reason"):
            if body.get(field) in (None, "", {}):
                raise Refusal(422, "VALIDATION_ERROR", f"{field} is required", path=field)
        command_id = body["commandId"]
        if not is_uuid(command_id):
            raise Refusal(422, "VALIDATION_ERROR", "commandId must be a UUID", path="commandId")
        for earlier in self.state.refunds:
            if earlier.command_id == command_id and earlier.seller_id == exchange.principal:
                if earlier.request != body:
                    raise Refusal(
                        422,
                        "VALIDATION_ERROR",
                        f"commandId {command_id} was already used with a different request",
                        path="commandId",
                    )
                return ok(copy.deepcopy(earlier.data))
        if body["reason"] not in REFUND_REASONS:
            raise Refusal(
                422, "VALIDATION_ERROR", f"Invalid reason {body['reason']!r}", path="reason"
            )
        order_id = (body.get("order") or {}).get("id")
        stored = self.state.forms.get(str(order_id))
        if stored is None or stored.gone or stored.seller_id != exchange.principal:
            raise Refusal(
                404, "CheckoutFormNotFoundException", f"Checkout form {order_id} not found"
            )
        form = stored.data
        payment = form.get("payment") or {}
        if (body.get("payment") or {}).get("id") != payment.get("id"):
            raise Refusal(
                422,
                "VALIDATION_ERROR",
                "payment.id is not the payment of this order",
                path="payment.id",
            )
        market = (form.get("marketplace") or {}).get("id", "allegro-pl")
        if payment.get("type") == "CASH_ON_DELIVERY" and market == "allegro-pl":
            # allegro-api #11207.
            raise Refusal(
                400,
                "COD_MARKETPLACE_NOT_SUPPORTED",
                "POD refunds are not supported for this marketplace.",
            )
        currency = form["summary"]["totalToPay"]["currency"]
        total = self._refund_total(body, form, currency)
        if total <= 0:
            raise Refusal(422, "VALIDATION_ERROR", "Nothing to refund", path="lineItems")
        refunded = sum(
            (Decimal(r.data["totalValue"]["amount"]) for r in self._counted(form["id"])),
            Decimal(0),
        )
        if refunded + total > Decimal(form["summary"]["totalToPay"]["amount"]):
            raise Refusal(422, "VALIDATION_ERROR", "The refund exceeds what the buyer paid")
        data: dict[str, Any] = {
            "id": str(uuid.UUID(int=self.state.rng.getrandbits(128), version=4)),
            "payment": {"id": payment["id"]},
            "order": {"id": form["id"]},
            "reason": body["reason"],
            "status": self.state.refund_status,
            "createdAt": iso(self.state.clock.now()),
            "totalValue": money(total, currency),
        }
        for key in (
            "lineItems",
            "deposits",
            "delivery",
            "overpaid",
            "surcharges",
            "additionalServices",
            "sellerComment",
        ):
            if key in body:
                data[key] = copy.deepcopy(body[key])
        self.state.refunds.append(
            StoredRefund(data, exchange.principal, command_id, copy.deepcopy(body))
        )
        return ok(copy.deepcopy(data))

    def _counted(self, form_id: str) -> list[StoredRefund]:
        """The form's refunds that returned (or will return) money."""
        return [
            r
            for r in self.state.refunds
            if r.data["order"]["id"] == form_id
            and r.data["status"] not in ("CANCELED", "VALIDATE_FAILED")
        ]

    def _refund_total(
        self, body: Mapping[str, Any], form: Mapping[str, Any], currency: str
    ) -> Decimal:
        items = {item["id"]: item for item in form.get("lineItems", [])}
        already: dict[str, Decimal] = {}
        for refund in self._counted(form["id"]):
            for line in refund.data.get("lineItems", []):
                if line.get("type") == "QUANTITY":
                    already[line["id"]] = already.get(line["id"], Decimal(0)) + decimal_value(
                        line.get("quantity"), "quantity"
                    )
        total = Decimal(0)

        def money(value: Any, where: str) -> Decimal:
            if not isinstance(value, Mapping):
                raise Refusal(
                    422, "VALIDATION_ERROR", f"{where} needs amount and currency", path=where
                )
            if value.get("currency") != currency:
                raise Refusal(
                    422, "VALIDATION_ERROR", f"{where}.currency must be {currency}", path=where
                )
            amount = decimal_value(value.get("amount"), f"{where}.amount")
            if amount < 0:
                raise Refusal(422, "VALIDATION_ERROR", f"{where}.amount is negative", path=where)
            _, digits, exponent = amount.as_tuple()
            beyond_cents = -int(exponent) - 2
            if beyond_cents > 0 and any(digits[-beyond_cents:]):
                # allegro-api #12680: "50.410000000000004" is refused.
                raise Refusal(
                    422,
                    "VALIDATION_ERROR",
                    f"{where}.amount may have at most two decimals",
                    path=f"{where}.amount",
                )
            return amount

        for i, line in enumerate(body.get("lineItems") or []):
            item = items.get(line.get("id"))
            if item is None:
                raise Refusal(
                    422,
                    "VALIDATION_ERROR",
                    f"Line item {line.get('id')} is not in the order",
                    path=f"lineItems[{i}].id",
                )
            if line.get("type") == "QUANTITY":
                quantity = decimal_value(line.get("quantity"), f"lineItems[{i}].quantity")
                if quantity <= 0 or quantity + already.get(item["id"], Decimal(0)) > Decimal(
                    item["quantity"]
                ):
                    raise Refusal(
                        422,
                        "VALIDATION_ERROR",
                        "More items refunded than bought",
                        path=f"lineItems[{i}].quantity",
                    )
                total += Decimal(item["price"]["amount"]) * quantity
            elif line.get("type") == "AMOUNT":
                total += money(line.get("value"), f"lineItems[{i}].value")
            else:
                raise Refusal(
                    422,
                    "VALIDATION_ERROR",
                    "type must be QUANTITY or AMOUNT",
                    path=f"lineItems[{i}].type",
                )
        for i, deposit in enumerate(body.get("deposits") or []):
            if deposit.get("lineItemId") not in items:
                raise Refusal(
                    422,
                    "VALIDATION_ERROR",
                    "Deposit of a line item not in the order",
                    path=f"deposits[{i}]",
                )
            total += money(deposit.get("totalValue"), f"deposits[{i}].totalValue")
        for key in ("delivery", "overpaid", "additionalServices"):
            if key in body:
                total += money((body[key] or {}).get("value"), f"{key}.value")
        surcharge_ids = {s.get("id") for s in form.get("surcharges") or []}
        for i, surcharge in enumerate(body.get("surcharges") or []):
            if surcharge.get("id") not in surcharge_ids:
                raise Refusal(
                    422, "VALIDATION_ERROR", "Unknown surcharge", path=f"surcharges[{i}].id"
                )
            total += money(surcharge.get("value"), f"surcharges[{i}].value")
        return total

    @route(
        "GET",
        "/payments/refunds",
        query=(
            "limit",
            "offset",
            "id",
            "payment.id",
            "order.id",
            "occurredAt.gte",
            "occurredAt.lte",
            "status",
        ),
        access=Access(PAYMENTS_READ),
    )
    def list_refunds(self, exchange: Exchange) -> FakeResponse:
        request = exchange.request
        limit = int_param(request.param("limit"), "limit", 50, minimum=1, maximum=100)
        offset = int_param(request.param("offset"), "offset", 0, minimum=0)
        statuses = set(request.params("status"))
        low = date_param(request.param("occurredAt.gte"), "occurredAt.gte")
        high = date_param(request.param("occurredAt.lte"), "occurredAt.lte")

        def keep(refund: StoredRefund) -> bool:
            data = refund.data
            created = isoparse(data["createdAt"])
            return (
                refund.seller_id == exchange.principal
                and (request.param("id") is None or data["id"] == request.param("id"))
                and (
                    request.param("payment.id") is None
                    or data["payment"]["id"] == request.param("payment.id")
                )
                and (
                    request.param("order.id") is None
                    or data["order"]["id"] == request.param("order.id")
                )
                and (not statuses or data["status"] in statuses)
                and (low is None or created >= low)
                and (high is None or created <= high)
            )

        matches = [copy.deepcopy(r.data) for r in self.state.refunds if keep(r)]
        page = matches[offset : offset + limit]
        return ok({"refunds": page, "count": len(page), "totalCount": len(matches)})
