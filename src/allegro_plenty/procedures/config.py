"""What a seller configures for the event procedures (the plentymarkets → Allegro maps),
and how the procedures retry.

These maps go from plentymarkets to Allegro, so they live here, not in
:mod:`allegro_plenty.mapping` (which only goes the other way).
"""

from __future__ import annotations

import enum
import os
import socket
import uuid
from collections.abc import Collection, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

from ..allegro.models import RefundReason
from ..errors import ConfigurationError

__all__ = [
    "OTHER_CARRIER",
    "CarrierMap",
    "CarrierMapping",
    "InvoiceOrders",
    "ProcedureConfig",
    "ProcedureSettings",
    "RefundReasonMap",
    "UnmappedCarrier",
]

OTHER_CARRIER = "OTHER"
"""Allegro's carrier id for a carrier it does not track; ``carrierName`` names it."""

CARRIER_NAME_LIMIT = 30
"""Allegro takes at most 30 characters of ``carrierName`` (``CheckoutFormAddWaybillRequest``)."""


def carrier_name(name: str | None) -> str | None:
    """A carrier name as Allegro takes it: trimmed and cut to 30 characters (``None`` if empty)."""
    cleaned = " ".join((name or "").split())[:CARRIER_NAME_LIMIT].strip()
    return cleaned or None


@attrs.frozen
class CarrierMapping:
    """The Allegro carrier of one plentymarkets shipping profile.

    Attributes:
        carrier_id: An id from Allegro's carrier list (``DPD``, ``INPOST`` ...), or
            ``OTHER`` for a carrier Allegro does not track.
        carrier_name: With ``OTHER`` only: the name shown to the buyer (cut to 30
            characters); by default the profile's parcel service name.
    """

    carrier_id: str
    carrier_name: str | None = None

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.carrier_id, str) or not self.carrier_id.strip():
            raise ConfigurationError(
                f"carrier_id must be an Allegro carrier id, got {self.carrier_id!r}"
            )
        if self.carrier_name is not None and self.carrier_id != OTHER_CARRIER:
            raise ConfigurationError(
                f"carrier_name is for carrier OTHER only (Allegro ignores it otherwise); "
                f"carrier {self.carrier_id!r} was given {self.carrier_name!r}"
            )


