"""The Allegro defaults every Allegro client and OAuth helper shares."""

from __future__ import annotations

from .._http.retry import RetryPolicy

__all__ = ["ALLEGRO_RETRY", "SERVICE"]

SERVICE = "allegro"
"""The service name under which Allegro tokens live in a token store."""

ALLEGRO_RETRY = RetryPolicy(rate_limit_delay=60.0, max_retry_after=300.0)
"""Allegro sends no Retry-After on 429 and calling during a block lengthens it:
wait a minute, then two."""
