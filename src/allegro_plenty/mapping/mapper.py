"""The order mapper: an Allegro checkout form in, a plentymarkets order draft out.

Pure: no I/O, no clock, no globals. :meth:`OrderMapper.map` decides
eligibility, builds the call's :class:`~allegro_plenty.mapping.MappingRun` and
runs the assembly: the steps named in :attr:`OrderMapper.steps`, each one
small method that adds a part of the draft to a :class:`DraftParts`. A
subclass adds, replaces or reorders a step, or overrides one concern (one
public method taking the run) and inherits the rest (see ``docs/mapping.md``).

The concerns live by subject: ``parties`` (contact, addresses), ``items``,
``payments`` and ``comments``; this module holds the skeleton and the order
itself (status, warehouse, properties, dates).
"""

from __future__ import annotations

import decimal
import re
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from ..allegro.models import CheckoutForm, PaymentType
from ..errors import MappingError
from ..plenty.models import (
    NewOrder,
    OrderDate,
    OrderDateType,
    OrderProperty,
    OrderPropertyType,
    OrderType,
)
from ._base import complete, text_or_none
from .comments import CommentSteps
from .context import MappingContext, MappingRun, verified_eu_vat_id
from .drafts import MappingResult, OrderDraft, SkippedOrder, WarningCode
from .eligibility import eligibility
from .items import ItemSteps
from .parties import PartySteps
from .parts import DraftParts
from .payments import PaymentStatus, PaymentSteps
from .policies import VatBasis

__all__ = ["DraftParts", "OrderMapper", "PaymentStatus", "verified_eu_vat_id"]

