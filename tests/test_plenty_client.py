"""Every PlentyClient / AsyncPlentyClient method, through a spec-checked mock transport."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import httpx
import pytest

from allegro_plenty.errors import (
    BadRequestError,
    InternalServerError,
    ResponseValidationError,
    UnprocessableEntityError,
)
from allegro_plenty.plenty import ReferenceDataError
from allegro_plenty.plenty import models as m

from .plenty_fakes import MODES, FakePlenty, body, call, query

pytestmark = pytest.mark.spec
WARSAW = timezone(timedelta(hours=2))
CHECKOUT_ID = "29738e61-7f6a-11e8-ac45-09db60ede9d6"


def order_json(order_id: int = 630, external_id: str | None = CHECKOUT_ID, **extra: Any) -> Any:
    properties = [{"orderId": order_id, "typeId": 6, "value": "pl"}]
    if external_id is not None:
        properties.append({"orderId": order_id, "typeId": 7, "value": external_id})
    data = {
        "id": order_id,
        "typeId": 1,
        "plentyId": 1000,
        "statusId": 5.1,
        "statusName": "[5.1] Freigabe Versand",
        "referrerId": 104.01,
        "createdAt": "2025-03-03T10:19:37+01:00",
        "updatedAt": "2025-03-03T10:20:00+01:00",
        "properties": properties,
        "dates": [{"orderId": order_id, "typeId": 2, "date": "2025-03-03T10:19:37+01:00"}],
        "amounts": [
            {
                "id": 534,
                "orderId": order_id,
                "isSystemCurrency": True,
                "isNet": False,
                "currency": "EUR",
                "exchangeRate": 1,
                "netTotal": 129.4,
                "grossTotal": 153.99,
                "vatTotal": 24.59,
                "invoiceTotal": 153.99,
                "paidAmount": 0,
                "vats": [
                    {"countryVatId": 1, "vatField": 0, "vatRate": 19, "value": 24.59},
                ],
            }
        ],
        "orderItems": [
            {
                "id": 744,
                "orderId": order_id,
                "typeId": 1,
                "referrerId": 104.01,
                "itemVariationId": 1012,
                "quantity": 1,
                "orderItemName": "Sessel",
                "countryVatId": 1,
                "vatField": 0,
                "vatRate": 19,
                "amounts": [
                    {"currency": "EUR", "priceOriginalGross": 149.99, "isSystemCurrency": True}
                ],
                "properties": [{"typeId": 17, "value": "7429781234"}],
            }
        ],
        "addressRelations": [
            {"orderId": order_id, "typeId": 1, "addressId": 33},
            {"orderId": order_id, "typeId": 2, "addressId": 34},
        ],
    }
    data.update(extra)
    return data


def page(entries: list[Any], *, number: int = 1, last: bool = True) -> Any:
    return {
        "page": number,
        "totalsCount": len(entries),
        "isLastPage": last,
        "lastPageNumber": number if last else number + 1,
        "firstOnPage": 1,
        "lastOnPage": len(entries),
        "itemsPerPage": 250,
        "entries": entries,
    }


# --- orders ---------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_create_order_sends_the_body_and_parses_decimals(mode: str, spec_checked: Any) -> None:
    fake = FakePlenty().on("POST", "/rest/orders", order_json())
    new = m.NewOrder(
        type_id=1,
        plenty_id=1000,
        status_id=Decimal("3"),
        referrer_id=Decimal("104.01"),
        order_items=(
            m.NewOrderItem(
                type_id=1,
                quantity=Decimal(2),
                order_item_name="Sessel",
                amounts=(m.OrderItemAmount("PLN", Decimal("49.99")),),
                item_variation_id=1012,
                country_vat_id=1,
                vat_field=0,
            ),
        ),
        properties=(m.OrderProperty(7, CHECKOUT_ID), m.OrderProperty(6, "pl")),
        dates=(m.OrderDate(2, datetime(2025, 3, 3, 10, 19, 37, tzinfo=WARSAW)),),
    )
    order = call(mode, spec_checked("plenty", fake), "create_order", new)
    sent = body(fake.only("POST", "/rest/orders"))
    assert sent["referrerId"] == 104.01
    assert sent["statusId"] == 3
    assert sent["properties"] == [{"typeId": 7, "value": CHECKOUT_ID}, {"typeId": 6, "value": "pl"}]
    assert sent["dates"] == [{"typeId": 2, "date": "2025-03-03T10:19:37+02:00"}]
    assert sent["orderItems"][0]["amounts"] == [{"currency": "PLN", "priceOriginalGross": 49.99}]
    assert order.status_id == Decimal("5.1")
    assert order.referrer_id == Decimal("104.01")
    assert order.amounts is not None
    assert order.amounts[0].gross_total == Decimal("153.99")
    assert order.external_order_id == CHECKOUT_ID
    assert order.created_at is not None
    assert order.created_at.utcoffset() == timedelta(hours=1)


@pytest.mark.parametrize("mode", MODES)
def test_create_order_is_never_retried(mode: str, spec_checked: Any) -> None:
    fake = FakePlenty().on("POST", "/rest/orders", httpx.Response(503, json={"message": "busy"}))
    with pytest.raises(InternalServerError, match="busy"):
        call(mode, spec_checked("plenty", fake), "create_order", _minimal_order())
    assert len(fake.calls("POST", "/rest/orders")) == 1


def _minimal_order() -> m.NewOrder:
    return m.NewOrder(
        type_id=1,
        plenty_id=1,
        status_id=Decimal(3),
        referrer_id=Decimal(1),
        order_items=(),
        properties=(),
    )


@pytest.mark.parametrize("mode", MODES)
def test_get_order_loads_relations(mode: str, spec_checked: Any) -> None:
    address = {"id": 34, "name2": "Jan", "name3": "Kowalski", "address1": "Prosta",
               "address2": "1", "postalCode": "00-001", "town": "Warszawa", "countryId": 23,
               "options": [{"typeId": 4, "value": "+48 600 000 000"}]}  # fmt: skip
    package = {"id": 9, "orderId": 630, "packageNumber": "J92356732176", "packageType": 4}
    relations = [{"orderId": 630, "referenceType": "contact", "referenceId": 104,
                  "relation": "receiver"}]  # fmt: skip
    reply = order_json(addresses=[address], shippingPackages=[package], relations=relations)
    fake = FakePlenty().on("GET", "/rest/orders/630", reply)
    order = call(mode, spec_checked("plenty", fake), "get_order", 630)
    assert query(fake.only("GET", "/rest/orders/630")) == {
        "with": "addresses,relations,shippingPackages"
    }
    delivery = order.address(m.AddressType.DELIVERY)
    assert delivery is not None
    assert delivery.town == "Warszawa"
    assert delivery.option(m.AddressOptionType.PHONE) == "+48 600 000 000"
    assert order.address(m.AddressType.BILLING) is None  # id 33 was not in the reply
    assert order.contact_id == 104
    assert order.shipping_packages is not None
    assert order.shipping_packages[0].package_number == "J92356732176"
    assert order.order_items is not None
    assert order.order_items[0].property_value(17) == "7429781234"


@pytest.mark.parametrize("mode", MODES)
def test_find_by_external_id_keeps_only_exact_property_7_matches(
    mode: str, spec_checked: Any
) -> None:
    exact = order_json(630)
    prefix = order_json(631, external_id=CHECKOUT_ID + "-2")
    other_property = order_json(632, external_id=None)
    fake = FakePlenty().on("GET", "/rest/orders", page([exact, prefix, other_property]))
    found = call(mode, spec_checked("plenty", fake), "find_orders_by_external_id", CHECKOUT_ID)
    assert [o.id for o in found] == [630]
    params = query(fake.only("GET", "/rest/orders"))
    assert params["externalOrderId"] == CHECKOUT_ID
    assert (params["sortBy"], params["sortOrder"], params["page"]) == ("id", "asc", "1")


@pytest.mark.parametrize("mode", MODES)
def test_find_by_external_id_refuses_orders_without_properties(
    mode: str, spec_checked: Any
) -> None:
    # Treating an unverifiable order as absent could create a duplicate.
    bare = order_json(630)
    del bare["properties"]
    fake = FakePlenty().on("GET", "/rest/orders", page([bare]))
    with pytest.raises(ResponseValidationError) as caught:
        call(mode, spec_checked("plenty", fake), "find_orders_by_external_id", CHECKOUT_ID)
    assert caught.value.field_path == "entries[0].properties"


@pytest.mark.parametrize("mode", MODES)
def test_changed_orders_walk_every_page_once(mode: str, spec_checked: Any) -> None:
    # Page 2 repeats order 2 (an order updated mid-walk shifted the list): handed out once.
    pages = [
        page([order_json(1), order_json(2)], number=1, last=False),
        page([order_json(2), order_json(3)], number=2, last=False),
        page([order_json(4)], number=3, last=True),
    ]

    def reply(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=pages[int(request.url.params["page"]) - 1])

    fake = FakePlenty().on("GET", "/rest/orders", reply)
    since = datetime(2025, 3, 1, 8, 0, tzinfo=WARSAW)
    orders = call(
        mode,
        spec_checked("plenty", fake),
        "iter_changed_orders",
        since,
        referrer_id=Decimal("104.01"),
        status_from="5.1",
        status_to=Decimal(7),
        page_size=2,
    )
    assert [o.id for o in orders] == [1, 2, 3, 4]
    sent = [query(r) for r in fake.calls("GET", "/rest/orders")]
    assert [q["page"] for q in sent] == ["1", "2", "3"]
    assert sent[0] == {
        "updatedAtFrom": "2025-03-01T08:00:00+02:00",
        "referrerId": "104.01",
        "orderType": "1",
        "statusFrom": "5.1",
        "statusTo": "7",
        "sortBy": "id",
        "sortOrder": "asc",
        "page": "1",
        "itemsPerPage": "2",
    }


def test_changed_orders_refuse_naive_datetimes() -> None:
    from allegro_plenty.plenty import OrderFilter

    with pytest.raises(ValueError, match="timezone"):
        OrderFilter(updated_at_from=datetime(2025, 3, 1))


@pytest.mark.parametrize("mode", MODES)
def test_delivery_orders_of_a_sales_order(mode: str, spec_checked: Any) -> None:
    child = order_json(700, external_id=None, typeId=2)
    fake = FakePlenty().on("GET", "/rest/orders", page([child]))
    found = call(mode, spec_checked("plenty", fake), "delivery_orders", 630)
    assert [o.id for o in found] == [700]
    params = query(fake.only("GET", "/rest/orders"))
    assert (params["parentOrderId"], params["orderType"]) == ("630", "2")


@pytest.mark.parametrize("mode", MODES)
def test_update_status_sends_an_exact_decimal(mode: str, spec_checked: Any) -> None:
    fake = FakePlenty().on("PUT", "/rest/orders/630", order_json())
    order = call(mode, spec_checked("plenty", fake), "update_order_status", 630, "5.1")
    assert fake.only("PUT", "/rest/orders/630").content == b'{"statusId":5.1}'
    assert order.status_id == Decimal("5.1")


@pytest.mark.parametrize("mode", MODES)
def test_update_status_is_retried_because_it_is_idempotent(mode: str, spec_checked: Any) -> None:
    fake = FakePlenty().on(
        "PUT", "/rest/orders/630", httpx.Response(502, text="bad gateway"), order_json()
    )
    call(mode, spec_checked("plenty", fake), "update_order_status", 630, 5)
    assert len(fake.calls("PUT", "/rest/orders/630")) == 2


def test_status_ids_must_be_exact() -> None:
    from allegro_plenty.plenty import endpoints as ep

    assert ep.status_id("5.1") == Decimal("5.1") == ep.status_id(Decimal("5.10"))
    for bad in (5.1, True, "x", "0", "-1", "NaN"):
        with pytest.raises(ValueError, match="status id"):
            ep.status_id(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("type_id", [m.AddressType.DELIVERY, m.AddressType.BILLING])
def test_set_order_address_sends_only_that_relation(
    mode: str, type_id: int, spec_checked: Any
) -> None:
    relations = [{"orderId": 630, "typeId": 1, "addressId": 33},
                 {"orderId": 630, "typeId": 2, "addressId": 34}]  # fmt: skip
    relations[type_id - 1]["addressId"] = 35
    fake = FakePlenty().on("PUT", "/rest/orders/630", order_json(addressRelations=relations))
    order = call(mode, spec_checked("plenty", fake), "set_order_address", 630, 35, type_id=type_id)
    sent = body(fake.only("PUT", "/rest/orders/630"))
    assert sent == {"addressRelations": [{"typeId": type_id, "addressId": 35}]}
    assert [(r.type_id, r.address_id) for r in order.address_relations or ()] == [
        (1, 35 if type_id == 1 else 33),
        (2, 35 if type_id == 2 else 34),
    ]


@pytest.mark.parametrize("mode", MODES)
def test_set_order_address_is_retried_because_it_is_idempotent(
    mode: str, spec_checked: Any
) -> None:
    fake = FakePlenty().on(
        "PUT", "/rest/orders/630", httpx.Response(503, text="unavailable"), order_json()
    )
    call(mode, spec_checked("plenty", fake), "set_order_address", 630, 34, type_id=2)
    assert len(fake.calls("PUT", "/rest/orders/630")) == 2


def test_set_order_address_refuses_other_types_and_ids_before_sending() -> None:
    from allegro_plenty.plenty import endpoints as ep

    for type_id in (0, 3, 4):
        with pytest.raises(ValueError, match="1 \\(billing\\) or 2 \\(delivery\\)"):
            ep.set_order_address(630, 34, type_id=type_id)
    for order_id, address_id in ((0, 34), (630, 0), (630, True)):
        with pytest.raises(ValueError, match="must be a positive integer"):
            ep.set_order_address(order_id, address_id, type_id=2)


@pytest.mark.parametrize("mode", MODES)
def test_cancel_order(mode: str, spec_checked: Any) -> None:
    fake = FakePlenty().on("PUT", "/rest/orders/630/cancel", order_json(statusId=8))
    call(mode, spec_checked("plenty", fake), "cancel_order", 630, message="Buyer cancelled")
    sent = body(fake.only("PUT", "/rest/orders/630/cancel"))
    assert sent == {"statusId": 8, "message": "Buyer cancelled"}


@pytest.mark.parametrize("mode", MODES)
def test_cancel_is_not_retried_after_an_ambiguous_failure(mode: str, spec_checked: Any) -> None:
    fake = FakePlenty().on("PUT", "/rest/orders/630/cancel", httpx.Response(500))
    with pytest.raises(InternalServerError):
        call(mode, spec_checked("plenty", fake), "cancel_order", 630)
    assert len(fake.calls("PUT", "/rest/orders/630/cancel")) == 1


@pytest.mark.parametrize("mode", MODES)
def test_status_history_of_one_order(mode: str, spec_checked: Any) -> None:
    entries = [
        {"id": 1, "orderId": 630, "statusId": 3, "createdAt": "2025-03-03T10:19:37+01:00",
         "userId": 3, "procedureText": ""},
        {"id": 2, "orderId": 630, "statusId": 5.1, "createdAt": "2025-03-03T11:00:00+01:00",
         "userId": 3, "procedureText": "Event procedure"},
    ]  # fmt: skip
    fake = FakePlenty().on("GET", "/rest/orders/630/status-history", entries)
    history = call(mode, spec_checked("plenty", fake), "order_status_history", 630)
    assert [e.status_id for e in history] == [Decimal(3), Decimal("5.1")]


@pytest.mark.parametrize("mode", MODES)
def test_system_wide_status_history_pages_with_undeclared_params(
    mode: str, spec_checked: Any
) -> None:
    entry = {"id": 5, "orderId": 630, "statusId": 7, "createdAt": "2025-03-03T12:00:00+01:00"}
    fake = FakePlenty().on("GET", "/rest/orders/status-history", page([entry]))
    since = datetime(2025, 3, 3, 0, 0, tzinfo=timezone.utc)
    found = call(mode, spec_checked("plenty", fake), "iter_status_history", since, status=7)
    assert [e.id for e in found] == [5]
    # Deviation plenty-status-history-paging: page and itemsPerPage are sent though undeclared.
    assert query(fake.only("GET", "/rest/orders/status-history")) == {
        "statusId": "7",
        "createdAtFrom": "2025-03-03T00:00:00+00:00",
        "page": "1",
        "itemsPerPage": "250",
    }


# --- referrers and property types --------------------------------------------------------

REFERRERS = [
    {"id": 0, "backendName": "Manual", "name": "Manual", "isEditable": False, "origin": "plenty"},
    {"id": 4.11, "backendName": "Amazon PL", "name": "Amazon", "isEditable": False},
    {"id": 104, "backendName": "Allegro", "name": "Allegro", "isEditable": False,
     "origin": "allegro_plenty", "isFilterable": True, "orderOwnerId": 0, "showInLeads": False},
]  # fmt: skip


@pytest.mark.parametrize("mode", MODES)
def test_find_referrers_by_exact_name(mode: str, spec_checked: Any) -> None:
    fake = FakePlenty().on("GET", "/rest/orders/referrers", REFERRERS)
    found = call(mode, spec_checked("plenty", fake), "find_referrers", "Allegro")
    assert [r.id for r in found] == [Decimal(104)]
    assert call(mode, spec_checked("plenty", fake), "find_referrers", "allegro") == []


@pytest.mark.parametrize("mode", MODES)
def test_referrers_are_cached(mode: str, spec_checked: Any) -> None:
    fake = FakePlenty().on("GET", "/rest/orders/referrers", REFERRERS)

    def twice(client: Any) -> Any:
        return client.list_referrers(), client.list_referrers()

    _run_on_client(mode, spec_checked("plenty", fake), twice)
    assert len(fake.calls("GET", "/rest/orders/referrers")) == 1


def _run_on_client(mode: str, transport: Any, use: Any) -> Any:
    """Run ``use(client)`` (a coroutine function for async) on one client."""
    import asyncio

    from allegro_plenty.plenty import AsyncPlentyClient, PlentyClient

    from .plenty_fakes import client_kwargs
    from .specs import PLENTY_HOST

    if mode == "sync":
        with PlentyClient(PLENTY_HOST, transport=transport, **client_kwargs()) as client:
            return use(client)

    async def run() -> Any:
        async with AsyncPlentyClient(PLENTY_HOST, transport=transport, **client_kwargs()) as c:
            result = use(c)
            if isinstance(result, tuple):
                return tuple([await r for r in result])
            return await result

    return asyncio.run(run())


@pytest.mark.parametrize("mode", MODES)
def test_create_main_referrer_posts_json_without_parent(mode: str, spec_checked: Any) -> None:
    created = {"id": 104, "backendName": "Allegro", "name": "Allegro", "isEditable": False,
               "isFilterable": True, "origin": "allegro_plenty"}  # fmt: skip
    fake = FakePlenty().on("POST", "/rest/orders/referrers", created)
    referrer = call(
        mode, spec_checked("plenty", fake), "create_referrer", m.NewReferrer("Allegro", "Allegro")
    )
    assert referrer.id == Decimal(104)
    # Deviations plenty-referrer-create-without-parent and -data-body: no parent
    # segment, no "data" query parameter, the attributes as JSON.
    sent = fake.only("POST", "/rest/orders/referrers")
    assert sent.url.query == b""
    assert sent.headers["content-type"] == "application/json"
    assert body(sent) == {
        "backendName": "Allegro",
        "name": "Allegro",
        "origin": "allegro_plenty",
        "isEditable": False,
        "isFilterable": True,
    }


@pytest.mark.parametrize("mode", MODES)
def test_create_sub_referrer_under_a_parent(mode: str, spec_checked: Any) -> None:
    created = {"id": 104.01, "backendName": "Allegro shop-a", "name": "Allegro"}
    fake = FakePlenty().on("POST", "/rest/orders/referrers/104", created)
    referrer = call(
        mode,
        spec_checked("plenty", fake),
        "create_referrer",
        m.NewReferrer("Allegro shop-a", "Allegro"),
        parent_id=104,
    )
    assert referrer.id == Decimal("104.01")
    sent = fake.only("POST", "/rest/orders/referrers/104")
    assert sent.url.query == b""
    assert body(sent)["backendName"] == "Allegro shop-a"


@pytest.mark.parametrize("mode", MODES)
def test_create_referrer_drops_the_cached_list(mode: str, spec_checked: Any) -> None:
    created = {"id": 105, "backendName": "New", "name": "New"}
    fake = (
        FakePlenty()
        .on("GET", "/rest/orders/referrers", REFERRERS[:1], [*REFERRERS[:1], created])
        .on("POST", "/rest/orders/referrers", created)
    )

    def flow(client: Any) -> Any:
        return (
            client.find_referrers("New"),
            client.create_referrer(m.NewReferrer("New", "New")),
            client.find_referrers("New"),
        )

    before, _, after = _run_on_client(mode, spec_checked("plenty", fake), flow)
    assert before == []
    assert [r.id for r in after] == [Decimal(105)]


@pytest.mark.parametrize("mode", MODES)
def test_order_property_types(mode: str, spec_checked: Any) -> None:
    types = [
        {
            "id": 7,
            "cast": "string",
            "isErasable": False,
            "position": 0,
            "names": [{"id": 1, "typeId": 7, "lang": "en", "name": "External order ID"}],
        }
    ]
    fake = FakePlenty().on("GET", "/rest/orders/properties/types", types)
    found = call(mode, spec_checked("plenty", fake), "order_property_types")
    assert found[0].cast == "string"
    assert found[0].names[0].name == "External order ID"


# --- contacts and addresses --------------------------------------------------------------

BUYER_ID = "8J3Xh2kCNpXL1F5nZ6Yq"


@pytest.mark.parametrize("mode", MODES)
def test_find_contacts_by_external_id_sends_a_string(mode: str, spec_checked: Any) -> None:
    contacts = [
        {"id": 1, "externalId": BUYER_ID, "typeId": 1, "lang": "pl", "referrerId": 104.01},
        {"id": 2, "externalId": BUYER_ID + "x", "typeId": 1},
    ]
    fake = FakePlenty().on("GET", "/rest/accounts/contacts", page(contacts))
    found = call(mode, spec_checked("plenty", fake), "find_contacts_by_external_id", BUYER_ID)
    assert [c.id for c in found] == [1]
    # Deviation plenty-contact-external-id-string.
    params = query(fake.only("GET", "/rest/accounts/contacts"))
    assert params["externalId"] == BUYER_ID


@pytest.mark.parametrize("mode", MODES)
def test_create_guest_contact(mode: str, spec_checked: Any) -> None:
    fake = FakePlenty().on(
        "POST",
        "/rest/accounts/contacts",
        {"id": 11, "externalId": BUYER_ID, "typeId": 1, "lang": "pl"},
    )
    new = m.NewContact(
        type_id=1,
        referrer_id=Decimal("104.01"),
        lang="pl",
        external_id=BUYER_ID,
        first_name="Jan",
        last_name="Kowalski",
        options=(
            m.ContactOption.email("abc+123@allegromail.pl"),
            m.ContactOption.phone("+48600000000"),
            m.ContactOption.guest(),
        ),
    )
    contact = call(mode, spec_checked("plenty", fake), "create_contact", new)
    assert contact.id == 11
    sent = body(fake.only("POST", "/rest/accounts/contacts"))
    assert sent["externalId"] == BUYER_ID
    assert sent["options"] == [
        {"typeId": 2, "subTypeId": 4, "value": "abc+123@allegromail.pl", "priority": 0},
        {"typeId": 1, "subTypeId": 4, "value": "+48600000000", "priority": 0},
        {"typeId": 10, "subTypeId": 11, "value": "1", "priority": 0},
    ]


@pytest.mark.parametrize("mode", MODES)
def test_create_contact_is_not_retried_after_a_timeout(mode: str, spec_checked: Any) -> None:
    from allegro_plenty.errors import APITimeoutError

    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    fake = FakePlenty().on("POST", "/rest/accounts/contacts", timeout)
    new = m.NewContact(type_id=1, referrer_id=Decimal(1), lang="pl")
    with pytest.raises(APITimeoutError) as caught:
        call(mode, spec_checked("plenty", fake), "create_contact", new)
    assert caught.value.request_sent
    assert len(fake.calls("POST", "/rest/accounts/contacts")) == 1


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("type_id", [1, 2])
def test_create_address(mode: str, type_id: int, spec_checked: Any) -> None:
    fake = FakePlenty().on(
        "POST",
        "/rest/accounts/contacts/11/addresses",
        {"id": 40, "name2": "Jan", "name3": "Kowalski", "address1": "Prosta", "address2": "1",
         "postalCode": "00-001", "town": "Warszawa", "countryId": 23},
    )  # fmt: skip
    new = m.NewAddress(
        town="Warszawa",
        postal_code="00-001",
        country_id=23,
        address1="Prosta",
        address2="1",
        name2="Jan",
        name3="Kowalski",
        options=(
            m.AddressOption(m.AddressOptionType.PHONE, "+48600000000"),
            m.AddressOption(m.AddressOptionType.EMAIL, "abc@allegromail.pl"),
            m.AddressOption(m.AddressOptionType.VAT_NUMBER, "PL1234567890"),
        ),
    )
    address = call(mode, spec_checked("plenty", fake), "create_address", 11, new, type_id=type_id)
    assert address.id == 40
    sent = fake.only("POST", "/rest/accounts/contacts/11/addresses")
    assert query(sent) == {"typeId": str(type_id)}
    assert body(sent)["options"][0] == {"typeId": 4, "value": "+48600000000"}


def test_create_address_refuses_other_types() -> None:
    from allegro_plenty.plenty import endpoints as ep

    new = m.NewAddress(town="W", postal_code="1", country_id=23, address1="x")
    with pytest.raises(ValueError, match="billing"):
        ep.create_address(11, new, type_id=3)


# --- payments ------------------------------------------------------------------------------

PAYMENT_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"


def payment_json(payment_id: int = 77, *, deleted: int = 0, **extra: Any) -> Any:
    data = {"id": payment_id, "amount": 153.99, "exchangeRatio": 1, "mopId": 6000,
            "currency": "PLN", "type": "credit", "status": 2, "transactionType": 2,
            "origin": 6, "deleted": deleted, "unaccountable": 0, "isSystemCurrency": False,
            "receivedAt": "2025-03-03T10:19:37+01:00"}  # fmt: skip
    data.update(extra)
    return data


@pytest.mark.parametrize("mode", MODES)
def test_create_payment_sends_every_required_field(mode: str, spec_checked: Any) -> None:
    fake = FakePlenty().on("POST", "/rest/payments", payment_json())
    new = m.NewPayment(
        amount=Decimal("153.99"),
        exchange_ratio=Decimal(1),
        mop_id=6000,
        currency="PLN",
        is_system_currency=False,
        received_at=datetime(2025, 3, 3, 10, 19, 37, tzinfo=WARSAW),
        properties=(m.PaymentProperty(m.PaymentPropertyType.TRANSACTION_ID, PAYMENT_ID),),
    )
    payment = call(mode, spec_checked("plenty", fake), "create_payment", new)
    assert payment.amount == Decimal("153.99")
    sent = body(fake.only("POST", "/rest/payments"))
    assert {k: sent[k] for k in ("amount", "exchangeRatio", "mopId", "currency", "type",
                                  "status", "transactionType")} == {
        "amount": 153.99, "exchangeRatio": 1, "mopId": 6000, "currency": "PLN",
        "type": "credit", "status": 2, "transactionType": 2,
    }  # fmt: skip
    assert sent["isSystemCurrency"] is False
    assert sent["updateOrderPaymentStatus"] is True
    assert sent["properties"] == [{"typeId": 1, "value": PAYMENT_ID}]


@pytest.mark.parametrize("mode", MODES)
def test_create_payment_is_retried_only_when_never_sent(mode: str, spec_checked: Any) -> None:
    attempts = []

    def flaky(request: httpx.Request) -> httpx.Response:
        attempts.append(request)
        if len(attempts) == 1:
            raise httpx.ConnectError("refused", request=request)
        if len(attempts) == 2:
            return httpx.Response(500)
        return httpx.Response(200, json=payment_json())

    fake = FakePlenty().on("POST", "/rest/payments", flaky)
    new = m.NewPayment(amount=Decimal(1), exchange_ratio=Decimal(1), mop_id=1, currency="PLN")
    with pytest.raises(InternalServerError):
        call(mode, spec_checked("plenty", fake), "create_payment", new)
    assert len(attempts) == 2  # the connect error was retried, the 500 was not


@pytest.mark.parametrize("mode", MODES)
def test_find_payments_by_transaction_id_sends_the_uuid(mode: str, spec_checked: Any) -> None:
    route = f"/rest/payments/property/1/{PAYMENT_ID}"
    reply = [
        payment_json(1),
        payment_json(2, deleted=1),
        payment_json(3, properties=[{"typeId": 1, "value": PAYMENT_ID + "0"}]),
        payment_json(4, properties=[{"id": 9, "paymentId": 4, "typeId": 1, "value": PAYMENT_ID}]),
    ]
    fake = FakePlenty().on("GET", route, reply)
    found = call(mode, spec_checked("plenty", fake), "find_payments_by_transaction_id", PAYMENT_ID)
    assert [p.id for p in found] == [1, 4]
    # Deviation plenty-payment-property-value-string: the UUID goes into the path as is.
    assert fake.only("GET", route).url.raw_path == route.encode()


def test_payment_property_values_are_quoted_into_one_segment() -> None:
    from allegro_plenty.plenty import endpoints as ep

    op = ep.payments_by_property(1, "a/b c")
    assert op.path == "/rest/payments/property/1/a%2Fb%20c"


@pytest.mark.parametrize("mode", MODES)
def test_order_payments_and_link(mode: str, spec_checked: Any) -> None:
    fake = (
        FakePlenty()
        .on("GET", "/rest/payments/orders/630", [payment_json()])
        .on("POST", "/rest/payment/77/order/630",
            {"id": 5, "paymentId": 77, "orderId": 630, "assignedAt": "2025-03-03T10:20:00+01:00"})
    )  # fmt: skip
    assert [p.id for p in call(mode, spec_checked("plenty", fake), "order_payments", 630)] == [77]
    relation = call(mode, spec_checked("plenty", fake), "link_payment_to_order", 77, 630)
    assert (relation.payment_id, relation.order_id) == (77, 630)
    assert fake.only("POST", "/rest/payment/77/order/630").content == b""


@pytest.mark.parametrize("mode", MODES)
def test_payment_methods_are_cached(mode: str, spec_checked: Any) -> None:
    methods = [{"id": 6000, "pluginKey": "allegro", "paymentKey": "ALLEGRO", "name": "Allegro"}]
    fake = FakePlenty().on("GET", "/rest/payments/methods", methods)

    def twice(client: Any) -> Any:
        return client.payment_methods(), client.payment_methods()

    first, second = _run_on_client(mode, spec_checked("plenty", fake), twice)
    assert first == second
    assert first[0].id == 6000
    assert len(fake.calls("GET", "/rest/payments/methods")) == 1


# --- variations ----------------------------------------------------------------------------


def variation_json(variation_id: int, number: str, **extra: Any) -> Any:
    return {"id": variation_id, "itemId": 10060, "number": number, "isMain": True,
            "isActive": True, **extra}  # fmt: skip


@pytest.mark.parametrize("mode", MODES)
def test_find_variation_by_number_is_exact(mode: str, spec_checked: Any) -> None:
    fake = FakePlenty().on(
        "GET", "/rest/items/variations",
        page([variation_json(1, "E-737739"), variation_json(2, "E-737739-B")]),
    )  # fmt: skip
    found = call(mode, spec_checked("plenty", fake), "find_variations_by_number", "E-737739")
    assert [v.id for v in found] == [1]
    params = query(fake.only("GET", "/rest/items/variations"))
    assert params["numberExact"] == "E-737739"


@pytest.mark.parametrize("mode", MODES)
def test_find_variation_by_barcode(mode: str, spec_checked: Any) -> None:
    barcodes = [{"code": "5901234123457", "barcodeId": 1, "variationId": 1}]
    fake = FakePlenty().on(
        "GET", "/rest/items/variations",
        page([variation_json(1, "A", variationBarcodes=barcodes),
              variation_json(2, "B", variationBarcodes=[])]),
    )  # fmt: skip
    found = call(mode, spec_checked("plenty", fake), "find_variations_by_barcode", "5901234123457")
    assert [v.id for v in found] == [1]
    params = query(fake.only("GET", "/rest/items/variations"))
    assert (params["barcode"], params["with"]) == ("5901234123457", "variationBarcodes")


@pytest.mark.parametrize("mode", MODES)
def test_find_variation_by_market_sku(mode: str, spec_checked: Any) -> None:
    skus_1 = [{"sku": "OFFER-1", "marketId": 104.01, "accountId": 0, "variationId": 1}]
    skus_2 = [{"sku": "OFFER-1", "marketId": 4.11, "accountId": 0, "variationId": 2}]
    fake = FakePlenty().on(
        "GET", "/rest/items/variations",
        page([variation_json(1, "A", variationSkus=skus_1),
              variation_json(2, "B", variationSkus=skus_2)]),
    )  # fmt: skip
    found = call(
        mode,
        spec_checked("plenty", fake),
        "find_variations_by_sku",
        "OFFER-1",
        referrer_id=Decimal("104.01"),
    )
    assert [v.id for v in found] == [1]
    params = query(fake.only("GET", "/rest/items/variations"))
    assert (params["sku"], params["with"]) == ("OFFER-1:104.01", "variationSkus")


# --- shipping --------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_package_numbers(mode: str, spec_checked: Any) -> None:
    fake = FakePlenty().on(
        "GET", "/rest/orders/630/packagenumbers", ["J92356732176", "003478943219912"]
    )
    numbers = call(mode, spec_checked("plenty", fake), "package_numbers", 630)
    assert numbers == ("J92356732176", "003478943219912")


@pytest.mark.parametrize("mode", MODES)
def test_shipping_packages_with_items(mode: str, spec_checked: Any) -> None:
    packages = [{"id": 9, "orderId": 630, "packageId": 6, "weight": 490,
                 "packageNumber": "8v4fnE06cki", "packageType": 4, "volume": 145.97,
                 "items": [{"id": 1, "packageId": 9, "itemId": 10060, "variationId": 1012,
                            "itemQuantity": 2}]}]  # fmt: skip
    fake = FakePlenty().on("GET", "/rest/orders/630/shipping/packages", packages)
    found = call(mode, spec_checked("plenty", fake), "shipping_packages", 630)
    assert found[0].items is not None
    assert (found[0].items[0].variation_id, found[0].items[0].item_quantity) == (1012, 2)
    assert query(fake.only("GET", "/rest/orders/630/shipping/packages")) == {"with": "items"}


@pytest.mark.parametrize("mode", MODES)
def test_shipping_profiles_with_parcel_service_names(mode: str, spec_checked: Any) -> None:
    presets = [{"id": 6, "parcelServiceId": 101, "backendName": "InPost Paczkomat",
                "shippingGroup": "InPost", "supportedReferrer": ["-1"],
                "parcelServiceNames": [{"id": 1, "parcelServiceId": 101, "lang": "de",
                                        "name": "InPost"},
                                       {"id": 2, "parcelServiceId": 101, "lang": "pl",
                                        "name": "InPost PL"}],
                "parcelServicePresetNames": [{"lang": "de", "name": "Paczkomat"}]}]  # fmt: skip
    fake = FakePlenty().on("GET", "/rest/orders/shipping/presets", presets)
    found = call(mode, spec_checked("plenty", fake), "shipping_profiles")
    assert found[0].parcel_service_name("pl") == "InPost PL"
    assert found[0].parcel_service_name("en") == "InPost"  # any language as a fallback
    assert query(fake.only("GET", "/rest/orders/shipping/presets")) == {
        "with": "parcelServiceNames,parcelServicePresetNames"
    }


# --- comments -------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_plain_text_comment_is_escaped(mode: str, spec_checked: Any) -> None:
    stored = {"id": 3, "referenceType": "order", "referenceValue": 630, "userId": None,
              "text": "x", "isVisibleForContact": False,
              "createdAt": "2025-03-03T10:20:00+01:00"}  # fmt: skip
    fake = FakePlenty().on("POST", "/rest/comments", stored)
    note = 'Buyer: <script>alert("x")</script> & co\nsecond line'
    call(mode, spec_checked("plenty", fake), "create_comment", m.NewComment.plain(630, note))
    assert body(fake.only("POST", "/rest/comments")) == {
        "referenceType": "order",
        "referenceValue": 630,
        "text": "Buyer: &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co<br>second line",
        "isVisibleForContact": False,
    }


@pytest.mark.parametrize("mode", MODES)
def test_order_comments(mode: str, spec_checked: Any) -> None:
    stored = [{"id": 3, "referenceType": "order", "referenceValue": 630, "text": "<p>Hi</p>"}]
    fake = FakePlenty().on("GET", "/rest/comments/order/630", stored)
    found = call(mode, spec_checked("plenty", fake), "order_comments", 630)
    assert found[0].text == "<p>Hi</p>"


# --- reference data -------------------------------------------------------------------------

COUNTRIES = [
    {"id": 1, "name": "Germany", "isoCode2": "DE", "isoCode3": "DEU", "lang": "de", "active": 1},
    {"id": 23, "name": "Poland", "isoCode2": "PL", "isoCode3": "POL", "lang": "pl", "active": 1},
]


@pytest.mark.parametrize("mode", MODES)
def test_country_id_from_iso_code_is_cached(mode: str, spec_checked: Any) -> None:
    fake = FakePlenty().on("GET", "/rest/orders/shipping/countries", COUNTRIES)

    def lookups(client: Any) -> Any:
        return client.country_id("PL"), client.country_id("pol"), client.country_id("DE")

    assert _run_on_client(mode, spec_checked("plenty", fake), lookups) == (23, 23, 1)
    assert len(fake.calls("GET", "/rest/orders/shipping/countries")) == 1


@pytest.mark.parametrize("mode", MODES)
def test_unknown_country_is_a_typed_error(mode: str, spec_checked: Any) -> None:
    fake = FakePlenty().on("GET", "/rest/orders/shipping/countries", COUNTRIES)
    with pytest.raises(ReferenceDataError, match="'XX'"):
        call(mode, spec_checked("plenty", fake), "country_id", "XX")


@pytest.mark.parametrize("mode", MODES)
def test_vat_configurations_of_a_country(mode: str, spec_checked: Any) -> None:
    def vat(vat_id: int, country: int) -> Any:
        return {"id": vat_id, "countryId": country, "locationId": 1, "isStandard": True,
                "startedAt": "2011-01-01T00:00:00+01:00",
                "vatRates": [{"id": 0, "vatRate": 23, "name": "A"},
                             {"id": 1, "vatRate": 8, "name": "B"}]}  # fmt: skip

    pages = [page([vat(1, 1)], number=1, last=False), page([vat(7, 23)], number=2)]

    def reply(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=pages[int(request.url.params["page"]) - 1])

    fake = FakePlenty().on("GET", "/rest/vat", reply)
    found = call(mode, spec_checked("plenty", fake), "vat_configurations", country_id=23)
    assert [v.id for v in found] == [7]
    assert found[0].rate(1) == Decimal(8)
    assert len(fake.calls("GET", "/rest/vat")) == 2


@pytest.mark.parametrize("mode", MODES)
def test_standard_vat_configuration(mode: str, spec_checked: Any) -> None:
    fake = FakePlenty().on("GET", "/rest/vat/standard", {"id": 1, "countryId": 1, "vatRates": []})
    assert call(mode, spec_checked("plenty", fake), "standard_vat_configuration", 1000).id == 1
    assert query(fake.only("GET", "/rest/vat/standard")) == {"plentyId": "1000"}


CURRENCIES = [
    {"currency": "EUR", "exchangeRate": 1, "isActive": True, "isErasable": False},
    {"currency": "PLN", "exchangeRate": 4.2675, "isActive": True, "isErasable": True},
]


@pytest.mark.parametrize("mode", MODES)
def test_system_currency_is_inferred_or_configured(mode: str, spec_checked: Any) -> None:
    fake = FakePlenty().on("GET", "/rest/orders/currencies", CURRENCIES)
    assert call(mode, spec_checked("plenty", fake), "system_currency") == "EUR"
    configured = call(
        mode,
        spec_checked("plenty", fake),
        "system_currency",
        client_options={"system_currency": "CHF"},
    )
    assert configured == "CHF"
    assert len(fake.calls("GET", "/rest/orders/currencies")) == 1


@pytest.mark.parametrize("mode", MODES)
def test_system_currency_ambiguity_is_an_error(mode: str, spec_checked: Any) -> None:
    both = [{"currency": "EUR", "exchangeRate": 1}, {"currency": "XYZ", "exchangeRate": 1}]
    fake = FakePlenty().on("GET", "/rest/orders/currencies", both)
    with pytest.raises(ReferenceDataError, match="system_currency="):
        call(mode, spec_checked("plenty", fake), "system_currency")


@pytest.mark.parametrize("mode", MODES)
def test_exchange_rate_uses_the_iso_code(mode: str, spec_checked: Any) -> None:
    fake = FakePlenty().on(
        "GET", "/rest/orders/currencies/PLN/exchangeRate", {"exchangeRate": 4.2675}
    )
    assert call(mode, spec_checked("plenty", fake), "exchange_rate", "pln") == Decimal("4.2675")
    # Deviation plenty-currency-iso-string: the code, not a number, in the path.
    assert fake.only("GET", "/rest/orders/currencies/PLN/exchangeRate").url.query == b""


# --- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_validation_errors_become_error_items(mode: str, spec_checked: Any) -> None:
    refusal = {"error": {"message": "validation error found"},
               "validation_errors": {"typeId": ["typeId must be of type integer."]}}  # fmt: skip
    fake = FakePlenty().on("POST", "/rest/orders", httpx.Response(422, json=refusal))
    with pytest.raises(UnprocessableEntityError) as caught:
        call(mode, spec_checked("plenty", fake), "create_order", _minimal_order())
    assert [str(e) for e in caught.value.errors] == [
        "validation error found",
        "validation: typeId must be of type integer. (at typeId)",
    ]


@pytest.mark.parametrize("mode", MODES)
def test_plain_message_errors(mode: str, spec_checked: Any) -> None:
    fake = FakePlenty().on("GET", "/rest/orders/630", httpx.Response(400, json={"message": "no"}))
    with pytest.raises(BadRequestError, match="no") as caught:
        call(mode, spec_checked("plenty", fake), "get_order", 630)
    assert caught.value.service == "plenty"
    assert caught.value.operation == "get_order"


@pytest.mark.parametrize("mode", MODES)
def test_strict_mode_names_the_offending_field(mode: str, spec_checked: Any) -> None:
    fake = FakePlenty().on("GET", "/rest/orders/630", order_json(statusId="soon"))
    with pytest.raises(ResponseValidationError) as caught:
        call(mode, spec_checked("plenty", fake), "get_order", 630)
    assert caught.value.field_path == "statusId"


def test_invalid_ids_are_refused_before_sending() -> None:
    from allegro_plenty.plenty import endpoints as ep

    for bad in (0, -1, True):
        with pytest.raises(ValueError, match="order_id"):
            ep.get_order(bad)
    with pytest.raises(ValueError, match="items_per_page"):
        ep.list_orders(items_per_page=251)
    with pytest.raises(ValueError, match="ISO 4217"):
        ep.exchange_rate("PL")
