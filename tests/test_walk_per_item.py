"""Walks that read a page item by item (``per_item=True``): an item that does not fit its
model is set aside, the rest of the page is handed out, and the walk moves past it.

Read all-or-nothing (the default), one bad checkout form or event fails its whole page,
on every try: whoever walks the list never gets past it.
"""

from __future__ import annotations

from typing import Any

import pytest

from allegro_plenty.allegro import CheckoutFormWalk, OrderEventWalk
from allegro_plenty.allegro.client import AllegroClient
from allegro_plenty.allegro.models import UnreadableCheckoutForm, UnreadableOrderEvent
from allegro_plenty.allegro.paging import in_page_order
from allegro_plenty.errors import ModelValidationError, ResponseValidationError
from allegro_plenty.testing import FakeAllegro, FakeClock, checkout_form

from .fakes_support import allegro_client
from .importer_support import Intercept, corrupt_events

UNREADABLE = 2
"""The place of the unreadable form among the five: the last of the second page of two."""


def forms_with_an_unreadable_one(allegro: FakeAllegro, clock: FakeClock, spread: bool) -> list[str]:
    ids = []
    for n in range(5):
        form = checkout_form(seed=n)
        if n == UNREADABLE:
            form["lineItems"][0]["quantity"] = "lots"
        ids.append(allegro.add_checkout_form(form, emit_events=False))
        if spread:
            clock.advance(1)
    return ids


def client(allegro: FakeAllegro, clock: FakeClock, answer: Any = None) -> AllegroClient:
    return allegro_client(allegro, clock, {"transport": Intercept(allegro.transport(), answer)})


def walk_all(
    walk: CheckoutFormWalk, client: AllegroClient
) -> tuple[list[str], list[UnreadableCheckoutForm]]:
    read: list[str] = []
    aside: list[UnreadableCheckoutForm] = []
    while (operation := walk.next_operation()) is not None:
        read += [form.id for form in walk.feed(client.send(operation))]
        aside += walk.unreadable
    return read, aside


@pytest.mark.parametrize("spread", [True, False], ids=["one form a second", "one millisecond"])
def test_a_form_walk_sets_an_unreadable_form_aside_and_goes_on(spread: bool) -> None:
    clock = FakeClock()
    allegro = FakeAllegro(clock=clock)
    ids = forms_with_an_unreadable_one(allegro, clock, spread)
    since = clock.now().replace(year=2000)
    with client(allegro, clock) as c:
        walk = CheckoutFormWalk(since, page_size=2, per_item=True)
        read, aside = walk_all(walk, c)
        again = walk_all(CheckoutFormWalk.resume(walk.cursor, page_size=2, per_item=True), c)
    assert sorted(read) == sorted(i for n, i in enumerate(ids) if n != UNREADABLE)
    (bad,) = aside
    assert bad.id == ids[UNREADABLE]
    assert isinstance(bad.error, ModelValidationError)
    assert bad.error.field_path == "lineItems[0].quantity"
    assert bad.updated_at is not None
    assert again == ([], [])  # resumed: nothing handed out twice, the bad one included


def test_read_all_or_nothing_an_unreadable_form_fails_its_page() -> None:
    clock = FakeClock()
    allegro = FakeAllegro(clock=clock)
    forms_with_an_unreadable_one(allegro, clock, spread=True)
    with client(allegro, clock) as c:
        walk = CheckoutFormWalk(clock.now().replace(year=2000), page_size=2)
        with pytest.raises(ResponseValidationError) as refused:
            walk_all(walk, c)
    assert refused.value.field_path == "checkoutForms[1].lineItems[0].quantity"  # page two


def test_an_event_walk_moves_past_an_unreadable_event_that_ends_a_page() -> None:
    clock = FakeClock()
    allegro = FakeAllegro(clock=clock)
    for n in range(3):
        allegro.add_checkout_form(checkout_form(seed=n))  # three events each
    journal = [e["id"] for e in allegro.events()]
    bad = journal[3]  # the last of the second page of two

    def bad_time(event: dict[str, Any]) -> None:
        event["occurredAt"] = "not a time"

    pages: list[list[str | None]] = []
    with client(
        allegro, clock, corrupt_events(allegro, lambda event: event["id"] == bad, bad_time)
    ) as c:
        walk = OrderEventWalk(page_size=2, per_item=True)
        while (operation := walk.next_operation()) is not None:
            read = walk.feed(c.send(operation))
            pages.append([e.id for e in in_page_order(read, walk.unreadable)])
            if walk.unreadable:
                (aside,) = walk.unreadable
                assert isinstance(aside, UnreadableOrderEvent)
                assert (aside.id, aside.index, aside.error.field_path) == (bad, 1, "occurredAt")
                assert aside.checkout_form_id == allegro.events()[3]["order"]["checkoutForm"]["id"]
                assert walk.cursor == bad  # moved past it
    assert [i for page in pages for i in page] == journal


def test_in_page_order_puts_set_aside_items_back_in_place() -> None:
    error = ModelValidationError("OrderEvent", "bad")
    aside = [UnreadableOrderEvent(i, f"u{i}", None, None, None, error) for i in (0, 3)]
    assert [getattr(x, "id", x) for x in in_page_order(["a", "b"], aside)] == [
        "u0",
        "a",
        "b",
        "u3",
    ]
