"""attrs models of the plentymarkets REST API.

Request models for creating things are named ``New…``; the mapper produces
them and the plenty client sends them. Money, quantities, referrer ids and
status ids are :class:`~decimal.Decimal` (plenty's ids like ``5.1`` and
``17.29`` are decimals: floats would make ``5.1 == 5.10000001`` questions).

Response models carry the fields the library uses and the ones a host is
likely to read; unknown keys are ignored by the production converter. A
relation the request did not load (``with=...``) is ``None``, not an empty
tuple, so "not loaded" and "none there" stay distinguishable.

The models live in one module per resource (:mod:`.orders`, :mod:`.contacts`,
:mod:`.payments`, :mod:`.items`, :mod:`.shipping`, :mod:`.comments`, :mod:`.documents`,
:mod:`.referrers`, :mod:`.reference_data`, and :mod:`.page` for lists); import
them from here, where every one is re-exported.
"""

from __future__ import annotations

from .comments import (
    Comment,
    NewComment,
)
from .contacts import (
    Address,
    AddressOption,
    AddressOptionType,
    AddressType,
    Contact,
    ContactOption,
    ContactOptionSubType,
    ContactOptionType,
    NewAddress,
    NewContact,
)
from .documents import (
    DOCUMENT_TYPES,
    Document,
    DocumentReference,
    DocumentType,
)
from .items import (
    Variation,
    VariationBarcode,
    VariationSku,
)
from .orders import (
    AddressRelation,
    NewOrder,
    NewOrderItem,
    Order,
    OrderAmount,
    OrderDate,
    OrderDateType,
    OrderItem,
    OrderItemAmount,
    OrderItemProperty,
    OrderItemType,
    OrderProperty,
    OrderPropertyType,
    OrderPropertyTypeInfo,
    OrderPropertyTypeName,
    OrderReference,
    OrderRelation,
    OrderType,
    OrderVat,
    StatusHistoryEntry,
)
from .page import (
    Page,
)
from .payments import (
    NewPayment,
    Payment,
    PaymentMethod,
    PaymentOrder,
    PaymentOrderRelation,
    PaymentProperty,
    PaymentPropertyType,
)
from .reference_data import (
    Country,
    Currency,
    VatConfiguration,
    VatRate,
)
from .referrers import (
    NewReferrer,
    Referrer,
)
from .shipping import (
    LocalizedName,
    ShippingPackage,
    ShippingPackageItem,
    ShippingProfile,
)

__all__ = [
    "DOCUMENT_TYPES",
    "Address",
    "AddressOption",
    "AddressOptionType",
    "AddressRelation",
    "AddressType",
    "Comment",
    "Contact",
    "ContactOption",
    "ContactOptionSubType",
    "ContactOptionType",
    "Country",
    "Currency",
    "Document",
    "DocumentReference",
    "DocumentType",
    "LocalizedName",
    "NewAddress",
    "NewComment",
    "NewContact",
    "NewOrder",
    "NewOrderItem",
    "NewPayment",
    "NewReferrer",
    "Order",
    "OrderAmount",
    "OrderDate",
    "OrderDateType",
    "OrderItem",
    "OrderItemAmount",
    "OrderItemProperty",
    "OrderItemType",
    "OrderProperty",
    "OrderPropertyType",
    "OrderPropertyTypeInfo",
    "OrderPropertyTypeName",
    "OrderReference",
    "OrderRelation",
    "OrderType",
    "OrderVat",
    "Page",
    "Payment",
    "PaymentMethod",
    "PaymentOrder",
    "PaymentOrderRelation",
    "PaymentProperty",
    "PaymentPropertyType",
    "Referrer",
    "ShippingPackage",
    "ShippingPackageItem",
    "ShippingProfile",
    "StatusHistoryEntry",
    "Variation",
    "VariationBarcode",
    "VariationSku",
    "VatConfiguration",
    "VatRate",
]
