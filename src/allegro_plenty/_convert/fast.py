"""The fast pass: a straight-line structure function generated per model.

Why it exists: cattrs' detailed validation, which yields the field path of an
error, costs on every field of every form, and nearly every form is valid. The
fast pass only has to accept what is valid (building the same objects) and
refuse what is not; when it refuses, the detailed pass (:mod:`.detailed`) runs
on the same data to say where and why. On the mapping benchmark's forms the
fast pass structures a form in less than half the time of the detailed one.

How it is fast: for each model, one function reads each field by its JSON key
and takes a ``str``, an ``int`` within the bounds, a ``bool`` of exactly that
type, or a short unsigned plain decimal string, inline; a form has dozens of
them and the hook call is most of their cost. Every other value goes through
the same hook the detailed pass calls (:mod:`.scalars`, nested models, arrays).

Why ``exec``: the function is written out as Python source and compiled once
per model, because a function that loops over a table of field descriptions
pays, per field, for the loop, the unpacking and the branching that the
straight-line code decides once, at generation; such a version structured
the mapping benchmark's forms about 1.7 times slower. cattrs generates its
own structure functions (the detailed pass) the same way. The source is kept
inspectable: :func:`fast_source` returns it for a model, and it is registered
with :mod:`linecache`, so tracebacks and ``inspect.getsource`` show it.

How agreement with the detailed pass is tested (``tests/test_convert.py``): a
Hypothesis property structures valid checkout forms with up to two values
swapped for JSON of another kind, or an unknown key added, through each pass
alone, strict and lenient, and asserts both accept (the same object) or both
refuse; a negative control makes a fast pass that takes any value as a string
and asserts the property catches it. ``tests/test_convert_hardening.py`` checks
that each pass alone refuses every out-of-bounds number, with a control that
lifts the integer bound.
"""

from __future__ import annotations

import linecache
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import Any, get_args

import attrs
import cattrs

from . import numbers
from .fields import is_homogeneous_tuple, is_optional, json_key, non_none

__all__ = ["fast_source", "register_fast_pass"]

StructureHook = Callable[[Any, Any], Any]


def register_fast_pass(conv: cattrs.Converter, *, strict: bool) -> None:
    """Make ``conv`` structure models and arrays the fast way."""
    conv.register_structure_hook_factory(is_homogeneous_tuple, partial(_array_hook, conv))
    conv.register_structure_hook_factory(attrs.has, partial(_model_hook, conv, strict=strict))


def fast_source(model: type, *, strict: bool = False) -> str:
    """The Python source of the fast pass's structure function for ``model``.

    For reading and debugging: it is the very text the converter compiles. In
    it ``o`` is the JSON object, ``vN`` the value of the N-th field, ``_hN`` and
    ``_tN`` that field's hook and type, ``_kw`` the fields passed by keyword.
    """
    return _Writer(model, strict=strict).source()


# --- arrays ----------------------------------------------------------------------------


def _array_hook(conv: cattrs.Converter, cls: Any) -> StructureHook:
    item_type = get_args(cls)[0]
    return partial(_structure_array, conv.get_structure_hook(item_type), item_type)


def _structure_array(item_hook: StructureHook, item_type: Any, value: Any, _: Any) -> Any:
    # cattrs turns any iterable into a tuple (a string into its characters); a
    # JSON array is the only valid input. The detailed pass says which item failed.
    if type(value) is not list and not isinstance(value, list | tuple):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    return tuple([item_hook(item, item_type) for item in value])


# --- models ----------------------------------------------------------------------------


def _model_hook(conv: cattrs.Converter, cls: type, *, strict: bool) -> StructureHook:
    writer = _Writer(cls, strict=strict)
    namespace: dict[str, Any] = {
        "_cls": cls,
        # Read now, not at import: a test lifts the bound to check that both passes obey it.
        "_low": -numbers.INTEGER_BOUND,
        "_high": numbers.INTEGER_BOUND,
        "_plain_rest": numbers.NOTHING_OR_POINT,
        "_Decimal": Decimal,
        "_keys": writer.keys,
    }
    for index, kind in writer.field_types.items():
        namespace[f"_t{index}"] = kind
        namespace[f"_h{index}"] = conv.get_structure_hook(kind)
    source = writer.source()
    filename = f"<fast structure {cls.__module__}.{cls.__qualname__}{' strict' if strict else ''}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102 - our own source, see above
    function: StructureHook = namespace[writer.name]
    return function


