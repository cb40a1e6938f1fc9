"""The plenty throttle against a mock server with its own, independently written limiter.

Time is virtual: it advances only when every worker sleeps, so minutes of
rate-limit decay pass in milliseconds and the elapsed time is exact.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from allegro_plenty.errors import RateLimitError
from allegro_plenty.plenty import (
    AsyncPlentyClient,
    BudgetExhaustedError,
    PlentyBudget,
    PlentyClient,
    PlentyThrottle,
)
from allegro_plenty.plenty.models import NewComment

from .specs import PLENTY_HOST

pytestmark = pytest.mark.spec
TOKEN = "tok-" + "t" * 40
ORDER = {"id": 630, "typeId": 1, "statusId": 5}
COMMENT = {"id": 3, "referenceType": "order", "referenceValue": 630, "text": "x"}


class VirtualTime:
    """Time for threads: it jumps to the next wake-up once every worker is asleep."""

    def __init__(self, workers: int) -> None:
        self.now = 0.0
        self._active = workers
        self._sleepers: list[tuple[float, int, list[bool]]] = []
        self._seq = itertools.count()
        self._cv = threading.Condition()

    def monotonic(self) -> float:
        with self._cv:
            return self.now

    def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            return
        with self._cv:
            woken = [False]
            heapq.heappush(self._sleepers, (self.now + seconds, next(self._seq), woken))
            self._active -= 1
            self._advance()
            while not woken[0]:
                self._cv.wait()

    def done(self) -> None:
        with self._cv:
            self._active -= 1
            self._advance()

    def _advance(self) -> None:
        if self._active > 0 or not self._sleepers:
            return
        self.now = self._sleepers[0][0]
        while self._sleepers and self._sleepers[0][0] <= self.now:
            heapq.heappop(self._sleepers)[2][0] = True
            self._active += 1
        self._cv.notify_all()


class AsyncVirtualTime:
    """The same for asyncio tasks on one loop."""

    def __init__(self, workers: int) -> None:
        self.now = 0.0
        self._active = workers
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + seconds, next(self._seq), woken))
        self._active -= 1
        self._advance()
        await woken

    def done(self) -> None:
        self._active -= 1
        self._advance()

    def _advance(self) -> None:
        if self._active > 0 or not self._sleepers:
            return
        self.now = self._sleepers[0][0]
        while self._sleepers and self._sleepers[0][0] <= self.now:
            heapq.heappop(self._sleepers)[2].set_result(None)
            self._active += 1


class FixedWindowLimiter:
    """The server's limiter, written apart from the client's throttle.

    At most ``limit`` calls in each fixed window ``[k * window, (k + 1) * window)``.
    """

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float], *, foreign: int = 0
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._foreign = foreign
        self._start = -1.0
        self._used = 0
        self.per_window: Counter[int] = Counter()
        self.lowest_left = limit

    def take(self) -> tuple[bool, int, int, int]:
        """(allowed, calls left, decay in whole seconds rounded down, retry after)."""
        now = self._clock()
        start = math.floor(now / self.window) * self.window
        if start != self._start:
            # Other users of the system (the web shop) spend `foreign` calls first.
            self._start, self._used = start, self._foreign
        remaining = start + self.window - now
        if self._used >= self.limit:
            return False, 0, int(remaining), math.ceil(remaining)
        self._used += 1
        self.per_window[int(start // self.window)] += 1
        left = self.limit - self._used
        self.lowest_left = min(self.lowest_left, left)
        return True, left, int(remaining), 0


class LimitedServer:
    """A mock plenty whose limiters answer 429 when a limit is used up."""

    def __init__(
        self,
        clock: Callable[[], float],
        *,
        short: int = 40,
        long: int = 100_000,
        writes_short: int = 40,
        route: tuple[str, int] | None = None,
        foreign: int = 0,
    ) -> None:
        self._lock = threading.Lock()
        self.limiters = {
            ("read", "Global-Long-Period"): FixedWindowLimiter(long, 86_400, clock),
            ("read", "Global-Short-Period"): FixedWindowLimiter(short, 60, clock, foreign=foreign),
            ("write", "Global-Long-Period"): FixedWindowLimiter(long, 86_400, clock),
            ("write", "Global-Short-Period"): FixedWindowLimiter(writes_short, 60, clock),
        }
        self.route = route
        if route is not None:
            self.limiters[("route", route[0])] = FixedWindowLimiter(route[1], 60, clock)
        self.ok = 0
        self.refused = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        kind = "read" if request.method == "GET" else "write"
        names = [(kind, "Global-Long-Period"), (kind, "Global-Short-Period")]
        if self.route is not None and request.url.path == self.route[0]:
            names.append(("route", self.route[0]))
        headers: dict[str, str] = {}
        refused_after = 0
        with self._lock:
            for name in names:
                limiter = self.limiters[name]
                allowed, left, decay, retry_after = limiter.take()
                prefix = "X-Plenty-Route" if name[0] == "route" else f"X-Plenty-{name[1]}"
                headers[f"{prefix}-Limit"] = str(limiter.limit)
                headers[f"{prefix}-Calls-Left"] = str(left)
                headers[f"{prefix}-Decay"] = str(decay)
                if not allowed:
                    refused_after = max(refused_after, retry_after)
            if refused_after:
                self.refused += 1
                headers["Retry-After"] = str(refused_after)
                return httpx.Response(429, json={"error": {"message": "Too Many"}}, headers=headers)
            self.ok += 1
        replies = {"/rest/orders/630": ORDER, "/rest/orders/630/packagenumbers": ["J1"]}
        reply = replies[request.url.path] if request.method == "GET" else COMMENT
        return httpx.Response(200, json=reply, headers=headers)


def run_threads(
    *,
    threads: int,
    calls: int,
    throttle: bool,
    spec_checked: Any,
    server_options: dict[str, Any] | None = None,
) -> tuple[LimitedServer, float, list[BaseException]]:
    """``threads`` threads share one client and make ``calls`` calls between them."""
    time = VirtualTime(threads)
    server = LimitedServer(time.monotonic, **(server_options or {}))
    client = PlentyClient(
        PLENTY_HOST,
        access_token=TOKEN,
        transport=spec_checked("plenty", server),
        sleep=time.sleep,
        monotonic=time.monotonic,
        throttle=throttle,
        strict=True,
    )
    remaining = [calls]
    lock = threading.Lock()
    errors: list[BaseException] = []

    def work() -> None:
        try:
            while True:
                with lock:
                    if remaining[0] == 0:
                        return
                    remaining[0] -= 1
                try:
                    client.get_order(630, relations=())
                except RateLimitError as error:
                    errors.append(error)
        finally:
            time.done()

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    client.close()
    assert not any(w.is_alive() for w in workers), "workers hung"
    return server, time.now, errors


def test_eight_threads_make_500_calls_without_a_429(spec_checked: Any) -> None:
    limit, window, threads, calls = 40, 60.0, 8, 500
    server, elapsed, errors = run_threads(
        threads=threads, calls=calls, throttle=True, spec_checked=spec_checked
    )
    assert (server.ok, server.refused, errors) == (calls, 0, [])
    short = server.limiters[("read", "Global-Short-Period")]
    assert short.lowest_left >= 1, "calls-left reached zero"
    # The server allows `limit` calls per window, so the run needs this much at least ...
    assert elapsed >= (math.ceil(calls / limit) - 1) * window
    # ... and the throttle may keep one call in reserve, count at most threads - 1
    # answered calls twice, and add its 1 s margin to each decay.
    usable = limit - 1 - (threads - 1)
    assert elapsed <= (math.ceil(calls / usable) - 1) * (window + 1.0)
    print(f"\n500 calls, 8 threads, limit 40/60 s: {elapsed:.0f} virtual s, 0 x 429")


def test_without_the_throttle_the_same_load_runs_into_429s(spec_checked: Any) -> None:
    """Negative control: the server's limiter is live and the load exceeds it."""
    server, _, _ = run_threads(threads=8, calls=500, throttle=False, spec_checked=spec_checked)
    assert server.refused > 0


