"""Numbers: the bounds on what is read, and plain notation for what is written.

Every number read is bounded, because the work done with a number grows with
its size and a server's ten bytes (``1e10000000``) would otherwise hold the GIL
for minutes: at most :data:`MAX_DIGITS` digits and an exponent within
±:data:`MAX_EXPONENT` (plentymarkets is PHP and may write ``1.0e-5``). A decimal
given as a string is in plain notation (ASCII digits, an optional ``-`` and one
``.``) and within the same bounds.

Every decimal written is in plain notation too (``100``, never ``1E+2``), with
at most 40 digits either side of the point; Allegro amounts have exactly two
decimals, plentymarkets takes JSON numbers.

The fast pass (:mod:`.fast`) takes some values inline, without the hooks that
call :func:`bounded_number`; it reads :data:`INTEGER_BOUND`, :data:`DIGITS`,
:data:`NOTHING_OR_POINT` and :data:`SHORT_PLAIN` from here so that both passes
draw the same line.
"""

from __future__ import annotations

import re
from decimal import Context, Decimal, InvalidOperation
from typing import Any

from ..errors import InvalidRequestError
from .messages import show

# --- reading ---------------------------------------------------------------------------

MAX_DIGITS = 40
"""The most significant digits a number may have."""
MAX_EXPONENT = 30
"""How far a number's exponent may reach either way: ``1e30`` and ``1e-30`` are
read, ``1e31`` and ``1e-31`` are not. Below 1 it is the exponent of the leading
digit, so PHP's float residues (``1.1102230246251565e-16``) are read."""
INTEGER_BOUND = 10**MAX_DIGITS
"""An integer is read only strictly between ``-INTEGER_BOUND`` and ``INTEGER_BOUND``."""
PLAIN_INTEGER = re.compile(rf"-?[0-9]{{1,{MAX_DIGITS}}}").fullmatch
"""Whether a string is an integer in plain digits, within the bounds (lenient ints)."""
DIGITS = "0123456789"
NOTHING_OR_POINT = frozenset(("", "."))
"""What a plain decimal leaves when its digits are stripped from both ends."""
SHORT_PLAIN = MAX_EXPONENT + 1
"""An unsigned plain decimal of at most this many characters is within the bounds."""


def is_plain_decimal(text: str) -> bool:
    """ASCII digits with an optional leading ``-`` and at most one ``.``."""
    unsigned = text[1:] if text[:1] == "-" else text
    return unsigned.strip(DIGITS) in NOTHING_OR_POINT and unsigned not in NOTHING_OR_POINT


def bounded_number(value: Any) -> int | Decimal:
    """``value`` as an int or a finite Decimal within the bounds, else an error.

    The check costs the same for a number of any size: it runs before anything
    (``int(Decimal)``, arithmetic, formatting) whose cost grows with the number.

    Raises:
        ValueError: A number beyond the bounds, or not finite.
        TypeError: Not a number (a bool is not one).
    """
    kind = type(value)
    if kind is int or (isinstance(value, int) and kind is not bool):
        if -INTEGER_BOUND < value < INTEGER_BOUND:
            return int(value)
        raise ValueError(f"integer beyond the bounds (at most {MAX_DIGITS} digits)")
    if kind is float:
        return bounded_decimal(Decimal(repr(value)))
    if isinstance(value, Decimal):
        return bounded_decimal(value)
    raise TypeError(f"expected a number, got {kind.__name__}")


def bounded_decimal(number: Decimal) -> Decimal:
    """``number`` if it is finite and within the bounds, else a ``ValueError``."""
    if not number.is_finite():
        raise ValueError(f"not a finite number: {show(number)}")
    # adjusted() is the exponent of the leading digit, known without listing
    # the digits: it rules out huge exponents before as_tuple() lists them.
    if -MAX_EXPONENT <= number.adjusted() < MAX_EXPONENT + MAX_DIGITS:
        _, digits, exponent = number.as_tuple()
        if len(digits) <= MAX_DIGITS and int(exponent) <= MAX_EXPONENT:
            return number
    raise ValueError(
        f"number beyond the bounds (at most {MAX_DIGITS} digits, an exponent "
        f"within ±{MAX_EXPONENT}): {show(number)}"
    )


# --- writing ---------------------------------------------------------------------------

_WIRE_DIGITS = 40
"""The most digits, either side of the point, a decimal sent to a service may have."""
_CENT = Decimal("0.01")


def plain_decimal(value: Decimal) -> str:
    """``value`` in plain notation (``100``, ``0.00001``), never exponent notation.

    ``str(Decimal)`` writes ``1E+2`` for a normalized 100. Every decimal a
    request carries as text is written by this function.

    Raises:
        InvalidRequestError: ``value`` is not finite, or has more than 40
            digits before or after the point (``field`` is left to the caller).
    """
    if not value.is_finite():
        raise InvalidRequestError("must be a finite number", field=None, value=value)
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # finite
    if value.adjusted() >= _WIRE_DIGITS or exponent < -_WIRE_DIGITS:
        raise InvalidRequestError(
            f"may have at most {_WIRE_DIGITS} digits either side of the point",
            field=None,
            value=value,
        )
    return f"{value:f}"


def format_allegro_amount(value: Decimal | int) -> str:
    """An amount as Allegro's ``Price.amount`` takes it: ``"12.30"``.

    Plain notation with exactly two decimals. Allegro refuses more decimals
    (allegro-api #12680: ``50.410000000000004`` is a VALIDATION_ERROR), and each
    currency of its marketplaces (PLN, CZK, EUR, HUF) has two minor-unit digits
    (ISO 4217). A value with more precision is refused, never rounded: rounding
    money is the caller's decision.

    Raises:
        InvalidRequestError: not a Decimal (or int), not finite, too long, or
            more than two decimals (``field`` is left to the caller).
    """
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise InvalidRequestError("an amount must be a Decimal", field=None, value=value)
    amount = Decimal(value)
    plain_decimal(amount)  # refuses what no amount can be before quantize() does work
    try:
        cents = amount.quantize(_CENT, context=Context(prec=2 * _WIRE_DIGITS))
    except InvalidOperation:  # pragma: no cover - plain_decimal bounds the digits
        raise InvalidRequestError("not an amount", field=None, value=value) from None
    if cents != amount:
        raise InvalidRequestError(
            "Allegro takes at most two decimals (round the amount before sending it)",
            field=None,
            value=value,
        )
    return plain_decimal(cents if cents else cents.copy_abs())  # no -0.00


def decimal_to_json_number(value: Decimal) -> int | float:
    """``value`` as the JSON number plentymarkets takes, never rounded.

    Raises:
        InvalidRequestError: No int or float carries ``value`` exactly in plain
            notation (``field`` is left to the caller).
    """
    # json writes only ints and floats: an int in plain digits, a float in its
    # shortest round-trip form, which is plain from 1e-4 up to 1e16 (two-decimal
    # money, status ids like 5.1).
    plain_decimal(value)
    if value == value.to_integral_value():
        return int(value)
    number = float(value)
    text = repr(number)
    if "e" in text or Decimal(text) != value:
        raise InvalidRequestError(
            "cannot be sent as a plain JSON number without rounding", field=None, value=value
        )
    return number
