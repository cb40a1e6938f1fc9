"""What a checkout form needs, whichever source brought it: the one entry point per form.

Bound → brought up to date if it changed (never un-imported). Unbound with a
failure record → left to its retry schedule (it never holds a source up).
Not eligible → a decision, recorded once per version of the form. Eligible →
imported. A form that answers 404 is *gone* only if nothing says it was ever
paid; otherwise the 404 is a failure (a wrong account's token, the 365-day limit).
"""

from __future__ import annotations

from .._plan import Plan, call
from ..allegro.models import CheckoutForm
from ..errors import NotFoundError, ResponseValidationError
from ..ledger import Binding, Decision, FormVersion
from ..mapping import SkippedOrder, SkipReason
from ._state import AccountRun
from .failures import fail, unreadable
from .order import import_form
from .result import EntryKind
from .update import needs_update, update

__all__ = ["fetch_and_process", "process", "version_of"]

GONE = "gone"
"""The decision's reason for a form that no longer exists (merged before payment)."""
_NEVER_PAID = frozenset({SkipReason.NOT_READY.value, SkipReason.BUYER_CANCELLED.value})


def version_of(form: CheckoutForm) -> FormVersion:
    """What a decision about ``form`` was made on."""
    status = form.fulfillment.status if form.fulfillment else None
    return FormVersion(form.revision, form.updated_at, str(status) if status else None)


def process(run: AccountRun, form: CheckoutForm, *, retrying: bool = False) -> Plan[None]:
    """Do what ``form`` needs; its failures are recorded, not raised (except those that
    stop the account or the run).

    Args:
        retrying: The form's failure record is due (it came from ``due_retries``).
    """
    try:
        yield from _process(run, form, retrying)
    except Exception as error:
        yield from fail(run, form.id, error)


def _process(run: AccountRun, form: CheckoutForm, retrying: bool) -> Plan[None]:
    binding: Binding | None = yield from call("ledger", "binding", run.key, form.id)
    if binding is not None:
        if needs_update(binding, form):
            yield from update(run, form, binding)
        elif retrying and not run.dry_run:  # another worker finished it
            yield from call("ledger", "clear_failure", run.key, form.id)
        return
    if not retrying and (yield from call("ledger", "failure", run.key, form.id)) is not None:
        return  # its retry schedule brings it back
    skipped = run.mapper.eligibility(form)
    if skipped is None:
        yield from import_form(run, form)
    else:
        yield from _skip(run, form, skipped, retrying)


def _skip(run: AccountRun, form: CheckoutForm, skipped: SkippedOrder, retrying: bool) -> Plan[None]:
    version = version_of(form)
    fresh = yield from call(
        "ledger", "needs_look", run.key, form.id, version=version, fingerprint=run.fingerprint
    )
    if not fresh and not retrying:
        return
    if not run.dry_run:
        yield from call(
            "ledger", "decide", run.key, form.id, reason=skipped.reason.value,
            final=skipped.final, version=version, fingerprint=run.fingerprint,
        )  # fmt: skip
        if retrying:
            yield from call("ledger", "clear_failure", run.key, form.id)
    run.entry(EntryKind.SKIPPED, form.id, reason=skipped.message)


def fetch_and_process(
    run: AccountRun, form_id: str, *, paid_seen: bool = False, retrying: bool = False
) -> Plan[None]:
    """Read the form from Allegro and process it.

    Args:
        paid_seen: An event in hand says the form reached ``READY_FOR_PROCESSING``.
        retrying: The form's failure record is due.
    """
    try:
        form = yield from call(run.allegro, "get_checkout_form", form_id)
    except NotFoundError as missing:
        try:
            yield from _missing(run, form_id, missing, paid_seen)
        except Exception as error:
            yield from fail(run, form_id, error)
        return
    except ResponseValidationError as error:  # the form does not fit the model
        yield from unreadable(run, form_id, error)
        return
    except Exception as error:
        yield from fail(run, form_id, error)
        return
    yield from process(run, form, retrying=retrying)


def _missing(run: AccountRun, form_id: str, missing: NotFoundError, paid_seen: bool) -> Plan[None]:
    """A 404: gone (merged before payment) only if it was never bound, never seen paid,
    never failed and never decided other than unpaid or cancelled."""
    binding = yield from call("ledger", "binding", run.key, form_id)
    failure = yield from call("ledger", "failure", run.key, form_id)
    decision: Decision | None = yield from call("ledger", "decision", run.key, form_id)
    if decision is not None and decision.reason == GONE:
        return
    never_paid = decision is None or decision.reason in _NEVER_PAID
    if binding is not None or paid_seen or failure is not None or not never_paid:
        raise missing  # a wrong account's token or the 365-day limit: never "gone"
    if not run.dry_run:
        yield from call(
            "ledger", "decide", run.key, form_id, reason=GONE, final=True,
            version=FormVersion(), fingerprint=run.fingerprint,
        )  # fmt: skip
    run.entry(EntryKind.GONE, form_id, reason="the form no longer exists (merged before payment)")
