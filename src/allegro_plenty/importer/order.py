"""One checkout form into plentymarkets, exactly once: the per-form plan.

Skip if bound → claim → look the external order id up → adopt or resume what
exists → resolve references → map → contact and addresses → create → bind at
once → payments → comments → done. Every plenty write carries the claim's
renewal as its precondition, checked right before each send attempt: a worker
that lost its claim (its lease ran out while it waited) stops without writing.
After a write that failed but may have taken effect, the importer looks up
instead of sending it again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import attrs

from .._plan import Plan, bound, call
from ..allegro.models import CheckoutForm, PaymentType
from ..errors import AllegroPlentyError, DuplicateOrdersFound, ForeignOrderExists, MappingError
from ..ledger import Binding, BindingOrigin
from ..mapping import CommentDraft, OrderDraft, SkippedOrder
from ..plenty.models import (
    AddressRelation,
    AddressType,
    Comment,
    Contact,
    NewAddress,
    NewComment,
    NewPayment,
    Order,
    OrderProperty,
    OrderPropertyType,
    OrderRelation,
    OrderType,
    Payment,
    PaymentPropertyType,
)
from ._state import AccountRun, Referrers
from .failures import defer
from .references import reference, variation_ids
from .referrers import referrers
from .result import EntryKind

__all__ = [
    "FINISHED",
    "FollowUps",
    "add_comment",
    "finish",
    "follow_ups",
    "import_form",
    "map_form",
    "paid_parts",
    "part_of",
    "pay",
    "under_claim",
]

FINISHED = "finished"
"""The step a binding records once its order is complete (payments and comments included)."""

Renew = Callable[[], Any]


@attrs.frozen
class FollowUps:
    """What a bound order gets after its creation: one payment per paid part, comments;
    and where it goes (for the update path)."""

    payments: tuple[NewPayment, ...]
    comments: tuple[CommentDraft, ...]
    delivery: NewAddress | None = None


def follow_ups(run: AccountRun, form: CheckoutForm, refs: Referrers) -> Plan[FollowUps]:
    """The payments, comments and delivery address of ``form`` as it is now, whatever its
    eligibility.

    A bound form is never un-imported because its status moved on, so this
    uses the mapper's concerns directly, not :meth:`~OrderMapper.map`.
    """
    yield from reference(run)
    mapper = run.mapper
    try:
        state = mapper.start(form, run.context(refs.own, {}))
        delivery = mapper.delivery_address(state) or mapper.billing_address(state, None)
        return FollowUps(mapper.payments(state), mapper.comments(state), delivery)
    except MappingError:
        raise
    except Exception as exc:
        raise MappingError(
            f"unexpected {type(exc).__name__} while mapping", checkout_form_id=form.id
        ) from exc


def import_form(run: AccountRun, form: CheckoutForm) -> Plan[None]:
    """An eligible, unbound form: claim it and bring it into plentymarkets."""
    run.budget.used += 1
    if run.dry_run:
        yield from _dry_run(run, form)
        return
    yield from under_claim(run, form.id, lambda renew: _claimed(run, form, renew))


def under_claim(run: AccountRun, form_id: str, work: Callable[[Renew], Plan[None]]) -> Plan[None]:
    """Do ``work`` holding the form's claim; another worker's claim defers the form.

    ``work`` gets the claim's renewal, to pass as the precondition of every write.
    """
    claim = yield from call(
        "ledger", "claim", run.key, form_id, run.owner, lease=run.settings.lease
    )
    if claim is None:
        yield from defer(run, form_id, "claimed by another worker", lost_race=True)
        return
    renew = yield from bound("ledger", "renew", claim, lease=run.settings.lease)
    try:
        yield from work(renew)
    except Exception:
        yield from call("ledger", "release_claim", claim)
        raise
    yield from call("ledger", "release_claim", claim)


def _claimed(run: AccountRun, form: CheckoutForm, renew: Renew) -> Plan[None]:
    if (yield from call("ledger", "binding", run.key, form.id)) is not None:
        return  # another worker bound it before this one took the claim
    refs = yield from referrers(run)
    existing = yield from find_existing(run, form, refs)
    if existing is not None and existing.referrer_id != refs.own:
        yield from _adopt(run, form, existing.id)
        return
    if existing is not None:  # ours: an earlier run created it and stopped before binding it
        binding = yield from _bind(run, form, existing.id)
        wanted = yield from follow_ups(run, form, refs)
        yield from finish(run, form, binding, renew, wanted, resuming=True)
        run.entry(EntryKind.CREATED, form.id, order_id=existing.id, reason="found and finished")
        return
    draft = yield from map_form(run, form, refs)
    created = yield from _create(run, form, draft, refs, renew)
    binding = yield from _bind(run, form, created.id)
    wanted = FollowUps(draft.payments, draft.comments)
    yield from finish(run, form, binding, renew, wanted, resuming=False, created=created)
    run.entry(EntryKind.CREATED, form.id, order_id=created.id)


def _bind(run: AccountRun, form: CheckoutForm, order_id: int) -> Plan[Binding]:
    """Bind at once: from here on every run knows the order and finishes it."""
    binding: Binding = yield from call(
        "ledger", "bind", run.key, form.id, order_id, origin=BindingOrigin.CREATED
    )
    return binding


def _dry_run(run: AccountRun, form: CheckoutForm) -> Plan[None]:
    """What a run would do with an eligible form, reading only."""
    refs = yield from referrers(run)
    existing = yield from find_existing(run, form, refs)
    if existing is not None and existing.referrer_id != refs.own:
        run.entry(EntryKind.ADOPTED, form.id, order_id=existing.id, reason="would adopt")
        return
    yield from map_form(run, form, refs)
    if existing is not None:
        run.entry(EntryKind.CREATED, form.id, order_id=existing.id, reason="would finish")
    else:
        run.entry(EntryKind.CREATED, form.id, reason="would create")


# --- look-up and adoption ------------------------------------------------------------------


def find_existing(run: AccountRun, form: CheckoutForm, refs: Referrers) -> Plan[Order | None]:
    """The sales order already carrying the form's external id, if any.

    Only sales orders of the account's plentyId count: delivery orders, returns
    and credit notes copy property 7 and are not duplicates.

    Raises:
        DuplicateOrdersFound: More than one sales order carries it.
        ForeignOrderExists: One does, under a referrer neither ours nor adoptable.
    """
    found: dict[int, Order] = {}
    for external in run.settings.external_ids(form.id):
        orders: Sequence[Order] = yield from call("plenty", "find_orders_by_external_id", external)
        for order in orders:
            if order.type_id == OrderType.SALES_ORDER and order.plenty_id == run.account.plenty_id:
                found[order.id] = order
    if len(found) > 1:
        raise DuplicateOrdersFound(form.id, sorted(found))
    if not found:
        return None
    (order,) = found.values()
    adoptable = {refs.own, refs.main, *run.settings.adopt_referrer_ids}
    if order.referrer_id not in adoptable:
        raise ForeignOrderExists(form.id, order.id, order.referrer_id)
    return order


def part_of(payment: NewPayment) -> str:
    """The Allegro paid part a drafted payment books (its transaction id, payment property 1)."""
    return next(
        p.value for p in payment.properties if p.type_id == PaymentPropertyType.TRANSACTION_ID
    )


def paid_parts(form: CheckoutForm) -> list[str]:
    """The ids of the form's paid parts (payment, surcharges); each is one plenty payment."""
    parts = [form.payment] if form.payment is not None else []
    return [
        part.id
        for part in (*parts, *form.surcharges)
        if part.type != PaymentType.CASH_ON_DELIVERY and part.paid_amount is not None
    ]


