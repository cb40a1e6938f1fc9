"""Every PostgreSQL ledger call, written once as a plan of SQL statements.

A plan is a generator: it yields :class:`Sql` statements, receives each one's
rows, and returns the call's result (or raises the call's error). It does no
I/O: :class:`~allegro_plenty.ledger.postgres.PostgresLedger` runs it on a
connection, :class:`~allegro_plenty.ledger.postgres.AsyncPostgresLedger` on an
async one, each in one short transaction. Plans take exactly the protocol
method's parameters, so the two ledgers are generated from this module.

Every time is the database's: ``{now}`` in a statement is its
``clock_timestamp()`` (plus the ledger's ``time_shift``, which only tests set).
Every record a plan returns is built from the rows the database returned, so
what a call returns equals what a later read finds. Claims, bindings and
cursors are each one compare-and-set statement; a read-then-write (a failure
counting up) locks its row for the rest of its own transaction, never longer.
No module of psycopg is imported here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Generator, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

import attrs

from ..errors import ClaimLostError, CursorConflictError, LedgerSchemaError, NotInLedgerError
from . import _pg_schema as schema
from . import _rules as rules
from .records import (
    JSON,
    Binding,
    BindingOrigin,
    Claim,
    Cursor,
    Decision,
    Execution,
    ExecutionClaim,
    ExecutionStart,
    ExecutionState,
    Failure,
    FormVersion,
    StatusWrite,
)

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


# --- schema ----------------------------------------------------------------------------------


def _stored_version() -> Plan[tuple[str, int]]:
    """The ledger's schema name (``%(schema)s``, which every statement gets) and version."""
    rows = yield Sql(
        """SELECT %(schema)s::text, to_regclass(%(schema)s || '.schema_version') IS NOT NULL,
        (SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = %(schema)s)"""
    )
    name, has_version, tables = rows[0]
    if not has_version:
        if tables:
            raise LedgerSchemaError(
                f"schema {name!r} holds tables but no ledger schema: not a ledger's schema",
                found=0,
                supported=len(schema.MIGRATIONS),
            )
        return name, 0
    rows = yield Sql("SELECT version FROM {s}.schema_version")
    return name, int(rows[0][0]) if rows else 0


def check_schema() -> Plan[None]:
    """Raise :class:`~allegro_plenty.errors.LedgerSchemaError` unless the store is current."""
    name, found = yield from _stored_version()
    supported = len(schema.MIGRATIONS)
    if found != supported:
        raise rules.schema_error(f"ledger schema {name!r}", found, supported)


MIGRATION_LOCK = Sql(
    "SELECT pg_advisory_xact_lock(hashtextextended('allegro_plenty.ledger ' || %(schema)s, 0))"
)
"""Held until the migration's transaction ends: concurrent migrations of one
schema run one after the other, and the later ones find nothing left to do."""


def migrate() -> Plan[int]:
    """Apply every step the store has not seen; return the schema version."""
    yield MIGRATION_LOCK
    name, found = yield from _stored_version()
    steps: Sequence[Sequence[str]] = schema.MIGRATIONS
    if found > len(steps):
        raise rules.schema_error(f"ledger schema {name!r}", found, len(steps))
    if found == 0:
        yield Sql("CREATE SCHEMA IF NOT EXISTS {s}")
        yield Sql(
            """CREATE TABLE {s}.schema_version (
                one_row boolean PRIMARY KEY DEFAULT true CHECK (one_row),
                version integer NOT NULL)"""
        )
    for number in range(found + 1, len(steps) + 1):
        for statement in steps[number - 1]:
            yield Sql(statement)
        yield Sql(
            """INSERT INTO {s}.schema_version (version) VALUES (%(version)s)
            ON CONFLICT (one_row) DO UPDATE SET version = excluded.version""",
            {"version": number},
        )
    return len(steps)


# --- claims ----------------------------------------------------------------------------------

