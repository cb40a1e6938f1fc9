"""Parcel tracking numbers of an order, and the carriers Allegro knows."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import attrs

from ...errors import InvalidRequestError
from .._request_checks import wire_name
from ._fields import max_length

__all__ = [
    "Carrier",
    "Carriers",
    "LineItemReference",
    "NewShipment",
    "Shipment",
    "Shipments",
]


@attrs.define
class LineItemReference:
    """A line item of the order, by id."""

    id: str


def _line_item_refs(
    value: Iterable[LineItemReference | str] | None,
) -> tuple[LineItemReference, ...] | None:
    if value is None:
        return None
    return tuple(v if isinstance(v, LineItemReference) else LineItemReference(v) for v in value)


def _non_empty(_: object, attribute: attrs.Attribute[Any], value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequestError("must not be empty", field=wire_name(attribute), value=value)


@attrs.define
class NewShipment:
    """A parcel tracking number to add to an order.

    Args:
        carrier_id: An id from :meth:`~allegro_plenty.AllegroClient.list_carriers`;
            ``OTHER`` (with ``carrier_name``) for a carrier Allegro does not track.
        waybill: The tracking number, 1 to 64 characters.
        carrier_name: Only with ``OTHER``; at most 30 characters.
        line_items: The line items in the parcel (ids or references); ``None``
            means every line item. There is no quantity: for two units of one
            line in two parcels, add two waybills for the same line item.
    """

    carrier_id: str = attrs.field(validator=_non_empty)
    waybill: str = attrs.field(validator=[_non_empty, max_length(64)])
    carrier_name: str | None = attrs.field(default=None, validator=max_length(30))
    line_items: tuple[LineItemReference, ...] | None = attrs.field(
        default=None, converter=_line_item_refs
    )


@attrs.define
class Shipment:
    """A tracking number assigned to an order (by this seller, Allegro or the carrier).

    Allegro derives ``id`` from ``carrier_id`` and ``waybill``: adding the same
    pair twice is not refused but counts against the order's parcel limit.
    """

    id: str | None = None
    waybill: str | None = None
    carrier_id: str | None = None
    carrier_name: str | None = None
    line_items: tuple[LineItemReference, ...] | None = None
    created_at: datetime | None = None


@attrs.define
class Shipments:
    """The tracking numbers of an order.

    ``shipments`` is required (the spec leaves it optional): an answer without
    it must not read as "no waybill yet", or the waybill is added twice.
    """

    shipments: tuple[Shipment, ...]


@attrs.define
class Carrier:
    """A shipping carrier Allegro knows (``DPD``, ``INPOST``, ``OTHER`` ...)."""

    id: str
    name: str | None = None


@attrs.define
class Carriers:
    """The carriers list (required: an answer without it is an error, not "no carriers")."""

    carriers: tuple[Carrier, ...]
