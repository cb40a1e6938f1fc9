"""A request that cannot be built is refused with a typed error, and nothing is sent.

A value too long for a URL (a 30,000-character SKU from a hostile checkout form) once
escaped the clients as ``httpx.InvalidURL``, an error of another library that callers
do not expect and the importer took for a transient failure.
"""

from __future__ import annotations

import asyncio

import pytest

from allegro_plenty.errors import InvalidRequestError
from allegro_plenty.testing import FakeClock, FakePlenty

from .fakes_support import async_plenty_client, plenty_client

TOO_LONG = "ż" * 30_000


def test_a_value_too_long_for_a_url_is_an_invalid_request_naming_its_parameter() -> None:
    clock = FakeClock()
    plenty = FakePlenty(clock=clock)
    with plenty_client(plenty, clock, {"transport": plenty.transport()}) as client:
        client.countries()  # logged in: whatever is sent next is the look-up
        sent = plenty.call_count()
        with pytest.raises(InvalidRequestError) as refused:
            client.find_variations_by_number(TOO_LONG)
    assert refused.value.field == "numberExact"
    assert "too long" in refused.value.reason
    assert len(str(refused.value)) < 400  # the value is shown cut short
    assert plenty.call_count() == sent  # nothing was sent


def test_the_async_client_refuses_it_the_same_way() -> None:
    clock = FakeClock()
    plenty = FakePlenty(clock=clock)

    async def look_up() -> None:
        client = async_plenty_client(plenty, clock, {"transport": plenty.async_transport()})
        try:
            await client.find_contacts_by_external_id(TOO_LONG)
        finally:
            await client.aclose()

    with pytest.raises(InvalidRequestError) as refused:
        asyncio.run(look_up())
    assert refused.value.field == "externalId"
    assert not any(c.route == "GET /rest/accounts/contacts" for c in plenty.calls())
