"""Reference data and input allow-lists of the plentymarkets fake."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

TOKEN_SECONDS = 86_400
"""plentymarkets access tokens last 24 h (``expires_in: 86400``, authentication.adoc)."""
MAX_ITEMS_PER_PAGE = 250
CENT = Decimal("0.01")

DEFAULT_COUNTRIES: tuple[tuple[int, str, str, str, str], ...] = (
    (1, "DE", "DEU", "Germany", "de"),
    (2, "AT", "AUT", "Austria", "de"),
    (6, "CZ", "CZE", "Czech Republic", "cs"),
    (14, "HU", "HUN", "Hungary", "hu"),
    (23, "PL", "POL", "Poland", "pl"),
    (26, "SK", "SVK", "Slovakia", "sk"),
    (33, "LT", "LTU", "Lithuania", "lt"),
)
"""``(id, ISO 2, ISO 3, name, language)``: plentymarkets' country ids."""

DEFAULT_VAT_RATES: Mapping[str, tuple[str, ...]] = {
    "DE": ("19", "7", "0", "0"),
    "AT": ("20", "10", "13", "0"),
    "PL": ("23", "8", "5", "0"),
    "CZ": ("21", "12", "0", "0"),
    "SK": ("23", "19", "5", "0"),
    "HU": ("27", "18", "5", "0"),
    "LT": ("21", "9", "5", "0"),
}
"""The four VAT fields (0–3) of each country's configuration."""

DEFAULT_EXCHANGE_RATES: Mapping[str, str] = {
    "PLN": "1",
    "EUR": "0.2326",
    "CZK": "5.82",
    "HUF": "92.5",
}
"""Units of each currency per unit of the system currency (the system currency is 1)."""

ORDER_STATUSES: Mapping[str, str] = {
    "1": "Incomplete data",
    "2": "Waiting for activation",
    "3": "Waiting for payment",
    "4": "In preparation for shipping",
    "5": "Cleared for shipping",
    "5.1": "Cleared for shipping (Allegro)",
    "6": "Shipping in progress",
    "7": "Outgoing items booked",
    "7.1": "Order exported",
    "8": "Cancelled",
    "8.1": "Cancelled by customer",
    "9": "Returns",
    "10": "Warranty",
    "11": "Credit note",
}

DEFAULT_REFERRERS: tuple[tuple[str, str, str], ...] = (
    ("0", "Client (store)", "plenty"),
    ("1", "Client (webshop)", "plenty"),
    ("2", "eBay", "plenty"),
    ("4", "Amazon", "plenty"),
    ("102", "Kaufland", "plenty"),
    ("160", "OTTO Market", "plenty"),
)
"""``(id, backend name, origin)``: built-in referrers (ids from peers' tables)."""

DEFAULT_PAYMENT_METHODS: tuple[tuple[int, str, str, str], ...] = (
    (1, "plenty", "CASH_ON_DELIVERY", "Cash on delivery"),
    (2, "plenty", "INVOICE", "Invoice"),
    (5000, "plenty", "MANUAL", "Manual payment"),
    (5001, "plenty", "BANK_POSTING", "Bank posting"),
    (6000, "allegro_plenty", "ALLEGRO", "Allegro"),
)
"""``(mopId, pluginKey, paymentKey, name)``."""

DEFAULT_SHIPPING_PROFILES: tuple[tuple[int, int, str, str], ...] = (
    (1, 101, "DPD Classic", "DPD"),
    (2, 102, "InPost Paczkomat 24/7", "InPost"),
    (3, 103, "Pocztex Kurier", "Poczta Polska"),
    (4, 104, "DHL Parcel", "DHL"),
    (5, 105, "Odbiór osobisty", "Pickup"),
)
"""``(profile id, parcel service id, profile name, parcel service name)``."""

ORDER_PROPERTY_TYPES: tuple[tuple[int, str, str], ...] = (
    (1, "int", "Warehouse"),
    (2, "int", "Shipping profile"),
    (3, "int", "Payment method"),
    (4, "enum", "Payment status"),
    (5, "string", "External shipping profile"),
    (6, "string", "Document language"),
    (7, "string", "External order ID"),
    (8, "string", "Customer sign"),
    (10, "string", "Seller account"),
    (11, "numeric", "Weight"),
    (14, "numeric", "Height"),
    (17, "string", "External item ID"),
    (18, "string", "Coupon code"),
    (34, "string", "Sales tax ID number"),
    (41, "string", "External order item ID"),
    (45, "string", "Payment transaction ID"),
    (62, "string", "External source order ID"),
    (98, "string", "SKU"),
)
"""``(type id, cast, English name)``: the order (and order item) property types."""

