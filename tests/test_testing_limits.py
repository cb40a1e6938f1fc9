"""The plenty fake's own rate limiter, alone and against the client's throttle."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from allegro_plenty.errors import RateLimitError
from allegro_plenty.testing import FakeClock, FakePlenty, PlentyLimiter, PlentyPlan

from .fakes_support import MODES, Checked, plenty_client, reach

TINY = PlentyPlan(
    "tiny", reads_per_minute=30, writes_per_minute=5, reads_per_day=10_000, writes_per_day=50
)
ROUTE = "GET /rest/orders/currencies/{currencyIso}/exchangeRate"


def test_buckets_count_down_refill_after_the_period_and_refuse_without_counting(
    fake_clock: FakeClock,
) -> None:
    limiter = PlentyLimiter(TINY, route_limits={"POST /rest/orders": (2, 10.0)})
    now = fake_clock.now()
    first = limiter.check("GET /rest/vat", "u", write=False, now=now)
    assert first.allowed
    assert dict(first.headers)["X-Plenty-Global-Short-Period-Calls-Left"] == "29"
    assert dict(first.headers)["X-Plenty-Global-Short-Period-Decay"] == "60"
    for _ in range(29):
        assert limiter.check("GET /rest/vat", "u", write=False, now=now).allowed
    refused = limiter.check("GET /rest/vat", "u", write=False, now=now + timedelta(seconds=15))
    headers = dict(refused.headers)
    assert not refused.allowed
    assert refused.retry_after == 45
    assert headers["Retry-After"] == "45"
    assert "X-Plenty-Global-Short-Period-Calls-Reset" in headers
    # Another user has a bucket of its own; writes count apart from reads.
    assert limiter.check("GET /rest/vat", "other", write=False, now=now).allowed
    assert limiter.check("POST /rest/orders", "u", write=True, now=now).allowed
    assert limiter.check("POST /rest/orders", "u", write=True, now=now).allowed
    route = limiter.check("POST /rest/orders", "u", write=True, now=now)
    assert not route.allowed
    assert "X-Plenty-Route-Calls-Reset" in dict(route.headers)
    after = limiter.check("GET /rest/vat", "u", write=False, now=now + timedelta(seconds=60))
    assert after.allowed
    assert dict(after.headers)["X-Plenty-Global-Short-Period-Calls-Left"] == "29"
    # The long period counted every admitted read (31 by "u" and "other"), none refused.
    assert dict(after.headers)["X-Plenty-Global-Long-Period-Calls-Left"] == str(10_000 - 32)


def _hammer(client: object, threads: int, calls: int) -> list[BaseException]:
    errors: list[BaseException] = []

    def call() -> None:
        try:
            client.exchange_rate("EUR")  # type: ignore[attr-defined]
        except RateLimitError as error:
            errors.append(error)

    def work() -> None:
        for _ in range(calls):
            call()

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return errors


@pytest.mark.parametrize("mode", MODES)
def test_the_fakes_limiter_alone_answers_429_and_the_clients_throttle_prevents_every_one(
    checked: Checked, fake_clock: FakeClock, mode: str
) -> None:
    outcomes = {}
    for throttle in (False, True):
        plenty: FakePlenty = checked(FakePlenty(clock=fake_clock, plan=TINY))
        with (
            reach(plenty, mode) as via,
            plenty_client(plenty, fake_clock, via, throttle=throttle) as client,
        ):
            errors = _hammer(client, threads=4, calls=25)
        statuses = [c.status for c in plenty.calls(ROUTE)]
        outcomes[throttle] = (statuses.count(429), statuses.count(200), errors)
        refused = [c for c in plenty.calls(ROUTE) if c.status == 429]
        for call in refused:
            assert call.response is not None
            assert call.response.header("Retry-After") is not None
            assert call.response.header("X-Plenty-Global-Short-Period-Calls-Reset") is not None

    unthrottled_429s, _, _ = outcomes[False]
    assert unthrottled_429s > 0, "the fake's limiter alone must refuse calls over the limit"
    throttled_429s, throttled_ok, throttled_errors = outcomes[True]
    assert throttled_429s == 0
    assert throttled_errors == []
    assert throttled_ok == 100


def test_every_answer_carries_the_limit_headers_and_no_limiter_means_none(
    checked: Checked, fake_clock: FakeClock
) -> None:
    limited: FakePlenty = checked(FakePlenty(clock=fake_clock))
    unlimited: FakePlenty = checked(FakePlenty(clock=fake_clock, plan=None))
    for fake in (limited, unlimited):
        with plenty_client(fake, fake_clock, {"transport": fake.transport()}) as client:
            client.countries()
    (call,) = limited.calls("GET /rest/orders/shipping/countries")
    assert call.response is not None
    for prefix in ("Global-Long-Period", "Global-Short-Period", "Route"):
        for suffix in ("Limit", "Calls-Left", "Decay"):
            assert call.response.header(f"X-Plenty-{prefix}-{suffix}") is not None
    assert call.response.header("X-Plenty-Global-Short-Period-Limit") == "200"
    (free,) = unlimited.calls("GET /rest/orders/shipping/countries")
    assert free.response is not None
    assert free.response.header("X-Plenty-Route-Limit") is None
