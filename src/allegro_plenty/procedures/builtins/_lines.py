"""plentymarkets items (of a shipping package, of a return order) → Allegro line items.

A package item names a variation and a quantity, not an order item. The sales
order's items of that variation carry the Allegro line-item id in property 41
(the importer writes it), so a variation maps to a line item when every item of
that variation names the same line item, and that line item is in the form.
Anything else is unclear, and said so.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from decimal import Decimal

import attrs

from ...plenty.models import Order, OrderItem, OrderPropertyType

__all__ = ["LineMap", "line_of_item"]

LINE_ITEM = OrderPropertyType.EXTERNAL_ORDER_ITEM_ID


def line_of_item(item: OrderItem) -> str | None:
    """The Allegro line-item id an order item carries (property 41), if any."""
    return item.property_value(LINE_ITEM)


@attrs.frozen
class LineMap:
    """What the sales order's items say about its variations' line items."""

    by_variation: dict[int, frozenset[str | None]]
    form_lines: frozenset[str]

    @classmethod
    def of(cls, sales: Order, form_lines: Collection[str]) -> LineMap:
        """The map of a sales order, for a form with these line-item ids."""
        found: dict[int, set[str | None]] = {}
        for item in sales.order_items or ():
            if item.item_variation_id:
                found.setdefault(item.item_variation_id, set()).add(line_of_item(item))
        return cls({v: frozenset(lines) for v, lines in found.items()}, frozenset(form_lines))

    def line(self, variation_id: int, known: str | None = None) -> str | None:
        """The line item of ``variation_id`` (or the one an item names itself: ``known``),
        when it is unambiguous and in the form; else ``None``."""
        if known is not None:
            return known if known in self.form_lines else None
        lines = self.by_variation.get(variation_id, frozenset())
        if len(lines) != 1:
            return None
        (line,) = lines
        return line if line in self.form_lines else None

    def quantities(
        self, items: Iterable[tuple[int, Decimal, str | None]]
    ) -> tuple[dict[str, Decimal], list[str]]:
        """Line item → quantity for ``(variation id, quantity, known line id)`` triples, and
        a description of each item that does not map."""
        found: dict[str, Decimal] = {}
        unclear: list[str] = []
        for variation, quantity, known in items:
            line = self.line(variation, known)
            if line is None:
                unclear.append(self._why(variation, known))
            else:
                found[line] = found.get(line, Decimal(0)) + quantity
        return found, unclear

    def _why(self, variation: int, known: str | None) -> str:
        if known is not None:
            return f"line item {known} (property 41) is not in the checkout form"
        lines = self.by_variation.get(variation)
        if not lines:
            return f"variation {variation} is in no item of the sales order"
        if None in lines:
            return f"an item of variation {variation} has no Allegro line-item id (property 41)"
        if len(lines) > 1:
            named = ", ".join(sorted(map(str, lines)))
            return f"variation {variation} is in several line items ({named})"
        return f"the line item of variation {variation} is not in the checkout form"
