"""JSON text read with bounded work.

``json.loads`` has two costs that grow with hostile input: ``int()`` of a long
digit string is quadratic, and nesting deeper than the interpreter's recursion
limit raises a bare ``RecursionError``. :func:`loads` hands long integers to
``parse_float`` (the converter then refuses them with their field path) and
turns the ``RecursionError`` into a :class:`JSONTooDeepError` naming the member
that holds the nesting, found by a linear scan of the text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import Any

from .messages import render_path
from .numbers import MAX_DIGITS

_DEEPEST = 32
"""Nesting beyond this is reported as too deep (no model nests half as deep)."""
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*(?:"(\s*:)?|\\?\Z)|[\[\]{},]', re.DOTALL)
"""A string (group 1 is set when it is an object key), or a bracket or comma."""


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
    parse_int = partial(_read_int, parse_float)
    try:
        return json.loads(text, parse_float=parse_float, parse_int=parse_int)
    except RecursionError:
        if not isinstance(text, str):
            text = bytes(text).decode(json.detect_encoding(text), "replace")
        raise JSONTooDeepError(_too_deep_at(text)) from None


def _read_int(parse_float: Callable[[str], Any], text: str) -> Any:
    return int(text) if len(text) <= MAX_DIGITS + 1 else parse_float(text)


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
    return render_path(steps)
