"""A write's precondition runs right before each send attempt, after every wait.

The importer hands its claim's renewal to every plenty write; a worker held in
the throttle past its lease must find out *after* the wait, not before it.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any, TypeVar

import pytest

from allegro_plenty._plan import AsyncDriver, Plan, SyncDriver, call
from allegro_plenty.errors import APIConnectionError, ClaimLostError
from allegro_plenty.plenty.models import (
    NewComment,
    NewOrder,
    NewOrderItem,
    OrderItemAmount,
    OrderProperty,
)
from allegro_plenty.testing import FakeClock, FakePlenty, Fault

from .fakes_support import Checked, async_plenty_client, plenty_client

COMMENTS = "POST /rest/comments"
T = TypeVar("T")


def comment(order_id: int, text: str = "hello") -> NewComment:
    return NewComment.plain(order_id, text)


class Trail:
    """Sleeps and checks in the order they happened, on the fake clock."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.events: list[tuple[str, float]] = []

    def sleep(self, seconds: float) -> None:
        self.events.append(("sleep", seconds))
        self.clock.sleep(seconds)

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)

    def check(self) -> None:
        self.events.append(("check", self.clock.monotonic()))

    async def async_check(self) -> None:
        await asyncio.sleep(0)
        self.check()


def throttled_plenty(checked: Checked, clock: FakeClock) -> FakePlenty:
    # Two comments a minute: after the first, the throttle holds the next one
    # until the route's window has decayed.
    return checked(FakePlenty(clock=clock, route_limits={COMMENTS: (2, 60)}))


def drive(mode: str, plenty: FakePlenty, clock: FakeClock, plan: Plan[T], sleep: Any) -> T:
    """Run ``plan`` against a sync or an async client of ``plenty`` whose waits ``sleep`` sees."""
    if mode == "sync":
        with plenty_client(plenty, clock, {"transport": plenty.transport()}) as client:
            client._engine.sleep = sleep  # the engine sleeps through this; record its waits
            return SyncDriver({"plenty": client}).drive(plan)

    async def main() -> T:
        via = {"transport": plenty.async_transport()}
        async with async_plenty_client(plenty, clock, via) as client:
            client._engine.sleep = sleep
            return await AsyncDriver({"plenty": client}).drive(plan)

    return asyncio.run(main())


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_the_precondition_runs_after_the_throttle_wait(
    checked: Checked, fake_clock: FakeClock, mode: str
) -> None:
    plenty = throttled_plenty(checked, fake_clock)
    order_id = seeded_order(plenty)
    trail = Trail(fake_clock)
    check = trail.check if mode == "sync" else trail.async_check
    sleep = trail.sleep if mode == "sync" else trail.async_sleep

    def two_comments() -> Plan[None]:
        yield from call("plenty", "create_comment", comment(order_id, "first"))
        yield from call("plenty", "create_comment", comment(order_id, "2nd"), precondition=check)

    drive(mode, plenty, fake_clock, two_comments(), sleep)

    kinds = [kind for kind, _ in trail.events]
    assert kinds[0] == "sleep", "the throttle made the second write wait"
    assert kinds[-1] == "check"
    assert kinds.count("check") == 1
    waited = sum(seconds for kind, seconds in trail.events if kind == "sleep")
    assert waited >= 55  # most of the route's minute
    first, second = plenty.calls(COMMENTS)
    assert (second.at - first.at).total_seconds() >= waited
    # the check ran once the wait was over, right before the request went out
    assert trail.events[-1][1] == pytest.approx(fake_clock.monotonic())


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_failing_precondition_sends_nothing_and_is_not_retried(
    checked: Checked, fake_clock: FakeClock, mode: str
) -> None:
    plenty = checked(FakePlenty(clock=fake_clock))
    order_id = seeded_order(plenty)
    tries: list[int] = []

    def lost() -> None:
        tries.append(1)
        raise ClaimLostError(account="46968690", key="form-1", owner="worker-a")

    async def async_lost() -> None:
        lost()

    def plan() -> Plan[None]:
        check = lost if mode == "sync" else async_lost
        yield from call("plenty", "create_comment", comment(order_id), precondition=check)

    with pytest.raises(ClaimLostError):
        drive(mode, plenty, fake_clock, plan(), fake_clock.sleep)
    assert tries == [1]
    assert plenty.call_count(COMMENTS) == 0


