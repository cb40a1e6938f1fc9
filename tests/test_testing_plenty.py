"""FakePlenty driven through the real PlentyClient, over the transport and over loopback HTTP."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import attrs
import httpx
import pytest

from allegro_plenty.errors import (
    BadRequestError,
    NotFoundError,
    TooManySessionsError,
    UnprocessableEntityError,
)
from allegro_plenty.plenty.models import (
    AddressOption,
    AddressRelation,
    ContactOption,
    NewAddress,
    NewComment,
    NewContact,
    NewOrder,
    NewOrderItem,
    NewPayment,
    NewReferrer,
    OrderItemAmount,
    OrderItemProperty,
    OrderProperty,
    OrderPropertyType,
    OrderRelation,
    PaymentProperty,
)
from allegro_plenty.testing import FakeClock, FakePlenty
from allegro_plenty.tokens import MemoryTokenStore

from .fakes_support import (
    MODES,
    Checked,
    async_plenty_client,
    plenty_client,
    reach,
    reach_async,
)
from .specs import PLENTY_HOST


@pytest.fixture
def plenty(checked: Checked, fake_clock: FakeClock) -> FakePlenty:
    fake: FakePlenty = checked(FakePlenty(clock=fake_clock))
    return fake


def _order(
    plenty: FakePlenty,
    client: Any,
    external_id: str,
    *,
    currency: str = "PLN",
    country: str = "PL",
) -> NewOrder:
    """A realistic order body: contact, address, one variation and shipping, via the client."""
    referrer = client.find_referrers("Allegro") or [
        client.create_referrer(NewReferrer(backend_name="Allegro", name="Allegro"))
    ]
    contact = client.create_contact(
        NewContact(
            type_id=1,
            referrer_id=referrer[0].id,
            lang="pl",
            external_id=f"buyer-{external_id}",
            options=(ContactOption.email(f"{external_id}@allegromail.pl"), ContactOption.guest()),
        )
    )
    address = client.create_address(
        contact.id,
        NewAddress(
            town="Kraków",
            postal_code="31-042",
            country_id=client.country_id(country),
            address1="ul. Długa",
            address2="5",
            name2="Zofia",
            name3="Wójcik",
            options=(AddressOption(4, "+48 600 100 200"),),
        ),
        type_id=1,
    )
    variation = plenty.add_variation(number=f"SKU-{external_id}", name="Kubek")
    vat_id = client.vat_configurations(country_id=client.country_id(country))[0].id
    return NewOrder(
        type_id=1,
        plenty_id=plenty.plenty_id,
        status_id=Decimal(3),
        referrer_id=referrer[0].id,
        order_items=(
            NewOrderItem(
                type_id=1,
                quantity=Decimal(2),
                order_item_name="Kubek ceramiczny",
                amounts=(OrderItemAmount(currency, Decimal("24.99")),),
                item_variation_id=variation,
                referrer_id=referrer[0].id,
                country_vat_id=vat_id,
                vat_field=0,
            ),
            NewOrderItem(
                type_id=6,
                quantity=Decimal(1),
                order_item_name="Shipping costs",
                amounts=(OrderItemAmount(currency, Decimal("12.99")),),
                country_vat_id=vat_id,
                vat_field=0,
            ),
        ),
        properties=(OrderProperty(7, external_id), OrderProperty(6, "pl")),
        relations=(OrderRelation("contact", contact.id, "receiver"),),
        address_relations=(AddressRelation(1, address.id), AddressRelation(2, address.id)),
    )


# --- login and sessions --------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", ["both", "snake", "camel"])
def test_login_answers_in_each_spelling_and_the_client_reads_it(
    checked: Checked, fake_clock: FakeClock, spelling: str
) -> None:
    plenty: FakePlenty = checked(FakePlenty(clock=fake_clock, token_keys=spelling))
    with plenty_client(plenty, fake_clock, {"transport": plenty.transport()}) as client:
        assert client.country_id("PL") == 23
    body = plenty.calls("POST /rest/login")[0].response
    assert body is not None
    keys = set(body.json())
    assert ("access_token" in keys) == (spelling in ("both", "snake"))
    assert ("accessToken" in keys) == (spelling in ("both", "camel"))
    assert plenty.login_count() == 1


@pytest.mark.parametrize("mode", MODES)
def test_session_cap_refuses_the_fourth_login_but_a_shared_store_logs_in_once(
    plenty: FakePlenty, fake_clock: FakeClock, mode: str
) -> None:
    with reach(plenty, mode) as via:
        shared = MemoryTokenStore()
        for _ in range(5):
            with plenty_client(plenty, fake_clock, via, token_store=shared) as client:
                client.countries()
        assert plenty.login_count() == 1

        # Negative control: workers with a store each log in each; the 4th is refused.
        for _ in range(2):
            with plenty_client(plenty, fake_clock, via) as client:
                client.countries()
        assert plenty.active_sessions() == 3
        with plenty_client(plenty, fake_clock, via) as client, pytest.raises(TooManySessionsError):
            client.countries()
    assert plenty.login_count() == 3


def test_expired_token_is_refreshed_and_a_dead_refresh_falls_back_to_login(
    plenty: FakePlenty, fake_clock: FakeClock
) -> None:
    with plenty_client(plenty, fake_clock, {"transport": plenty.transport()}) as client:
        client.currencies()
        fake_clock.advance(24 * 3600 + 1)
        client.payment_methods()
        assert len(plenty.calls("POST /rest/login/refresh")) == 1
        assert plenty.login_count() == 1
        plenty.end_sessions()
        fake_clock.advance(1)
        client.shipping_profiles()
    assert plenty.login_count() == 2
    assert plenty.active_sessions() == 1


# --- orders --------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_order_round_trip_with_computed_amounts(
    plenty: FakePlenty, fake_clock: FakeClock, mode: str
) -> None:
    with reach(plenty, mode) as via, plenty_client(plenty, fake_clock, via) as client:
        created = client.create_order(_order(plenty, client, "form-1"))
        read = client.get_order(created.id)
    assert read.external_order_id == "form-1"
    assert read.property_value(6) == "pl"
    assert read.contact_id is not None
    billing = read.address(1)
    assert billing is not None
    assert billing.town == "Kraków"
    (amount,) = read.amounts or ()
    # 2 x 24.99 + 12.99 at 23 %: gross 62.97, net rounded per line.
    assert amount.gross_total == Decimal("62.97")
    assert amount.net_total == Decimal("40.63") + Decimal("10.56")
    assert amount.vat_total == Decimal("62.97") - Decimal("51.19")
    assert amount.is_system_currency
    assert plenty.orders_with_external_id("form-1") == [created.id]


def test_foreign_currency_order_gets_a_system_currency_amount_too(
    plenty: FakePlenty, fake_clock: FakeClock
) -> None:
    with plenty_client(plenty, fake_clock, {"transport": plenty.transport()}) as client:
        order = client.create_order(_order(plenty, client, "cz-1", currency="CZK", country="CZ"))
        rate = client.exchange_rate("CZK")
        assert client.system_currency() == "PLN"
    czk, pln = order.amounts or ()
    assert (czk.currency, czk.is_system_currency, czk.exchange_rate) == ("CZK", False, rate)
    assert (pln.currency, pln.is_system_currency) == ("PLN", True)
    assert czk.gross_total is not None
    assert pln.gross_total == (czk.gross_total / rate).quantize(Decimal("0.01"))


def test_discounts_and_surcharges_are_computed_the_plenty_way(
    plenty: FakePlenty, fake_clock: FakeClock
) -> None:
    # The client sends only priceOriginalGross; the fake's formula is checked raw.
    with plenty_client(plenty, fake_clock, {"transport": plenty.transport()}) as client:
        client.countries()
    token = plenty.calls("POST /rest/login")[0].response.json()["access_token"]  # type: ignore[union-attr]
    vat_id = plenty.vat_configuration_id("PL")
    items = [
        {"surcharge": "5", "discount": "10", "isPercentage": False},
        {"surcharge": "5", "discount": "10", "isPercentage": True},
    ]
    body = {
        "typeId": 1,
        "plentyId": plenty.plenty_id,
        "orderItems": [
            {
                "typeId": 9,
                "quantity": 1,
                "orderItemName": "x",
                "countryVatId": vat_id,
                "amounts": [{"currency": "PLN", "priceOriginalGross": 100, **extra}],
            }
            for extra in items
        ],
    }
    with httpx.Client(transport=plenty.transport(), base_url=PLENTY_HOST) as http:
        answer = http.post("/rest/orders", json=body, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    gross = [Decimal(str(i["amounts"][0]["priceGross"])) for i in answer.json()["orderItems"]]
    assert gross == [Decimal("95.00"), Decimal("94.50")]


def test_plenty_has_no_idempotency_key_so_a_resent_order_is_a_second_order(
    plenty: FakePlenty, fake_clock: FakeClock
) -> None:
    with plenty_client(plenty, fake_clock, {"transport": plenty.transport()}) as client:
        order = _order(plenty, client, "form-dup")
        first = client.create_order(order)
        second = client.create_order(order)
        found = client.find_orders_by_external_id("form-dup")
    assert first.id != second.id
    assert plenty.orders_with_external_id("form-dup") == [first.id, second.id]
    assert [o.id for o in found] == [first.id, second.id]


def test_loose_external_id_search_is_filtered_by_the_client(
    checked: Checked, fake_clock: FakeClock
) -> None:
    plenty: FakePlenty = checked(FakePlenty(clock=fake_clock, external_id_match="prefix"))
    with plenty_client(plenty, fake_clock, {"transport": plenty.transport()}) as client:
        wanted = client.create_order(_order(plenty, client, "abc"))
        client.create_order(_order(plenty, client, "abc-2"))
        found = client.find_orders_by_external_id("abc")
    answered = plenty.calls("GET /rest/orders")[-1].response
    assert answered is not None
    assert answered.json()["totalsCount"] == 2  # the fake matched loosely ...
    assert [o.id for o in found] == [wanted.id]  # ... and the client kept the exact one


@pytest.mark.parametrize("mode", MODES)
def test_changed_orders_are_paged_and_the_page_size_is_capped(
    plenty: FakePlenty, fake_clock: FakeClock, mode: str
) -> None:
    with reach(plenty, mode) as via, plenty_client(plenty, fake_clock, via) as client:
        since = fake_clock.now()
        ids = [client.create_order(_order(plenty, client, f"p-{i}")).id for i in range(5)]
        fake_clock.advance(60)
        client.update_order_status(ids[0], "5.1")
        walked = [o.id for o in client.iter_changed_orders(since, page_size=2)]
        recent = [o.id for o in client.iter_changed_orders(fake_clock.now(), page_size=2)]
    assert walked == ids
    assert recent == [ids[0]]
    pages = [c for c in plenty.calls("GET /rest/orders") if ("page", "3") in c.request.query]
    assert pages
    with httpx.Client(transport=plenty.transport(), base_url=PLENTY_HOST) as http:
        token = plenty.calls("POST /rest/login")[0].response.json()["access_token"]  # type: ignore[union-attr]
        page = http.get(
            "/rest/orders",
            params={"itemsPerPage": 1000},
            headers={"Authorization": f"Bearer {token}"},
        ).json()
    assert page["itemsPerPage"] == 250


def test_status_history_and_cancel(plenty: FakePlenty, fake_clock: FakeClock) -> None:
    with plenty_client(plenty, fake_clock, {"transport": plenty.transport()}) as client:
        order = client.create_order(_order(plenty, client, "h-1"))
        start = fake_clock.now()
        fake_clock.advance(10)
        client.update_order_status(order.id, "5.1")
        client.update_order_status(order.id, "5.1")  # the same status: no new entry
        client.cancel_order(order.id, message="Buyer cancelled on Allegro")
        history = client.order_status_history(order.id)
        since = list(client.iter_status_history(start + (fake_clock.now() - start) / 2))
    assert [h.status_id for h in history] == [Decimal(3), Decimal("5.1"), Decimal(8)]
    assert [h.status_id for h in since] == [Decimal("5.1"), Decimal(8)]
    assert plenty.order(order.id)["statusName"] == "Cancelled"


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_the_update_path_reads_items_and_repoints_the_delivery_address_while_unlocked(
    plenty: FakePlenty, fake_clock: FakeClock, kind: str
) -> None:
    store = MemoryTokenStore()  # one login for every client

    def repoint(order_id: int, address_id: int) -> Any:
        if kind == "sync":
            via = {"transport": plenty.transport()}
            with plenty_client(plenty, fake_clock, via, token_store=store) as client:
                return client.set_order_address(order_id, address_id, type_id=2)

        async def run() -> Any:
            via = {"transport": plenty.async_transport()}
            async with async_plenty_client(plenty, fake_clock, via, token_store=store) as client:
                return await client.set_order_address(order_id, address_id, type_id=2)

        return asyncio.run(run())

    via = {"transport": plenty.transport()}
    with plenty_client(plenty, fake_clock, via, token_store=store) as client:
        body = _order(plenty, client, "u-1")
        line = attrs.evolve(
            body.order_items[0],
            properties=(OrderItemProperty(OrderPropertyType.EXTERNAL_ORDER_ITEM_ID, "line-1"),),
        )
        order = client.create_order(attrs.evolve(body, order_items=(line, *body.order_items[1:])))
        contact_id = client.get_order(order.id).contact_id
        assert contact_id is not None
        moved = client.create_address(
            contact_id, NewAddress("Gdańsk", "80-001", 23, "ul. Długa", "7"), type_id=2
        )
        fake_clock.advance(60)
        repointed = repoint(order.id, moved.id)
        updated_at = plenty.order(order.id)["updatedAt"]
        fake_clock.advance(60)
        repoint(order.id, moved.id)  # the same address again changes nothing
        read = client.get_order(order.id)
        plenty.lock_order(order.id)
        later = client.create_address(
            contact_id, NewAddress("Sopot", "81-701", 23, "Monte"), type_id=2
        )
        with pytest.raises(UnprocessableEntityError, match="permanentlyLocked"):
            repoint(order.id, later.id)
        locked = client.get_order(order.id)
    assert repointed.address_relations == read.address_relations
    assert plenty.order(order.id)["updatedAt"] == updated_at
    delivery, billing = read.address(2), read.address(1)
    assert (delivery and delivery.town, billing and billing.town) == ("Gdańsk", "Kraków")
    assert [r.type_id for r in read.address_relations or ()] == [1, 2]
    items = read.order_items or ()
    assert [i.property_value(OrderPropertyType.EXTERNAL_ORDER_ITEM_ID) for i in items] == [
        "line-1",
        None,
    ]
    assert (locked.lock_status, locked.is_locked) == ("permanentlyLocked", True)
    assert locked.address(2) == delivery


def test_delivery_orders_packages_and_package_items(
    plenty: FakePlenty, fake_clock: FakeClock
) -> None:
    with plenty_client(plenty, fake_clock, {"transport": plenty.transport()}) as client:
        order = client.create_order(_order(plenty, client, "d-1"))
        item = (order.order_items or ())[0]
        child = plenty.create_delivery_order(order.id, {item.id: 1})
        plenty.register_package(child, "00340434161094042557")
        children = client.delivery_orders(order.id)
        numbers = client.package_numbers(child)
        (package,) = client.shipping_packages(child)
        parent = client.get_order(order.id)
        parent_numbers = client.package_numbers(order.id)
    assert [c.id for c in children] == [child]
    assert children[0].type_id == 2
    assert numbers == ("00340434161094042557",)
    assert package.items is not None
    assert [(i.variation_id, i.item_quantity) for i in package.items] == [
        (item.item_variation_id, Decimal(1))
    ]
    assert parent.has_delivery_orders
    assert parent_numbers == ()
    # A delivery order carries the external id too: count sales orders only.
    assert plenty.orders_with_external_id("d-1") == [order.id]
    assert plenty.orders_with_external_id("d-1", order_type=None) == [order.id, child]


# --- contacts, addresses, payments ---------------------------------------------------------------


def test_contacts_by_external_id_and_addresses_reused(
    checked: Checked, fake_clock: FakeClock
) -> None:
    plenty: FakePlenty = checked(FakePlenty(clock=fake_clock, external_id_match="contains"))
    with plenty_client(plenty, fake_clock, {"transport": plenty.transport()}) as client:
        referrer = client.create_referrer(NewReferrer(backend_name="Allegro", name="Allegro"))
        made = [
            client.create_contact(NewContact(1, referrer.id, "pl", external_id=e))
            for e in ("4711", "14711")
        ]
        found = client.find_contacts_by_external_id("4711")
        address = NewAddress(town="Brno", postal_code="602 00", country_id=6, address1="Údolní 53")
        first = client.create_address(made[0].id, address, type_id=1)
        again = client.create_address(made[0].id, address, type_id=2)
        other = client.create_address(
            made[0].id, NewAddress("Brno", "602 00", 6, "Jiná 1"), type_id=2
        )
    assert [c.id for c in found] == [made[0].id]
    assert first.id == again.id != other.id
    assert plenty.contacts_with_external_id("4711") == [made[0].id]


@pytest.mark.parametrize("mode", MODES)
def test_payments_by_transaction_id_link_and_payment_status(
    plenty: FakePlenty, fake_clock: FakeClock, mode: str
) -> None:
    with reach(plenty, mode) as via, plenty_client(plenty, fake_clock, via) as client:
        order = client.create_order(_order(plenty, client, "pay-1"))
        payment = NewPayment(
            amount=Decimal("62.97"),
            exchange_ratio=Decimal(1),
            mop_id=6000,
            currency="PLN",
            properties=(PaymentProperty(1, "0f8c2a4e-allegro-payment"), PaymentProperty(23, "6")),
        )
        made = client.create_payment(payment)
        client.link_payment_to_order(made.id, order.id)
        client.link_payment_to_order(made.id, order.id)
        stale = client.create_payment(payment)
        plenty.delete_payment(stale.id)
        found = client.find_payments_by_transaction_id("0f8c2a4e-allegro-payment")
        linked = client.order_payments(order.id)
        read = client.get_order(order.id)
    assert [p.id for p in found] == [made.id]
    assert [p.id for p in linked] == [made.id]
    assert read.property_value(4) == "fullyPaid"
    assert (read.amounts or ())[0].paid_amount == Decimal("62.97")
    assert read.date(3) is not None
    assert plenty.payments_with_transaction_id("0f8c2a4e-allegro-payment") == [made.id]
    assert (
        len(plenty.payments_with_transaction_id("0f8c2a4e-allegro-payment", include_deleted=True))
        == 2
    )


# --- catalogue and reference data ----------------------------------------------------------------


def test_variations_by_number_barcode_and_sku(plenty: FakePlenty, fake_clock: FakeClock) -> None:
    allegro = plenty.add_referrer("Allegro")
    wanted = plenty.add_variation(
        number="KUB-350", barcode="5901234123457", skus=[(allegro, "ALG-1"), (None, "ALG-1-X")]
    )
    plenty.add_variation(number="KUB-350-B", skus=[(Decimal(4), "ALG-1")])
    with plenty_client(plenty, fake_clock, {"transport": plenty.transport()}) as client:
        assert [v.id for v in client.find_variations_by_number("KUB-350")] == [wanted]
        assert [v.id for v in client.find_variations_by_barcode("5901234123457")] == [wanted]
        assert len(client.find_variations_by_sku("ALG-1")) == 2
        assert [v.id for v in client.find_variations_by_sku("ALG-1", referrer_id=allegro)] == [
            wanted
        ]
        assert client.find_variations_by_number("KUB") == []


def test_referrers_shipping_profiles_comments_and_reference_data(
    plenty: FakePlenty, fake_clock: FakeClock
) -> None:
    with plenty_client(plenty, fake_clock, {"transport": plenty.transport()}) as client:
        main = client.create_referrer(NewReferrer(backend_name="Allegro", name="Allegro"))
        sub = client.create_referrer(
            NewReferrer(backend_name="Allegro 46968690", name="Allegro"), parent_id=int(main.id)
        )
        with pytest.raises(UnprocessableEntityError):
            client.create_referrer(NewReferrer(backend_name="Amazon PL", name="x"), parent_id=4)
        assert [r.id for r in client.find_referrers("Allegro 46968690")] == [sub.id]
        assert sub.id == main.id + Decimal("0.01")
        profiles = client.shipping_profiles()
        order = client.create_order(_order(plenty, client, "c-1"))
        client.create_comment(NewComment.plain(order.id, "Proszę o <szybką> wysyłkę\nDziękuję"))
        (comment,) = client.order_comments(order.id)
        assert client.country_id("SK") == 26
        assert {v.country_id for v in client.vat_configurations()} >= {6, 14, 23, 26}
        assert client.standard_vat_configuration(plenty.plenty_id).country_id == 23
        assert [p.id for p in client.order_property_types()][:7] == [1, 2, 3, 4, 5, 6, 7]
        assert 6000 in {m.id for m in client.payment_methods()}
        with pytest.raises(NotFoundError):
            client.get_order(999_999)
    assert profiles[0].parcel_service_name("en") == "DPD"
    assert comment.text == "Proszę o &lt;szybką&gt; wysyłkę<br>Dziękuję"
    assert plenty.comments(order.id)[0]["text"] == comment.text


# --- strict input --------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_unknown_query_parameter_is_refused_through_the_client(
    plenty: FakePlenty, fake_clock: FakeClock, mode: str
) -> None:
    def add_typo(request: httpx.Request) -> None:
        # A proxy or a wrong filter name adds a parameter plenty would silently ignore.
        if request.url.path == "/rest/orders":
            request.url = request.url.copy_add_param("externalOrderID", "x")

    with reach(plenty, mode) as via:
        http = httpx.Client(transport=via.get("transport"), event_hooks={"request": [add_typo]})
        with (
            http,
            plenty_client(
                plenty, fake_clock, {**via, "transport": None}, http_client=http
            ) as client,
            pytest.raises(BadRequestError) as refused,
        ):
            client.find_orders_by_external_id("form-1")
    assert "externalOrderID" in str(refused.value.errors[0])


def test_unknown_body_keys_and_missing_fields_are_refused(
    plenty: FakePlenty, fake_clock: FakeClock
) -> None:
    with plenty_client(plenty, fake_clock, {"transport": plenty.transport()}) as client:
        client.countries()
    token = plenty.calls("POST /rest/login")[0].response.json()["access_token"]  # type: ignore[union-attr]
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(transport=plenty.transport(), base_url=PLENTY_HOST, headers=auth) as http:
        typo = http.post(
            "/rest/orders",
            json={"typeId": 1, "plentyId": 1000, "orderItems": [{"typeId": 9, "amount": 1}]},
        )
        computed = http.post(
            "/rest/orders",
            json={
                "typeId": 1,
                "plentyId": 1000,
                "orderItems": [{"typeId": 9, "amounts": [{"currency": "PLN", "priceGross": 9}]}],
            },
        )
        payment = http.post("/rest/payments", json={"amount": 1, "currency": "PLN"})
    with httpx.Client(transport=plenty.transport(), base_url=PLENTY_HOST) as anonymous:
        no_auth = anonymous.get("/rest/vat")
    assert typo.status_code == 400
    assert "orderItems[0].amount" in typo.json()["error"]["message"]
    assert computed.status_code == 400
    assert "priceGross" in computed.json()["error"]["message"]
    assert payment.status_code == 422
    assert "exchangeRatio" in str(payment.json()["validation_errors"])
    assert no_auth.status_code == 401


# --- async ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_async_client_against_the_fake(
    plenty: FakePlenty, fake_clock: FakeClock, mode: str
) -> None:
    async def scenario(via: dict[str, Any]) -> list[int]:
        async with async_plenty_client(plenty, fake_clock, via) as client:
            referrer = await client.create_referrer(NewReferrer(backend_name="Allegro", name="A"))
            contact = await client.create_contact(NewContact(1, referrer.id, "pl", external_id="b"))
            address = await client.create_address(
                contact.id, NewAddress("Győr", "9021", 14, "Rákóczi út 42"), type_id=1
            )
            vat = (await client.vat_configurations(country_id=14))[0]
            variation = plenty.add_variation(number="HU-1")
            order = NewOrder(
                type_id=1,
                plenty_id=plenty.plenty_id,
                status_id=Decimal(3),
                referrer_id=referrer.id,
                order_items=(
                    NewOrderItem(
                        type_id=1,
                        quantity=Decimal(1),
                        order_item_name="Bögre",
                        amounts=(OrderItemAmount("HUF", Decimal(2299)),),
                        item_variation_id=variation,
                        country_vat_id=vat.id,
                        vat_field=0,
                    ),
                ),
                properties=(OrderProperty(7, "hu-form"),),
                relations=(OrderRelation("contact", contact.id, "receiver"),),
                address_relations=(AddressRelation(1, address.id), AddressRelation(2, address.id)),
            )
            made = await client.create_order(order)
            return [o.id for o in await client.find_orders_by_external_id("hu-form")] + [made.id]

    with reach_async(plenty, mode) as via:
        found, made = asyncio.run(scenario(via))
    assert found == made
    assert plenty.orders_with_external_id("hu-form") == [made]