# The compare-and-set: one statement takes a free or expired key, renews the
# owner's own claim, and leaves anyone else's alone. "now" is read once, so the
# epoch rule and the takeover rule agree on whether the lease ran out.
_CLAIM = _sql(
    """WITH clock AS MATERIALIZED (SELECT {now} AS now)
    INSERT INTO {s}.claims AS held (account, key, owner, epoch, lease_until)
    SELECT %(account)s, %(key)s, %(owner)s, 1, now + make_interval(secs => %(lease)s) FROM clock
    ON CONFLICT (account, key) DO UPDATE SET
        epoch = CASE WHEN held.owner = excluded.owner AND held.lease_until > (SELECT now FROM clock)
                     THEN held.epoch ELSE held.epoch + 1 END,
        owner = excluded.owner,
        lease_until = excluded.lease_until
    WHERE held.owner IS NULL OR held.owner = excluded.owner
        OR held.lease_until <= (SELECT now FROM clock)
    RETURNING epoch, lease_until"""
)


def claim(account: str, key: str, owner: str, *, lease: float) -> Plan[Claim | None]:
    """See :meth:`ImportLedger.claim`."""
    rules.text("account", account)
    rules.text("key", key)
    rules.text("owner", owner)
    seconds = rules.duration("lease", lease)
    rows = yield Sql(_CLAIM, {"account": account, "key": key, "owner": owner, "lease": seconds})
    return Claim(account, key, owner, rows[0][0], _at(rows[0][1])) if rows else None


def _held(claim: Claim) -> dict[str, object]:
    claim = rules.claim(claim)
    return {"account": claim.account, "key": claim.key, "owner": claim.owner, "epoch": claim.epoch}


def _lost(claim: Claim) -> ClaimLostError:
    return ClaimLostError(account=claim.account, key=claim.key, owner=claim.owner)


def renew(claim: Claim, *, lease: float) -> Plan[Claim]:
    """See :meth:`ImportLedger.renew`."""
    held = _held(claim)
    seconds = rules.duration("lease", lease)
    rows = yield Sql(
        _sql(
            """UPDATE {s}.claims SET lease_until = {now} + make_interval(secs => %(lease)s)
            WHERE account = %(account)s AND key = %(key)s AND owner = %(owner)s
            AND epoch = %(epoch)s RETURNING lease_until"""
        ),
        {**held, "lease": seconds},
    )
    if not rows:
        raise _lost(claim)
    return attrs.evolve(claim, lease_until=_at(rows[0][0]))


def confirm(claim: Claim) -> Plan[None]:
    """See :meth:`ImportLedger.confirm`."""
    rows = yield Sql(
        _sql(
            """SELECT 1 FROM {s}.claims WHERE account = %(account)s AND key = %(key)s
            AND owner = %(owner)s AND epoch = %(epoch)s AND lease_until > {now}"""
        ),
        _held(claim),
    )
    if not rows:
        raise _lost(claim)


def release_claim(claim: Claim) -> Plan[bool]:
    """See :meth:`ImportLedger.release_claim`."""
    # The row stays, ownerless, so the key's epoch only ever grows.
    rows = yield Sql(
        """UPDATE {s}.claims SET owner = NULL, lease_until = to_timestamp(0)
        WHERE account = %(account)s AND key = %(key)s AND owner = %(owner)s
        AND epoch = %(epoch)s RETURNING 1""",
        _held(claim),
    )
    return bool(rows)


# --- bindings --------------------------------------------------------------------------------


def _by_form(select: str, record: Callable[[Row], T], account: str, form_id: str) -> Plan[T | None]:
    """The ``record`` of one form, read by ``select`` (from bindings, decisions or failures)."""
    rows = yield Sql(
        select + " WHERE account = %(account)s AND form_id = %(form_id)s",
        {"account": account, "form_id": form_id},
    )
    return record(rows[0]) if rows else None


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


