"""What every PostgreSQL ledger plan shares: the :class:`Sql` statement, the
:data:`Plan` type, the column lists and the statement template (see :mod:`._pg_plans`)."""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from datetime import datetime
from typing import Any, TypeVar

import attrs

T = TypeVar("T")
Row = tuple[Any, ...]
Rows = list[Row]


@attrs.frozen
class Sql:
    """One statement: ``text`` with ``{s}`` for the schema and ``%(name)s`` parameters.

    Every statement also gets the parameters ``shift`` (see ``{now}``) and
    ``schema`` (the schema's name, as a value).
    """

    text: str
    params: Mapping[str, object] = attrs.field(factory=dict)

    def __repr__(self) -> str:
        # Parameters may hold personal data: name the statement only.
        return f"Sql({' '.join(self.text.split())[:60]!r})"


Plan = Generator[Sql, Rows, T]
"""Yields statements, receives their rows, returns the call's result."""

_NOW = "(clock_timestamp() + make_interval(secs => %(shift)s))"
_BINDING = (
    "account, form_id, plenty_order_id, origin, revision, paid_parts, steps_done, bound_at, note"
)
_FAILURE = (
    "account, form_id, attempts, last_error, next_retry_at, quarantined, quarantine_reason, "
    "first_failed_at, last_failed_at"
)
_DECISION = (
    "account, form_id, reason, final, revision, updated_at, fulfillment_status, fingerprint, "
    "decided_at"
)
_EXECUTION = (
    "account, procedure, plenty_order_id, subject, state, reason, last_error, attempts, "
    "next_retry_at, quarantined, data::text, created_at, updated_at, owner, epoch, lease_until"
)
_EXECUTION_KEY = """account = %(account)s AND procedure = %(procedure)s
    AND plenty_order_id = %(order)s AND subject = %(subject)s"""


def _sql(template: str) -> str:
    """A statement template with the shared fragments filled in (``{s}`` stays)."""
    return template.format(
        s="{s}",
        now=_NOW,
        binding=_BINDING,
        failure=_FAILURE,
        decision=_DECISION,
        execution=_EXECUTION,
        execution_key=_EXECUTION_KEY,
    )


def _seconds(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


def _at(moment: datetime) -> float:
    return moment.timestamp()


def _by_form(select: str, record: Callable[[Row], T], account: str, form_id: str) -> Plan[T | None]:
    """The ``record`` of one form, read by ``select`` (from bindings, decisions or failures)."""
    rows = yield Sql(
        select + " WHERE account = %(account)s AND form_id = %(form_id)s",
        {"account": account, "form_id": form_id},
    )
    return record(rows[0]) if rows else None
