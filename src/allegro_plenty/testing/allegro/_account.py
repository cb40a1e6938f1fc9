"""Carriers, marketplaces and the seller's account (``/me``)."""

from __future__ import annotations

import copy
from typing import Any

from .._resources import route
from .._transport import Exchange, FakeResponse
from ._data import MARKETPLACES, PROFILE_READ
from ._state import Access, Resource, ok


class Account(Resource):
    """``/order/carriers``, ``/marketplaces`` and ``/me``."""

    @route("GET", "/order/carriers", access=Access(app_token=True))
    def carriers(self, exchange: Exchange) -> FakeResponse:
        return ok({"carriers": [{"id": c, "name": n} for c, n in self.state.carriers]})

    @route("GET", "/marketplaces", access=Access(app_token=True, anonymous=True))
    def marketplaces(self, exchange: Exchange) -> FakeResponse:
        return ok({"marketplaces": copy.deepcopy(list(MARKETPLACES))})

    @route("GET", "/me", access=Access(PROFILE_READ))
    def me(self, exchange: Exchange) -> FakeResponse:
        seller = self.state.sellers[exchange.principal]
        data: dict[str, Any] = {
            "id": seller.id,
            "login": seller.login,
            "firstName": seller.first_name,
            "lastName": seller.last_name,
            "email": seller.email,
            "baseMarketplace": {"id": seller.base_marketplace},
            "features": list(seller.features),
        }
        if seller.company_name is not None:
            data["company"] = {"name": seller.company_name, "taxId": None}
        return ok(data)
