"""What the Allegro models share: wire names and checks of request fields."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import attrs

from ..._convert import OpenEnum
from ...errors import InvalidRequestError
from .._request_checks import wire_name

__all__ = [
    "Validator",
    "as_member",
    "key",
    "max_length",
]


E = TypeVar("E", bound=OpenEnum)


def key(name: str) -> dict[str, str]:
    """Field metadata naming the field on the wire where camelCase of its name is not it."""
    return {"key": name}


def as_member(cls: type[E], value: E | str) -> E:
    """The member of ``cls`` whose value is ``value``; anything else as given."""
    # Request fields take a member or its exact string value; the string becomes
    # the member. Anything else is kept as given and refused, naming the field,
    # when the request is built (this model may also be part of an answer, which
    # keeps values Allegro adds after this release).
    if type(value) is str:
        return cast(E, cls._value2member_map_.get(value, value))
    return cast(E, value)


Validator = Callable[[object, "attrs.Attribute[Any]", Any], None]
"""An attrs field validator."""


def max_length(limit: int) -> Validator:
    """A validator refusing text longer than ``limit`` with InvalidRequestError."""

    def check(_: object, attribute: attrs.Attribute[Any], value: str | None) -> None:
        if value is not None and len(value) > limit:
            raise InvalidRequestError(
                f"may have at most {limit} characters, not {len(value)}",
                field=wire_name(attribute),
                value=value,
            )

    return check
