"""Who buys and where it goes: the contact and the billing and delivery addresses."""

from __future__ import annotations

from typing import ClassVar

import attrs

from ..allegro.models import DeliveryAddress, InvoiceCompany, PickupPoint
from ..plenty.models import (
    AddressOption,
    AddressOptionType,
    ContactOption,
    NewAddress,
    NewContact,
)
from ._base import (
    ADDITIONAL,
    EMAIL,
    HOUSE_NUMBER,
    NAME,
    PHONE,
    POSTAL_CODE,
    STREET,
    TOWN,
    VAT_NUMBER,
    MapperBase,
    complete,
    required,
    shown_id,
    text_or_none,
)
from .addresses import split_street
from .config import ContactPolicy
from .context import MappingRun
from .drafts import WarningCode
from .text import clean_text

__all__ = ["AddressParts", "PartySteps"]

_CUSTOMER = 1
"""plentymarkets contact type 1: customer."""


@attrs.define(kw_only=True)
class AddressParts:
    """What one address is made of, as the form gives it, before cleaning and splitting.

    :meth:`OrderMapper.address <allegro_plenty.mapping.OrderMapper.address>` turns it
    into a plentymarkets address. Build one to add an address of your own, or change
    one in an override with :func:`attrs.evolve` (a copy: the mapper never changes a
    value it handed out, and neither should an override). Not frozen, like the
    plentymarkets models: a frozen attrs class takes several times as long to build,
    and the mapper builds two per form.

    Attributes:
        path: Where the address is in the form (``"delivery.address"``); warnings
            and errors name its fields below it.
        street: The street line as Allegro sends it (``"ul. Długa 5/7 m. 12"``).
        town: The city.
        postal_code: The postal code.
        country_code: ISO 3166 alpha-2 code.
        company: Company name (``name1``).
        first_name: First name (``name2``).
        last_name: Last name (``name3``).
        phone: Phone number (address option 4).
        vat_number: VAT number (address option 1).
        extra_line: A line to add to ``address3`` after the flat details (a pickup
            point's label).
        postal_code_key: The postal code's JSON name under :attr:`path`
            (``zipCode``; a buyer's own address says ``postCode``).
    """

    path: str
    street: str | None
    town: str | None
    postal_code: str | None
    country_code: str | None
    company: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    vat_number: str | None = None
    extra_line: str | None = None
    postal_code_key: str = "zipCode"


