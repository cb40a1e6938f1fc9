"""The filter of ``GET /order/checkout-forms``: every query parameter, checked when built."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import attrs

from ..._convert import OpenEnum
from .._request_checks import aware, known, wire_name
from ._fields import key
from .checkout_forms import (
    CheckoutFormStatus,
    FulfillmentProviderId,
    FulfillmentStatus,
    LineItemsSent,
)

__all__ = [
    "CheckoutFormFilter",
    "CheckoutFormSort",
]


def _aware(_: object, attribute: attrs.Attribute[datetime | None], value: datetime | None) -> None:
    aware(value, wire_name(attribute))


def _known(cls: type[OpenEnum]) -> Callable[[object, attrs.Attribute[Any], Any], None]:
    def check(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is not None:
            known(cls, value, wire_name(attribute))

    return check


class CheckoutFormSort(OpenEnum):
    """The order of ``GET /order/checkout-forms`` (default: boughtAt descending)."""

    BOUGHT_AT = "lineItems.boughtAt"
    BOUGHT_AT_DESC = "-lineItems.boughtAt"
    UPDATED_AT = "updatedAt"
    UPDATED_AT_DESC = "-updatedAt"


@attrs.define
class CheckoutFormFilter:
    """Every filter ``GET /order/checkout-forms`` accepts, defined once.

    Used by :meth:`~allegro_plenty.AllegroClient.list_checkout_forms`, its async
    twin and the ``iter_checkout_forms`` walks. ``None`` means "no filter".
    An enum filter takes a member or exactly its string value; datetimes must be
    timezone-aware and are sent in UTC with milliseconds. Anything else raises
    :class:`~allegro_plenty.errors.InvalidRequestError` naming the query
    parameter, when the filter is built or a field is set.
    """

    status: CheckoutFormStatus | str | None = attrs.field(
        default=None, validator=_known(CheckoutFormStatus), metadata=key("status")
    )
    fulfillment_status: FulfillmentStatus | str | None = attrs.field(
        default=None, validator=_known(FulfillmentStatus), metadata=key("fulfillment.status")
    )
    fulfillment_provider_id: FulfillmentProviderId | str | None = attrs.field(
        default=None,
        validator=_known(FulfillmentProviderId),
        metadata=key("fulfillment.provider.id"),
    )
    line_items_sent: LineItemsSent | str | None = attrs.field(
        default=None,
        validator=_known(LineItemsSent),
        metadata=key("fulfillment.shipmentSummary.lineItemsSent"),
    )
    bought_at_gte: datetime | None = attrs.field(
        default=None, validator=_aware, metadata=key("lineItems.boughtAt.gte")
    )
    bought_at_lte: datetime | None = attrs.field(
        default=None, validator=_aware, metadata=key("lineItems.boughtAt.lte")
    )
    updated_at_gte: datetime | None = attrs.field(
        default=None, validator=_aware, metadata=key("updatedAt.gte")
    )
    updated_at_lte: datetime | None = attrs.field(
        default=None, validator=_aware, metadata=key("updatedAt.lte")
    )
    payment_id: str | None = attrs.field(default=None, metadata=key("payment.id"))
    surcharges_id: str | None = attrs.field(default=None, metadata=key("surcharges.id"))
    delivery_method_id: str | None = attrs.field(default=None, metadata=key("delivery.method.id"))
    buyer_login: str | None = attrs.field(default=None, metadata=key("buyer.login"))
    marketplace_id: str | None = attrs.field(default=None, metadata=key("marketplace.id"))
    sort: CheckoutFormSort | str | None = attrs.field(
        default=None, validator=_known(CheckoutFormSort), metadata=key("sort")
    )

    def params(self) -> dict[str, str | datetime | None]:
        """The filter as query parameters named as the spec names them."""
        return {
            wire_name(attribute): _value(getattr(self, attribute.name))
            for attribute in attrs.fields(type(self))
        }


def _value(value: str | datetime | None) -> str | datetime | None:
    # OpenEnum members are str subclasses; send their value, not their repr.
    return value if value is None or isinstance(value, datetime) else str(value)
