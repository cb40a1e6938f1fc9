"""The one cattrs converter recipe used for every model.

* attribute ``snake_case`` ↔ JSON ``camelCase``; a field can name its key
  explicitly with ``metadata={"key": "..."}``;
* ``datetime`` is timezone-aware, parsed with dateutil;
* money and other decimals are :class:`decimal.Decimal`;
* :class:`OpenEnum` fields keep values the library does not know yet;
* ``strict=True`` (tests) rejects unknown keys and unknown enum values;
  ``strict=False`` (production) keeps the object and ignores unknown keys.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override
from dateutil.parser import isoparse

__all__ = [
    "OpenEnum",
    "Style",
    "field_path",
    "format_allegro_datetime",
    "format_plenty_datetime",
    "make_converter",
]

T = TypeVar("T")
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


@cache
def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


class Style(enum.Enum):
    """How a service writes decimals and datetimes on the wire."""

    ALLEGRO = "allegro"
    """Decimals as strings; datetimes in UTC as ``YYYY-MM-DDTHH:MM:SS.sssZ``."""
    PLENTY = "plenty"
    """Decimals as JSON numbers; datetimes as W3C with offset."""


def format_allegro_datetime(value: datetime) -> str:
    utc = value.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def format_plenty_datetime(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def make_converter(*, strict: bool = False, style: Style = Style.ALLEGRO) -> cattrs.Converter:
    """Build a converter.

    Args:
        strict: Reject unknown keys and unknown enum values (for tests).
        style: The wire format of decimals and datetimes.
    """
    conv = cattrs.Converter(detailed_validation=True, forbid_extra_keys=strict)

    def structure_datetime(value: Any, _: type) -> datetime:
        if isinstance(value, datetime):
            parsed = value
        elif isinstance(value, str):
            parsed = isoparse(value)
        else:
            raise TypeError(f"expected an ISO 8601 string, got {type(value).__name__}")
        if parsed.tzinfo is None:
            if strict:
                raise ValueError(f"datetime without timezone: {value!r}")
            parsed = parsed.replace(tzinfo=timezone.utc)
        return parsed

    def structure_decimal(value: Any, _: type) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
            raise TypeError(f"expected a decimal number, got {type(value).__name__}")
        try:
            result = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
        except InvalidOperation:
            raise ValueError(f"not a decimal number: {value!r}") from None
        if not result.is_finite():
            raise ValueError(f"not a finite number: {value!r}")
        return result

    def structure_open_enum(value: Any, cls: type[E]) -> E:
        if not isinstance(value, str):
            raise TypeError(f"expected a string for {cls.__name__}, got {type(value).__name__}")
        if strict and value not in cls._value2member_map_:
            raise ValueError(f"unknown {cls.__name__} value {value!r}")
        return cls(value)

    def structure_int(value: Any, _: type) -> int:
        if isinstance(value, bool):
            raise TypeError("expected an integer, got a boolean")
        if isinstance(value, int):
            return value
        if isinstance(value, (Decimal, float)) and value == int(value):
            return int(value)
        if isinstance(value, str) and not strict:
            return int(value)
        raise TypeError(f"expected an integer, got {value!r}")

    def structure_str(value: Any, _: type) -> str:
        if isinstance(value, str):
            return value
        if not strict and isinstance(value, (int, Decimal)) and not isinstance(value, bool):
            return str(value)
        raise TypeError(f"expected a string, got {type(value).__name__}")

    def structure_bool(value: Any, _: type) -> bool:
        if isinstance(value, bool):
            return value
        raise TypeError(f"expected a boolean, got {type(value).__name__}")

    # Exact-type predicates: a class hook would also catch str and int subclasses
    # (OpenEnum is a str).
    conv.register_structure_hook_func(lambda t: t is int, structure_int)
    conv.register_structure_hook_func(lambda t: t is str, structure_str)
    conv.register_structure_hook_func(lambda t: t is bool, structure_bool)
    conv.register_structure_hook(datetime, structure_datetime)
    conv.register_structure_hook(Decimal, structure_decimal)
    # Class hooks dispatch on subclasses too: one registration covers every OpenEnum.
    conv.register_structure_hook(OpenEnum, structure_open_enum)
    conv.register_unstructure_hook(OpenEnum, lambda v: v.value)
    if style is Style.ALLEGRO:
        conv.register_unstructure_hook(datetime, format_allegro_datetime)
        conv.register_unstructure_hook(Decimal, str)
    else:
        conv.register_unstructure_hook(datetime, format_plenty_datetime)
        conv.register_unstructure_hook(Decimal, _decimal_to_json_number)

    def renames(cls: type) -> dict[str, Any]:
        return {
            a.name: override(
                rename=a.metadata.get("key", _camel(a.name)),
                omit_if_default=a.default is None,
            )
            for a in attrs.fields(cls)
        }

    def structure_factory(cls: type) -> Callable[[Any, type], Any]:
        return make_dict_structure_fn(cls, conv, _cattrs_forbid_extra_keys=strict, **renames(cls))

    def unstructure_factory(cls: type) -> Callable[[Any], Any]:
        return make_dict_unstructure_fn(cls, conv, **renames(cls))

    conv.register_structure_hook_factory(attrs.has, structure_factory)
    conv.register_unstructure_hook_factory(attrs.has, unstructure_factory)
    return conv


def _decimal_to_json_number(value: Decimal) -> int | float:
    # plentymarkets wants JSON numbers. Two-decimal money and status ids like
    # 5.1 survive float conversion exactly (the shortest repr round-trips).
    if value == value.to_integral_value():
        return int(value)
    return float(value)


_INDEX = re.compile(r"\[(\d+)\]")


def field_path(exc: BaseException) -> str | None:
    """The JSON path of the first failure inside a cattrs validation error.

    Returns paths like ``lineItems[0].price.amount`` (attribute names are
    reported as the JSON keys) or ``None`` when the error carries no path.
    """
    messages = cattrs.transform_error(exc) if isinstance(exc, Exception) else []
    for message in messages:
        _, sep, path = message.rpartition(" @ ")
        if sep:
            path = path.removeprefix("$").removeprefix(".")
            return ".".join(_camel(part) for part in path.split(".")) if path else None
    return None
