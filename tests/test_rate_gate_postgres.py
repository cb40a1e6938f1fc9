"""The Allegro rate gate in PostgreSQL: a 429 seen by one worker process pauses every other
worker process of the application (sync and async clients, wall clocks five minutes
off) until the back-off has passed on the database's clock; a gate per process does not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest

from allegro_plenty.allegro.rate_gate_postgres import PostgresRateGate
from allegro_plenty.errors import ConfigurationError, RateGateStorageError

from .gate_workers import APP, BACKOFF, OTHERS, GateTrial, run_gate_trial
from .loopback_workers import in_spawned_host

EPSILON = 0.05
"""How much earlier than the back-off a call may leave: the database's clock and the
machine's monotonic one count seconds alike, but are read at slightly different moments."""


@pytest.fixture
def table(postgres: Any, pg_schema: str) -> str:
    with psycopg.connect(postgres.dsn, autocommit=True) as con:
        con.execute(f"CREATE SCHEMA {pg_schema}")
    return f"{pg_schema}.rate_gates"


def trial(postgres: Any, table: str, tmp_path: Path, *, shared: bool) -> dict[str, Any]:
    outcome: dict[str, Any] = in_spawned_host(
        run_gate_trial, GateTrial(postgres.dsn, table, shared), str(tmp_path)
    )
    assert outcome["errors"] == []
    assert [n["status"] for n in outcome["throttled"]] == [429]
    assert len(outcome["others"]) == len(OTHERS)
    assert all(len(o["notes"]) == 1 and o["notes"][0]["status"] == 200 for o in outcome["others"])
    return outcome


def pauses(outcome: dict[str, Any]) -> dict[tuple[str, float], float]:
    """Seconds from the moment the 429 was read to each other worker's call."""
    read_429 = outcome["throttled"][0]["read"]
    return {(o["kind"], o["skew"]): o["notes"][0]["sent"] - read_429 for o in outcome["others"]}


@pytest.mark.slow
def test_a_429_in_one_process_pauses_every_other_process_of_the_app(
    postgres: Any, table: str, tmp_path: Path
) -> None:
    outcome = trial(postgres, table, tmp_path, shared=True)
    waited = pauses(outcome)
    assert set(waited) == set(OTHERS)
    assert all(BACKOFF - EPSILON <= w < BACKOFF + 3 for w in waited.values()), waited
    # They were told well inside the block, so the gate, not the telling, held them back.
    read_429 = outcome["throttled"][0]["read"]
    assert all(o["told_at"] - read_429 < BACKOFF - 1 for o in outcome["others"]), outcome


@pytest.mark.slow
def test_negative_control_a_gate_per_process_lets_the_others_call_into_the_block(
    postgres: Any, table: str, tmp_path: Path
) -> None:
    waited = pauses(trial(postgres, table, tmp_path, shared=False))
    assert all(w < BACKOFF - 1 for w in waited.values()), waited  # inside the block


def test_a_block_is_the_databases_now_plus_the_back_off_and_never_shortened(
    postgres: Any, table: str
) -> None:
    with PostgresRateGate(postgres.dsn, app=APP, table=table) as gate:
        gate.create_table()
        gate.create_table()  # idempotent
        assert gate.wait() == 0
        gate.block(30)
        gate.block(5)  # shorter: the longer block stays
        with psycopg.connect(postgres.dsn) as con:
            (left,) = con.execute(
                f"SELECT EXTRACT(EPOCH FROM open_at - now())::float8 FROM {table} WHERE app = %s",
                (APP,),
            ).fetchone() or (None,)
        assert left is not None
        assert 29 < left <= 30
    # A fresh handle (another worker) knows only what the database says.
    with PostgresRateGate(postgres.dsn, app=APP, table=table) as other:
        assert 29 < other.wait() <= 30
    with PostgresRateGate(postgres.dsn, app="another-app", table=table) as third:
        assert third.wait() == 0


def test_a_missing_table_or_server_is_a_typed_error_naming_it(postgres: Any, table: str) -> None:
    with PostgresRateGate(postgres.dsn, app=APP, table=table) as gate:
        with pytest.raises(RateGateStorageError, match=r"create_table\(\)"):
            gate.wait()
        with pytest.raises(ConfigurationError, match="0 seconds or more"):
            gate.block(float("nan"))
    secret = "host=127.0.0.1 port=1 user=u password=hunter2-secret dbname=d connect_timeout=1"
    with PostgresRateGate(secret, app=APP, timeout=1) as gate:
        with pytest.raises(RateGateStorageError) as caught:
            gate.block(1)
        assert "hunter2" not in str(caught.value)
        assert "hunter2" not in repr(gate)
    with pytest.raises(ConfigurationError, match="table"):
        PostgresRateGate(postgres.dsn, app=APP, table="Robert'); DROP")
