"""Accounts are never lost: storage that breaks, callers that are cancelled, odd token answers.

Every scenario ends with the same question, asked the way a restarted worker
would: does the refresh token in the store still work at the token server?
The server is :class:`~allegro_plenty.testing.FakeAllegro`, whose refresh
tokens rotate and are single-use (a replay answers ``invalid_grant``). Broken
disks are simulated with :class:`~tests.token_faults.BrokenStorage` (we run as
root: permissions refuse nothing). Negative controls switch one safeguard off
and must lose the account.
"""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import os
import stat
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest

from allegro_plenty import (
    AllegroClient,
    AsyncAllegroClient,
    JsonFileTokenStore,
    LockTimeoutError,
    MemoryTokenStore,
    NotConnectedError,
    OAuthError,
    Token,
    TokenLock,
)
from allegro_plenty._http import auth as http_auth
from allegro_plenty.allegro import AllegroOAuth
from allegro_plenty.errors import (
    AllegroPlentyError,
    DamagedTokenFileError,
    ResponseValidationError,
    TokenSaveError,
    TokenStorageError,
)
from allegro_plenty.plenty import PlentyClient
from allegro_plenty.testing import FakeAllegro

from .plenty_fakes import PASSWORD, USERNAME, FakePlenty, token_body
from .specs import PLENTY_HOST
from .token_faults import (
    DISK_FULL,
    MODES,
    NO_FDS,
    READ_ONLY,
    AfterTokenAnswer,
    AsyncAfterTokenAnswer,
    BrokenStorage,
    later,
)

ACCOUNT = "46968690"  # FakeAllegro's default seller
SYNC_ASYNC = ["sync", "async"]
ORDER = {"id": 630, "typeId": 1, "statusId": 5, "properties": []}


# --- helpers ----------------------------------------------------------------------------


def expired(token: Token) -> Token:
    return attrs.evolve(token, expires_at=datetime.now(timezone.utc) - timedelta(minutes=5))


def connected_store(fake: FakeAllegro, path: Path, **options: Any) -> JsonFileTokenStore:
    """A file store holding an expired but refreshable pair; its lock files exist."""
    store = JsonFileTokenStore(path, **{"lock_timeout": 1.0, **options})
    store.save("allegro", ACCOUNT, expired(fake.issue_token()))
    with store.lock("allegro", ACCOUNT):
        pass
    return store


def account_alive(fake: FakeAllegro, path: Path) -> bool:
    """Whether a restarted worker can still use the account.

    A fresh store object and a client whose clock is 13 h on: it must refresh
    with the stored refresh token, which works only if that token is live.
    """
    store = JsonFileTokenStore(path)
    options = {"app": fake.app, "account": ACCOUNT, "token_store": store, "clock": later()}
    with AllegroClient(transport=fake.transport(), **options) as client:
        try:
            return client.get_me().id == ACCOUNT
        except (OAuthError, NotConnectedError):
            return False


class Session:
    """One client (sync or async) used for several calls, as a long-running worker does."""

    def __init__(self, mode: str, fake: FakeAllegro, store: Any, **options: Any) -> None:
        self.mode = mode
        kwargs = {"app": fake.app, "account": ACCOUNT, "token_store": store, **options}
        wrap = kwargs.pop("wrap", None) or (lambda t: t)
        async_wrap = kwargs.pop("async_wrap", None) or (lambda t: t)
        if mode == "sync":
            self.client: Any = AllegroClient(transport=wrap(fake.transport()), **kwargs)
        else:
            self.loop = asyncio.new_event_loop()
            transport = async_wrap(fake.async_transport())
            self.client = AsyncAllegroClient(transport=transport, **kwargs)

    def me(self) -> str:
        if self.mode == "sync":
            return str(self.client.get_me().id)
        return str(self.loop.run_until_complete(self.client.get_me()).id)

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.mode == "sync":
            self.client.close()
        else:
            self.loop.run_until_complete(self.client.aclose())
            self.loop.close()


def no_token_in(text: str, *tokens: Token | None) -> bool:
    secrets = [s for t in tokens if t for s in (t.access_token, t.refresh_token) if s]
    return not any(s in text for s in secrets) and "fake-refresh-" not in text


