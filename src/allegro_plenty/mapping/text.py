"""Text copied into plentymarkets: control characters out, lengths within one table.

Everything the mapper copies from a checkout form into a plentymarkets field
passes :func:`clean_text` and is cut to that field's limit in
:data:`TEXT_LIMITS` (the importer sees a ``TEXT_TRUNCATED`` warning for each
cut). The plentymarkets spec declares no lengths at all, so most limits are
generous values marked "verify": long enough for any real Allegro value, short
enough that a hostile form cannot push megabytes into a contact.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from types import MappingProxyType

import attrs

__all__ = ["TEXT_LIMITS", "TextField", "TextLimit", "clean_text"]

_LINE_BREAKS = "\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029"
"""What ``str.splitlines`` breaks on: in one-line text each run becomes a space."""
_UNSAFE = re.compile(
    "["
    "\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f"  # C0 and C1 controls (NUL, ESC …) but tab and breaks
    "\u061c\u200e\u200f"  # bidi marks
    "\u202a-\u202e\u2066-\u2069"  # bidi embeddings, overrides and isolates
    "\ufeff"  # byte order mark
    "\ud800-\udfff"  # lone surrogates (JSON can carry them; no encoder can send them)
    "]"
)
_BREAKS = re.compile(f"[\t{_LINE_BREAKS}]+")


def clean_text(value: str, *, multiline: bool = False) -> str:
    """``value`` without control characters, bidi controls or lone surrogates, stripped.

    One-line text (the default) turns every line break and tab into a space;
    ``multiline`` keeps line breaks as ``\\n`` (whatever Allegro sent: ``\\r\\n``,
    ``\\r``, U+2028 …), turns tabs into spaces, strips each line's end and drops
    blank lines at either end.

    >>> clean_text("Jan\\x00 Kowalski\\u202e")
    'Jan Kowalski'
    >>> clean_text("one\\r\\ntwo\\u2028three", multiline=True)
    'one\\ntwo\\nthree'
    """
    if value.isprintable():  # the usual case, decided in C
        return value.strip()
    if not multiline:
        return _BREAKS.sub(" ", _UNSAFE.sub("", value)).strip()
    lines = [line.rstrip() for line in _UNSAFE.sub("", value.replace("\t", " ")).splitlines()]
    return "\n".join(lines).strip()


class TextField(str, enum.Enum):
    """A kind of plentymarkets field the mapper writes text into."""

    NAME = "name"
    """Contact first and last name; address ``name1`` (company), ``name2``, ``name3``."""
    STREET = "street"
    """Address ``address1``, the street without its number. The line Allegro sends is
    first cut to what ``address1``–``address3`` can hold together, then split."""
    HOUSE_NUMBER = "house_number"
    """Address ``address2``."""
    ADDITIONAL = "additional"
    """Address ``address3``: flat details and the pickup point's label."""
    TOWN = "town"
    POSTAL_CODE = "postal_code"
    PHONE = "phone"
    """Contact and address phone options."""
    EMAIL = "email"
    """Contact and address e-mail options."""
    VAT_NUMBER = "vat_number"
    """The billing address's VAT number option."""
    ITEM_NAME = "item_name"
    """``orderItemName`` of every item."""
    COMMENT_DETAIL = "comment_detail"
    """One value quoted in a comment line (delivery method, pickup point name …)."""
    BUYER_MESSAGE = "buyer_message"
    """The buyer's message (``messageToSeller``), all its lines together."""
    SELLER_NOTE = "seller_note"
    """The seller's note on the Allegro order, all its lines together."""


@attrs.frozen
class TextLimit:
    """The most characters a field takes, and where that number comes from.

    Attributes:
        max_length: Characters (code points), not bytes.
        source: Where the number comes from; ``"verify: …"`` when no document
            states it and it should be checked on a plentymarkets sandbox.
    """

    max_length: int
    source: str


_VERIFY = "verify: the plentymarkets spec declares no length"
_ALLEGRO = f"{_VERIFY}; the Allegro spec caps its own"

TEXT_LIMITS: Mapping[TextField, TextLimit] = MappingProxyType(
    {
        TextField.NAME: TextLimit(
            255,
            f"{_ALLEGRO} address names at 200 (ReturnPolicyAddress.name)",
        ),
        TextField.STREET: TextLimit(
            255,
            f"{_ALLEGRO} streets at 200 (ReturnPolicyAddress.street)",
        ),
        TextField.HOUSE_NUMBER: TextLimit(64, _VERIFY),
        TextField.ADDITIONAL: TextLimit(255, _VERIFY),
        TextField.TOWN: TextLimit(
            255,
            f"{_ALLEGRO} cities at 200 (ReturnPolicyAddress.city)",
        ),
        TextField.POSTAL_CODE: TextLimit(
            32,
            f"{_ALLEGRO} post codes at 16 (ReturnPolicyAddress.postCode)",
        ),
        TextField.PHONE: TextLimit(64, _VERIFY),
        TextField.EMAIL: TextLimit(
            254, "RFC 5321 §4.5.3.1.3: a path is at most 256 octets, so an address 254"
        ),
        TextField.VAT_NUMBER: TextLimit(64, _VERIFY),
        TextField.ITEM_NAME: TextLimit(
            240,
            "plentymarkets spec: item names take 240 characters (ItemText name1); "
            "verify for orderItemName; the Allegro spec caps offer titles at 75 (offer name)",
        ),
        TextField.COMMENT_DETAIL: TextLimit(500, _VERIFY),
        TextField.BUYER_MESSAGE: TextLimit(5000, _VERIFY),
        TextField.SELLER_NOTE: TextLimit(5000, _VERIFY),
    }
)
"""The one table of text limits (``docs/mapping.md`` shows it; a test keeps the two equal)."""
