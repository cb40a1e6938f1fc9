"""The built-in event procedures, with the display names sellers know them by.

=====================================  =====================================
key                                    display name (en)
=====================================  =====================================
``allegro.status.processing``          Allegro : Order status PROCESSING
``allegro.status.ready_for_shipment``  Allegro : Order status READY_FOR_SHIPMENT
``allegro.status.ready_for_pickup``    Allegro : Order status READY_FOR_PICKUP
``allegro.status.sent``                Allegro : Order status SENT
``allegro.status.picked_up``           Allegro : Order status PICKED_UP
``allegro.status.cancelled``           Allegro : Order status CANCELLED
``allegro.tracking``                   Allegro : Provide tracking number
``allegro.refund``                     Allegro : Refund payment
``allegro.upload_invoice``             Allegro : Upload invoice
=====================================  =====================================
"""

from __future__ import annotations

from ...allegro.models import FulfillmentStatus
from ..registry import ProcedureRegistry
from .invoice import INVOICE_KEY, NO_INVOICE_YET, InvoiceProcedure, invoice_file_name
from .refund import FULL, REFUND_KEY, RefundProcedure, command_id
from .status import StatusProcedure, status_key
from .tracking import TRACKING_KEY, Parcel, TrackingProcedure, normalize_waybill

__all__ = [
    "BUILTIN_STATUSES",
    "FULL",
    "INVOICE_KEY",
    "NO_INVOICE_YET",
    "REFUND_KEY",
    "TRACKING_KEY",
    "InvoiceProcedure",
    "Parcel",
    "RefundProcedure",
    "StatusProcedure",
    "TrackingProcedure",
    "builtin_registry",
    "command_id",
    "invoice_file_name",
    "normalize_waybill",
    "status_key",
]

BUILTIN_STATUSES = (
    FulfillmentStatus.PROCESSING,
    FulfillmentStatus.READY_FOR_SHIPMENT,
    FulfillmentStatus.READY_FOR_PICKUP,
    FulfillmentStatus.SENT,
    FulfillmentStatus.PICKED_UP,
    FulfillmentStatus.CANCELLED,
)
"""The statuses a built-in *Order status* procedure sets."""


def builtin_registry() -> ProcedureRegistry:
    """A new registry holding every built-in procedure (add your own to it)."""
    registry = ProcedureRegistry()
    for status in BUILTIN_STATUSES[:2]:
        registry.register(StatusProcedure(status))
    registry.register(TrackingProcedure())
    registry.register(StatusProcedure(FulfillmentStatus.SENT))
    registry.register(StatusProcedure(FulfillmentStatus.CANCELLED))
    registry.register(RefundProcedure())
    registry.register(StatusProcedure(FulfillmentStatus.READY_FOR_PICKUP))
    registry.register(StatusProcedure(FulfillmentStatus.PICKED_UP))
    registry.register(InvoiceProcedure())
    return registry
