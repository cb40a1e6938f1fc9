"""The one cattrs converter recipe used for every model.

* attribute ``snake_case`` ↔ JSON ``camelCase``; a field can name its key
  explicitly with ``metadata={"key": "..."}``;
* ``datetime`` is timezone-aware, parsed with dateutil;
* money and other decimals are :class:`decimal.Decimal`;
* :class:`OpenEnum` fields keep values the library does not know yet;
* ``strict=True`` (tests) rejects unknown keys and unknown enum values;
  ``strict=False`` (production) keeps the object and ignores unknown keys;
* every number is bounded, and decimal strings are in plain notation
  (:mod:`.numbers`); JSON text is read with bounded work by :func:`loads`.

A converter structures in two passes. The fast pass (:mod:`.fast`, one
generated function per model) only accepts or refuses; only when it refuses
does the detailed pass (:mod:`.detailed`, cattrs' validating code) run again to
say where and why, which :func:`describe` reads. Both call the same leaf hooks
(:mod:`.scalars`). Why the fast pass exists and how the tests hold the two to
the same answers is told in :mod:`.fast`.

The parts, each importing only those above it:

* :mod:`.fields`: JSON keys of model fields, shapes of types;
* :mod:`.messages`: short reasons and JSON paths of failures;
* :mod:`.numbers`: number bounds, plain decimals, money formatting;
* :mod:`.datetimes`: each service's datetime form, the ISO 8601 reader;
* :mod:`.json_text`: bounded ``loads``, too-deep detection;
* :mod:`.scalars`: :class:`OpenEnum`, :class:`Style`, the leaf hooks;
* :mod:`.fast` and :mod:`.detailed`: the two passes;
* this module: :func:`make_converter` puts them together; :func:`parse_model`.
"""

from __future__ import annotations

from functools import cache, partial
from typing import Any, TypeVar, get_origin

import attrs
import cattrs
from cattrs.gen import make_dict_unstructure_fn

from ..errors import ModelValidationError
from .datetimes import format_allegro_datetime, format_plenty_datetime
from .detailed import TwoPassConverter, register_detailed_pass
from .fast import fast_source, register_fast_pass
from .fields import camel, renames
from .json_text import JSONTooDeepError, loads
from .messages import describe, field_path, reason
from .numbers import MAX_DIGITS, MAX_EXPONENT, format_allegro_amount, plain_decimal
from .scalars import OpenEnum, Style, register_scalars

__all__ = [
    "MAX_DIGITS",
    "MAX_EXPONENT",
    "JSONTooDeepError",
    "OpenEnum",
    "Style",
    "describe",
    "fast_source",
    "field_path",
    "format_allegro_amount",
    "format_allegro_datetime",
    "format_plenty_datetime",
    "loads",
    "make_converter",
    "parse_model",
    "plain_decimal",
]

T = TypeVar("T")

_camel = camel  # the name allegro/_request_checks.py imports


def make_converter(*, strict: bool = False, style: Style = Style.ALLEGRO) -> cattrs.Converter:
    """Build a converter.

    Args:
        strict: Reject unknown keys and unknown enum values (for tests).
        style: The wire format of decimals and datetimes.
    """
    fast = cattrs.Converter(detailed_validation=False, forbid_extra_keys=strict)
    _register_common(fast, strict=strict, style=style)
    register_fast_pass(fast, strict=strict)
    converter = TwoPassConverter(fast, strict=strict)
    _register_common(converter, strict=strict, style=style)
    register_detailed_pass(converter, strict=strict)
    return converter


def _register_common(conv: cattrs.Converter, *, strict: bool, style: Style) -> None:
    register_scalars(conv, strict=strict, style=style)
    conv.register_unstructure_hook_factory(attrs.has, partial(_unstructure_hook, conv))


def _unstructure_hook(conv: cattrs.Converter, cls: type) -> Any:
    # Models are written under their JSON keys, with fields that are None left out.
    return make_dict_unstructure_fn(cls, conv, **renames(cls))


# --- the public parser -----------------------------------------------------------------


@cache
def _shared_converter(strict: bool) -> cattrs.Converter:
    return make_converter(strict=strict)


def parse_model(model: type[T], data: Any, *, strict: bool = False) -> T:
    """Read stored JSON (from a queue, a webhook, an archive) into a model class.

    Args:
        model: An attrs model class, such as
            :class:`~allegro_plenty.allegro.models.CheckoutForm` or
            :class:`~allegro_plenty.plenty.models.Order`.
        data: JSON text (``str`` or ``bytes``), or data as :func:`json.loads`
            returns it (a ``dict`` for a model).
        strict: Refuse unknown keys and unknown enum values, as tests do.

    Raises:
        ModelValidationError: The data is not JSON or does not fit ``model``;
            ``field_path`` says where (``lineItems[0].price.amount``).
    """
    if isinstance(data, str | bytes | bytearray):
        try:
            data = loads(data)
        except JSONTooDeepError as exc:
            path = exc.field_path
            raise ModelValidationError(_name(model), str(exc), field_path=path) from None
        except ValueError as exc:
            raise ModelValidationError(_name(model), f"not JSON: {reason(exc)}") from None
    try:
        structured: T = _shared_converter(strict).structure(data, model)
    except Exception as exc:
        reason_, path = describe(exc)
        raise ModelValidationError(_name(model), reason_, field_path=path) from None
    return structured


def _name(model: Any) -> str:
    return str(getattr(get_origin(model) or model, "__name__", model))