class _Writer:
    """Writes the source of one model's fast structure function.

    A field is read in one of three ways:

    * required: ``o[key]`` (a missing key raises ``KeyError``);
    * default ``None``: ``o.get(key)``, passed positionally;
    * a real default (``()``, ``False``): only when present, by keyword, so the
      class applies its own default; every later field is passed by keyword too.
    """

    def __init__(self, cls: type, *, strict: bool) -> None:
        attrs.resolve_types(cls)
        self.name = f"structure_{cls.__name__}"
        self.strict = strict
        self.field_types: dict[int, Any] = {}
        """Field index → the field's type without ``None`` (its hook's type)."""
        keys: list[str] = []
        self._body: list[str] = []
        self._positional: list[str] = []
        self._by_keyword = False
        for index, field in enumerate(attrs.fields(cls)):
            if field.init:
                keys.append(json_key(field))
                self._add_field(index, field)
        self.keys = frozenset(keys)

    def source(self) -> str:
        head = ["if type(o) is not dict:", "    raise TypeError('expected a JSON object')"]
        if self._by_keyword:
            head.append("_kw = {}")
        if self.strict:
            head += [
                "if not _keys.issuperset(o):",
                "    raise ValueError(f'unknown keys: {sorted(set(o) - _keys)}')",
            ]
        arguments = [*self._positional, "**_kw"] if self._by_keyword else self._positional
        tail = [f"return _cls({', '.join(arguments)})"]
        lines = [f"def {self.name}(o, _=None):", *_indent([*head, *self._body, *tail])]
        return "\n".join(lines) + "\n"

    def _add_field(self, index: int, field: attrs.Attribute[Any]) -> None:
        key, var = json_key(field), f"v{index}"
        optional = is_optional(field.type)
        kind = non_none(field.type) if optional else field.type
        self.field_types[index] = kind
        convert = _conversion(var, index, kind, optional=optional)
        if field.default is attrs.NOTHING:
            self._body += [f"{var} = o[{key!r}]", *convert]
        elif field.default is None and not self._by_keyword:
            self._body += [f"{var} = o.get({key!r})", *convert]
        else:
            self._by_keyword = True
            self._body += [f"if {key!r} in o:", f"    {var} = o[{key!r}]", *_indent(convert)]
            self._body.append(f"    _kw[{field.alias!r}] = {var}")
            return
        if self._by_keyword:
            self._body.append(f"_kw[{field.alias!r}] = {var}")
        else:
            self._positional.append(var)


def _conversion(var: str, index: int, kind: Any, *, optional: bool) -> list[str]:
    """Lines that turn the JSON value ``var`` into the field's value, in place."""
    call = f"{var} = _h{index}({var}, _t{index})"
    if kind is Decimal:
        # A short unsigned plain decimal, which the hook would take as it is
        # (or refuse, as Decimal() does "." and ""); the rest goes to the hook.
        plain = (
            f"type({var}) is str and len({var}) <= {numbers.SHORT_PLAIN}"
            f" and {var}.strip({numbers.DIGITS!r}) in _plain_rest"
        )
        lines = [f"if {plain}:", f"    {var} = _Decimal({var})", "else:", f"    {call}"]
    else:
        lines = [call]
    # When the hook is needed at all: None stays None, and a primitive of
    # exactly its type (an int within the bounds the hook enforces) is taken.
    needed = [f"{var} is not None"] if optional else []
    if kind is int:
        needed.append(f"(type({var}) is not int or not _low < {var} < _high)")
    elif kind in (str, bool):
        needed.append(f"type({var}) is not {kind.__name__}")
    if needed:
        return [f"if {' and '.join(needed)}:", *_indent(lines)]
    return lines


def _indent(lines: list[str]) -> list[str]:
    return ["    " + line for line in lines]
