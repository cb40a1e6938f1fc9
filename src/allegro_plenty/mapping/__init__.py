"""Pure mapping of Allegro checkout forms to plentymarkets order drafts.

``OrderMapper(config).map(form, context)`` returns an :class:`OrderDraft` (or the
:class:`SkippedOrder` that ``OrderMapper.eligibility`` decided) and raises
nothing but :class:`~allegro_plenty.errors.MappingError`. See ``docs/mapping.md``.
"""

from __future__ import annotations

from .addresses import StreetParts, split_street
from .config import (
    DEFAULT_FULFILLMENT_STATUSES,
    ContactPolicy,
    MappingConfig,
    OneFulfillmentPolicy,
    UnknownVariationPolicy,
)
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
from .text import TEXT_LIMITS, TextField, TextLimit, clean_text

__all__ = [
    "DEFAULT_FULFILLMENT_STATUSES",
    "TEXT_LIMITS",
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
    "TextField",
    "TextLimit",
    "UnknownVariationPolicy",
    "UnmatchedTaxRate",
    "VatBasis",
    "VatChoice",
    "VatPolicy",
    "WarningCode",
    "clean_text",
    "split_street",
    "verified_eu_vat_id",
]