def break_on_token_answer(disk: BrokenStorage, mode: str) -> dict[str, Any]:
    """Client options that break ``disk`` right after the token endpoint answered."""

    def action() -> None:
        disk.mode = mode

    return {
        "wrap": lambda t: AfterTokenAnswer(t, action),
        "async_wrap": lambda t: AsyncAfterTokenAnswer(t, action),
    }


# --- point 2: a failed open of a lock file releases the lock ----------------------------


@pytest.mark.parametrize("mode", SYNC_ASYNC)
def test_a_lock_file_that_cannot_be_opened_leaves_the_lock_free(tmp_path: Path, mode: str) -> None:
    store = JsonFileTokenStore(tmp_path / "tokens.json", lock_timeout=0.3)

    def take() -> None:
        if mode == "sync":
            with store.lock("allegro", ACCOUNT):
                return

        async def take_async() -> None:
            async with store.lock("allegro", ACCOUNT):
                return

        asyncio.run(take_async())

    with BrokenStorage(tmp_path, NO_FDS) as disk:
        with pytest.raises(TokenStorageError) as caught:
            take()
        assert "tokens.json.allegro.46968690.lock" in str(caught.value)
        assert "Too many open files" in str(caught.value)
        disk.mode = None
        take()  # before the fix: LockTimeoutError, for good


def test_a_lock_release_that_fails_still_frees_the_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fcntl

    store = JsonFileTokenStore(tmp_path / "tokens.json", lock_timeout=0.3)
    real_flock = fcntl.flock

    def flock(fd: int, operation: int) -> None:
        if operation == fcntl.LOCK_UN:
            raise OSError(errno.EIO, "Input/output error")
        real_flock(fd, operation)

    lock = store.lock("allegro", ACCOUNT)
    lock.__enter__()
    monkeypatch.setattr(fcntl, "flock", flock)
    lock.__exit__(None, None, None)  # closing the descriptor drops the flock anyway
    monkeypatch.setattr(fcntl, "flock", real_flock)
    with store.lock("allegro", ACCOUNT):
        pass


# --- point 1: check before spending; keep what cannot be saved ---------------------------


@pytest.mark.parametrize("mode", SYNC_ASYNC)
@pytest.mark.parametrize("broken", MODES)
def test_no_refresh_token_is_spent_while_the_store_cannot_be_written(
    tmp_path: Path, mode: str, broken: str
) -> None:
    fake = FakeAllegro()
    path = tmp_path / "tokens.json"
    store = connected_store(fake, path)
    before = store.load("allegro", ACCOUNT)
    with BrokenStorage(tmp_path, broken) as disk, Session(mode, fake, store) as worker:
        with pytest.raises(TokenStorageError) as caught:
            worker.me()
        assert not isinstance(caught.value, TokenSaveError)
        assert str(tmp_path) in str(caught.value)
        assert caught.value.path.startswith(str(tmp_path))
        assert no_token_in(str(caught.value), before)
        assert fake.refresh_count() == 0  # the stored refresh token is still the live one
        disk.mode = None
        assert worker.me() == ACCOUNT  # storage fixed: works without reconnecting
    assert fake.refresh_count() == 1
    assert account_alive(fake, path)


