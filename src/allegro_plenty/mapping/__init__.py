"""Pure mapping of Allegro checkout forms to plentymarkets order drafts.

``OrderMapper(config).map(form, context)`` returns an :class:`OrderDraft` (or the
:class:`SkippedOrder` that ``OrderMapper.eligibility`` decided) and raises
nothing but :class:`~allegro_plenty.errors.MappingError`. See ``docs/mapping.md``.
"""

from __future__ import annotations

from .addresses import StreetParts, split_street
from .comment_texts import ENGLISH_COMMENT_TEXTS, POLISH_COMMENT_TEXTS, CommentTexts
from .config import (
    DEFAULT_FULFILLMENT_STATUSES,
    ContactPolicy,
    MappingConfig,
    OneFulfillmentPolicy,
    UnknownVariationPolicy,
)
from .context import MappingContext, MappingRun, verified_eu_vat_id
from .drafts import (
    CommentDraft,
    MappingResult,
    MappingWarning,
    OrderDraft,
    SkippedOrder,
    SkipReason,
    WarningCode,
)
from .mapper import OrderMapper
from .parties import AddressParts
from .parts import DraftParts
from .payments import PaymentStatus
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
    "ENGLISH_COMMENT_TEXTS",
    "POLISH_COMMENT_TEXTS",
    "TEXT_LIMITS",
    "AddressParts",
    "CommentDraft",
    "CommentTexts",
    "ContactPolicy",
    "CurrencyPolicy",
    "DraftParts",
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