def _adopt(run: AccountRun, form: CheckoutForm, order_id: int) -> Plan[None]:
    """Bind an order an earlier integration (or a person) made; write nothing to it."""
    yield from call(
        "ledger", "bind", run.key, form.id, order_id, origin=BindingOrigin.ADOPTED,
        revision=form.revision,
    )  # fmt: skip
    yield from call(
        "ledger", "update_binding", run.key, form.id,
        paid_parts=paid_parts(form), steps_done=[FINISHED],
    )  # fmt: skip
    yield from call("ledger", "clear_failure", run.key, form.id)
    run.entry(EntryKind.ADOPTED, form.id, order_id=order_id)


# --- mapping and creating ------------------------------------------------------------------


def map_form(run: AccountRun, form: CheckoutForm, refs: Referrers) -> Plan[OrderDraft]:
    """The form mapped for this account: its sub-referrer, property 7 as configured, property 10."""
    yield from reference(run)
    variations = yield from variation_ids(run, form)
    result = run.mapper.map(form, run.context(refs.own, variations))
    if isinstance(result, SkippedOrder):  # eligibility was checked: the form changed under us
        raise MappingError(result.message, checkout_form_id=form.id)
    for warning in result.warnings:
        run.warn(warning.code.value, warning.message, form.id)
    kept = [
        prop
        for prop in result.order.properties
        if prop.type_id
        not in (OrderPropertyType.EXTERNAL_ORDER_ID, OrderPropertyType.SELLER_ACCOUNT)
    ]
    properties = (
        OrderProperty(OrderPropertyType.EXTERNAL_ORDER_ID, run.settings.external_ids(form.id)[0]),
        *kept,
        OrderProperty(OrderPropertyType.SELLER_ACCOUNT, run.key),
    )
    return attrs.evolve(result, order=attrs.evolve(result.order, properties=properties))


