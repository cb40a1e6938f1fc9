"""Item variations: what an order item sells, with barcodes and marketplace SKUs."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import attrs

__all__ = [
    "Variation",
    "VariationBarcode",
    "VariationSku",
]


@attrs.define
class VariationBarcode:
    """A barcode (EAN, GTIN ...) of a variation."""

    code: str
    barcode_id: int
    variation_id: int | None = None
    created_at: datetime | None = None


@attrs.define
class VariationSku:
    """A marketplace SKU of a variation, unique per (market, account)."""

    sku: str
    market_id: Decimal
    variation_id: int | None = None
    account_id: int | None = None
    id: int | None = None
    parent_sku: str | None = None
    initial_sku: str | None = None
    status: str | None = None


@attrs.define
class Variation:
    """An item variation (the thing an order item sells).

    ``variation_barcodes`` and ``variation_skus`` are ``None`` unless loaded.
    """

    id: int
    item_id: int
    number: str | None = None
    model: str | None = None
    external_id: str | None = None
    name: str | None = None
    is_main: bool | None = None
    is_active: bool | None = None
    main_variation_id: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    variation_barcodes: tuple[VariationBarcode, ...] | None = None
    variation_skus: tuple[VariationSku, ...] | None = None
