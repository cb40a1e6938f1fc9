"""What Allegro would refuse in a request, checked while the request is built.

Each check raises :class:`~allegro_plenty.errors.InvalidRequestError` naming
the field as it goes on the wire (a JSON path or a query parameter), so a
request Allegro would refuse is never sent, and a bad value never crashes the
converter half-way through a body.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from decimal import Decimal
from types import UnionType
from typing import Any, TypeVar, Union, cast, get_args, get_origin

import attrs

from .._convert import OpenEnum, _camel, format_allegro_amount
from ..errors import InvalidRequestError

__all__ = ["aware", "check_body", "known", "non_empty", "uuid_text", "wire_name"]

E = TypeVar("E", bound=OpenEnum)


def wire_name(attribute: attrs.Attribute[Any]) -> str:
    """A model attribute's name on the wire: its explicit key, or its camelCase name."""
    return str(attribute.metadata.get("key", _camel(attribute.name)))


def known(cls: type[E], value: object, field: str, allowed: Collection[E] | None = None) -> E:
    """``value`` as a member of ``cls``: a member, or exactly its string value.

    Refused: another spelling, a value this release does not know (an
    :class:`~allegro_plenty.OpenEnum` pseudo-member), a member of another enum,
    and a member outside ``allowed``.
    """
    found: E | None = None
    if isinstance(value, cls):
        found = value if value.is_known else None
    elif type(value) is str:
        found = cast("E | None", cls._value2member_map_.get(value))
    if found is None or (allowed is not None and found not in allowed):
        choices = ", ".join(str(choice) for choice in (allowed if allowed is not None else cls))
        raise InvalidRequestError(f"must be one of {choices}", field=field, value=value)
    return found


def non_empty(value: object, field: str) -> str:
    """A string with more than white space in it (an empty id would change the path)."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequestError("must be a non-empty string", field=field, value=value)
    return value


def uuid_text(value: object, field: str) -> str:
    """A UUID in its canonical form (lower case, with hyphens)."""
    try:
        return str(uuid.UUID(cast(str, value)))
    except (TypeError, ValueError, AttributeError):
        raise InvalidRequestError("must be a UUID", field=field, value=value) from None


def aware(value: datetime | None, field: str) -> datetime | None:
    """A timezone-aware datetime: a naive one would be read in the machine's local time."""
    if value is not None and (not isinstance(value, datetime) or value.utcoffset() is None):
        raise InvalidRequestError("must be a timezone-aware datetime", field=field, value=value)
    return value


def check_body(value: object, declared: Any, path: str = "") -> None:
    """Refuse what Allegro would refuse in a request body, naming its JSON path.

    Walks ``value`` by its declared types: an enum field must hold a known
    member (see :func:`known`), an amount at most two decimals (see
    :func:`~allegro_plenty._convert.format_allegro_amount`), a model field an
    instance of that model, a number an ``int`` and a text a ``str``. ``None``
    is refused only where the field is required.
    """
    options = _options(declared)
    if value is None:
        if type(None) not in options:
            raise InvalidRequestError("is required", field=path, value=value)
        return
    (kind,) = [option for option in options if option is not type(None)]
    if isinstance(kind, type) and issubclass(kind, OpenEnum):
        known(kind, value, path)
    elif kind is Decimal:
        try:
            format_allegro_amount(cast(Decimal, value))
        except InvalidRequestError as exc:
            raise exc.at(path) from None
    elif attrs.has(kind):
        if not isinstance(value, kind):
            raise InvalidRequestError(f"must be a {kind.__name__}", field=path, value=value)
        for attribute in attrs.fields(attrs.resolve_types(kind)):
            name = wire_name(attribute)
            check_body(getattr(value, attribute.name), attribute.type, _join(path, name))
    elif get_origin(kind) is tuple:
        if not isinstance(value, tuple | list):
            raise InvalidRequestError("must be a list", field=path, value=value)
        for index, item in enumerate(value):
            check_body(item, get_args(kind)[0], f"{path}[{index}]")
    elif kind in (int, str, bool) and not (type(value) is kind or _is_str(kind, value)):
        raise InvalidRequestError(f"must be of type {kind.__name__}", field=path, value=value)


def _is_str(kind: Any, value: object) -> bool:
    # A str field takes str subclasses (an OpenEnum member); bool is an int
    # subclass that must not pass for a quantity.
    return kind is str and isinstance(value, str)


def _options(declared: Any) -> tuple[Any, ...]:
    if get_origin(declared) in (Union, UnionType):
        return get_args(declared)
    return (declared,)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
