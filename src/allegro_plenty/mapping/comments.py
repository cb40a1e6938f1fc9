"""The order comment: one plain-text note for the people who pack and invoice."""

from __future__ import annotations

from ..allegro.models import Delivery
from ._base import BUYER_MESSAGE, COMMENT_DETAIL, SELLER_NOTE, MapperBase
from .comment_texts import CommentTexts
from .context import MappingRun
from .drafts import CommentDraft
from .text import clean_text

__all__ = ["CommentSteps"]


class CommentSteps(MapperBase):
    """The order comment (part of :class:`~allegro_plenty.mapping.OrderMapper`).

    Its words come from :attr:`MappingConfig.comment_texts
    <allegro_plenty.mapping.MappingConfig.comment_texts>` (English by default).
    """

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
        texts = self.config.comment_texts
        lines = [texts.one_fulfillment] if run.form.is_one_fulfillment else []
        message = run.lines(run.form.message_to_seller, BUYER_MESSAGE, "messageToSeller")
        if message:
            lines += (texts.buyer_message, *_quoted(message))
        if run.form.delivery is not None:
            lines += self.delivery_lines(run, run.form.delivery, texts)
        lines += self.invoice_lines(run, texts)
        lines += self.voucher_lines(run, texts)
        note = run.form.note
        text = run.lines(note.text, SELLER_NOTE, "note.text") if note else None
        if text:
            lines += (texts.seller_note, *_quoted(text))
        return lines

    def delivery_lines(self, run: MappingRun, delivery: Delivery, texts: CommentTexts) -> list[str]:
        """The delivery method, the pickup point (id, name, description), Allegro Smart."""
        lines = []
        method = run.text(
            delivery.method.name if delivery.method else None,
            COMMENT_DETAIL,
            "delivery.method.name",
        )
        if method:
            lines.append(texts.delivery_method.format(method=method))
        point = delivery.pickup_point
        if point is not None:
            path = "delivery.pickupPoint"
            details = ", ".join(
                text
                for text in (
                    run.text(point.name, COMMENT_DETAIL, f"{path}.name"),
                    run.text(point.description, COMMENT_DETAIL, f"{path}.description"),
                )
                if text
            )
            ident = run.text(point.id, COMMENT_DETAIL, f"{path}.id") or "?"
            lines.append(
                texts.pickup_point.format(id=ident, details=details)
                if details
                else texts.pickup_point_without_details.format(id=ident)
            )
        if delivery.smart:
            lines.append(texts.smart)
        return lines

    def invoice_lines(self, run: MappingRun, texts: CommentTexts) -> list[str]:
        """An invoice requested (for a company or a person); a verified EU VAT id."""
        lines = []
        invoice = run.form.invoice
        if invoice is not None and invoice.required:
            place = invoice.address
            kind = texts.company if place and place.company else texts.private_person
            lines.append(texts.invoice_requested.format(kind=kind))
        vat_id = run.eu_vat_id
        if vat_id is not None:
            lines.append(texts.intra_eu_buyer.format(vat_id=vat_id))
        return lines

    def voucher_lines(self, run: MappingRun, texts: CommentTexts) -> list[str]:
        """One line per voucher on a line item (teachers' notebooks …)."""
        lines = []
        for line in run.form.line_items:
            for voucher in line.vouchers or ():
                value = voucher.value
                lines.append(
                    texts.voucher.format(
                        type=voucher.type,
                        status=texts.voucher_status.format(status=voucher.status)
                        if voucher.status
                        else "",
                        value=texts.voucher_value.format(
                            amount=value.amount, currency=value.currency
                        )
                        if value
                        else "",
                        line_item_id=line.id,
                    )
                )
        return lines


def _quoted(text: str) -> list[str]:
    """Someone else's words, one ``>`` line each (empty lines included, so none is lost)."""
    return [f"> {line}" if line else ">" for line in text.split("\n")]
