"""The shared core: clock, routing, recording, loopback server, several processes on one fake."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest

from allegro_plenty.testing import FakeAllegro, FakeClock, FakePlenty, Fault

from .fakes_support import Checked
from .specs import PLENTY_HOST


def test_fake_clock_moves_only_when_told() -> None:
    start = datetime(2025, 3, 3, 9, 0, tzinfo=timezone.utc)
    clock = FakeClock(start)
    assert clock.now() == start
    clock.advance(timedelta(minutes=2))
    clock.sleep(30)
    asyncio.run(clock.async_sleep(0.5))
    assert clock.now() == start + timedelta(seconds=150.5)
    assert clock.monotonic() == 150.5
    assert clock.time() == start.timestamp() + 150.5
    assert clock.slept == [30, 0.5]
    with pytest.raises(ValueError, match="forward"):
        clock.advance(-1)
    with pytest.raises(ValueError, match="timezone-aware"):
        FakeClock(datetime(2025, 1, 1))
    assert abs((FakeClock().now() - datetime.now(timezone.utc)).total_seconds()) < 5


def test_unknown_paths_answer_404_in_the_services_format(
    checked: Checked, fake_clock: FakeClock
) -> None:
    allegro: FakeAllegro = checked(FakeAllegro(clock=fake_clock))
    plenty: FakePlenty = checked(FakePlenty(clock=fake_clock))
    with httpx.Client(transport=allegro.transport(), base_url="https://api.allegro.pl") as http:
        missing = http.get("/sale/offers")
    with httpx.Client(transport=plenty.transport(), base_url=PLENTY_HOST) as http:
        gone = http.delete("/rest/orders/1")
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["code"] == "NOT_FOUND"
    assert missing.headers["trace-id"]
    assert gone.status_code == 404
    assert "no such endpoint" in gone.json()["error"]["message"]
    assert allegro.calls()[0].route is None


def test_recorded_calls_can_be_filtered_counted_and_cleared(
    checked: Checked, fake_clock: FakeClock
) -> None:
    plenty: FakePlenty = checked(FakePlenty(clock=fake_clock))
    with httpx.Client(transport=plenty.transport(), base_url=PLENTY_HOST) as http:
        http.post("/rest/login", json={"username": plenty.username, "password": plenty.password})
        http.post("/rest/login", json={"username": plenty.username, "password": "wrong"})
        http.get("/rest/vat")
    assert plenty.call_count() == 3
    assert plenty.call_count("POST /rest/login") == 2
    assert plenty.call_count("* /rest/vat") == 1
    first, second = plenty.calls("POST /rest/login")
    assert first.json() == {"username": plenty.username, "password": plenty.password}
    assert (first.status, second.status) == (200, 401)
    assert first.at == fake_clock.now()
    assert plenty.login_count() == 1
    plenty.clear_calls()
    assert plenty.calls() == []
    assert plenty.active_sessions() == 1  # state is kept


def test_server_lifecycle(fake_clock: FakeClock) -> None:
    plenty = FakePlenty(clock=fake_clock)
    server = plenty.serve()
    with pytest.raises(RuntimeError):
        _ = server.url
    with server:
        url = server.url
        assert server.start() is server
        assert url.startswith("http://127.0.0.1:")
        assert "FakePlenty" in repr(server)
        assert httpx.get(f"{url}/rest/vat").status_code == 401
    host, port = url.removeprefix("http://").split(":")
    with socket.socket() as probe:
        assert probe.connect_ex((host, int(port))) != 0  # the port is released
    server.stop()  # stopping twice is harmless


WORKER = textwrap.dedent(
    """
    import sys
    from decimal import Decimal

    from allegro_plenty.plenty.client import PlentyClient
    from allegro_plenty.plenty.models import NewOrder, NewOrderItem, OrderItemAmount, OrderProperty
    from allegro_plenty.tokens import JsonFileTokenStore

    url, store, external_id, vat_id = sys.argv[1:5]
    client = PlentyClient(url, username="api-user", password="api-password",
                          token_store=JsonFileTokenStore(store))
    if client.find_orders_by_external_id(external_id):
        print("found")
    else:
        item = NewOrderItem(type_id=9, quantity=Decimal(1), order_item_name="x",
                            amounts=(OrderItemAmount("PLN", Decimal("9.99")),),
                            country_vat_id=int(vat_id), vat_field=0)
        client.create_order(NewOrder(type_id=1, plenty_id=1000, status_id=Decimal(3),
                                     referrer_id=Decimal(1), order_items=(item,),
                                     properties=(OrderProperty(7, external_id),)))
        print("created")
    """
)


@pytest.mark.slow
def test_processes_share_one_fake_and_a_killed_worker_takes_nothing_with_it(
    checked: Checked, tmp_path: Path
) -> None:
    plenty: FakePlenty = checked(FakePlenty())  # real time: the workers wait for real
    script = tmp_path / "worker.py"
    script.write_text(WORKER, encoding="utf-8")
    store = tmp_path / "tokens.json"
    vat = str(plenty.vat_configuration_id("PL"))

    def worker(external_id: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, str(script), server.url, str(store), external_id, vat],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    with plenty.serve() as server:
        first = [worker(f"form-{i}") for i in range(3)]
        outputs = [p.communicate(timeout=60) for p in first]
        assert [o.strip() for o, _ in outputs] == ["created"] * 3, outputs
        assert plenty.login_count() == 1  # one login, shared through the file store

        # The order is committed, the answer never comes, and the worker is killed.
        plenty.faults.inject(Fault.response_lost("timeout"), route="POST /rest/orders")
        doomed = worker("form-killed")
        deadline = time.monotonic() + 30
        while not plenty.calls("POST /rest/orders")[3:] and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(doomed.pid, signal.SIGKILL)
        doomed.communicate(timeout=10)
        assert plenty.orders_with_external_id("form-killed") != []

        retry = worker("form-killed")
        out, err = retry.communicate(timeout=60)
    assert out.strip() == "found", err
    assert len(plenty.orders_with_external_id("form-killed")) == 1
    assert all(len(plenty.orders_with_external_id(f"form-{i}")) == 1 for i in range(3))
