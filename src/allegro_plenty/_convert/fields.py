"""Model fields as both passes see them: JSON keys and the shapes of types."""

from __future__ import annotations

from functools import cache
from types import UnionType
from typing import Any, Union, get_args, get_origin

import attrs
from cattrs.gen import override


@cache
def camel(name: str) -> str:
    """``line_items`` → ``lineItems``."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def json_key(field: attrs.Attribute[Any]) -> str:
    """The JSON key of a field: ``metadata={"key": ...}``, else its name in camelCase."""
    key: str = field.metadata.get("key", camel(field.name))
    return key


def json_key_of(cl: Any, name: str) -> str:
    """The JSON key of the attribute ``name`` of ``cl`` (``Page[Order]`` names Page's)."""
    cls = get_origin(cl) or cl
    if attrs.has(cls):
        for field in attrs.fields(cls):
            if field.name == name:
                return json_key(field)
    return camel(name)


def renames(cls: type) -> dict[str, Any]:
    """cattrs overrides for ``cls``: each field under its JSON key, ``None`` left out."""
    return {
        field.name: override(rename=json_key(field), omit_if_default=field.default is None)
        for field in attrs.fields(cls)
    }


def is_optional(cls: Any) -> bool:
    """``X | None`` (or ``Optional[X]``) for a single ``X``."""
    args = get_args(cls)
    return get_origin(cls) in (Union, UnionType) and len(args) == 2 and type(None) in args


def non_none(optional: Any) -> Any:
    """``X`` of ``X | None``."""
    return next(arg for arg in get_args(optional) if arg is not type(None))


def is_homogeneous_tuple(cls: Any) -> bool:
    """``tuple[X, ...]``: how models spell a JSON array."""
    args = get_args(cls)
    return get_origin(cls) is tuple and len(args) == 2 and args[1] is Ellipsis
