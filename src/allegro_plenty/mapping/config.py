"""What the seller configures once: ids in their plentymarkets system and policies."""

from __future__ import annotations

import enum
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import attrs

from ..allegro.models import FulfillmentStatus
from .comment_texts import ENGLISH_COMMENT_TEXTS, CommentTexts
from .policies import CurrencyPolicy, VatPolicy

__all__ = [
    "ContactPolicy",
    "MappingConfig",
    "OneFulfillmentPolicy",
    "UnknownVariationPolicy",
]

_LANGUAGE = re.compile(r"^[a-z]{2}$")


class ContactPolicy(enum.Enum):
    """Which plentymarkets contact an order belongs to."""

    PER_BUYER = "per_buyer"
    """One contact per Allegro buyer, keyed by ``buyer.id`` (its ``externalId``).
    Never keyed by e-mail: Allegro gives every order its own relay alias."""
    GUEST_PER_ORDER = "guest_per_order"
    """A new guest contact for every order (no ``externalId``)."""


class UnknownVariationPolicy(enum.Enum):
    """What to do with a line item whose plentymarkets variation is unknown."""

    UNASSIGNED_ITEM = "unassigned_item"
    """Import it as an unassigned-variation item (type 9) and report a warning."""
    REFUSE = "refuse"
    """Refuse the order with :class:`~allegro_plenty.errors.MappingError`."""


class OneFulfillmentPolicy(enum.Enum):
    """What to do with Allegro One Fulfillment orders (``fulfillment.provider.id == ALLEGRO``).

    Allegro's warehouse ships them; the seller's packers must never ship them
    too, but invoicing and accounting need them in plentymarkets.
    """

    IMPORT = "import"
    """Import into :attr:`MappingConfig.one_fulfillment_status_id` and
    :attr:`MappingConfig.one_fulfillment_warehouse_id`, with a "do not ship"
    comment. Until both are configured such a form is skipped (not finally)
    with ``ONE_FULFILLMENT_NOT_CONFIGURED``: it never gets the normal status or
    warehouse."""
    SKIP = "skip"
    """Do not import (a final ``ONE_FULFILLMENT`` skip)."""


DEFAULT_FULFILLMENT_STATUSES = frozenset({FulfillmentStatus.NEW, FulfillmentStatus.PROCESSING})
"""The seller-side statuses imported by default: the order is not on its way yet."""


