"""FakePlenty's look-ups by external id and its payments per order follow every change.

The fake keeps hints (ids by external id, payments by order) so that it answers in
constant time however many orders it holds; these tests change what the hints are
built from and check that the answers still match the records.
"""

from __future__ import annotations

from decimal import Decimal

import httpx

from allegro_plenty.plenty.models import (
    NewContact,
    NewOrder,
    NewOrderItem,
    NewPayment,
    OrderItemAmount,
    OrderProperty,
    PaymentProperty,
)
from allegro_plenty.testing import FakeClock, FakePlenty

from .fakes_support import Checked, plenty_client
from .specs import PLENTY_HOST


def _order(plenty: FakePlenty, external_id: str) -> NewOrder:
    item = NewOrderItem(
        type_id=9,
        quantity=Decimal(1),
        order_item_name="Kubek",
        amounts=(OrderItemAmount("PLN", Decimal("10.00")),),
        country_vat_id=plenty.vat_configuration_id("PL"),
        vat_field=0,
    )
    return NewOrder(
        type_id=1,
        plenty_id=plenty.plenty_id,
        status_id=Decimal(3),
        referrer_id=Decimal(1),
        order_items=(item,),
        properties=(OrderProperty(7, external_id),),
    )


def _payment(transaction_id: str) -> NewPayment:
    return NewPayment(
        amount=Decimal("10.00"),
        exchange_ratio=Decimal(1),
        mop_id=6000,
        currency="PLN",
        properties=(PaymentProperty(1, transaction_id),),
    )


def test_an_order_is_found_by_its_current_external_id_only(
    checked: Checked, fake_clock: FakeClock
) -> None:
    plenty: FakePlenty = checked(FakePlenty(clock=fake_clock))
    with plenty_client(plenty, fake_clock, {"transport": plenty.transport()}) as client:
        order = client.create_order(_order(plenty, "old-id"))
        other = client.create_order(_order(plenty, "other-id"))
        token = plenty.calls("POST /rest/login")[0].response.json()["access_token"]  # type: ignore[union-attr]
        with httpx.Client(transport=plenty.transport(), base_url=PLENTY_HOST) as http:
            changed = http.put(
                f"/rest/orders/{order.id}",
                json={"properties": [{"typeId": 7, "value": "new-id"}]},
                headers={"Authorization": f"Bearer {token}"},
            )
        assert changed.status_code == 200
        assert client.find_orders_by_external_id("old-id") == []
        assert [o.id for o in client.find_orders_by_external_id("new-id")] == [order.id]
        assert [o.id for o in client.find_orders_by_external_id("other-id")] == [other.id]
    assert plenty.orders_with_external_id("old-id") == []
    assert plenty.orders_with_external_id("new-id") == [order.id]


def test_a_payment_linked_to_another_order_leaves_the_first(
    checked: Checked, fake_clock: FakeClock
) -> None:
    plenty: FakePlenty = checked(FakePlenty(clock=fake_clock))
    with plenty_client(plenty, fake_clock, {"transport": plenty.transport()}) as client:
        first = client.create_order(_order(plenty, "first"))
        second = client.create_order(_order(plenty, "second"))
        payment = client.create_payment(_payment("tx-1"))
        client.link_payment_to_order(payment.id, first.id)
        linked_first = [p.id for p in client.order_payments(first.id)]
        client.link_payment_to_order(payment.id, second.id)
        assert linked_first == [payment.id]
        assert client.order_payments(first.id) == ()
        assert [p.id for p in client.order_payments(second.id)] == [payment.id]
        paid = {
            o: (client.get_order(o).amounts or ())[0].paid_amount for o in (first.id, second.id)
        }
    assert paid == {first.id: Decimal(0), second.id: Decimal("10.00")}


def test_contacts_are_found_by_exact_external_id(checked: Checked, fake_clock: FakeClock) -> None:
    plenty: FakePlenty = checked(FakePlenty(clock=fake_clock))
    with plenty_client(plenty, fake_clock, {"transport": plenty.transport()}) as client:
        made = [client.create_contact(NewContact(1, Decimal(1), "pl", external_id=e)) for e in
                ("4711", "14711", "4711")]  # fmt: skip
        found = client.find_contacts_by_external_id("4711")
        none = client.find_contacts_by_external_id("471")
    assert [c.id for c in found] == [made[0].id, made[2].id]
    assert none == []
    assert plenty.contacts_with_external_id("14711") == [made[1].id]
