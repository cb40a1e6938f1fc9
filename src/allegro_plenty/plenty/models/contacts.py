"""Contacts (customers) and their addresses, with their option types."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import attrs

__all__ = [
    "Address",
    "AddressOption",
    "AddressOptionType",
    "AddressType",
    "Contact",
    "ContactOption",
    "ContactOptionSubType",
    "ContactOptionType",
    "NewAddress",
    "NewContact",
]


class AddressType:
    """Address relation type ids."""

    BILLING = 1
    DELIVERY = 2


class AddressOptionType:
    """Address option type ids."""

    VAT_NUMBER = 1
    EXTERNAL_ADDRESS_ID = 2
    PHONE = 4
    EMAIL = 5
    POST_NUMBER = 6


class ContactOptionType:
    """Contact option type ids."""

    PHONE = 1
    EMAIL = 2
    FAX = 3
    WEB = 4
    MARKETPLACE = 5
    ID_NUMBER = 6
    PAYMENT = 7
    USER_NAME = 8
    GROUP = 9
    ACCESS = 10
    ADDITIONAL = 11


class ContactOptionSubType:
    """Contact option sub-type ids."""

    WORK = 1
    MOBILE_PRIVATE = 2
    MOBILE_WORK = 3
    PRIVATE = 4
    GUEST = 11
    CONTACT_PERSON = 12
    MARKETPLACE_PARTNER = 13
    USER = 15


@attrs.define
class ContactOption:
    """A contact option (type 1 phone, 2 e-mail, 10 access; sub-type 4 private, 11 guest)."""

    type_id: int
    sub_type_id: int
    value: str
    priority: int = 0
    id: int | None = None
    contact_id: int | None = None

    @classmethod
    def email(cls, address: str) -> ContactOption:
        """A private e-mail address (type 2, sub-type 4)."""
        return cls(ContactOptionType.EMAIL, ContactOptionSubType.PRIVATE, address)

    @classmethod
    def phone(cls, number: str) -> ContactOption:
        """A private phone number (type 1, sub-type 4)."""
        return cls(ContactOptionType.PHONE, ContactOptionSubType.PRIVATE, number)

    @classmethod
    def guest(cls) -> ContactOption:
        """Marks the contact as a guest (type 10 access, sub-type 11 guest, value ``1``).

        plentymarkets' own Etsy plugin marks marketplace buyers this way.
        """
        return cls(ContactOptionType.ACCESS, ContactOptionSubType.GUEST, "1")


@attrs.define
class NewContact:
    """The body of ``POST /rest/accounts/contacts``."""

    type_id: int
    referrer_id: Decimal
    lang: str
    external_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    plenty_id: int | None = None
    options: tuple[ContactOption, ...] = ()


@attrs.define
class AddressOption:
    """An address option: ``type_id`` from :class:`AddressOptionType`."""

    type_id: int
    value: str
    id: int | None = None
    address_id: int | None = None
    position: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@attrs.define
class NewAddress:
    """The body of ``POST /rest/accounts/contacts/{id}/addresses``.

    ``name1`` company, ``name2`` first name, ``name3`` last name, ``name4`` c/o;
    ``address1`` street, ``address2`` house number, ``address3`` additional.
    """

    town: str
    postal_code: str
    country_id: int
    address1: str
    address2: str | None = None
    address3: str | None = None
    address4: str | None = None
    name1: str | None = None
    name2: str | None = None
    name3: str | None = None
    name4: str | None = None
    options: tuple[AddressOption, ...] = ()


@attrs.define
class Address:
    """An address (contact or order address).

    ``name1`` company, ``name2`` first name, ``name3`` last name, ``name4`` c/o;
    ``address1`` street, ``address2`` house number, ``address3`` additional.
    """

    id: int
    name1: str | None = None
    name2: str | None = None
    name3: str | None = None
    name4: str | None = None
    address1: str | None = None
    address2: str | None = None
    address3: str | None = None
    address4: str | None = None
    postal_code: str | None = None
    town: str | None = None
    country_id: int | None = None
    state_id: int | None = None
    gender: str | None = None
    is_packstation: bool | None = None
    is_postfiliale: bool | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    options: tuple[AddressOption, ...] | None = None

    def option(self, type_id: int) -> str | None:
        """The value of the address option of ``type_id`` (see :class:`AddressOptionType`)."""
        return next((o.value for o in self.options or () if o.type_id == type_id), None)


@attrs.define
class Contact:
    """A contact (customer)."""

    id: int
    type_id: int | None = None
    external_id: str | None = None
    number: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    lang: str | None = None
    referrer_id: Decimal | None = None
    plenty_id: int | None = None
    single_access: str | None = None
    class_id: int | None = None
    full_name: str | None = None
    gender: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    options: tuple[ContactOption, ...] | None = None
