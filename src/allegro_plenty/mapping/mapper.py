"""The order mapper: an Allegro checkout form in, a plentymarkets order draft out.

Pure: no I/O, no clock, no globals. Every concern is one small public method
taking the :class:`~allegro_plenty.mapping.MappingRun` of the current call, so
a subclass overrides one concern and inherits the rest (see ``docs/mapping.md``).
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import ClassVar

from ..allegro.models import (
    CheckoutForm,
    DeliveryAddress,
    InvoiceCompany,
    LineItem,
    Payment,
    PaymentType,
    PickupPoint,
    PickupPointAddress,
)
from ..errors import MappingError
from ..plenty.models import (
    AddressOption,
    AddressOptionType,
    ContactOption,
    ContactOptionSubType,
    ContactOptionType,
    NewAddress,
    NewContact,
    NewOrder,
    NewOrderItem,
    NewPayment,
    OrderDate,
    OrderDateType,
    OrderItemAmount,
    OrderItemProperty,
    OrderItemType,
    OrderProperty,
    OrderPropertyType,
    OrderType,
    PaymentProperty,
    PaymentPropertyType,
)
from .addresses import split_street
from .config import ContactPolicy, MappingConfig, UnknownVariationPolicy
from .context import MappingContext, MappingRun
from .drafts import CommentDraft, MappingResult, OrderDraft, SkippedOrder, WarningCode
from .eligibility import eligibility
from .policies import UnmatchedTaxRate, VatBasis, VatChoice
from .text import TEXT_LIMITS, TextField, TextLimit, clean_text

__all__ = ["OrderMapper", "PaymentStatus", "verified_eu_vat_id"]

# TextField members read once: on CPython 3.11 every enum member lookup is a
# descriptor call, and the mapper asks for some thirty text limits per form.
_NAME = TextField.NAME
_STREET = TextField.STREET
_HOUSE_NUMBER = TextField.HOUSE_NUMBER
_ADDITIONAL = TextField.ADDITIONAL
_TOWN = TextField.TOWN
_POSTAL_CODE = TextField.POSTAL_CODE
_PHONE = TextField.PHONE
_EMAIL = TextField.EMAIL
_VAT_NUMBER = TextField.VAT_NUMBER
_ITEM_NAME = TextField.ITEM_NAME
_COMMENT_DETAIL = TextField.COMMENT_DETAIL
_BUYER_MESSAGE = TextField.BUYER_MESSAGE
_SELLER_NOTE = TextField.SELLER_NOTE

_CUSTOMER = 1
"""plentymarkets contact type 1: customer."""
_ORIGIN_IMPORT = "4"
"""Payment origin 4: import (what the shopware connector sends for external payments)."""
_MAX_QUANTITY = 1_000_000
_QUANTITIES = tuple(map(Decimal, range(100)))
"""Item quantities as Decimals, made once: Decimals are immutable, and every item needs one."""
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


class PaymentStatus:
    """Values of order property 4 (payment status)."""

    UNPAID = "unpaid"
    PARTLY_PAID = "partlyPaid"
    FULLY_PAID = "fullyPaid"
    OVERPAID = "overpaid"


def verified_eu_vat_id(form: CheckoutForm) -> str | None:
    """The buyer's EU VAT id, when the invoice has ``VAT_EU_VERIFIED`` and a ``VAT_EU`` id."""
    invoice = form.invoice
    if invoice is None or not invoice.features or "VAT_EU_VERIFIED" not in invoice.features:
        return None
    company = invoice.address.company if invoice.address else None
    for company_id in (company.ids or ()) if company else ():
        value = clean_text(company_id.value)
        if company_id.type == "VAT_EU" and value:
            return value
    return None


def _text(value: str | None) -> str | None:
    """``value`` stripped, or ``None`` when blank."""
    if value is None:
        return None
    stripped = value.strip()
    return stripped or None


