"""A bound form that changed: bring its plentymarkets order up to date, never un-import it.

An order this importer created but did not finish (a crash between the create
and its payments) is finished. Otherwise, once the form's revision moved on:

* a new paid part (a surcharge) becomes exactly one new payment;
* line items that differ from the order's (they should not change after
  payment) are a warning and a comment, never rewritten;
* a changed delivery address or pickup point becomes a new address the order's
  delivery relation points to, while the order is unlocked and its status below
  ``address_update_max_status``; otherwise a comment (an address another order
  may use is never edited);
* a buyer's cancellation takes the configured action (recorded in the ledger as
  the library's own status write before it is sent) and a comment.

The form is claimed like an import, and every write carries the claim's renewal.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

import attrs

from .._plan import Plan, call
from ..allegro.models import CheckoutForm, CheckoutFormStatus
from ..errors import AllegroPlentyError
from ..ledger import Binding, BindingOrigin
from ..plenty.models import Address, AddressType, NewAddress, Order, OrderPropertyType
from ._state import AccountRun
from .order import (
    FINISHED,
    Renew,
    add_comment,
    finish,
    follow_ups,
    paid_parts,
    part_of,
    pay,
    under_claim,
)
from .referrers import referrers
from .result import EntryKind

__all__ = ["needs_update", "update"]

DELIVERY = AddressType.DELIVERY

CANCEL_STATUS = "cancel-status"
"""The step recorded once the cancellation's status was set."""
CANCELLED = "cancelled"
"""The step recorded once the cancellation's comment was added."""


def needs_update(binding: Binding, form: CheckoutForm) -> bool:
    """Whether a bound order lags behind its form (orders bound by hand are a person's)."""
    if binding.origin is BindingOrigin.MANUAL:
        return False
    return FINISHED not in binding.steps_done or binding.revision != form.revision


def update(run: AccountRun, form: CheckoutForm, binding: Binding) -> Plan[None]:
    """Claim the bound form and bring its order up to date."""
    run.budget.used += 1
    if run.dry_run:
        run.entry(
            EntryKind.UPDATED, form.id, order_id=binding.plenty_order_id, reason="would update"
        )
        return
    yield from under_claim(run, form.id, lambda renew: _claimed(run, form, renew))


def _claimed(run: AccountRun, form: CheckoutForm, renew: Renew) -> Plan[None]:
    binding: Binding | None = yield from call("ledger", "binding", run.key, form.id)
    if binding is None or not needs_update(binding, form):
        return  # another worker did it before this one took the claim
    refs = yield from referrers(run)
    wanted = yield from follow_ups(run, form, refs)
    order_id = binding.plenty_order_id
    if FINISHED not in binding.steps_done:
        yield from finish(run, form, binding, renew, wanted, resuming=True)
        run.entry(EntryKind.CREATED, form.id, order_id=order_id, reason="finished")
        return
    changes: list[str] = []
    for payment in wanted.payments:
        part = part_of(payment)
        if part in binding.paid_parts or part not in paid_parts(form):
            continue
        yield from pay(run, order_id, payment, part, renew, resuming=True)
        binding = yield from call("ledger", "update_binding", run.key, form.id, paid_parts=[part])
        changes.append(f"payment {part}")
    order: Order = yield from call("plenty", "get_order", order_id)
    if binding.origin is BindingOrigin.CREATED and _items_differ(form, order):
        binding = yield from _items_comment(run, form, binding, renew)
        changes.append("line items differ")
    if wanted.delivery is not None and not _same_place(wanted.delivery, order.address(DELIVERY)):
        binding, change = yield from _new_delivery(run, order, binding, wanted.delivery, renew)
        changes.append(change)
    cancelled = form.status == CheckoutFormStatus.CANCELLED
    if cancelled:
        binding = yield from _cancel(run, binding, order.status_id, renew)
        changes.append("cancelled")
    yield from call("ledger", "update_binding", run.key, form.id, revision=form.revision)
    yield from call("ledger", "clear_failure", run.key, form.id)
    kind = EntryKind.CANCELLED if cancelled else EntryKind.UPDATED
    run.entry(kind, form.id, order_id=order_id, reason=", ".join(changes) or "revision")


