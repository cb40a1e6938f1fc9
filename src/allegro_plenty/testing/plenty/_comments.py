"""Order comments (HTML kept as sent)."""

from __future__ import annotations

import copy

from .._resources import route
from .._transport import Exchange, FakeResponse, Refusal
from ._data import COMMENT_BODY
from ._model import integer_value, iso
from ._state import Resource, ok


class Comments(Resource):
    """``/rest/comments``."""

    @route("POST", "/rest/comments", body=COMMENT_BODY)
    def create_comment(self, exchange: Exchange) -> FakeResponse:
        body = exchange.json() or {}
        for field in ("referenceType", "referenceValue", "text", "isVisibleForContact"):
            if body.get(field) is None:
                raise Refusal(422, "422", f"{field} is required", path=field)
        if body["referenceType"] != "order":
            raise Refusal(422, "422", "the fake stores order comments only", path="referenceType")
        order = self.state.order_or_404(integer_value(body["referenceValue"], "referenceValue"))
        now = iso(self.state.clock.now())
        comment = {
            "id": self.state.next_id("comment"),
            "referenceType": "order",
            "referenceValue": order.data["id"],
            "text": str(body["text"]),
            "userId": integer_value(body.get("userId", 1), "userId"),
            "isVisibleForContact": bool(body["isVisibleForContact"]),
            "createdAt": now,
            "updatedAt": now,
        }
        self.state.comments.append(comment)
        return ok(copy.deepcopy(comment))

    @route("GET", "/rest/comments/{referenceType}/{referenceValue}")
    def comments_of(self, exchange: Exchange) -> FakeResponse:
        kind = exchange.path_params["referenceType"]
        value = integer_value(exchange.path_params["referenceValue"], "referenceValue")
        return ok(
            [
                copy.deepcopy(c)
                for c in self.state.comments
                if c["referenceType"] == kind and c["referenceValue"] == value
            ]
        )
