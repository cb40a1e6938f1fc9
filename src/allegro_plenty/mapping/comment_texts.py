"""The words of the order comment, in English (the default) and Polish.

The mapper writes one plain-text comment per order (see ``docs/mapping.md``);
its own lines come from a :class:`CommentTexts`, chosen with
:attr:`MappingConfig.comment_texts <allegro_plenty.mapping.MappingConfig.comment_texts>`.
Ship :data:`ENGLISH_COMMENT_TEXTS` or :data:`POLISH_COMMENT_TEXTS`, or build
your own: every text is checked when it is built, so that a mistyped
placeholder fails at start-up rather than on the first order.
"""

from __future__ import annotations

import string
from typing import Any

import attrs

__all__ = ["ENGLISH_COMMENT_TEXTS", "POLISH_COMMENT_TEXTS", "CommentTexts"]

_PLACEHOLDERS: dict[str, frozenset[str]] = {
    "delivery_method": frozenset({"method"}),
    "pickup_point": frozenset({"id", "details"}),
    "pickup_point_without_details": frozenset({"id"}),
    "invoice_requested": frozenset({"kind"}),
    "intra_eu_buyer": frozenset({"vat_id"}),
    "voucher": frozenset({"type", "status", "value", "line_item_id"}),
    "voucher_status": frozenset({"status"}),
    "voucher_value": frozenset({"amount", "currency"}),
}
"""The placeholders each template takes (all of them optional); the other texts take none."""


def _check(instance: CommentTexts, attribute: attrs.Attribute[Any], value: object) -> None:
    name = attribute.name
    if not isinstance(value, str):
        raise TypeError(f"CommentTexts.{name} must be a str, got {type(value).__name__}")
    allowed = _PLACEHOLDERS.get(name, frozenset())
    try:
        fields = {field for _, field, _, _ in string.Formatter().parse(value) if field is not None}
    except ValueError as exc:
        raise ValueError(f"CommentTexts.{name}: {exc}") from None
    unknown = sorted(fields - allowed)
    if unknown:
        raise ValueError(
            f"CommentTexts.{name}: unknown placeholder {unknown[0]!r}"
            f" (it takes {', '.join(sorted(allowed)) or 'none'})"
        )
    # The mapper's own lines never start with ">" (that marks the buyer's and the
    # seller's words) and are one line each: a text must not break either rule.
    if value.lstrip().startswith(">") or not value.isprintable():
        raise ValueError(f"CommentTexts.{name} must be one line not starting with '>'")
    if not value.strip() and name not in ("voucher_status", "voucher_value"):
        raise ValueError(f"CommentTexts.{name} must not be blank")


@attrs.frozen(kw_only=True)
class CommentTexts:
    """The mapper's own comment lines, as :meth:`str.format` templates.

    Placeholders are written ``{name}``; each template may use any of its own
    (or none), and a literal brace is doubled. The buyer's message and the
    seller's note follow their heading, each of their lines quoted with ``>``.

    Attributes:
        one_fulfillment: First line of a One Fulfillment order, for the packers.
        buyer_message: Heading of the buyer's message.
        delivery_method: ``{method}``: the delivery method's name.
        pickup_point: ``{id}``, ``{details}``: the point's id; its name and description.
        pickup_point_without_details: ``{id}``: a point with neither name nor description.
        smart: An Allegro Smart delivery.
        invoice_requested: ``{kind}``: :attr:`company` or :attr:`private_person`.
        company: The kind of an invoice to a company.
        private_person: The kind of an invoice to a natural person.
        intra_eu_buyer: ``{vat_id}``: the EU VAT id Allegro verified.
        voucher: ``{type}``, ``{status}``, ``{value}``, ``{line_item_id}``: a voucher on
            a line; ``{status}`` and ``{value}`` are the two texts below, or empty.
        voucher_status: ``{status}``: the voucher's status.
        voucher_value: ``{amount}``, ``{currency}``: the voucher's value.
        seller_note: Heading of the seller's note.
    """

    one_fulfillment: str = attrs.field(validator=_check)
    buyer_message: str = attrs.field(validator=_check)
    delivery_method: str = attrs.field(validator=_check)
    pickup_point: str = attrs.field(validator=_check)
    pickup_point_without_details: str = attrs.field(validator=_check)
    smart: str = attrs.field(validator=_check)
    invoice_requested: str = attrs.field(validator=_check)
    company: str = attrs.field(validator=_check)
    private_person: str = attrs.field(validator=_check)
    intra_eu_buyer: str = attrs.field(validator=_check)
    voucher: str = attrs.field(validator=_check)
    voucher_status: str = attrs.field(validator=_check)
    voucher_value: str = attrs.field(validator=_check)
    seller_note: str = attrs.field(validator=_check)


ENGLISH_COMMENT_TEXTS = CommentTexts(
    one_fulfillment=(
        "Allegro One Fulfillment: Allegro's warehouse ships this order. Do not ship it."
    ),
    buyer_message="Message from the buyer:",
    delivery_method="Delivery method: {method}",
    pickup_point="Pickup point: {id} ({details})",
    pickup_point_without_details="Pickup point: {id}",
    smart="Allegro Smart delivery",
    invoice_requested="Invoice requested ({kind})",
    company="company",
    private_person="private person",
    intra_eu_buyer="Intra-EU business buyer: VAT id {vat_id} verified by Allegro",
    voucher="Voucher {type}{status}{value} on line item {line_item_id}",
    voucher_status=" ({status})",
    voucher_value=" worth {amount} {currency}",
    seller_note="Seller's note:",
)
"""The default: the comment as earlier releases wrote it."""

POLISH_COMMENT_TEXTS = CommentTexts(
    one_fulfillment=(
        "Allegro One Fulfillment: to zamówienie wysyła magazyn Allegro. Nie wysyłaj go."
    ),
    buyer_message="Wiadomość od kupującego:",
    delivery_method="Sposób dostawy: {method}",
    pickup_point="Punkt odbioru: {id} ({details})",
    pickup_point_without_details="Punkt odbioru: {id}",
    smart="Dostawa Allegro Smart",
    invoice_requested="Kupujący chce fakturę ({kind})",
    company="firma",
    private_person="osoba prywatna",
    intra_eu_buyer="Firma z UE: numer VAT UE {vat_id} zweryfikowany przez Allegro",
    voucher="Bon {type}{status}{value} w pozycji {line_item_id}",
    voucher_status=" ({status})",
    voucher_value=" o wartości {amount} {currency}",
    seller_note="Notatka sprzedającego:",
)
"""Polish, for a team that packs and invoices in Polish."""