# --- decisions -------------------------------------------------------------------------------


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


# --- failures and operator actions -----------------------------------------------------------


def _failure_from(row: Row) -> Failure:
    account, form_id, attempts, error, retry_at, quarantined, reason, first, last = row
    return Failure(
        account, form_id, attempts, error, _seconds(retry_at), quarantined, reason, _at(first),
        _at(last),
    )  # fmt: skip


def _locked_failure(account: str, form_id: str) -> Plan[tuple[Failure | None, float]]:
    """The form's failure, locked for the rest of this transaction, and the time now."""
    rows = yield Sql(
        _sql(
            """SELECT {failure} FROM {s}.failures
            WHERE account = %(account)s AND form_id = %(form_id)s FOR UPDATE"""
        ),
        {"account": account, "form_id": form_id},
    )
    now = yield Sql(_sql("SELECT extract(epoch FROM {now})::float8"))
    return (_failure_from(rows[0]) if rows else None), now[0][0]


# Writes a failure computed by _rules; the first one for a form inserts only
# if no racing worker inserted first (then the plan reads and counts again).
_STORE_FAILURE = """INSERT INTO {s}.failures ({failure}) VALUES (%(account)s, %(form_id)s,
    %(attempts)s, %(error)s, to_timestamp(%(retry_at)s), %(quarantined)s, %(reason)s,
    to_timestamp(%(first)s), to_timestamp(%(last)s))
    ON CONFLICT (account, form_id) DO {action} RETURNING {failure}"""
_INSERT_FAILURE = _sql(_STORE_FAILURE.replace("{action}", "NOTHING"))
_REPLACE_FAILURE = _sql(
    _STORE_FAILURE.replace(
        "{action}",
        """UPDATE SET attempts = excluded.attempts, last_error = excluded.last_error,
        next_retry_at = excluded.next_retry_at, quarantined = excluded.quarantined,
        quarantine_reason = excluded.quarantine_reason,
        first_failed_at = excluded.first_failed_at, last_failed_at = excluded.last_failed_at""",
    )
)


def _store_failure(failure: Failure, *, replace: bool) -> Plan[Failure | None]:
    rows = yield Sql(
        _REPLACE_FAILURE if replace else _INSERT_FAILURE,
        {
            "account": failure.account,
            "form_id": failure.form_id,
            "attempts": failure.attempts,
            "error": failure.last_error,
            "retry_at": failure.next_retry_at,
            "quarantined": failure.quarantined,
            "reason": failure.quarantine_reason,
            "first": failure.first_failed_at,
            "last": failure.last_failed_at,
        },
    )
    return _failure_from(rows[0]) if rows else None


def _fail(
    account: str, form_id: str, error: str, retry_in: float | None, reason: str | None
) -> Plan[Failure]:
    while True:
        previous, now = yield from _locked_failure(account, form_id)
        failure = rules.failed(
            previous,
            account,
            form_id,
            error,
            now=now,
            retry_at=None if retry_in is None else now + retry_in,
            quarantine_reason=reason,
        )
        stored = yield from _store_failure(failure, replace=previous is not None)
        if stored is not None:
            return stored


def record_failure(account: str, form_id: str, error: str, *, retry_in: float) -> Plan[Failure]:
    """See :meth:`ImportLedger.record_failure`."""
    rules.text("account", account)
    rules.text("form_id", form_id)
    seconds = rules.duration("retry_in", retry_in, allow_zero=True)
    return (yield from _fail(account, form_id, rules.error_text(error), seconds, None))


def quarantine(account: str, form_id: str, reason: str) -> Plan[Failure]:
    """See :meth:`ImportLedger.quarantine`."""
    rules.text("account", account)
    rules.text("form_id", form_id)
    reason = rules.error_text(reason)
    return (yield from _fail(account, form_id, reason, None, reason))


