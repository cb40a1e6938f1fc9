"""Shared set-up for the mapping tests: fixtures, the schema validator, a EUR system.

Every fixture in ``fixtures/checkout_forms/`` is one JSON document:
``{"reason": <one line>, "variations": {lineItemId: variationId}, "checkoutForm": {...}}``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import attrs

from allegro_plenty._convert import make_converter
from allegro_plenty.allegro.models import CheckoutForm
from allegro_plenty.mapping import (
    CurrencyPolicy,
    MappingConfig,
    MappingContext,
    OneFulfillmentPolicy,
    ShippingVat,
    VatBasis,
    VatPolicy,
)
from allegro_plenty.plenty.models import VatConfiguration, VatRate

from .specs import allegro_spec_dict

FIXTURES = Path(__file__).parent / "fixtures" / "checkout_forms"

STRICT = make_converter(strict=True)
LENIENT = make_converter()

REFERRER = Decimal("178.01")
"""The referrer the importer would have created for this Allegro account."""

COUNTRY_IDS = {"PL": 23, "CZ": 6, "SK": 26, "HU": 14, "DE": 1}


def vat_configuration(ident: int, country_id: int, rates: Mapping[int, str]) -> VatConfiguration:
    """A plentymarkets VAT configuration as the plenty client returns it."""
    fields = tuple(VatRate(field, Decimal(rate)) for field, rate in rates.items())
    return VatConfiguration(id=ident, country_id=country_id, vat_rates=fields)


VAT = {
    "PL": vat_configuration(2, 23, {0: "23", 1: "8", 2: "5", 3: "0"}),
    "CZ": vat_configuration(6, 6, {0: "21", 1: "12", 3: "0"}),
    "SK": vat_configuration(7, 26, {0: "23", 1: "19", 2: "5", 3: "0"}),
    "HU": vat_configuration(8, 14, {0: "27", 1: "18", 2: "5", 3: "0"}),
}
RATES = {"PLN": Decimal("4.2500"), "CZK": Decimal("25.100"), "HUF": Decimal("405.00")}
"""Units of each currency per 1 EUR (the system currency)."""

COURIER_PROFILE, LOCKER_PROFILE, COD_PROFILE, DEFAULT_PROFILE = 12, 11, 13, 10

CONFIG = MappingConfig(
    plenty_id=1000,
    status_id=Decimal("5"),
    language="pl",
    payment_method_ids={
        "ONLINE": 6001,
        "CASH_ON_DELIVERY": 6002,
        "WIRE_TRANSFER": 6003,
        "SPLIT_PAYMENT": 6001,
    },
    default_payment_method_id=6099,
    shipping_profile_ids={
        "845efe05-a8fd-4fe3-a9f1-3f6d4e54e1a1": COURIER_PROFILE,
        "2488f7b7-5d1c-4d65-b85c-4cbcf253fd93": LOCKER_PROFILE,
        "259ed6f7-2a48-4a9b-8a3e-3d2f2c7d1a10": COD_PROFILE,
    },
    default_shipping_profile_id=DEFAULT_PROFILE,
    warehouse_id=1,
    additional_service_variation_ids={"CARRY_IN": 5001},
    one_fulfillment=OneFulfillmentPolicy.SKIP,
    vat=VatPolicy(
        basis=VatBasis.DESTINATION,
        origin_country="PL",
        shipping=ShippingVat.HIGHEST_ITEM_RATE,
        deposit_field=3,
    ),
    currency=CurrencyPolicy(system_currency="EUR"),
)
"""A seller in Poland on a plentymarkets system that runs in EUR, selling under OSS."""


@attrs.frozen
class Fixture:
    """One checkout-form fixture."""

    name: str
    reason: str
    variations: Mapping[str, int]
    raw: dict[str, Any]

    def form(self, *, strict: bool = True) -> CheckoutForm:
        """The checkout form, structured the way the Allegro client would."""
        return (STRICT if strict else LENIENT).structure(self.raw, CheckoutForm)

    def context(self, **changes: Any) -> MappingContext:
        """The context an importer would hand in for this form."""
        values: dict[str, Any] = {
            "referrer_id": REFERRER,
            "country_ids": COUNTRY_IDS,
            "vat_configurations": VAT,
            "variation_ids": self.variations,
            "exchange_rates": RATES,
        }
        values.update(changes)
        return MappingContext(**values)


@cache
def fixture(name: str) -> Fixture:
    """Load ``fixtures/checkout_forms/<name>.json``."""
    doc = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return Fixture(name, doc["reason"], doc["variations"], doc["checkoutForm"])


def fixture_names() -> list[str]:
    """Every fixture's name, sorted."""
    return sorted(path.stem for path in FIXTURES.glob("*.json"))


@cache
def checkout_form_validator() -> Any:
    """A JSON-schema validator for the spec's ``CheckoutForm`` (skips where the spec is absent).

    openapi-schema-validator's OAS 3.0 dialect (``nullable``, formats such as
    ``uuid`` and ``date-time`` checked) with the spec's ``$ref``s resolved.
    """
    from openapi_schema_validator import OAS30Validator, oas30_format_checker
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    spec = allegro_spec_dict()
    registry = Registry().with_resource(
        "urn:allegro-spec", Resource.from_contents(spec, default_specification=DRAFT4)
    )
    return OAS30Validator(
        {"$ref": "urn:allegro-spec#/components/schemas/CheckoutForm"},
        registry=registry,
        format_checker=oas30_format_checker,
    )


def schema_errors(raw: Mapping[str, Any]) -> list[str]:
    """What is wrong with ``raw`` according to the spec's ``CheckoutForm`` schema."""
    return [
        f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
        for e in checkout_form_validator().iter_errors(raw)
    ]