class PartySteps(MapperBase):
    """The contact and the addresses (part of :class:`~allegro_plenty.mapping.OrderMapper`).

    Attributes:
        tax_id_types: Which company id becomes the billing address's VAT number,
            in order of preference (the deprecated ``taxId`` is the last resort).
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

    # --- the contact -----------------------------------------------------------------

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
        email = run.text(buyer.email, EMAIL, "buyer.email")
        if email:
            options.append(ContactOption.email(email))
        phone = run.text(buyer.phone_number, PHONE, "buyer.phoneNumber")
        if not phone and recipient is not None:
            phone = run.text(recipient.phone_number, PHONE, "delivery.address.phoneNumber")
        if phone:
            options.append(ContactOption.phone(phone))
        if not per_buyer:
            options.append(ContactOption.guest())
        return NewContact(
            type_id=_CUSTOMER,
            referrer_id=run.context.referrer_id,
            lang=self.config.language,
            external_id=buyer.id.strip() if per_buyer else None,
            first_name=run.text(buyer.first_name, NAME, "buyer.firstName")
            or run.text(
                recipient.first_name if recipient else None, NAME, "delivery.address.firstName"
            ),
            last_name=run.text(buyer.last_name, NAME, "buyer.lastName")
            or run.text(
                recipient.last_name if recipient else None, NAME, "delivery.address.lastName"
            ),
            plenty_id=self.config.plenty_id,
            options=tuple(options),
        )

    # --- delivery --------------------------------------------------------------------

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
            AddressParts(
                path="delivery.address",
                street=address.street,
                town=address.city,
                postal_code=address.zip_code,
                country_code=address.country_code,
                company=address.company_name,
                first_name=address.first_name,
                last_name=address.last_name,
                phone=address.phone_number or run.form.buyer.phone_number,
            ),
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
        place = complete(point.address)
        buyer = run.form.buyer
        names = recipient if recipient is not None else buyer
        phone = (recipient.phone_number if recipient else None) or buyer.phone_number
        company = recipient.company_name if recipient else None
        if place is not None:
            return self.address(
                run,
                AddressParts(
                    path="delivery.pickupPoint.address",
                    street=place.street,
                    town=place.city,
                    postal_code=place.zip_code,
                    # Allegro leaves the point's country out at times (allegro-api #2586).
                    country_code=text_or_none(place.country_code)
                    or (recipient.country_code if recipient else None),
                    company=company,
                    first_name=names.first_name,
                    last_name=names.last_name,
                    phone=phone,
                    extra_line=self.pickup_point_label(point),
                ),
            )
        ident = shown_id(point.id)
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
            AddressParts(
                path="delivery.address",
                street=recipient.street,
                town=recipient.city,
                postal_code=recipient.zip_code,
                country_code=recipient.country_code,
                company=company,
                first_name=recipient.first_name,
                last_name=recipient.last_name,
                phone=phone,
            ),
        )

    def pickup_point_label(self, point: PickupPoint) -> str | None:
        """How the point is printed: its name (``Paczkomat POZ08A``), plus its id if missing."""
        name, ident = clean_text(point.name or ""), clean_text(point.id or "")
        if name and ident and ident not in name:
            return f"{name} {ident}"
        return name or ident or None

    # --- billing ---------------------------------------------------------------------

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
                    AddressParts(
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
                    ),
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
            AddressParts(
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
            ),
        )

    def company_tax_id(self, run: MappingRun, company: InvoiceCompany) -> str | None:
        """The company's VAT number: the verified EU VAT id, else by :attr:`tax_id_types`."""
        verified = run.eu_vat_id
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

    # --- one address -----------------------------------------------------------------

    def address(self, run: MappingRun, parts: AddressParts) -> NewAddress:
        """Build an address: street split, company into ``name1``, names into
        ``name2``/``name3``, VAT number, phone and e-mail as options.

        Every text is cleaned and cut to :attr:`text_limits` (``run.text``);
        ``parts.path`` is where the address is in the form.
        """
        path = parts.path
        street_path, postal_path = f"{path}.street", f"{path}.{parts.postal_code_key}"
        # The whole line is cut only where its three parts could not hold it, so
        # the split never costs more than that and a long street keeps its number.
        limits = run.text_limits
        line_limit = (
            limits[STREET].max_length
            + limits[HOUSE_NUMBER].max_length
            + limits[ADDITIONAL].max_length
            + 2
        )
        line = run.fit(parts.street or "", STREET, street_path, line_limit)
        street = required(run, line, street_path)
        town_path = f"{path}.city"
        town = required(run, run.text(parts.town, TOWN, town_path), town_path)
        postal_code = required(
            run, run.text(parts.postal_code, POSTAL_CODE, postal_path), postal_path
        )
        split = split_street(street)
        if split.warning is not None:
            run.warn(split.warning, "street kept whole: no house number found", street_path)
        extra_line = parts.extra_line
        extra = (
            f"{split.additional}, {extra_line}"
            if split.additional and extra_line
            else split.additional or extra_line
        )
        options: list[AddressOption] = []
        for kind, field, value, source in (
            (AddressOptionType.VAT_NUMBER, VAT_NUMBER, parts.vat_number, path),
            (AddressOptionType.PHONE, PHONE, parts.phone, path),
            (AddressOptionType.EMAIL, EMAIL, run.form.buyer.email, "buyer.email"),
        ):
            text = run.text(value, field, source) if value else None
            if text:
                options.append(AddressOption(kind, text))
        return NewAddress(
            town=town,
            postal_code=postal_code,
            country_id=run.country_id(parts.country_code, f"{path}.countryCode"),
            address1=run.text(split.street, STREET, street_path) or street,
            address2=run.text(split.house_number, HOUSE_NUMBER, street_path),
            address3=run.text(extra, ADDITIONAL, street_path) if extra else None,
            name1=run.text(parts.company, NAME, path),
            name2=run.text(parts.first_name, NAME, path),
            name3=run.text(parts.last_name, NAME, path),
            options=tuple(options),
        )