def failure(account: str, form_id: str) -> Plan[Failure | None]:
    """See :meth:`ImportLedger.failure`."""
    select = _sql("SELECT {failure} FROM {s}.failures")
    return (yield from _by_form(select, _failure_from, account, form_id))


def _delete_failure(account: str, form_id: str) -> Plan[None]:
    yield Sql(
        "DELETE FROM {s}.failures WHERE account = %(account)s AND form_id = %(form_id)s",
        {"account": account, "form_id": form_id},
    )


def clear_failure(account: str, form_id: str) -> Plan[None]:
    """See :meth:`ImportLedger.clear_failure`."""
    yield from _delete_failure(account, form_id)


def due_retries(account: str, *, limit: int = 100) -> Plan[list[Failure]]:
    """See :meth:`ImportLedger.due_retries`."""
    rows = yield Sql(
        _sql(
            """SELECT {failure} FROM {s}.failures
            WHERE account = %(account)s AND NOT quarantined AND next_retry_at <= {now}
            ORDER BY next_retry_at, form_id LIMIT %(limit)s"""
        ),
        {"account": account, "limit": rules.count("limit", limit)},
    )
    return [_failure_from(row) for row in rows]


def failures(account: str | None = None, *, quarantined: bool | None = None) -> Plan[list[Failure]]:
    """See :meth:`ImportLedger.failures`."""
    rows = yield Sql(
        _sql(
            """SELECT {failure} FROM {s}.failures
            WHERE (%(account)s::text IS NULL OR account = %(account)s)
            AND (%(quarantined)s::boolean IS NULL OR quarantined = %(quarantined)s)
            ORDER BY account, last_failed_at, form_id"""
        ),
        {"account": account, "quarantined": quarantined},
    )
    return [_failure_from(row) for row in rows]


def release_failure(account: str, form_id: str) -> Plan[Failure]:
    """See :meth:`ImportLedger.release_failure`."""
    previous, now = yield from _locked_failure(account, form_id)
    if previous is None:
        raise NotInLedgerError(f"form {form_id!r} of account {account!r} has no failure")
    stored = yield from _store_failure(rules.released(previous, now=now), replace=True)
    assert stored is not None  # the row is locked: it cannot have gone
    return stored


def mark_handled(
    account: str, form_id: str, plenty_order_id: int, *, note: str | None = None
) -> Plan[Binding]:
    """See :meth:`ImportLedger.mark_handled`."""
    note = rules.optional_text("note", note)
    bound = yield from _bind(account, form_id, plenty_order_id, BindingOrigin.MANUAL, None, note)
    yield from _delete_failure(account, form_id)
    return bound


# --- cursors and sweeps ----------------------------------------------------------------------


def _cursor_from(account: str, name: str, row: Row) -> Cursor:
    value: JSON = json.loads(row[0])
    return Cursor(account, name, value, row[1], _at(row[2]))


def cursor(account: str, name: str) -> Plan[Cursor | None]:
    """See :meth:`ImportLedger.cursor`."""
    rows = yield Sql(
        """SELECT value::text, version, saved_at FROM {s}.cursors
        WHERE account = %(account)s AND name = %(name)s""",
        {"account": account, "name": name},
    )
    return _cursor_from(account, name, rows[0]) if rows else None


def save_cursor(account: str, name: str, value: JSON, *, expected_version: int) -> Plan[Cursor]:
    """See :meth:`ImportLedger.save_cursor`."""
    rules.text("account", account)
    rules.text("name", name)
    params = {"account": account, "name": name, "value": rules.json_text(value)}
    expected = rules.expected_version(expected_version)
    # A compare-and-set on the version: the first save inserts only if nobody
    # did, a later one updates only the version it was based on.
    if expected == 0:
        statement = """INSERT INTO {s}.cursors
            VALUES (%(account)s, %(name)s, %(value)s::json, 1, {now})
            ON CONFLICT DO NOTHING RETURNING value::text, version, saved_at"""
    else:
        statement = """UPDATE {s}.cursors SET value = %(value)s::json, version = version + 1,
            saved_at = {now} WHERE account = %(account)s AND name = %(name)s
            AND version = %(expected)s RETURNING value::text, version, saved_at"""
    rows = yield Sql(_sql(statement), {**params, "expected": expected})
    if rows:
        return _cursor_from(account, name, rows[0])
    found = yield from cursor(account, name)
    raise CursorConflictError(
        account=account, name=name, expected=expected, found=found.version if found else 0
    )


