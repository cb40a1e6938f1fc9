"""``list_orders`` takes a typed, checked filter instead of ``**filters: Any``.

A filter plentymarkets would misread (a naive datetime is read in the shop's
time zone; a binary float status id is not the status meant) or refuse is
refused while the filter is built, naming the query parameter, so nothing is
sent; a good one goes out as the spec declares it.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from allegro_plenty import InvalidRequestError, OrderFilter
from allegro_plenty.plenty import NO_ORDER_FILTER

from .plenty_fakes import MODES, FakePlenty, call, query

WARSAW = timezone(timedelta(hours=1))
EMPTY_PAGE = {"page": 1, "isLastPage": True, "entries": []}


@pytest.mark.parametrize(
    ("fields", "wire"),
    [
        ({"updated_at_from": datetime(2025, 3, 1)}, "updatedAtFrom"),
        ({"created_at_to": "2025-03-01"}, "createdAtTo"),
        ({"status_from": 5.1}, "statusFrom"),
        ({"status_to": "five"}, "statusTo"),
        ({"status_to": 0}, "statusTo"),
        ({"order_types": (1, 0)}, "orderType"),
        ({"order_types": (True,)}, "orderType"),
        ({"contact_id": 0}, "contactId"),
        ({"parent_order_id": "630"}, "parentOrderId"),
        ({"referrer_id": -1}, "referrerId"),
        ({"referrer_id": 4.01}, "referrerId"),
        ({"external_order_id": " "}, "externalOrderId"),
        ({"sort_by": "price"}, "sortBy"),
        ({"sort_order": "up"}, "sortOrder"),
    ],
)
def test_a_bad_filter_is_refused_naming_the_query_parameter(
    fields: dict[str, Any], wire: str
) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        OrderFilter(**fields)
    assert caught.value.field == wire
    assert isinstance(caught.value, ValueError)


def test_status_ids_become_exact_decimals() -> None:
    chosen = OrderFilter(status_from="5.1", status_to=7, order_types=[1, 2])
    assert (chosen.status_from, chosen.status_to) == (Decimal("5.1"), Decimal(7))
    assert chosen.order_types == (1, 2)
    assert OrderFilter() == NO_ORDER_FILTER


@pytest.mark.parametrize("mode", MODES)
def test_list_orders_sends_the_filter_as_the_spec_declares_it(mode: str, spec_checked: Any) -> None:
    fake = FakePlenty().on("GET", "/rest/orders", EMPTY_PAGE)
    chosen = OrderFilter(
        referrer_id=Decimal("104.01"),
        order_types=(1, 2),
        status_from="5",
        updated_at_from=datetime(2025, 3, 1, 8, 0, tzinfo=WARSAW),
        sort_by="createdAt",
        sort_order="desc",
    )
    page = call(
        mode,
        spec_checked("plenty", fake),
        "list_orders",
        chosen,
        relations=("addresses",),
        page=2,
        items_per_page=50,
    )
    assert page.entries == ()
    assert query(fake.only("GET", "/rest/orders")) == {
        "referrerId": "104.01",
        "orderType": "1,2",
        "statusFrom": "5",
        "updatedAtFrom": "2025-03-01T08:00:00+01:00",
        "sortBy": "createdAt",
        "sortOrder": "desc",
        "with": "addresses",
        "page": "2",
        "itemsPerPage": "50",
    }


@pytest.mark.parametrize("mode", MODES)
def test_list_orders_refuses_what_is_not_a_filter(mode: str, spec_checked: Any) -> None:
    fake = FakePlenty().on("GET", "/rest/orders", EMPTY_PAGE)
    with pytest.raises(InvalidRequestError) as caught:
        call(mode, spec_checked("plenty", fake), "list_orders", {"referrerId": 104})
    assert caught.value.field == "filter"
    assert fake.requests == []
