"""From a plentymarkets order id to its Allegro account and checkout form, as a plan.

First the ledger's binding (no plentymarkets call for a bound sales order). Else
the plentymarkets order: a delivery or return order leads to its parent sales
order (the child stays the dispatch's subject), and a sales order that is not
bound counts as an Allegro order only when its referrer is one of ours (the
importer's, recorded in the ledger as the cursor ``"referrer"``, or one
configured) *and* its property 7 is exactly a checkout-form id.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from .._plan import Plan, call
from ..errors import ConfigurationError, NotFromAllegroError
from ..ledger import Binding, Cursor
from ..plenty.models import Order, OrderPropertyType, OrderType
from .config import ProcedureConfig
from .context import ProcedureOrder

__all__ = ["REFERRER_CURSOR", "resolve"]

REFERRER_CURSOR = "referrer"
"""The ledger cursor where the importer keeps an account's referrers:
``{"parent_id": "<decimal text>", "referrer_id": "<decimal text>"}``."""

CHILD_TYPES = (OrderType.DELIVERY, OrderType.RETURNS)
_READ = ("relations",)  # the order's references (its parent) come with its relations


def resolve(
    plenty_order_id: int,
    subject: str | None,
    *,
    accounts: Sequence[str],
    config: ProcedureConfig,
    plenty: str = "plenty",
    ledger: str = "ledger",
) -> Plan[ProcedureOrder]:
    """The Allegro order behind ``plenty_order_id``; raises
    :class:`~allegro_plenty.errors.NotFromAllegroError` when there is none."""
    binding: Binding | None = yield from call(ledger, "binding_for_order", plenty_order_id)
    if binding is not None:
        return _bound(binding, plenty_order_id, subject, accounts)
    order: Order = yield from call(plenty, "get_order", plenty_order_id, relations=_READ)
    if order.type_id == OrderType.SALES_ORDER:
        account, form_id = yield from _from_plenty(order, accounts, config, ledger)
        return ProcedureOrder(
            account, form_id, order.id, plenty_order_id, subject=subject, sales_order=order
        )
    if order.type_id not in CHILD_TYPES:
        raise NotFromAllegroError(
            plenty_order_id, f"it is of order type {order.type_id}: neither a sales order nor "
            "a delivery or return order of one"
        )  # fmt: skip
    parent_id = _parent(order)
    binding = yield from call(ledger, "binding_for_order", parent_id)
    sales: Order | None = None
    if binding is not None:
        found = _bound(binding, plenty_order_id, subject, accounts)
        account, form_id = found.account, found.form_id
    else:
        sales = yield from call(plenty, "get_order", parent_id, relations=_READ)
        if sales.type_id != OrderType.SALES_ORDER:
            raise NotFromAllegroError(
                plenty_order_id, f"its parent {parent_id} is no sales order (type {sales.type_id})"
            )
        account, form_id = yield from _from_plenty(sales, accounts, config, ledger)
    return ProcedureOrder(
        account,
        form_id,
        parent_id,
        plenty_order_id,
        child_id=order.id,
        child_type=order.type_id,
        subject=subject,
        binding=binding,
        child_order=order,
        sales_order=sales,
    )


def _bound(
    binding: Binding, dispatched: int, subject: str | None, accounts: Sequence[str]
) -> ProcedureOrder:
    if binding.account not in accounts:
        raise ConfigurationError(
            f"plentymarkets order {binding.plenty_order_id} belongs to Allegro account "
            f"{binding.account!r}, which this runner has no client for"
        )
    return ProcedureOrder(
        binding.account,
        binding.form_id,
        binding.plenty_order_id,
        dispatched,
        subject=subject,
        binding=binding,
    )


def _parent(order: Order) -> int:
    parents = {
        r.reference_order_id
        for r in order.order_references or ()
        if r.reference_type == "parent" and r.reference_order_id != order.id
    }
    if len(parents) != 1:
        kind = "delivery" if order.type_id == OrderType.DELIVERY else "return"
        found = ", ".join(map(str, sorted(parents))) or "none"
        raise NotFromAllegroError(
            order.id, f"a {kind} order needs exactly one parent sales order (found: {found})"
        )
    return parents.pop()


def _from_plenty(
    order: Order, accounts: Sequence[str], config: ProcedureConfig, ledger: str
) -> Plan[tuple[str, str]]:
    """The account and form of an unbound sales order, from its referrer and property 7."""
    form_id = order.property_value(OrderPropertyType.EXTERNAL_ORDER_ID)
    if form_id is None or not _is_form_id(form_id):
        found = "none" if form_id is None else repr(form_id[:80])
        raise NotFromAllegroError(
            order.id, f"its external order id (property 7) is no Allegro checkout-form id ({found})"
        )
    referrer = _decimal(order.referrer_id)
    own: list[str] = []
    shared = referrer in config.referrer_ids
    for account in accounts:
        cursor: Cursor | None = yield from call(ledger, "cursor", account, REFERRER_CURSOR)
        parent_id, referrer_id = _importer_referrers(cursor)
        if referrer is not None and referrer == referrer_id:
            own.append(account)
        shared = shared or (referrer is not None and referrer == parent_id)
    if not own and not shared:
        raise NotFromAllegroError(order.id, f"its referrer {order.referrer_id} is none of ours")
    candidates = own or list(accounts)
    seller = order.property_value(OrderPropertyType.SELLER_ACCOUNT)
    if seller in candidates:
        return seller, form_id
    if len(candidates) == 1:
        return candidates[0], form_id
    raise NotFromAllegroError(
        order.id,
        f"its referrer {order.referrer_id} is shared by accounts {', '.join(candidates)} and "
        "its property 10 names none of them",
    )


def _is_form_id(value: str) -> bool:
    """Exactly a checkout-form id: a UUID as Allegro writes it (lower case), nothing around it."""
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


def _decimal(value: object) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number.normalize() if number.is_finite() else None


def _importer_referrers(cursor: Cursor | None) -> tuple[Decimal | None, Decimal | None]:
    value = cursor.value if cursor is not None else None
    if not isinstance(value, dict):
        return None, None
    return _decimal(value.get("parent_id")), _decimal(value.get("referrer_id"))
