"""Leaf values: how each is read (both passes share these hooks) and written.

A hook takes what ``json.loads`` returns (with decimals as ``Decimal``) and
either returns the value or raises; the fast pass and the detailed pass call
the same hooks, which is most of why they agree.
"""

from __future__ import annotations

import enum
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, TypeVar

import cattrs

from .datetimes import format_allegro_datetime, format_plenty_datetime, parse_iso_datetime
from .messages import show
from .numbers import (
    PLAIN_INTEGER,
    bounded_decimal,
    bounded_number,
    decimal_to_json_number,
    format_allegro_amount,
    is_plain_decimal,
)

E = TypeVar("E", bound="OpenEnum")


class OpenEnum(str, enum.Enum):
    """A string enum that can hold values added to the API after this release.

    Unknown values become pseudo-members (``is_known`` is ``False``) that compare
    equal to their string, so production code never breaks on a new status.
    A strict converter refuses them.
    """

    @classmethod
    def _missing_(cls, value: object) -> OpenEnum | None:
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = value
        member._value_ = value
        return member

    @property
    def is_known(self) -> bool:
        """Whether this value is one the library was written against."""
        return self._value_ in type(self)._value2member_map_

    def __str__(self) -> str:
        return str(self._value_)


class Style(enum.Enum):
    """How a service writes decimals and datetimes on the wire."""

    ALLEGRO = "allegro"
    """Decimals as strings; datetimes in UTC as ``YYYY-MM-DDTHH:MM:SS.sssZ``."""
    PLENTY = "plenty"
    """Decimals as JSON numbers; datetimes as W3C with offset."""


class ScalarHooks:
    """The structure hooks of leaf values, strict (tests) or lenient (production).

    Strict refuses what lenient lets through: a naive datetime (lenient reads
    it as UTC), an unknown enum value (lenient keeps it), an integer written as
    a string and a number where a string belongs (lenient converts them).
    """

    def __init__(self, *, strict: bool) -> None:
        self.strict = strict

    def structure_int(self, value: Any, _: type) -> int:
        """An int within the bounds; an integral decimal is taken too."""
        if isinstance(value, str):
            if not self.strict and PLAIN_INTEGER(value) is not None:
                return int(value)
            raise TypeError(f"expected an integer, got {show(value)}")
        number = bounded_number(value)
        if isinstance(number, int):
            return number
        if number == number.to_integral_value():
            return int(number)
        raise ValueError(f"expected an integer, got {show(number)}")

    def structure_str(self, value: Any, _: type) -> str:
        """A string as it is (never ``str()`` of any object, as cattrs would do)."""
        if isinstance(value, str):
            return value
        if not self.strict and isinstance(value, (int, Decimal)) and not isinstance(value, bool):
            return str(bounded_number(value))
        raise TypeError(f"expected a string, got {type(value).__name__}")

    def structure_bool(self, value: Any, _: type) -> bool:
        """A JSON boolean only (never ``bool()`` of any object)."""
        if isinstance(value, bool):
            return value
        raise TypeError(f"expected a boolean, got {type(value).__name__}")

    def structure_decimal(self, value: Any, _: type) -> Decimal:
        """A number, or a string in plain notation, within the bounds."""
        if type(value) is str:
            if is_plain_decimal(value):
                return bounded_decimal(Decimal(value))
            raise ValueError(f"not a decimal number in plain notation: {show(value)}")
        number = bounded_number(value)
        return number if type(number) is Decimal else Decimal(number)

    def structure_datetime(self, value: Any, _: type) -> datetime:
        """An aware datetime from ISO 8601 text."""
        if type(value) is str:
            parsed = parse_iso_datetime(value)
        elif isinstance(value, datetime):
            parsed = value
        else:
            raise TypeError(f"expected an ISO 8601 string, got {type(value).__name__}")
        if parsed.tzinfo is None:
            if self.strict:
                raise ValueError(f"datetime without timezone: {show(value)}")
            parsed = parsed.replace(tzinfo=timezone.utc)
        return parsed

    def structure_open_enum(self, value: Any, cls: type[E]) -> E:
        """A member of ``cls``; when lenient, a pseudo-member for a new value."""
        if not isinstance(value, str):
            raise TypeError(f"expected a string for {cls.__name__}, got {type(value).__name__}")
        if self.strict and value not in cls._value2member_map_:
            raise ValueError(f"unknown {cls.__name__} value {show(value)}")
        return cls(value)


def register_scalars(conv: cattrs.Converter, *, strict: bool, style: Style) -> None:
    """Register on ``conv`` how leaf values are read, and written in ``style``."""
    hooks = ScalarHooks(strict=strict)
    # Class hooks: cattrs resolves int, str and bool before any predicate hook,
    # so predicates would never run. Subclasses registered below (OpenEnum is a
    # str) are more specific and keep their own hooks.
    conv.register_structure_hook(int, hooks.structure_int)
    conv.register_structure_hook(str, hooks.structure_str)
    conv.register_structure_hook(bool, hooks.structure_bool)
    conv.register_structure_hook(datetime, hooks.structure_datetime)
    conv.register_structure_hook(Decimal, hooks.structure_decimal)
    # Class hooks dispatch on subclasses too: one registration covers every OpenEnum.
    conv.register_structure_hook(OpenEnum, hooks.structure_open_enum)
    conv.register_unstructure_hook(OpenEnum, _enum_value)
    if style is Style.ALLEGRO:
        conv.register_unstructure_hook(datetime, format_allegro_datetime)
        conv.register_unstructure_hook(Decimal, format_allegro_amount)
    else:
        conv.register_unstructure_hook(datetime, format_plenty_datetime)
        conv.register_unstructure_hook(Decimal, decimal_to_json_number)


def _enum_value(member: OpenEnum) -> str:
    value: str = member.value
    return value
