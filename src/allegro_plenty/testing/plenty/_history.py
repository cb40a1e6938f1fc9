"""The status history: one entry per status change, per order and system-wide."""

from __future__ import annotations

from dateutil.parser import isoparse

from .._resources import route
from .._transport import Exchange, FakeResponse
from ._data import PAGING
from ._model import date_param, decimal_value, integer_value
from ._state import Resource, ok, page


class StatusHistory(Resource):
    """``/rest/orders/{orderId}/status-history`` and ``/rest/orders/status-history``."""

    @route("GET", "/rest/orders/{orderId}/status-history")
    def order_history(self, exchange: Exchange) -> FakeResponse:
        order = self.state.order_or_404(exchange.path_params["orderId"])
        return ok([h for h in self.state.history if h["orderId"] == order.data["id"]])

    @route(
        "GET",
        "/rest/orders/status-history",
        query=("orderId", "statusId", "createdAtFrom", "createdAtTo", "userId", *PAGING),
    )
    def history(self, exchange: Exchange) -> FakeResponse:
        request = exchange.request
        order_id, status, user = (
            request.param("orderId"),
            request.param("statusId"),
            request.param("userId"),
        )
        low = date_param(request.param("createdAtFrom"), "createdAtFrom")
        high = date_param(request.param("createdAtTo"), "createdAtTo")
        entries = [
            h
            for h in self.state.history
            if (order_id is None or h["orderId"] == integer_value(order_id, "orderId"))
            and (status is None or h["statusId"] == decimal_value(status, "statusId"))
            and (user is None or h["userId"] == integer_value(user, "userId"))
            and (low is None or isoparse(h["createdAt"]) >= low)
            and (high is None or isoparse(h["createdAt"]) <= high)
        ]
        return page(exchange, entries, default_size=25)
