"""A walk that does not advance stops with PagingError, after a bounded number of requests.

Each misbehaving server below ignores the parameter that moves a walk on
(``from`` of the order events, ``page`` of a plenty list, ``updatedAt.gte`` or
``offset`` of the checkout forms) and answers the same thing again. Every
server counts its requests and gives up with :class:`Runaway` after
:data:`LIMIT`: a walk that does not notice loops into that limit. The walks
are driven through the public clients, sync and async; the negative controls
take each walk's progress check away and show that the same harness then
runs away.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from dateutil.parser import isoparse

from allegro_plenty import PagingError
from allegro_plenty._convert import format_allegro_datetime
from allegro_plenty.allegro.paging import CheckoutFormWalk, OrderEventWalk
from allegro_plenty.plenty import models as pm
from allegro_plenty.plenty.paging import PageWalk

from . import plenty_fakes
from . import test_allegro_client as allegro_calls

LIMIT = 50
"""Requests a server answers before it declares the walk runaway."""
T0 = datetime(2025, 3, 1, 8, 0, tzinfo=timezone.utc)
MS = timedelta(milliseconds=1)
EXTERNAL_ID = "29738e61-7f6a-11e8-ac45-09db60ede9d6"


class Runaway(Exception):
    """The walk kept asking well past any sensible number of requests."""


class Counting:
    """A MockTransport handler that counts requests and stops a runaway walk."""

    def __init__(self, answer: Callable[[httpx.Request], httpx.Response]) -> None:
        self.answer = answer
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/rest/login":
            return httpx.Response(200, json=plenty_fakes.token_body())
        self.requests.append(request)
        if len(self.requests) > LIMIT:
            raise Runaway(f"{len(self.requests)} requests")
        return self.answer(request)


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def allegro(mode: str, server: Counting, method: str, *args: Any, **kwargs: Any) -> Any:
    return allegro_calls.call(
        mode, httpx.MockTransport(server), method, *args, options={"strict": False}, **kwargs
    )


def plenty(mode: str, server: Counting, method: str, *args: Any, **kwargs: Any) -> Any:
    return plenty_fakes.call(
        mode, httpx.MockTransport(server), method, *args, client_options={"strict": False}, **kwargs
    )


# --- Allegro order events: a server that ignores ``from`` ------------------------------------


def event(number: int) -> dict[str, Any]:
    return {
        "id": str(number),
        "type": "READY_FOR_PROCESSING",
        "occurredAt": format_allegro_datetime(T0 + number * MS),
        "order": {
            "seller": {"id": "46968690"},
            "buyer": {"id": "1", "email": "a@allegromail.pl", "login": "jan", "guest": False},
            "lineItems": [],
            "checkoutForm": {"id": EXTERNAL_ID},
        },
    }


def events_ignoring_from(request: httpx.Request) -> httpx.Response:
    limit = int(request.url.params["limit"])
    return allegro_calls.vendor(200, {"events": [event(i) for i in range(1, limit + 1)]})


@pytest.mark.parametrize("start", [None, "2", "999"])
def test_event_walk_stops_when_the_server_ignores_from(mode: str, start: str | None) -> None:
    server = Counting(events_ignoring_from)
    with pytest.raises(PagingError, match="from"):
        allegro(mode, server, "iter_order_events", start, page_size=3)
    assert len(server.requests) <= 2


def test_event_walk_stops_on_a_page_that_returns_its_cursor(mode: str) -> None:
    # from is exclusive: the event it names must never come back.
    def answer(request: httpx.Request) -> httpx.Response:
        after = int(request.url.params.get("from", "0"))
        return allegro_calls.vendor(200, {"events": [event(after), event(after + 1)]})

    server = Counting(answer)
    with pytest.raises(PagingError):
        allegro(mode, server, "iter_order_events", "10", page_size=2)
    assert len(server.requests) == 1


def test_event_walk_still_walks_an_honest_journal(mode: str) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        after, limit = int(request.url.params.get("from", "0")), int(request.url.params["limit"])
        numbers = range(after + 1, min(after + limit, 10) + 1)
        return allegro_calls.vendor(200, {"events": [event(i) for i in numbers]})

    server = Counting(answer)
    events = allegro(mode, server, "iter_order_events", page_size=3)
    assert [e.id for e in events] == [str(i) for i in range(1, 11)]
    assert len(server.requests) == 4


def test_negative_control_event_walk_without_the_check_runs_away(
    mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(OrderEventWalk, "_refuse_a_stall", lambda self, page: None)
    with pytest.raises(Runaway):
        allegro(mode, Counting(events_ignoring_from), "iter_order_events", page_size=3)


# --- plentymarkets pages: a server that ignores ``page`` ---------------------------------------


def order(order_id: int) -> dict[str, Any]:
    return {
        "id": order_id,
        "typeId": 1,
        "statusId": 5,
        "properties": [{"typeId": 7, "value": EXTERNAL_ID}],
    }


def same_page(request: httpx.Request) -> httpx.Response:
    body = {"page": 1, "isLastPage": False, "entries": [order(1), order(2)]}
    return httpx.Response(200, json=body)


WALKS = [
    ("find_orders_by_external_id", (EXTERNAL_ID,)),
    ("iter_changed_orders", (T0,)),
    ("find_contacts_by_external_id", ("buyer-1",)),
    ("delivery_orders", (630,)),
]


@pytest.mark.parametrize(("method", "args"), WALKS)
def test_plenty_walk_stops_when_the_server_ignores_page(
    mode: str, method: str, args: tuple[Any, ...]
) -> None:
    server = Counting(same_page)
    with pytest.raises(PagingError, match="page 2"):
        plenty(mode, server, method, *args)
    assert len(server.requests) == 2
    assert [r.url.params["page"] for r in server.requests] == ["1", "2"]


def test_plenty_walk_still_walks_honest_pages(mode: str) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params["page"])
        body = {"page": number, "isLastPage": number == 3, "entries": [order(number)]}
        return httpx.Response(200, json=body)

    server = Counting(answer)
    found = plenty(mode, server, "find_orders_by_external_id", EXTERNAL_ID)
    assert [o.id for o in found] == [1, 2, 3]


def test_negative_control_plenty_walk_without_the_check_runs_away(
    mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(PageWalk, "_refuse_a_stall", lambda self, page, fresh: None)
    with pytest.raises(Runaway):
        plenty(mode, Counting(same_page), "find_orders_by_external_id", EXTERNAL_ID)


def test_plenty_walk_refuses_to_stop_silently_at_its_page_cap() -> None:
    # A server that keeps producing fresh non-last pages: the cap must not
    # pass for the end of the list (the entries after it would be missed).
    walk: PageWalk[pm.Contact] = PageWalk(lambda page: NotImplemented, lambda c: c.id, max_pages=3)
    for number in (1, 2):
        assert walk.next_operation() is not None
        walk.feed(pm.Page(is_last_page=False, entries=(pm.Contact(id=number),)))
    assert walk.next_operation() is not None
    with pytest.raises(PagingError, match="3 pages"):
        walk.feed(pm.Page(is_last_page=False, entries=(pm.Contact(id=3),)))


# --- Allegro checkout forms: a server that ignores ``updatedAt.gte`` or ``offset`` -------------


def form(index: int, stamp: datetime) -> dict[str, Any]:
    return {
        "id": f"00000000-0000-4000-8000-{index:012d}",
        "buyer": {"id": "1", "email": "a@allegromail.pl", "login": "jan", "guest": False},
        "status": "READY_FOR_PROCESSING",
        "lineItems": [],
        "surcharges": [],
        "summary": {"totalToPay": {"amount": "1.00", "currency": "PLN"}},
        "updatedAt": format_allegro_datetime(stamp),
    }


def forms_server(stamps: list[datetime], *, honour_gte: bool, honour_offset: bool) -> Counting:
    forms = [form(i, s) for i, s in enumerate(stamps)]

    def answer(request: httpx.Request) -> httpx.Response:
        query = request.url.params
        matching = forms
        if honour_gte:
            since = isoparse(query["updatedAt.gte"])
            matching = [f for f in forms if isoparse(f["updatedAt"]) >= since]
        offset = int(query["offset"]) if honour_offset else 0
        page = matching[offset : offset + int(query["limit"])]
        body = {"checkoutForms": page, "count": len(page), "totalCount": len(matching)}
        return allegro_calls.vendor(200, body)

    return Counting(answer)


SPREAD = [T0 + i * MS for i in range(250)]
"""250 forms, each updated in its own millisecond."""
CROWDED = [T0 + MS] * 150
"""150 forms updated in one millisecond: only an offset gets past the first 100."""


@pytest.mark.parametrize(
    ("stamps", "honour_gte", "honour_offset"),
    [(SPREAD, False, True), (SPREAD, False, False), (CROWDED, True, False)],
    ids=["ignores-updatedAt.gte", "ignores-both", "ignores-offset"],
)
def test_form_walk_stops_when_the_server_ignores_its_cursor(
    mode: str, stamps: list[datetime], honour_gte: bool, honour_offset: bool
) -> None:
    server = forms_server(stamps, honour_gte=honour_gte, honour_offset=honour_offset)
    with pytest.raises(PagingError):
        allegro(mode, server, "iter_checkout_forms", T0, page_size=100)
    assert len(server.requests) <= 3


@pytest.mark.parametrize("stamps", [SPREAD, CROWDED], ids=["spread", "crowded"])
def test_form_walk_still_walks_an_honest_server(mode: str, stamps: list[datetime]) -> None:
    server = forms_server(stamps, honour_gte=True, honour_offset=True)
    forms = allegro(mode, server, "iter_checkout_forms", T0, page_size=100)
    assert sorted(f.id for f in forms) == sorted(form(i, s)["id"] for i, s in enumerate(stamps))


@pytest.mark.parametrize("stamps", [SPREAD, CROWDED], ids=["ignores-gte", "ignores-offset"])
def test_negative_control_form_walk_without_the_check(
    mode: str, stamps: list[datetime], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the check the walk re-reads until the offset cap, or hands forms out twice."""
    monkeypatch.setattr(CheckoutFormWalk, "_refuse_a_stall", lambda self, forms, stamps: None)
    server = forms_server(stamps, honour_gte=stamps is CROWDED, honour_offset=stamps is SPREAD)
    try:
        forms = allegro(mode, server, "iter_checkout_forms", T0, page_size=100)
    except (Runaway, PagingError):
        assert len(server.requests) > 3
    else:
        assert len(forms) > len({f.id for f in forms}), "no form was handed out twice"
