"""Reference data: countries, VAT configurations, currencies and exchange rates."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from .._resources import route
from .._transport import Exchange, FakeResponse, Refusal
from ._data import PAGING
from ._model import integer_value, iso
from ._state import Resource, ok, page


class ReferenceData(Resource):
    """Countries, ``/rest/vat`` and ``/rest/orders/currencies``."""

    def country_id(self, iso_code: str) -> int:
        """See :meth:`FakePlenty.country_id`."""
        for country in self.state.countries:
            if country["isoCode2"] == iso_code.upper():
                return int(country["id"])
        raise KeyError(f"no country {iso_code!r} in this FakePlenty")

    def add_vat_configuration(
        self, country_id: int, rates: Sequence[str | Decimal], *, standard: bool = False
    ) -> int:
        """See :meth:`FakePlenty.add_vat_configuration`."""
        vat_id = len(self.state.vats) + 1
        started = iso(datetime(2020, 1, 1, tzinfo=self.state.clock.now().tzinfo))
        self.state.vats.append(
            {
                "id": vat_id,
                "countryId": country_id,
                "taxIdNumber": "",
                "startedAt": started,
                "locationId": 1,
                "marginScheme": "none",
                "isRestrictedToDigitalItems": False,
                "isStandard": standard,
                "createdAt": started,
                "updatedAt": started,
                "isActive": True,
                "vatRates": [
                    {
                        "id": field,
                        "vatRate": Decimal(str(rate)),
                        "name": "ABCD"[field],
                        "revenueAccount": "",
                    }
                    for field, rate in enumerate(rates)
                ],
            }
        )
        return vat_id

    def vat_configuration_id(self, iso_code: str) -> int:
        """See :meth:`FakePlenty.vat_configuration_id`."""
        country = self.country_id(iso_code)
        return next(int(v["id"]) for v in self.state.vats if v["countryId"] == country)

    @route("GET", "/rest/orders/shipping/countries", query=("active", "with"))
    def countries(self, exchange: Exchange) -> FakeResponse:
        return ok(copy.deepcopy(self.state.countries))

    @route("GET", "/rest/vat", query=(*PAGING, "with", "columns"))
    def vat_configurations(self, exchange: Exchange) -> FakeResponse:
        return page(exchange, copy.deepcopy(self.state.vats))

    @route("GET", "/rest/vat/standard", query=("plentyId", "startedAt"))
    def standard_vat(self, exchange: Exchange) -> FakeResponse:
        plenty_id = exchange.param("plentyId")
        if plenty_id is not None and integer_value(plenty_id, "plentyId") != self.state.plenty_id:
            raise Refusal(404, "404", f"No client {plenty_id}")
        return ok(copy.deepcopy(next(v for v in self.state.vats if v["isStandard"])))

    @route("GET", "/rest/orders/currencies", query=("columns", "with"))
    def currencies(self, exchange: Exchange) -> FakeResponse:
        signs = {"PLN": "zł", "EUR": "€", "CZK": "Kč", "HUF": "Ft"}
        return ok(
            [
                {
                    "currency": code,
                    "htmlCode": signs.get(code, code),
                    "unicodeSign": signs.get(code, code),
                    "isActive": True,
                    "isErasable": code != self.state.system_currency,
                    "exchangeRate": rate,
                }
                for code, rate in self.state.exchange_rates.items()
            ]
        )

    @route("GET", "/rest/orders/currencies/{currencyIso}/exchangeRate")
    def exchange_rate(self, exchange: Exchange) -> FakeResponse:
        code = exchange.path_params["currencyIso"].upper()
        if code not in self.state.exchange_rates:
            raise Refusal(404, "404", f"Unknown currency {code}")
        return ok({"exchangeRate": self.state.exchange_rates[code]})