def test_calls_of_other_users_are_respected(spec_checked: Any) -> None:
    """The shop spends 25 of the 40 calls of every minute; the headers tell the throttle."""
    limit, foreign, threads, calls = 40, 25, 8, 100
    server, elapsed, errors = run_threads(
        threads=threads,
        calls=calls,
        throttle=True,
        spec_checked=spec_checked,
        server_options={"short": limit, "foreign": foreign},
    )
    assert (server.ok, server.refused, errors) == (calls, 0, [])
    assert server.limiters[("read", "Global-Short-Period")].lowest_left >= 1
    usable = limit - foreign - 1 - (threads - 1)
    assert elapsed <= (math.ceil(calls / usable) - 1) * 61.0


def test_async_tasks_share_the_throttle(spec_checked: Any) -> None:
    tasks, calls, limit = 8, 200, 40
    time = AsyncVirtualTime(tasks)
    server = LimitedServer(time.monotonic, short=limit)

    async def run() -> None:
        async with AsyncPlentyClient(
            PLENTY_HOST,
            access_token=TOKEN,
            transport=spec_checked("plenty", server),
            sleep=time.sleep,
            monotonic=time.monotonic,
            strict=True,
        ) as client:
            remaining = [calls]

            async def work() -> None:
                try:
                    while remaining[0] > 0:
                        remaining[0] -= 1
                        await client.get_order(630, relations=())
                finally:
                    time.done()

            await asyncio.gather(*(work() for _ in range(tasks)))

    asyncio.run(run())
    assert (server.ok, server.refused) == (calls, 0)
    assert time.now <= (math.ceil(calls / (limit - tasks)) - 1) * 61.0