def sweep_due(account: str, *, interval: float) -> Plan[bool]:
    """See :meth:`ImportLedger.sweep_due`."""
    seconds = rules.duration("interval", interval, allow_zero=True)
    rows = yield Sql(
        _sql(
            """SELECT NOT EXISTS (SELECT 1 FROM {s}.sweeps WHERE account = %(account)s
            AND swept_at > {now} - make_interval(secs => %(interval)s))"""
        ),
        {"account": account, "interval": seconds},
    )
    return bool(rows[0][0])


def record_sweep(account: str) -> Plan[float]:
    """See :meth:`ImportLedger.record_sweep`."""
    rows = yield Sql(
        _sql(
            """INSERT INTO {s}.sweeps VALUES (%(account)s, {now}) ON CONFLICT (account)
            DO UPDATE SET swept_at = excluded.swept_at RETURNING swept_at"""
        ),
        {"account": rules.text("account", account)},
    )
    return _at(rows[0][0])


def last_sweep(account: str) -> Plan[float | None]:
    """See :meth:`ImportLedger.last_sweep`."""
    rows = yield Sql(
        "SELECT swept_at FROM {s}.sweeps WHERE account = %(account)s", {"account": account}
    )
    return _at(rows[0][0]) if rows else None


# --- status writes ---------------------------------------------------------------------------


def record_status_write(account: str, plenty_order_id: int, status: Decimal) -> Plan[StatusWrite]:
    """See :meth:`ImportLedger.record_status_write`."""
    rules.text("account", account)
    order, normalized = rules.order_id(plenty_order_id), rules.status(status)
    rows = yield Sql(
        _sql(
            """INSERT INTO {s}.status_writes (account, plenty_order_id, status, recorded_at)
            VALUES (%(account)s, %(order)s, %(status)s, {now}) RETURNING id, recorded_at"""
        ),
        {"account": account, "order": order, "status": str(normalized)},
    )
    return StatusWrite(rows[0][0], account, order, normalized, _at(rows[0][1]))


def forget_status_write(write: StatusWrite) -> Plan[bool]:
    """See :meth:`ImportLedger.forget_status_write`."""
    rows = yield Sql(
        "DELETE FROM {s}.status_writes WHERE id = %(id)s RETURNING 1", {"id": write.id}
    )
    return bool(rows)


def consume_status_write(account: str, plenty_order_id: int, status: Decimal) -> Plan[bool]:
    """See :meth:`ImportLedger.consume_status_write`."""
    order, normalized = rules.order_id(plenty_order_id), rules.status(status)
    # SKIP LOCKED: of two consumers racing for one record, the second takes the
    # next matching one instead of finding its pick gone and reporting none.
    rows = yield Sql(
        """DELETE FROM {s}.status_writes WHERE id = (
            SELECT id FROM {s}.status_writes
            WHERE plenty_order_id = %(order)s AND status = %(status)s AND account = %(account)s
            ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING 1""",
        {"account": account, "order": order, "status": str(normalized)},
    )
    return bool(rows)


# --- executions ------------------------------------------------------------------------------


def _key_params(key: rules.ExecutionKey) -> dict[str, object]:
    account, procedure, order, subject = key
    return {"account": account, "procedure": procedure, "order": order, "subject": subject}


