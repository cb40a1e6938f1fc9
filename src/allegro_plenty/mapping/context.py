"""What the importer resolves before mapping, and the state of one mapping call."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import attrs

from ..allegro.models import CheckoutForm, Money, Payment, PaymentType
from ..errors import MappingError
from ..plenty.models import VatConfiguration
from .drafts import MappingWarning, WarningCode
from .policies import VatChoice
from .text import TEXT_LIMITS, TextField, TextLimit, clean_text

__all__ = ["MappingContext", "MappingRun", "amount_problem", "verified_eu_vat_id"]

_MAX_AMOUNT = Decimal(10) ** 12
"""No Allegro amount comes near a trillion; bigger values are garbage, not money."""
_CENT = Decimal("0.01")
_UNSET: Any = object()
"""A derived value not computed yet (``None`` is a value)."""


def _frozen(value: Mapping[Any, Any]) -> Mapping[Any, Any]:
    return MappingProxyType(dict(value))


@attrs.frozen(kw_only=True)
class MappingContext:
    """Lookups the importer resolved for the mapper (the mapper does no I/O).

    One context can serve a whole batch: line-item ids are unique across
    checkout forms, and the other lookups are per system.

    Attributes:
        referrer_id: The plentymarkets referrer of Allegro orders (the importer
            owns it; the mapper only reads it). Set on the order, every item
            and the contact.
        variation_ids: plentymarkets variation id per Allegro line-item id;
            absent or ``None`` means unknown.
        country_ids: plentymarkets country id per ISO 3166 alpha-2 code
            (``{"PL": 23, "CZ": 6}``).
        vat_configurations: plentymarkets VAT configuration per country code, as
            the plenty client reads them (``PlentyClient.vat_configurations``).
        exchange_rates: Exchange rate per currency code, in plentymarkets'
            convention (units of that currency per one unit of the system
            currency); the system currency needs no entry.
    """

    referrer_id: Decimal = attrs.field()
    country_ids: Mapping[str, int] = attrs.field(converter=_frozen)
    vat_configurations: Mapping[str, VatConfiguration] = attrs.field(converter=_frozen)
    variation_ids: Mapping[str, int | None] = attrs.field(factory=dict, converter=_frozen)
    exchange_rates: Mapping[str, Decimal] = attrs.field(factory=dict, converter=_frozen)

    @referrer_id.validator
    def _check_referrer(self, _: object, value: Decimal) -> None:
        if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
            raise ValueError(f"referrer_id must be a Decimal ≥ 0, got {value!r}")


@attrs.define(slots=True)
class MappingRun:
    """The state of one :meth:`OrderMapper.map` call, handed to every concern method.

    Built fresh for each call, so the mapper itself stays stateless and a
    subclass method can read everything it needs from here.

    Attributes:
        form: The checkout form being mapped.
        context: The importer's resolved lookups.
        currency: The order's currency (``summary.totalToPay.currency``).
        exchange_rate: The rate for :attr:`currency` (1 for the system currency).
        vat_country: The country whose VAT configuration applies.
        vat: That VAT configuration.
        warnings: Warnings so far, in the order they were found.
        text_limits: The length of each kind of text field (the mapper's
            :attr:`~allegro_plenty.mapping.OrderMapper.text_limits`).
    """

    form: CheckoutForm
    context: MappingContext
    currency: str
    exchange_rate: Decimal
    vat_country: str
    vat: VatConfiguration
    warnings: list[MappingWarning] = attrs.field(factory=list)
    vat_by_rate: dict[str | None, VatChoice] = attrs.field(factory=dict, repr=False, eq=False)
    """VAT choices made so far in this call, by ``tax.rate`` text (``None``: no rate)."""
    text_limits: Mapping[TextField, TextLimit] = attrs.field(
        default=TEXT_LIMITS, repr=False, eq=False
    )
    _eu_vat_id: str | None = attrs.field(default=_UNSET, init=False, repr=False, eq=False)
    _paid: Decimal = attrs.field(default=_UNSET, init=False, repr=False, eq=False)

    # --- values derived from the form, computed once per call --------------------------

    @property
    def eu_vat_id(self) -> str | None:
        """The buyer's verified EU VAT id (:func:`verified_eu_vat_id`), worked out once.

        The billing address, the draft's ``intra_eu_vat_id`` and the comment all use it.
        """
        if self._eu_vat_id is _UNSET:
            self._eu_vat_id = verified_eu_vat_id(self.form)
        return self._eu_vat_id

    @property
    def paid(self) -> Decimal:
        """What the prepaid parts (``payment`` and ``surcharges``, not cash on delivery)
        say was paid, each amount checked (:meth:`money`); worked out once."""
        if self._paid is _UNSET:
            form = self.form
            paid = Decimal(0)
            if form.payment is not None:
                paid += self._paid_part(form.payment, "payment")
            for index, part in enumerate(form.surcharges):
                paid += self._paid_part(part, f"surcharges[{index}]")
            self._paid = paid
        return self._paid

    def _paid_part(self, part: Payment, path: str) -> Decimal:
        if part.type == PaymentType.CASH_ON_DELIVERY or part.paid_amount is None:
            return Decimal(0)
        return self.money(part.paid_amount, f"{path}.paidAmount")

    # --- helpers for the concerns ----------------------------------------------------------

    def error(self, reason: str, field_path: str | None = None) -> MappingError:
        """A :class:`MappingError` for this form (to ``raise``); no personal data in ``reason``."""
        return MappingError(reason, checkout_form_id=self.form.id, field_path=field_path)

    def warn(self, code: WarningCode, message: str, field_path: str | None = None) -> None:
        """Report a warning (once: the same warning again is dropped); ``message``
        carries ids only, never personal data."""
        warning = MappingWarning(code, message, field_path)
        if warning not in self.warnings:
            self.warnings.append(warning)

    def text(self, value: str | None, field: TextField, field_path: str) -> str | None:
        """One-line ``value`` cleaned (:func:`clean_text`) and cut to ``field``'s limit.

        ``None`` when blank. Every cut is a ``TEXT_TRUNCATED`` warning at
        ``field_path`` that gives lengths, never the text.
        """
        if value is None:
            return None
        limit = self.text_limits[field].max_length
        if len(value) <= limit and value.isprintable():  # the usual case, decided in C
            return value.strip() or None
        return self.fit(value, field, field_path, limit)

    def lines(self, value: str | None, field: TextField, field_path: str) -> str | None:
        """Like :meth:`text`, for text whose line breaks count (joined with ``\\n``)."""
        if value is None:
            return None
        return self.fit(value, field, field_path, self.text_limits[field].max_length, True)

    def fit(
        self, value: str, field: TextField, field_path: str, limit: int, multiline: bool = False
    ) -> str | None:
        """``value`` cleaned and cut to ``limit`` characters (with a warning); ``None`` if blank."""
        if len(value) <= limit and value.isprintable():
            return value.strip() or None
        # Cleaning only ever shortens text, so a bounded prefix is all it needs
        # to look at: a ten-megabyte name costs no more than a short one.
        bound = 4 * limit + 64
        cleaned = clean_text(value[:bound], multiline=multiline)
        if len(cleaned) > limit or len(value) > bound:
            self.warn(
                WarningCode.TEXT_TRUNCATED,
                f"{field.value} of {len(value)} characters cut to {limit}",
                field_path,
            )
            cleaned = cleaned[:limit].rstrip()
        return cleaned or None

    def money(self, money: Money, field_path: str) -> Decimal:
        """The amount of ``money``, checked: the order's currency, cents, not negative."""
        amount = money.amount
        if (  # the usual case, checked inline: some fifteen amounts a form
            money.currency == self.currency
            and type(amount) is Decimal
            and amount.is_finite()
            and 0 <= amount < _MAX_AMOUNT
            and amount == amount.quantize(_CENT)
        ):
            return amount
        if money.currency != self.currency:
            raise self.error(
                f"mixed currencies: {money.currency!r} in an order in {self.currency!r}",
                f"{field_path}.currency",
            )
        problem = amount_problem(money.amount)
        if problem is not None:
            raise self.error(problem, f"{field_path}.amount")
        return money.amount

    def country_id(self, code: str | None, field_path: str) -> int:
        """The plentymarkets country id for an ISO code; unknown codes are errors."""
        country = self.context.country_ids.get(code.upper()) if code else None
        if country is None:
            raise self.error(f"unknown country code {code!r}", field_path)
        return country


def amount_problem(amount: Decimal) -> str | None:
    """What keeps ``amount`` from being money (finite, ≥ 0, whole cents, sane size), if anything."""
    if not isinstance(amount, Decimal) or not amount.is_finite():
        return f"amount {amount!r} is not a finite decimal"
    if amount < 0:
        return f"negative amount {amount}"
    if amount >= _MAX_AMOUNT:
        return f"amount {amount} is out of range"
    if amount != amount.quantize(_CENT):
        return f"amount {amount} has fractions of a cent"
    return None


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
