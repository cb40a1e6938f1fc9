"""A worker whose PostgreSQL connection drops mid-run (its backend terminated, or the server
restarted) in the middle of the ledger call that binds an order plentymarkets just created:
that form fails cleanly with a typed error, and the next run finishes the work, nothing
doubled. (A connection that dropped *between* calls is not even noticed: the pool checks
each connection before handing it out and replaces a dead one.)"""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from allegro_plenty.importer import EntryKind
from allegro_plenty.ledger.postgres import AsyncPostgresLedger, PostgresLedger

from .importer_support import MODES, World
from .pg_ledgers import Shift, open_ledger

pytestmark = pytest.mark.slow

VICTIM = "allegro-plenty-victim"
"""The application name of the worker's connections: only those are cut."""


def terminate(postgres: Any) -> None:
    with psycopg.connect(postgres.dsn, autocommit=True) as con:
        cut = con.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = %s",
            (VICTIM,),
        ).fetchone()
    assert cut is not None
    assert cut[0] >= 1


def restart(postgres: Any) -> None:
    server_of(postgres).restart()


def server_of(postgres: Any) -> Any:
    if postgres.server is None:
        pytest.skip("ALLEGRO_PLENTY_PG_DSN names a server these tests may not stop")
    return postgres.server


CUTS = {"terminated": terminate, "restarted": restart}


class CutAtBind:
    """Cuts the connection (``cut``) just before the ledger sends its first binding insert,
    in the middle of the ``bind`` call's transaction."""

    cut: Any = None

    def _statement(self, sql: Any) -> Any:
        if self.cut is not None and "INSERT INTO {s}.bindings" in sql.text:
            cut, self.cut = self.cut, None
            cut()
        return super()._statement(sql)  # type: ignore[misc]


class SyncCut(CutAtBind, PostgresLedger):
    pass


class AsyncCut(CutAtBind, AsyncPostgresLedger):
    pass


def close(importer: Any, ledger: Any) -> None:
    """Close the ledger's pool (an async one in the loop it runs in)."""
    if importer.loop is None:
        ledger.close()
    else:
        importer.loop.run_until_complete(ledger.close())


def dropped_then_next_run(
    postgres: Any, pg_schema: str, mode: str, cut: str
) -> tuple[World, list[str]]:
    """The first run with the cut, then the next; the world and its forms."""
    world = World()
    dsn = f"{postgres.dsn} application_name={VICTIM}"
    with open_ledger(postgres.dsn, pg_schema) as setup:
        setup.migrate()
    kind = SyncCut if mode == "sync" else AsyncCut
    ledger = kind(dsn, schema=pg_schema, time_shift=Shift(world.clock.time))
    ledger.cut = lambda: CUTS[cut](postgres)
    world.ledger = ledger
    forms = [world.add(seed=seed) for seed in (31, 32, 33)]

    with world.importer(mode) as importer:
        first = importer.run()
        close(importer, ledger)
    assert ledger.cut is None, "never cut"
    (failed,) = first.of(EntryKind.FAILED)
    assert (failed.reason or "").startswith("LedgerStorageError: "), failed
    assert len(world.orders(failed.checkout_form_id)) == 1  # created, not bound
    assert len(first.of(EntryKind.CREATED)) == 2

    world.ledger = kind(dsn, schema=pg_schema, time_shift=Shift(world.clock.time))  # a new worker
    world.clock.advance(3600)  # past the retry delay of the failed form
    with world.importer(mode) as importer:
        importer.run()
        close(importer, world.ledger)
    return world, forms


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("cut", sorted(CUTS))
def test_a_dropped_connection_fails_the_run_and_the_next_run_finishes_it(
    postgres: Any, pg_schema: str, mode: str, cut: str
) -> None:
    world, forms = dropped_then_next_run(postgres, pg_schema, mode, cut)
    assert {form_id: len(world.orders(form_id)) for form_id in forms} == dict.fromkeys(forms, 1)
    with open_ledger(postgres.dsn, pg_schema) as ledger:
        bound = {
            f: getattr(ledger.binding(world.seller, f), "plenty_order_id", None) for f in forms
        }
    assert bound == {form_id: world.orders(form_id)[0] for form_id in forms}


def test_negative_control_without_the_look_up_the_next_run_doubles_the_order(
    postgres: Any, pg_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same harness with the importer's look-up of the external id broken: the order
    created before the cut is created again, and the harness sees it."""
    from allegro_plenty.importer import order

    from .crash_harness import _never_found

    monkeypatch.setattr(order, "find_existing", _never_found)
    world, forms = dropped_then_next_run(postgres, pg_schema, "sync", "terminated")
    assert sorted(len(world.orders(form_id)) for form_id in forms) == [1, 1, 2]


@pytest.mark.parametrize("mode", MODES)
def test_a_server_down_for_the_rest_of_the_run_cuts_the_run_short_and_the_next_finishes(
    postgres: Any, pg_schema: str, mode: str
) -> None:
    """The server stops in the middle of the bind and stays down: the form's failure cannot
    be recorded either, so the account's run is cut short with a warning naming the
    ledger's error; once the server is back, the next run adopts the order."""
    server = server_of(postgres)
    world = World()
    with open_ledger(postgres.dsn, pg_schema) as setup:
        setup.migrate()
    kind = SyncCut if mode == "sync" else AsyncCut
    ledger = kind(postgres.dsn, schema=pg_schema, time_shift=Shift(world.clock.time), timeout=2)
    ledger.cut = server.pause
    world.ledger = ledger
    forms = [world.add(seed=seed) for seed in (41, 42)]
    try:
        with world.importer(mode) as importer:
            first = importer.run()
            close(importer, ledger)
    finally:
        server.resume()
    assert ledger.cut is None, "never cut"
    assert not first.complete
    (warning,) = first.warnings
    assert warning.code == "account_interrupted"
    assert "LedgerStorageError" in warning.message, warning
    assert sorted(len(world.orders(form_id)) for form_id in forms) == [0, 1]

    world.ledger = kind(postgres.dsn, schema=pg_schema, time_shift=Shift(world.clock.time))
    world.clock.advance(3600)
    with world.importer(mode) as importer:
        importer.run()
        close(importer, world.ledger)
    assert {form_id: len(world.orders(form_id)) for form_id in forms} == dict.fromkeys(forms, 1)
