"""The one cattrs converter recipe used for every model.

* attribute ``snake_case`` ↔ JSON ``camelCase``; a field can name its key
  explicitly with ``metadata={"key": "..."}``;
* ``datetime`` is timezone-aware, parsed with dateutil;
* money and other decimals are :class:`decimal.Decimal`;
* :class:`OpenEnum` fields keep values the library does not know yet;
* ``strict=True`` (tests) rejects unknown keys and unknown enum values;
  ``strict=False`` (production) keeps the object and ignores unknown keys.

Every number is bounded, because the work done with a number grows with its
size and a server's ten bytes (``1e10000000``) would otherwise hold the GIL for
minutes: at most 40 digits and an exponent within ±30 (:data:`MAX_EXPONENT`;
plentymarkets is PHP and may write ``1.0e-5``). A decimal given as a string is
in plain notation (ASCII digits, an optional ``-`` and one ``.``) and within the
same bounds. JSON text is read by :func:`loads`, which also turns nesting too
deep for the parser into a ``ValueError`` naming where it is.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Callable
from datetime import datetime, timezone
from decimal import Context, Decimal, InvalidOperation
from functools import cache
from types import UnionType
from typing import Any, TypeVar, Union, get_args, get_origin

import attrs
import cattrs
from cattrs.errors import (
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override
from dateutil.parser import isoparse

from .errors import InvalidRequestError, ModelValidationError

__all__ = [
    "MAX_DIGITS",
    "MAX_EXPONENT",
    "JSONTooDeepError",
    "OpenEnum",
    "Style",
    "describe",
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
C = TypeVar("C", bound=cattrs.Converter)
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
    """``YYYY-MM-DDTHH:MM:SS.sssZ`` in UTC, the only form Allegro reliably accepts."""
    utc = value.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def format_plenty_datetime(value: datetime) -> str:
    """W3C datetime with its offset, to the second (plentymarkets' form)."""
    return value.isoformat(timespec="seconds")


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


class _TwoPassConverter(cattrs.Converter):
    """Structures on a fast path; only input that fails pays for detailed validation.

    cattrs' detailed validation (which yields the field path of an error) costs
    on every field. Nearly all input is valid, so it runs only to explain a
    failure of the fast pass.
    """

    def __init__(self, fast: cattrs.Converter, *, strict: bool) -> None:
        super().__init__(detailed_validation=True, forbid_extra_keys=strict)
        self._fast = fast

    def structure(self, obj: Any, cl: Any) -> Any:
        try:
            return self._fast.structure(obj, cl)
        except Exception:
            return super().structure(obj, cl)


MAX_DIGITS = 40
"""The most significant digits a number may have."""
MAX_EXPONENT = 30
"""How far a number's exponent may reach either way: ``1e30`` and ``1e-30`` are
read, ``1e31`` and ``1e-31`` are not. Below 1 it is the exponent of the leading
digit, so PHP's float residues (``1.1102230246251565e-16``) are read."""
_INTEGER_BOUND = 10**MAX_DIGITS
_PLAIN_INTEGER = re.compile(rf"-?[0-9]{{1,{MAX_DIGITS}}}").fullmatch
_DIGITS = "0123456789"
_NOTHING_OR_POINT = frozenset(("", "."))
"""What a plain decimal leaves when its digits are stripped from both ends."""
_SHORT_PLAIN = MAX_EXPONENT + 1
"""An unsigned plain decimal of at most this many characters is within the bounds."""


def _is_plain_decimal(text: str) -> bool:
    """ASCII digits with an optional leading ``-`` and at most one ``.``."""
    unsigned = text[1:] if text[:1] == "-" else text
    return unsigned.strip(_DIGITS) in _NOTHING_OR_POINT and unsigned not in _NOTHING_OR_POINT


def _bounded_number(value: Any) -> int | Decimal:
    """``value`` as an int or a finite Decimal within the bounds, else an error.

    The check costs the same for a number of any size: it runs before anything
    (``int(Decimal)``, arithmetic, formatting) whose cost grows with the number.
    """
    kind = type(value)
    if kind is int or (isinstance(value, int) and kind is not bool):
        if -_INTEGER_BOUND < value < _INTEGER_BOUND:
            return int(value)
        raise ValueError(f"integer beyond the bounds (at most {MAX_DIGITS} digits)")
    if kind is float:
        return _bounded_decimal(Decimal(repr(value)))
    if isinstance(value, Decimal):
        return _bounded_decimal(value)
    raise TypeError(f"expected a number, got {kind.__name__}")


def _bounded_decimal(number: Decimal) -> Decimal:
    if not number.is_finite():
        raise ValueError(f"not a finite number: {_show(number)}")
    # adjusted() is the exponent of the leading digit, known without listing
    # the digits: it rules out huge exponents before as_tuple() lists them.
    if -MAX_EXPONENT <= number.adjusted() < MAX_EXPONENT + MAX_DIGITS:
        _, digits, exponent = number.as_tuple()
        if len(digits) <= MAX_DIGITS and int(exponent) <= MAX_EXPONENT:
            return number
    raise ValueError(
        f"number beyond the bounds (at most {MAX_DIGITS} digits, an exponent "
        f"within ±{MAX_EXPONENT}): {_show(number)}"
    )


def _show(value: object) -> str:
    """A short repr for messages: a hostile value can be megabytes long."""
    text = repr(value)
    return text if len(text) <= 40 else text[:36] + "...'"


def make_converter(*, strict: bool = False, style: Style = Style.ALLEGRO) -> cattrs.Converter:
    """Build a converter.

    Args:
        strict: Reject unknown keys and unknown enum values (for tests).
        style: The wire format of decimals and datetimes.
    """
    fast = _configure(
        cattrs.Converter(detailed_validation=False, forbid_extra_keys=strict), strict, style
    )
    return _configure(_TwoPassConverter(fast, strict=strict), strict, style)


def _configure(conv: C, strict: bool, style: Style) -> C:

    def structure_datetime(value: Any, _: type) -> datetime:
        if type(value) is str:
            parsed = _parse_iso_datetime(value)
        elif isinstance(value, datetime):
            parsed = value
        else:
            raise TypeError(f"expected an ISO 8601 string, got {type(value).__name__}")
        if parsed.tzinfo is None:
            if strict:
                raise ValueError(f"datetime without timezone: {_show(value)}")
            parsed = parsed.replace(tzinfo=timezone.utc)
        return parsed

    def structure_decimal(value: Any, _: type) -> Decimal:
        if type(value) is str:
            if _is_plain_decimal(value):
                return _bounded_decimal(Decimal(value))
            raise ValueError(f"not a decimal number in plain notation: {_show(value)}")
        number = _bounded_number(value)
        return number if type(number) is Decimal else Decimal(number)

    def structure_open_enum(value: Any, cls: type[E]) -> E:
        if not isinstance(value, str):
            raise TypeError(f"expected a string for {cls.__name__}, got {type(value).__name__}")
        if strict and value not in cls._value2member_map_:
            raise ValueError(f"unknown {cls.__name__} value {_show(value)}")
        return cls(value)

    def structure_int(value: Any, _: type) -> int:
        if isinstance(value, str):
            if not strict and _PLAIN_INTEGER(value) is not None:
                return int(value)
            raise TypeError(f"expected an integer, got {_show(value)}")
        number = _bounded_number(value)
        if isinstance(number, int):
            return number
        if number == number.to_integral_value():
            return int(number)
        raise ValueError(f"expected an integer, got {_show(number)}")

    def structure_str(value: Any, _: type) -> str:
        if isinstance(value, str):
            return value
        if not strict and isinstance(value, (int, Decimal)) and not isinstance(value, bool):
            return str(_bounded_number(value))
        raise TypeError(f"expected a string, got {type(value).__name__}")

    def structure_bool(value: Any, _: type) -> bool:
        if isinstance(value, bool):
            return value
        raise TypeError(f"expected a boolean, got {type(value).__name__}")

    # Class hooks: cattrs resolves int, str and bool before any predicate hook,
    # so predicates would never run. Subclasses registered below (OpenEnum is a
    # str) are more specific and keep their own hooks.
    conv.register_structure_hook(int, structure_int)
    conv.register_structure_hook(str, structure_str)
    conv.register_structure_hook(bool, structure_bool)
    conv.register_structure_hook(datetime, structure_datetime)
    conv.register_structure_hook(Decimal, structure_decimal)
    # Class hooks dispatch on subclasses too: one registration covers every OpenEnum.
    conv.register_structure_hook(OpenEnum, structure_open_enum)
    conv.register_unstructure_hook(OpenEnum, lambda v: v.value)
    if style is Style.ALLEGRO:
        conv.register_unstructure_hook(datetime, format_allegro_datetime)
        conv.register_unstructure_hook(Decimal, format_allegro_amount)
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
        if not conv.detailed_validation:
            return _fast_structure_fn(cls, conv, strict=strict)
        generated: Callable[[Any, type], Any] = make_dict_structure_fn(
            cls, conv, _cattrs_forbid_extra_keys=strict, **renames(cls)
        )

        def structure_object(value: Any, _: type) -> Any:
            # cattrs' generated code tests keys with ``in``: a string would pass
            # as an object whose fields are all optional.
            if type(value) is not dict:
                raise TypeError(f"expected a JSON object, got {type(value).__name__}")
            return generated(value, cls)

        return structure_object

    def unstructure_factory(cls: type) -> Callable[[Any], Any]:
        return make_dict_unstructure_fn(cls, conv, **renames(cls))

    def tuple_factory(cls: type) -> Callable[[Any, type], Any]:
        # cattrs turns any iterable into a tuple: a string into its characters,
        # an object into its keys. A JSON array is the only valid input.
        item_type = get_args(cls)[0]
        item_hook = conv.get_structure_hook(item_type)

        if not conv.detailed_validation:
            # The fast pass only has to fail; the detailed pass explains.
            def structure_tuple_fast(value: Any, _: type) -> tuple[Any, ...]:
                if type(value) is not list and not isinstance(value, list | tuple):
                    raise TypeError(f"expected a list, got {type(value).__name__}")
                return tuple([item_hook(item, item_type) for item in value])

            return structure_tuple_fast

        def structure_tuple(value: Any, _: type) -> tuple[Any, ...]:
            if not isinstance(value, list | tuple):
                raise TypeError(f"expected a list, got {type(value).__name__}")
            items, errors = [], []
            for index, item in enumerate(value):
                try:
                    items.append(item_hook(item, item_type))
                except Exception as exc:  # noqa: PERF203 - report every bad item, as cattrs does
                    # The note carries the index into cattrs' error paths
                    # (``lineItems[1].price``); Python 3.10 lacks add_note().
                    note = IterableValidationNote(f"@ index {index}", index, item_type)
                    notes = [*getattr(exc, "__notes__", []), note]
                    setattr(exc, "__notes__", notes)  # noqa: B010 - typed only from 3.11
                    errors.append(exc)
            if errors:
                raise IterableValidationError(f"While structuring {cls!r}", errors, cls)
            return tuple(items)

        return structure_tuple

    conv.register_structure_hook_factory(_is_homogeneous_tuple, tuple_factory)
    conv.register_structure_hook_factory(attrs.has, structure_factory)
    conv.register_unstructure_hook_factory(attrs.has, unstructure_factory)
    return conv


def _parse_iso_datetime(value: str) -> datetime:
    # The stdlib parser is several times faster than dateutil's and reads every
    # form Allegro and plentymarkets send; Python 3.10's cannot read a trailing
    # "Z", and dateutil stays the fallback for rarer ISO 8601 spellings.
    try:
        return datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)
    except ValueError:
        return isoparse(value)


