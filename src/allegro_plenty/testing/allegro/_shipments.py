"""Shipments (waybills) of a checkout form: duplicates allowed, over-used waybills refused,
a carrier's waybill format checked where the fake is told it."""

from __future__ import annotations

import base64
import copy
import re
from collections.abc import Sequence
from typing import Any

from .._resources import route
from .._transport import Exchange, FakeResponse, Refusal
from ._data import ORDERS_READ, ORDERS_WRITE, StoredForm, iso
from ._state import Access, Resource, ok


class Shipments(Resource):
    """``/order/checkout-forms/{id}/shipments``."""

    @route("GET", "/order/checkout-forms/{id}/shipments", access=Access(ORDERS_READ))
    def list_shipments(self, exchange: Exchange) -> FakeResponse:
        return ok({"shipments": copy.deepcopy(self.state.own_form(exchange).shipments)})

    @route(
        "POST",
        "/order/checkout-forms/{id}/shipments",
        body={"carrierId": None, "waybill": None, "carrierName": None, "lineItems": [{"id": None}]},
        access=Access(ORDERS_WRITE),
    )
    def add_shipment(self, exchange: Exchange) -> FakeResponse:
        stored = self.state.own_form(exchange)
        body = exchange.json() or {}
        carrier, waybill = body.get("carrierId"), body.get("waybill")
        if not isinstance(carrier, str) or not carrier:
            raise Refusal(400, "VALIDATION_ERROR", "carrierId is required", path="carrierId")
        if not isinstance(waybill, str) or not waybill.strip() or len(waybill) > 64:
            raise Refusal(
                400, "VALIDATION_ERROR", "waybill must be 1 to 64 characters", path="waybill"
            )
        if carrier not in {c for c, _ in self.state.carriers}:
            raise Refusal(
                400,
                "CarrierWaybillValidationException",
                f"Unknown carrier {carrier}",
                path="carrierId",
            )
        pattern = self.state.waybill_formats.get(carrier)
        if pattern is not None and not re.fullmatch(pattern, waybill):
            # The answer Allegro gives, path and all (allegro-api #8422, #7673, #13719).
            raise Refusal(
                400,
                "CarrierWaybillValidationException",
                "Provided waybill is not valid for this carrier",
            )
        name = body.get("carrierName")
        if name is not None and (not isinstance(name, str) or len(name) > 30):
            raise Refusal(
                400,
                "VALIDATION_ERROR",
                "carrierName must be at most 30 characters",
                path="carrierName",
            )
        own_items = [item["id"] for item in stored.data.get("lineItems", [])]
        wanted = [entry.get("id") for entry in body.get("lineItems") or []]
        strangers = [i for i in wanted if i not in own_items]
        if strangers:
            raise Refusal(
                422,
                "VALIDATION_ERROR",
                f"Line item {strangers[0]} is not in the order",
                path="lineItems",
            )
        users = {
            f.data["id"]
            for f in self.state.forms.values()
            if any(s["waybill"] == waybill for s in f.shipments) and f is not stored
        }
        if len(users) >= self.state.max_orders_per_waybill:
            raise Refusal(409, "CONFLICT", f"Waybill {waybill} was used on too many orders")
        created = self.add(stored, carrier, waybill, name, wanted)
        stored.shipment_posts += 1
        return ok(copy.deepcopy(created), 201)

    def add(
        self,
        stored: StoredForm,
        carrier: str,
        waybill: str,
        name: str | None,
        line_items: Sequence[str],
    ) -> dict[str, Any]:
        """Record a waybill on a form (by the seller, or by Allegro or the carrier itself)."""
        own_items = [item["id"] for item in stored.data.get("lineItems", [])]
        created: dict[str, Any] = {
            # Allegro's shipment id is base64 of "carrierId:waybill" (allegro-api #2551, #3869).
            "id": base64.b64encode(f"{carrier}:{waybill}".encode()).decode(),
            "waybill": waybill,
            "carrierId": carrier,
            "lineItems": [{"id": i} for i in (line_items or own_items)],
            "createdAt": iso(self.state.clock.now()),
        }
        if carrier == "OTHER" and name:
            created["carrierName"] = name
        stored.shipments.append(created)
        sent = {entry["id"] for s in stored.shipments for entry in s["lineItems"]}
        summary = "ALL" if sent >= set(own_items) else "SOME"
        stored.data["fulfillment"]["shipmentSummary"] = {"lineItemsSent": summary}
        if (
            self.state.auto_sent_on_waybill
            and summary == "ALL"
            and stored.data["fulfillment"]["status"] != "SENT"
        ):
            stored.data["fulfillment"]["status"] = "SENT"
            self.state.emit(stored, "FULFILLMENT_STATUS_CHANGED", self.state.clock.now())
        self.state.bump(stored, revision=False)
        return created
