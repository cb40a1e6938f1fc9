"""Checkout forms: the list with every filter and sort, one form, and what buyers do to them."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from .._resources import route
from .._transport import Exchange, FakeResponse, Refusal
from ._data import (
    ADDRESS_FROZEN,
    CHECKOUT_FORM_STATUSES,
    FULFILLMENT_STATUSES,
    OFFSET_LIMIT_CAP,
    ORDERS_READ,
    SORTS,
    StoredForm,
    bought_at,
    date_param,
    int_param,
    iso,
    money,
    sort_key,
    updated_at,
    within,
)
from ._state import Access, Resource, ok


class CheckoutForms(Resource):
    """``/order/checkout-forms`` and ``/order/checkout-forms/{id}``."""

    def add_checkout_form(
        self,
        form: Mapping[str, Any],
        *,
        seller_id: str | None = None,
        emit_events: bool = True,
        occurred_at: datetime | None = None,
    ) -> str:
        """See :meth:`FakeAllegro.add_checkout_form`."""
        seller = self.state.seller(seller_id)
        data = copy.deepcopy(dict(form))
        form_id = str(data.get("id") or uuid.UUID(int=self.state.rng.getrandbits(128)))
        if form_id in self.state.forms:
            raise ValueError(f"checkout form {form_id} exists already")
        data["id"] = form_id
        fulfillment = data.setdefault("fulfillment", {})
        fulfillment.setdefault("status", "NEW")
        fulfillment.setdefault("shipmentSummary", {"lineItemsSent": "NONE"})
        fulfillment.setdefault("provider", {"id": "SELLER"})
        data.setdefault("surcharges", [])
        stored = StoredForm(data, seller.id)
        self.state.forms[form_id] = stored
        self.state.bump(stored, revision=True)
        if emit_events:
            when = occurred_at or self.state.clock.now()
            status = data.get("status")
            path = {
                "BOUGHT": ("BOUGHT",),
                "FILLED_IN": ("BOUGHT", "FILLED_IN"),
                "READY_FOR_PROCESSING": ("BOUGHT", "FILLED_IN", "READY_FOR_PROCESSING"),
                "CANCELLED": ("BOUGHT", "BUYER_CANCELLED"),
            }.get(str(status), ())
            for kind in path:
                self.state.emit(stored, kind, when)
        return form_id

    def pay(self, form_id: str, *, paid_amount: Decimal | str | None = None) -> None:
        """See :meth:`FakeAllegro.pay`."""
        stored = self.state.stored(form_id)
        data = stored.data
        total = data["summary"]["totalToPay"]
        payment = data.setdefault(
            "payment", {"id": str(uuid.UUID(int=self.state.rng.getrandbits(128))), "type": "ONLINE"}
        )
        if payment.get("type") != "CASH_ON_DELIVERY":
            amount = (
                Decimal(str(paid_amount)) if paid_amount is not None else Decimal(total["amount"])
            )
            payment["paidAmount"] = money(amount, total["currency"])
        payment["finishedAt"] = iso(self.state.clock.now())
        data["status"] = "READY_FOR_PROCESSING"
        self.state.bump(stored, revision=True)
        self.state.emit(stored, "READY_FOR_PROCESSING", self.state.clock.now())

    def add_surcharge(
        self, form_id: str, amount: Decimal | str, *, surcharge_id: str | None = None
    ) -> str:
        """See :meth:`FakeAllegro.add_surcharge`."""
        stored = self.state.stored(form_id)
        data = stored.data
        total = data["summary"]["totalToPay"]
        value = Decimal(str(amount))
        delivery = data.get("delivery")
        if not delivery:
            raise ValueError(f"form {form_id} has no delivery for a surcharge to pay for")
        cost = Decimal(delivery["cost"]["amount"]) if delivery.get("cost") else Decimal(0)
        delivery["cost"] = money(cost + value, total["currency"])
        sid = surcharge_id or str(uuid.UUID(int=self.state.rng.getrandbits(128)))
        data["surcharges"].append(
            {
                "id": sid,
                "type": "ONLINE",
                "provider": "P24",
                "finishedAt": iso(self.state.clock.now()),
                "paidAmount": money(value, total["currency"]),
            }
        )
        total["amount"] = money(Decimal(total["amount"]) + value, total["currency"])["amount"]
        self.state.bump(stored, revision=True)
        self.state.emit(stored, "READY_FOR_PROCESSING", self.state.clock.now())
        return sid

    def modify_delivery_address(self, form_id: str, **changes: Any) -> None:
        """See :meth:`FakeAllegro.modify_delivery_address`."""
        stored = self.state.stored(form_id)
        status = stored.data["fulfillment"]["status"]
        if status in ADDRESS_FROZEN or stored.shipments:
            raise ValueError(
                f"a buyer cannot edit the address of an order in {status} or with a waybill"
            )
        address = stored.data.setdefault("delivery", {}).setdefault("address", {})
        address.update(changes)
        address["modifiedAt"] = iso(self.state.clock.now())
        self.state.bump(stored, revision=True)
        self.state.emit(stored, "BUYER_MODIFIED", self.state.clock.now())

    def cancel(self, form_id: str, *, by_allegro: bool = False) -> None:
        """See :meth:`FakeAllegro.cancel`."""
        stored = self.state.stored(form_id)
        stored.data["status"] = "CANCELLED"
        self.state.bump(stored, revision=True)
        self.state.emit(
            stored, "AUTO_CANCELLED" if by_allegro else "BUYER_CANCELLED", self.state.clock.now()
        )

    def merge(self, form_ids: Sequence[str]) -> str:
        """See :meth:`FakeAllegro.merge`."""
        parts = [self.state.stored(i) for i in form_ids]
        if len(parts) < 2 or any(
            p.data["status"] in ("READY_FOR_PROCESSING", "CANCELLED") for p in parts
        ):
            raise ValueError("only two or more unpaid checkout forms can be merged")
        merged = copy.deepcopy(parts[0].data)
        merged.pop("id")
        merged.pop("revision", None)
        merged["lineItems"] = [item for p in parts for item in copy.deepcopy(p.data["lineItems"])]
        currency = merged["summary"]["totalToPay"]["currency"]
        total = sum((Decimal(p.data["summary"]["totalToPay"]["amount"]) for p in parts), Decimal(0))
        merged["summary"]["totalToPay"] = money(total, currency)
        for part in parts:
            part.gone = True
        return self.add_checkout_form(merged, seller_id=parts[0].seller_id)

    @route(
        "GET",
        "/order/checkout-forms",
        query=(
            "offset",
            "limit",
            "status",
            "fulfillment.status",
            "fulfillment.provider.id",
            "fulfillment.shipmentSummary.lineItemsSent",
            "lineItems.boughtAt.lte",
            "lineItems.boughtAt.gte",
            "payment.id",
            "surcharges.id",
            "delivery.method.id",
            "buyer.login",
            "marketplace.id",
            "updatedAt.lte",
            "updatedAt.gte",
            "sort",
        ),
        access=Access(ORDERS_READ),
    )
    def list_forms(self, exchange: Exchange) -> FakeResponse:
        request = exchange.request
        offset = int_param(request.param("offset"), "offset", 0, minimum=0)
        limit = int_param(request.param("limit"), "limit", 100, minimum=1, maximum=100)
        if offset + limit > OFFSET_LIMIT_CAP:
            raise Refusal(
                422,
                "VALIDATION_ERROR",
                "Offset and limit parameters exceed maximal result size of "
                f"{OFFSET_LIMIT_CAP} items",
                path="offset",
            )
        filters: list[tuple[str, tuple[str, ...], Any]] = []
        for name, allowed in (
            ("status", CHECKOUT_FORM_STATUSES),
            ("fulfillment.status", FULFILLMENT_STATUSES),
            ("fulfillment.provider.id", ("SELLER", "ALLEGRO")),
            ("fulfillment.shipmentSummary.lineItemsSent", ("NONE", "SOME", "ALL")),
        ):
            values = request.params(name)
            for value in values:
                if value not in allowed:
                    raise Refusal(
                        400, "VALIDATION_ERROR", f"Invalid value {value!r} of {name}", path=name
                    )
            if values:
                filters.append((name, tuple(values), None))
        for name in (
            "payment.id",
            "surcharges.id",
            "delivery.method.id",
            "buyer.login",
            "marketplace.id",
        ):
            values = request.params(name)
            if values:
                filters.append((name, tuple(values), None))
        bounds = {
            name: date_param(request.param(name), name)
            for name in (
                "lineItems.boughtAt.lte",
                "lineItems.boughtAt.gte",
                "updatedAt.lte",
                "updatedAt.gte",
            )
        }
        sort = request.param("sort") or "-lineItems.boughtAt"
        if sort not in SORTS:
            raise Refusal(400, "VALIDATION_ERROR", f"Invalid sort {sort!r}", path="sort")

        def value_of(form: dict[str, Any], name: str) -> set[str]:
            if name == "status":
                return {form.get("status", "")}
            fulfillment = form.get("fulfillment") or {}
            if name == "fulfillment.status":
                return {fulfillment.get("status", "")}
            if name == "fulfillment.provider.id":
                return {(fulfillment.get("provider") or {}).get("id") or "SELLER"}
            if name == "fulfillment.shipmentSummary.lineItemsSent":
                return {(fulfillment.get("shipmentSummary") or {}).get("lineItemsSent") or "NONE"}
            if name == "payment.id":
                return {(form.get("payment") or {}).get("id", "")}
            if name == "surcharges.id":
                return {s.get("id", "") for s in form.get("surcharges") or []}
            if name == "delivery.method.id":
                return {((form.get("delivery") or {}).get("method") or {}).get("id", "")}
            if name == "buyer.login":
                return {(form.get("buyer") or {}).get("login", "")}
            return {(form.get("marketplace") or {}).get("id", "")}

        def keep(form: dict[str, Any]) -> bool:
            if any(not value_of(form, name) & set(values) for name, values, _ in filters):
                return False
            return within(
                bought_at(form), bounds["lineItems.boughtAt.gte"], bounds["lineItems.boughtAt.lte"]
            ) and within(updated_at(form), bounds["updatedAt.gte"], bounds["updatedAt.lte"])

        matches = [
            f.data
            for f in self.state.forms.values()
            if f.seller_id == exchange.principal and not f.gone and keep(f.data)
        ]
        key = sort.lstrip("-")
        matches.sort(key=lambda f: (sort_key(f, key), f["id"]), reverse=sort.startswith("-"))
        page = matches[offset : offset + limit]
        return ok(
            {"checkoutForms": copy.deepcopy(page), "count": len(page), "totalCount": len(matches)}
        )

    @route("GET", "/order/checkout-forms/{id}", access=Access(ORDERS_READ))
    def get_form(self, exchange: Exchange) -> FakeResponse:
        return ok(copy.deepcopy(self.state.own_form(exchange).data))
