"""The PostgreSQL token store: one refresh and one login per expiry, across machines.

"Machines" are worker processes that share no folder, each pointed only at
PostgreSQL. Allegro and plentymarkets are :class:`~allegro_plenty.testing.FakeAllegro`
and :class:`~allegro_plenty.testing.FakePlenty` served on loopback: refresh
tokens are single-use (a replay answers ``invalid_grant``) and plenty allows
three sessions. The negative control gives each worker a file store of its own,
as separate machines with the file store would have.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from allegro_plenty import (
    AllegroEnvironment,
    AsyncAllegroClient,
    JsonFileTokenStore,
    LockTimeoutError,
    Token,
    TokenStore,
)
from allegro_plenty.errors import ConfigurationError, TokenStorageError
from allegro_plenty.testing import FakeAllegro, FakePlenty
from allegro_plenty.testing._ledger_race import slow_callbacks
from allegro_plenty.tokens_postgres import PostgresTokenStore, _AdvisoryLock

from . import token_workers
from .pg_server import Postgres

SPAWN = multiprocessing.get_context("spawn")


@pytest.fixture
def table(pg_schema: str, postgres: Postgres) -> str:
    with psycopg.connect(postgres.dsn, autocommit=True) as con:
        con.execute(f"CREATE SCHEMA {pg_schema}")
    return f"{pg_schema}.tokens"


@pytest.fixture
def store(postgres: Postgres, table: str) -> Iterator[PostgresTokenStore]:
    opened = PostgresTokenStore(postgres.dsn, table=table, lock_timeout=10)
    opened.create_table()
    yield opened
    opened.close()


def _token(n: int, *, expired: bool = False) -> Token:
    moment = datetime.now(timezone.utc) + timedelta(hours=-1 if expired else 1)
    return Token(f"access-{n}-abcdefgh", moment, f"refresh-{n}-abcdefgh", "scope-a")


# --- the store ---------------------------------------------------------------------------


def test_tokens_are_kept_per_service_and_key(store: PostgresTokenStore) -> None:
    assert isinstance(store, TokenStore)
    assert store.load("allegro", "seller-1") is None
    store.save("allegro", "seller-1", _token(1))
    store.save("plenty", "seller-1", _token(2))
    store.save("allegro", "seller-1", _token(3))  # replaces
    loaded = store.load("allegro", "seller-1")
    assert loaded is not None
    assert (loaded.access_token, loaded.refresh_token, loaded.scope) == (
        "access-3-abcdefgh",
        "refresh-3-abcdefgh",
        "scope-a",
    )
    assert loaded.expires_at.tzinfo == timezone.utc
    plenty = store.load("plenty", "seller-1")
    assert plenty is not None
    assert plenty.access_token == "access-2-abcdefgh"
    assert store.load("allegro", "seller-2") is None


def test_a_saved_token_loads_back_equal(store: PostgresTokenStore) -> None:
    token = _token(1)
    store.save("allegro", "seller-1", token)
    assert store.load("allegro", "seller-1") == token


def test_create_table_is_idempotent_and_a_missing_table_names_the_cure(
    postgres: Postgres, table: str, store: PostgresTokenStore
) -> None:
    store.save("allegro", "seller-1", _token(1))
    store.create_table()
    assert store.load("allegro", "seller-1") is not None
    other = PostgresTokenStore(postgres.dsn, table=f"{table}_missing")
    with pytest.raises(TokenStorageError, match=r"does not exist .* call create_table\(\)"):
        other.load("allegro", "seller-1")
    other.close()


@pytest.mark.parametrize("table", ["", "Tokens", "a.b.c", "t; DROP TABLE x", "x" * 64])
def test_a_table_name_that_is_no_plain_name_is_refused(table: str) -> None:
    with pytest.raises(ConfigurationError, match="table"):
        PostgresTokenStore("host=127.0.0.1", table=table)


def test_check_writable_writes_nothing_and_fails_on_a_read_only_database(
    postgres: Postgres, store: PostgresTokenStore, table: str
) -> None:
    store.check_writable("allegro", "seller-1")
    assert store.load("allegro", "seller-1") is None
    token = _token(1)
    store.save("allegro", "seller-1", token)
    store.check_writable("allegro", "seller-1")
    assert store.load("allegro", "seller-1") == token
    read_only = PostgresTokenStore(
        f"{postgres.dsn} options='-c default_transaction_read_only=on'", table=table
    )
    assert read_only.load("allegro", "seller-1") == token
    with pytest.raises(TokenStorageError, match="read-only"):
        read_only.check_writable("allegro", "seller-1")
    read_only.close()


def test_an_error_never_quotes_a_token(postgres: Postgres, store: PostgresTokenStore) -> None:
    with psycopg.connect(postgres.dsn, autocommit=True) as con:
        con.execute(f"ALTER TABLE {store.table} ADD CHECK (length(access_token) < 5)")
    with pytest.raises(TokenStorageError) as refused:
        store.save("allegro", "seller-1", _token(1))
    assert "access-1" not in str(refused.value)
    assert "refresh-1" not in str(refused.value)
    # The server's own message does quote the row: the store kept it out.
    assert "access-1" in str(refused.value.__context__)


# --- the lock ----------------------------------------------------------------------------


def test_the_lock_excludes_another_store_until_released(
    postgres: Postgres, store: PostgresTokenStore, table: str
) -> None:
    other = PostgresTokenStore(postgres.dsn, table=table, lock_timeout=0.3)
    with store.lock("allegro", "seller-1"):
        started = time.monotonic()
        with pytest.raises(LockTimeoutError):
            other.lock("allegro", "seller-1").__enter__()
        assert time.monotonic() - started >= 0.25
        with other.lock("allegro", "seller-2"), other.lock("plenty", "seller-1"):
            pass  # other keys are free
    with other.lock("allegro", "seller-1"):
        pass
    other.close()


def test_a_save_inside_the_lock_is_committed_before_the_lock_is_released(
    postgres: Postgres, store: PostgresTokenStore, table: str
) -> None:
    reader = PostgresTokenStore(postgres.dsn, table=table)
    token = _token(7)
    with store.lock("allegro", "seller-1"):
        store.save("allegro", "seller-1", token)
        assert reader.load("allegro", "seller-1") == token  # seen by another connection
    reader.close()


HOLD_AND_WAIT = """
import sys, time
from allegro_plenty.tokens_postgres import PostgresTokenStore
store = PostgresTokenStore(sys.argv[1], table=sys.argv[2])
held = store.lock("allegro", "seller-1")
held.__enter__()
print("held", flush=True)
time.sleep(60)
"""


def test_a_worker_killed_while_holding_the_lock_does_not_block_the_others(
    postgres: Postgres, store: PostgresTokenStore, table: str
) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_AND_WAIT, postgres.dsn, table],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        blocked = PostgresTokenStore(postgres.dsn, table=table, lock_timeout=0.2)
        with pytest.raises(LockTimeoutError):
            blocked.lock("allegro", "seller-1").__enter__()
        blocked.close()
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(10)
        started = time.monotonic()
        with store.lock("allegro", "seller-1"):
            assert time.monotonic() - started < 5
    finally:
        holder.kill()
        holder.wait(10)
        if holder.stdout is not None:
            holder.stdout.close()


def _waiting_tasks(store: PostgresTokenStore, postgres: Postgres, table: str, tasks: int) -> Any:
    """``tasks`` tasks taking the lock while another store holds it for 0.4 s."""
    holder = PostgresTokenStore(postgres.dsn, table=table)

    async def main() -> None:
        held = holder.lock("allegro", "seller-1")
        await asyncio.to_thread(held.__enter__)
        # Released by a thread of its own: a loop blocked by a waiter could not release it.
        threading.Timer(0.4, held.__exit__, (None, None, None)).start()

        async def task() -> None:
            async with store.lock("allegro", "seller-1"):
                await asyncio.sleep(0)

        await asyncio.gather(*(task() for _ in range(tasks)))
        holder.close()

    return main


def test_waiting_for_the_lock_under_asyncio_blocks_no_event_loop(
    postgres: Postgres, store: PostgresTokenStore, table: str
) -> None:
    assert slow_callbacks(_waiting_tasks(store, postgres, table, 4), threshold=0.1) == []


def test_negative_control_a_lock_taken_on_the_loop_is_seen_blocking_it(
    postgres: Postgres, store: PostgresTokenStore, table: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def on_the_loop(self: _AdvisoryLock) -> _AdvisoryLock:
        self.__enter__()  # the mistake: a blocking wait in a task
        return self

    monkeypatch.setattr(_AdvisoryLock, "__aenter__", on_the_loop)
    # One task: a second one would wait on the loop for the first, which then never runs.
    assert slow_callbacks(_waiting_tasks(store, postgres, table, 1), threshold=0.1) != []


# --- 8 workers on "8 machines": one refresh, one login per expiry ------------------------


class SlowFakeAllegro(FakeAllegro):
    """Answers refreshes slowly: every worker arrives while the first refresh is running."""

    def _grant_refresh(self, form: Any) -> Any:
        time.sleep(0.2)
        return super()._grant_refresh(form)


class SlowFakePlenty(FakePlenty):
    """Answers logins slowly, for the same reason."""

    def _login(self, exchange: Any) -> Any:
        time.sleep(0.2)
        return super()._login(exchange)


def _expire(kind: str, postgres: Postgres, table: str, folders: list[Path], token: Token) -> None:
    """The stored pair has run out (as at 12 h); its refresh token is still live."""
    expired = Token(
        token.access_token, datetime.now(timezone.utc) - timedelta(minutes=5), token.refresh_token
    )
    if kind == "postgres":
        store = PostgresTokenStore(postgres.dsn, table=table)
        store.create_table()
        store.save("allegro", FakeAllegro().default_seller.id, expired)
        store.close()
    else:
        for folder in folders:
            JsonFileTokenStore(folder / "tokens.json").save(
                "allegro", FakeAllegro().default_seller.id, expired
            )


def _expire_everything_stored(postgres: Postgres, table: str) -> None:
    with psycopg.connect(postgres.dsn, autocommit=True) as con:
        con.execute(f"UPDATE {table} SET expires_at = clock_timestamp() - interval '5 min'")


def _run_workers(
    kind: str, postgres: Postgres, table: str, tmp_path: Path, rounds: int, workers: int
) -> tuple[list[list[list[str]]], list[tuple[int, int, int]]]:
    """``workers`` worker processes, ``rounds`` rounds; what each worker saw, and after
    each round (Allegro refreshes, plenty logins, plenty token refreshes)."""
    allegro, plenty = SlowFakeAllegro(), SlowFakePlenty()
    folders = [tmp_path / f"machine-{n}" for n in range(workers)]
    for folder in folders:
        folder.mkdir()
    _expire(kind, postgres, table, folders, allegro.issue_token())
    seen: list[list[list[str]]] = []
    counts: list[tuple[int, int, int]] = []
    with allegro.serve() as allegro_server, plenty.serve() as plenty_server:
        gate, out = SPAWN.Barrier(workers + 1), SPAWN.Queue()
        urls = (allegro_server.url, plenty_server.url)
        app = (allegro.client_id, allegro.client_secret)
        common = (urls, app, allegro.default_seller.id, (plenty.username, plenty.password))
        processes = [
            SPAWN.Process(
                target=token_workers.worker,
                args=(kind, postgres.dsn, table, str(folder), *common, rounds, gate, out),
            )
            for folder in folders
        ]
        for process in processes:
            process.start()
        try:
            for round_number in range(rounds):
                if round_number:
                    _expire_everything_stored(postgres, table)
                gate.wait(60)
                seen.append([out.get(timeout=60) for _ in processes])
                counts.append(
                    (
                        allegro.refresh_count(),
                        plenty.login_count(),
                        len(plenty.calls("POST /rest/login/refresh")),
                    )
                )
        finally:
            for process in processes:
                process.join(30)
                if process.is_alive():
                    process.kill()
    assert all(process.exitcode == 0 for process in processes)
    return seen, counts


@pytest.mark.slow
def test_eight_workers_sharing_only_postgresql_renew_once_per_expiry(
    postgres: Postgres, table: str, tmp_path: Path
) -> None:
    seen, counts = _run_workers("postgres", postgres, table, tmp_path, rounds=2, workers=8)
    seller = FakeAllegro().default_seller.id
    for round_seen in seen:
        assert round_seen == [[f"allegro {seller}", "plenty ok"]] * 8
    # Round 1: the Allegro pair had expired and plenty had no session: one refresh,
    # one login. Round 2: both had expired again: one more of each renewal.
    assert counts == [(1, 1, 0), (2, 1, 1)]


@pytest.mark.slow
def test_negative_control_a_file_store_per_machine_refreshes_more_than_once(
    postgres: Postgres, table: str, tmp_path: Path
) -> None:
    # Four workers are enough to show the damage (plenty allows three sessions).
    seen, counts = _run_workers("files", postgres, table, tmp_path, rounds=1, workers=4)
    ((refreshes, logins, _),) = counts
    assert refreshes > 1
    assert logins > 1
    outcomes = [line for worker in seen[0] for line in worker]
    assert any("invalid_grant" in line for line in outcomes), outcomes
    assert any("too_many_concurrent_sessions" in line for line in outcomes), outcomes


def test_eight_asyncio_tasks_sharing_the_store_refresh_once(
    store: PostgresTokenStore,
) -> None:
    allegro = SlowFakeAllegro()
    token = allegro.issue_token()
    seller = allegro.default_seller.id
    store.save(
        "allegro",
        seller,
        Token(
            token.access_token,
            datetime.now(timezone.utc) - timedelta(minutes=5),
            token.refresh_token,
        ),
    )

    async def one(url: str) -> str:
        async with AsyncAllegroClient(
            app=allegro.app,
            account=seller,
            token_store=store,
            environment=AllegroEnvironment(api_url=url, oauth_url=url),
            transport=httpx.AsyncHTTPTransport(),
        ) as client:
            return (await client.get_me()).id

    async def main(url: str) -> list[str]:
        return list(await asyncio.gather(*(one(url) for _ in range(8))))

    with allegro.serve() as server:
        assert asyncio.run(main(server.url)) == [seller] * 8
    assert allegro.refresh_count() == 1
