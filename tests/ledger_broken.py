"""Deliberately broken ledgers: the contract suite must catch each of them.

Each one removes exactly one safeguard from :class:`SqliteLedger` (they reach
into its private transaction runner to do so; no user code should).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection

from allegro_plenty.ledger import (
    JSON,
    Binding,
    BindingOrigin,
    Claim,
    Cursor,
    FormVersion,
    SqliteLedger,
)


class ClaimWithoutCompareAndSet(SqliteLedger):
    """Looks whether the key is free, then takes it: two steps, so two workers both win."""

    def claim(self, account: str, key: str, owner: str, *, lease: float) -> Claim | None:
        def look(con: sqlite3.Connection) -> tuple[str | None, float, int] | None:
            row = con.execute(
                "SELECT owner, lease_until, epoch FROM claims WHERE account = ? AND key = ?",
                (account, key),
            ).fetchone()
            return None if row is None else (row[0], row[1], row[2])

        found = self._run(look, write=False)
        now = self._clock()
        if found is not None and found[0] not in (None, owner) and found[1] > now:
            return None
        taken = Claim(account, key, owner, (found[2] if found else 0) + 1, now + lease)

        def take(con: sqlite3.Connection) -> None:
            con.execute(
                "INSERT OR REPLACE INTO claims VALUES (?, ?, ?, ?, ?)",
                (account, key, owner, taken.epoch, taken.lease_until),
            )

        self._run(take, write=True)
        return taken


class RenewWithoutOwnerCheck(SqliteLedger):
    """Extends whatever claim is stored on the key, whoever holds it."""

    def renew(self, claim: Claim, *, lease: float) -> Claim:
        def extend(con: sqlite3.Connection) -> None:
            con.execute(
                "UPDATE claims SET lease_until = ? WHERE account = ? AND key = ?",
                (self._clock() + lease, claim.account, claim.key),
            )

        self._run(extend, write=True)
        return claim

    def confirm(self, claim: Claim) -> None:
        return None


class BindWithoutUniqueness(SqliteLedger):
    """Overwrites an existing binding instead of refusing the second one."""

    def bind(
        self,
        account: str,
        form_id: str,
        plenty_order_id: int,
        *,
        origin: BindingOrigin,
        revision: str | None = None,
    ) -> Binding:
        def overwrite(con: sqlite3.Connection) -> None:
            con.execute(
                "DELETE FROM bindings WHERE plenty_order_id = ? OR (account = ? AND form_id = ?)",
                (plenty_order_id, account, form_id),
            )
            con.execute(
                "INSERT INTO bindings VALUES (?, ?, ?, ?, ?, ?, ?)",
                (account, form_id, plenty_order_id, origin.value, revision, self._clock(), None),
            )

        self._run(overwrite, write=True)
        empty: Collection[str] = frozenset()
        return Binding(
            account, form_id, plenty_order_id, origin, revision, frozenset(empty),
            frozenset(empty), self._clock(),
        )  # fmt: skip


class CursorWithoutVersionCheck(SqliteLedger):
    """Saves whatever it is given, whatever version the caller read."""

    def save_cursor(self, account: str, name: str, value: JSON, *, expected_version: int) -> Cursor:
        def save(con: sqlite3.Connection) -> Cursor:
            row = con.execute(
                "SELECT version FROM cursors WHERE account = ? AND name = ?", (account, name)
            ).fetchone()
            version = (row[0] if row else 0) + 1
            con.execute(
                "INSERT OR REPLACE INTO cursors VALUES (?, ?, ?, ?, ?)",
                (account, name, json.dumps(value), version, self._clock()),
            )
            return Cursor(account, name, value, version, self._clock())

        return self._run(save, write=True)


class DecisionsIgnoringTheFingerprint(SqliteLedger):
    """Re-opens a decision only for a changed form, never for a changed configuration."""

    def needs_look(
        self, account: str, form_id: str, *, version: FormVersion, fingerprint: str
    ) -> bool:
        decision = self.decision(account, form_id)
        if decision is None:
            return True
        return decision.needs_another_look(version, decision.fingerprint)


class WithoutBusyRetry(SqliteLedger):
    """Tries each transaction once and lets SQLite's own error through."""

    def _run(self, work, *, write, checked=False):  # type: ignore[no-untyped-def]
        con = sqlite3.connect(self.path, timeout=0, isolation_level=None)
        try:
            return self._transaction(con, work, write)
        finally:
            con.close()


class ExecutionsReadThenWritten(SqliteLedger):
    """Reads an execution in one transaction and writes the change in another, so
    two workers that read it before either wrote both begin it."""

    def _change_execution(self, key, change):  # type: ignore[no-untyped-def]
        from allegro_plenty.ledger import _sqlite_rows as sql_rows

        row = self._run(lambda con: sql_rows.execution_row(con, key), write=False)
        new, result = change(row, self._clock())
        if new is not None and new is not row:
            self._run(lambda con: sql_rows.store_execution(con, new), write=True)
        return result
