"""The parts of a draft while the mapper's assembly steps make them."""

from __future__ import annotations

import attrs

from ..plenty.models import NewAddress, NewContact, NewOrder, NewOrderItem, NewPayment
from .drafts import CommentDraft

__all__ = ["DraftParts"]


@attrs.define(slots=True)
class DraftParts:
    """The parts of one draft, as the assembly steps make them.

    Each step of :attr:`OrderMapper.steps` reads what earlier steps made and
    sets its own part; :meth:`OrderMapper.draft` puts them together. A step of
    your own may read or replace any part (the totals are checked on
    :attr:`order_items` as they are when ``check_totals`` runs).
    """

    delivery_address: NewAddress | None = None
    """``None``: the billing address serves for delivery."""
    billing_address: NewAddress | None = None
    contact: NewContact | None = None
    order_items: tuple[NewOrderItem, ...] = ()
    payments: tuple[NewPayment, ...] = ()
    order: NewOrder | None = None
    intra_eu_vat_id: str | None = None
    comments: tuple[CommentDraft, ...] = ()
