"""The checkout-form walk cannot skip a form, even while forms change under it.

The mock Allegro below sorts by ``updatedAt`` and pages by offset, as the real
one does, and between pages it updates forms (an updated form moves to the end
of the list). The keyset walk must still hand out every form in its newest
state; the same mock makes a naive offset walk lose forms (the negative
control), so the mock really exercises the failure.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs
import httpx
import pytest
from dateutil.parser import isoparse

from allegro_plenty import PagingError
from allegro_plenty._convert import format_allegro_datetime, make_converter
from allegro_plenty.allegro import CheckoutFormWalk
from allegro_plenty.allegro.models import (
    CheckoutForm,
    CheckoutFormFilter,
    CheckoutForms,
    CheckoutFormSort,
    CheckoutFormStatus,
)

from .specs import SpecCheckedTransport
from .test_allegro_client import call, vendor
from .test_allegro_models import minimal_form

pytestmark = pytest.mark.spec

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=timezone.utc)
MS = timedelta(milliseconds=1)


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


class ChangingAllegro:
    """An order list that changes between the pages it serves.

    Args:
        stamps: The initial ``updatedAt`` of each form (ids are ``f0000``...).
        updates: After serving page ``n`` (0-based), ``updates(n, ids_in_order)``
            names the forms to update now.
    """

    def __init__(
        self, stamps: list[datetime], updates: Callable[[int, list[str]], list[str]]
    ) -> None:
        self.updated_at = {_uuid(i): s for i, s in enumerate(stamps)}
        self.last_read: dict[str, datetime] = {}
        self.updates = updates
        self.clock = max(stamps)
        self.pages_served = 0
        self.template = minimal_form()

    def ordered(self, since: datetime | None) -> list[str]:
        ids = [i for i, s in self.updated_at.items() if since is None or s >= since]
        # Ties in updatedAt come back in an order the client cannot rely on.
        return sorted(ids, key=lambda i: (self.updated_at[i], i))

    def handle(self, request: httpx.Request) -> httpx.Response:
        query = request.url.params
        assert query["sort"] == "updatedAt"
        offset, limit = int(query.get("offset", 0)), int(query.get("limit", 100))
        if offset + limit > 10_000:
            return vendor(422, {"errors": [{"code": "VALIDATION_ERROR", "message": "cap"}]})
        since = isoparse(query["updatedAt.gte"]) if "updatedAt.gte" in query else None
        matching = self.ordered(since)
        page = matching[offset : offset + limit]
        body = {
            "checkoutForms": [self.form(i) for i in page],
            "count": len(page),
            "totalCount": len(matching),
        }
        # The state the last page saw: what a walk ending now must have handed out.
        self.last_read = dict(self.updated_at)
        for changed in self.updates(self.pages_served, self.ordered(None)):
            self.clock += MS
            self.updated_at[changed] = self.clock
        self.pages_served += 1
        return vendor(200, body)

    def form(self, form_id: str) -> dict[str, Any]:
        return {
            **self.template,
            "id": form_id,
            "updatedAt": format_allegro_datetime(self.updated_at[form_id]),
        }


def _uuid(i: int) -> str:
    return f"00000000-0000-4000-8000-{i:012d}"


def naive_offset_walk(mode: str, transport: httpx.MockTransport, page_size: int) -> list[Any]:
    """What the keyset walk replaces: offsets over the sorted list."""
    forms: list[Any] = []
    offset = 0
    while True:
        page = call(
            mode,
            transport,
            "list_checkout_forms",
            CheckoutFormFilter(updated_at_gte=T0, sort=CheckoutFormSort.UPDATED_AT),
            offset=offset,
            limit=page_size,
        )
        forms.extend(page.checkout_forms)
        if len(page.checkout_forms) < page_size:
            return forms
        offset += page_size


def _updates_behind_and_ahead(page: int, ids: list[str]) -> list[str]:
    # During the first four pages, update two forms already read (the ones an
    # offset walk trips on) and one not yet read.
    if page >= 4:
        return []
    return [ids[0], ids[1], ids[-60]]


def _final_state_seen(allegro: ChangingAllegro, forms: list[CheckoutForm]) -> None:
    latest: dict[str, datetime] = {}
    versions = [(f.id, f.updated_at) for f in forms]
    assert len(versions) == len(set(versions)), "a form version was handed out twice"
    for form in forms:
        assert form.updated_at is not None
        latest[form.id] = max(latest.get(form.id, form.updated_at), form.updated_at)
    assert latest == allegro.last_read


def test_keyset_walk_sees_every_form_while_forms_change(
    mode: str, spec_checked: Callable[..., SpecCheckedTransport]
) -> None:
    stamps = [T0 + i * MS for i in range(230)]
    allegro = ChangingAllegro(stamps, _updates_behind_and_ahead)
    transport = spec_checked("allegro", allegro.handle, check_responses=True)
    forms = call(mode, transport, "iter_checkout_forms", T0, page_size=50)
    _final_state_seen(allegro, forms)
    # Every request kept to the keyset: sorted by updatedAt, offset 0 outside ties.
    assert {r.url.params["offset"] for r in transport.requests} == {"0"}


def test_naive_offset_walk_skips_forms_on_the_same_mock(
    mode: str, spec_checked: Callable[..., SpecCheckedTransport]
) -> None:
    stamps = [T0 + i * MS for i in range(230)]
    allegro = ChangingAllegro(stamps, _updates_behind_and_ahead)
    transport = spec_checked("allegro", allegro.handle, check_responses=True)
    seen = {f.id for f in naive_offset_walk(mode, transport, page_size=50)}
    missing = set(allegro.updated_at) - seen
    assert len(missing) >= 4, "the mock no longer exercises the skip the keyset walk prevents"


def test_keyset_walk_pages_through_a_crowded_millisecond(
    mode: str, spec_checked: Callable[..., SpecCheckedTransport]
) -> None:
    # 120 forms share one millisecond (more than two pages of 50), between others.
    stamps = [T0 + i * MS for i in range(30)] + [T0 + 40 * MS] * 120
    stamps += [T0 + (50 + i) * MS for i in range(30)]
    rng = random.Random(7)

    def updates(page: int, ids: list[str]) -> list[str]:
        # Touch forms outside the crowded millisecond only.
        outside = [i for i in ids if allegro.updated_at[i] != T0 + 40 * MS]
        return rng.sample(outside, 2) if page < 5 else []

    allegro = ChangingAllegro(stamps, updates)
    transport = spec_checked("allegro", allegro.handle, check_responses=True)
    forms = call(mode, transport, "iter_checkout_forms", T0, page_size=50)
    _final_state_seen(allegro, forms)
    assert {r.url.params["offset"] for r in transport.requests} >= {"50", "100"}


def test_filters_pass_through_and_the_walk_owns_sort_and_lower_bound(
    spec_checked: Callable[..., SpecCheckedTransport],
) -> None:
    allegro = ChangingAllegro([T0], lambda page, ids: [])
    transport = spec_checked("allegro", allegro.handle, check_responses=True)
    since = T0 - timedelta(microseconds=1500)  # sent floored to the millisecond
    forms = call(
        "sync",
        transport,
        "iter_checkout_forms",
        since,
        CheckoutFormFilter(
            status=CheckoutFormStatus.READY_FOR_PROCESSING, updated_at_lte=T0 + timedelta(days=1)
        ),
    )
    assert [f.id for f in forms] == [_uuid(0)]
    assert list(transport.requests[0].url.params.multi_items()) == [
        ("offset", "0"),
        ("limit", "100"),
        ("status", "READY_FOR_PROCESSING"),
        ("updatedAt.gte", "2025-03-01T07:59:59.998Z"),
        ("updatedAt.lte", "2025-03-02T08:00:00.000Z"),
        ("sort", "updatedAt"),
    ]
    with pytest.raises(ValueError, match="updated_since"):
        CheckoutFormWalk(T0, CheckoutFormFilter(updated_at_gte=T0))
    with pytest.raises(ValueError, match="sorts by updatedAt"):
        CheckoutFormWalk(T0, CheckoutFormFilter(sort=CheckoutFormSort.BOUGHT_AT_DESC))
    with pytest.raises(ValueError, match="timezone-aware"):
        CheckoutFormWalk(datetime(2025, 1, 1))


def test_walk_refuses_to_page_past_the_offset_cap() -> None:
    """Sans-IO: fed full pages of one millisecond, the walk stops before offset 10,000."""
    converter = make_converter(strict=True)
    template = converter.structure(
        {**minimal_form(), "id": _uuid(0), "updatedAt": "2025-03-01T08:00:00.000Z"}, CheckoutForm
    )

    def page(first: int) -> CheckoutForms:
        forms = tuple(attrs.evolve(template, id=_uuid(i)) for i in range(first, first + 100))
        return CheckoutForms(checkout_forms=forms, count=100, total_count=20_000)

    walk = CheckoutFormWalk(T0)
    offsets = []
    for _ in range(100):  # pages at offsets 0, 100 ... 9900; 9900 + 100 is the last legal one
        operation = walk.next_operation()
        assert operation is not None
        offset = int(dict(operation.params)["offset"])
        offsets.append(offset)
        walk.feed(page(offset))
    assert offsets == list(range(0, 10_000, 100))
    with pytest.raises(PagingError, match="more than 10000 checkout forms share updatedAt"):
        walk.next_operation()
