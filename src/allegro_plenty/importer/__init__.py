"""The order importer: eligible Allegro orders into plentymarkets, exactly once.

:class:`OrderImporter` (blocking) and :class:`AsyncOrderImporter` drive one run
written once as plans: per account, due retries, the events journal and the
reconciliation sweep; per form, claim → look up → adopt or map → contact and
addresses → create → bind → payments → comments, with the claim renewed right
before every plentymarkets write. See ``docs/importer.md``.
"""

from .importer import AsyncOrderImporter, OrderImporter, default_owner
from .result import EntryKind, ImportEntry, ImportResult, ImportStop, ImportWarning
from .settings import ImportSettings, VariationLookup

__all__ = [
    "AsyncOrderImporter",
    "EntryKind",
    "ImportEntry",
    "ImportResult",
    "ImportSettings",
    "ImportStop",
    "ImportWarning",
    "OrderImporter",
    "VariationLookup",
    "default_owner",
]
