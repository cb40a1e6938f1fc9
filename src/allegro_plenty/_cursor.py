"""Reading a walk's cursor back from storage: JSON in, checked values out.

A cursor is what a walk needs to go on where it stopped, built only from JSON
types so a caller can keep it anywhere (a ledger row, a file, a queue message)
and resume in another process. A cursor that does not have the shape its walk
wrote raises :class:`~allegro_plenty.errors.ModelValidationError` naming the
field, never resumes from a guess.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from dateutil.parser import isoparse

from .errors import ModelValidationError

__all__ = ["Cursor", "cursor_fields", "cursor_ids", "cursor_time"]

Cursor = dict[str, object]
"""A walk's position as a JSON object."""


def cursor_fields(walk: str, cursor: object, kinds: Mapping[str, tuple[type, ...]]) -> Cursor:
    """``cursor`` if it is an object with exactly these fields of these types."""
    if not isinstance(cursor, dict):
        raise ModelValidationError(f"{walk} cursor", f"must be a JSON object, got {cursor!r:.80}")
    unknown = sorted(set(map(str, cursor)) - set(kinds))
    if unknown:
        raise ModelValidationError(f"{walk} cursor", "unknown field", field_path=unknown[0])
    for name, allowed in kinds.items():
        value = cursor.get(name)
        # JSON has no separate booleans and integers in Python's eyes: refuse True for 1.
        if name not in cursor or isinstance(value, bool) or not isinstance(value, allowed):
            expected = " or ".join("null" if k is type(None) else k.__name__ for k in allowed)
            raise ModelValidationError(
                f"{walk} cursor", f"must be {expected}, got {value!r:.80}", field_path=name
            )
    return dict(cursor)


def cursor_time(walk: str, value: object, field: str) -> datetime:
    """An ISO 8601 timestamp with a timezone."""
    try:
        parsed = isoparse(str(value))
    except (ValueError, OverflowError):
        parsed = None
    if parsed is None or parsed.utcoffset() is None:
        raise ModelValidationError(
            f"{walk} cursor",
            f"must be an ISO 8601 time with a zone, got {value!r:.80}",
            field_path=field,
        )
    return parsed


def cursor_ids(walk: str, value: object, field: str) -> list[str]:
    """A list of non-empty strings."""
    if not isinstance(value, list) or not all(isinstance(i, str) and i for i in value):
        raise ModelValidationError(
            f"{walk} cursor", "must be a list of ids (strings)", field_path=field
        )
    return list(value)