_PRIMITIVES = (str, int, bool)


def _fast_structure_fn(cls: type, conv: cattrs.Converter, *, strict: bool) -> Callable[..., Any]:
    """A structure function for the fast pass of :class:`_TwoPassConverter`.

    Like cattrs' generated functions, but a ``str``, ``int`` (within bounds)
    or ``bool`` value of exactly that type, or a short plain decimal string, is
    taken inline instead of through its hook: a form has dozens of them, and
    the call is most of their cost.
    Any other value still goes through the converter's hook, so what is
    accepted or refused is the same as in the detailed pass (the tests check
    that they agree).
    """
    attrs.resolve_types(cls)
    namespace: dict[str, Any] = {
        "_cls": cls,
        "_low": -_INTEGER_BOUND,
        "_high": _INTEGER_BOUND,
        "_plain_rest": _NOTHING_OR_POINT,
        "_Decimal": Decimal,
    }
    body = ["  if type(o) is not dict:", "    raise TypeError('expected a JSON object')"]
    keys = []
    positional: list[str] = []
    keyword: list[str] = []
    for index, field in enumerate(attrs.fields(cls)):
        if not field.init:
            continue
        key = field.metadata.get("key", _camel(field.name))
        keys.append(key)
        var, hook, kind = f"v{index}", f"_h{index}", f"_t{index}"
        optional = _is_optional(field.type)
        inner = (
            next(a for a in get_args(field.type) if a is not type(None)) if optional else field.type
        )
        namespace[kind] = inner
        namespace[hook] = conv.get_structure_hook(inner)
        checks = [f"{var} is not None"] if optional else []
        if inner is int:
            # An int is taken inline only within the bounds the hook enforces.
            checks.append(f"(type({var}) is not int or not _low < {var} < _high)")
        elif inner in _PRIMITIVES:
            checks.append(f"type({var}) is not {inner.__name__}")
        convert = [f"{var} = {hook}({var}, {kind})"]
        if inner is Decimal:
            # A short unsigned plain decimal, which the hook would take as it
            # is (or refuse, as Decimal() does "." and ""); the rest goes to it.
            plain = (
                f"type({var}) is str and len({var}) <= {_SHORT_PLAIN}"
                f" and {var}.strip({_DIGITS!r}) in _plain_rest"
            )
            convert = [f"if {plain}:", f"  {var} = _Decimal({var})", "else:", "  " + convert[0]]
        if checks:
            convert = [f"if {' and '.join(checks)}:", *("  " + line for line in convert)]
        convert = ["  " + line for line in convert]
        if field.default is attrs.NOTHING:
            body += [f"  {var} = o[{key!r}]", *convert]
        elif field.default is None and not keyword:
            body += [f"  {var} = o.get({key!r})", *convert]
        else:
            # A field with a real default: passed only when present, by keyword.
            body += [f"  if {key!r} in o:", f"    {var} = o[{key!r}]"]
            body += ["  " + line for line in convert]
            body.append(f"    _kw[{field.alias!r}] = {var}")
            keyword.append(field.alias)
            continue
        if keyword:
            body.append(f"  _kw[{field.alias!r}] = {var}")
        else:
            positional.append(var)
    if strict:
        namespace["_keys"] = frozenset(keys)
        body[2:2] = [
            "  if not _keys.issuperset(o):",
            "    raise ValueError(f'unknown keys: {sorted(set(o) - _keys)}')",
        ]
    if keyword:
        body.insert(2, "  _kw = {}")
        call = f"  return _cls({', '.join([*positional, '**_kw'])})"
    else:
        call = f"  return _cls({', '.join(positional)})"
    source = "\n".join([f"def structure_{cls.__name__}(o, _=None):", *body, call])
    exec(compile(source, f"<fast structure {cls.__qualname__}>", "exec"), namespace)  # noqa: S102
    function: Callable[..., Any] = namespace[f"structure_{cls.__name__}"]
    return function