def _execution_row_from(row: Row) -> rules.ExecutionRow:
    *fields, created, updated, owner, epoch, lease_until = row
    account, procedure, order, subject, state, reason, error, attempts, retry_at, held, data = (
        fields
    )
    execution = Execution(
        account, procedure, order, subject, ExecutionState(state), reason, error, attempts,
        _seconds(retry_at), held, json.loads(data), _at(created), _at(updated),
    )  # fmt: skip
    return rules.ExecutionRow(execution, owner, epoch, _at(lease_until))


# An execution's row is locked for the rest of its call's transaction; a call that
# may create it inserts it first (unclaimed), so racing creators wait on the key.
_CREATE_EXECUTION = _sql(
    """INSERT INTO {s}.executions (account, procedure, plenty_order_id, subject, state,
    attempts, quarantined, data, created_at, updated_at, epoch, lease_until)
    VALUES (%(account)s, %(procedure)s, %(order)s, %(subject)s, 'pending', 0, false,
    '{{}}'::json, {now}, {now}, 0, to_timestamp(0)) ON CONFLICT DO NOTHING"""
)
_LOCK_EXECUTION = _sql("SELECT {execution} FROM {s}.executions WHERE {execution_key} FOR UPDATE")
_STORE_EXECUTION = _sql(
    """UPDATE {s}.executions SET state = %(state)s, reason = %(reason)s,
    last_error = %(error)s, attempts = %(attempts)s, next_retry_at = to_timestamp(%(retry_at)s),
    quarantined = %(quarantined)s, data = %(data)s::json, updated_at = to_timestamp(%(updated)s),
    owner = %(owner)s, epoch = %(epoch)s, lease_until = to_timestamp(%(lease_until)s)
    WHERE {execution_key}"""
)


def _change_execution(
    key: rules.ExecutionKey, change: rules.Change[T], *, create: bool = False
) -> Plan[T]:
    """Apply ``change`` to the locked row of ``key`` (see ``ExecutionCalls._change_execution``)."""
    params = _key_params(key)
    if create:
        yield Sql(_CREATE_EXECUTION, params)
    rows = yield Sql(_LOCK_EXECUTION, params)
    now = yield Sql(_sql("SELECT extract(epoch FROM {now})::float8"))
    row = _execution_row_from(rows[0]) if rows else None
    new, result = change(row, now[0][0])
    if new is not None and new is not row:
        e = new.execution
        yield Sql(
            _STORE_EXECUTION,
            {
                **params,
                "state": e.state.value,
                "reason": e.reason,
                "error": e.last_error,
                "attempts": e.attempts,
                "retry_at": e.next_retry_at,
                "quarantined": e.quarantined,
                "data": rules.json_text(e.data),
                "updated": e.updated_at,
                "owner": new.owner,
                "epoch": new.epoch,
                "lease_until": new.lease_until,
            },
        )
    return result


def begin_execution(
    account: str, procedure: str, plenty_order_id: int, subject: str, owner: str, *, lease: float
) -> Plan[ExecutionStart]:
    """See :meth:`ImportLedger.begin_execution`."""
    key, change = rules.begin_change(account, procedure, plenty_order_id, subject, owner, lease)
    return (yield from _change_execution(key, change, create=True))


def renew_execution(
    claim: ExecutionClaim, *, lease: float, data: dict[str, JSON] | None = None
) -> Plan[ExecutionClaim]:
    """See :meth:`ImportLedger.renew_execution`."""
    return (yield from _change_execution(*rules.renew_change(claim, lease, data)))


def finish_execution(
    claim: ExecutionClaim,
    state: ExecutionState,
    *,
    reason: str | None = None,
    data: dict[str, JSON] | None = None,
) -> Plan[Execution]:
    """See :meth:`ImportLedger.finish_execution`."""
    return (yield from _change_execution(*rules.finish_change(claim, state, reason, data)))