class SingleWorker:
    """One sync client on virtual time, recording its sleeps."""

    def __init__(self, spec_checked: Any, **server_options: Any) -> None:
        self.time = VirtualTime(1)
        self.server = LimitedServer(self.time.monotonic, **server_options)
        self.transport = spec_checked("plenty", self.server)
        self.slept: list[float] = []

    def client(self, **options: Any) -> PlentyClient:
        def sleep(seconds: float) -> None:
            self.slept.append(seconds)
            self.time.sleep(seconds)

        return PlentyClient(
            PLENTY_HOST,
            access_token=TOKEN,
            transport=self.transport,
            sleep=sleep,
            monotonic=self.time.monotonic,
            strict=True,
            **options,
        )


def test_budget_share_caps_calls_per_window(spec_checked: Any) -> None:
    worker = SingleWorker(spec_checked)
    with worker.client(budget=PlentyBudget(share=0.5)) as client:
        for _ in range(100):
            client.get_order(630, relations=())
    short = worker.server.limiters[("read", "Global-Short-Period")]
    assert max(short.per_window.values()) <= 20
    assert worker.server.refused == 0


def test_long_period_reserve_is_left_untouched(spec_checked: Any) -> None:
    worker = SingleWorker(spec_checked, long=50)
    made = 0
    with worker.client(budget=PlentyBudget(long_period_reserve=0.2)) as client:
        while made < 40:
            client.get_order(630, relations=())
            made += 1
        with pytest.raises(BudgetExhaustedError) as caught:
            client.get_order(630, relations=())
    long = worker.server.limiters[("read", "Global-Long-Period")]
    assert long.lowest_left == 10  # 20 % of 50 kept for the shop
    assert made == 40
    assert caught.value.scope == "global-long"
    assert caught.value.wait > 3600


def test_writes_have_their_own_window(spec_checked: Any) -> None:
    worker = SingleWorker(spec_checked, short=3, writes_short=3)
    with worker.client() as client:
        client.get_order(630, relations=())
        client.get_order(630, relations=())  # read window: 1 left, the reserve
        client.create_comment(NewComment.plain(630, "x"))  # a write still goes at once
        assert worker.slept == []
        client.get_order(630, relations=())  # the read waits for the decay
    assert len(worker.slept) == 1
    assert 59 <= worker.slept[0] <= 61
    assert worker.server.refused == 0