@pytest.mark.parametrize("broken", [READ_ONLY, DISK_FULL])
def test_negative_control_without_the_check_the_account_is_lost(
    tmp_path: Path, broken: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(http_auth._TokenAuthBase, "_check_writable", lambda self, current: None)
    fake = FakeAllegro()
    path = tmp_path / "tokens.json"
    store = connected_store(fake, path)
    with (
        BrokenStorage(tmp_path, broken),
        Session("sync", fake, store) as worker,
        pytest.raises(TokenSaveError),
    ):
        worker.me()
    assert fake.refresh_count() == 1
    assert not account_alive(fake, path)  # the worker's memory went with its process


@pytest.mark.parametrize("mode", SYNC_ASYNC)
@pytest.mark.parametrize("broken", MODES)
def test_a_pair_that_cannot_be_saved_is_kept_used_and_saved_once_storage_works(
    tmp_path: Path, mode: str, broken: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="allegro_plenty")
    fake = FakeAllegro()
    path = tmp_path / "tokens.json"
    store = connected_store(fake, path)
    before = store.load("allegro", ACCOUNT)
    disk = BrokenStorage(tmp_path)
    with disk, Session(mode, fake, store, **break_on_token_answer(disk, broken)) as worker:
        with pytest.raises(TokenSaveError) as caught:
            worker.me()
        message = str(caught.value)
        assert str(tmp_path) in message
        assert "kept in memory" in message
        assert no_token_in(message, before)
        assert worker.me() == ACCOUNT  # still broken: the kept pair serves
        assert worker.me() == ACCOUNT
        assert fake.refresh_count() == 1
        disk.mode = None
        assert worker.me() == ACCOUNT  # storage fixed: the kept pair is saved now
    assert fake.refresh_count() == 1
    stored = JsonFileTokenStore(path).load("allegro", ACCOUNT)
    assert stored is not None
    assert before is not None
    assert stored.refresh_token != before.refresh_token
    assert stored.is_valid()
    assert account_alive(fake, path)
    assert "kept" in caplog.text  # the unsaved token is logged about, never logged
    assert "fake-refresh-" not in caplog.text
    assert "fake-access-" not in caplog.text


@pytest.mark.parametrize("broken", MODES)
def test_negative_control_without_keeping_the_pair_the_account_is_lost(
    tmp_path: Path, broken: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(http_auth._TokenAuthBase, "_keep", lambda self, token, over: None)
    fake = FakeAllegro()
    path = tmp_path / "tokens.json"
    store = connected_store(fake, path)
    disk = BrokenStorage(tmp_path)
    with disk, Session("sync", fake, store, **break_on_token_answer(disk, broken)) as worker:
        with pytest.raises(TokenSaveError):
            worker.me()
        disk.mode = None
        with pytest.raises(OAuthError, match="invalid_grant"):
            worker.me()
    assert not account_alive(fake, path)


def test_a_kept_pair_does_not_overwrite_a_reconnected_account(tmp_path: Path) -> None:
    fake = FakeAllegro()
    path = tmp_path / "tokens.json"
    store = connected_store(fake, path)
    disk = BrokenStorage(tmp_path)
    with disk, Session("sync", fake, store, **break_on_token_answer(disk, DISK_FULL)) as worker:
        with pytest.raises(TokenSaveError):
            worker.me()
        disk.mode = None
        reconnected = fake.issue_token()  # a person connected the account again meanwhile
        JsonFileTokenStore(path).save("allegro", ACCOUNT, reconnected)
        assert worker.me() == ACCOUNT
    assert JsonFileTokenStore(path).load("allegro", ACCOUNT) == reconnected


class ProtocolOnlyStore:
    """A host's own store: ``load``, ``save`` and ``lock`` only, over a dict.

    ``broken`` makes ``save`` fail, as a database that went read-only would.
    """

    def __init__(self) -> None:
        self.inner = MemoryTokenStore()
        self.broken = False
        self.saves = 0

    def load(self, service: str, key: str) -> Token | None:
        return self.inner.load(service, key)

    def save(self, service: str, key: str, token: Token) -> None:
        self.saves += 1
        if self.broken:
            raise OSError(errno.EROFS, "Read-only file system", "/srv/secrets/tokens.db")
        self.inner.save(service, key, token)

    def lock(self, service: str, key: str) -> TokenLock:
        return self.inner.lock(service, key)


@pytest.mark.parametrize("mode", SYNC_ASYNC)
def test_a_host_store_with_only_the_protocol_is_checked_by_saving_the_current_pair(
    mode: str,
) -> None:
    fake = FakeAllegro()
    store = ProtocolOnlyStore()
    store.save("allegro", ACCOUNT, expired(fake.issue_token()))
    store.broken = True
    with Session(mode, fake, store) as worker:
        with pytest.raises(TokenStorageError, match=r"/srv/secrets/tokens\.db"):
            worker.me()
        assert fake.refresh_count() == 0
        store.broken = False
        assert worker.me() == ACCOUNT
    assert fake.refresh_count() == 1


@pytest.mark.parametrize("mode", SYNC_ASYNC)
def test_a_plenty_login_that_cannot_be_saved_is_reused_not_repeated(mode: str) -> None:
    plenty = FakePlenty().on("GET", "/rest/orders/630", ORDER)
    store = ProtocolOnlyStore()
    store.broken = True
    options = {"username": USERNAME, "password": PASSWORD, "token_store": store}

    if mode == "sync":
        with PlentyClient(PLENTY_HOST, transport=httpx.MockTransport(plenty), **options) as client:
            with pytest.raises(TokenSaveError, match=r"/srv/secrets/tokens\.db"):
                client.get_order(630)
            client.get_order(630)
            client.get_order(630)
            store.broken = False
            client.get_order(630)
    else:
        from allegro_plenty.plenty import AsyncPlentyClient

        async def run() -> None:
            transport = httpx.MockTransport(plenty)
            async with AsyncPlentyClient(PLENTY_HOST, transport=transport, **options) as client:
                with pytest.raises(TokenSaveError, match=r"/srv/secrets/tokens\.db"):
                    await client.get_order(630)
                await client.get_order(630)
                await client.get_order(630)
                store.broken = False
                await client.get_order(630)

        asyncio.run(run())
    assert len(plenty.calls("POST", "/rest/login")) == 1  # sessions are few
    saved = store.load("plenty", f"{USERNAME}@{PLENTY_HOST}")
    assert saved is not None
    assert saved.access_token == token_body()["access_token"]


# --- point 3: cancellation, and no blocking I/O on the event loop ------------------------


async def _stored_refresh_changes(path: Path, old: str | None, within: float = 3.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        token = await asyncio.to_thread(JsonFileTokenStore(path).load, "allegro", ACCOUNT)
        if token is not None and token.refresh_token != old:
            return
        await asyncio.sleep(0.02)


def _cancelled_mid_refresh(fake: FakeAllegro, path: Path, how: str, within: float = 3.0) -> None:
    store = JsonFileTokenStore(path)
    old = store.load("allegro", ACCOUNT)
    transport = AsyncAfterTokenAnswer(fake.async_transport(), delay=0.3)

    async def call_me() -> str:
        # The client lives inside the cancelled task, as in ``async with`` per job.
        options = {"app": fake.app, "account": ACCOUNT, "token_store": store}
        async with AsyncAllegroClient(transport=transport, **options) as client:
            return (await client.get_me()).id

    async def fail_soon() -> None:
        await asyncio.sleep(0.1)
        raise RuntimeError("a sibling task failed")

    async def main() -> None:
        if how == "wait_for":
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(call_me(), 0.1)
        else:
            task = asyncio.ensure_future(call_me())
            with pytest.raises(RuntimeError):
                await asyncio.gather(task, fail_soon())
            task.cancel()  # what a TaskGroup does to the siblings of a failed task
            with pytest.raises(asyncio.CancelledError):
                await task
        await _stored_refresh_changes(path, old.refresh_token if old else None, within)

    asyncio.run(main())


@pytest.mark.parametrize("how", ["wait_for", "sibling-failed"])
def test_a_caller_cancelled_mid_refresh_does_not_lose_the_account(tmp_path: Path, how: str) -> None:
    fake = FakeAllegro()
    path = tmp_path / "tokens.json"
    connected_store(fake, path)
    _cancelled_mid_refresh(fake, path, how)
    assert fake.refresh_count() == 1
    assert account_alive(fake, path)


def test_negative_control_a_refresh_that_dies_with_its_caller_loses_the_account(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def with_the_caller(renewal: Any) -> Any:
        return await renewal

    monkeypatch.setattr(http_auth, "_finish_despite_cancellation", with_the_caller)
    fake = FakeAllegro()
    path = tmp_path / "tokens.json"
    connected_store(fake, path)
    _cancelled_mid_refresh(fake, path, "wait_for", within=0.8)  # the answer takes 0.3 s
    assert fake.refresh_count() == 1
    assert not account_alive(fake, path)


def _lock_held_elsewhere(store: JsonFileTokenStore, seconds: float) -> threading.Thread:
    held = threading.Event()

    def hold() -> None:
        with JsonFileTokenStore(store.path).lock("allegro", ACCOUNT):
            held.set()
            time.sleep(seconds)

    thread = threading.Thread(target=hold)
    thread.start()
    assert held.wait(5)
    return thread


def test_the_async_path_does_no_store_file_io_on_the_event_loop(tmp_path: Path) -> None:
    fake = FakeAllegro()
    path = tmp_path / "tokens.json"
    store = connected_store(fake, path)
    loop_threads: list[int] = []

    async def main() -> None:
        loop_threads.append(threading.get_ident())
        options = {"app": fake.app, "account": ACCOUNT, "token_store": store}
        async with AsyncAllegroClient(transport=fake.async_transport(), **options) as client:
            await client.get_me()  # refreshes, waiting for a lock another thread holds
            await client.get_me()  # a valid token: only a load

    with BrokenStorage(tmp_path) as disk:
        holder = _lock_held_elsewhere(store, 0.15)
        asyncio.run(main())
        holder.join()
    assert fake.refresh_count() == 1
    assert {op for op, _, _ in disk.calls} >= {"open", "fsync", "replace"}
    on_loop = [(op, p) for op, p, thread in disk.calls if thread == loop_threads[0]]
    assert on_loop == []


def test_asyncio_debug_mode_sees_no_slow_callback_during_a_refresh(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeAllegro()
    path = tmp_path / "tokens.json"
    store = connected_store(fake, path)
    real_fsync = os.fsync

    def slow_fsync(fd: int) -> None:
        time.sleep(0.08)  # a slow disk
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", slow_fsync)
    # Built outside the loop: creating an SSL context is slow, and not the subject here.
    options = {"app": fake.app, "account": ACCOUNT, "token_store": store}
    client = AsyncAllegroClient(transport=fake.async_transport(), **options)

    async def main() -> None:
        asyncio.get_running_loop().slow_callback_duration = 0.05
        async with client:
            await client.get_me()

    holder = _lock_held_elsewhere(store, 0.15)
    with caplog.at_level(logging.WARNING, logger="asyncio"):
        asyncio.run(main(), debug=True)
    holder.join()
    assert fake.refresh_count() == 1
    slow = [r.getMessage() for r in caplog.records if "took" in r.getMessage()]
    assert slow == []


@pytest.mark.parametrize("kind", ["memory", "file"])
def test_a_cancelled_lock_wait_leaves_the_lock_free(tmp_path: Path, kind: str) -> None:
    store: Any = (
        MemoryTokenStore(lock_timeout=2)
        if kind == "memory"
        else JsonFileTokenStore(tmp_path / "tokens.json", lock_timeout=2)
    )
    release = threading.Event()
    held = threading.Event()

    def hold() -> None:
        with store.lock("allegro", ACCOUNT):
            held.set()
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(5)

    async def wait_then_give_up() -> None:
        async def take() -> None:
            async with store.lock("allegro", ACCOUNT):
                raise AssertionError("the lock is held elsewhere")

        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(take(), 0.1)
        release.set()  # the holder lets go while the abandoned wait may still be running
        await asyncio.sleep(0.2)

    asyncio.run(wait_then_give_up())
    holder.join()
    store_again: Any = store if kind == "memory" else JsonFileTokenStore(store.path)
    started = time.monotonic()
    with store_again.lock("allegro", ACCOUNT):
        assert time.monotonic() - started < 0.5


# --- point 4: temp files, directory fsync, symlinks --------------------------------------


def test_a_save_fsyncs_the_folder_after_the_replace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append("fsync-dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "fsync-file")
        real_fsync(fd)

    def replace(src: Any, dst: Any) -> None:
        events.append("replace")
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    JsonFileTokenStore(tmp_path / "tokens.json").save("allegro", ACCOUNT, token_n(1))
    assert events[-3:] == ["fsync-file", "replace", "fsync-dir"]


def token_n(n: int) -> Token:
    return Token(f"access-{n}", datetime(2030, 1, 1, tzinfo=timezone.utc), f"refresh-{n}")


def test_a_token_file_reached_through_a_symlink_is_written_through(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").mkdir()
    real = tmp_path / "real" / "tokens.json"
    link = tmp_path / "link" / "tokens.json"
    JsonFileTokenStore(real).save("allegro", ACCOUNT, token_n(1))
    link.symlink_to(real)
    JsonFileTokenStore(link).save("allegro", ACCOUNT, token_n(2))
    assert link.is_symlink()
    assert JsonFileTokenStore(real).load("allegro", ACCOUNT) == token_n(2)
    assert stat.S_IMODE(real.stat().st_mode) == 0o600
    assert sorted(p.name for p in (tmp_path / "link").iterdir()) == ["tokens.json"]


def test_a_symlinked_store_and_its_target_share_one_lock(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    real = tmp_path / "real" / "tokens.json"
    link = tmp_path / "tokens.json"
    link.symlink_to(real)  # dangling until the first save
    JsonFileTokenStore(link).save("allegro", ACCOUNT, token_n(1))
    assert JsonFileTokenStore(real).load("allegro", ACCOUNT) == token_n(1)
    with JsonFileTokenStore(link).lock("allegro", ACCOUNT):
        other = JsonFileTokenStore(real, lock_timeout=0.2).lock("allegro", ACCOUNT)
        with pytest.raises(LockTimeoutError), other:
            pass


def test_stale_temp_files_are_removed_and_nothing_else(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    store = JsonFileTokenStore(path)
    store.save("allegro", ACCOUNT, token_n(1))
    # What a save killed between writing and renaming leaves behind (the name is the
    # store's own pattern; tests/test_tokens_probes.py makes real ones with kill -9).
    leftovers = [tmp_path / f".tokens.json.{s}.tmp" for s in ("a1b2c3d4", "zz_99xyz")]
    for leftover in leftovers:
        leftover.write_text(json.dumps({"allegro": {ACCOUNT: token_n(0).to_json()}}))
    keep = [
        tmp_path / ".tokens.json.backup",
        tmp_path / ".tokens.json.20250601",
        tmp_path / ".other.json.a1b2c3d4.tmp",
        tmp_path / "tokens.json.a1b2c3d4.tmp",
        tmp_path / ".tokens.json.a1b2c3d4.tmp.orig",
    ]
    for other in keep:
        other.write_text("mine")
    store.save("allegro", ACCOUNT, token_n(2))
    assert [p for p in leftovers if p.exists()] == []
    assert all(p.read_text() == "mine" for p in keep)
    assert store.load("allegro", ACCOUNT) == token_n(2)


# --- point 5: damaged files and missing folders ------------------------------------------

GOOD = {"access_token": "acc-secret-1234", "expires_at": "2030-01-01T00:00:00+00:00"}
DAMAGED = {
    "truncated": ('{"allegro": {"46968690": {"access_token": "acc-secret-1234", "exp', "JSON"),
    "a list at the top": ("[1, 2]", "does not hold a JSON object"),
    "a list for the service": ('{"allegro": ["x"]}', "'allegro'"),
    "a list for the entry": ('{"allegro": {"46968690": ["acc-secret-1234"]}}', "46968690"),
    "a naive timestamp": (
        json.dumps({"allegro": {ACCOUNT: {**GOOD, "expires_at": "2030-01-01T00:00:00"}}}),
        "timezone",
    ),
    "a timestamp that is not one": (
        json.dumps({"allegro": {ACCOUNT: {**GOOD, "expires_at": "tomorrow"}}}),
        "expires_at",
    ),
    "a number for a token": (
        json.dumps({"allegro": {ACCOUNT: {**GOOD, "access_token": 5}}}),
        "access_token",
    ),
    "no access token": (
        json.dumps({"allegro": {ACCOUNT: {"expires_at": GOOD["expires_at"]}}}),
        "lacks access_token or expires_at",
    ),
    "not UTF-8": (b'{"allegro": "\xff"}', "UTF-8"),
}


SAVE_REFUSED = {"truncated", "a list at the top", "a list for the service", "not UTF-8"}


@pytest.mark.parametrize("case", list(DAMAGED))
def test_a_damaged_token_file_names_the_file_and_the_problem(tmp_path: Path, case: str) -> None:
    content, problem = DAMAGED[case]
    path = tmp_path / "tokens.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    store = JsonFileTokenStore(path)
    with pytest.raises(DamagedTokenFileError) as caught:
        store.load("allegro", ACCOUNT)
    error = caught.value
    assert isinstance(error, TokenStorageError)
    assert isinstance(error, ValueError)
    assert str(path) in str(error)
    assert error.path == str(path)
    assert problem in str(error)
    assert "acc-secret-1234" not in str(error)
    if case in SAVE_REFUSED:
        # Saving would overwrite what a person may still repair: refused, file untouched.
        with pytest.raises(DamagedTokenFileError):
            store.save("allegro", "another", token_n(1))
        assert path.read_bytes() == (content if isinstance(content, bytes) else content.encode())


def test_a_client_reports_a_damaged_file_instead_of_crashing(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    content, _ = DAMAGED["a naive timestamp"]
    path.write_text(str(content))
    fake = FakeAllegro()
    worker = Session("sync", fake, JsonFileTokenStore(path))
    with worker, pytest.raises(DamagedTokenFileError, match="timezone"):
        worker.me()


def test_a_missing_folder_is_named_not_taken_for_an_unconnected_account(tmp_path: Path) -> None:
    path = tmp_path / "gone" / "tokens.json"
    store = JsonFileTokenStore(path)
    for attempt in (
        lambda: store.load("allegro", ACCOUNT),
        lambda: store.save("allegro", ACCOUNT, token_n(1)),
        lambda: store.lock("allegro", ACCOUNT).__enter__(),
    ):
        with pytest.raises(TokenStorageError) as caught:
            attempt()
        assert str(tmp_path / "gone") in str(caught.value)
        assert "does not exist" in str(caught.value)
    fake = FakeAllegro()
    worker = Session("sync", fake, store)
    with worker, pytest.raises(TokenStorageError, match="does not exist"):
        worker.me()


def test_an_absent_file_in_an_existing_folder_is_an_empty_store(tmp_path: Path) -> None:
    assert JsonFileTokenStore(tmp_path / "tokens.json").load("allegro", ACCOUNT) is None


# --- point 9: odd expires_in -------------------------------------------------------------

ODD_EXPIRES_IN = {
    "string inf": '"inf"',
    "string nan": '"nan"',
    "Infinity literal": "Infinity",
    "NaN literal": "NaN",
    "1e400": "1e400",
    "10**14": str(10**14),
    "negative": "-5",
    "-1e400": "-1e400",
    "not a number": '"soon"',
    "null": "null",
    "true": "true",
    "an object": "{}",
    "absent": None,
}


def _odd_token_answers(raw: str | None) -> Callable[[httpx.Response], httpx.Response]:
    def rewrite(response: httpx.Response) -> httpx.Response:
        data = json.loads(response.read())
        if raw is None:
            del data["expires_in"]
            text = json.dumps(data)
        else:
            data["expires_in"] = "__odd__"
            text = json.dumps(data).replace('"__odd__"', raw)
        headers = [(k, v) for k, v in response.headers.items() if k.lower() != "content-length"]
        return httpx.Response(200, content=text.encode(), headers=headers)

    return rewrite


class RewriteTokenAnswers(httpx.BaseTransport, httpx.AsyncBaseTransport):
    def __init__(self, inner: Any, rewrite: Callable[[httpx.Response], httpx.Response]) -> None:
        self.inner, self.rewrite = inner, rewrite

    def _apply(self, request: httpx.Request, response: httpx.Response) -> httpx.Response:
        if request.url.path.endswith("/auth/oauth/token") and response.status_code == 200:
            return self.rewrite(response)
        return response

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._apply(request, self.inner.handle_request(request))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        await response.aread()
        return self._apply(request, response)


@pytest.mark.parametrize("mode", SYNC_ASYNC)
@pytest.mark.parametrize("case", list(ODD_EXPIRES_IN))
def test_an_odd_expires_in_never_drops_the_new_pair(tmp_path: Path, mode: str, case: str) -> None:
    fake = FakeAllegro()
    path = tmp_path / "tokens.json"
    store = connected_store(fake, path)
    old = store.load("allegro", ACCOUNT)
    rewrite = _odd_token_answers(ODD_EXPIRES_IN[case])
    odd = {
        "wrap": lambda t: RewriteTokenAnswers(t, rewrite),
        "async_wrap": lambda t: RewriteTokenAnswers(t, rewrite),
    }
    start = datetime.now(timezone.utc)
    with Session(mode, fake, store, **odd) as worker:
        assert worker.me() == ACCOUNT
    stored = JsonFileTokenStore(path).load("allegro", ACCOUNT)
    assert stored is not None
    assert old is not None
    assert stored.refresh_token != old.refresh_token
    assert start - timedelta(seconds=1) <= stored.expires_at
    assert stored.expires_at <= datetime.now(timezone.utc) + timedelta(days=1, seconds=1)
    assert fake.refresh_count() == 1
    assert account_alive(fake, path)


@pytest.mark.parametrize(
    ("raw", "lifetime"),
    [("1e400", 86400.0), ('"inf"', 86400.0), ("-5", 0.0), ("100000000000000", 86400.0),
     ("43199", 43199.0), ('"43199"', 43199.0), ('"nan"', 0.0), ('"soon"', 0.0)],
)  # fmt: skip
def test_expires_in_is_clamped_to_a_day_and_unusable_values_count_as_expired(
    raw: str, lifetime: float
) -> None:
    fake = FakeAllegro()
    token = fake.issue_token()
    now = datetime(2030, 1, 1, tzinfo=timezone.utc)
    transport = RewriteTokenAnswers(fake.transport(), _odd_token_answers(raw))
    with AllegroOAuth(
        fake.app, http_client=httpx.Client(transport=transport), clock=lambda: now
    ) as oauth:
        renewed = oauth.refresh(str(token.refresh_token))
    assert renewed.expires_at == now + timedelta(seconds=lifetime)
    assert renewed.refresh_token
    assert renewed.refresh_token != token.refresh_token


@pytest.mark.parametrize("raw", ['"inf"', "1e400", "NaN", "-7", str(10**14), '"x"'])
def test_a_plenty_login_with_an_odd_expires_in_works(raw: str) -> None:
    answer = json.dumps({**token_body(), "expires_in": "__odd__"}).replace('"__odd__"', raw)
    plenty = (
        FakePlenty()
        .on("POST", "/rest/login", httpx.Response(200, content=answer.encode()))
        .on("GET", "/rest/orders/630", ORDER)
    )
    store = MemoryTokenStore()
    options = {"username": USERNAME, "password": PASSWORD, "token_store": store}
    with PlentyClient(PLENTY_HOST, transport=httpx.MockTransport(plenty), **options) as client:
        client.get_order(630)
    saved = store.load("plenty", f"{USERNAME}@{PLENTY_HOST}")
    assert saved is not None
    assert saved.expires_at <= datetime.now(timezone.utc) + timedelta(days=1, seconds=1)


@pytest.mark.parametrize(
    ("field", "raw", "expected"),
    [("expires_in", "1e400", 86400), ("expires_in", "-3", 0), ("interval", "1e400", 600),
     ("interval", "0", 5), ("expires_in", '"soon"', None), ("interval", "NaN", None)],
)  # fmt: skip
def test_a_device_authorization_with_odd_numbers_is_bounded_or_refused(
    field: str, raw: str, expected: int | None
) -> None:
    body = {
        "device_code": "device-code-0123456789",
        "user_code": "ABC123",
        "verification_uri": "https://allegro.pl/skojarz-aplikacje",
        "expires_in": 3600,
        "interval": 5,
        field: "__odd__",
    }
    answer = json.dumps(body).replace('"__odd__"', raw)
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=answer.encode()))
    fake = FakeAllegro()
    with AllegroOAuth(fake.app, http_client=httpx.Client(transport=transport)) as oauth:
        if expected is None:
            with pytest.raises(ResponseValidationError, match=field):
                oauth.start_device_flow()
        else:
            assert getattr(oauth.start_device_flow(), field) == expected


def test_every_new_error_is_a_library_error() -> None:
    for cls in (TokenStorageError, TokenSaveError, DamagedTokenFileError):
        assert issubclass(cls, AllegroPlentyError)
