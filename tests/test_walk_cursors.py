"""Walks are public objects whose JSON cursor resumes them, in this process or another.

The central test saves a checkout-form walk's cursor to a JSON file in one
process, changes forms while no process runs, and resumes the walk in a second
process against the same fake Allegro served on loopback: the second process
hands out every form changed during the pause and the rest of the walk, and
none twice. Its negative controls resume the naive ways (from the watermark
without the ids seen there, or just after it) and the same checks catch the
repeat and the loss.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from dateutil.parser import isoparse

from allegro_plenty import ModelValidationError, PagingError
from allegro_plenty._plan import SyncDriver, call, next_page
from allegro_plenty.allegro import AllegroClient, CheckoutFormWalk, OrderEventWalk
from allegro_plenty.allegro.paging import RECENT_FROMS
from allegro_plenty.plenty import OrderFilter, OrderWalk, PlentyClient, StatusHistoryWalk
from allegro_plenty.testing import FakeAllegro, FakeClock, FakePlenty, checkout_form

from .test_allegro_client import vendor

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=timezone.utc)
PAGE = 3
GROUP = 4
"""Forms updated in one millisecond: more than a page, so the walk pages inside it."""

RESUMER = textwrap.dedent(
    """
    import json, sys
    from datetime import timedelta
    from dateutil.parser import isoparse
    from allegro_plenty.allegro import AllegroClient, CheckoutFormWalk

    url, token, cursor_file, mode, pages = sys.argv[1:6]
    since = isoparse("{since}")
    with AllegroClient(access_token=token, base_url=url, strict=True) as client:
        if mode == "first":
            # Page by page through the public send(), saving the cursor after each page
            # handled, as the importer does; then stop half-way.
            walk = CheckoutFormWalk(since, page_size={page})
            handed = []
            for _ in range(int(pages)):
                handed += walk.feed(client.send(walk.next_operation()))
                with open(cursor_file, "w") as out:
                    json.dump(walk.cursor, out)
        else:
            with open(cursor_file) as saved:
                cursor = json.load(saved)
            if mode == "resume":
                walk = CheckoutFormWalk.resume(cursor, page_size={page})
            elif mode == "naive-watermark":  # the broken variants of the negative controls
                walk = CheckoutFormWalk(isoparse(cursor["updated_at"]), page_size={page})
            else:  # "naive-after"
                after = isoparse(cursor["updated_at"]) + timedelta(milliseconds=1)
                walk = CheckoutFormWalk(after, page_size={page})
            handed = list(client.iterate(walk))
    print(json.dumps([[f.id, f.updated_at.isoformat()] for f in handed]))
    """
)


@dataclass
class Resumed:
    first: list[tuple[str, str]]
    second: list[tuple[str, str]]
    changed_in_pause: set[str]
    every_form: set[str]


def run_process(script: Path, *args: str) -> list[tuple[str, str]]:
    done = subprocess.run(
        [sys.executable, str(script), *args], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return [tuple(pair) for pair in json.loads(done.stdout)]  # type: ignore[misc]


def walk_across_processes(tmp_path: Path, mode: str) -> Resumed:
    clock = FakeClock(T0)
    fake = FakeAllegro(clock=clock)
    for group in range(3):  # three milliseconds with GROUP forms each
        for index in range(GROUP):
            fake.add_checkout_form(checkout_form(seed=group * 10 + index))
        clock.advance(1)
    token = fake.issue_token().access_token
    script = tmp_path / "walker.py"
    script.write_text(RESUMER.format(since=T0.isoformat(), page=PAGE))
    cursor = tmp_path / "cursor.json"
    with fake.serve() as server:
        # Pages 1 to 3: the first group (paged by offset inside its millisecond),
        # then three forms of the second, where the walk stops.
        first = run_process(script, server.url, token, str(cursor), "first", "3")
        assert json.loads(cursor.read_text())["seen"], "the walk stopped inside a millisecond"

        # The pause: forms change while no walker runs.
        clock.advance(60)
        pause = clock.now()
        handed = [form_id for form_id, _ in first]
        not_yet = [i for i in fake.checkout_form_ids() if i not in handed]
        fake.set_fulfillment_status(handed[0], "PROCESSING")  # handed out, changed again
        fake.set_fulfillment_status(not_yet[-1], "PROCESSING")  # not reached yet, changed
        fake.add_checkout_form(checkout_form(seed=99))  # new
        second = run_process(script, server.url, token, str(cursor), mode, "0")

    stamps = {i: isoparse(fake.checkout_form(i)["updatedAt"]) for i in fake.checkout_form_ids()}
    changed = {i for i, stamp in stamps.items() if stamp >= pause}
    return Resumed(first, second, changed, set(stamps))


def check_resumed(walked: Resumed) -> None:
    handed_first = {form_id for form_id, _ in walked.first}
    second_ids = [form_id for form_id, _ in walked.second]
    assert len(second_ids) == len(set(second_ids)), "a form came twice after the resume"
    expected = (walked.every_form - handed_first) | walked.changed_in_pause
    assert set(second_ids) == expected


def test_a_walk_resumed_in_another_process_misses_nothing_and_repeats_nothing(
    tmp_path: Path,
) -> None:
    walked = walk_across_processes(tmp_path, "resume")
    assert len(walked.first) == 7  # the first group and three forms of the second
    assert len(walked.changed_in_pause) == 3
    check_resumed(walked)
    # Each form once in its newest state across both processes, but for the one
    # changed again after the first process handed it out.
    assert len(walked.first) + len(walked.second) == len(walked.every_form) + 1


@pytest.mark.parametrize("naive", ["naive-watermark", "naive-after"])
def test_negative_control_naive_resumes_are_caught(tmp_path: Path, naive: str) -> None:
    walked = walk_across_processes(tmp_path, naive)
    with pytest.raises(AssertionError):
        check_resumed(walked)


# --- the cursor itself ------------------------------------------------------------------------


def form_page(*forms: tuple[str, datetime]) -> Any:
    from allegro_plenty._convert import make_converter
    from allegro_plenty.allegro.models import CheckoutForms

    from .test_allegro_models import minimal_form

    data = {
        "checkoutForms": [
            {**minimal_form(), "id": i, "updatedAt": s.isoformat()} for i, s in forms
        ],
        "count": len(forms),
        "totalCount": len(forms),
    }
    return make_converter().structure(data, CheckoutForms)


def uuid(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


def test_a_checkout_form_cursor_is_json_and_round_trips() -> None:
    walk = CheckoutFormWalk(T0, page_size=2)
    assert walk.cursor == {"updated_at": "2025-03-01T08:00:00.000Z", "seen": []}
    walk.feed(form_page((uuid(1), T0), (uuid(2), T0 + timedelta(milliseconds=5))))
    saved = json.loads(json.dumps(walk.cursor))
    assert saved == {"updated_at": "2025-03-01T08:00:00.005Z", "seen": [uuid(2)]}
    resumed = CheckoutFormWalk.resume(saved, page_size=2)
    assert resumed.cursor == saved
    assert resumed.watermark == T0 + timedelta(milliseconds=5)


@pytest.mark.parametrize(
    ("cursor", "where"),
    [
        ("2025-03-01", None),
        ({"updated_at": "2025-03-01T08:00:00.000Z"}, "seen"),
        ({"updated_at": "yesterday", "seen": []}, "updated_at"),
        ({"updated_at": "2025-03-01T08:00:00", "seen": []}, "updated_at"),
        ({"updated_at": "2025-03-01T08:00:00.000Z", "seen": [1]}, "seen"),
        ({"updated_at": "2025-03-01T08:00:00.000Z", "seen": [], "offset": 3}, "offset"),
    ],
)
def test_a_damaged_checkout_form_cursor_is_refused_naming_the_field(
    cursor: object, where: str | None
) -> None:
    with pytest.raises(ModelValidationError) as caught:
        CheckoutFormWalk.resume(cursor)
    assert caught.value.field_path == where


def test_event_walk_cursor_is_the_last_event_id() -> None:
    walk = OrderEventWalk.resume("42", page_size=10)
    assert walk.cursor == "42"
    assert dict(walk.next_operation().params)["from"] == "42"  # type: ignore[union-attr]
    assert OrderEventWalk.resume(None).cursor is None
    with pytest.raises(ModelValidationError):
        OrderEventWalk.resume(42)


def test_event_walk_memory_is_bounded() -> None:
    """A long journal read one event a page: the walk remembers only its last few ``from``."""
    journal = 5 * RECENT_FROMS

    def event(number: int) -> dict[str, Any]:
        return {
            "id": str(number),
            "type": "READY_FOR_PROCESSING",
            "occurredAt": "2025-03-01T08:00:00.000Z",
            "order": {
                "seller": {"id": "1"},
                "buyer": {"id": "1", "email": "a@x.pl", "login": "a", "guest": False},
                "lineItems": [],
                "checkoutForm": {"id": uuid(1)},
            },
        }

    def answer(request: httpx.Request) -> httpx.Response:
        after = int(request.url.params.get("from", "0"))
        return vendor(200, {"events": [event(after + 1)] if after < journal else []})

    walk = OrderEventWalk(page_size=1)
    with AllegroClient(access_token="t" * 20, transport=httpx.MockTransport(answer)) as client:
        assert len(list(client.iterate(walk))) == journal
    assert walk.cursor == str(journal)
    assert len(walk._recent_froms) == RECENT_FROMS


# --- plentymarkets walks -----------------------------------------------------------------------


def test_a_status_history_walk_resumes_from_its_json_cursor() -> None:
    from .fakes_support import plenty_client
    from .test_testing_plenty import _order

    clock = FakeClock(T0)
    fake = FakePlenty(clock=clock)
    with plenty_client(fake, clock, {"transport": fake.transport()}) as client:
        order = client.create_order(_order(fake, client, "h-1")).id
        for status in ("4", "5", "5.1", "6"):
            clock.advance(1)
            client.update_order_status(order, status)
        walk = StatusHistoryWalk(T0, page_size=2)
        first = list(walk.feed(client.send(walk.next_operation())))  # type: ignore[arg-type]
        cursor = json.loads(json.dumps(walk.cursor))  # kept somewhere while no walk runs
        clock.advance(60)
        client.update_order_status(order, "7")
        resumed = StatusHistoryWalk.resume(cursor, T0, page_size=2)
        rest = list(client.iterate(resumed))
    statuses = [str(e.status_id) for e in first + rest]
    assert statuses == ["3", "4", "5", "5.1", "6", "7"]
    ids = [e.id for e in first + rest]
    assert len(ids) == len(set(ids))


def orders_page(numbers: list[int], page: int, last: bool) -> httpx.Response:
    entries = [{"id": n, "typeId": 1, "statusId": 5} for n in numbers]
    return httpx.Response(200, json={"page": page, "isLastPage": last, "entries": entries})


def test_an_order_walk_cursor_holds_a_page_and_an_id_not_every_id() -> None:
    pages = {1: [1, 2], 2: [3, 4], 3: [5]}

    def answer(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params["page"])
        return orders_page(pages[number], number, number == 3)

    client = PlentyClient(
        "https://plenty.test", access_token="acc-" + "a" * 40, transport=httpx.MockTransport(answer)
    )
    walk = OrderWalk(OrderFilter(referrer_id=104), page_size=2)
    walk.feed(client.send(walk.next_operation()))  # type: ignore[arg-type]
    walk.feed(client.send(walk.next_operation()))  # type: ignore[arg-type]
    assert walk.cursor == {"page": 2, "after_id": 4}
    # Page 2 gained an order while the walk paused; the resumed walk reads it again.
    pages[2] = [3, 4, 6]
    pages[3] = [7]
    resumed = OrderWalk.resume(walk.cursor, OrderFilter(referrer_id=104), page_size=2)
    assert [o.id for o in client.iterate(resumed)] == [6, 7]
    # A finished walk resumed later reads its last page again for orders added since.
    pages[3] = [7, 8]
    again = OrderWalk.resume(resumed.cursor, OrderFilter(referrer_id=104), page_size=2)
    assert [o.id for o in client.iterate(again)] == [8]


def test_a_page_out_of_id_order_stops_the_walk() -> None:
    walk = OrderWalk(page_size=2)
    from allegro_plenty._convert import Style, make_converter
    from allegro_plenty.plenty.models import Order, Page

    converter = make_converter(style=Style.PLENTY)
    page = converter.structure(
        {"page": 1, "isLastPage": False, "entries": [{"id": 5, "typeId": 1, "statusId": 5},
                                                     {"id": 3, "typeId": 1, "statusId": 5}]},
        Page[Order],
    )  # fmt: skip
    with pytest.raises(PagingError, match="ascending"):
        walk.feed(page)


@pytest.mark.parametrize(
    "cursor", [None, [], {"page": 0, "after_id": None}, {"page": 1}, {"page": "1", "after_id": 2}]
)
def test_a_damaged_plenty_cursor_is_refused(cursor: object) -> None:
    with pytest.raises(ModelValidationError):
        StatusHistoryWalk.resume(cursor, T0)
    with pytest.raises(ModelValidationError):
        OrderWalk.resume(cursor)


def test_the_walk_owns_the_sort() -> None:
    with pytest.raises(ValueError, match="ascending id"):
        OrderWalk(OrderFilter(sort_by="createdAt"))


def test_a_plan_pages_a_walk_through_the_public_send() -> None:
    """How the importer will page: one page per step, the cursor stored after each."""
    pages = {1: [1, 2], 2: [3]}

    def answer(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params["page"])
        return orders_page(pages[number], number, number == 2)

    saved: list[object] = []

    class Ledger:
        def save_cursor(self, cursor: object) -> None:
            saved.append(json.loads(json.dumps(cursor)))

    def plan(walk: OrderWalk) -> Any:
        handled: list[int] = []
        while (orders := (yield from next_page(walk, "plenty"))) is not None:
            handled += [o.id for o in orders]
            yield from call("ledger", "save_cursor", walk.cursor)
        return handled

    client = PlentyClient(
        "https://plenty.test", access_token="acc-" + "a" * 40, transport=httpx.MockTransport(answer)
    )
    driver = SyncDriver({"plenty": client, "ledger": Ledger()})
    assert driver.drive(plan(OrderWalk(page_size=2))) == [1, 2, 3]
    assert saved == [{"page": 1, "after_id": 2}, {"page": 2, "after_id": 3}]


def test_allegro_client_iterates_a_walk_object() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return vendor(200, {"events": []})

    with AllegroClient(access_token="t" * 20, transport=httpx.MockTransport(answer)) as client:
        assert list(client.iterate(OrderEventWalk("7"))) == []
