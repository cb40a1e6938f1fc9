"""Reference data of the system: countries, VAT configurations, currencies."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import attrs

__all__ = [
    "Country",
    "Currency",
    "VatConfiguration",
    "VatRate",
]


@attrs.define
class Country:
    """A shipping country; ``id`` is what addresses carry as ``countryId``."""

    id: int
    iso_code2: str
    iso_code3: str | None = None
    name: str | None = None
    lang: str | None = None
    active: int | None = None
    shipping_destination_id: int | None = None
    storehouse_id: int | None = None
    is_country_state_mandatory: bool | None = None


@attrs.define
class VatRate:
    """One of a VAT configuration's rate fields (``id`` is the ``vatField``, 0–3)."""

    id: int
    vat_rate: Decimal
    name: str | None = None
    revenue_account: str | None = None


@attrs.define
class VatConfiguration:
    """A VAT configuration of one country and accounting location (``countryVatId``)."""

    id: int
    country_id: int
    location_id: int | None = None
    tax_id_number: str | None = None
    started_at: datetime | None = None
    invalid_from: datetime | None = None
    margin_scheme: str | None = None
    is_restricted_to_digital_items: bool | None = None
    is_standard: bool | None = None
    is_active: bool | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    vat_rates: tuple[VatRate, ...] = ()

    def rate(self, vat_field: int) -> Decimal | None:
        """The rate of ``vat_field`` in percent, if the configuration has it."""
        return next((r.vat_rate for r in self.vat_rates if r.id == vat_field), None)


@attrs.define
class Currency:
    """A currency of the system; ``exchange_rate`` is relative to the system currency."""

    currency: str
    exchange_rate: Decimal | None = None
    is_active: bool | None = None
    is_erasable: bool | None = None
    html_code: str | None = None
    unicode_sign: str | None = None
