"""What the mapper produces: an order draft, or a decision to skip the form.

An :class:`OrderDraft` holds everything the importer sends to plentymarkets,
in the order it sends it: the contact, the two addresses, the order, the
payments and the comments. The importer fills in the ids plentymarkets
assigns (contact, addresses, order) and leaves every other value as drafted.
"""

from __future__ import annotations

import enum
from decimal import Decimal
from typing import TypeAlias

import attrs

from ..plenty.models import NewAddress, NewContact, NewOrder, NewPayment

__all__ = [
    "CommentDraft",
    "MappingResult",
    "MappingWarning",
    "OrderDraft",
    "SkipReason",
    "SkippedOrder",
    "WarningCode",
]


class WarningCode(str, enum.Enum):
    """Why the mapper reported a warning."""

    UNASSIGNED_VARIATION = "unassigned_variation"
    """A line item has no known variation and became an unassigned item (type 9)."""
    PAYMENT_MISMATCH = "payment_mismatch"
    """The paid parts do not add up to ``summary.totalToPay`` (under- or overpaid)."""
    NO_PAID_AMOUNT = "no_paid_amount"
    """A prepaid part carries no ``paidAmount``, so no payment was drafted for it."""
    SMART_DELIVERY_COST = "smart_delivery_cost"
    """An Allegro Smart order carries a delivery cost (co-financed or reduced Smart)."""
    PICKUP_POINT_WITHOUT_ADDRESS = "pickup_point_without_address"
    """A pickup point has no complete address; the recipient's delivery address was used,
    without the point's label (the point stays named in the comment)."""
    DELIVERY_WITHOUT_ADDRESS = "delivery_without_address"
    """The delivery has neither an address nor a pickup point; the billing address was used."""
    INVOICE_WITHOUT_ADDRESS = "invoice_without_address"
    """An invoice is required but has no address; billing uses the delivery address."""
    TAX_RATE_NOT_CONFIGURED = "tax_rate_not_configured"
    """A line's tax rate is in no VAT field; the default field was used."""
    INTRA_EU_VAT_BUYER = "intra_eu_vat_buyer"
    """An EU business buyer with a VAT id Allegro verified: check the tax treatment."""
    STREET_NOT_SPLIT = "street_not_split"
    """A street line holds a number the split cannot place; it was kept whole in ``address1``."""
    TEXT_TRUNCATED = "text_truncated"
    """A text was longer than its plentymarkets field (:data:`TEXT_LIMITS`) and was cut."""


@attrs.frozen
class MappingWarning:
    """Something the seller should look at; the order was still mapped.

    Carries ids and field paths only: never names, addresses or phone numbers.
    """

    code: WarningCode
    message: str
    field_path: str | None = None


@attrs.frozen
class CommentDraft:
    """A comment to add to the order once it exists.

    ``text`` is **plain text**, never HTML: the buyer's message is copied as the
    buyer wrote it. The plentymarkets client HTML-escapes plain text when it
    sends the comment, so escaping here too would show ``&lt;`` to the seller.
    """

    text: str
    is_visible_for_contact: bool = False


@attrs.frozen
class OrderDraft:
    """Everything to create in plentymarkets for one checkout form.

    The importer creates :attr:`contact` (or finds it: when
    ``contact.external_id`` is set, it is the Allegro ``buyer.id`` to look up
    first; when it is ``None``, a new guest contact is created), then the two
    addresses (when :attr:`billing_address` equals :attr:`delivery_address`
    one address serves as both), then :attr:`order` with ``relations`` and
    ``address_relations`` filled in, then :attr:`payments` and
    :attr:`comments`.

    Attributes:
        checkout_form_id: The Allegro checkout-form id (also order property 7).
        contact: The contact to find or create.
        billing_address: The billing (invoice) address.
        delivery_address: The delivery address.
        order: The order; ``relations`` and ``address_relations`` are left empty.
        payments: One payment per paid part; none for cash on delivery.
        comments: Plain-text comments for the order.
        warnings: What the seller should look at.
        intra_eu_vat_id: The buyer's EU VAT id when Allegro verified it
            (``VAT_EU_VERIFIED``): an intra-community supply to check.
    """

    checkout_form_id: str
    contact: NewContact
    billing_address: NewAddress
    delivery_address: NewAddress
    order: NewOrder
    payments: tuple[NewPayment, ...] = ()
    comments: tuple[CommentDraft, ...] = ()
    warnings: tuple[MappingWarning, ...] = ()
    intra_eu_vat_id: str | None = None

    @property
    def currency(self) -> str:
        """The currency of the order's items (the Allegro order's currency)."""
        return self.order.order_items[0].amounts[0].currency

    @property
    def total(self) -> Decimal:
        """The order total: the sum of quantity × gross unit price over every item."""
        return sum(
            (
                item.quantity * item.amounts[0].price_original_gross
                for item in self.order.order_items
            ),
            Decimal(0),
        )


class SkipReason(str, enum.Enum):
    """Why a checkout form is not imported (see :meth:`OrderMapper.eligibility`)."""

    NOT_READY = "not_ready"
    """Not ``READY_FOR_PROCESSING`` yet (``BOUGHT``, ``FILLED_IN``, or a status this
    release does not know). Not final: the buyer may still pay."""
    BUYER_CANCELLED = "buyer_cancelled"
    """The buyer cancelled the form (``status == CANCELLED``). Final."""
    FULFILLMENT_STATUS = "fulfillment_status"
    """``fulfillment.status`` is outside :attr:`MappingConfig.fulfillment_statuses`,
    unknown or absent. Not final: a seller can set a status back."""
    ONE_FULFILLMENT = "one_fulfillment"
    """Allegro's warehouse ships it and the configuration says skip. Final for the
    configuration that decided it (:meth:`MappingConfig.fingerprint`)."""
    ONE_FULFILLMENT_NOT_CONFIGURED = "one_fulfillment_not_configured"
    """Allegro's warehouse ships it, the configuration says import, but its status and
    warehouse are not configured yet. Not final: import it once they are."""


@attrs.frozen
class SkippedOrder:
    """The decision not to import a form (yet): a result, not an error.

    The importer records it with :meth:`MappingConfig.fingerprint`. A final
    skip stands while the fingerprint is unchanged: do not fetch the form for
    import again. A skip that is not final is looked at again when the form
    changes (a ``READY_FOR_PROCESSING`` or ``FULFILLMENT_STATUS_CHANGED`` event)
    or the configuration does.

    Attributes:
        checkout_form_id: The Allegro checkout-form id.
        reason: Why.
        final: Whether the decision can change while the configuration stays.
        message: The reason in words, for the seller (ids and statuses only,
            never personal data).
    """

    checkout_form_id: str
    reason: SkipReason
    final: bool
    message: str


MappingResult: TypeAlias = OrderDraft | SkippedOrder
"""What :meth:`~allegro_plenty.mapping.OrderMapper.map` returns."""
