"""The Allegro client tells the time of Allegro's last answer (its ``Date``), for watermarks."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from allegro_plenty.allegro.client import AllegroClient
from allegro_plenty.testing import FakeAllegro, FakeClock

from .fakes_support import MODES, Checked, allegro_client, async_allegro_client, reach, reach_async

PAST = datetime(2031, 5, 17, 8, 30, 15, tzinfo=timezone.utc)


@pytest.mark.parametrize("mode", MODES)
def test_the_date_of_the_last_answer_is_allegros_clock(checked: Checked, mode: str) -> None:
    clock = FakeClock(start=PAST)  # far from the host's clock, so a mix-up shows
    allegro = checked(FakeAllegro(clock=clock))
    with reach(allegro, mode) as via, allegro_client(allegro, clock, via) as client:
        assert client.last_response_date() is None
        client.get_order_event_stats()
        first = client.last_response_date()
        clock.advance(timedelta(minutes=7))
        client.get_me()
        second = client.last_response_date()
    assert first == PAST
    assert second == PAST + timedelta(minutes=7)
    assert second is not None
    assert second.utcoffset() == timedelta(0)


@pytest.mark.parametrize("mode", MODES)
def test_the_async_client_tells_the_same(checked: Checked, mode: str) -> None:
    clock = FakeClock(start=PAST)
    allegro = checked(FakeAllegro(clock=clock))

    async def main() -> datetime | None:
        with reach_async(allegro, mode) as via:
            async with async_allegro_client(allegro, clock, via) as client:
                await client.get_order_event_stats()
                return client.last_response_date()

    assert asyncio.run(main()) == PAST


def test_an_answer_without_a_usable_date_keeps_the_last_one() -> None:
    dates = iter(["Sat, 17 May 2031 08:30:15 GMT", "not a date", None])

    def answer(request: httpx.Request) -> httpx.Response:
        date = next(dates)
        headers = {"Date": date} if date is not None else {}
        return httpx.Response(200, json={"latestEvent": None}, headers=headers)

    with AllegroClient(access_token="t" * 40, transport=httpx.MockTransport(answer)) as client:
        for _ in range(3):
            client.get_order_event_stats()
            assert client.last_response_date() == PAST
