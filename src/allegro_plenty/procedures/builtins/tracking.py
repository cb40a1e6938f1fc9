"""*Allegro : Provide tracking number*: the waybills of plentymarkets' shipping packages.

Packages live on the order they were registered on: the sales order, or one of
its delivery orders. Each package number is one execution (subject: the
normalized waybill), so a package added later is posted when its turn comes
and a waybill already sent never is again. Before posting, the form's
shipments are read: Allegro does not refuse a waybill twice, it counts it
against the order's parcels (allegro-api #6928), and a waybill Allegro already
lists under any carrier, one Allegro added itself included, is not posted.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import attrs

from ..._plan import Plan, call
from ...allegro.models import Carrier, CheckoutForm, NewShipment, Shipment
from ...errors import (
    APIStatusError,
    BadRequestError,
    CarrierNotMappedError,
    LineItemsUnclearError,
)
from ...plenty.models import Order, OrderPropertyType, OrderType, ShippingPackage, ShippingProfile
from ..config import OTHER_CARRIER, CarrierMapping, UnmappedCarrier, carrier_name
from ..context import ExecutionRun, ProcedureContext, ProcedureOrder, refuse_one_fulfillment
from ..handler import ActionOutcome, Done, EventProcedureHandler, Skipped
from ..outcome import ExecutionResult
from ._lines import LineMap
from ._shared import ABOUT, REFUSALS, allegro_refusal

__all__ = ["TRACKING_KEY", "Parcel", "TrackingProcedure", "normalize_waybill"]

TRACKING_KEY = "allegro.tracking"
FORMAT_REFUSED = "CarrierWaybillValidationException"
"""Allegro's code for a waybill that does not fit its carrier (allegro-api #8422, #7673)."""


def normalize_waybill(number: str | None) -> str:
    """A waybill as the procedures compare and send it: no spaces, upper case."""
    return "".join((number or "").split()).upper()


@attrs.frozen
class Parcel:
    """One waybill and where plentymarkets has it.

    Attributes:
        waybill: The normalized waybill (the execution's subject).
        holder: The order its package(s) are registered on.
        packages: Its packages (one, unless the number was registered twice).
    """

    waybill: str
    holder: Order
    packages: tuple[ShippingPackage, ...]


@attrs.frozen
class _Shipping:
    """What one dispatch read from plentymarkets about the order's parcels."""

    sales: Order
    parcels: tuple[Parcel, ...]


