"""What the mapper needs from plentymarkets: variations, countries, VAT configurations, rates.

Variations are looked up by the offer's external id as configured
(:class:`~allegro_plenty.importer.VariationLookup`), once per offer per run;
reference data is read once per run (and cached longer by the plenty client).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._plan import Plan, call
from ..allegro.models import CheckoutForm
from ..plenty.models import Country, Currency, Variation, VatConfiguration
from ._state import AccountRun, Reference
from .settings import VariationLookup

__all__ = ["reference", "variation_ids"]


def reference(run: AccountRun) -> Plan[Reference]:
    """Countries, VAT configurations and exchange rates, read once per run."""
    if run.reference is None:
        countries: Sequence[Country] = yield from call("plenty", "countries")
        vats: Sequence[VatConfiguration] = yield from call("plenty", "vat_configurations")
        currencies: Sequence[Currency] = yield from call("plenty", "currencies")
        codes = {country.id: country.iso_code2.upper() for country in countries}
        vat: dict[str, VatConfiguration] = {}
        for configuration in vats:
            code = codes.get(configuration.country_id)
            if code is None or configuration.is_active is False:
                continue
            # One per country: the standard one where a country has several.
            if code not in vat or configuration.is_standard:
                vat[code] = configuration
        run.reference = Reference(
            country_ids={code: ident for ident, code in codes.items()},
            vat=vat,
            rates={c.currency: c.exchange_rate for c in currencies if c.exchange_rate},
        )
    return run.reference


def _finder(run: AccountRun, external: str) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
    lookup = run.settings.variation_lookup
    if lookup is VariationLookup.BARCODE:
        return "find_variations_by_barcode", (external,), {}
    if lookup is VariationLookup.SKU:
        return "find_variations_by_sku", (external,), {"referrer_id": run.settings.sku_referrer_id}
    return "find_variations_by_number", (external,), {}


def variation_ids(run: AccountRun, form: CheckoutForm) -> Plan[dict[str, int | None]]:
    """The variation of each line item (``None``: unknown), by line-item id.

    An offer without an external id, or one that matches no variation or
    several, is unknown: the mapping configuration decides what that means
    (an unassigned item, or a refusal that quarantines the form).
    """
    found: dict[str, int | None] = {}
    for line in form.line_items:
        external = (line.offer.external.id or "").strip() if line.offer.external else ""
        if not external:
            found[line.id] = None
            continue
        if external not in run.variations:
            method, args, kwargs = _finder(run, external)
            matches: list[Variation] = yield from call("plenty", method, *args, **kwargs)
            ids = sorted({variation.id for variation in matches})
            if len(ids) > 1:
                run.warn(
                    "ambiguous_variation",
                    f"offer {line.offer.id}: external id matches variations "
                    f"{', '.join(map(str, ids))}; treated as unknown",
                    form.id,
                )
            run.variations[external] = ids[0] if len(ids) == 1 else None
        found[line.id] = run.variations[external]
    return found
