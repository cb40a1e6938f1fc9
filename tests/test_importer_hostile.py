"""Hostile checkout forms never crash a run: each is imported, skipped or quarantined with a
reason, and the run goes on for the good forms around it.

A form the client cannot read at all (a field of the wrong type) is quarantined with a
``ModelValidationError`` reason, whether a sweep page lists it or an event names it; the
sweep page and the events page are read item by item, so one bad item never holds the
others (or the walk) back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from allegro_plenty import ImportResult
from allegro_plenty.allegro import CheckoutFormWalk, OrderEventWalk
from allegro_plenty.importer import EntryKind, ImportEntry, sources
from allegro_plenty.testing import checkout_form, seed_catalogue

from .importer_support import MODES, SETTINGS, Answer, World, corrupt_events


@pytest.fixture
def world() -> World:
    return World()


def unreadable_form(seed: int) -> dict[str, Any]:
    """A paid form whose first line item's quantity is not a number: no client reads it."""
    form = checkout_form(seed=seed)
    form["lineItems"][0]["quantity"] = "lots"
    return form


def assert_ran_through(result: ImportResult) -> None:
    """No account or run stopped, and no account's run was cut short."""
    assert result.stops == []
    assert "account_interrupted" not in {w.code for w in result.warnings}
    assert result.complete


@pytest.mark.parametrize("mode", MODES)
def test_an_unreadable_form_in_a_sweep_page_is_quarantined_and_its_neighbours_import(
    world: World, mode: str
) -> None:
    before = world.add(seed=1)
    bad = world.allegro.add_checkout_form(unreadable_form(2))
    after = world.add(seed=3)
    with world.importer(mode) as importer:
        first = importer.run()  # the backfill sweep lists all three on one page
        world.clock.advance(SETTINGS.sweep_interval)
        second = importer.run()  # the next sweep lists them again
    assert_ran_through(first)
    kinds = {e.checkout_form_id: e for e in first.entries}
    assert kinds[before].kind is kinds[after].kind is EntryKind.CREATED
    assert kinds[bad].kind is EntryKind.QUARANTINED
    assert "ModelValidationError" in (kinds[bad].reason or "")
    assert "lineItems[0].quantity" in (kinds[bad].reason or "")
    failure = world.ledger.failure(world.seller, bad)
    assert failure is not None
    assert failure.quarantined
    sweep = world.ledger.cursor(world.seller, "sweep")
    assert sweep is not None
    assert sweep.value["walk"] is None  # the walk went past it to the end
    assert_ran_through(second)
    assert second.entries == []  # quarantined once, not again on every sweep
    assert [len(world.orders(f)) for f in (before, bad, after)] == [1, 0, 1]


class AllOrNothingFormWalk(CheckoutFormWalk):
    """The sweep's walk as it was: one unreadable form fails its whole page."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **{**kwargs, "per_item": False})


class AllOrNothingEventWalk(OrderEventWalk):
    """The journal's walk as it was: one unreadable event fails its whole page."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **{**kwargs, "per_item": False})


def test_negative_control_read_all_or_nothing_the_sweep_never_gets_past_an_unreadable_form(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sources, "CheckoutFormWalk", AllOrNothingFormWalk)
    before = world.add(seed=1)
    world.allegro.add_checkout_form(unreadable_form(2))
    after = world.add(seed=3)
    with world.importer() as importer:
        results = [importer.run()]
        for _ in range(2):
            world.clock.advance(SETTINGS.sweep_interval)
            results.append(importer.run())
    assert all("account_interrupted" in {w.code for w in r.warnings} for r in results)
    assert [len(world.orders(f)) for f in (before, after)] == [0, 0]