def test_the_precondition_runs_before_every_attempt(
    checked: Checked, fake_clock: FakeClock
) -> None:
    plenty = checked(FakePlenty(clock=fake_clock))
    plenty.faults.inject(Fault.server_error(503), route="PUT /rest/orders/*", times=2)
    checks: list[float] = []
    with plenty_client(plenty, fake_clock, {"transport": plenty.transport()}) as client:
        order_id = seeded_order(plenty)
        client.update_order_status(order_id, 5, precondition=lambda: checks.append(1))
    assert len(checks) == 3  # two 503s retried, then the success
    assert plenty.call_count("PUT /rest/orders/{orderId}") == 3


def test_an_attempt_stopped_by_its_precondition_keeps_the_earlier_attempts_answer(
    checked: Checked, fake_clock: FakeClock
) -> None:
    """A retry stopped by the check raises the check's error: the caller must not
    mistake it for "nothing happened" when the first attempt may have landed."""
    plenty = checked(FakePlenty(clock=fake_clock))
    plenty.faults.inject(Fault.server_error(503), route="PUT /rest/orders/*", times=1)
    calls: list[int] = []

    def second_time_lost() -> None:
        calls.append(1)
        if len(calls) > 1:
            raise ClaimLostError(account="46968690", key="form-1", owner="worker-a")

    with plenty_client(plenty, fake_clock, {"transport": plenty.transport()}) as client:
        order_id = seeded_order(plenty)
        with pytest.raises(ClaimLostError):
            client.update_order_status(order_id, 5, precondition=second_time_lost)
    assert plenty.call_count("PUT /rest/orders/{orderId}") == 1


def test_a_blocking_client_refuses_an_async_precondition(
    checked: Checked, fake_clock: FakeClock
) -> None:
    plenty = checked(FakePlenty(clock=fake_clock))
    order_id = seeded_order(plenty)

    async def check() -> None:  # pragma: no cover - never awaited, closed instead
        return None

    with (
        plenty_client(plenty, fake_clock, {"transport": plenty.transport()}) as client,
        pytest.raises(TypeError, match="blocking"),
    ):
        client.create_comment(comment(order_id), precondition=check)
    assert plenty.call_count(COMMENTS) == 0


def test_writes_without_a_precondition_are_unchanged(
    checked: Checked, fake_clock: FakeClock
) -> None:
    plenty = checked(FakePlenty(clock=fake_clock))
    order_id = seeded_order(plenty)
    plenty.faults.inject(Fault.reset(), route=COMMENTS, times=1)
    with plenty_client(plenty, fake_clock, {"transport": plenty.transport()}) as client:
        with pytest.raises(APIConnectionError):
            client.create_comment(comment(order_id))  # a reset after sending: never re-sent
        client.create_comment(comment(order_id))
    assert plenty.call_count(COMMENTS) == 2


def seeded_order(plenty: FakePlenty) -> int:
    """An order to change the status of (a bare sales order, as in docs/testing.md)."""
    item = NewOrderItem(
        type_id=9,
        quantity=Decimal(1),
        order_item_name="Test",
        amounts=(OrderItemAmount("PLN", Decimal("10.00")),),
        country_vat_id=plenty.vat_configuration_id("PL"),
        vat_field=0,
    )
    order = NewOrder(
        type_id=1,
        plenty_id=1000,
        status_id=Decimal(3),
        referrer_id=Decimal(1),
        order_items=(item,),
        properties=(OrderProperty(7, "form-1"),),
    )
    clock = FakeClock()
    with plenty_client(plenty, clock, {"transport": plenty.transport()}) as client:
        created = client.create_order(order)
    plenty.clear_calls()
    return created.id