def postpone_execution(
    claim: ExecutionClaim, reason: str, *, retry_in: float, data: dict[str, JSON] | None = None
) -> Plan[Execution]:
    """See :meth:`ImportLedger.postpone_execution`."""
    return (yield from _change_execution(*rules.postpone_change(claim, reason, retry_in, data)))


def fail_execution(
    claim: ExecutionClaim,
    error: str,
    *,
    retry_in: float | None,
    data: dict[str, JSON] | None = None,
) -> Plan[Execution]:
    """See :meth:`ImportLedger.fail_execution`."""
    return (yield from _change_execution(*rules.fail_change(claim, error, retry_in, data)))


def release_execution(
    account: str, procedure: str, plenty_order_id: int, subject: str
) -> Plan[Execution]:
    """See :meth:`ImportLedger.release_execution`."""
    change = rules.release_change(account, procedure, plenty_order_id, subject)
    return (yield from _change_execution(*change))


def execution(
    account: str, procedure: str, plenty_order_id: int, subject: str
) -> Plan[Execution | None]:
    """See :meth:`ImportLedger.execution`."""
    rows = yield Sql(
        _sql("SELECT {execution} FROM {s}.executions WHERE {execution_key}"),
        _key_params((account, procedure, plenty_order_id, subject)),
    )
    return _execution_row_from(rows[0]).execution if rows else None


def due_executions(account: str, *, limit: int = 100) -> Plan[list[Execution]]:
    """See :meth:`ImportLedger.due_executions`."""
    rows = yield Sql(
        _sql(
            """SELECT {execution} FROM {s}.executions
            WHERE account = %(account)s AND state IN ('pending', 'failed') AND NOT quarantined
            AND next_retry_at <= {now}
            ORDER BY next_retry_at, procedure, plenty_order_id, subject LIMIT %(limit)s"""
        ),
        {"account": account, "limit": rules.count("limit", limit)},
    )
    return [_execution_row_from(row).execution for row in rows]


def executions(
    account: str | None = None,
    *,
    procedure: str | None = None,
    plenty_order_id: int | None = None,
    state: ExecutionState | None = None,
    quarantined: bool | None = None,
) -> Plan[list[Execution]]:
    """See :meth:`ImportLedger.executions`."""
    wanted, _ = rules.execution_filter(account, procedure, plenty_order_id, state, quarantined)
    rows = yield Sql(
        _sql(
            """SELECT {execution} FROM {s}.executions
            WHERE (%(account)s::text IS NULL OR account = %(account)s)
            AND (%(procedure)s::text IS NULL OR procedure = %(procedure)s)
            AND (%(order)s::bigint IS NULL OR plenty_order_id = %(order)s)
            AND (%(state)s::text IS NULL OR state = %(state)s)
            AND (%(quarantined)s::boolean IS NULL OR quarantined = %(quarantined)s)
            ORDER BY account, procedure, plenty_order_id, subject"""
        ),
        {
            "account": account,
            "procedure": procedure,
            "order": plenty_order_id,
            "state": None if wanted is None else wanted.value,
            "quarantined": quarantined,
        },
    )
    return [_execution_row_from(row).execution for row in rows]


PROTOCOL_PLANS: Mapping[str, Callable[..., Plan[Any]]] = {
    plan.__name__: plan
    for plan in (
        claim, renew, confirm, release_claim, bind, binding, binding_for_order, update_binding,
        decide, decision, needs_look, record_failure, quarantine, failure, clear_failure,
        due_retries, failures, release_failure, mark_handled, cursor, save_cursor, sweep_due,
        record_sweep, last_sweep, record_status_write, forget_status_write, consume_status_write,
        begin_execution, renew_execution, finish_execution, postpone_execution, fail_execution,
        execution, due_executions, executions, release_execution,
    )
}  # fmt: skip
"""Every protocol method but ``migrate`` and ``close``, by name (for the tests)."""
