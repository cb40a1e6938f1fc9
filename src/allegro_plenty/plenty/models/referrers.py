"""Order referrers (sales channels)."""

from __future__ import annotations

from decimal import Decimal

import attrs

__all__ = [
    "NewReferrer",
    "Referrer",
]


@attrs.define
class NewReferrer:
    """The attributes of a new order referrer (``POST /rest/orders/referrers``).

    Attributes:
        backend_name: The name shown in the back end.
        name: The public name (on documents).
        origin: Who created it; plugins put their own name here.
        is_editable: ``False`` protects it from edits in the back end, as
            marketplace plugins do with theirs.
        is_filterable: Whether it can be used as an order filter.
        id: A wanted id; plenty assigns the next free one when absent.
    """

    backend_name: str
    name: str
    origin: str = "allegro_plenty"
    is_editable: bool = False
    is_filterable: bool = True
    id: Decimal | None = None


@attrs.define
class Referrer:
    """An order referrer (sales channel); ids are decimals like ``4.11``."""

    id: Decimal
    backend_name: str
    name: str | None = None
    is_editable: bool | None = None
    is_filterable: bool | None = None
    order_owner_id: int | None = None
    origin: str | None = None
    show_in_leads: bool | None = None
