"""Where ``FakePlenty`` used to live; it is in :mod:`allegro_plenty.testing.plenty` now.

Kept so that ``from allegro_plenty.testing.plenty_fake import FakePlenty`` still works.
"""

from .plenty import DEFAULT_COUNTRIES, FakePlenty, PlentyPlan

__all__ = ["DEFAULT_COUNTRIES", "FakePlenty", "PlentyPlan"]
