"""Shared fixtures: spec-checked mock transports, strict clients, instant sleeps."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from .specs import SpecCheckedTransport

Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture
def spec_checked() -> Iterator[Callable[..., SpecCheckedTransport]]:
    """Make spec-checked transports; the test fails if any request broke the spec.

    Usage: ``transport = spec_checked("allegro", handler)``.
    """
    made: list[SpecCheckedTransport] = []

    def make(
        service: str, handler: Handler, *, check_responses: bool = False
    ) -> SpecCheckedTransport:
        transport = SpecCheckedTransport(service, handler, check_responses=check_responses)
        made.append(transport)
        return transport

    yield make
    violations = [v for t in made for v in t.violations]
    if violations:
        pytest.fail("requests or responses broke the official spec:\n" + "\n".join(violations))
