"""What only the PostgreSQL ledger has: a server, a schema, a pool, the database's clock.

The contract suite (``test_ledger_postgres_contract``) covers the protocol; this
module covers the rest against a real server: migrations (also several at
once, also from an older store), workers with skewed clocks, a server restarted
mid-call, no lock outliving a call, forks, pools passed in, and errors.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import multiprocessing
import os
import re
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool, ConnectionPool

from allegro_plenty.errors import (
    LedgerError,
    LedgerInputError,
    LedgerSchemaError,
    LedgerStorageError,
)
from allegro_plenty.ledger import AsyncImportLedger, BindingOrigin, Claim, ImportLedger
from allegro_plenty.ledger import _pg_plans as plans
from allegro_plenty.ledger import _pg_schema as schema
from allegro_plenty.ledger.postgres import AsyncPostgresLedger, PostgresLedger, _Planned
from allegro_plenty.testing._ledger_race import claim_every_key, claim_violations, race
from allegro_plenty.testing.ledger_contract import check_legacy_records

from .pg_ledgers import load_legacy_dump, open_ledger
from .pg_server import Postgres, ThrowawayServer

ACCOUNT = "seller-1"


@pytest.fixture
def ledger(postgres: Postgres, pg_schema: str) -> Iterator[PostgresLedger]:
    opened = open_ledger(postgres.dsn, pg_schema)
    opened.migrate()
    yield opened
    opened.close()


def _query(dsn: str, sql: str, *params: object) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn, autocommit=True) as con:
        done = con.execute(sql, params)  # type: ignore[arg-type]
        return done.fetchall() if done.description else []


# --- the package -------------------------------------------------------------------------


def test_the_library_imports_no_psycopg_unless_asked_to() -> None:
    check = (
        "import sys, allegro_plenty, allegro_plenty.ledger, allegro_plenty.tokens, "
        "allegro_plenty.testing; assert 'psycopg' not in sys.modules, 'psycopg was imported'"
    )
    run = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, timeout=60, check=False
    )
    assert run.returncode == 0, run.stderr


@pytest.mark.parametrize(
    "module", ["allegro_plenty.ledger.postgres", "allegro_plenty.tokens_postgres"]
)
def test_without_psycopg_the_import_error_names_the_extra(module: str) -> None:
    check = (
        "import sys; sys.modules['psycopg'] = None\n"  # what an absent package looks like
        f"try:\n    import {module}\nexcept ImportError as exc:\n    print(exc)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, timeout=60, check=False
    )
    assert run.returncode == 0, run.stderr
    assert "pip install 'allegro-plenty[postgres]'" in run.stdout


def _protocol_methods(protocol: type) -> dict[str, Callable[..., Any]]:
    return {
        name: member
        for name, member in vars(protocol).items()
        if callable(member) and not name.startswith("_")
    }


def test_each_method_is_one_plan_with_the_protocols_parameters() -> None:
    methods = _protocol_methods(ImportLedger)
    assert set(plans.PROTOCOL_PLANS) == set(methods) - {"migrate", "close"}
    for name, plan in plans.PROTOCOL_PLANS.items():
        declared = inspect.signature(methods[name])
        without_self = declared.replace(parameters=list(declared.parameters.values())[1:])
        assert str(inspect.signature(plan)).split(" -> ")[0] == str(without_self).split(" -> ")[0]
        for ledger in (PostgresLedger, AsyncPostgresLedger):
            served = vars(ledger).get(name) or vars(ledger.__mro__[1])[name]
            assert isinstance(served, _Planned), (ledger, name)
            assert served.plan is plan


def test_the_async_ledger_is_natively_async(postgres: Postgres, pg_schema: str) -> None:
    ledger = AsyncPostgresLedger(postgres.dsn, schema=pg_schema)
    for name in _protocol_methods(AsyncImportLedger):
        assert inspect.iscoroutinefunction(getattr(ledger, name)), name
    for name in _protocol_methods(ImportLedger):
        assert not inspect.iscoroutinefunction(getattr(PostgresLedger, name)), name

    async def main() -> int:
        async with ledger:
            before = threading.active_count()
            version = await ledger.migrate()
            await ledger.claim(ACCOUNT, "form-1", "task", lease=60)
            assert threading.active_count() == before  # no worker thread behind it
            return version

    assert asyncio.run(main()) == len(schema.MIGRATIONS)


# --- arguments and errors ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["", "Public", "1abc", "a-b", "x" * 64, "s; DROP TABLE t"])
def test_a_schema_name_that_is_no_plain_identifier_is_refused(name: str) -> None:
    with pytest.raises(LedgerInputError, match="schema"):
        PostgresLedger("host=127.0.0.1", schema=name)


def test_dsn_and_pool_are_one_or_the_other() -> None:
    with pytest.raises(LedgerInputError, match="either dsn or pool"):
        PostgresLedger()
    pool = ConnectionPool("host=127.0.0.1", open=False)
    with pytest.raises(LedgerInputError, match="either dsn or pool"):
        PostgresLedger("host=127.0.0.1", pool=pool)


def test_a_malformed_dsn_is_refused_without_quoting_it() -> None:
    with pytest.raises(LedgerInputError, match="not a valid PostgreSQL") as refused:
        PostgresLedger("host=127.0.0.1 password=hunter2-secret sslmode")
    assert "hunter2" not in str(refused.value)


def test_an_unreachable_server_is_a_storage_error_that_shows_no_password() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again below: nobody listens there
    ledger = PostgresLedger(
        f"postgresql://worker:hunter2-secret@127.0.0.1:{port}/shop", timeout=0.5
    )
    assert "hunter2" not in repr(ledger)
    with pytest.raises(LedgerStorageError) as failed:
        ledger.binding(ACCOUNT, "form-1")
    assert (
        failed.value.location == f"postgresql://worker@127.0.0.1:{port}/shop schema allegro_plenty"
    )
    assert "hunter2" not in str(failed.value)
    ledger.close()


def test_values_postgresql_cannot_store_are_input_errors(ledger: PostgresLedger) -> None:
    with pytest.raises(LedgerInputError, match="NUL"):
        ledger.bind("seller\x00x", "form-1", 1, origin=BindingOrigin.CREATED)
    with pytest.raises(LedgerInputError, match="out of range"):
        ledger.bind(ACCOUNT, "form-1", 2**63, origin=BindingOrigin.CREATED)
    assert ledger.binding_for_order(1) is None


def test_a_closed_ledger_says_so(ledger: PostgresLedger) -> None:
    ledger.close()
    with pytest.raises(LedgerError, match=r"PostgresLedger\(.*\) is closed") as closed:
        ledger.binding(ACCOUNT, "form-1")
    assert type(closed.value) is LedgerError


# --- the schema --------------------------------------------------------------------------


def test_migrate_makes_the_current_schema(postgres: Postgres, ledger: PostgresLedger) -> None:
    tables = _query(
        postgres.dsn,
        "SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY 1",
        ledger.schema,
    )
    assert [t for (t,) in tables] == [
        "bindings", "claims", "cursors", "decisions", "executions", "failures",
        "schema_version", "status_writes", "sweeps",
    ]  # fmt: skip
    version = _query(postgres.dsn, f"SELECT version FROM {ledger.schema}.schema_version")
    assert version == [(len(schema.MIGRATIONS),)]


def test_a_store_is_used_only_once_migrated(postgres: Postgres, pg_schema: str) -> None:
    ledger = open_ledger(postgres.dsn, pg_schema)
    with pytest.raises(LedgerSchemaError, match=r"call migrate\(\)") as waiting:
        ledger.binding(ACCOUNT, "form-1")
    assert waiting.value.found == 0
    assert _query(postgres.dsn, "SELECT 1 FROM pg_namespace WHERE nspname = %s", pg_schema) == []
    assert ledger.migrate() == len(schema.MIGRATIONS)
    assert ledger.binding(ACCOUNT, "form-1") is None
    ledger.close()


def test_a_store_of_a_newer_release_is_refused(
    postgres: Postgres, ledger: PostgresLedger, pg_schema: str
) -> None:
    _query(postgres.dsn, f"UPDATE {pg_schema}.schema_version SET version = 99 RETURNING 1")
    fresh = open_ledger(postgres.dsn, pg_schema)
    with pytest.raises(LedgerSchemaError, match="newer") as refused:
        fresh.binding(ACCOUNT, "form-1")
    assert (refused.value.found, refused.value.supported) == (99, len(schema.MIGRATIONS))
    with pytest.raises(LedgerSchemaError, match="newer"):
        fresh.migrate()
    fresh.close()


def test_a_schema_of_something_else_is_not_taken_over(postgres: Postgres, pg_schema: str) -> None:
    _query(postgres.dsn, f"CREATE SCHEMA {pg_schema}")
    _query(postgres.dsn, f"CREATE TABLE {pg_schema}.invoices (id int)")
    ledger = open_ledger(postgres.dsn, pg_schema)
    for call in (ledger.migrate, lambda: ledger.binding(ACCOUNT, "form-1")):
        with pytest.raises(LedgerSchemaError, match="not a ledger's schema"):
            call()
    ledger.close()


def test_the_v1_store_migrates_in_place_to_the_executions_schema(
    postgres: Postgres, pg_schema: str
) -> None:
    load_legacy_dump(postgres.dsn, pg_schema)
    ledger = open_ledger(postgres.dsn, pg_schema)
    with pytest.raises(LedgerSchemaError, match="version 1; this release needs 2"):
        ledger.binding_for_order(9001)
    assert ledger.migrate() == 2
    assert ledger.migrate() == 2
    check_legacy_records(ledger)
    ledger.close()
    assert _query(postgres.dsn, f"SELECT version FROM {pg_schema}.schema_version") == [(2,)]
    assert _query(postgres.dsn, f"SELECT count(*) FROM {pg_schema}.executions") == [(1,)]


LATER_STEP = (
    """CREATE TABLE {s}.later_things (
        account text NOT NULL, thing text NOT NULL, PRIMARY KEY (account, thing))""",
)


def test_the_v1_store_migrates_in_place_when_a_release_appends_a_step(
    postgres: Postgres, pg_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_legacy_dump(postgres.dsn, pg_schema)
    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, LATER_STEP])
    ledger = open_ledger(postgres.dsn, pg_schema)
    with pytest.raises(LedgerSchemaError, match="version 1; this release needs 3"):
        ledger.binding_for_order(9001)
    assert ledger.migrate() == 3
    assert ledger.migrate() == 3
    check_legacy_records(ledger)
    ledger.close()
    assert _query(postgres.dsn, f"SELECT version FROM {pg_schema}.schema_version") == [(3,)]
    assert _query(postgres.dsn, f"SELECT count(*) FROM {pg_schema}.later_things") == [(0,)]


def test_a_failing_migration_step_leaves_the_store_as_it_was(
    postgres: Postgres, pg_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_legacy_dump(postgres.dsn, pg_schema)
    broken = (*LATER_STEP, "ALTER TABLE {s}.no_such_table ADD COLUMN x text")
    current = list(schema.MIGRATIONS)
    monkeypatch.setattr(schema, "MIGRATIONS", [*current, broken])
    with pytest.raises(LedgerStorageError, match="no_such_table"):
        open_ledger(postgres.dsn, pg_schema).migrate()
    assert _query(postgres.dsn, f"SELECT version FROM {pg_schema}.schema_version") == [(1,)]
    for table in ("later_things", "executions"):
        found = _query(postgres.dsn, "SELECT to_regclass(%s)", f"{pg_schema}.{table}")
        assert found == [(None,)]
    monkeypatch.setattr(schema, "MIGRATIONS", [*current, LATER_STEP])
    ledger = open_ledger(postgres.dsn, pg_schema)
    assert ledger.migrate() == 3
    check_legacy_records(ledger)
    ledger.close()


def _migrate_own_handle(dsn: str, schema_name: str, _: object, worker: str) -> int:
    ledger = open_ledger(dsn, schema_name)  # a handle (and connection) of its own
    try:
        return ledger.migrate()
    finally:
        ledger.close()


def _race_migrations(dsn: str, schema_name: str) -> list[str]:
    work = functools.partial(_migrate_own_handle, dsn, schema_name)
    unused = open_ledger(dsn, schema_name)  # each racer opens its own handle
    outcome = race(work, threads=6, ledger=unused)
    unused.close()
    wrong = [f"migrated to {v}" for v in outcome.results if v != len(schema.MIGRATIONS)]
    return outcome.errors + wrong


def test_workers_migrating_one_new_store_at_once_all_succeed(
    postgres: Postgres, pg_schema: str
) -> None:
    assert _race_migrations(postgres.dsn, pg_schema) == []
    ledger = open_ledger(postgres.dsn, pg_schema)
    assert ledger.binding(ACCOUNT, "form-1") is None
    ledger.close()


def test_negative_control_without_the_advisory_lock_concurrent_migrations_fail(
    postgres: Postgres, pg_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plans, "MIGRATION_LOCK", plans.Sql("SELECT 1"))
    problems = _race_migrations(postgres.dsn, pg_schema)
    assert any("LedgerStorageError" in problem for problem in problems), problems


# --- the database's clock ----------------------------------------------------------------


class _TrueTime:
    """The real time, carried on by the monotonic clock while ``time.time`` is skewed."""

    def __init__(self) -> None:
        self.wall, self.mono = time.time(), time.monotonic()

    def __call__(self) -> float:
        return self.wall + time.monotonic() - self.mono


def _takeovers(
    open_worker: Callable[[], PostgresLedger],
    honest: PostgresLedger,
    skew: float,
    monkeypatch: pytest.MonkeyPatch,
) -> list[str]:
    """A worker whose ``time.time`` is off by ``skew`` seconds next to one whose is right:
    each claims a key (60 s leases) and tries to take the other's at once."""
    true_time = _TrueTime()
    mine = honest.claim(ACCOUNT, "honest-key", "honest-worker", lease=60)
    assert mine is not None
    with monkeypatch.context() as patched:
        patched.setattr(time, "time", lambda: true_time() + skew)
        skewed = open_worker()
        try:
            theirs = skewed.claim(ACCOUNT, "skewed-key", "skewed-worker", lease=60)
            assert theirs is not None
            taken = [skewed.claim(ACCOUNT, "honest-key", "skewed-worker", lease=60)]
        finally:
            skewed.close()
    taken.append(honest.claim(ACCOUNT, "skewed-key", "honest-worker", lease=60))
    return [f"{claim.owner} took {claim.key!r}" for claim in taken if claim is not None]