def test_negative_control_read_all_or_nothing_an_unreadable_event_holds_the_journal(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sources, "OrderEventWalk", AllOrNothingEventWalk)
    with world.importer() as importer:
        importer.run()  # starts the journal
    named = world.add(seed=6)
    world.add(seed=7)
    held = world.ledger.cursor(world.seller, "events")
    with world.importer(allegro_answers=corrupt_event(world, named, _bad_time)) as importer:
        results = [importer.run(), importer.run()]
    assert all("account_interrupted" in {w.code for w in r.warnings} for r in results)
    events = world.ledger.cursor(world.seller, "events")
    assert held is not None
    assert events is not None
    assert events.value["last"] == held.value["last"]  # stuck before the bad event


@pytest.mark.parametrize("mode", MODES)
def test_an_unreadable_form_named_by_an_event_is_quarantined_at_once(
    world: World, mode: str
) -> None:
    with world.importer(mode) as importer:
        importer.run()  # starts the journal
        bad = world.allegro.add_checkout_form(unreadable_form(4))
        good = world.add(seed=5)
        result = importer.run()
    assert_ran_through(result)
    kinds = {e.checkout_form_id: e for e in result.entries}
    assert kinds[good].kind is EntryKind.CREATED
    assert kinds[bad].kind is EntryKind.QUARANTINED
    assert "lineItems[0].quantity" in (kinds[bad].reason or "")
    events = world.ledger.cursor(world.seller, "events")
    assert events is not None
    assert events.value["last"] == world.allegro.events()[-1]["id"]


def corrupt_event(world: World, form_id: str, corrupt: Callable[[dict[str, Any]], None]) -> Answer:
    """Allegro's journal as the fake keeps it, with ``form_id``'s events corrupted."""

    def names_it(event: dict[str, Any]) -> bool:
        return bool((event.get("order") or {}).get("checkoutForm", {}).get("id") == form_id)

    return corrupt_events(world.allegro, names_it, corrupt)


def _no_form_id(event: dict[str, Any]) -> None:
    event["order"]["checkoutForm"] = {"id": ["not", "an", "id"]}


def _bad_time(event: dict[str, Any]) -> None:
    event["occurredAt"] = "yesterday-ish"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("corrupt", [_no_form_id, _bad_time], ids=["form id", "occurredAt"])
def test_a_malformed_event_never_holds_the_journal_or_its_neighbours(
    world: World, mode: str, corrupt: Callable[[dict[str, Any]], None]
) -> None:
    with world.importer(mode) as importer:
        importer.run()  # starts the journal
    named = world.add(seed=6)
    good = world.add(seed=7)
    with world.importer(mode, allegro_answers=corrupt_event(world, named, corrupt)) as importer:
        result = importer.run()
        world.clock.advance(SETTINGS.sweep_interval)
        swept = importer.run()
    assert_ran_through(result)
    assert {e.checkout_form_id for e in result.of(EntryKind.CREATED)} >= {good}
    assert "unreadable_event" in {w.code for w in result.warnings}
    events = world.ledger.cursor(world.seller, "events")
    assert events is not None
    assert events.value["last"] == world.allegro.events()[-1]["id"]  # moved past it
    assert_ran_through(swept)
    # Events are hints: the form is imported from the event or, at the latest, by the sweep.
    assert [len(world.orders(f)) for f in (named, good)] == [1, 1]


def test_a_malformed_event_whose_form_is_readable_still_brings_the_form(world: World) -> None:
    with world.importer() as importer:
        importer.run()
    named = world.add(seed=8)
    with world.importer(allegro_answers=corrupt_event(world, named, _bad_time)) as importer:
        result = importer.run()
    assert [(e.kind, e.checkout_form_id) for e in result.entries] == [(EntryKind.CREATED, named)]


# --- Hypothesis: hostile forms among good ones ---------------------------------------------------

