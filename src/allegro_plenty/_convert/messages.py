"""What went wrong, and where: reasons and JSON paths for validation errors.

The fast pass refuses without saying why; the detailed pass raises cattrs'
nested validation errors, and :func:`describe` turns the first failure in one
into a short reason and a JSON path (``lineItems[0].price.amount``).
"""

from __future__ import annotations

from cattrs.errors import (
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)

from .fields import json_key_of


def show(value: object) -> str:
    """A short repr for messages: a hostile value can be megabytes long."""
    text = repr(value)
    return text if len(text) <= 40 else text[:36] + "...'"


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
                    steps.append(json_key_of(exc.cl, note.name))
                exc = inner
                continue
            if without:
                exc = without[0]
                continue
        break
    return reason(exc), render_path(steps)


def field_path(exc: BaseException) -> str | None:
    """The JSON path of the first failure inside a cattrs validation error."""
    return describe(exc)[1]


def render_path(steps: list[str | int]) -> str | None:
    """``["lineItems", 0, "price"]`` → ``lineItems[0].price``; no steps → ``None``."""
    path = "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in steps)
    return path.removeprefix(".") or None


def reason(exc: BaseException) -> str:
    """One failure in words, at most 200 characters."""
    if isinstance(exc, KeyError):
        return "required field missing"
    if isinstance(exc, ForbiddenExtraKeysError):
        keys = ", ".join(show(k) for k in sorted(exc.extra_fields)[:5])
        return f"unknown keys: {keys}" + (", ..." if len(exc.extra_fields) > 5 else "")
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."
