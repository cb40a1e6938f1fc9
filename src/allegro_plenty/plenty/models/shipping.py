"""Shipping packages of an order and shipping profiles (carriers)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import attrs

__all__ = [
    "LocalizedName",
    "ShippingPackage",
    "ShippingPackageItem",
    "ShippingProfile",
]


@attrs.define
class ShippingPackageItem:
    """What one shipping package contains of one variation."""

    id: int
    package_id: int
    variation_id: int
    item_quantity: Decimal
    item_id: int | None = None


@attrs.define
class ShippingPackage:
    """A shipping package registered on an order (``OrderShippingPackage``).

    ``items`` is ``None`` unless loaded with ``with=items``.
    """

    id: int
    order_id: int
    package_number: str | None = None
    return_package_number: str | None = None
    package_id: int | None = None
    package_type: int | None = None
    weight: int | None = None
    volume: Decimal | None = None
    is_closed: bool | None = None
    pallet_id: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    items: tuple[ShippingPackageItem, ...] | None = None


@attrs.define
class LocalizedName:
    """A name in one language (parcel service and shipping profile names)."""

    lang: str
    name: str
    id: int | None = None
    parcel_service_id: int | None = None
    parcel_service_preset_id: int | None = None


@attrs.define
class ShippingProfile:
    """A shipping profile (``ParcelServicePreset``): order property 2 holds its id.

    ``parcel_service_names`` name the carrier ("DHL", "DPD" ...); map them to
    Allegro carrier ids in configuration.
    """

    id: int
    parcel_service_id: int | None = None
    backend_name: str | None = None
    shipping_group: str | None = None
    priority: int | None = None
    is_cod: int | None = None
    supported_referrer: tuple[str, ...] | None = None
    category: int | None = None
    flag: int | None = None
    is_express: int | None = None
    is_insured: int | None = None
    updated_at: datetime | None = None
    parcel_service_names: tuple[LocalizedName, ...] | None = None
    parcel_service_preset_names: tuple[LocalizedName, ...] | None = None

    def parcel_service_name(self, lang: str = "en") -> str | None:
        """The carrier's name in ``lang``, else in any language, else ``None``."""
        names = self.parcel_service_names or ()
        exact = next((n.name for n in names if n.lang == lang), None)
        return exact if exact is not None else next((n.name for n in names), None)
