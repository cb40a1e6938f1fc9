"""Splitting a one-line street address into street, house number and the rest.

Allegro sends one ``street`` line (``"ul. Długa 5/7 m. 12"``); plentymarkets
wants the street in ``address1``, the house number in ``address2`` and flat or
floor details in ``address3``. The rule, which covers Polish, Czech, Slovak
and Hungarian forms:

* the house number is the earliest word, after the first, that looks like a
  number (``5``, ``123A``, ``5/7``, ``12/A``, ``820/9``, ``1-3``, Hungarian
  ``1.``) and is followed only by flat details: numbers and markers like
  ``m.``, ``lok.``, ``kl.``, ``fszt.``, ``emelet``, ``ajtó``;
* words before it are the street (``ul. 3 Maja 12``: ``3`` is followed by
  ``Maja``, so it is part of the street name);
* with no such word the whole line is the street (a street without a number).
"""

from __future__ import annotations

import re

import attrs

__all__ = ["StreetParts", "split_street"]

_NUMBER = re.compile(r"^\d+[^\W\d_]{0,2}(?:[/-](?:\d+[^\W\d_]{0,2}|[^\W\d_]{1,2}))*\.?$")
_GLUED_FLAT = re.compile(r"^(?:m|lok|kl|ap|apt|app|byt)\.?\d+[^\W\d_]{0,2}$", re.IGNORECASE)
"""A flat marker written without a space (``m.12``, ``lok3``)."""
_FLAT_MARKERS = frozenset(
    {
        # Polish: mieszkanie, lokal, klatka, piętro, apartament
        "m",
        "m.",
        "lok",
        "lok.",
        "lokal",
        "mieszk",
        "mieszk.",
        "mieszkanie",
        "kl",
        "kl.",
        "klatka",
        "p.",
        "piętro",
        "ap",
        "ap.",
        "apt",
        "apt.",
        "app",
        "app.",
        # Czech and Slovak: byt (flat), patro/poschodie (floor)
        "byt",
        "byt.",
        "patro",
        "posch.",
        # Hungarian: földszint (ground floor), emelet (floor), ajtó (door), lépcsőház
        "fszt",
        "fszt.",
        "fsz.",
        "em",
        "em.",
        "emelet",
        "ajtó",
        "ajto",
        "lph.",
        "lépcsőház",
    }
)


@attrs.frozen
class StreetParts:
    """A street line split for plentymarkets.

    Attributes:
        street: ``address1`` (``"ul. Długa"``).
        house_number: ``address2`` (``"5/7"``), ``None`` when the line has none.
        additional: ``address3`` (``"m. 12"``), ``None`` when there is nothing more.
    """

    street: str
    house_number: str | None = None
    additional: str | None = None


def _is_number(word: str) -> bool:
    return _NUMBER.match(word.rstrip(",")) is not None


def _is_flat_detail(word: str) -> bool:
    bare = word.rstrip(",")
    return (
        bare.casefold() in _FLAT_MARKERS
        or _NUMBER.match(bare) is not None
        or _GLUED_FLAT.match(bare) is not None
    )


def split_street(line: str) -> StreetParts:
    """Split ``line`` into street, house number and additional line.

    >>> split_street("ul. Długa 5/7 m. 12")
    StreetParts(street='ul. Długa', house_number='5/7', additional='m. 12')
    >>> split_street("Fő utca 1. 2/3")
    StreetParts(street='Fő utca', house_number='1.', additional='2/3')
    """
    words = line.split()
    for index in range(1, len(words)):
        if _is_number(words[index]) and all(map(_is_flat_detail, words[index + 1 :])):
            street = " ".join(words[:index]).rstrip(",")
            rest = " ".join(words[index + 1 :]).lstrip(", ")
            return StreetParts(street, words[index].rstrip(","), rest or None)
    return StreetParts(" ".join(words))
