"""The detailed pass: cattrs' validating structure, run only to explain a failure.

It is cattrs' own generated code (``make_dict_structure_fn`` with detailed
validation), which collects every failure with the field it happened in, so
:func:`~.messages.describe` can name the JSON path. Two gaps of cattrs are
closed here: a model accepts only a JSON object (cattrs tests keys with ``in``,
so a string would pass as an object whose fields are all optional), and an
array accepts only a JSON array (cattrs turns any iterable into a tuple: a
string into its characters, an object into its keys).

:class:`TwoPassConverter` puts the fast pass (:mod:`.fast`) in front: valid
input never reaches this code.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, get_args

import attrs
import cattrs
from cattrs.errors import IterableValidationError, IterableValidationNote
from cattrs.gen import make_dict_structure_fn

from .fields import is_homogeneous_tuple, renames

__all__ = ["TwoPassConverter", "register_detailed_pass"]

StructureHook = Callable[[Any, Any], Any]


class TwoPassConverter(cattrs.Converter):
    """Structures on a fast path; only input that fails pays for detailed validation.

    ``_fast`` is the fast pass's own converter; ``cattrs.Converter.structure``
    called on this converter is the detailed pass alone (the tests call both).
    """

    def __init__(self, fast: cattrs.Converter, *, strict: bool) -> None:
        super().__init__(detailed_validation=True, forbid_extra_keys=strict)
        self._fast = fast

    def structure(self, obj: Any, cl: Any) -> Any:
        """``obj`` as a ``cl``: the fast pass, then the detailed one if it refused."""
        try:
            return self._fast.structure(obj, cl)
        except Exception:
            return super().structure(obj, cl)


def register_detailed_pass(conv: cattrs.Converter, *, strict: bool) -> None:
    """Make ``conv`` structure models and arrays with detailed validation."""
    conv.register_structure_hook_factory(is_homogeneous_tuple, partial(_array_hook, conv))
    conv.register_structure_hook_factory(attrs.has, partial(_model_hook, conv, strict=strict))


def _model_hook(conv: cattrs.Converter, cls: type, *, strict: bool) -> StructureHook:
    generated: StructureHook = make_dict_structure_fn(
        cls, conv, _cattrs_forbid_extra_keys=strict, **renames(cls)
    )
    return partial(_structure_model, generated, cls)


def _structure_model(generated: StructureHook, cls: type, value: Any, _: Any) -> Any:
    if type(value) is not dict:
        raise TypeError(f"expected a JSON object, got {type(value).__name__}")
    return generated(value, cls)


def _array_hook(conv: cattrs.Converter, cls: Any) -> StructureHook:
    item_type = get_args(cls)[0]
    return partial(_structure_array, conv.get_structure_hook(item_type), item_type, cls)


def _structure_array(
    item_hook: StructureHook, item_type: Any, cls: Any, value: Any, _: Any
) -> tuple[Any, ...]:
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