class TrackingProcedure(EventProcedureHandler):
    """Posts each package number of the order (and of its delivery orders) to Allegro."""

    names, description = ABOUT[TRACKING_KEY]
    key = TRACKING_KEY

    def handle(
        self, context: ProcedureContext, order: ProcedureOrder
    ) -> Plan[Sequence[ExecutionResult]]:
        """One execution per package number."""
        shipping = yield from self._shipping(context, order)
        cache: dict[str, CheckoutForm] = {}

        def form() -> Plan[CheckoutForm]:
            if "form" not in cache:
                cache["form"] = yield from call(context.allegro, "get_checkout_form", order.form_id)
            return cache["form"]

        results = []
        for parcel in shipping.parcels:
            if not order.wants(parcel.waybill):
                continue

            def post(run: ExecutionRun, parcel: Parcel = parcel) -> Plan[ActionOutcome]:
                checkout = yield from form()
                return (yield from self._post(context, order, shipping, checkout, parcel, run))

            results.append((yield from context.once(order, parcel.waybill, post)))
        return results

    # --- reading plentymarkets -----------------------------------------------------------

    def _shipping(self, context: ProcedureContext, order: ProcedureOrder) -> Plan[_Shipping]:
        sales = order.sales_order
        if sales is None:
            sales = yield from call(context.plenty, "get_order", order.order_id, relations=())
        if order.child_type == OrderType.DELIVERY and order.child_order is not None:
            holders = [order.child_order]  # dispatched on a delivery order: its packages only
        else:
            deliveries = yield from call(context.plenty, "delivery_orders", order.order_id)
            holders = [sales, *deliveries]
        parcels: dict[str, tuple[Order, list[ShippingPackage]]] = {}
        for holder in holders:
            packages = yield from call(context.plenty, "shipping_packages", holder.id)
            for package in packages:
                waybill = normalize_waybill(package.package_number)
                if waybill:
                    parcels.setdefault(waybill, (holder, []))[1].append(package)
        found = tuple(Parcel(w, holder, tuple(p)) for w, (holder, p) in parcels.items())
        return _Shipping(sales, found)

    # --- posting one waybill --------------------------------------------------------------

    def _post(
        self,
        context: ProcedureContext,
        order: ProcedureOrder,
        shipping: _Shipping,
        form: CheckoutForm,
        parcel: Parcel,
        run: ExecutionRun,
    ) -> Plan[ActionOutcome]:
        refuse_one_fulfillment(form, self.key)
        listed: Sequence[Shipment] = yield from call(context.allegro, "list_shipments", form.id)
        for existing in listed:
            if normalize_waybill(existing.waybill) == parcel.waybill:
                return Skipped(f"waybill already on Allegro (carrier {existing.carrier_id})")
        carrier = yield from self._carrier(context, shipping.sales, parcel)
        lines = self._line_items(shipping, form, parcel)
        shipment = NewShipment(
            carrier.carrier_id, parcel.waybill, carrier.carrier_name, line_items=lines
        )
        yield from run.guard()
        try:
            created: Shipment = yield from call(context.allegro, "add_shipment", form.id, shipment)
        except BadRequestError as refused:
            fallback = yield from self._fallback(context, shipping.sales, parcel, shipment, refused)
            if fallback is None:
                raise allegro_refusal(self.key, refused) from refused
            yield from run.guard()
            created = yield from call(context.allegro, "add_shipment", form.id, fallback)
            shipment = fallback
        except APIStatusError as refused:
            if refused.status_code not in REFUSALS:
                raise  # a 5xx or a 429: a later attempt reads the shipments first
            raise allegro_refusal(self.key, refused) from refused
        note = f"posted under {shipment.carrier_id}"
        if shipment.carrier_name:
            note += f" ({shipment.carrier_name})"
        return Done(
            note,
            data={
                "carrier_id": shipment.carrier_id,
                "carrier_name": shipment.carrier_name,
                "line_items": [ref.id for ref in shipment.line_items or ()],
                "shipment_id": created.id,
            },
        )

    def _fallback(
        self,
        context: ProcedureContext,
        sales: Order,
        parcel: Parcel,
        refused_shipment: NewShipment,
        refused: BadRequestError,
    ) -> Plan[NewShipment | None]:
        """The same waybill under ``OTHER``, once, when Allegro refused its format."""
        if (
            FORMAT_REFUSED not in refused.codes
            or refused_shipment.carrier_id == OTHER_CARRIER
            or not context.config.waybill_format_fallback
        ):
            return None
        _, profile = yield from self._profile(context, sales, parcel)
        name = carrier_name(profile.parcel_service_name() if profile else None)
        return attrs.evolve(
            refused_shipment,
            carrier_id=OTHER_CARRIER,
            carrier_name=name or carrier_name(refused_shipment.carrier_id),
        )

    def _profile(
        self, context: ProcedureContext, sales: Order, parcel: Parcel
    ) -> Plan[tuple[int | None, ShippingProfile | None]]:
        """The shipping profile of the order holding the package, else of the sales order."""
        raw = parcel.holder.property_value(OrderPropertyType.SHIPPING_PROFILE)
        raw = raw or sales.property_value(OrderPropertyType.SHIPPING_PROFILE)
        profile_id = int(raw) if raw and raw.strip().isdigit() else None
        if profile_id is None:
            return None, None
        profiles: Sequence[ShippingProfile] = yield from call(context.plenty, "shipping_profiles")
        return profile_id, next((p for p in profiles if p.id == profile_id), None)

    def _carrier(
        self, context: ProcedureContext, sales: Order, parcel: Parcel
    ) -> Plan[CarrierMapping]:
        profile_id, profile = yield from self._profile(context, sales, parcel)
        mapped = context.config.carriers.get(profile_id)
        service = profile.parcel_service_name() if profile is not None else None
        if mapped is None:
            if context.config.unmapped_carrier is UnmappedCarrier.FAIL:
                raise CarrierNotMappedError(profile_id, "is not in the carrier map")
            name = carrier_name(service)
            if name is None:
                raise CarrierNotMappedError(
                    profile_id, "has no parcel service name to send as carrier OTHER"
                )
            return CarrierMapping(OTHER_CARRIER, name)
        carriers: Sequence[Carrier] = yield from call(context.allegro, "list_carriers")
        if mapped.carrier_id not in {c.id for c in carriers}:
            raise CarrierNotMappedError(
                profile_id, f"maps to carrier {mapped.carrier_id!r}, which Allegro does not list"
            )
        if mapped.carrier_id == OTHER_CARRIER:
            return CarrierMapping(OTHER_CARRIER, carrier_name(mapped.carrier_name or service))
        return mapped

    def _line_items(
        self, shipping: _Shipping, form: CheckoutForm, parcel: Parcel
    ) -> tuple[str, ...] | None:
        """The parcel's Allegro line items; ``None`` (every item) for the order's only
        parcel when they are unclear; else LineItemsUnclearError."""
        lines = LineMap.of(shipping.sales, [line.id for line in form.line_items])
        contents = [
            (item.variation_id, Decimal(item.item_quantity), None)
            for package in parcel.packages
            for item in package.items or ()
        ]
        found, unclear = lines.quantities(contents)
        if found and not unclear:
            order = [line.id for line in form.line_items]
            return tuple(sorted(found, key=order.index))
        if len(shipping.parcels) == 1:
            return None
        why = "; ".join(unclear) or "the package lists no items"
        raise LineItemsUnclearError(
            parcel.holder.id,
            f"package {parcel.waybill}: {why}; with several packages the line items must be known",
        )