@pytest.mark.parametrize("skew", [300.0, -300.0])
def test_a_worker_with_a_skewed_clock_never_takes_over_a_live_claim(
    postgres: Postgres, ledger: PostgresLedger, skew: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    def worker() -> PostgresLedger:
        return open_ledger(postgres.dsn, ledger.schema)

    assert _takeovers(worker, ledger, skew, monkeypatch) == []


@pytest.mark.parametrize("skew", [300.0, -300.0])
def test_negative_control_a_ledger_on_the_workers_clock_lets_skewed_workers_take_over(
    postgres: Postgres, ledger: PostgresLedger, skew: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    true_time = _TrueTime()

    def worker_on_its_own_clock() -> PostgresLedger:
        # Broken on purpose: leases measured on time.time, as a worker-side ledger would.
        return PostgresLedger(
            postgres.dsn, schema=ledger.schema, time_shift=lambda: time.time() - true_time()
        )

    assert _takeovers(worker_on_its_own_clock, ledger, skew, monkeypatch) != []


# --- one call, one short transaction -----------------------------------------------------


def _lingering(dsn: str) -> list[tuple[Any, ...]]:
    """Other sessions that are inside a transaction or hold a lock right now."""
    return _query(
        dsn,
        """SELECT a.pid, a.state, (SELECT count(*) FROM pg_locks l WHERE l.pid = a.pid)
        FROM pg_stat_activity a WHERE a.backend_type = 'client backend'
        AND a.pid <> pg_backend_pid() AND (a.state <> 'idle'
        OR EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid))""",
    )


def test_no_transaction_nor_lock_outlives_a_call(
    postgres: Postgres, ledger: PostgresLedger
) -> None:
    claim = ledger.claim(ACCOUNT, "form-1", "worker", lease=60)
    assert claim is not None
    ledger.renew(claim, lease=60)
    ledger.bind(ACCOUNT, "form-1", 501, origin=BindingOrigin.CREATED)
    ledger.record_failure(ACCOUNT, "form-2", "HTTP 503", retry_in=60)
    ledger.save_cursor(ACCOUNT, "events", {"id": 1}, expected_version=0)
    assert _lingering(postgres.dsn) == []
    # The probe sees a session that keeps a row lock between two statements.
    with psycopg.connect(postgres.dsn) as holder:
        holder.execute(f"SELECT * FROM {ledger.schema}.claims FOR UPDATE")
        assert [state for _, state, _ in _lingering(postgres.dsn)] == ["idle in transaction"]


def _broken_claim(account: str, key: str, owner: str, *, lease: float) -> plans.Plan[Claim | None]:
    """Broken on purpose: looks whether the key is free, then takes it (two statements)."""
    rows = yield plans.Sql(
        "SELECT owner, lease_until > clock_timestamp(), epoch FROM {s}.claims "
        "WHERE account = %(account)s AND key = %(key)s",
        {"account": account, "key": key},
    )
    if rows and rows[0][0] not in (None, owner) and rows[0][1]:
        return None
    time.sleep(0.002)  # a real worker does something in between, too
    rows = yield plans.Sql(
        """INSERT INTO {s}.claims VALUES (%(account)s, %(key)s, %(owner)s, 1,
        clock_timestamp() + make_interval(secs => %(lease)s)) ON CONFLICT (account, key)
        DO UPDATE SET owner = excluded.owner, epoch = claims.epoch + 1,
        lease_until = excluded.lease_until RETURNING epoch, lease_until""",
        {"account": account, "key": key, "owner": owner, "lease": lease},
    )
    return Claim(account, key, owner, rows[0][0], rows[0][1].timestamp())


class _ClaimWithoutCompareAndSet(PostgresLedger):
    claim = _Planned(_broken_claim)  # type: ignore[assignment]


def test_negative_control_the_claim_race_catches_a_claim_read_then_written(
    postgres: Postgres, ledger: PostgresLedger
) -> None:
    broken = _ClaimWithoutCompareAndSet(postgres.dsn, schema=ledger.schema, max_connections=8)
    keys = [f"form-{n}" for n in range(40)]
    work = functools.partial(claim_every_key, account=ACCOUNT, keys=keys, lease=3600)
    outcome = race(work, threads=8, ledger=broken)
    broken.close()
    holds = [hold for holds in outcome.results for hold in holds]
    assert outcome.errors == []
    assert claim_violations(holds, keys) != []


# --- connections: a restarted server, a pool passed in, a fork ---------------------------


def _wait_until_blocked(dsn: str, table: str) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        waiting = _query(
            dsn,
            "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE %s",
            f"%{table}%",
        )
        if waiting:
            return
        time.sleep(0.02)
    raise AssertionError("the call never reached the lock")


def _restartable(postgres: Postgres) -> ThrowawayServer:
    if postgres.server is None:
        pytest.skip("ALLEGRO_PLENTY_PG_DSN names the server: only a server started here restarts")
    return postgres.server


def _restart_under(postgres: Postgres, pg_schema: str, call: Callable[[], object]) -> object:
    """Run ``call`` in a thread while the server restarts under it; return what it raised."""
    server = _restartable(postgres)
    outcome: list[object] = []
    blocker = psycopg.connect(postgres.dsn)
    blocker.execute(f"LOCK TABLE {pg_schema}.bindings IN ACCESS EXCLUSIVE MODE")

    def run() -> None:
        try:
            outcome.append(call())
        except Exception as exc:
            outcome.append(exc)

    caller = threading.Thread(target=run)
    caller.start()
    try:
        _wait_until_blocked(postgres.dsn, "bindings")  # the call is in flight
        server.restart()
    finally:
        caller.join(30)
        blocker.close()
    return outcome[0]


def test_a_restarted_server_fails_the_call_at_hand_and_the_next_call_works(
    postgres: Postgres, ledger: PostgresLedger, pg_schema: str
) -> None:
    def bind() -> object:
        return ledger.bind(ACCOUNT, "form-1", 501, origin=BindingOrigin.CREATED)

    failed = _restart_under(postgres, pg_schema, bind)
    assert isinstance(failed, LedgerStorageError), failed
    assert ledger.binding(ACCOUNT, "form-1") is None  # nothing half-written
    bound = ledger.bind(ACCOUNT, "form-1", 501, origin=BindingOrigin.CREATED)
    assert ledger.binding_for_order(501) == bound
    assert _query(postgres.dsn, f"SELECT count(*) FROM {pg_schema}.bindings") == [(1,)]


def test_the_async_ledger_also_recovers_from_a_restarted_server(
    postgres: Postgres, ledger: PostgresLedger, pg_schema: str
) -> None:
    _restartable(postgres)
    async_ledger = AsyncPostgresLedger(postgres.dsn, schema=pg_schema)
    loop = asyncio.new_event_loop()
    runner = threading.Thread(target=loop.run_forever, daemon=True)
    runner.start()

    def run(coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(30)

    try:
        assert run(async_ledger.binding(ACCOUNT, "form-1")) is None  # its pool is open

        def bind() -> object:
            return run(async_ledger.bind(ACCOUNT, "form-1", 501, origin=BindingOrigin.CREATED))

        failed = _restart_under(postgres, pg_schema, bind)
        assert isinstance(failed, LedgerStorageError), failed
        bound = run(async_ledger.bind(ACCOUNT, "form-1", 501, origin=BindingOrigin.CREATED))
        assert ledger.binding_for_order(501) == bound
    finally:
        run(async_ledger.close())
        loop.call_soon_threadsafe(loop.stop)
        runner.join(10)
        loop.close()


def test_a_pool_passed_in_is_used_and_left_open(postgres: Postgres, pg_schema: str) -> None:
    with ConnectionPool(postgres.dsn, min_size=1, max_size=2, open=True) as pool:
        with PostgresLedger(pool=pool, schema=pg_schema) as ledger:
            ledger.migrate()
            ledger.bind(ACCOUNT, "form-1", 501, origin=BindingOrigin.CREATED)
            assert repr(ledger).endswith(f" schema {pg_schema}')")
        assert not pool.closed
        with pool.connection() as con:
            found = con.execute(f"SELECT plenty_order_id FROM {pg_schema}.bindings").fetchall()
        assert found == [(501,)]

    async def main() -> int | None:
        async with AsyncConnectionPool(postgres.dsn, min_size=1, max_size=2, open=False) as apool:
            async with AsyncPostgresLedger(pool=apool, schema=pg_schema) as async_ledger:
                bound = await async_ledger.binding(ACCOUNT, "form-1")
            assert not apool.closed
            return None if bound is None else bound.plenty_order_id

    assert asyncio.run(main()) == 501


def _use_after_fork(ledger: PostgresLedger) -> None:
    claim = ledger.claim(ACCOUNT, "form-child", "child", lease=60)
    assert claim is not None
    ledger.bind(ACCOUNT, "form-child", 2, origin=BindingOrigin.CREATED)
    ledger.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_a_forked_child_opens_its_own_pool(ledger: PostgresLedger) -> None:
    ledger.bind(ACCOUNT, "form-parent", 1, origin=BindingOrigin.CREATED)  # the pool is open
    with warnings.catch_warnings():
        # Python 3.12+ warns about fork in a process with threads; this is the case tested.
        warnings.simplefilter("ignore", DeprecationWarning)
        child = multiprocessing.get_context("fork").Process(target=_use_after_fork, args=(ledger,))
        child.start()
    child.join(30)
    assert child.exitcode == 0
    assert ledger.binding_for_order(2) is not None  # the parent's pool still works
    assert ledger.claim(ACCOUNT, "form-child", "parent", lease=60) is None


def test_a_pool_passed_in_refuses_to_cross_a_fork(postgres: Postgres, pg_schema: str) -> None:
    with ConnectionPool(postgres.dsn, min_size=1, max_size=1, open=True) as pool:
        ledger = PostgresLedger(pool=pool, schema=pg_schema)
        ledger._pools.pid = -1  # as if this process were a fork of the one that opened it
        with pytest.raises(LedgerError, match="cannot cross a fork"):
            ledger.migrate()


# --- the documentation -------------------------------------------------------------------

DOC = Path(__file__).resolve().parents[1] / "docs" / "ledger.md"


def test_the_documented_example_runs_as_printed(
    postgres: Postgres, pg_schema: str, tmp_path: Path
) -> None:
    marker = re.compile(r"<!-- runnable with PostgreSQL: (\S+) -->\n```python\n(.*?)\n```", re.S)
    ((name, code),) = marker.findall(DOC.read_text(encoding="utf-8"))
    script = tmp_path / name
    script.write_text(code.replace('schema="shop_a"', f'schema="{pg_schema}"'), encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-W", "error", str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "ALLEGRO_PLENTY_PG_DSN": postgres.dsn},
    )
    assert run.returncode == 0, run.stderr
    assert _query(postgres.dsn, f"SELECT form_id FROM {pg_schema}.bindings") == [("form-1",)]