def _create(
    run: AccountRun, form: CheckoutForm, draft: OrderDraft, refs: Referrers, renew: Renew
) -> Plan[Order]:
    contact_id = yield from _contact(run, form, draft, refs, renew)
    billing = yield from call(
        "plenty", "create_address", contact_id, draft.billing_address,
        type_id=AddressType.BILLING, precondition=renew,
    )  # fmt: skip
    delivery = billing
    if draft.delivery_address != draft.billing_address:
        delivery = yield from call(
            "plenty", "create_address", contact_id, draft.delivery_address,
            type_id=AddressType.DELIVERY, precondition=renew,
        )  # fmt: skip
    order = attrs.evolve(
        draft.order,
        relations=(OrderRelation("contact", contact_id, "receiver"),),
        address_relations=(
            AddressRelation(AddressType.BILLING, billing.id),
            AddressRelation(AddressType.DELIVERY, delivery.id),
        ),
    )
    try:
        created: Order = yield from call("plenty", "create_order", order, precondition=renew)
    except AllegroPlentyError as failed:
        if not failed.may_have_taken_effect:
            raise
        # It may exist although its answer was lost: look, never re-post.
        found = yield from find_existing(run, form, refs)
        if found is None or found.referrer_id != refs.own:
            raise
        return found
    return created


def _contact(
    run: AccountRun, form: CheckoutForm, draft: OrderDraft, refs: Referrers, renew: Renew
) -> Plan[int]:
    """The buyer's contact: found by external id if ours, else created.

    A guest gets an external id derived from the form, so a create whose answer
    was lost is found again instead of made twice.
    """
    external = draft.contact.external_id or f"allegro-guest-{form.id}"
    found = yield from _our_contact(external, refs)
    if found is not None:
        return found
    contact = attrs.evolve(draft.contact, external_id=external)
    try:
        made: Contact = yield from call("plenty", "create_contact", contact, precondition=renew)
    except AllegroPlentyError as failed:
        if not failed.may_have_taken_effect:
            raise
        found = yield from _our_contact(external, refs)
        if found is None:
            raise
        return found
    return made.id


def _our_contact(external_id: str, refs: Referrers) -> Plan[int | None]:
    contacts: Sequence[Contact] = yield from call(
        "plenty", "find_contacts_by_external_id", external_id
    )
    ours = sorted(c.id for c in contacts if c.referrer_id is not None and refs.owns(c.referrer_id))
    return ours[0] if ours else None


# --- follow-up steps -----------------------------------------------------------------------