CHUNKS = (
    "Zażółć gęślą jaźń",
    "Ελληνικά γράμματα",
    "Съешь же ещё этих",
    "東京都千代田区丸の内",
    "مرحبا بالعالم",
    "עברית",
    "😀🛒🇵🇱",
    "e\u0301\u0308\u20dd",
    "\u202eRTL\u202c",
    "\u200b\u200d\ufeff",
    "\x00\x07\x1b",
    "\n\r\t",
    "<script>alert(1)</script>",
    "'; DROP TABLE orders; --",
    "%s%n{0}",
    " ",
)
HOSTILE_TEXT = st.tuples(
    st.lists(st.sampled_from(CHUNKS), min_size=1, max_size=4).map("".join),
    st.sampled_from([1, 1, 3, 200, 5000]),
).map(lambda t: t[0] * t[1])
TEXT_PATHS: tuple[tuple[str | int, ...], ...] = (
    ("buyer", "firstName"),
    ("buyer", "lastName"),
    ("buyer", "login"),
    ("buyer", "email"),
    ("buyer", "id"),
    ("buyer", "companyName"),
    ("buyer", "phoneNumber"),
    ("delivery", "address", "firstName"),
    ("delivery", "address", "lastName"),
    ("delivery", "address", "street"),
    ("delivery", "address", "city"),
    ("delivery", "address", "zipCode"),
    ("delivery", "address", "phoneNumber"),
    ("delivery", "address", "companyName"),
    ("delivery", "method", "name"),
    ("delivery", "pickupPoint", "name"),
    ("invoice", "address", "street"),
    ("invoice", "address", "city"),
    ("invoice", "address", "company", "name"),
    ("invoice", "address", "company", "taxId"),
    ("messageToSeller",),
    ("note", "text"),
    ("lineItems", 0, "offer", "name"),
    ("lineItems", 0, "offer", "external", "id"),
    ("payment", "id"),
)
OPTIONAL_PATHS: tuple[tuple[str | int, ...], ...] = (
    ("invoice",),
    ("invoice", "address"),
    ("delivery", "pickupPoint"),
    ("delivery", "method"),
    ("delivery", "cost"),
    ("delivery", "address"),
    ("buyer", "phoneNumber"),
    ("buyer", "address"),
    ("buyer", "preferences"),
    ("payment",),
    ("payment", "paidAmount"),
    ("surcharges",),
    ("note",),
    ("messageToSeller",),
    ("marketplace",),
    ("fulfillment",),
    ("fulfillment", "status"),
    ("lineItems", 0, "offer", "external"),
    ("lineItems", 0, "tax"),
    ("lineItems", 0, "originalPrice"),
    ("summary",),
)
AMOUNT_PATHS: tuple[tuple[str | int, ...], ...] = (
    ("lineItems", 0, "price", "amount"),
    ("lineItems", 0, "originalPrice", "amount"),
    ("delivery", "cost", "amount"),
    ("summary", "totalToPay", "amount"),
    ("payment", "paidAmount", "amount"),
)
CURRENCY_PATHS = tuple((*p[:-1], "currency") for p in AMOUNT_PATHS)
ENUM_VALUES: dict[tuple[str | int, ...], tuple[str, ...]] = {
    ("status",): ("SOMETHING_ALLEGRO_ADDS_IN_2031", "", "ready_for_processing"),
    ("fulfillment", "status"): ("AWAITING_GODOT", ""),
    ("fulfillment", "provider", "id"): ("SOMEONE_ELSE",),
    ("payment", "type"): ("CRYPTO", "BARTER"),
    ("payment", "provider"): ("ALLEGRO_PAY_LATER_2",),
    ("lineItems", 0, "tax", "subject"): ("NET_ISH",),
    ("marketplace", "id"): ("allegro-mars",),
    ("delivery", "address", "countryCode"): ("XX", "DE", "pl", ""),
    ("buyer", "preferences", "language"): ("tlh-KL",),
}
UNREADABLE: dict[tuple[str | int, ...], tuple[Any, ...]] = {
    ("lineItems", 0, "quantity"): ("lots", 1.5, True, None, 10**50),
    ("lineItems", 0, "price", "amount"): ("abc", "", "1,50", "NaN", [1]),
    ("lineItems",): ({}, "none", None),
    ("buyer",): ("someone", None, []),
    ("summary", "totalToPay"): (None, 12),
    ("revision",): (42,),
}