def _non_none(optional: Any) -> Any:
    return next(arg for arg in get_args(optional) if arg is not type(None))


def _is_optional(cls: Any) -> bool:
    args = get_args(cls)
    return get_origin(cls) in (Union, UnionType) and len(args) == 2 and type(None) in args


def _is_homogeneous_tuple(cls: Any) -> bool:
    args = get_args(cls)
    return get_origin(cls) is tuple and len(args) == 2 and args[1] is Ellipsis


def _decimal_to_json_number(value: Decimal) -> int | float:
    # plentymarkets wants JSON numbers, and json writes only ints and floats:
    # an int in plain digits, a float in its shortest round-trip form, which is
    # plain from 1e-4 up to 1e16 (two-decimal money, status ids like 5.1). A
    # value neither can carry exactly in plain notation is refused, not rounded.
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


def describe(exc: BaseException) -> tuple[str, str | None]:
    """What the first failure inside a cattrs validation error is, and where.

    Returns the reason (without the value when it could be long) and the JSON
    path, like ``lineItems[0].price.amount``: attribute names are reported as
    their JSON keys, in the path as in the reason. The path is ``None`` when
    the failure is the document itself.
    """
    steps: list[str | int] = []
    while True:
        if isinstance(exc, ClassValidationError | IterableValidationError):
            with_notes, without = exc.group_exceptions()
            if with_notes:
                inner, note = with_notes[0]
                if isinstance(note, IterableValidationNote):
                    steps.append(note.index)
                else:
                    steps.append(_json_key(exc.cl, note.name))
                exc = inner
                continue
            if without:
                exc = without[0]
                continue
        break
    return _reason(exc), _render(steps)