def finish(
    run: AccountRun,
    form: CheckoutForm,
    binding: Binding,
    renew: Renew,
    follow_ups: FollowUps,
    *,
    resuming: bool,
    created: Order | None = None,
) -> Plan[Binding]:
    """Payments, comments and the total check of a bound order, each step once."""
    if created is not None or resuming:
        order = created or (yield from call("plenty", "get_order", binding.plenty_order_id))
        binding = yield from _check_total(run, form, order, binding, renew, resuming)
    for payment in follow_ups.payments:
        part = part_of(payment)
        if part in binding.paid_parts:
            continue
        yield from pay(run, binding.plenty_order_id, payment, part, renew, resuming=resuming)
        binding = yield from call("ledger", "update_binding", run.key, form.id, paid_parts=[part])
    for number, comment in enumerate(follow_ups.comments, start=1):
        kind = "comment" if number == 1 else f"comment-{number}"
        binding = yield from add_comment(run, binding, kind, comment.text, renew, resuming)
    binding = yield from call(
        "ledger", "update_binding", run.key, form.id, revision=form.revision,
        steps_done=[FINISHED],
    )  # fmt: skip
    yield from call("ledger", "clear_failure", run.key, form.id)
    return binding


def _check_total(
    run: AccountRun,
    form: CheckoutForm,
    order: Order,
    binding: Binding,
    renew: Renew,
    resuming: bool,
) -> Plan[Binding]:
    expected = form.summary.total_to_pay
    amount = next((a for a in order.amounts or () if a.currency == expected.currency), None)
    total = None if amount is None else (amount.invoice_total or amount.gross_total)
    if total is None or abs(total - expected.amount) <= run.settings.total_tolerance:
        return binding
    text = (
        f"Order total {total} {expected.currency} differs from Allegro's totalToPay "
        f"{expected.amount} {expected.currency}; check the order."
    )
    run.warn("total_mismatch", text, form.id)
    return (yield from add_comment(run, binding, "total", text, renew, resuming))


def pay(
    run: AccountRun, order_id: int, payment: NewPayment, part: str, renew: Renew, *, resuming: bool
) -> Plan[None]:
    """One paid part as one payment linked to the order; looked up first when resuming."""
    found = (yield from _payment(part)) if resuming else None
    if found is None:
        try:
            found = yield from call("plenty", "create_payment", payment, precondition=renew)
        except AllegroPlentyError as failed:
            if not failed.may_have_taken_effect:
                raise
            found = yield from _payment(part)
            if found is None:
                raise
    assert found is not None
    linked = found.order.order_id if found.order is not None else None
    if linked is None:
        yield from call("plenty", "link_payment_to_order", found.id, order_id, precondition=renew)
    elif linked != order_id:
        run.warn(
            "payment_linked_elsewhere",
            f"payment {found.id} (Allegro part {part}) is linked to order {linked}, not {order_id}",
        )


def _payment(part: str) -> Plan[Payment | None]:
    found: Sequence[Payment] = yield from call("plenty", "find_payments_by_transaction_id", part)
    return min(found, key=lambda payment: payment.id) if found else None


def add_comment(
    run: AccountRun, binding: Binding, kind: str, text: str, renew: Renew, resuming: bool
) -> Plan[Binding]:
    """One comment of ``kind`` on the bound order, once (looked up first when resuming)."""
    if kind in binding.steps_done:
        return binding
    order_id = binding.plenty_order_id
    comment = NewComment.plain(order_id, text)
    present = (yield from _has_comment(comment)) if resuming else False
    if not present:
        try:
            yield from call("plenty", "create_comment", comment, precondition=renew)
        except AllegroPlentyError as failed:
            if not failed.may_have_taken_effect or not (yield from _has_comment(comment)):
                raise
    updated: Binding = yield from call(
        "ledger", "update_binding", binding.account, binding.form_id, steps_done=[kind]
    )
    return updated


def _has_comment(comment: NewComment) -> Plan[bool]:
    existing: Sequence[Comment] = yield from call(
        "plenty", "order_comments", comment.reference_value
    )
    return any(c.text == comment.text for c in existing)
