"""What the built-in procedures share."""

from __future__ import annotations

from ...errors import AllegroRefusedError, APIStatusError

__all__ = ["REFUSALS", "allegro_refusal"]

REFUSALS = frozenset({400, 404, 409, 422})
"""Statuses with which Allegro refuses a write for good: sending it again cannot help."""


def allegro_refusal(procedure: str, error: APIStatusError) -> AllegroRefusedError:
    """Allegro's refusal as a typed error carrying Allegro's own message."""
    first = error.errors[0] if error.errors else None
    said = (first.message or first.user_message) if first is not None else None
    return AllegroRefusedError(procedure, error.status_code, error.codes, said or error.message)
