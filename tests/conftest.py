"""Shared fixtures: spec-checked mock transports, strict clients, instant sleeps."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import NoReturn, TypeVar

import httpx
import pytest

from allegro_plenty.testing import FakeClock, FakeService

from .pg_server import Postgres, drop_schema, fresh_schema_name, session_postgres
from .specs import SpecCheckedTransport

FakeServiceT = TypeVar("FakeServiceT", bound=FakeService)

Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture(autouse=True)
def own_rate_gates(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test gets fresh process-wide Allegro rate gates: a 429 in one blocks no other."""
    from allegro_plenty.allegro import rate_gate

    monkeypatch.setattr(rate_gate, "_GATES", {})


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


@pytest.fixture
def fake_clock() -> FakeClock:
    """A clock that moves only when told to; give it to the fakes and, as sleep, to clients."""
    return FakeClock()


@pytest.fixture
def checked() -> Iterator[Callable[[FakeServiceT], FakeServiceT]]:
    """Register fakes whose every response must fit the official spec (checked at teardown).

    Usage: ``plenty = checked(FakePlenty(clock=fake_clock))``. Where ``../shared``
    is absent the behaviour is still tested; only the spec check is left out.
    """
    from .fakes_support import spec_violations, specs_present

    fakes: list[FakeService] = []

    def register(fake: FakeServiceT) -> FakeServiceT:
        fakes.append(fake)
        return fake

    yield register
    if specs_present():
        found = [v for fake in fakes for v in spec_violations(fake)]
        if found:
            pytest.fail("the fakes answered outside the official spec:\n" + "\n".join(found))


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """A real PostgreSQL server: ``ALLEGRO_PLENTY_PG_DSN``, or a throwaway one started here.

    Skips when neither can be had, except in CI (``CI`` set), where it fails.
    """
    session = session_postgres()
    found = next(session)
    if isinstance(found, str):
        _no_postgres(found)
    assert isinstance(found, Postgres)
    yield found
    next(session, None)


def _no_postgres(reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"CI needs PostgreSQL: {reason}")
    pytest.skip(reason)


@pytest.fixture
def pg_schema(postgres: Postgres) -> Iterator[str]:
    """A schema of this test's own in the PostgreSQL server, dropped afterwards."""
    name = fresh_schema_name()
    yield name
    drop_schema(postgres.dsn, name)