def _parent(form: Any, path: tuple[str | int, ...]) -> Any:
    node = form
    for step in path[:-1]:
        if isinstance(step, int):
            node = node[step] if isinstance(node, list) and len(node) > step else None
        else:
            node = node.get(step) if isinstance(node, dict) else None
        if node is None:
            return None
    return node


def _set(form: Any, path: tuple[str | int, ...], value: Any) -> None:
    parent = _parent(form, path)
    if isinstance(parent, dict) or (isinstance(parent, list) and isinstance(path[-1], int)):
        parent[path[-1]] = value  # type: ignore[index]


def _drop(form: Any, path: tuple[str | int, ...], how: str) -> None:
    parent = _parent(form, path)
    if isinstance(parent, dict) and path[-1] in parent:
        if how == "missing":
            del parent[path[-1]]
        else:
            parent[path[-1]] = None if how == "null" else type(parent[path[-1]])()


@st.composite
def mutation(draw: st.DrawFn) -> Callable[[dict[str, Any]], None]:
    kind = draw(
        st.sampled_from(
            ["text", "text", "optional", "quantity", "amount", "currency", "enum", "unreadable"]
        )
    )
    if kind == "text":
        path, text = draw(st.sampled_from(TEXT_PATHS)), draw(HOSTILE_TEXT)
        return lambda form: _set(form, path, text)
    if kind == "optional":
        path = draw(st.sampled_from(OPTIONAL_PATHS))
        how = draw(st.sampled_from(["missing", "null", "empty"]))
        return lambda form: _drop(form, path, how)
    if kind == "quantity":
        # Absurd, yet integers the converter reads.
        quantity = draw(st.sampled_from([0, -1, 999_999, 2**31, 2**53, 10**30]))
        return lambda form: _set(form, ("lineItems", 0, "quantity"), quantity)
    if kind == "amount":
        path = draw(st.sampled_from(AMOUNT_PATHS))
        amount = draw(
            st.sampled_from(["0.00", "0.01", "-1.00", "99999999.99", "123456789012.34", "0.001"])
        )
        return lambda form: _set(form, path, amount)
    if kind == "currency":
        path = draw(st.sampled_from(CURRENCY_PATHS))
        currency = draw(st.sampled_from(["EUR", "CZK", "HUF", "PLN", "XXX", "zł", ""]))
        return lambda form: _set(form, path, currency)
    if kind == "enum":
        path = draw(st.sampled_from(sorted(ENUM_VALUES)))
        value = draw(st.sampled_from(ENUM_VALUES[path]))
        return lambda form: _set(form, path, value)
    path = draw(st.sampled_from(sorted(UNREADABLE, key=str)))
    value = draw(st.sampled_from(UNREADABLE[path]))
    return lambda form: _set(form, path, value)


@st.composite
def hostile_form(draw: st.DrawFn) -> Callable[[int], dict[str, Any]]:
    """A realistic form (of a seed given later, so ids are unique), then 1 to 4 mutations."""
    options = {
        "country": draw(st.sampled_from(["PL", "CZ", "SK", "HU"])),
        "delivery": draw(st.sampled_from(["courier", "parcel_locker", "pickup"])),
        "company": draw(st.booleans()),
        "items": draw(st.integers(1, 3)),
        "surcharges": draw(st.sampled_from([(), ("9.50",)])),
        "message_to_seller": draw(st.sampled_from([None, "Proszę o szybką wysyłkę"])),
    }
    changes = draw(st.lists(mutation(), min_size=1, max_size=4))

    def make(seed: int) -> dict[str, Any]:
        form = checkout_form(seed=seed, **options)
        for change in changes:
            change(form)
        return form

    return make


