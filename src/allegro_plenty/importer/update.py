"""A bound form that changed: bring its plentymarkets order up to date, never un-import it.

An order this importer created but did not finish (a crash between the create
and its payments) is finished. Otherwise, once the form's revision moved on:
a new paid part (a surcharge) becomes exactly one new payment; a buyer's
cancellation takes the configured action (recorded in the ledger as the
library's own status write before it is sent). The form is claimed like an
import, and every write carries the claim's renewal.
"""

from __future__ import annotations

from .._plan import Plan, call
from ..allegro.models import CheckoutForm, CheckoutFormStatus
from ..errors import AllegroPlentyError
from ..ledger import Binding, BindingOrigin
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
    cancelled = form.status == CheckoutFormStatus.CANCELLED
    if cancelled:
        binding = yield from _cancel(run, binding, renew)
        changes.append("cancelled")
    yield from call("ledger", "update_binding", run.key, form.id, revision=form.revision)
    yield from call("ledger", "clear_failure", run.key, form.id)
    kind = EntryKind.CANCELLED if cancelled else EntryKind.UPDATED
    run.entry(kind, form.id, order_id=order_id, reason=", ".join(changes) or "revision")


def _cancel(run: AccountRun, binding: Binding, renew: Renew) -> Plan[Binding]:
    """The buyer cancelled: the configured status (recorded first as the library's own
    write) and a comment."""
    order_id, status = binding.plenty_order_id, run.settings.cancel_status
    if status is not None and CANCEL_STATUS not in binding.steps_done:
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