class OrderMapper:
    """Maps an Allegro :class:`~allegro_plenty.allegro.CheckoutForm` to an :class:`OrderDraft`.

    Stateless and thread-safe: everything about one call lives in its
    :class:`MappingRun`. Only :class:`~allegro_plenty.errors.MappingError` leaves
    :meth:`map`.

    Attributes:
        config: The seller's configuration.
        tax_id_types: Which company id becomes the billing address's VAT number,
            in order of preference (the deprecated ``taxId`` is the last resort).
        text_limits: The length of each kind of text field (:data:`TEXT_LIMITS`);
            a subclass may set stricter ones.
    """

    tax_id_types: ClassVar[tuple[str, ...]] = (
        "PL_NIP",
        "CZ_DIC",
        "SK_IC_DPH",
        "HU_ADOSZAM",
        "VAT_EU",
        "CZ_ICO",
        "SK_ICO",
        "OTHER",
    )
    text_limits: ClassVar[Mapping[TextField, TextLimit]] = TEXT_LIMITS

    def __init__(self, config: MappingConfig) -> None:
        self.config = config

    # --- the one entry point ------------------------------------------------------

    def map(self, form: CheckoutForm, context: MappingContext) -> MappingResult:
        """Map ``form`` to an :class:`OrderDraft`, or decide to skip it.

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
                return self._map(form, context)
        except MappingError:
            raise
        except Exception as exc:
            form_id = getattr(form, "id", None)
            raise MappingError(
                f"unexpected {type(exc).__name__} while mapping",
                checkout_form_id=form_id if isinstance(form_id, str) else "?",
            ) from exc

    def _map(self, form: CheckoutForm, context: MappingContext) -> MappingResult:
        skipped = self.eligibility(form)
        if skipped is not None:
            return skipped
        run = self.start(form, context)
        delivery = self.delivery_address(run)
        billing = self.billing_address(run, delivery)
        contact = self.contact(run)
        items = self.order_items(run)
        self._check_totals(run, items)
        payments = self.payments(run)
        self._check_payments(run, payments)
        order = NewOrder(
            type_id=OrderType.SALES_ORDER,
            plenty_id=self.config.plenty_id,
            status_id=self.status_id(run),
            referrer_id=context.referrer_id,
            order_items=items,
            properties=self.properties(run),
            dates=self.dates(run),
        )
        eu_vat_id = self.intra_eu_vat_id(run)
        return OrderDraft(
            checkout_form_id=form.id,
            contact=contact,
            billing_address=billing,
            delivery_address=billing if delivery is None else delivery,
            order=order,
            payments=payments,
            comments=self.comments(run),
            warnings=tuple(run.warnings),
            intra_eu_vat_id=eu_vat_id,
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
            place = _complete(delivery.pickup_point.address) if delivery.pickup_point else None
            country = _text(place.country_code) if place is not None else None
            if country:
                return country, "delivery.pickupPoint.address.countryCode"
            if delivery.address is not None:
                return delivery.address.country_code, "delivery.address.countryCode"
        invoice = form.invoice.address if form.invoice else None
        if invoice is not None:
            return invoice.country_code, "invoice.address.countryCode"
        buyer = form.buyer.address
        return (buyer.country_code if buyer else None), "buyer.address.countryCode"

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

    # --- contact and addresses -----------------------------------------------------

    def contact(self, run: MappingRun) -> NewContact:
        """The contact: keyed by ``buyer.id`` (``externalId``) or a new guest.

        Never keyed by e-mail (a per-order relay alias); ``personalIdentity``
        (PESEL) is never read.
        """
        buyer = run.form.buyer
        recipient = run.form.delivery.address if run.form.delivery else None
        per_buyer = self.config.contact_policy is ContactPolicy.PER_BUYER
        if per_buyer and not buyer.id.strip():
            raise run.error("the buyer has no id to key the contact by", "buyer.id")
        options: list[ContactOption] = []
        email = run.text(buyer.email, _EMAIL, "buyer.email")
        if email:
            options.append(
                ContactOption(ContactOptionType.EMAIL, ContactOptionSubType.PRIVATE, email)
            )
        phone = run.text(buyer.phone_number, _PHONE, "buyer.phoneNumber")
        if not phone and recipient is not None:
            phone = run.text(recipient.phone_number, _PHONE, "delivery.address.phoneNumber")
        if phone:
            options.append(
                ContactOption(ContactOptionType.PHONE, ContactOptionSubType.PRIVATE, phone)
            )
        if not per_buyer:
            options.append(ContactOption(ContactOptionType.ACCESS, ContactOptionSubType.GUEST, "1"))
        return NewContact(
            type_id=_CUSTOMER,
            referrer_id=run.context.referrer_id,
            lang=self.config.language,
            external_id=buyer.id.strip() if per_buyer else None,
            first_name=run.text(buyer.first_name, _NAME, "buyer.firstName")
            or run.text(
                recipient.first_name if recipient else None,
                _NAME,
                "delivery.address.firstName",
            ),
            last_name=run.text(buyer.last_name, _NAME, "buyer.lastName")
            or run.text(
                recipient.last_name if recipient else None,
                _NAME,
                "delivery.address.lastName",
            ),
            plenty_id=self.config.plenty_id,
            options=tuple(options),
        )

    def delivery_address(self, run: MappingRun) -> NewAddress | None:
        """The delivery address; ``None`` when the billing address serves for delivery.

        That is the case for orders without delivery (digital goods), silently,
        and for a delivery with neither an address nor a pickup point (an empty
        ``delivery`` object), with a ``DELIVERY_WITHOUT_ADDRESS`` warning.
        """
        delivery = run.form.delivery
        if delivery is None:
            return None
        if delivery.pickup_point is not None:
            return self.pickup_point_address(run, delivery.pickup_point, delivery.address)
        address = delivery.address
        if address is None:
            run.warn(
                WarningCode.DELIVERY_WITHOUT_ADDRESS,
                "the delivery has no address and no pickup point; "
                "the billing address is the delivery address",
                "delivery.address",
            )
            return None
        return self.address(
            run,
            path="delivery.address",
            street=address.street,
            town=address.city,
            postal_code=address.zip_code,
            country_code=address.country_code,
            company=address.company_name,
            first_name=address.first_name,
            last_name=address.last_name,
            phone=address.phone_number or run.form.buyer.phone_number,
        )

    def pickup_point_address(
        self, run: MappingRun, point: PickupPoint, recipient: DeliveryAddress | None
    ) -> NewAddress:
        """A pickup point: the point's address, the recipient's name, the point id in ``address3``.

        ``address3`` is the line a warehouse prints under the street, so the
        packer and the carrier see ``Paczkomat POZ08A``. A point whose address
        is incomplete (no street, city or postal code) is never mixed with the
        recipient's home address: the recipient's delivery address is used
        whole, without the point's label, with a ``PICKUP_POINT_WITHOUT_ADDRESS``
        warning; with no delivery address either, the form is refused.
        """
        place = _complete(point.address)
        buyer = run.form.buyer
        names = recipient if recipient is not None else buyer
        phone = (recipient.phone_number if recipient else None) or buyer.phone_number
        company = recipient.company_name if recipient else None
        if place is not None:
            return self.address(
                run,
                path="delivery.pickupPoint.address",
                street=place.street,
                town=place.city,
                postal_code=place.zip_code,
                # Allegro leaves the point's country out at times (allegro-api #2586).
                country_code=_text(place.country_code)
                or (recipient.country_code if recipient else None),
                company=company,
                first_name=names.first_name,
                last_name=names.last_name,
                phone=phone,
                extra_line=self.pickup_point_label(point),
            )
        ident = _shown_id(point.id)
        if recipient is None:
            raise run.error(
                f"pickup point {ident} has no complete address and the delivery has no address",
                "delivery.pickupPoint.address",
            )
        run.warn(
            WarningCode.PICKUP_POINT_WITHOUT_ADDRESS,
            f"pickup point {ident} has no complete address; "
            "the recipient's delivery address was used, the point is named in the comment",
            "delivery.pickupPoint.address",
        )
        return self.address(
            run,
            path="delivery.address",
            street=recipient.street,
            town=recipient.city,
            postal_code=recipient.zip_code,
            country_code=recipient.country_code,
            company=company,
            first_name=recipient.first_name,
            last_name=recipient.last_name,
            phone=phone,
        )

    def pickup_point_label(self, point: PickupPoint) -> str | None:
        """How the point is printed: its name (``Paczkomat POZ08A``), plus its id if missing."""
        name, ident = clean_text(point.name or ""), clean_text(point.id or "")
        if name and ident and ident not in name:
            return f"{name} {ident}"
        return name or ident or None

    def billing_address(self, run: MappingRun, delivery: NewAddress | None) -> NewAddress:
        """The billing address.

        An invoice with an address gives the company (with its tax id as the VAT
        number) or the named person; otherwise billing is the delivery address,
        or the buyer's own address when there is none (see :meth:`delivery_address`).
        """
        form = run.form
        invoice = form.invoice
        if invoice is not None and invoice.required:
            place = invoice.address
            if place is not None:
                company = place.company
                person = place.natural_person
                if company is not None:
                    first, last = None, None
                elif person is not None:
                    first, last = person.first_name, person.last_name
                else:
                    first, last = form.buyer.first_name, form.buyer.last_name
                return self.address(
                    run,
                    path="invoice.address",
                    street=place.street,
                    town=place.city,
                    postal_code=place.zip_code,
                    country_code=place.country_code,
                    company=company.name if company else None,
                    first_name=first,
                    last_name=last,
                    phone=form.buyer.phone_number,
                    vat_number=self.company_tax_id(run, company) if company else None,
                )
            run.warn(
                WarningCode.INVOICE_WITHOUT_ADDRESS,
                "an invoice is required but has no address; billing uses the delivery address",
                "invoice.address",
            )
        if delivery is not None:
            return delivery
        own = form.buyer.address
        if own is None:
            raise run.error("no delivery, invoice or buyer address", "buyer.address")
        return self.address(
            run,
            path="buyer.address",
            street=own.street,
            town=own.city,
            postal_code=own.post_code,
            postal_code_key="postCode",
            country_code=own.country_code,
            company=form.buyer.company_name,
            first_name=form.buyer.first_name,
            last_name=form.buyer.last_name,
            phone=form.buyer.phone_number,
        )

    def company_tax_id(self, run: MappingRun, company: InvoiceCompany) -> str | None:
        """The company's VAT number: the verified EU VAT id, else by :attr:`tax_id_types`."""
        verified = verified_eu_vat_id(run.form)
        if verified is not None:
            return verified
        by_type: dict[str, str] = {}
        for company_id in company.ids or ():
            value = clean_text(company_id.value)
            if value:
                by_type.setdefault(str(company_id.type), value)
        for kind in self.tax_id_types:
            if kind in by_type:
                return by_type[kind]
        return clean_text(company.tax_id or "") or None

    def address(
        self,
        run: MappingRun,
        *,
        path: str,
        street: str | None,
        town: str | None,
        postal_code: str | None,
        country_code: str | None,
        company: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        phone: str | None = None,
        vat_number: str | None = None,
        extra_line: str | None = None,
        postal_code_key: str = "zipCode",
    ) -> NewAddress:
        """Build an address: street split, company into ``name1``, names into
        ``name2``/``name3``, VAT number, phone and e-mail as options.

        Every text is cleaned and cut to :attr:`text_limits` (``run.text``);
        ``path`` is where the address is in the form.
        """
        street_path, postal_path = f"{path}.street", f"{path}.{postal_code_key}"
        # The whole line is cut only where its three parts could not hold it, so
        # the split never costs more than that and a long street keeps its number.
        limits = run.text_limits
        line_limit = (
            limits[_STREET].max_length
            + limits[_HOUSE_NUMBER].max_length
            + limits[_ADDITIONAL].max_length
            + 2
        )
        line = run.fit(street or "", _STREET, street_path, line_limit)
        street = _required(run, line, street_path)
        town_path = f"{path}.city"
        town = _required(run, run.text(town, _TOWN, town_path), town_path)
        postal_code = _required(run, run.text(postal_code, _POSTAL_CODE, postal_path), postal_path)
        parts = split_street(street)
        if parts.warning is not None:
            run.warn(parts.warning, "street kept whole: no house number found", f"{path}.street")
        extra = (
            f"{parts.additional}, {extra_line}"
            if parts.additional and extra_line
            else parts.additional or extra_line
        )
        options: list[AddressOption] = []
        for kind, field, value, source in (
            (AddressOptionType.VAT_NUMBER, _VAT_NUMBER, vat_number, path),
            (AddressOptionType.PHONE, _PHONE, phone, path),
            (AddressOptionType.EMAIL, _EMAIL, run.form.buyer.email, "buyer.email"),
        ):
            text = run.text(value, field, source) if value else None
            if text:
                options.append(AddressOption(kind, text))
        return NewAddress(
            town=town,
            postal_code=postal_code,
            country_id=run.country_id(country_code, f"{path}.countryCode"),
            address1=run.text(parts.street, _STREET, street_path) or street,
            address2=run.text(parts.house_number, _HOUSE_NUMBER, street_path),
            address3=run.text(extra, _ADDITIONAL, street_path) if extra else None,
            name1=run.text(company, _NAME, path),
            name2=run.text(first_name, _NAME, path),
            name3=run.text(last_name, _NAME, path),
            options=tuple(options),
        )

    # --- items -----------------------------------------------------------------------

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
        quantity = _quantity(run, line.quantity, path)
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
        return self._item(
            run,
            type_id=type_id,
            quantity=quantity,
            name=run.text(line.offer.name, _ITEM_NAME, name_path)
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
            quantity = _quantity(run, 1 if service.quantity is None else service.quantity, path)
            definition = clean_text(service.definition_id or "")
            variation = (
                self.config.additional_service_variation_ids.get(definition) if definition else None
            )
            items.append(
                self._item(
                    run,
                    type_id=OrderItemType.UNASSIGNED_VARIATION
                    if variation is None
                    else OrderItemType.VARIATION,
                    quantity=quantity,
                    name=run.text(service.name, _ITEM_NAME, f"{path}.name")
                    or run.text(definition, _ITEM_NAME, f"{path}.definitionId")
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
        return self._item(
            run,
            type_id=OrderItemType.DEPOSIT,
            quantity=_quantity(run, line.quantity, path),
            name=run.text(
                f"{self.config.deposit_item_name}: {name}",
                _ITEM_NAME,
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
        return self._item(
            run,
            type_id=OrderItemType.SHIPPING_COSTS,
            quantity=1,
            name=self.config.shipping_item_name,
            unit_gross=cost,
            vat=vat,
        )

    def _item(
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

    def _check_totals(self, run: MappingRun, items: Sequence[NewOrderItem]) -> None:
        # The rule that keeps money honest: items must add up to what Allegro
        # says is owed, to the cent. Never balance a difference.
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

    # --- payments --------------------------------------------------------------------

    def payments(self, run: MappingRun) -> tuple[NewPayment, ...]:
        """The order's ``payment`` and then its surcharges, one draft per paid part."""
        main = run.form.payment
        first = self.payment(run, main, "payment") if main is not None else None
        return (first, *self.surcharges(run)) if first is not None else self.surcharges(run)

    def surcharges(self, run: MappingRun) -> tuple[NewPayment, ...]:
        """One payment per surcharge: later payments towards the same total, not items."""
        drafts = (
            self.payment(run, part, f"surcharges[{index}]")
            for index, part in enumerate(run.form.surcharges)
        )
        return tuple(draft for draft in drafts if draft is not None)

    def payment(self, run: MappingRun, part: Payment, path: str) -> NewPayment | None:
        """A paid part as a payment; ``None`` for cash on delivery or nothing paid.

        The transaction id (payment property 1) is the part's Allegro id, which
        the importer uses to never book the same payment twice. Coins and gift
        cards are part of ``paidAmount`` and booked with it.
        """
        if part.type == PaymentType.CASH_ON_DELIVERY:
            return None
        if part.paid_amount is None:
            run.warn(
                WarningCode.NO_PAID_AMOUNT,
                f"payment {part.id} ({part.type}) has no paid amount; no payment drafted",
                path,
            )
            return None
        amount = run.money(part.paid_amount, f"{path}.paidAmount")
        if amount == 0:
            return None
        if not part.id.strip():
            raise run.error("a paid part has no id", f"{path}.id")
        return NewPayment(
            amount=amount,
            exchange_ratio=run.exchange_rate,
            mop_id=self._payment_method_id(run, part.type, f"{path}.type"),
            currency=run.currency,
            is_system_currency=self.config.currency.is_system(run.currency),
            received_at=part.finished_at,
            properties=(
                PaymentProperty(PaymentPropertyType.TRANSACTION_ID, part.id),
                PaymentProperty(PaymentPropertyType.ORIGIN, _ORIGIN_IMPORT),
            ),
        )

    def _payment_method_id(self, run: MappingRun, payment_type: PaymentType, path: str) -> int:
        mop = self.config.payment_method_id(str(payment_type))
        if mop is None:
            raise run.error(f"no method of payment configured for {payment_type}", path)
        return mop

    def _check_payments(self, run: MappingRun, payments: Sequence[NewPayment]) -> None:
        seen: set[str] = set()
        for draft in payments:
            for prop in draft.properties:
                if prop.type_id == PaymentPropertyType.TRANSACTION_ID:
                    if prop.value in seen:
                        raise run.error(f"payment id {prop.value} appears twice", "surcharges")
                    seen.add(prop.value)
        if run.form.payment is not None and run.form.payment.type == PaymentType.CASH_ON_DELIVERY:
            return
        paid = sum((draft.amount for draft in payments), Decimal(0))
        total = run.form.summary.total_to_pay.amount
        if paid != total:
            run.warn(
                WarningCode.PAYMENT_MISMATCH,
                f"paid {paid} {run.currency} of {total}",
                "summary.totalToPay",
            )

    def payment_status(self, run: MappingRun) -> str:
        """Order property 4, from what the form says was paid."""
        form = run.form
        paid = Decimal(0)
        parts = ((form.payment, "payment"),) if form.payment is not None else ()
        for part, path in (
            *parts,
            *((s, f"surcharges[{i}]") for i, s in enumerate(form.surcharges)),
        ):
            if part.type != PaymentType.CASH_ON_DELIVERY and part.paid_amount is not None:
                paid += run.money(part.paid_amount, f"{path}.paidAmount")
        total = form.summary.total_to_pay.amount
        if paid == 0:
            return PaymentStatus.UNPAID
        if paid < total:
            return PaymentStatus.PARTLY_PAID
        return PaymentStatus.FULLY_PAID if paid == total else PaymentStatus.OVERPAID

    # --- properties, dates, comments ---------------------------------------------------

    def properties(self, run: MappingRun) -> tuple[OrderProperty, ...]:
        """Order properties: 7 checkout-form id, 6 language, 3 method of payment,
        2 shipping profile, 4 payment status, 1 warehouse (when configured)."""
        form = run.form
        if form.payment is None:
            raise run.error("the order has no payment", "payment")
        mop = self._payment_method_id(run, form.payment.type, "payment.type")
        properties = [
            OrderProperty(OrderPropertyType.EXTERNAL_ORDER_ID, form.id),
            OrderProperty(OrderPropertyType.DOCUMENT_LANGUAGE, self.config.language),
            OrderProperty(OrderPropertyType.PAYMENT_METHOD, str(mop)),
        ]
        method = form.delivery.method if form.delivery else None
        method_id = _text(method.id) if method else None
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
        vat_id = verified_eu_vat_id(run.form)
        if vat_id is not None:
            run.warn(
                WarningCode.INTRA_EU_VAT_BUYER,
                f"EU business buyer with verified VAT id {vat_id}: check the tax treatment",
                "invoice.address.company.ids",
            )
        return vat_id

    def comments(self, run: MappingRun) -> tuple[CommentDraft, ...]:
        """One plain-text comment (one plentymarkets write) with :meth:`comment_lines`.

        Each line is cleaned to one line (:func:`clean_text`), so no line a
        method returns can turn into several.
        """
        lines = self.comment_lines(run)
        if not all(map(str.isprintable, lines)):  # a line with a break or a control in it
            lines = [text for text in map(clean_text, lines) if text]
        return (CommentDraft("\n".join(lines)),) if lines else ()

    def comment_lines(self, run: MappingRun) -> list[str]:
        """The comment's lines, plain text: One Fulfillment, the buyer's message,
        delivery method, pickup point, Smart, invoice, EU VAT id, vouchers, the
        seller's note. Never the buyer's PESEL.

        The buyer's message and the seller's note are quoted: each of their
        lines starts with ``>``, which no line of the mapper's own does, so a
        buyer cannot write a line that passes for the library's.
        """
        form = run.form
        lines: list[str] = []
        if form.is_one_fulfillment:
            lines.append(
                "Allegro One Fulfillment: Allegro's warehouse ships this order. Do not ship it."
            )
        message = run.lines(form.message_to_seller, _BUYER_MESSAGE, "messageToSeller")
        if message:
            lines += ("Message from the buyer:", *_quoted(message))
        delivery = form.delivery
        if delivery is not None:
            method = run.text(
                delivery.method.name if delivery.method else None,
                _COMMENT_DETAIL,
                "delivery.method.name",
            )
            if method:
                lines.append(f"Delivery method: {method}")
            if delivery.pickup_point is not None:
                point, path = delivery.pickup_point, "delivery.pickupPoint"
                details = ", ".join(
                    text
                    for text in (
                        run.text(point.name, _COMMENT_DETAIL, f"{path}.name"),
                        run.text(point.description, _COMMENT_DETAIL, f"{path}.description"),
                    )
                    if text
                )
                ident = run.text(point.id, _COMMENT_DETAIL, f"{path}.id") or "?"
                lines.append(
                    f"Pickup point: {ident} ({details})" if details else f"Pickup point: {ident}"
                )
            if delivery.smart:
                lines.append("Allegro Smart delivery")
        invoice = form.invoice
        if invoice is not None and invoice.required:
            place = invoice.address
            kind = "company" if place and place.company else "private person"
            lines.append(f"Invoice requested ({kind})")
        vat_id = verified_eu_vat_id(form)
        if vat_id is not None:
            lines.append(f"Intra-EU business buyer: VAT id {vat_id} verified by Allegro")
        for line in form.line_items:
            for voucher in line.vouchers or ():
                value = (
                    f" worth {voucher.value.amount} {voucher.value.currency}"
                    if voucher.value
                    else ""
                )
                status = f" ({voucher.status})" if voucher.status else ""
                lines.append(f"Voucher {voucher.type}{status}{value} on line item {line.id}")
        note = run.lines(form.note.text, _SELLER_NOTE, "note.text") if form.note else None
        if note:
            lines += ("Seller's note:", *_quoted(note))
        return lines


def _quoted(text: str) -> list[str]:
    """Someone else's words, one ``>`` line each (empty lines included, so none is lost)."""
    return [f"> {line}" if line else ">" for line in text.split("\n")]


def _complete(place: PickupPointAddress | None) -> PickupPointAddress | None:
    """``place`` if it has a street, city and postal code, else ``None``."""
    if (
        place is not None
        and place.street
        and clean_text(place.street)
        and place.city
        and clean_text(place.city)
        and place.zip_code
        and clean_text(place.zip_code)
    ):
        return place
    return None


def _paths(index: int) -> tuple[str, str, str]:
    line = f"lineItems[{index}]"
    return line, f"{line}.price", f"{line}.offer.name"


_PATHS = tuple(map(_paths, range(100)))
"""The paths of the first lines, made once: every line needs them, errors and warnings only."""


def _line_paths(index: int) -> tuple[str, str, str]:
    """The field paths of line item ``index``: the line, its price, its offer name."""
    return _PATHS[index] if 0 <= index < len(_PATHS) else _paths(index)


def _shown_id(ident: str | None) -> str:
    # Ids go into warnings and errors; an id this odd is quoted, briefly.
    text = clean_text(ident or "")
    return text if text and len(text) <= 40 and text.isalnum() else repr(text[:40])


def _quantity(run: MappingRun, value: int, path: str) -> int:
    """``value`` if it is a sane quantity; ``path`` is its object's (errors add ``.quantity``)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= _MAX_QUANTITY:
        raise run.error(
            f"quantity {value!r} is not a whole number from 1 to {_MAX_QUANTITY}",
            f"{path}.quantity",
        )
    return value


def _required(run: MappingRun, value: str | None, path: str) -> str:
    text = _text(value)
    if text is None:
        raise run.error(f"{path.rsplit('.', 1)[-1]} is empty", path)
    return text


def _amount_in(amounts: Sequence[OrderItemAmount], currency: str) -> OrderItemAmount | None:
    for amount in amounts:
        if amount.currency == currency:
            return amount
    return None
