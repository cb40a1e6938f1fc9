"""Pure mapping of Allegro checkout forms to plentymarkets order drafts.

``OrderMapper(config).map(form, context)`` returns an :class:`OrderDraft` (or a
:class:`SkippedOrder`) and raises nothing but
:class:`~allegro_plenty.errors.MappingError`. See ``docs/mapping.md``.
"""

from __future__ import annotations

from .addresses import StreetParts, split_street
from .config import ContactPolicy, MappingConfig, OneFulfillmentPolicy, UnknownVariationPolicy
from .context import MappingContext, MappingRun
from .drafts import (
    CommentDraft,
    MappingResult,
    MappingWarning,
    OrderDraft,
    SkippedOrder,
    SkipReason,
    WarningCode,
)
from .mapper import OrderMapper, PaymentStatus, verified_eu_vat_id
from .policies import (
    CurrencyPolicy,
    ShippingVat,
    UnmatchedTaxRate,
    VatBasis,
    VatChoice,
    VatPolicy,
)

__all__ = [
    "CommentDraft",
    "ContactPolicy",
    "CurrencyPolicy",
    "MappingConfig",
    "MappingContext",
    "MappingResult",
    "MappingRun",
    "MappingWarning",
    "OneFulfillmentPolicy",
    "OrderDraft",
    "OrderMapper",
    "PaymentStatus",
    "ShippingVat",
    "SkipReason",
    "SkippedOrder",
    "StreetParts",
    "UnknownVariationPolicy",
    "UnmatchedTaxRate",
    "VatBasis",
    "VatChoice",
    "VatPolicy",
    "WarningCode",
    "split_street",
    "verified_eu_vat_id",
]
