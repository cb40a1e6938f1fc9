"""VAT and currency policies: configuration the mapper applies, never decides.

The mapper does not work out tax treatment. :class:`VatPolicy` says which
plentymarkets VAT configuration (``countryVatId``) and which of its VAT fields
(``vatField``, 0–3) each item gets; :class:`CurrencyPolicy` says how an order
in a currency other than the plentymarkets system currency is labelled. Both
are pure: every input arrives as an argument.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import attrs

from ..plenty.models import OrderItemAmount, VatConfiguration

__all__ = [
    "CurrencyPolicy",
    "ShippingVat",
    "UnmatchedTaxRate",
    "VatBasis",
    "VatChoice",
    "VatPolicy",
]

_COUNTRY = re.compile(r"^[A-Z]{2}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
VAT_FIELDS = (0, 1, 2, 3)
"""plentymarkets VAT configurations have four rate fields, numbered 0 to 3."""


def _frozen_mapping(value: Mapping[object, object]) -> Mapping[object, object]:
    return MappingProxyType(dict(value))


def _country(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not _COUNTRY.match(value):
        raise ValueError(f"{attribute.name} must be an ISO 3166 alpha-2 code, got {value!r}")


def _vat_field(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and value not in VAT_FIELDS:
        raise ValueError(f"{attribute.name} must be a VAT field 0..3, got {value!r}")


class VatBasis(enum.Enum):
    """Whose VAT configuration applies."""

    ORIGIN = "origin"
    """The seller's country (:attr:`VatPolicy.origin_country`) for every order."""
    DESTINATION = "destination"
    """The destination country (EU One-Stop-Shop): delivery country, else billing country."""


class ShippingVat(enum.Enum):
    """How the shipping-cost item gets its VAT field."""

    HIGHEST_ITEM_RATE = "highest_item_rate"
    """The highest rate among the order's goods (the usual reading of "shipping
    follows the principal supply" when goods carry several rates)."""
    COUNTRY_DEFAULT = "country_default"
    """The country's default field, whatever the goods carry."""


class UnmatchedTaxRate(enum.Enum):
    """What to do when ``lineItems[].tax.rate`` is not a rate of the VAT configuration."""

    REFUSE = "refuse"
    """Raise :class:`~allegro_plenty.errors.MappingError`: a wrong rate is a wrong invoice."""
    USE_DEFAULT = "use_default"
    """Use the country's default field and report a warning."""


@attrs.frozen
class VatChoice:
    """The VAT an item gets: which configuration, which field, and that field's rate."""

    country_vat_id: int
    vat_field: int
    rate: Decimal


