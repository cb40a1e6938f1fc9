"""One Allegro rate-limit gate per application: after a 429 no account of it calls until the
back-off has passed; other applications go on. Driven through the clients against FakeAllegro,
on a fake clock that the clients' sleeps advance, so nothing really waits.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from datetime import datetime
from typing import Any

import attrs
import httpx
import pytest

from allegro_plenty import AllegroApp, AllegroClient, AsyncAllegroClient, MemoryTokenStore
from allegro_plenty.allegro import (
    ALLEGRO_RETRY,
    AllegroRateGate,
    MemoryRateGate,
    rate_gate,
    shared_rate_gate,
)
from allegro_plenty.allegro import _service as allegro_service
from allegro_plenty.errors import ConfigurationError, RateLimitError
from allegro_plenty.testing import FakeAllegro, FakeClock, Fault, checkout_form

SECOND_SELLER = "53000001"
FORM_ROUTE = "GET /order/checkout-forms/{id}"
NO_RETRY = attrs.evolve(ALLEGRO_RETRY, max_retries=0)
"""The throttled account gives up at once, so only the gate can hold the other one back."""


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def fake(fake_clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> FakeAllegro:
    """Two sellers of one application, whose process-wide gate runs on the fake clock."""
    allegro = FakeAllegro(clock=fake_clock)
    allegro.add_seller(SECOND_SELLER, "second-seller")
    # Seeded into the registry, so clients built without rate_gate= find it by client id.
    monkeypatch.setattr(
        rate_gate, "_GATES", {allegro.client_id: MemoryRateGate(clock=fake_clock.monotonic)}
    )
    return allegro


def make_client(
    mode: str,
    fake: FakeAllegro,
    clock: FakeClock,
    *,
    account: str | None = None,
    app: AllegroApp | None = None,
    **options: Any,
) -> Any:
    """A client of ``app`` (the fake's by default) for ``account``, its token stored."""
    seller = account or fake.default_seller.id
    store = MemoryTokenStore()
    store.save("allegro", seller, fake.issue_token(seller))
    common: dict[str, Any] = {"app": app or fake.app, "account": seller, "token_store": store}
    if mode == "sync":
        return AllegroClient(transport=fake.transport(), sleep=clock.sleep, **common, **options)
    return AsyncAllegroClient(
        transport=fake.async_transport(), sleep=clock.async_sleep, **common, **options
    )


def step(client: Any, method: str, args: tuple[Any, ...]) -> Any:
    """One sync call: its result, or the RateLimitError it raised."""
    try:
        return getattr(client, method)(*args)
    except RateLimitError as error:
        return error


async def async_step(client: Any, method: str, args: tuple[Any, ...]) -> Any:
    """One async call: its result, or the RateLimitError it raised."""
    try:
        return await getattr(client, method)(*args)
    except RateLimitError as error:
        return error


def calls(mode: str, *steps: tuple[Any, str, tuple[Any, ...]]) -> list[Any]:
    """Run ``(client, method, args)`` steps in order (in one event loop when async) and close
    the clients; each result, or the RateLimitError a step raised."""
    if mode == "sync":
        results = [step(*s) for s in steps]
        for client, _, _ in steps:
            client.close()
        return results

    async def run() -> list[Any]:
        results = [await async_step(*s) for s in steps]
        for client, _, _ in steps:
            await client.aclose()
        return results

    return asyncio.run(run())


def throttle_first_then_call_second(
    mode: str, fake: FakeAllegro, clock: FakeClock, **second: Any
) -> tuple[datetime, datetime]:
    """Account one gets a 429, then account two calls; when each request reached Allegro."""
    form_id = fake.add_checkout_form(checkout_form(seed=1))
    fake.faults.inject(Fault.rate_limited(), route=FORM_ROUTE, times=1)
    first = make_client(mode, fake, clock, retry=NO_RETRY)
    other = make_client(mode, fake, clock, account=SECOND_SELLER, **second)
    refused, me = calls(mode, (first, "get_checkout_form", (form_id,)), (other, "get_me", ()))
    assert isinstance(refused, RateLimitError)
    assert me.id == SECOND_SELLER
    throttled = fake.calls(FORM_ROUTE)[0]
    assert throttled.status == 429
    return throttled.at, fake.calls("GET /me")[0].at


def test_a_429_on_one_account_pauses_the_other_accounts_of_the_app(
    mode: str, fake: FakeAllegro, fake_clock: FakeClock
) -> None:
    throttled_at, next_call_at = throttle_first_then_call_second(mode, fake, fake_clock)
    assert (next_call_at - throttled_at).total_seconds() == ALLEGRO_RETRY.rate_limit_delay
    assert fake_clock.slept == [ALLEGRO_RETRY.rate_limit_delay]


def test_without_the_gate_the_other_account_calls_during_the_block(
    mode: str, fake: FakeAllegro, fake_clock: FakeClock
) -> None:
    # Negative control: the same harness, the second client without a gate.
    throttled_at, next_call_at = throttle_first_then_call_second(
        mode, fake, fake_clock, rate_gate=False
    )
    assert next_call_at == throttled_at
    assert fake_clock.slept == []


def test_clients_of_another_application_are_not_paused(
    mode: str, fake: FakeAllegro, fake_clock: FakeClock
) -> None:
    other_app = AllegroApp("another-client-id", "another-secret")
    throttled_at, next_call_at = throttle_first_then_call_second(
        mode, fake, fake_clock, app=other_app
    )
    assert next_call_at == throttled_at
    assert fake_clock.slept == []


def test_the_gate_keeps_the_application_out_of_allegros_block(fake_clock: FakeClock) -> None:
    """Against the fake's own per-application budget, which lengthens a block when called."""
    fake = FakeAllegro(clock=fake_clock, requests_per_minute=3)
    fake.add_seller(SECOND_SELLER, "second-seller")
    outcomes = {}
    for gated in (True, False):
        fake_clock.advance(3600)  # a fresh minute, no block
        gate: AllegroRateGate | bool = (
            MemoryRateGate(clock=fake_clock.monotonic) if gated else False
        )
        first = make_client("sync", fake, fake_clock, retry=NO_RETRY, rate_gate=gate)
        other = make_client(
            "sync", fake, fake_clock, account=SECOND_SELLER, retry=NO_RETRY, rate_gate=gate
        )
        start = len(fake.calls())
        # The first account spends the budget (3 a minute) and gets a 429, then the other calls.
        *_, last = calls("sync", *[(first, "get_me", ())] * 4, (other, "get_me", ()))
        outcomes[gated] = (type(last).__name__, [c.status for c in fake.calls()[start:]])
    assert outcomes[True] == ("Me", [200, 200, 200, 429, 200])
    # Negative control: without the gate the other account calls into the block, gets a
    # 429 and lengthens the block for the whole application.
    assert outcomes[False] == ("RateLimitError", [200, 200, 200, 429, 429])


def test_one_429_waits_once_the_engines_backoff(
    mode: str, fake: FakeAllegro, fake_clock: FakeClock
) -> None:
    """The gate and the retry agree: the throttled call waits its backoff, no more."""
    form_id = fake.add_checkout_form(checkout_form(seed=2))
    fake.faults.inject(Fault.rate_limited(), route=FORM_ROUTE, times=1)
    delays: list[float] = []
    client = make_client(mode, fake, fake_clock, on_retry=lambda e: delays.append(e.delay))
    [form] = calls(mode, (client, "get_checkout_form", (form_id,)))
    assert form.id == form_id
    assert len(delays) == 1
    assert 60.0 <= delays[0] <= 60.0 * (1 + ALLEGRO_RETRY.jitter)
    assert fake_clock.slept == delays
    assert client.rate_gate.wait() == 0


def test_a_gate_longer_than_the_backoff_would_be_detected(
    fake: FakeAllegro, fake_clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Negative control of the test above: a gate that blocks for the backoff's jittered
    # maximum makes the throttled call wait a second time, and the same harness sees it.
    monkeypatch.setattr(allegro_service, "_no_jitter", lambda: 1.0)
    form_id = fake.add_checkout_form(checkout_form(seed=2))
    fake.faults.inject(Fault.rate_limited(), route=FORM_ROUTE, times=1)
    client = make_client("sync", fake, fake_clock)
    calls("sync", (client, "get_checkout_form", (form_id,)))
    assert len(fake_clock.slept) == 2


def test_repeated_429s_double_the_block_up_to_the_cap_and_a_success_resets_it(
    fake: FakeAllegro, fake_clock: FakeClock
) -> None:
    form_id = fake.add_checkout_form(checkout_form(seed=3))
    gate = shared_rate_gate(fake.client_id)
    client = make_client("sync", fake, fake_clock, retry=NO_RETRY)

    def throttled() -> float:
        fake.faults.inject(Fault.rate_limited(), route=FORM_ROUTE, times=1)
        with pytest.raises(RateLimitError):
            client.get_checkout_form(form_id)
        return gate.wait()

    blocks = [throttled() for _ in range(4)]
    client.get_checkout_form(form_id)  # waits the block out, then succeeds
    blocks.append(throttled())
    client.close()
    # The fourth would be 480 s: capped at the longest wait the policy honours.
    assert blocks == [60.0, 120.0, 240.0, NO_RETRY.max_retry_after, 60.0]


# --- which gate a client gets -----------------------------------------------------------


def test_clients_share_the_gate_of_their_application() -> None:
    store = MemoryTokenStore()
    one, two = AllegroApp("app-one", "secret-one"), AllegroApp("app-two", "secret-two")
    clients = [
        AllegroClient(app=one, account="1", token_store=store),
        AsyncAllegroClient(app=one, account="2", token_store=store),
        AllegroClient(app=two, account="1", token_store=store),
        AllegroClient(access_token="token-one-0123456789"),
        AsyncAllegroClient(access_token="token-two-0123456789"),
        AllegroClient(app=one, account="3", token_store=store, rate_gate=False),
    ]
    a, b, c, d, e, off = (client.rate_gate for client in clients)
    assert a is b is shared_rate_gate("app-one")
    assert c is shared_rate_gate("app-two") is not a
    assert d is e is shared_rate_gate(rate_gate.NO_APP) is not a
    assert off is None
    for client in clients:
        if isinstance(client, AllegroClient):
            client.close()
        else:
            asyncio.run(client.aclose())


def test_a_gate_of_your_own_is_used_as_given() -> None:
    class Recorded:
        def __init__(self) -> None:
            self.blocks: list[float] = []

        def wait(self) -> float:
            return 0.0

        def block(self, seconds: float) -> None:
            self.blocks.append(seconds)

    mine = Recorded()
    answers = iter([httpx.Response(429, json={"errors": []}), httpx.Response(200, json={})])
    transport = httpx.MockTransport(lambda request: next(answers))
    with AllegroClient(
        access_token="token-0123456789", transport=transport, rate_gate=mine, retry=NO_RETRY
    ) as client:
        assert client.rate_gate is mine
        with pytest.raises(RateLimitError):
            client.get_me()
    assert mine.blocks == [60.0]


def test_a_wrong_gate_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="rate_gate must be an AllegroRateGate"):
        AllegroClient(access_token="token-0123456789", rate_gate="shared")  # type: ignore[arg-type]


def test_a_block_never_shortens_and_refuses_nonsense(fake_clock: FakeClock) -> None:
    gate = MemoryRateGate(clock=fake_clock.monotonic)
    assert gate.wait() == 0
    gate.block(60)
    gate.block(10)
    fake_clock.advance(15)
    assert gate.wait() == 45
    fake_clock.advance(45)
    assert gate.wait() == 0
    for bad in (-1.0, float("nan")):
        with pytest.raises(ConfigurationError, match="0 seconds or more"):
            gate.block(bad)


def test_a_burst_of_429s_blocks_once(fake_clock: FakeClock) -> None:
    """Calls in flight together all get the 429: the block is the first one's, not doubled."""
    threads = 4
    together = threading.Barrier(threads, timeout=10)

    def answer(request: httpx.Request) -> httpx.Response:
        together.wait()  # every request is in flight before any is answered
        return httpx.Response(429, json={"errors": [{"code": "TooManyRequestsException"}]})

    gate = MemoryRateGate(clock=fake_clock.monotonic)
    with (
        AllegroClient(
            access_token="token-0123456789",
            transport=httpx.MockTransport(answer),
            retry=NO_RETRY,
            rate_gate=gate,
        ) as client,
        concurrent.futures.ThreadPoolExecutor(threads) as pool,
    ):
        refused = list(pool.map(lambda _: step(client, "get_me", ()), range(threads)))
    assert all(isinstance(r, RateLimitError) for r in refused)
    assert gate.wait() == ALLEGRO_RETRY.rate_limit_delay
