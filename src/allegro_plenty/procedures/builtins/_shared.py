"""What the built-in procedures share."""

from __future__ import annotations

from ...errors import AllegroRefusedError, APIStatusError
from ..handler import DisplayNames

__all__ = ["ABOUT", "REFUSALS", "allegro_refusal"]

ABOUT: dict[str, tuple[DisplayNames, str]] = {
    "allegro.tracking": (
        DisplayNames(
            en="Allegro : Provide tracking number",
            de="Allegro : Sendungsnummer übermitteln",
            pl="Allegro : Przekaż numer przesyłki",
        ),
        "Sends the package numbers of the plentymarkets order and of its delivery orders to "
        "Allegro, each once, with the Allegro carrier mapped from the shipping profile and "
        "the line items the package holds; skips numbers Allegro already lists.",
    ),
    "allegro.refund": (
        DisplayNames(
            en="Allegro : Refund payment",
            de="Allegro : Zahlung erstatten",
            pl="Allegro : Zwrot płatności",
        ),
        "Refunds the buyer through Allegro when the order (or its return order) is in a "
        "status mapped to a refund reason: a return order's items and their deposits, or "
        "everything still refundable; each refund once, its commandId stored before sending.",
    ),
    "allegro.upload_invoice": (
        DisplayNames(
            en="Allegro : Upload invoice",
            de="Allegro : Rechnung hochladen",
            pl="Allegro : Prześlij fakturę",
        ),
        "Uploads the order's plentymarkets invoice (and its correction documents) to the "
        "Allegro order as a PDF with the same number, each once: Allegro's invoices are read "
        "first, the invoice's Allegro id is stored before its file is sent, and the malware "
        "scan's result is read back and recorded.",
    ),
}
"""The display names and descriptions of the built-ins other than the status procedures."""

REFUSALS = frozenset({400, 404, 409, 422})
"""Statuses with which Allegro refuses a write for good: sending it again cannot help."""


def allegro_refusal(procedure: str, error: APIStatusError) -> AllegroRefusedError:
    """Allegro's refusal as a typed error carrying Allegro's own message."""
    first = error.errors[0] if error.errors else None
    said = (first.message or first.user_message) if first is not None else None
    return AllegroRefusedError(procedure, error.status_code, error.codes, said or error.message)
