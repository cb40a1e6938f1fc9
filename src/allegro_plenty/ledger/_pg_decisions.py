"""PostgreSQL ledger plans of the decisions (see :mod:`._pg_plans`)."""

from __future__ import annotations

from . import _rules as rules
from ._pg_sql import Plan, Row, Sql, _at, _by_form, _sql
from .records import Decision, FormVersion


def _decision_from(row: Row) -> Decision:
    account, form_id, reason, final, revision, updated_at, status, fingerprint, decided_at = row
    version = FormVersion(revision, updated_at, status)
    return Decision(account, form_id, reason, final, version, fingerprint, _at(decided_at))


def decide(
    account: str,
    form_id: str,
    *,
    reason: str,
    final: bool,
    version: FormVersion,
    fingerprint: str,
) -> Plan[Decision]:
    """See :meth:`ImportLedger.decide`."""
    rules.text("account", account)
    rules.text("form_id", form_id)
    rules.text("reason", reason)
    rules.version(version)
    rules.text("fingerprint", fingerprint)
    rows = yield Sql(
        _sql(
            """INSERT INTO {s}.decisions ({decision}) VALUES (%(account)s, %(form_id)s,
            %(reason)s, %(final)s, %(revision)s, %(updated_at)s, %(status)s, %(fingerprint)s,
            {now}) ON CONFLICT (account, form_id) DO UPDATE SET
            reason = excluded.reason, final = excluded.final, revision = excluded.revision,
            updated_at = excluded.updated_at, fulfillment_status = excluded.fulfillment_status,
            fingerprint = excluded.fingerprint, decided_at = excluded.decided_at
            RETURNING {decision}"""
        ),
        {
            "account": account,
            "form_id": form_id,
            "reason": reason,
            "final": bool(final),
            "revision": version.revision,
            "updated_at": version.updated_at,
            "status": version.fulfillment_status,
            "fingerprint": fingerprint,
        },
    )
    return _decision_from(rows[0])


def decision(account: str, form_id: str) -> Plan[Decision | None]:
    """See :meth:`ImportLedger.decision`."""
    select = _sql("SELECT {decision} FROM {s}.decisions")
    return (yield from _by_form(select, _decision_from, account, form_id))


def needs_look(account: str, form_id: str, *, version: FormVersion, fingerprint: str) -> Plan[bool]:
    """See :meth:`ImportLedger.needs_look`."""
    found = yield from decision(account, form_id)
    return found is None or found.needs_another_look(version, fingerprint)
