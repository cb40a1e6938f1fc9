"""Cached reference data is fetched once, however many threads or tasks ask at the same time.

Every request counts against plentymarkets' rate limits (and Allegro's), and a
worker pool that starts up asks for the countries, currencies and referrers
all at once. The clients load each entry once: the others wait for it. The
negative controls take the per-key locks away and show that the same harness
then sees one request per caller.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from allegro_plenty import AsyncAllegroClient, AsyncPlentyClient, PlentyClient, _cache
from allegro_plenty.plenty.models import NewReferrer

from .test_allegro_client import TOKEN, vendor
from .test_allegro_models import example_response

HOST = "https://plenty.test"
CALLERS = 8
COUNTRIES = [{"id": 23, "name": "Poland", "isoCode2": "PL", "isoCode3": "POL", "lang": "pl"}]
REFERRERS = [{"id": 104, "backendName": "Allegro", "name": "Allegro", "isEditable": False}]
ACCESS = "acc-" + "a" * 40


class Counter:
    """Counts the requests per path; the first answer waits until every caller asked."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.all_arrived = threading.Event()

    def count(self, request: httpx.Request) -> int:
        self.paths.append(request.url.path)
        if len(self.paths) == CALLERS:
            self.all_arrived.set()
        return self.paths.count(request.url.path)


@pytest.fixture
def without_locks(monkeypatch: pytest.MonkeyPatch) -> None:
    """The broken variant: per-key locks that let everyone through."""

    def acquire(self: Any, key: str) -> _cache.Held:
        return _cache.Held(lambda: None)

    async def acquire_async(self: Any, key: str) -> _cache.Held:
        return _cache.Held(lambda: None)

    monkeypatch.setattr(_cache.ThreadLocks, "acquire", acquire)
    monkeypatch.setattr(_cache.TaskLocks, "acquire", acquire_async)


def threads_ask_for_countries() -> Counter:
    counter = Counter()

    def answer(request: httpx.Request) -> httpx.Response:
        counter.count(request)
        # Hold the answer until every thread asked, or long enough that they all did.
        counter.all_arrived.wait(timeout=0.5)
        return httpx.Response(200, json=COUNTRIES)

    start = threading.Barrier(CALLERS)
    results: list[Any] = []
    with PlentyClient(HOST, access_token=ACCESS, transport=httpx.MockTransport(answer)) as client:

        def ask() -> None:
            start.wait()
            results.append(client.countries())

        threads = [threading.Thread(target=ask) for _ in range(CALLERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)
    assert len(results) == CALLERS
    assert all(r == results[0] and r[0].id == 23 for r in results)
    return counter


def test_threads_asking_at_once_cause_one_request() -> None:
    assert threads_ask_for_countries().paths == ["/rest/orders/shipping/countries"]


@pytest.mark.usefixtures("without_locks")
def test_negative_control_threads_without_the_lock_each_send_a_request() -> None:
    assert len(threads_ask_for_countries().paths) == CALLERS


def tasks_ask(service: str) -> Counter:
    counter = Counter()

    async def answer(request: httpx.Request) -> httpx.Response:
        counter.count(request)
        await asyncio.sleep(0.02)  # every other task asks meanwhile
        if service == "plenty":
            return httpx.Response(200, json=COUNTRIES)
        return vendor(200, example_response("/order/carriers"))

    async def main() -> list[Any]:
        transport = httpx.MockTransport(answer)
        if service == "plenty":
            async with AsyncPlentyClient(HOST, access_token=ACCESS, transport=transport) as plenty:
                return await asyncio.gather(*(plenty.countries() for _ in range(CALLERS)))
        async with AsyncAllegroClient(access_token=TOKEN, transport=transport) as allegro:
            return await asyncio.gather(*(allegro.list_carriers() for _ in range(CALLERS)))

    results = asyncio.run(main())
    assert all(r == results[0] and r for r in results)
    return counter


@pytest.mark.parametrize("service", ["plenty", "allegro"])
def test_tasks_asking_at_once_cause_one_request(service: str) -> None:
    assert len(tasks_ask(service).paths) == 1


@pytest.mark.parametrize("service", ["plenty", "allegro"])
@pytest.mark.usefixtures("without_locks")
def test_negative_control_tasks_without_the_lock_each_send_a_request(service: str) -> None:
    assert len(tasks_ask(service).paths) == CALLERS


def on_async_plenty(
    answer: Callable[[httpx.Request], Awaitable[httpx.Response]],
    use: Callable[[AsyncPlentyClient], Awaitable[None]],
) -> None:
    async def main() -> None:
        transport = httpx.MockTransport(answer)
        async with AsyncPlentyClient(HOST, access_token=ACCESS, transport=transport) as plenty:
            await use(plenty)

    asyncio.run(main())


def test_a_cancelled_waiter_does_not_block_the_next_caller() -> None:
    calls: list[str] = []

    async def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        await asyncio.sleep(0.05)
        return httpx.Response(200, json=COUNTRIES)

    async def use(plenty: AsyncPlentyClient) -> None:
        loading = asyncio.ensure_future(plenty.countries())
        await asyncio.sleep(0.01)
        loading.cancel()  # cancelled while it holds the lock and waits for the answer
        with pytest.raises(asyncio.CancelledError):
            await loading
        found = await asyncio.wait_for(plenty.countries(), timeout=5)
        assert found[0].id == 23

    on_async_plenty(answer, use)
    assert len(calls) == 2


def test_a_write_during_a_load_keeps_the_stale_answer_out_of_the_cache() -> None:
    """A referrer created while the list loads: the list is read again next time."""
    reads: list[int] = []

    async def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(200, json={**REFERRERS[0], "id": 105, "backendName": "New"})
        reads.append(1)
        await asyncio.sleep(0.05)  # the create happens while this list is under way
        return httpx.Response(200, json=REFERRERS)

    async def use(plenty: AsyncPlentyClient) -> None:
        listing = asyncio.ensure_future(plenty.list_referrers())
        await asyncio.sleep(0.01)
        await plenty.create_referrer(NewReferrer("New", "New"))
        assert [r.id for r in await listing] == [104]
        await plenty.list_referrers()

    on_async_plenty(answer, use)
    assert len(reads) == 2
