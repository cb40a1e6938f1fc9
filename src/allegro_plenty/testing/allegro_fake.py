"""Where ``FakeAllegro`` used to live; it is in :mod:`allegro_plenty.testing.allegro` now.

Kept so that ``from allegro_plenty.testing.allegro_fake import FakeAllegro`` still works.
"""

from .allegro import ALL_SCOPES, DEFAULT_CARRIERS, MEDIA_TYPE, FakeAllegro, Seller

__all__ = ["ALL_SCOPES", "DEFAULT_CARRIERS", "MEDIA_TYPE", "FakeAllegro", "Seller"]
