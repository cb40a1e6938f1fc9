"""Referrers (order channels, sub-referrers ``parent.NN``) and order property types."""

from __future__ import annotations

import copy
from decimal import ROUND_FLOOR, Decimal

from .._resources import route
from .._transport import Exchange, FakeResponse, Refusal
from ._data import ORDER_PROPERTY_TYPES, REFERRER_BODY
from ._model import decimal_value, integer_value
from ._state import Resource, ok


class Referrers(Resource):
    """``/rest/orders/referrers`` and ``/rest/orders/properties/types``."""

    def add_referrer(
        self, backend_name: str, *, referrer_id: Decimal | str | None = None, origin: str = "test"
    ) -> Decimal:
        """See :meth:`FakePlenty.add_referrer`."""
        rid = Decimal(str(referrer_id)) if referrer_id is not None else self._next_main_id()
        self.state.referrers[rid] = {
            "id": rid,
            "isEditable": True,
            "backendName": backend_name,
            "name": backend_name,
            "orderOwnerId": 0,
            "isFilterable": True,
            "origin": origin,
            "showInLeads": False,
        }
        return rid

    @route("GET", "/rest/orders/referrers", query=("columns",))
    def list_referrers(self, exchange: Exchange) -> FakeResponse:
        return ok([copy.deepcopy(r) for _, r in sorted(self.state.referrers.items())])

    @route("POST", "/rest/orders/referrers", body=REFERRER_BODY)
    @route("POST", "/rest/orders/referrers/{parentReferrerId}", body=REFERRER_BODY)
    def create_referrer(self, exchange: Exchange) -> FakeResponse:
        body = exchange.json() or {}
        backend_name = body.get("backendName")
        if not isinstance(backend_name, str) or not backend_name.strip():
            raise Refusal(422, "422", "backendName is required", path="backendName")
        parent_raw = exchange.path_params.get("parentReferrerId")
        if parent_raw is not None:
            parent = decimal_value(parent_raw, "parentReferrerId")
            stored = self.state.referrers.get(parent)
            if stored is None or parent != parent.to_integral_value():
                raise Refusal(
                    422,
                    "422",
                    f"parent referrer {parent_raw} is not a main referrer",
                    path="parentReferrerId",
                )
            if stored["origin"] == "plenty":
                raise Refusal(
                    422,
                    "422",
                    f"built-in referrer {parent_raw} cannot have sub-referrers",
                    path="parentReferrerId",
                )
            subs = [
                r
                for r in self.state.referrers
                if r.to_integral_value(rounding=ROUND_FLOOR) == parent and r != parent
            ]
            referrer_id = parent + Decimal(len(subs) + 1) / 100
        elif body.get("id") is not None:
            referrer_id = decimal_value(body["id"], "id")
            if referrer_id in self.state.referrers:
                raise Refusal(422, "422", f"referrer {referrer_id} exists already", path="id")
        else:
            referrer_id = self._next_main_id()
        stored_referrer = {
            "id": referrer_id,
            "isEditable": bool(body.get("isEditable", True)),
            "backendName": backend_name,
            "name": body.get("name") or backend_name,
            "orderOwnerId": integer_value(body.get("orderOwnerId", 0), "orderOwnerId"),
            "isFilterable": bool(body.get("isFilterable", True)),
            "origin": body.get("origin") or "",
            "showInLeads": bool(body.get("showInLeads", False)),
        }
        self.state.referrers[referrer_id] = stored_referrer
        return ok(copy.deepcopy(stored_referrer))

    def _next_main_id(self) -> Decimal:
        return Decimal(max(int(r) for r in self.state.referrers) + 1)

    @route("GET", "/rest/orders/properties/types", query=("lang",))
    def property_types(self, exchange: Exchange) -> FakeResponse:
        return ok(
            [
                {
                    "id": type_id,
                    "isErasable": False,
                    "position": index,
                    "cast": cast,
                    "names": [{"id": type_id, "typeId": type_id, "lang": "en", "name": name}],
                }
                for index, (type_id, cast, name) in enumerate(ORDER_PROPERTY_TYPES)
            ]
        )
