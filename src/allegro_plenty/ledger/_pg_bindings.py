"""PostgreSQL ledger plans of the bindings (see :mod:`._pg_plans`)."""

from __future__ import annotations

from collections.abc import Collection

from ..errors import NotInLedgerError
from . import _rules as rules
from ._pg_sql import Plan, Row, Sql, _at, _by_form, _sql
from .records import Binding, BindingOrigin


def _binding_from(row: Row) -> Binding:
    account, form_id, order, origin, revision, paid, steps, bound_at, note = row
    return Binding(
        account, form_id, order, BindingOrigin(origin), revision, frozenset(paid),
        frozenset(steps), _at(bound_at), note,
    )  # fmt: skip


def _bind(
    account: str,
    form_id: str,
    plenty_order_id: int,
    origin: BindingOrigin,
    revision: str | None,
    note: str | None,
) -> Plan[Binding]:
    order, origin, revision = rules.binding_args(
        account, form_id, plenty_order_id, origin, revision
    )
    params = {"account": account, "form_id": form_id, "order": order}
    while True:
        # Either unique constraint (form or order) makes this insert nothing;
        # a racing binder's insert is waited for, so exactly one wins.
        rows = yield Sql(
            _sql(
                """INSERT INTO {s}.bindings
                (account, form_id, plenty_order_id, origin, revision, bound_at, note)
                VALUES (%(account)s, %(form_id)s, %(order)s, %(origin)s, %(revision)s, {now},
                %(note)s) ON CONFLICT DO NOTHING RETURNING {binding}"""
            ),
            {**params, "origin": origin.value, "revision": revision, "note": note},
        )
        if rows:
            return _binding_from(rows[0])
        rows = yield Sql(
            _sql(
                """SELECT {binding} FROM {s}.bindings
                WHERE (account = %(account)s AND form_id = %(form_id)s)
                OR plenty_order_id = %(order)s
                ORDER BY (account = %(account)s AND form_id = %(form_id)s) DESC LIMIT 1"""
            ),
            params,
        )
        if rows:  # else the conflicting row is gone again (deleted by hand): insert anew
            return rules.rebound(_binding_from(rows[0]), account, form_id, order)


def bind(
    account: str,
    form_id: str,
    plenty_order_id: int,
    *,
    origin: BindingOrigin,
    revision: str | None = None,
) -> Plan[Binding]:
    """See :meth:`ImportLedger.bind`."""
    return (yield from _bind(account, form_id, plenty_order_id, origin, revision, None))


def binding(account: str, form_id: str) -> Plan[Binding | None]:
    """See :meth:`ImportLedger.binding`."""
    select = _sql("SELECT {binding} FROM {s}.bindings")
    return (yield from _by_form(select, _binding_from, account, form_id))


def binding_for_order(plenty_order_id: int) -> Plan[Binding | None]:
    """See :meth:`ImportLedger.binding_for_order`."""
    rows = yield Sql(
        _sql("SELECT {binding} FROM {s}.bindings WHERE plenty_order_id = %(order)s"),
        {"order": rules.order_id(plenty_order_id)},
    )
    return _binding_from(rows[0]) if rows else None


def update_binding(
    account: str,
    form_id: str,
    *,
    revision: str | None = None,
    paid_parts: Collection[str] = (),
    steps_done: Collection[str] = (),
) -> Plan[Binding]:
    """See :meth:`ImportLedger.update_binding`."""
    revision = rules.optional_text("revision", revision)
    paid, steps = rules.marks("paid_parts", paid_parts), rules.marks("steps_done", steps_done)
    # One statement: the set unions happen in the row, so concurrent updates add up.
    rows = yield Sql(
        _sql(
            """UPDATE {s}.bindings SET
                revision = COALESCE(%(revision)s, revision),
                paid_parts = ARRAY(SELECT DISTINCT unnest(paid_parts || %(paid)s::text[])
                                   ORDER BY 1),
                steps_done = ARRAY(SELECT DISTINCT unnest(steps_done || %(steps)s::text[])
                                   ORDER BY 1)
            WHERE account = %(account)s AND form_id = %(form_id)s RETURNING {binding}"""
        ),
        {
            "account": account,
            "form_id": form_id,
            "revision": revision,
            "paid": sorted(paid),
            "steps": sorted(steps),
        },
    )
    if not rows:
        raise NotInLedgerError(f"form {form_id!r} of account {account!r} is not bound")
    return _binding_from(rows[0])