PAYMENT_PROPERTY_TYPES = frozenset(
    {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 22, 23, 24, 25, 29, 30, 33}
)
ADDRESS_OPTION_TYPES = frozenset(range(1, 14))
CONTACT_OPTION_TYPES = frozenset({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13})
ORDER_TYPES = frozenset(range(1, 16))
ORDER_ITEM_TYPES = frozenset(range(1, 16))
SHIPPING_ITEM_TYPE = 6

PROPERTY_SHAPE = {"typeId": None, "value": None}
AMOUNT_SHAPE = {
    "currency": None,
    "isSystemCurrency": None,
    "exchangeRate": None,
    "purchasePrice": None,
    "priceOriginalGross": None,
    "surcharge": None,
    "discount": None,
    "isPercentage": None,
}
ORDER_BODY: dict[str, Any] = {
    "typeId": None,
    "plentyId": None,
    "statusId": None,
    "ownerId": None,
    "referrerId": None,
    "lockStatus": None,
    "orderItems": [
        {
            "typeId": None,
            "referrerId": None,
            "itemVariationId": None,
            "quantity": None,
            "orderItemName": None,
            "attributeValues": None,
            "shippingProfileId": None,
            "countryVatId": None,
            "vatField": None,
            "vatRate": None,
            "position": None,
            "warehouseId": None,
            "amounts": [AMOUNT_SHAPE],
            "properties": [PROPERTY_SHAPE],
        }
    ],
    "properties": [PROPERTY_SHAPE],
    "dates": [{"typeId": None, "date": None}],
    "addressRelations": [{"typeId": None, "addressId": None}],
    "relations": [{"referenceType": None, "referenceId": None, "relation": None}],
}
CONTACT_BODY: dict[str, Any] = {
    "typeId": None,
    "referrerId": None,
    "lang": None,
    "externalId": None,
    "number": None,
    "firstName": None,
    "lastName": None,
    "gender": None,
    "title": None,
    "formOfAddress": None,
    "plentyId": None,
    "classId": None,
    "singleAccess": None,
    "options": [{"typeId": None, "subTypeId": None, "value": None, "priority": None}],
}
ADDRESS_BODY: dict[str, Any] = {
    **{f"name{i}": None for i in range(1, 5)},
    **{f"address{i}": None for i in range(1, 5)},
    "gender": None,
    "postalCode": None,
    "town": None,
    "countryId": None,
    "stateId": None,
    "readOnly": None,
    "isPackstation": None,
    "isPostfiliale": None,
    "options": [{"typeId": None, "value": None}],
}
PAYMENT_BODY: dict[str, Any] = {
    "amount": None,
    "exchangeRatio": None,
    "mopId": None,
    "currency": None,
    "type": None,
    "status": None,
    "transactionType": None,
    "isSystemCurrency": None,
    "updateOrderPaymentStatus": None,
    "receivedAt": None,
    "origin": None,
    "parentId": None,
    "unaccountable": None,
    "regenerateHash": None,
    "properties": [PROPERTY_SHAPE],
}
REFERRER_BODY = dict.fromkeys(
    (
        "id",
        "backendName",
        "name",
        "isEditable",
        "isFilterable",
        "orderOwnerId",
        "origin",
        "showInLeads",
    )
)
COMMENT_BODY = dict.fromkeys(
    ("referenceType", "referenceValue", "text", "isVisibleForContact", "userId")
)
SEARCH_GROUP: dict[str, Any] = {
    "conditionType": None,
    "fields": [{"field": None, "operator": None, "value": None}],
}
SEARCH_GROUP["groups"] = [SEARCH_GROUP]

ORDER_RELATIONS = frozenset(
    {
        "addresses",
        "relations",
        "comments",
        "payments",
        "contactReceiver",
        "shippingPackages",
        "orderItems.variation",
    }
)
PAGING = ("page", "itemsPerPage")
WITH = ("with", "with[]")


ID_STARTS = {
    "order": 1001,
    "order_item": 1,
    "amount": 1,
    "property": 1,
    "date": 1,
    "relation": 1,
    "history": 1,
    "contact": 101,
    "address": 501,
    "option": 1,
    "payment": 9001,
    "payment_link": 1,
    "variation": 2001,
    "item": 301,
    "package": 1,
    "package_item": 1,
    "comment": 1,
    "document": 7001,
    "document_reference": 1,
}