def _cancel(run: AccountRun, binding: Binding, current: Decimal, renew: Renew) -> Plan[Binding]:
    """The buyer cancelled: the configured status (recorded first as the library's own
    write) and a comment."""
    order_id, status = binding.plenty_order_id, run.settings.cancel_status
    if status is not None and CANCEL_STATUS not in binding.steps_done:
        # An order already in the status is not written to: the write would add no history
        # entry to consume the record, which would then hide a person's later change.
        if current != status:
            write = yield from call("ledger", "record_status_write", run.key, order_id, status)
            try:
                yield from call(
                    "plenty", "cancel_order", order_id, status=status,
                    message="Cancelled by the buyer on Allegro", precondition=renew,
                )  # fmt: skip
            except AllegroPlentyError as failed:
                if not failed.may_have_taken_effect:
                    yield from call("ledger", "forget_status_write", write)
                raise
        binding = yield from call(
            "ledger", "update_binding", run.key, binding.form_id, steps_done=[CANCEL_STATUS]
        )
    text = "The buyer cancelled this order on Allegro."
    return (yield from add_comment(run, binding, CANCELLED, text, renew, resuming=True))


_PLACE = ("name1", "name2", "name3", "address1", "address2", "address3", "postal_code", "town")


def _same_place(wanted: NewAddress, current: Address | None) -> bool:
    if current is None:
        return False
    if wanted.country_id != current.country_id:
        return False
    return all((getattr(wanted, f) or None) == (getattr(current, f) or None) for f in _PLACE)


def _items_differ(form: CheckoutForm, order: Order) -> bool:
    """Whether the order's line items (by Allegro line-item id, property 41) and their
    quantities are not the form's."""
    wanted = {line.id: Decimal(line.quantity) for line in form.line_items}
    have: dict[str, Decimal] = {}
    for item in order.order_items or ():
        line = item.property_value(OrderPropertyType.EXTERNAL_ORDER_ITEM_ID)
        if line is not None:
            have[line] = have.get(line, Decimal(0)) + item.quantity
    return wanted != have


def _mark(*parts: object) -> str:
    """A short, stable step name for one version of a change (so each is commented once)."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:12]


def _items_comment(
    run: AccountRun, form: CheckoutForm, binding: Binding, renew: Renew
) -> Plan[Binding]:
    lines = sorted((line.id, line.quantity) for line in form.line_items)
    run.warn(
        "items_changed",
        f"the line items of form {form.id} differ from order {binding.plenty_order_id}'s; "
        "the order's items were left as they are",
        form.id,
    )
    text = (
        "The line items of this order on Allegro differ from the order's items "
        "(they were not changed here); check the order. On Allegro now: "
        + "; ".join(f"line item {line} × {quantity}" for line, quantity in lines)
    )
    return (yield from add_comment(run, binding, f"items:{_mark(lines)}", text, renew, True))


def _new_delivery(
    run: AccountRun, order: Order, binding: Binding, wanted: NewAddress, renew: Renew
) -> Plan[tuple[Binding, str]]:
    """Point the order at a new delivery address, or say why not in a comment."""
    step = f"address:{_mark(attrs.astuple(wanted))}"
    if step in binding.steps_done:
        return binding, "delivery address (done before)"
    locked = bool(order.is_locked) or order.lock_status not in (None, "unlocked")
    late = order.status_id >= run.settings.address_update_max_status
    contact = order.contact_id
    if locked or late or contact is None:
        why = "locked" if locked else f"in status {order.status_id}" if late else "without contact"
        text = (
            f"The buyer changed the delivery address on Allegro, but the order is {why}, "
            f"so it was not changed here. New delivery address: {_lines(wanted)}"
        )
        binding = yield from add_comment(run, binding, step, text, renew, True)
        return binding, "delivery address changed (comment only)"
    made: Address = yield from call(
        "plenty", "create_address", contact, wanted, type_id=AddressType.DELIVERY,
        precondition=renew,
    )  # fmt: skip
    yield from call(
        "plenty", "set_order_address", order.id, made.id, type_id=AddressType.DELIVERY,
        precondition=renew,
    )  # fmt: skip
    text = (
        f"The buyer changed the delivery address on Allegro; the order now uses address {made.id}."
    )
    binding = yield from add_comment(run, binding, step, text, renew, True)
    return binding, f"delivery address {made.id}"


def _lines(address: NewAddress) -> str:
    parts = (
        address.name1, " ".join(p for p in (address.name2, address.name3) if p),
        " ".join(p for p in (address.address1, address.address2) if p), address.address3,
        f"{address.postal_code} {address.town}",
    )  # fmt: skip
    return ", ".join(part for part in parts if part)
