"""The plan core: one generator, driven by a sync and an async driver alike."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from allegro_plenty._plan import AsyncDriver, Plan, SyncDriver, bound, call


class Store:
    def __init__(self) -> None:
        self.values: dict[str, int] = {}
        self.calls: list[str] = []

    def put(self, key: str, value: int) -> None:
        self.calls.append(f"put {key}")
        if value < 0:
            raise ValueError(f"negative {key}")
        self.values[key] = value

    def get(self, key: str) -> int | None:
        self.calls.append(f"get {key}")
        return self.values.get(key)


class AsyncStore:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def put(self, key: str, value: int) -> None:
        await asyncio.sleep(0)
        self.store.put(key, value)

    async def get(self, key: str) -> int | None:
        await asyncio.sleep(0)
        return self.store.get(key)


def put_then_read(key: str, value: int) -> Plan[str]:
    try:
        yield from call("store", "put", key, value)
    except ValueError as refused:
        # A failed call is thrown into the plan, which may look up instead.
        found = yield from call("store", "get", key)
        return f"refused ({refused}); stored {found}"
    found = yield from call("store", "get", key=key)
    return f"stored {found}"


def run(mode: str, plan: Plan[Any], store: Store) -> Any:
    if mode == "sync":
        return SyncDriver({"store": store}).drive(plan)
    return asyncio.run(AsyncDriver({"store": AsyncStore(store)}).drive(plan))


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_plan_gets_results_and_returns_its_value(mode: str) -> None:
    store = Store()
    assert run(mode, put_then_read("a", 3), store) == "stored 3"
    assert store.calls == ["put a", "get a"]


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_failed_call_is_thrown_into_the_plan(mode: str) -> None:
    store = Store()
    assert run(mode, put_then_read("b", -1), store) == "refused (negative b); stored None"
    assert store.calls == ["put b", "get b"]


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_an_error_the_plan_does_not_handle_reaches_the_caller(mode: str) -> None:
    def plan() -> Plan[None]:
        yield from call("store", "put", "c", -5)

    with pytest.raises(ValueError, match="negative c"):
        run(mode, plan(), Store())


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_an_unknown_resource_is_a_clear_error(mode: str) -> None:
    def plan() -> Plan[None]:
        yield from call("nowhere", "get", "x")

    with pytest.raises(LookupError, match="'nowhere'"):
        run(mode, plan(), Store())


def test_the_async_driver_calls_plain_methods_too() -> None:
    store = Store()
    assert asyncio.run(AsyncDriver({"store": store}).drive(put_then_read("d", 1))) == "stored 1"


def test_cancellation_closes_the_plan_and_is_not_thrown_into_it() -> None:
    seen: list[str] = []

    class Slow:
        async def wait(self) -> None:
            await asyncio.sleep(10)

    def plan() -> Plan[None]:
        try:
            yield from call("slow", "wait")
        except Exception:  # pragma: no cover - must not happen
            seen.append("caught")
        finally:
            seen.append("closed")

    async def main() -> None:
        task = asyncio.ensure_future(AsyncDriver({"slow": Slow()}).drive(plan()))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert seen == ["closed"]


def test_a_call_repr_shows_no_arguments() -> None:
    effect = next(call("plenty", "login", "user", "s3cret-password"))
    assert "s3cret" not in repr(effect)
    assert repr(effect) == "Call(plenty.login)"


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_deferred_call_hands_the_plan_the_bound_method_uncalled(mode: str) -> None:
    store = Store()

    def plan() -> Plan[Any]:
        put = yield from bound("store", "put", "e", value=4)
        assert store.calls == []  # not called yet
        return put

    put = run(mode, plan(), store)
    result = put()
    if mode == "async":  # the async twin's method: calling it gives an awaitable
        asyncio.run(result)
    assert store.calls == ["put e"]
    assert store.values == {"e": 4}


def test_a_deferred_call_names_itself_without_arguments() -> None:
    effect = next(bound("ledger", "renew", "claim", lease=60))
    assert effect.deferred
    assert repr(effect) == "Call(ledger.renew, deferred)"
