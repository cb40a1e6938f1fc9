"""The plentymarkets side of the testing kit: :class:`FakePlenty` and its call limits.

One module per resource (orders, contacts and addresses, payments, items,
shipping, referrers and property types, status history, comments, login,
reference data) over one shared state; :mod:`.fake` holds them together.
"""

from ._data import DEFAULT_COUNTRIES
from ._limits import BASIC, CLASSIC, FLEX, PLUS, LimitDecision, PlentyLimiter, PlentyPlan
from .fake import FakePlenty

__all__ = [
    "BASIC",
    "CLASSIC",
    "DEFAULT_COUNTRIES",
    "FLEX",
    "PLUS",
    "FakePlenty",
    "LimitDecision",
    "PlentyLimiter",
    "PlentyPlan",
]
