"""Token stores: persistence, file safety, and locks that exclude threads, tasks and processes."""

from __future__ import annotations

import asyncio
import multiprocessing
import stat
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from allegro_plenty import (
    JsonFileTokenStore,
    LockTimeoutError,
    MemoryTokenStore,
    Token,
    TokenStore,
)

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)


def token(n: int = 1, *, expires_in: float = 3600) -> Token:
    return Token(f"access-{n}", NOW + timedelta(seconds=expires_in), f"refresh-{n}", "scope")


@pytest.fixture(params=["memory", "file"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> TokenStore:
    if request.param == "memory":
        return MemoryTokenStore(lock_timeout=0.2)
    return JsonFileTokenStore(tmp_path / "tokens.json", lock_timeout=0.2)


def test_save_and_load_by_service_and_key(store: TokenStore) -> None:
    assert store.load("allegro", "1") is None
    store.save("allegro", "1", token(1))
    store.save("allegro", "2", token(2))
    store.save("plenty", "1", token(3))
    assert store.load("allegro", "1") == token(1)
    assert store.load("allegro", "2") == token(2)
    assert store.load("plenty", "1") == token(3)
    store.save("allegro", "1", token(4))
    assert store.load("allegro", "1") == token(4)
    assert isinstance(store, TokenStore)


def test_validity_honours_leeway() -> None:
    t = token(expires_in=60)
    assert t.is_valid(now=NOW)
    assert not t.is_valid(now=NOW, leeway=timedelta(seconds=60))
    assert not t.is_valid(now=NOW + timedelta(seconds=61))


def test_lock_excludes_threads_and_times_out(store: TokenStore) -> None:
    held = threading.Event()
    release = threading.Event()

    def holder() -> None:
        with store.lock("allegro", "1"):
            held.set()
            release.wait(5)

    thread = threading.Thread(target=holder)
    thread.start()
    held.wait(5)
    with pytest.raises(LockTimeoutError), store.lock("allegro", "1"):
        pass
    # Another key is not blocked.
    with store.lock("allegro", "2"):
        pass
    release.set()
    thread.join()
    with store.lock("allegro", "1"):
        pass


def test_async_lock_excludes_tasks_without_blocking_the_loop(store: TokenStore) -> None:
    order: list[str] = []

    async def worker(name: str) -> None:
        async with store.lock("allegro", "1"):
            order.append(f"{name} in")
            await asyncio.sleep(0.02)
            order.append(f"{name} out")

    async def ticker() -> int:
        ticks = 0
        for _ in range(5):
            await asyncio.sleep(0.005)
            ticks += 1
        return ticks

    async def main() -> int:
        results = await asyncio.gather(worker("a"), worker("b"), ticker())
        return results[2]

    assert asyncio.run(main()) == 5
    assert order in (["a in", "a out", "b in", "b out"], ["b in", "b out", "a in", "a out"])


def test_file_store_writes_a_private_file_atomically(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    store = JsonFileTokenStore(path)
    store.save("allegro", "1", token())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")] == ["tokens.json"]
    assert "refresh-1" in path.read_text()  # the store is where tokens belong


def test_file_store_rejects_a_corrupt_file(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    path.write_text("[1, 2]")
    with pytest.raises(ValueError, match="does not hold a JSON object"):
        JsonFileTokenStore(path).load("allegro", "1")
    path.write_text('{"allegro": {"1": {"access_token": "a"}}}')
    with pytest.raises(ValueError, match="lacks access_token or expires_at"):
        JsonFileTokenStore(path).load("allegro", "1")


def _hold_lock(
    path: str, held: multiprocessing.synchronize.Event, release: multiprocessing.synchronize.Event
) -> None:  # type: ignore[name-defined]
    with JsonFileTokenStore(path).lock("allegro", "1"):
        held.set()
        release.wait(10)


def _save_many(path: str, key: str) -> None:
    store = JsonFileTokenStore(path)
    for i in range(20):
        store.save("allegro", key, Token(f"{key}-{i}", NOW, None))


@pytest.mark.slow
def test_file_lock_excludes_another_process(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    held, release = ctx.Event(), ctx.Event()
    path = str(tmp_path / "tokens.json")
    child = ctx.Process(target=_hold_lock, args=(path, held, release))
    child.start()
    try:
        assert held.wait(30)
        locked_out = JsonFileTokenStore(path, lock_timeout=0.2).lock("allegro", "1")
        with pytest.raises(LockTimeoutError), locked_out:
            pass
    finally:
        release.set()
        child.join(30)
    started = time.monotonic()
    with JsonFileTokenStore(path, lock_timeout=5).lock("allegro", "1"):
        assert time.monotonic() - started < 5


@pytest.mark.slow
def test_concurrent_saves_of_different_keys_keep_both(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    path = str(tmp_path / "tokens.json")
    children = [ctx.Process(target=_save_many, args=(path, key)) for key in ("a", "b", "c")]
    for child in children:
        child.start()
    for child in children:
        child.join(60)
    store = JsonFileTokenStore(path)
    saved = [store.load("allegro", key) for key in "abc"]
    assert [t.access_token if t else None for t in saved] == ["a-19", "b-19", "c-19"]