def field_path(exc: BaseException) -> str | None:
    """The JSON path of the first failure inside a cattrs validation error."""
    return describe(exc)[1]


def _json_key(cl: Any, name: str) -> str:
    cls = get_origin(cl) or cl  # Page[Order] names Page's fields
    if attrs.has(cls):
        for field in attrs.fields(cls):
            if field.name == name:
                key: str = field.metadata.get("key", _camel(name))
                return key
    return _camel(name)


def _render(steps: list[str | int]) -> str | None:
    path = "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in steps)
    return path.removeprefix(".") or None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, KeyError):
        return "required field missing"
    if isinstance(exc, ForbiddenExtraKeysError):
        keys = ", ".join(_show(k) for k in sorted(exc.extra_fields)[:5])
        return f"unknown keys: {keys}" + (", ..." if len(exc.extra_fields) > 5 else "")
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


# --- JSON text ------------------------------------------------------------------------

_DEEPEST = 32
"""Nesting beyond this is reported as too deep (no model nests half as deep)."""
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*(?:"(\s*:)?|\\?\Z)|[\[\]{},]', re.DOTALL)


class JSONTooDeepError(ValueError):
    """JSON nested deeper than the parser can follow (its recursion limit).

    Attributes:
        field_path: The member holding the nesting, when it is not the top.
    """

    def __init__(self, field_path: str | None) -> None:
        super().__init__("JSON nested too deeply")
        self.field_path = field_path


def loads(text: str | bytes | bytearray, *, parse_float: Callable[[str], Any] = Decimal) -> Any:
    """Read JSON text with bounded work; decimals become ``Decimal`` by default.

    An integer longer than 41 characters is read by ``parse_float`` too
    (``int()`` of a long digit string is quadratic; the converter then refuses
    the number with its field path). Raises ``ValueError``:
    :class:`JSONTooDeepError` for nesting too deep to parse,
    ``json.JSONDecodeError`` or ``UnicodeDecodeError`` else.
    """
    try:
        return json.loads(text, parse_float=parse_float, parse_int=_int_reader(parse_float))
    except RecursionError:
        if not isinstance(text, str):
            text = bytes(text).decode(json.detect_encoding(text), "replace")
        raise JSONTooDeepError(_too_deep_at(text)) from None


@cache
def _int_reader(parse_float: Callable[[str], Any]) -> Callable[[str], Any]:
    def parse_int(text: str) -> Any:
        return int(text) if len(text) <= MAX_DIGITS + 1 else parse_float(text)

    return parse_int


def _too_deep_at(text: str) -> str | None:
    """The member holding nesting deeper than ``_DEEPEST``, found by a linear scan.

    The path leads down to the last object key above that depth (``buyer``
    for ``{"buyer": [[[...]]]}``); ``None`` if the nesting starts at the top,
    or if none is that deep (the caller's own stack was nearly used up).
    """
    stack: list[list[Any]] = []  # per open container: [is_object, current key or index]
    for match in _TOKENS.finditer(text):
        piece = match.group()
        if piece in ("{", "["):
            if len(stack) == _DEEPEST:
                return _key_path(stack)
            stack.append([piece == "{", None if piece == "{" else 0])
        elif piece in ("}", "]"):
            if stack:
                stack.pop()
        elif piece == ",":
            if stack and not stack[-1][0]:
                stack[-1][1] += 1
        elif match.group(1) and stack:
            stack[-1][1] = piece
    return None


def _key_path(stack: list[list[Any]]) -> str | None:
    steps: list[str | int] = []
    for is_object, step in stack:
        if is_object:
            raw = step[: step.rindex('"') + 1] if step else '""'
            try:
                key = json.loads(raw)
            except ValueError:  # past the parser's failure point: not valid JSON
                key = raw[1:-1]
            steps.append(key if len(key) <= 100 else key[:97] + "...")
        else:
            steps.append(step)
    while steps and isinstance(steps[-1], int):
        steps.pop()
    return _render(steps)


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
            raise ModelValidationError(_name(model), f"not JSON: {_reason(exc)}") from None
    try:
        structured: T = _shared_converter(strict).structure(data, model)
    except Exception as exc:
        reason, path = describe(exc)
        raise ModelValidationError(_name(model), reason, field_path=path) from None
    return structured


def _name(model: Any) -> str:
    return str(getattr(get_origin(model) or model, "__name__", model))