@attrs.frozen(kw_only=True)
class VatPolicy:
    """Which VAT configuration and field apply to items and to shipping.

    Attributes:
        basis: Origin (the seller's country) or destination (OSS).
        origin_country: The seller's country, used with :attr:`VatBasis.ORIGIN`.
        default_fields: Default VAT field per country (``{"PL": 0, "CZ": 0}``).
        default_field: The default field for countries not in ``default_fields``.
        match_tax_rate: Use ``lineItems[].tax.rate``, where Allegro sends one, to
            pick the field whose rate equals it.
        unmatched_rate: What to do when that rate is in no field.
        shipping: How the shipping item gets its field.
        deposit_field: The field for deposit (kaucja) items; ``None`` gives them
            their line's field. Polish deposits in the return system are outside
            VAT; a seller who books them at 0 % names that field here.
    """

    basis: VatBasis = VatBasis.ORIGIN
    origin_country: str = attrs.field(default="PL", validator=_country)
    default_fields: Mapping[str, int] = attrs.field(
        factory=dict,
        converter=_frozen_mapping,
    )
    default_field: int = attrs.field(default=0, validator=_vat_field)
    match_tax_rate: bool = True
    unmatched_rate: UnmatchedTaxRate = UnmatchedTaxRate.REFUSE
    shipping: ShippingVat = ShippingVat.HIGHEST_ITEM_RATE
    deposit_field: int | None = attrs.field(default=None, validator=_vat_field)

    @default_fields.validator
    def _check_default_fields(self, _: object, value: Mapping[str, int]) -> None:
        for country, field in value.items():
            if not isinstance(country, str) or not _COUNTRY.match(country):
                raise ValueError(f"default_fields keys must be ISO alpha-2 codes, got {country!r}")
            if field not in VAT_FIELDS:
                raise ValueError(f"default_fields[{country!r}] must be 0..3, got {field!r}")

    def country(self, destination: str) -> str:
        """The country whose VAT configuration applies to an order going to ``destination``."""
        return destination if self.basis is VatBasis.DESTINATION else self.origin_country

    def default(self, configuration: VatConfiguration, country: str) -> VatChoice | None:
        """The country's default field, or ``None`` when the configuration lacks it."""
        field = self.default_fields.get(country, self.default_field)
        rate = configuration.rate(field)
        return None if rate is None else VatChoice(configuration.id, field, rate)

    def for_rate(self, configuration: VatConfiguration, rate: Decimal) -> VatChoice | None:
        """The field whose rate equals ``rate`` (lowest field number first), if any."""
        for field in sorted(configuration.vat_rates, key=lambda f: f.id):
            if field.vat_rate == rate:
                return VatChoice(configuration.id, field.id, rate)
        return None

    def for_shipping(
        self, configuration: VatConfiguration, country: str, goods: Iterable[VatChoice]
    ) -> VatChoice | None:
        """The shipping item's VAT, given the choices made for the goods."""
        if self.shipping is ShippingVat.HIGHEST_ITEM_RATE:
            # Ties go to the lower field number so the choice never depends on item order.
            best = max(goods, key=lambda c: (c.rate, -c.vat_field), default=None)
            if best is not None:
                return best
        return self.default(configuration, country)

    def for_deposit(self, configuration: VatConfiguration, line: VatChoice) -> VatChoice | None:
        """A deposit item's VAT: :attr:`deposit_field`, or its line's choice."""
        if self.deposit_field is None:
            return line
        rate = configuration.rate(self.deposit_field)
        if rate is None:
            return None
        return VatChoice(configuration.id, self.deposit_field, rate)


@attrs.frozen(kw_only=True)
class CurrencyPolicy:
    """How amounts in the order's currency are labelled for plentymarkets.

    Amounts are never converted by the mapper: items and payments stay in the
    Allegro order's currency, flagged ``isSystemCurrency=false`` with the
    exchange rate the importer hands in (``MappingContext.exchange_rates``), and
    plentymarkets derives the system-currency figures itself. An order already
    in the system currency gets ``isSystemCurrency=true`` and rate 1.

    The rate follows plentymarkets' currency table: units of the order currency
    per one unit of the system currency (system EUR: ``PLN ≈ 4.3``). The facts
    mark the direction "verify on a sandbox"; this is the one place that
    assumes it.

    Attributes:
        system_currency: The plentymarkets system currency (``EUR``).
    """

    system_currency: str = attrs.field(default="EUR")

    @system_currency.validator
    def _check_currency(self, _: object, value: str) -> None:
        if not _CURRENCY.match(value):
            raise ValueError(f"system_currency must be an ISO 4217 code, got {value!r}")

    def is_system(self, currency: str) -> bool:
        """Whether ``currency`` is the system currency."""
        return currency == self.system_currency

    def rate(self, currency: str, rates: Mapping[str, Decimal]) -> Decimal | None:
        """The exchange rate for ``currency`` (1 for the system currency), or ``None``."""
        if self.is_system(currency):
            return Decimal(1)
        rate = rates.get(currency)
        if rate is None or not rate.is_finite() or rate <= 0:
            return None
        return rate

    def amount(self, currency: str, unit_gross: Decimal, rate: Decimal) -> OrderItemAmount:
        """An item amount: the gross unit price in ``currency``, labelled for plenty."""
        return OrderItemAmount(
            currency=currency,
            price_original_gross=unit_gross,
            is_system_currency=self.is_system(currency),
            exchange_rate=rate,
        )
