"""Which checkout forms become plentymarkets orders: a decision, not an error.

A form that must not be imported (yet) is a :class:`SkippedOrder` with a
reason and whether the decision is final, never a
:class:`~allegro_plenty.errors.MappingError`: an importer quarantines errors,
and an unpaid form that is paid tomorrow must not be lost that way.
"""

from __future__ import annotations

from ..allegro.models import CheckoutForm, CheckoutFormStatus
from .config import MappingConfig, OneFulfillmentPolicy
from .drafts import SkippedOrder, SkipReason

__all__ = ["eligibility"]

# Read once: an enum member lookup is a descriptor call on CPython 3.11, and
# eligibility runs for every form an importer sees.
_READY = CheckoutFormStatus.READY_FOR_PROCESSING
_CANCELLED = CheckoutFormStatus.CANCELLED
_SKIP = OneFulfillmentPolicy.SKIP


def eligibility(form: CheckoutForm, config: MappingConfig) -> SkippedOrder | None:
    """Why ``form`` is not to be imported under ``config``, or ``None`` when it is.

    Eligible means all of: ``status == READY_FOR_PROCESSING`` (cash-on-delivery
    forms reach it unpaid, by design); One Fulfillment handled as configured;
    ``fulfillment.status`` in :attr:`MappingConfig.fulfillment_statuses`.
    """
    status = form.status
    if status != _READY:
        if status == _CANCELLED:
            return SkippedOrder(
                form.id, SkipReason.BUYER_CANCELLED, True, "the buyer cancelled the order"
            )
        return SkippedOrder(
            form.id,
            SkipReason.NOT_READY,
            False,
            f"status {_shown(status)}: not READY_FOR_PROCESSING yet "
            "(not paid, no cash on delivery chosen)",
        )
    if form.is_one_fulfillment:
        if config.one_fulfillment is _SKIP:
            return SkippedOrder(
                form.id,
                SkipReason.ONE_FULFILLMENT,
                True,
                "Allegro One Fulfillment order; the configuration skips them",
            )
        if not config.one_fulfillment_configured:
            return SkippedOrder(
                form.id,
                SkipReason.ONE_FULFILLMENT_NOT_CONFIGURED,
                False,
                "Allegro One Fulfillment order; configure one_fulfillment_status_id and "
                "one_fulfillment_warehouse_id to import it",
            )
    fulfillment = form.fulfillment.status if form.fulfillment else None
    if fulfillment not in config.fulfillment_statuses:
        wanted = ", ".join(sorted(map(str, config.fulfillment_statuses)))
        return SkippedOrder(
            form.id,
            SkipReason.FULFILLMENT_STATUS,
            False,
            f"fulfillment status {_shown(fulfillment)}: only {wanted} are imported",
        )
    return None


def _shown(status: str | None) -> str:
    # A status this release does not know arrives as Allegro sent it: quote it, briefly.
    return "absent" if status is None else repr(str(status)[:40])
