"""The Allegro side of the testing kit: :class:`FakeAllegro`.

One module per resource (checkout forms, events, fulfillment, shipments,
refunds, OAuth, carriers/marketplaces/me) over one shared state;
:mod:`.fake` holds them together.
"""

from ._data import ALL_SCOPES, DEFAULT_CARRIERS, MEDIA_TYPE, Seller
from .fake import FakeAllegro

__all__ = ["ALL_SCOPES", "DEFAULT_CARRIERS", "MEDIA_TYPE", "FakeAllegro", "Seller"]
