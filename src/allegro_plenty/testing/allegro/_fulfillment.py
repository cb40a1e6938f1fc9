"""The fulfillment status: a stale revision is a 409, and an order takes 100 changes."""

from __future__ import annotations

from .._resources import route
from .._transport import Exchange, FakeResponse, Refusal
from ._data import FULFILLMENT_STATUSES, ORDERS_WRITE
from ._state import Access, Resource


class Fulfillment(Resource):
    """``/order/checkout-forms/{id}/fulfillment``."""

    @route(
        "PUT",
        "/order/checkout-forms/{id}/fulfillment",
        query=("checkoutForm.revision",),
        body={"status": None},
        access=Access(ORDERS_WRITE),
    )
    def set_status(self, exchange: Exchange) -> FakeResponse:
        stored = self.state.own_form(exchange)
        revision = exchange.param("checkoutForm.revision")
        if revision is not None and revision != stored.data.get("revision"):
            raise Refusal(
                409,
                "CONFLICT",
                "Conflict. Provided revision is outdated.",
                path="checkoutForm.revision",
            )
        body = exchange.json() or {}
        status = body.get("status")
        if status not in FULFILLMENT_STATUSES:
            raise Refusal(
                422, "VALIDATION_ERROR", f"Invalid fulfillment status {status!r}", path="status"
            )
        failed = Refusal(
            422,
            "SellerOrdersStoreUnprocessableEntityException",
            f"Failed to set status {status} on order {stored.data['id']}.",
        )
        # RETURNED is Allegro's to set (spec); past the per-order limit every call
        # fails for good (allegro-api #11908).
        if (
            status == "RETURNED"
            or stored.fulfillment_changes >= self.state.fulfillment_change_limit
        ):
            raise failed
        stored.fulfillment_changes += 1
        changed = stored.data["fulfillment"].get("status") != status
        stored.data["fulfillment"]["status"] = status
        self.state.bump(stored, revision=False)
        if changed:
            self.state.emit(stored, "FULFILLMENT_STATUS_CHANGED", self.state.clock.now())
        return FakeResponse(204)