def _positive_int(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{attribute.name} must be a positive integer, got {value!r}")


def _positive_decimal(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if not isinstance(value, Decimal) or not value.is_finite() or value <= 0:
        raise ValueError(f"{attribute.name} must be a positive Decimal, got {value!r}")


def _id_map(value: Mapping[Any, int]) -> Mapping[str, int]:
    # Keys may be given as OpenEnum members (PaymentType.ONLINE): store their text.
    return MappingProxyType({str(key): ident for key, ident in value.items()})


def _statuses(value: Iterable[FulfillmentStatus | str]) -> frozenset[FulfillmentStatus]:
    if isinstance(value, str):
        raise ValueError(f"fulfillment_statuses must be a collection of statuses, not {value!r}")
    return frozenset(FulfillmentStatus(status) for status in value)


def _check_statuses(_: object, __: object, value: frozenset[FulfillmentStatus]) -> None:
    if not value:
        raise ValueError("fulfillment_statuses is empty: no order would ever be imported")
    for status in value:
        if not status.is_known:
            raise ValueError(f"fulfillment_statuses: {str(status)!r} is not a fulfillment status")


def _check_id_map(_: object, attribute: attrs.Attribute[Any], value: Mapping[str, int]) -> None:
    for key, ident in value.items():
        if not key:
            raise ValueError(f"{attribute.name} has an empty key")
        _positive_int(None, attribute, ident)


@attrs.frozen(kw_only=True)
class MappingConfig:
    """The seller's mapping configuration (validated when built).

    Attributes:
        plenty_id: The plentymarkets client (``plentyId``) orders belong to.
        status_id: Status of new orders (``3`` waiting for payment, ``5`` cleared …).
        language: Order document language and contact language (property 6).
        payment_method_ids: Method-of-payment id per Allegro payment type
            (``{"ONLINE": 6001, "CASH_ON_DELIVERY": 1}``).
        default_payment_method_id: For payment types not in ``payment_method_ids``.
        shipping_profile_ids: Shipping profile id per Allegro delivery method id.
        default_shipping_profile_id: For delivery methods not in ``shipping_profile_ids``.
        warehouse_id: Warehouse of new orders (order property 1), if set.
        additional_service_variation_ids: Variation id per additional-service
            ``definitionId`` (``{"CARRY_IN": 1234}``); unlisted services become
            unassigned items (type 9).
        unknown_variation: What to do with a line whose variation is unknown.
        contact_policy: One contact per buyer, or a guest contact per order.
        fulfillment_statuses: The seller-side statuses (``fulfillment.status``)
            a form may have to be imported; default ``NEW`` and ``PROCESSING``.
        one_fulfillment: Import (the default) or skip Allegro One Fulfillment orders.
        one_fulfillment_status_id: Their status when imported.
        one_fulfillment_warehouse_id: Their warehouse when imported.
        shipping_item_name: Name of the shipping-cost item.
        deposit_item_name: Name prefix of deposit items (``"Kaucja"``).
        comment_texts: The words of the order comment's own lines:
            :data:`~allegro_plenty.mapping.ENGLISH_COMMENT_TEXTS` (the default),
            :data:`~allegro_plenty.mapping.POLISH_COMMENT_TEXTS` or your own.
        vat: The VAT policy.
        currency: The currency policy.
    """

    plenty_id: int = attrs.field(validator=_positive_int)
    status_id: Decimal = attrs.field(validator=_positive_decimal)
    language: str = attrs.field(default="pl")
    payment_method_ids: Mapping[str, int] = attrs.field(
        factory=dict,
        converter=_id_map,
        validator=_check_id_map,
    )
    default_payment_method_id: int | None = attrs.field(default=None, validator=_positive_int)
    shipping_profile_ids: Mapping[str, int] = attrs.field(
        factory=dict,
        converter=_id_map,
        validator=_check_id_map,
    )
    default_shipping_profile_id: int | None = attrs.field(default=None, validator=_positive_int)
    warehouse_id: int | None = attrs.field(default=None, validator=_positive_int)
    additional_service_variation_ids: Mapping[str, int] = attrs.field(
        factory=dict,
        converter=_id_map,
        validator=_check_id_map,
    )
    unknown_variation: UnknownVariationPolicy = UnknownVariationPolicy.UNASSIGNED_ITEM
    contact_policy: ContactPolicy = ContactPolicy.PER_BUYER
    fulfillment_statuses: frozenset[FulfillmentStatus] = attrs.field(
        default=DEFAULT_FULFILLMENT_STATUSES, converter=_statuses, validator=_check_statuses
    )
    one_fulfillment: OneFulfillmentPolicy = OneFulfillmentPolicy.IMPORT
    one_fulfillment_status_id: Decimal | None = attrs.field(
        default=None, validator=_positive_decimal
    )
    one_fulfillment_warehouse_id: int | None = attrs.field(default=None, validator=_positive_int)
    shipping_item_name: str = "Shipping costs"
    deposit_item_name: str = "Deposit"
    comment_texts: CommentTexts = attrs.field(default=ENGLISH_COMMENT_TEXTS)
    vat: VatPolicy = attrs.field(factory=VatPolicy)
    currency: CurrencyPolicy = attrs.field(factory=CurrencyPolicy)

    @language.validator
    def _check_language(self, _: object, value: str) -> None:
        if not _LANGUAGE.match(value):
            raise ValueError(f"language must be an ISO 639-1 code like 'pl', got {value!r}")

    @comment_texts.validator
    def _check_comment_texts(self, _: object, value: CommentTexts) -> None:
        if not isinstance(value, CommentTexts):
            raise ValueError(f"comment_texts must be CommentTexts, got {type(value).__name__}")

    def __attrs_post_init__(self) -> None:
        for name in ("shipping_item_name", "deposit_item_name"):
            if not getattr(self, name).strip():
                raise ValueError(f"{name} must not be blank")

    @property
    def one_fulfillment_configured(self) -> bool:
        """Whether One Fulfillment orders have their own status and warehouse to go to."""
        return (
            self.one_fulfillment_status_id is not None
            and self.one_fulfillment_warehouse_id is not None
        )

    def fingerprint(self) -> str:
        """A short, stable hash of the settings eligibility depends on.

        Those are :attr:`fulfillment_statuses`, :attr:`one_fulfillment` and
        whether :attr:`one_fulfillment_configured`. The importer stores it with
        every :class:`~allegro_plenty.mapping.SkippedOrder`: a final skip stands
        while the fingerprint is the same, and is reconsidered once it changes.
        The same settings give the same value in every process and release
        (unless the eligibility rules themselves change); other settings (ids,
        policies) do not change it.
        """
        settings = {
            "rules": 1,
            "fulfillment_statuses": sorted(map(str, self.fulfillment_statuses)),
            "one_fulfillment": self.one_fulfillment.value,
            "one_fulfillment_configured": self.one_fulfillment_configured,
        }
        text = json.dumps(settings, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("ascii")).hexdigest()[:16]

    def payment_method_id(self, payment_type: str) -> int | None:
        """The method-of-payment id for an Allegro payment type, or ``None``."""
        return self.payment_method_ids.get(payment_type, self.default_payment_method_id)

    def shipping_profile_id(self, delivery_method_id: str | None) -> int | None:
        """The shipping profile id for an Allegro delivery method, or ``None``."""
        if delivery_method_id is None:
            return self.default_shipping_profile_id
        return self.shipping_profile_ids.get(delivery_method_id, self.default_shipping_profile_id)
