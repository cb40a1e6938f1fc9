"""Typed filters of plentymarkets' order list, checked while they are built.

:class:`OrderFilter` holds every filter of ``GET /rest/orders`` the library
sends. A value plentymarkets would misread or refuse (a naive datetime, a
status id in binary floating point, an order type of 0) raises
:class:`~allegro_plenty.errors.InvalidRequestError` naming the query
parameter, when the filter is built, so nothing is sent.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

from ..errors import InvalidRequestError

__all__ = [
    "NO_ORDER_FILTER",
    "ORDER_SORT_FIELDS",
    "SORT_ORDERS",
    "OrderFilter",
    "StatusId",
    "status_id",
]

StatusId = Decimal | int | str
"""An order status id: ``5``, ``"5.1"`` or ``Decimal("5.1")`` (never a binary float)."""

ORDER_SORT_FIELDS = ("id", "statusId", "createdAt", "orderDocument")
"""What ``GET /rest/orders`` sorts by (its spec's ``sortBy`` values)."""
SORT_ORDERS = ("asc", "desc")


def _wire(name: str) -> dict[str, str]:
    return {"wire": name}


def _where(attribute: attrs.Attribute[Any]) -> str:
    return str(attribute.metadata["wire"])


def status_id(value: object, field: str = "statusId") -> Decimal:
    """A status id as an exact, positive decimal; refused otherwise, naming ``field``."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise InvalidRequestError("a status id is a Decimal, int or str", field=field, value=value)
    try:
        result = Decimal(value)
    except InvalidOperation:
        result = Decimal("NaN")
    if not result.is_finite() or result <= 0:
        raise InvalidRequestError("not a status id", field=field, value=value)
    return result


def _status_from(value: StatusId | None) -> Decimal | None:
    return None if value is None else status_id(value, "statusFrom")


def _status_to(value: StatusId | None) -> Decimal | None:
    return None if value is None else status_id(value, "statusTo")


def _check_id(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise InvalidRequestError(
            "must be a positive integer", field=_where(attribute), value=value
        )


def _check_referrer(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    # Referrer ids are decimals (4.01 is a sub-referrer of 4).
    if value is None:
        return
    if (
        isinstance(value, bool)
        or not isinstance(value, Decimal | int)
        or not Decimal(value).is_finite()
        or value < 0
    ):
        raise InvalidRequestError(
            "must be a non-negative Decimal or int", field=_where(attribute), value=value
        )


def _check_types(_: object, attribute: attrs.Attribute[Any], value: tuple[object, ...]) -> None:
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int) or item < 1:
            raise InvalidRequestError(
                "must be positive integers", field=_where(attribute), value=item
            )


def _check_aware(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    # A naive datetime would be read in the shop's time zone, not ours.
    if value is not None and (not isinstance(value, datetime) or value.utcoffset() is None):
        raise InvalidRequestError(
            "must be a timezone-aware datetime", field=_where(attribute), value=value
        )


def _check_text(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise InvalidRequestError(
            "must be a non-empty string", field=_where(attribute), value=value
        )


def _one_of(choices: tuple[str, ...]) -> Any:
    def check(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is not None and value not in choices:
            raise InvalidRequestError(
                f"must be one of {', '.join(choices)}", field=_where(attribute), value=value
            )

    return check


def _types(value: Iterable[int]) -> tuple[int, ...]:
    return tuple(value)


@attrs.frozen
class OrderFilter:
    """The filters of ``GET /rest/orders`` (:meth:`~allegro_plenty.PlentyClient.list_orders`,
    :class:`~allegro_plenty.plenty.OrderWalk`). ``None`` and ``()`` mean "no filter".

    Datetimes must be timezone-aware; status ids are exact (``5``, ``"5.1"``,
    ``Decimal("5.1")``), never floats. Anything else raises
    :class:`~allegro_plenty.errors.InvalidRequestError` naming the query parameter.
    """

    external_order_id: str | None = attrs.field(
        default=None, validator=_check_text, metadata=_wire("externalOrderId")
    )
    referrer_id: Decimal | int | None = attrs.field(
        default=None, validator=_check_referrer, metadata=_wire("referrerId")
    )
    order_types: tuple[int, ...] = attrs.field(
        default=(), converter=_types, validator=_check_types, metadata=_wire("orderType")
    )
    contact_id: int | None = attrs.field(
        default=None, validator=_check_id, metadata=_wire("contactId")
    )
    parent_order_id: int | None = attrs.field(
        default=None, validator=_check_id, metadata=_wire("parentOrderId")
    )
    status_from: Decimal | None = attrs.field(
        default=None, converter=_status_from, metadata=_wire("statusFrom")
    )
    status_to: Decimal | None = attrs.field(
        default=None, converter=_status_to, metadata=_wire("statusTo")
    )
    updated_at_from: datetime | None = attrs.field(
        default=None, validator=_check_aware, metadata=_wire("updatedAtFrom")
    )
    updated_at_to: datetime | None = attrs.field(
        default=None, validator=_check_aware, metadata=_wire("updatedAtTo")
    )
    created_at_from: datetime | None = attrs.field(
        default=None, validator=_check_aware, metadata=_wire("createdAtFrom")
    )
    created_at_to: datetime | None = attrs.field(
        default=None, validator=_check_aware, metadata=_wire("createdAtTo")
    )
    sort_by: str | None = attrs.field(
        default=None, validator=_one_of(ORDER_SORT_FIELDS), metadata=_wire("sortBy")
    )
    sort_order: str | None = attrs.field(
        default=None, validator=_one_of(SORT_ORDERS), metadata=_wire("sortOrder")
    )
    order_ids: tuple[int, ...] = attrs.field(
        default=(), converter=_types, validator=_check_types, metadata=_wire("orderIds")
    )

    def params(self) -> dict[str, object]:
        """The filter as query parameters named as the spec names them."""
        params: dict[str, object] = {
            _where(attribute): getattr(self, attribute.name)
            for attribute in attrs.fields(type(self))
        }
        # One comma-separated value: the spec declares ``orderType`` as a string.
        params["orderType"] = ",".join(map(str, self.order_types)) or None
        params["orderIds"] = ",".join(map(str, self.order_ids)) or None
        return params


NO_ORDER_FILTER = OrderFilter()
"""The empty order filter."""
