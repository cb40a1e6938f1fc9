"""What was sold: line items, their VAT, services and deposits, shipping; the totals check."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from ..allegro.models import LineItem
from ..plenty.models import (
    NewOrderItem,
    OrderItemAmount,
    OrderItemProperty,
    OrderItemType,
    OrderPropertyType,
)
from ._base import ITEM_NAME, MAX_QUANTITY, MapperBase, quantity
from .config import UnknownVariationPolicy
from .context import MappingRun
from .drafts import WarningCode
from .parts import DraftParts
from .policies import UnmatchedTaxRate, VatChoice
from .text import clean_text

__all__ = ["ItemSteps"]

_QUANTITIES = tuple(map(Decimal, range(100)))
"""Item quantities as Decimals, made once: Decimals are immutable, and every item needs one."""


def _paths(index: int) -> tuple[str, str, str]:
    line = f"lineItems[{index}]"
    return line, f"{line}.price", f"{line}.offer.name"


_PATHS = tuple(map(_paths, range(100)))
"""The paths of the first lines, made once: every line needs them, errors and warnings only."""


def _line_paths(index: int) -> tuple[str, str, str]:
    """The field paths of line item ``index``: the line, its price, its offer name."""
    return _PATHS[index] if 0 <= index < len(_PATHS) else _paths(index)


class ItemSteps(MapperBase):
    """The order's items (part of :class:`~allegro_plenty.mapping.OrderMapper`)."""

    def order_items(self, run: MappingRun) -> tuple[NewOrderItem, ...]:
        """All items: per line its item, services and deposit; then shipping."""
        items: list[NewOrderItem] = []
        goods: list[VatChoice] = []
        for index, line in enumerate(run.form.line_items):
            vat = self.line_vat(run, index, line)
            goods.append(vat)
            items.append(self.line_item(run, index, line, vat))
            items.extend(self.additional_services(run, index, line, vat))
            deposit = self.deposit(run, index, line, vat)
            if deposit is not None:
                items.append(deposit)
        shipping = self.delivery_cost(run, goods)
        if shipping is not None:
            items.append(shipping)
        return tuple(items)

    def line_vat(self, run: MappingRun, index: int, line: LineItem) -> VatChoice:
        """A line's VAT: the field matching ``tax.rate`` when present, else the default."""
        policy = self.config.vat
        text = line.tax.rate if line.tax is not None and policy.match_tax_rate else None
        known = run.vat_by_rate.get(text)
        if known is not None:
            return known
        path = f"lineItems[{index}].tax.rate"
        if text is not None:
            matched = self._vat_for_rate(run, line, text, path)
            if matched is not None:
                run.vat_by_rate[text] = matched
                return matched
        default = policy.default(run.vat, run.vat_country)
        if default is None:
            raise run.error(
                f"the default VAT field is not in VAT configuration {run.vat.id}",
                path,
            )
        if text is None:
            run.vat_by_rate[None] = default  # an unmatched rate warns again on every line
        return default

    def _vat_for_rate(
        self, run: MappingRun, line: LineItem, text: str, path: str
    ) -> VatChoice | None:
        policy = self.config.vat
        try:
            rate = Decimal(text)
        except (InvalidOperation, ValueError):
            raise run.error(f"tax rate {text!r} is not a number", path) from None
        if not rate.is_finite():
            raise run.error(f"tax rate {text!r} is not a number", path)
        choice = policy.for_rate(run.vat, rate)
        if choice is not None:
            return choice
        where = f"VAT configuration {run.vat.id} ({run.vat_country})"
        if policy.unmatched_rate is UnmatchedTaxRate.REFUSE:
            raise run.error(f"tax rate {rate} is in no field of {where}", path)
        run.warn(
            WarningCode.TAX_RATE_NOT_CONFIGURED,
            f"line item {line.id}: tax rate {rate} is in no field of {where}; default used",
            path,
        )
        return None

    def variation_id(self, run: MappingRun, line: LineItem) -> int | None:
        """The line's plentymarkets variation, from the context (``None``: unknown)."""
        return run.context.variation_ids.get(line.id)

    def line_item(
        self, run: MappingRun, index: int, line: LineItem, vat: VatChoice
    ) -> NewOrderItem:
        """One line item: gross unit price from ``price`` (not ``originalPrice``)."""
        path, price_path, name_path = _line_paths(index)
        count = line.quantity
        if type(count) is not int or not 0 < count <= MAX_QUANTITY:  # checked inline: hot
            count = quantity(run, count, path)
        price = run.money(line.price, price_path)
        variation = self.variation_id(run, line)
        if variation is None:
            if self.config.unknown_variation is UnknownVariationPolicy.REFUSE:
                raise run.error(
                    f"no variation for line item {line.id} (offer {line.offer.id})", path
                )
            run.warn(
                WarningCode.UNASSIGNED_VARIATION,
                f"line item {line.id} (offer {line.offer.id}) has no variation; "
                "imported as an unassigned item",
                path,
            )
            type_id, variation = OrderItemType.UNASSIGNED_VARIATION, 0
        elif isinstance(variation, bool) or not isinstance(variation, int) or variation <= 0:
            raise run.error(f"invalid variation id {variation!r} for line item {line.id}", path)
        else:
            type_id = OrderItemType.VARIATION
        return self.item(
            run,
            type_id=type_id,
            quantity=count,
            name=run.text(line.offer.name, ITEM_NAME, name_path)
            or clean_text(f"Allegro offer {line.offer.id}"),
            unit_gross=price,
            vat=vat,
            variation_id=variation,
            properties=self.line_item_properties(run, line),
        )

    def line_item_properties(
        self, run: MappingRun, line: LineItem
    ) -> tuple[OrderItemProperty, ...]:
        """Item properties: 17 = offer id, 41 = Allegro line-item id.

        Why 41 (``EXTERNAL_ORDER_ITEM_ID``) for the line-item id: order and item
        properties share one type table (plentymarkets order-data guide: "the
        same types as for order properties"), and the plugin interface's
        ``OrderPropertyType`` defines 41 for exactly this. The REST spec's
        item-property list omits it, but that list is a partial docstring (it
        omits 4, 6 and 7 too). 17 is taken by the offer id, and a second 17 would
        make the two ids indistinguishable. See facts/plentymarkets.md §7; verify
        on a sandbox with ``GET /rest/orders/properties/types``.
        """
        return (
            OrderItemProperty(OrderPropertyType.EXTERNAL_ITEM_ID, line.offer.id),
            OrderItemProperty(OrderPropertyType.EXTERNAL_ORDER_ITEM_ID, line.id),
        )

    def additional_services(
        self, run: MappingRun, index: int, line: LineItem, vat: VatChoice
    ) -> tuple[NewOrderItem, ...]:
        """One item per additional service: ``price`` per unit × ``quantity``, the line's VAT."""
        services = line.selected_additional_services
        if not services:
            return ()
        items = []
        for number, service in enumerate(services):
            path = f"lineItems[{index}].selectedAdditionalServices[{number}]"
            price = run.money(service.price, f"{path}.price") if service.price else Decimal(0)
            count = quantity(run, 1 if service.quantity is None else service.quantity, path)
            definition = clean_text(service.definition_id or "")
            variation = (
                self.config.additional_service_variation_ids.get(definition) if definition else None
            )
            items.append(
                self.item(
                    run,
                    type_id=OrderItemType.UNASSIGNED_VARIATION
                    if variation is None
                    else OrderItemType.VARIATION,
                    quantity=count,
                    name=run.text(service.name, ITEM_NAME, f"{path}.name")
                    or run.text(definition, ITEM_NAME, f"{path}.definitionId")
                    or "Additional service",
                    unit_gross=price,
                    vat=vat,
                    variation_id=variation or 0,
                )
            )
        return tuple(items)

    def deposit(
        self, run: MappingRun, index: int, line: LineItem, vat: VatChoice
    ) -> NewOrderItem | None:
        """A deposit item (type 10) for a line with a ``deposit``; its price is per unit."""
        if line.deposit is None:
            return None
        path = f"lineItems[{index}]"
        price = run.money(line.deposit.price, f"{path}.deposit.price")
        choice = self.config.vat.for_deposit(run.vat, vat)
        if choice is None:
            raise run.error(
                f"the deposit VAT field is not in VAT configuration {run.vat.id}",
                f"{path}.deposit",
            )
        name = clean_text(line.offer.name) or line.offer.id
        return self.item(
            run,
            type_id=OrderItemType.DEPOSIT,
            quantity=quantity(run, line.quantity, path),
            name=run.text(
                f"{self.config.deposit_item_name}: {name}",
                ITEM_NAME,
                f"{path}.offer.name",
            )
            or name,
            unit_gross=price,
            vat=choice,
        )

    def delivery_cost(self, run: MappingRun, goods: Sequence[VatChoice]) -> NewOrderItem | None:
        """The shipping item (type 6) at ``delivery.cost`` (0 when absent); none without delivery.

        Allegro Smart orders usually carry cost 0. Some carry a cost (Allegro's
        co-financing of Smart courier parcels, a reduced Smart fee), and then
        ``summary.totalToPay`` includes it (allegro-api #5056, #2896, #11767):
        the item keeps it, so the totals add up, and a warning says so.
        """
        delivery = run.form.delivery
        if delivery is None:
            return None
        cost = run.money(delivery.cost, "delivery.cost") if delivery.cost else Decimal(0)
        if delivery.smart and cost > 0:
            run.warn(
                WarningCode.SMART_DELIVERY_COST,
                f"Allegro Smart order with delivery cost {cost} {run.currency}",
                "delivery.cost",
            )
        vat = self.config.vat.for_shipping(run.vat, run.vat_country, goods)
        if vat is None:
            raise run.error(
                f"the shipping VAT field is not in VAT configuration {run.vat.id}",
                "delivery.cost",
            )
        return self.item(
            run,
            type_id=OrderItemType.SHIPPING_COSTS,
            quantity=1,
            name=self.config.shipping_item_name,
            unit_gross=cost,
            vat=vat,
        )

    def item(
        self,
        run: MappingRun,
        *,
        type_id: int,
        quantity: int,
        name: str,
        unit_gross: Decimal,
        vat: VatChoice,
        variation_id: int = 0,
        properties: tuple[OrderItemProperty, ...] = (),
    ) -> NewOrderItem:
        """One order item in the order's currency, with the referrer and ``vat``'s field."""
        count = _QUANTITIES[quantity] if 0 < quantity < len(_QUANTITIES) else Decimal(quantity)
        return NewOrderItem(
            type_id=type_id,
            quantity=count,
            order_item_name=name,
            amounts=(self.config.currency.amount(run.currency, unit_gross, run.exchange_rate),),
            item_variation_id=variation_id,
            referrer_id=run.context.referrer_id,
            country_vat_id=vat.country_vat_id,
            vat_field=vat.vat_field,
            properties=properties,
        )

    def check_totals(self, run: MappingRun, parts: DraftParts) -> None:
        """Refuse the form unless the items so far (``parts.order_items``) add up to
        ``summary.totalToPay``, to the cent: an assembly step.

        The rule that keeps money honest: never balance a difference.
        """
        items = parts.order_items
        total = run.money(run.form.summary.total_to_pay, "summary.totalToPay")
        items_total = Decimal(0)
        for item in items:
            amount = _amount_in(item.amounts, run.currency)
            if amount is None:
                raise run.error(f"an item has no amount in {run.currency}", "lineItems")
            items_total += item.quantity * amount.price_original_gross
        if items_total != total:
            raise run.error(
                f"totals mismatch: the items add up to {items_total} {run.currency}, "
                f"summary.totalToPay is {total}",
                "summary.totalToPay.amount",
            )


def _amount_in(amounts: Sequence[OrderItemAmount], currency: str) -> OrderItemAmount | None:
    for amount in amounts:
        if amount.currency == currency:
            return amount
    return None