def _profile_id(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ConfigurationError(f"a shipping profile id is a positive integer, got {value!r}")
    try:
        number = int(value)
    except ValueError:
        raise ConfigurationError(
            f"a shipping profile id is a positive integer, got {value!r}"
        ) from None
    if number <= 0:
        raise ConfigurationError(f"a shipping profile id is a positive integer, got {value!r}")
    return number


def _mappings(entries: Mapping[Any, CarrierMapping | str]) -> dict[int, CarrierMapping]:
    if not isinstance(entries, Mapping):
        raise ConfigurationError(f"a CarrierMap is built from a mapping, got {entries!r}")
    return {
        _profile_id(profile): mapping
        if isinstance(mapping, CarrierMapping)
        else CarrierMapping(mapping)
        for profile, mapping in entries.items()
    }


@attrs.frozen
class CarrierMap:
    """plentymarkets shipping profile id (order property 2) → Allegro carrier.

    ``CarrierMap({6: "DPD", 7: "INPOST", 9: CarrierMapping("OTHER", "Spedycja Kowalski")})``.
    Every carrier id is checked against Allegro's carrier list before a waybill is
    sent (an unknown one raises :class:`~allegro_plenty.errors.CarrierNotMappedError`).
    """

    entries: dict[int, CarrierMapping] = attrs.field(factory=dict, converter=_mappings)

    def get(self, profile_id: int | None) -> CarrierMapping | None:
        """The mapping of a profile, or ``None``."""
        return None if profile_id is None else self.entries.get(profile_id)


class UnmappedCarrier(enum.Enum):
    """What a waybill whose shipping profile is not in the carrier map gets."""

    OTHER = "other"
    """Carrier ``OTHER``, named after the profile's parcel service (cut to 30 characters)."""
    FAIL = "fail"
    """Nothing is sent: :class:`~allegro_plenty.errors.CarrierNotMappedError`."""


class InvoiceOrders(enum.Enum):
    """Which orders *Upload invoice* uploads invoices to."""

    REQUESTED = "requested"
    """Orders whose buyer asked for an invoice (``invoice.required``)."""
    ALL = "all"
    """Every order."""


def _status(value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
        raise ConfigurationError(f"a plentymarkets status id is like 9 or '9.1', got {value!r}")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite() or number <= 0:
        raise ConfigurationError(f"a plentymarkets status id is like 9 or '9.1', got {value!r}")
    return number.normalize()


def _reason(value: object) -> RefundReason:
    if isinstance(value, RefundReason):
        return value
    if isinstance(value, str) and value in RefundReason.__members__:
        return RefundReason(value)
    raise ConfigurationError(
        f"a refund reason is one of {sorted(RefundReason.__members__)}, got {value!r}"
    )


def _reasons(entries: Mapping[Any, RefundReason | str]) -> dict[Decimal, RefundReason]:
    if not isinstance(entries, Mapping):
        raise ConfigurationError(f"a RefundReasonMap is built from a mapping, got {entries!r}")
    return {_status(status): _reason(reason) for status, reason in entries.items()}


@attrs.frozen
class RefundReasonMap:
    """plentymarkets order status → Allegro refund reason.

    *Refund payment* runs only for an order whose current status is in the map,
    exactly (``9.1`` is not ``9``): ``RefundReasonMap({"9.1": "REFUND", 8: "CANCELLED_BY_BUYER"})``.
    """

    entries: dict[Decimal, RefundReason] = attrs.field(factory=dict, converter=_reasons)

    def get(self, status: Decimal | int | str | None) -> RefundReason | None:
        """The reason mapped to ``status``, or ``None``."""
        return None if status is None else self.entries.get(_status(status))


def _referrers(values: Iterable[object]) -> frozenset[Decimal]:
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise ConfigurationError(f"referrer_ids is a collection of referrer ids, got {values!r}")
    found = set()
    for value in values:
        try:
            number = Decimal(str(value)) if isinstance(value, int | str | Decimal) else None
        except InvalidOperation:
            number = None
        if isinstance(value, bool) or number is None or not number.is_finite() or number < 0:
            raise ConfigurationError(f"a referrer id is like 104 or '104.01', got {value!r}")
        found.add(number.normalize())
    return frozenset(found)


def _marketplaces(values: Collection[str]) -> frozenset[str]:
    if isinstance(values, str) or not all(isinstance(v, str) and v for v in values):
        raise ConfigurationError(f"expected a collection of marketplace ids, got {values!r}")
    return frozenset(values)


@attrs.frozen(kw_only=True)
class ProcedureConfig:
    """The seller's configuration of the event procedures.

    Attributes:
        carriers: Shipping profile → Allegro carrier, for *Provide tracking number*.
        unmapped_carrier: What a profile not in ``carriers`` gets: ``OTHER`` with
            its parcel service's name (the default), or a failure.
        waybill_format_fallback: A waybill Allegro rejects for its carrier's format
            (``CarrierWaybillValidationException``) is sent once more as ``OTHER``.
        refund_reasons: plentymarkets status → Allegro refund reason, for *Refund
            payment*; an order in a status not listed is not refunded.
        cod_refund_refused: Marketplaces where Allegro refuses refunds of cash on
            delivery (``allegro-pl``: allegro-api #11207); such an order is
            refused with :class:`~allegro_plenty.errors.NotRefundableError`
            before any refund is sent.
        referrer_ids: Referrers besides the importer's own (which it records in
            the ledger) whose orders count as Allegro orders when they are not
            bound in the ledger (orders an older integration imported).
        invoice_orders: Which orders *Upload invoice* serves: those whose buyer
            asked for an invoice (the default), or all.
        invoice_one_fulfillment: Upload invoices to One Fulfillment orders too
            (the seller still invoices them; Allegro only ships). ``False``
            refuses them like the other procedures do.
        invoice_corrections: Upload plentymarkets correction documents as well
            (where Allegro takes them; otherwise they are skipped with a reason).
        generate_invoices: Ask plentymarkets to make the invoice of an order
            that has none (once per order) instead of waiting for one.
    """

    carriers: CarrierMap = attrs.field(factory=CarrierMap)
    unmapped_carrier: UnmappedCarrier = attrs.field(
        default=UnmappedCarrier.OTHER, converter=UnmappedCarrier
    )
    waybill_format_fallback: bool = True
    refund_reasons: RefundReasonMap = attrs.field(factory=RefundReasonMap)
    cod_refund_refused: frozenset[str] = attrs.field(
        default=frozenset({"allegro-pl"}), converter=_marketplaces
    )
    referrer_ids: frozenset[Decimal] = attrs.field(default=frozenset(), converter=_referrers)
    invoice_orders: InvoiceOrders = attrs.field(
        default=InvoiceOrders.REQUESTED, converter=InvoiceOrders
    )
    invoice_one_fulfillment: bool = True
    invoice_corrections: bool = True
    generate_invoices: bool = False

    @carriers.validator
    def _check_carriers(self, _: object, value: object) -> None:
        if not isinstance(value, CarrierMap):
            raise ConfigurationError(f"carriers must be a CarrierMap, got {value!r}")

    @refund_reasons.validator
    def _check_reasons(self, _: object, value: object) -> None:
        if not isinstance(value, RefundReasonMap):
            raise ConfigurationError(f"refund_reasons must be a RefundReasonMap, got {value!r}")


def default_owner() -> str:
    """A name unique to this worker: host, process and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _positive(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ConfigurationError(f"{attribute.name} must be a positive number, got {value!r}")


@attrs.frozen(kw_only=True)
class ProcedureSettings:
    """How executions are claimed and retried.

    Attributes:
        lease: Seconds an attempt holds its execution; at least three times the
            longest an attempt's calls can take (the clients' timeouts and retries).
        max_attempts: Failed attempts before an execution is quarantined.
        retry_base: Seconds before the first retry; each later retry waits twice
            as long as the one before, up to ``retry_max``.
        retry_max: The longest wait between two attempts.
        waiting_poll: Seconds before a refund Allegro has not settled yet is read
            again.
        owner: This worker's name in the ledger's claims.
    """

    lease: float = attrs.field(default=300.0, validator=_positive)
    max_attempts: int = attrs.field(default=8, validator=_positive)
    retry_base: float = attrs.field(default=60.0, validator=_positive)
    retry_max: float = attrs.field(default=6 * 3600.0, validator=_positive)
    waiting_poll: float = attrs.field(default=900.0, validator=_positive)
    owner: str = attrs.field(factory=default_owner)

    def retry_in(self, failed_before: int) -> float | None:
        """Seconds until the next attempt after one more failure, or ``None``: quarantine."""
        if failed_before + 1 >= self.max_attempts:
            return None
        return float(min(self.retry_max, self.retry_base * 2**failed_before))