_CURRENCY = re.compile(r"^[A-Z]{3}$")
_MONEY_CONTEXT = decimal.Context(
    prec=34,
    rounding=decimal.ROUND_HALF_EVEN,
    traps=[InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)
"""Arithmetic precision independent of whatever decimal context the host set.

Only ever used through :func:`decimal.localcontext`, which works on a copy,
so this module-level object is never mutated.
"""


class OrderMapper(PartySteps, ItemSteps, PaymentSteps, CommentSteps):
    """Maps an Allegro :class:`~allegro_plenty.allegro.CheckoutForm` to an :class:`OrderDraft`.

    Stateless and thread-safe: everything about one call lives in its
    :class:`MappingRun`. Only :class:`~allegro_plenty.errors.MappingError` leaves
    :meth:`map`.

    Attributes:
        config: The seller's configuration.
        steps: The assembly, in order: names of methods ``(run, parts) -> None``.
            A subclass extends it (``steps = (*OrderMapper.steps, "add_gift")``),
            replaces a step by overriding its method, or reorders the names;
            every name is checked when the class is created.
        tax_id_types: Which company id becomes the billing address's VAT number,
            in order of preference (the deprecated ``taxId`` is the last resort).
        text_limits: The length of each kind of text field (:data:`TEXT_LIMITS`);
            a subclass may set stricter ones.
    """

    steps: ClassVar[tuple[str, ...]] = (
        "add_delivery_address",
        "add_billing_address",
        "add_contact",
        "add_order_items",
        "check_totals",
        "add_payments",
        "check_payments",
        "add_order",
        "add_intra_eu_vat_id",
        "add_comments",
    )

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _check_steps(cls)

    # --- the one entry point ------------------------------------------------------

    def map(self, form: CheckoutForm, context: MappingContext) -> MappingResult:
        """Map ``form`` to an :class:`OrderDraft`, or decide to skip it.

        :meth:`eligibility` first; then :meth:`start` builds the call's
        :class:`MappingRun`, each of :attr:`steps` adds its part, and
        :meth:`draft` puts the parts together.

        Returns:
            An :class:`OrderDraft`, or the :class:`SkippedOrder` that
            :meth:`eligibility` decided.

        Raises:
            MappingError: The form cannot become a correct order: totals that do
                not add up, an unknown country, a missing variation under
                ``UnknownVariationPolicy.REFUSE`` … Nothing else is raised: an
                unexpected failure (a bug, here or in a subclass) is wrapped in
                a ``MappingError`` whose ``__cause__`` is the original.
        """
        try:
            with decimal.localcontext(_MONEY_CONTEXT):
                skipped = self.eligibility(form)
                if skipped is not None:
                    return skipped
                run = self.start(form, context)
                parts = DraftParts()
                for step in self.steps:
                    getattr(self, step)(run, parts)
                return self.draft(run, parts)
        except MappingError:
            raise
        except Exception as exc:
            form_id = getattr(form, "id", None)
            raise MappingError(
                f"unexpected {type(exc).__name__} while mapping",
                checkout_form_id=form_id if isinstance(form_id, str) else "?",
            ) from exc

    # --- the assembly: one small step per part of the draft ---------------------------

    def add_delivery_address(self, run: MappingRun, parts: DraftParts) -> None:
        """:meth:`delivery_address`."""
        parts.delivery_address = self.delivery_address(run)

    def add_billing_address(self, run: MappingRun, parts: DraftParts) -> None:
        """:meth:`billing_address`, given the delivery address."""
        parts.billing_address = self.billing_address(run, parts.delivery_address)

    def add_contact(self, run: MappingRun, parts: DraftParts) -> None:
        """:meth:`contact`."""
        parts.contact = self.contact(run)

    def add_order_items(self, run: MappingRun, parts: DraftParts) -> None:
        """:meth:`order_items`."""
        parts.order_items = self.order_items(run)

    def add_payments(self, run: MappingRun, parts: DraftParts) -> None:
        """:meth:`payments`."""
        parts.payments = self.payments(run)

    def add_order(self, run: MappingRun, parts: DraftParts) -> None:
        """The order: :meth:`status_id`, :meth:`properties`, :meth:`dates`, the items."""
        parts.order = NewOrder(
            type_id=OrderType.SALES_ORDER,
            plenty_id=self.config.plenty_id,
            status_id=self.status_id(run),
            referrer_id=run.context.referrer_id,
            order_items=parts.order_items,
            properties=self.properties(run),
            dates=self.dates(run),
        )

    def add_intra_eu_vat_id(self, run: MappingRun, parts: DraftParts) -> None:
        """:meth:`intra_eu_vat_id`."""
        parts.intra_eu_vat_id = self.intra_eu_vat_id(run)

    def add_comments(self, run: MappingRun, parts: DraftParts) -> None:
        """:meth:`comments`."""
        parts.comments = self.comments(run)

    def draft(self, run: MappingRun, parts: DraftParts) -> OrderDraft:
        """The draft from its parts; billing serves for delivery when there is none.

        A draft needs a contact, a billing address and an order: a set of steps
        that leaves one out is a bug, reported as a :class:`MappingError`.
        """
        contact, billing, order = parts.contact, parts.billing_address, parts.order
        if contact is None or billing is None or order is None:
            missing = [
                name
                for name in ("contact", "billing_address", "order")
                if getattr(parts, name) is None
            ]
            raise run.error(f"the assembly steps made no {', '.join(missing)}")
        delivery = parts.delivery_address
        return OrderDraft(
            checkout_form_id=run.form.id,
            contact=contact,
            billing_address=billing,
            delivery_address=billing if delivery is None else delivery,
            order=order,
            payments=parts.payments,
            comments=parts.comments,
            warnings=tuple(run.warnings),
            intra_eu_vat_id=parts.intra_eu_vat_id,
        )

    # --- decisions and set-up ------------------------------------------------------

    def eligibility(self, form: CheckoutForm) -> SkippedOrder | None:
        """Why ``form`` is not to be imported (yet), or ``None`` to map it.

        Pure and cheap, and needs no :class:`MappingContext`: an importer may
        call it before resolving anything. Eligible means all of:
        ``status == READY_FOR_PROCESSING`` (cash-on-delivery forms reach it
        unpaid), One Fulfillment handled as configured, and
        ``fulfillment.status`` in :attr:`MappingConfig.fulfillment_statuses`.
        """
        return eligibility(form, self.config)

    def start(self, form: CheckoutForm, context: MappingContext) -> MappingRun:
        """Check what every concern relies on and build the call's :class:`MappingRun`."""
        if not isinstance(form.id, str) or not form.id.strip():
            raise MappingError("the checkout form has no id", checkout_form_id="?", field_path="id")

        def error(reason: str, path: str) -> MappingError:
            return MappingError(reason, checkout_form_id=form.id, field_path=path)

        if not form.line_items:
            raise error("the order has no line items", "lineItems")
        currency = form.summary.total_to_pay.currency
        if not _CURRENCY.match(currency):
            raise error(f"{currency!r} is not an ISO 4217 code", "summary.totalToPay.currency")
        policy = self.config.currency
        rate = policy.rate(currency, context.exchange_rates)
        if rate is None:
            raise error(
                f"no exchange rate for {currency} (system currency {policy.system_currency})",
                "summary.totalToPay.currency",
            )
        destination, path = self.destination_country(form)
        if not destination and self.config.vat.basis is VatBasis.DESTINATION:
            raise error("no destination country to choose the VAT configuration by", path)
        vat_country = self.config.vat.country(destination.upper() if destination else "")
        vat = context.vat_configurations.get(vat_country)
        if vat is None:
            raise error(f"no VAT configuration for country {vat_country!r}", path)
        return MappingRun(
            form, context, currency, rate, vat_country, vat, text_limits=self.text_limits
        )

    def destination_country(self, form: CheckoutForm) -> tuple[str | None, str]:
        """Where the goods go (country code and its field path), for destination VAT."""
        delivery = form.delivery
        if delivery is not None:
            place = complete(delivery.pickup_point.address) if delivery.pickup_point else None
            country = text_or_none(place.country_code) if place is not None else None
            if country:
                return country, "delivery.pickupPoint.address.countryCode"
            if delivery.address is not None:
                return delivery.address.country_code, "delivery.address.countryCode"
        invoice = form.invoice.address if form.invoice else None
        if invoice is not None:
            return invoice.country_code, "invoice.address.countryCode"
        buyer = form.buyer.address
        return (buyer.country_code if buyer else None), "buyer.address.countryCode"

    # --- the order ---------------------------------------------------------------------

    def status_id(self, run: MappingRun) -> Decimal:
        """The new order's status; One Fulfillment orders never get the normal one."""
        if run.form.is_one_fulfillment:
            if self.config.one_fulfillment_status_id is None:
                raise run.error("no one_fulfillment_status_id configured", "fulfillment.provider")
            return self.config.one_fulfillment_status_id
        return self.config.status_id

    def warehouse_id(self, run: MappingRun) -> int | None:
        """The new order's warehouse (order property 1); One Fulfillment orders never get
        the normal one."""
        if run.form.is_one_fulfillment:
            if self.config.one_fulfillment_warehouse_id is None:
                raise run.error(
                    "no one_fulfillment_warehouse_id configured", "fulfillment.provider"
                )
            return self.config.one_fulfillment_warehouse_id
        return self.config.warehouse_id

    def properties(self, run: MappingRun) -> tuple[OrderProperty, ...]:
        """Order properties: 7 checkout-form id, 6 language, 3 method of payment,
        2 shipping profile, 4 payment status, 1 warehouse (when configured)."""
        form = run.form
        if form.payment is None:
            raise run.error("the order has no payment", "payment")
        mop = self.payment_method_id(run, form.payment.type, "payment.type")
        properties = [
            OrderProperty(OrderPropertyType.EXTERNAL_ORDER_ID, form.id),
            OrderProperty(OrderPropertyType.DOCUMENT_LANGUAGE, self.config.language),
            OrderProperty(OrderPropertyType.PAYMENT_METHOD, str(mop)),
        ]
        method = form.delivery.method if form.delivery else None
        method_id = text_or_none(method.id) if method else None
        profile = self.config.shipping_profile_id(method_id)
        if profile is None and form.delivery is not None:
            raise run.error(
                f"no shipping profile configured for delivery method {method_id}",
                "delivery.method.id",
            )
        if profile is not None:
            properties.append(OrderProperty(OrderPropertyType.SHIPPING_PROFILE, str(profile)))
        properties.append(OrderProperty(OrderPropertyType.PAYMENT_STATUS, self.payment_status(run)))
        warehouse = self.warehouse_id(run)
        if warehouse is not None:
            properties.append(OrderProperty(OrderPropertyType.WAREHOUSE, str(warehouse)))
        return tuple(properties)

    def dates(self, run: MappingRun) -> tuple[OrderDate, ...]:
        """Dates: created = earliest ``boughtAt``; paid = ``payment.finishedAt`` (not
        for cash on delivery, where it is the checkout time); estimated shipping
        = ``delivery.time.dispatch.to``."""
        form = run.form
        dates: list[OrderDate] = []
        bought = [line.bought_at for line in form.line_items if line.bought_at is not None]
        if bought:
            dates.append(OrderDate(OrderDateType.CREATED, min(bought)))
        payment = form.payment
        if (
            payment is not None
            and payment.type != PaymentType.CASH_ON_DELIVERY
            and payment.finished_at is not None
        ):
            dates.append(OrderDate(OrderDateType.PAID, payment.finished_at))
        time = form.delivery.time if form.delivery else None
        dispatch = time.dispatch if time else None
        if dispatch is not None and dispatch.to is not None:
            dates.append(OrderDate(OrderDateType.ESTIMATED_SHIPPING, dispatch.to))
        return tuple(dates)

    def intra_eu_vat_id(self, run: MappingRun) -> str | None:
        """The verified EU VAT id of an intra-EU business buyer (flagged with a warning)."""
        vat_id = run.eu_vat_id
        if vat_id is not None:
            run.warn(
                WarningCode.INTRA_EU_VAT_BUYER,
                f"EU business buyer with verified VAT id {vat_id}: check the tax treatment",
                "invoice.address.company.ids",
            )
        return vat_id


def _check_steps(cls: type[OrderMapper]) -> None:
    """Refuse, when the class is created, a step that names no method."""
    steps: object = cls.steps
    if not isinstance(steps, tuple):
        raise TypeError(f"{cls.__name__}.steps must be a tuple of method names")
    for step in steps:
        if not isinstance(step, str) or not callable(getattr(cls, step, None)):
            raise TypeError(f"{cls.__name__}.steps: {step!r} names no method of the class")
    if len(set(steps)) != len(steps):
        raise TypeError(f"{cls.__name__}.steps names a step twice")


_check_steps(OrderMapper)
