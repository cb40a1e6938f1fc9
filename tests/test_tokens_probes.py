"""Hostile-world probes: no account is lost, and 16 workers still make one refresh.

The token server is :class:`~tests.test_tokens_race.AllegroOnLoopback`, a real
HTTP server whose refresh tokens rotate and are single-use (a replay answers
``invalid_grant``) and whose answers are slow, which widens every race window.
Worker processes share it and one :class:`JsonFileTokenStore`; each installs
its own broken disk (:class:`~tests.token_faults.BrokenStorage`). Processes
that must die get ``SIGKILL``.

"Lost" means what a restarted worker would find: the refresh token in the store
is no longer live at the server. Every safety probe has a negative control that
switches its safeguard off and must lose the account.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import random
import signal
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from allegro_plenty import (
    AllegroClient,
    AsyncAllegroClient,
    JsonFileTokenStore,
    LockTimeoutError,
    Token,
)

from .test_tokens_race import (
    ACCOUNT,
    APP,
    AllegroOnLoopback,
    _async_race,
    call_me,
    environment,
    expired_token_in,
    race_processes,
)
from .token_faults import NO_FDS, READ_ONLY, AfterTokenAnswer, BrokenStorage

pytestmark = pytest.mark.slow

SPAWN = multiprocessing.get_context("spawn")


def stored(path: Path) -> Token:
    token = JsonFileTokenStore(path).load("allegro", ACCOUNT)
    assert token is not None
    return token


def used_before(path: Path) -> None:
    """An expired pair in the store, whose lock files exist (the account was used before):
    a read-only folder then refuses new files, not the locks."""
    expired_token_in(path)
    with JsonFileTokenStore(path).lock("allegro", ACCOUNT):
        pass


def alive(server: AllegroOnLoopback, path: Path) -> bool:
    """Whether the stored refresh token is still live at the server (the account is not lost)."""
    return stored(path).refresh_token in server.live_refresh


def _switch_safeguard_off(name: str) -> None:
    from allegro_plenty._http import auth

    if name == "no-check":
        auth._TokenAuthBase._check_writable = lambda self, current: None  # type: ignore[method-assign]
    elif name == "no-keep":
        auth._TokenAuthBase._keep = lambda self, token, over: None  # type: ignore[method-assign]


# --- 4 processes x 4 threads, each process with its own disk trouble --------------------


def faulty_process(
    url: str, path: str, disk_mode: str | None, broken: str, threads: int, gate: Any, out: Any
) -> None:
    """One worker process: its disk in ``disk_mode``, ``threads`` threads with a client each."""
    _switch_safeguard_off(broken)
    BrokenStorage(Path(path).parent, disk_mode).install()
    results: list[str] = []

    def run() -> None:
        results.append(call_me(url, JsonFileTokenStore(path, lock_timeout=10), gate))

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    out.put(results)


def four_by_four(
    server: AllegroOnLoopback, path: Path, disk_modes: list[str | None], broken: str = ""
) -> list[str]:
    gate, out = SPAWN.Barrier(4 * len(disk_modes)), SPAWN.Queue()
    children = [
        SPAWN.Process(
            target=faulty_process, args=(server.url, str(path), mode, broken, 4, gate, out)
        )
        for mode in disk_modes
    ]
    for child in children:
        child.start()
    results = [item for _ in children for item in out.get(timeout=60)]
    for child in children:
        child.join(timeout=30)
        assert child.exitcode == 0
    return results


def test_sixteen_workers_in_four_processes_refresh_once(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    expired_token_in(path)
    with AllegroOnLoopback() as server:
        results = race_processes(server, path, "correct", processes=4, threads=4)
    assert results == [ACCOUNT] * 16
    assert (server.refreshes, server.invalid_grants) == (1, 0)
    assert alive(server, path)


def test_sixteen_asyncio_tasks_refresh_once(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    expired_token_in(path)
    with AllegroOnLoopback() as server:
        results = asyncio.run(_async_race(server.url, JsonFileTokenStore(path), tasks=16))
    assert results == [ACCOUNT] * 16
    assert (server.refreshes, server.invalid_grants) == (1, 0)
    assert alive(server, path)


def test_read_only_storage_in_sixteen_workers_spends_no_refresh_token(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    used_before(path)
    with AllegroOnLoopback() as server:
        results = four_by_four(server, path, [READ_ONLY] * 4)
    assert len(results) == 16
    assert all(r.startswith("TokenStorageError") and str(tmp_path) in r for r in results)
    assert (server.refreshes, server.invalid_grants) == (0, 0)
    assert alive(server, path)


def test_negative_control_read_only_storage_without_the_check_loses_the_account(
    tmp_path: Path,
) -> None:
    path = tmp_path / "tokens.json"
    used_before(path)
    with AllegroOnLoopback() as server:
        results = four_by_four(server, path, [READ_ONLY] * 4, broken="no-check")
    assert any(r.startswith("TokenSaveError") for r in results)
    assert server.refreshes == 1
    assert server.invalid_grants > 0
    assert not alive(server, path)


def test_no_file_descriptors_in_one_process_of_four(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    expired_token_in(path)
    with AllegroOnLoopback() as server:
        results = four_by_four(server, path, [NO_FDS, None, None, None])
        assert (
            sorted(r.split(":")[0] for r in results) == [ACCOUNT] * 12 + ["TokenStorageError"] * 4
        )
        assert (server.refreshes, server.invalid_grants) == (1, 0)
        # The descriptors come back: the account works, with no further refresh.
        store = JsonFileTokenStore(path)
        assert call_me(server.url, store, threading.Barrier(1)) == ACCOUNT
    assert (server.refreshes, server.invalid_grants) == (1, 0)
    assert alive(server, path)


# --- a worker process runs out of descriptors right after the refresh -------------------


def emfile_after_refresh(url: str, path: str, broken: str, out: Any) -> None:
    """One client shared by 4 threads; the disk fails once the token endpoint has answered."""
    _switch_safeguard_off(broken)
    disk = BrokenStorage(Path(path).parent).install()

    def out_of_descriptors() -> None:
        disk.mode = NO_FDS

    client = AllegroClient(
        app=APP,
        account=ACCOUNT,
        token_store=JsonFileTokenStore(path, lock_timeout=10),
        environment=environment(url),
        transport=AfterTokenAnswer(httpx.HTTPTransport(), out_of_descriptors),
    )
    rounds: list[list[str]] = []

    def round_of_four() -> None:
        gate, results = threading.Barrier(4), []

        def one() -> None:
            gate.wait(10)
            try:
                results.append(client.get_me().id)
            except Exception as exc:
                results.append(f"{type(exc).__name__}: {exc}")

        workers = [threading.Thread(target=one) for _ in range(4)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        rounds.append(sorted(results))

    round_of_four()  # refreshes; the save fails: EMFILE
    round_of_four()  # still no descriptors
    disk.mode = None
    round_of_four()  # descriptors back
    client.close()
    out.put(rounds)


def run_emfile_after_refresh(server: AllegroOnLoopback, path: Path, broken: str) -> Any:
    out = SPAWN.Queue()
    child = SPAWN.Process(target=emfile_after_refresh, args=(server.url, str(path), broken, out))
    child.start()
    rounds = out.get(timeout=60)
    child.join(timeout=30)
    assert child.exitcode == 0
    return rounds


def test_a_worker_out_of_descriptors_after_the_refresh_keeps_the_account(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    expired_token_in(path)
    with AllegroOnLoopback() as server:
        first, second, third = run_emfile_after_refresh(server, path, "")
    assert sum(r.startswith("TokenSaveError") for r in first) == 1
    assert all(r == ACCOUNT or r.startswith("Token") for r in first)
    assert second == third == [ACCOUNT] * 4
    assert (server.refreshes, server.invalid_grants) == (1, 0)
    assert alive(server, path)  # the process has exited: the pair is in the file


def test_negative_control_without_keeping_the_pair_emfile_loses_the_account(
    tmp_path: Path,
) -> None:
    path = tmp_path / "tokens.json"
    expired_token_in(path)
    with AllegroOnLoopback() as server:
        _, _, third = run_emfile_after_refresh(server, path, "no-keep")
    assert all(r.startswith("OAuthError") and "invalid_grant" in r for r in third)
    assert not alive(server, path)


# --- 16 tasks, half of them cancelled while the refresh is on its way -------------------


async def _cancelled_race(server: AllegroOnLoopback, path: Path) -> list[str]:
    """8 tasks start; once the server has rotated the token (its answer still on the way)
    they are cancelled, as a TaskGroup cancels the siblings of a failed task; then 8 more
    tasks come."""
    store = JsonFileTokenStore(path)

    async def one() -> str:
        async with AsyncAllegroClient(
            app=APP,
            account=ACCOUNT,
            token_store=store,
            environment=environment(server.url),
            transport=httpx.AsyncHTTPTransport(),
        ) as client:
            return (await client.get_me()).id

    first = [asyncio.ensure_future(one()) for _ in range(8)]
    deadline = time.monotonic() + 10
    while server.refreshes == 0 and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.002)  # the server thread has no event to await
    for task in first:
        task.cancel()
    later = [asyncio.ensure_future(one()) for _ in range(8)]
    outcomes = await asyncio.gather(*first, *later, return_exceptions=True)
    return [
        "cancelled"
        if isinstance(o, asyncio.CancelledError)
        else f"{type(o).__name__}: {o}"
        if isinstance(o, BaseException)
        else str(o)
        for o in outcomes
    ]


def test_sixteen_tasks_half_cancelled_mid_refresh_refresh_once(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    expired_token_in(path)
    with AllegroOnLoopback(refresh_delay=0.3) as server:
        results = asyncio.run(_cancelled_race(server, path))
    assert results == ["cancelled"] * 8 + [ACCOUNT] * 8
    assert (server.refreshes, server.invalid_grants) == (1, 0)
    assert alive(server, path)


def test_negative_control_a_refresh_cancelled_with_its_caller_loses_the_account(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from allegro_plenty._http import auth

    async def with_the_caller(renewal: Any) -> Any:
        return await renewal

    monkeypatch.setattr(auth, "_finish_despite_cancellation", with_the_caller)
    path = tmp_path / "tokens.json"
    expired_token_in(path)
    with AllegroOnLoopback(refresh_delay=0.3) as server:
        results = asyncio.run(_cancelled_race(server, path))
    assert server.refreshes == 1
    assert server.invalid_grants > 0
    assert any("invalid_grant" in r for r in results)
    assert not alive(server, path)


# --- kill -9 ----------------------------------------------------------------------------


def save_and_stop_before_rename(
    path: str, n: int, stopped: Any, go_on: Any, cleanup: bool = True
) -> None:
    """Save token ``n``, pausing after the temporary file is written (until ``go_on``)."""
    real_replace = os.replace

    def replace(src: Any, dst: Any) -> None:
        stopped.set()
        go_on.wait(30)
        real_replace(src, dst)

    os.replace = replace
    if not cleanup:
        JsonFileTokenStore._remove_stale_temps = lambda self, target: None  # type: ignore[method-assign]
    JsonFileTokenStore(path).save("allegro", ACCOUNT, token_n(n))


def token_n(n: int) -> Token:
    from datetime import datetime, timezone

    return Token(f"access-{n}", datetime(2030, 1, 1, tzinfo=timezone.utc), f"refresh-{n}-secret")


def temp_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.startswith(".tokens.json."))


def kill_during_saves(path: Path, times: int, cleanup: bool) -> None:
    for n in range(times):
        stopped, go_on = SPAWN.Event(), SPAWN.Event()
        args = (str(path), n, stopped, go_on, cleanup)
        child = SPAWN.Process(target=save_and_stop_before_rename, args=args)
        child.start()
        assert stopped.wait(30)
        os.kill(child.pid or 0, signal.SIGKILL)
        child.join(10)
        assert child.exitcode == -signal.SIGKILL


@pytest.mark.parametrize("cleanup", [True, False], ids=["cleanup", "negative-control"])
def test_temp_files_of_writers_killed_mid_save_go_with_the_next_save(
    tmp_path: Path, cleanup: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "tokens.json"
    JsonFileTokenStore(path).save("allegro", ACCOUNT, token_n(100))
    kill_during_saves(path, 3, cleanup)
    leftovers = temp_files(tmp_path)
    # Each killed save removed the one before it; without the cleanup they pile up.
    assert len(leftovers) == (1 if cleanup else 3)
    assert all("refresh-" in p.read_text() for p in leftovers)  # full copies of the tokens
    mine = [tmp_path / ".tokens.json.backup", tmp_path / "notes.txt"]
    for other in mine:
        other.write_text("mine")
    if not cleanup:
        monkeypatch.setattr(JsonFileTokenStore, "_remove_stale_temps", lambda self, target: None)
    JsonFileTokenStore(path).save("allegro", ACCOUNT, token_n(101))
    assert stored(path) == token_n(101)
    assert all(p.read_text() == "mine" for p in mine)
    remaining = [p for p in temp_files(tmp_path) if p not in mine]
    assert len(remaining) == (0 if cleanup else 3)


def test_the_temp_file_of_a_live_writer_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    JsonFileTokenStore(path).save("allegro", ACCOUNT, token_n(1))
    stopped, go_on = SPAWN.Event(), SPAWN.Event()
    child = SPAWN.Process(target=save_and_stop_before_rename, args=(str(path), 2, stopped, go_on))
    child.start()
    try:
        assert stopped.wait(30)
        assert len(temp_files(tmp_path)) == 1
        with pytest.raises(LockTimeoutError):
            JsonFileTokenStore(path, lock_timeout=0.3).save("allegro", "other", token_n(3))
        assert len(temp_files(tmp_path)) == 1
    finally:
        go_on.set()
        child.join(30)
    assert child.exitcode == 0
    assert stored(path) == token_n(2)
    assert temp_files(tmp_path) == []


def save_forever(path: str, ready: Any) -> None:
    store = JsonFileTokenStore(path)
    ready.set()
    n = 0
    while True:
        n += 1
        store.save("allegro", ACCOUNT, token_n(n))


def test_killing_a_busy_writer_at_random_moments_never_damages_the_file(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    JsonFileTokenStore(path).save("allegro", ACCOUNT, token_n(0))
    rng = random.Random(8)
    ready = SPAWN.Event()
    child = SPAWN.Process(target=save_forever, args=(str(path), ready))
    child.start()
    assert ready.wait(30)
    for _ in range(5):
        time.sleep(rng.uniform(0.01, 0.05))
        os.kill(child.pid or 0, signal.SIGSTOP)  # freeze it mid-save, wherever it is
        assert stored(path).access_token.startswith("access-")  # readable while frozen
        os.kill(child.pid or 0, signal.SIGCONT)
    os.kill(child.pid or 0, signal.SIGKILL)
    child.join(10)
    assert stored(path).access_token.startswith("access-")
    JsonFileTokenStore(path).save("allegro", ACCOUNT, token_n(-1))
    assert temp_files(tmp_path) == []
    assert stored(path) == token_n(-1)


def hold_the_account_lock(path: str, held: Any) -> None:
    with JsonFileTokenStore(path).lock("allegro", ACCOUNT):
        held.set()
        time.sleep(60)


def test_a_worker_killed_while_holding_the_lock_does_not_block_the_others(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    expired_token_in(path)
    held = SPAWN.Event()
    child = SPAWN.Process(target=hold_the_account_lock, args=(str(path), held))
    child.start()
    assert held.wait(30)
    os.kill(child.pid or 0, signal.SIGKILL)
    child.join(10)
    with AllegroOnLoopback() as server:
        started = time.monotonic()
        store = JsonFileTokenStore(path, lock_timeout=5)
        assert call_me(server.url, store, threading.Barrier(1)) == ACCOUNT
        assert time.monotonic() - started < 5
    assert (server.refreshes, server.invalid_grants) == (1, 0)
    assert alive(server, path)
