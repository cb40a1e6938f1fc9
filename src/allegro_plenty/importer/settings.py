"""How the importer runs: sources, leases, retries, adoption, look-ups (validated when built)."""

from __future__ import annotations

import enum
import math
import string
from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs
import httpx

from ..errors import ConfigurationError

__all__ = ["ImportSettings", "VariationLookup", "longest_attempt"]


class VariationLookup(enum.Enum):
    """How a line item's plentymarkets variation is found from its offer's external id
    (the seller's own id on the Allegro offer, ``offer.external.id``)."""

    NUMBER = "number"
    """The external id is the variation number."""
    BARCODE = "barcode"
    """The external id is a barcode (EAN, GTIN ...) of the variation."""
    SKU = "sku"
    """The external id is a market SKU of the variation (of ``sku_referrer_id`` if set)."""


def _seconds(value: float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else value


def _optional_seconds(value: float | timedelta | None) -> float | None:
    return None if value is None else _seconds(value)


def _positive(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigurationError(f"ImportSettings.{attribute.name} must be a number, got {value!r}")
    if value <= 0:
        raise ConfigurationError(f"ImportSettings.{attribute.name} must be positive, got {value!r}")


def _not_negative(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigurationError(f"ImportSettings.{attribute.name} must be a number, got {value!r}")
    if value < 0:
        raise ConfigurationError(f"ImportSettings.{attribute.name} must be ≥ 0, got {value!r}")


def _decimal(value: object) -> Decimal:
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ConfigurationError(f"{value!r} is not a number") from None
    if isinstance(value, bool) or not number.is_finite():
        raise ConfigurationError(f"{value!r} is not a finite number")
    return number


def _optional_decimal(value: object) -> Decimal | None:
    return None if value is None else _decimal(value)


def _decimals(values: Iterable[object]) -> frozenset[Decimal]:
    if isinstance(values, str | bytes):
        raise ConfigurationError("adopt_referrer_ids must be a collection of referrer ids")
    return frozenset(_decimal(value) for value in values)


def _format(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    formats = value if isinstance(value, tuple) else (value,)
    for text in formats:
        fields = [f for _, f, _, _ in string.Formatter().parse(str(text)) if f is not None]
        if not isinstance(text, str) or fields != ["form_id"]:
            raise ConfigurationError(
                f"ImportSettings.{attribute.name}: {text!r} must hold '{{form_id}}' exactly once "
                "and no other field"
            )


def _formats(values: Iterable[str]) -> tuple[str, ...]:
    if isinstance(values, str):
        return (values,)
    return tuple(values)


@attrs.frozen(kw_only=True)
class ImportSettings:
    """The importer's settings; every duration is in seconds (or a ``timedelta``).

    Attributes:
        sweep_interval: How often the reconciliation sweep runs (default 15 min).
        sweep_lag: How far behind Allegro's newest time the sweep's watermark
            stays, for forms Allegro lists late (default 5 min).
        backfill: How far back the first run looks; ``None`` starts from now
            (set it when moving from another Allegro integration, together with
            ``adopt_referrer_ids``).
        lease: How long a worker's claim on a form lasts unless renewed. It is
            renewed right before every write, so it must outlast one write
            attempt: at least 3 × the plenty client's longest attempt (checked
            when the importer is built).
        max_attempts: Failed attempts after which a form is quarantined.
        retry_base: The first retry's delay; each further one doubles it ...
        retry_max: ... up to this.
        total_tolerance: A difference between plentymarkets' order total and
            Allegro's ``totalToPay`` beyond this is a warning and a comment.
        referrer_id: The referrer of every imported order. ``None`` (default):
            the importer finds the referrer named ``referrer_name`` (or creates
            it) and one sub-referrer per account.
        referrer_name: The name of that referrer.
        adopt_referrer_ids: Referrers of an earlier integration whose orders
            (matching the external id exactly) are adopted instead of created.
        external_id_format: What the importer writes into order property 7;
            ``{form_id}`` is the checkout-form id.
        legacy_external_id_formats: Formats an earlier integration wrote, also
            recognised when looking an order up (``"allegro-{form_id}"``).
        variation_lookup: How offers are matched to variations.
        sku_referrer_id: With ``VariationLookup.SKU``: only SKUs of this market.
        cancel_status: The status a bound order gets when the buyer cancels
            (``None``: only a comment).
        address_update_max_status: A changed delivery address re-points the
            order's delivery address only while the order is unlocked and its
            status is below this; otherwise it becomes a comment.
        event_page_size: Events per request (1 to 1000).
        sweep_page_size: Checkout forms per request (1 to 100).
    """

    sweep_interval: float = attrs.field(default=900.0, converter=_seconds, validator=_positive)
    sweep_lag: float = attrs.field(default=300.0, converter=_seconds, validator=_not_negative)
    backfill: float | None = attrs.field(
        default=None, converter=_optional_seconds, validator=_positive
    )
    lease: float = attrs.field(default=300.0, converter=_seconds, validator=_positive)
    max_attempts: int = attrs.field(default=8, validator=_positive)
    retry_base: float = attrs.field(default=60.0, converter=_seconds, validator=_positive)
    retry_max: float = attrs.field(default=6 * 3600.0, converter=_seconds, validator=_positive)
    total_tolerance: Decimal = attrs.field(default=Decimal("0.01"), converter=_decimal)
    referrer_id: Decimal | None = attrs.field(default=None, converter=_optional_decimal)
    referrer_name: str = "Allegro"
    adopt_referrer_ids: frozenset[Decimal] = attrs.field(factory=frozenset, converter=_decimals)
    external_id_format: str = attrs.field(default="{form_id}", validator=_format)
    legacy_external_id_formats: tuple[str, ...] = attrs.field(
        default=(), converter=_formats, validator=_format
    )
    variation_lookup: VariationLookup = VariationLookup.NUMBER
    sku_referrer_id: Decimal | None = attrs.field(default=None, converter=_optional_decimal)
    cancel_status: Decimal | None = attrs.field(default=Decimal(8), converter=_optional_decimal)
    address_update_max_status: Decimal = attrs.field(default=Decimal(5), converter=_decimal)
    event_page_size: int = attrs.field(default=100, validator=_positive)
    sweep_page_size: int = attrs.field(default=100, validator=_positive)

    def __attrs_post_init__(self) -> None:
        if self.total_tolerance < 0:
            raise ConfigurationError("ImportSettings.total_tolerance must be ≥ 0")
        if self.retry_max < self.retry_base:
            raise ConfigurationError(
                f"ImportSettings.retry_max ({self.retry_max}) is shorter than "
                f"retry_base ({self.retry_base})"
            )
        if not self.referrer_name.strip():
            raise ConfigurationError("ImportSettings.referrer_name must not be blank")
        if self.event_page_size > 1000 or self.sweep_page_size > 100:
            raise ConfigurationError(
                "ImportSettings: event_page_size is at most 1000, sweep_page_size at most 100"
            )
        if not isinstance(self.variation_lookup, VariationLookup):
            raise ConfigurationError(
                f"ImportSettings.variation_lookup must be a VariationLookup, "
                f"got {self.variation_lookup!r}"
            )

    def external_ids(self, form_id: str) -> tuple[str, ...]:
        """Every external order id the form may carry: the written one first, then legacy ones."""
        written = self.external_id_format.format(form_id=form_id)
        legacy = (f.format(form_id=form_id) for f in self.legacy_external_id_formats)
        return (written, *(text for text in legacy if text != written))

    def retry_in(self, attempts: int) -> float:
        """The delay before the next attempt after ``attempts`` failed ones."""
        doublings: int = min(max(attempts - 1, 0), 60)
        return float(min(self.retry_max, self.retry_base * 2**doublings))

    def check_lease(self, timeout: httpx.Timeout, client: str) -> None:
        """Raise :class:`ConfigurationError` unless the lease outlasts 3 write attempts."""
        attempt = longest_attempt(timeout)
        if attempt is None:
            raise ConfigurationError(
                f"{client} has a timeout without a limit ({timeout}); a lease cannot outlast "
                "a write that may never end: give every timeout a limit"
            )
        if self.lease < 3 * attempt:
            raise ConfigurationError(
                f"ImportSettings.lease of {self.lease:g} s is shorter than 3 × the longest "
                f"write attempt of {client} ({attempt:g} s by its timeouts): a worker could "
                "lose its claim while its write is under way; raise the lease to at least "
                f"{3 * attempt:g} s or shorten the timeouts"
            )


def longest_attempt(timeout: httpx.Timeout) -> float | None:
    """The longest one HTTP attempt can take by ``timeout`` (``None``: unbounded).

    A pool wait, the connect, sending the body and waiting for the answer each
    have their own limit; one attempt can use them all.
    """
    parts: list[float | None] = [timeout.pool, timeout.connect, timeout.write, timeout.read]
    total = 0.0
    for part in parts:
        if part is None:
            return None
        total += part
    return total