def test_route_limits_pace_only_their_route(spec_checked: Any) -> None:
    worker = SingleWorker(spec_checked, route=("/rest/orders/630", 2))
    with worker.client() as client:
        client.get_order(630, relations=())  # route: 1 left, the reserve
        client.package_numbers(630)  # another route goes at once
        assert worker.slept == []
        client.get_order(630, relations=())  # waits for the route's decay
    assert len(worker.slept) == 1
    assert worker.server.refused == 0
    route = [r for r in client.rate_limits if r.scope == "route"]
    assert [(r.operation, r.limit) for r in route] == [("get_order", 2)]


def test_a_429_blocks_the_other_calls_for_its_retry_after(spec_checked: Any) -> None:
    time = VirtualTime(1)
    answers = iter(
        [
            httpx.Response(429, json={"error": {"message": "slow down"}},
                           headers={"Retry-After": "30"}),
            httpx.Response(200, json=ORDER),
            httpx.Response(200, json=COMMENT),
        ]
    )  # fmt: skip
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        time.sleep(seconds)

    with PlentyClient(
        PLENTY_HOST,
        access_token=TOKEN,
        transport=spec_checked("plenty", lambda request: next(answers)),
        sleep=sleep,
        monotonic=time.monotonic,
    ) as client:
        client.get_order(630, relations=())
        assert slept == [30.0]  # the retry honoured Retry-After
    # A second read issued right after the 429 would have waited as well:
    throttle = PlentyThrottle(clock=time.monotonic)
    from allegro_plenty.plenty import endpoints as ep

    op = ep.get_order(630)
    assert throttle.before_send(op) == 0
    throttle.after_response(op, httpx.Response(429, headers={"Retry-After": "30"}, content=b"{}"))
    assert throttle.before_send(op) == pytest.approx(30)
    assert throttle.before_send(ep.create_comment(NewComment.plain(1, "x"))) == 0


def test_session_limit_429_does_not_block_the_throttle() -> None:
    from allegro_plenty.plenty import endpoints as ep

    throttle = PlentyThrottle(clock=lambda: 0.0)
    op = ep.get_order(630)
    throttle.after_response(
        op,
        httpx.Response(
            429, headers={"Retry-After": "30"}, json={"error": "too_many_concurrent_sessions"}
        ),
    )
    assert throttle.before_send(op) == 0


def test_last_seen_limits_are_readable(spec_checked: Any) -> None:
    worker = SingleWorker(spec_checked)
    with worker.client() as client:
        assert client.rate_limits == ()
        client.get_order(630, relations=())
        seen = {(r.scope, r.kind): r for r in client.rate_limits}
    assert set(seen) == {("global-long", "read"), ("global-short", "read")}
    short = seen[("global-short", "read")]
    assert (short.limit, short.calls_left, short.operation) == (40, 39, None)
    assert 59 <= short.decay <= 60


def test_throttle_off_still_reads_the_headers(spec_checked: Any) -> None:
    worker = SingleWorker(spec_checked)
    with worker.client(throttle=False) as client:
        client.get_order(630, relations=())
        assert [r.scope for r in client.rate_limits] == ["global-long", "global-short"]


def test_a_shared_throttle_and_a_budget_exclude_each_other() -> None:
    with pytest.raises(ValueError, match="shared PlentyThrottle"):
        PlentyClient(
            PLENTY_HOST,
            access_token=TOKEN,
            throttle=PlentyThrottle(),
            budget=PlentyBudget(share=0.5),
        )


@pytest.mark.parametrize(
    "kwargs",
    [{"share": 0}, {"share": 1.5}, {"write_share": -1}, {"long_period_reserve": 1}],
)
def test_budget_validation(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        PlentyBudget(**kwargs)
