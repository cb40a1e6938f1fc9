"""The PostgreSQL ledger's schema, as an append-only list of migration steps.

Step *n* takes a schema from version *n - 1* to *n*. A released step is never
edited: a later release appends a step, and ``migrate()`` applies every step
the store has not seen, in one transaction with the version bump that records
them, under an advisory lock (workers migrating at once wait for each other,
then find nothing left to do).

``{s}`` stands for the ledger's schema (a checked identifier). Times are
``timestamptz`` on the database's clock; cursor values are ``json`` (kept as
written); a binding's paid parts and steps done are text arrays.
"""

from __future__ import annotations

from collections.abc import Sequence

V1: Sequence[str] = (
    """CREATE TABLE {s}.bindings (
        account text NOT NULL,
        form_id text NOT NULL,
        plenty_order_id bigint NOT NULL,
        origin text NOT NULL CHECK (origin IN ('created', 'adopted', 'manual')),
        revision text,
        paid_parts text[] NOT NULL DEFAULT ARRAY[]::text[],
        steps_done text[] NOT NULL DEFAULT ARRAY[]::text[],
        bound_at timestamptz NOT NULL,
        note text,
        PRIMARY KEY (account, form_id),
        -- The other direction: an order is the binding of one form only.
        CONSTRAINT bindings_one_form_per_order UNIQUE (plenty_order_id)
    )""",
    """CREATE TABLE {s}.claims (
        account text NOT NULL,
        key text NOT NULL,
        owner text,
        epoch bigint NOT NULL,
        lease_until timestamptz NOT NULL,
        PRIMARY KEY (account, key)
    )""",
    """CREATE TABLE {s}.decisions (
        account text NOT NULL,
        form_id text NOT NULL,
        reason text NOT NULL,
        final boolean NOT NULL,
        revision text,
        updated_at timestamptz,
        fulfillment_status text,
        fingerprint text NOT NULL,
        decided_at timestamptz NOT NULL,
        PRIMARY KEY (account, form_id)
    )""",
    """CREATE TABLE {s}.failures (
        account text NOT NULL,
        form_id text NOT NULL,
        attempts integer NOT NULL,
        last_error text NOT NULL,
        next_retry_at timestamptz,
        quarantined boolean NOT NULL,
        quarantine_reason text,
        first_failed_at timestamptz NOT NULL,
        last_failed_at timestamptz NOT NULL,
        PRIMARY KEY (account, form_id)
    )""",
    "CREATE INDEX failures_due ON {s}.failures (account, next_retry_at) WHERE NOT quarantined",
    """CREATE TABLE {s}.cursors (
        account text NOT NULL,
        name text NOT NULL,
        value json NOT NULL,
        version bigint NOT NULL,
        saved_at timestamptz NOT NULL,
        PRIMARY KEY (account, name)
    )""",
    "CREATE TABLE {s}.sweeps (account text PRIMARY KEY, swept_at timestamptz NOT NULL)",
    """CREATE TABLE {s}.status_writes (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        account text NOT NULL,
        plenty_order_id bigint NOT NULL,
        status text NOT NULL,
        recorded_at timestamptz NOT NULL
    )""",
    "CREATE INDEX status_writes_by_order ON {s}.status_writes (plenty_order_id, status, id)",
)

V2: Sequence[str] = (
    # The executions of event procedures, with the claim of the attempt under way
    # (owner, epoch, lease_until) in the same row. ``data`` is json, kept as written.
    """CREATE TABLE {s}.executions (
        account text NOT NULL,
        procedure text NOT NULL,
        plenty_order_id bigint NOT NULL,
        subject text NOT NULL,
        state text NOT NULL CHECK (state IN ('pending', 'done', 'skipped', 'failed')),
        reason text,
        last_error text,
        attempts integer NOT NULL,
        next_retry_at timestamptz,
        quarantined boolean NOT NULL,
        data json NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        owner text,
        epoch bigint NOT NULL,
        lease_until timestamptz NOT NULL,
        PRIMARY KEY (account, procedure, plenty_order_id, subject)
    )""",
    """CREATE INDEX executions_due ON {s}.executions (account, next_retry_at)
        WHERE state IN ('pending', 'failed') AND NOT quarantined""",
    "CREATE INDEX executions_by_order ON {s}.executions (plenty_order_id)",
)

MIGRATIONS: list[Sequence[str]] = [V1, V2]
"""Step ``MIGRATIONS[n - 1]`` brings a schema to version ``n``. Append only."""