def add_hostile(world: World, make: Callable[[int], dict[str, Any]], seed: int) -> str:
    form = checkout_form(seed=seed)  # the catalogue of the form as it was before the mutations
    seed_catalogue(world.plenty, [form])
    return world.allegro.add_checkout_form(make(seed))


def _accounted_for(result_entries: list[ImportEntry], hostile: list[str]) -> None:
    """Each hostile form imported, or skipped or quarantined with a reason; never merely
    failed (a transient failure would mean retrying the same data until it is quarantined)."""
    by_form: dict[str, list[ImportEntry]] = {}
    for entry in result_entries:
        by_form.setdefault(entry.checkout_form_id, []).append(entry)
    for form_id in hostile:
        kinds = [e.kind for e in by_form.get(form_id, [])]
        assert kinds, f"form {form_id}: no entry"
        assert EntryKind.FAILED not in kinds, by_form[form_id]
        for entry in by_form[form_id]:
            if entry.kind in (EntryKind.SKIPPED, EntryKind.QUARANTINED):
                assert entry.reason, entry


@given(
    swept=st.lists(hostile_form(), min_size=1, max_size=3),
    named=st.lists(hostile_form(), min_size=1, max_size=3),
    strict=st.booleans(),
)
@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # shrinking whole runs takes minutes
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
def test_hostile_forms_never_crash_a_run_and_the_good_ones_around_them_import(
    swept: list[Callable[[int], dict[str, Any]]],
    named: list[Callable[[int], dict[str, Any]]],
    strict: bool,
) -> None:
    world = World()
    goods = [world.add(seed=1)]
    hostile = [add_hostile(world, make, 100 + n) for n, make in enumerate(swept)]
    goods.append(world.add(seed=2))
    entries: list[ImportEntry] = []
    with world.importer(allegro_strict=strict) as importer:
        first = importer.run()  # a backfill sweep lists them
        entries += first.entries
        later = [add_hostile(world, make, 200 + n) for n, make in enumerate(named)]
        goods.append(world.add(seed=3))
        second = importer.run()  # events name them
        entries += second.entries
        world.clock.advance(SETTINGS.sweep_interval)
        third = importer.run()  # a sweep lists every one of them again
    for result in (first, second, third):
        assert_ran_through(result)
    assert [len(world.orders(form_id)) for form_id in goods] == [1, 1, 1]
    # A form Allegro journals under no event type the importer reads (an unknown status
    # is never READY_FOR_PROCESSING) is first seen by the third run's sweep; one seen
    # before is not handled again.
    handled = {e.checkout_form_id for e in entries}
    assert [e for e in third.entries if e.checkout_form_id in handled] == []
    entries += third.entries
    _accounted_for(entries, hostile + later)
    created = {e.checkout_form_id for e in entries if e.kind is EntryKind.CREATED}
    assert all(len(world.orders(form_id)) == 1 for form_id in created)
    assert len(world.plenty.order_ids()) == len(created)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "path", [("lineItems", 0, "offer", "external", "id"), ("buyer", "id")], ids=["SKU", "buyer id"]
)
def test_a_form_whose_look_up_key_cannot_be_sent_is_quarantined_at_once(
    world: World, mode: str, path: tuple[str | int, ...]
) -> None:
    form = checkout_form(seed=9)
    seed_catalogue(world.plenty, [form])
    _set(form, path, "ż" * 30_000)
    bad = world.allegro.add_checkout_form(form)
    good = world.add(seed=10)
    with world.importer(mode) as importer:
        result = importer.run()
    assert_ran_through(result)
    kinds = {e.checkout_form_id: e for e in result.entries}
    assert kinds[good].kind is EntryKind.CREATED
    assert kinds[bad].kind is EntryKind.QUARANTINED
    assert (kinds[bad].reason or "").startswith("InvalidRequestError: ")
