"""Bound forms that change: brought up to date, each change once, never un-imported."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import attrs
import httpx
import pytest

from allegro_plenty.importer import EntryKind
from allegro_plenty.testing import Fault

from .importer_support import MODES, SETTINGS, World


@pytest.fixture
def world() -> World:
    return World()


def imported(world: World, form_id: str) -> int:
    (order_id,) = world.orders(form_id)
    return order_id


@pytest.mark.parametrize("mode", MODES)
def test_a_surcharge_becomes_exactly_one_new_payment(world: World, mode: str) -> None:
    form_id = world.add(seed=1)
    with world.importer(mode) as importer:
        importer.run()
        world.clock.advance(60)
        surcharge = world.allegro.add_surcharge(form_id, "10.00")  # another READY_FOR_PROCESSING
        updated = importer.run()
        again = importer.run()
    order_id = imported(world, form_id)
    assert [(e.kind, e.plenty_order_id) for e in updated.entries] == [(EntryKind.UPDATED, order_id)]
    assert again.entries == []
    assert len(world.plenty.payments_with_transaction_id(surcharge)) == 1
    first_payment = world.allegro.checkout_form(form_id)["payment"]["id"]
    assert len(world.plenty.payments_with_transaction_id(first_payment)) == 1
    binding = world.ledger.binding(world.seller, form_id)
    assert binding is not None
    assert surcharge in binding.paid_parts
    assert binding.revision == world.allegro.checkout_form(form_id)["revision"]


@pytest.mark.parametrize("mode", MODES)
def test_a_buyer_cancellation_takes_the_configured_action_once(world: World, mode: str) -> None:
    form_id = world.add(seed=2)
    with world.importer(mode) as importer:
        importer.run()
        world.clock.advance(60)
        world.allegro.cancel(form_id)
        cancelled = importer.run()
        again = importer.run()
    order_id = imported(world, form_id)
    assert [e.kind for e in cancelled.entries] == [EntryKind.CANCELLED]
    assert again.entries == []
    assert Decimal(str(world.plenty.order(order_id)["statusId"])) == Decimal(8)
    # the library's own write, recorded before it was sent: a status poller skips it once
    assert world.ledger.consume_status_write(world.seller, order_id, Decimal(8))
    assert not world.ledger.consume_status_write(world.seller, order_id, Decimal(8))
    texts = [c["text"] for c in world.plenty.comments(order_id)]
    assert sum("cancelled this order on Allegro" in text for text in texts) == 1


@pytest.mark.parametrize("mode", MODES)
def test_a_cancellation_of_an_order_already_in_the_status_records_no_status_write(
    world: World, mode: str
) -> None:
    # A person set the order to 8 first. A write of 8 would change nothing, so plenty's
    # history gets no entry to consume the record with: a record would linger and
    # swallow a person's later change to 8 (the status poller's echo guard).
    form_id = world.add(seed=2)
    with world.importer(mode) as importer:
        importer.run()
        order_id = imported(world, form_id)
        world.plenty.set_status(order_id, 8)
        world.clock.advance(60)
        world.allegro.cancel(form_id)
        cancelled = importer.run()
    assert [e.kind for e in cancelled.entries] == [EntryKind.CANCELLED]
    assert world.plenty.calls("PUT /rest/orders/*") == []
    assert not world.ledger.consume_status_write(world.seller, order_id, Decimal(8))
    texts = [c["text"] for c in world.plenty.comments(order_id)]
    assert sum("cancelled this order on Allegro" in text for text in texts) == 1


@pytest.mark.parametrize("mode", MODES)
def test_a_new_delivery_address_is_pointed_to_while_the_order_is_open(
    world: World, mode: str
) -> None:
    form_id = world.add(seed=3)
    account = world.account(status_id=Decimal(3))  # waiting: below address_update_max_status
    with world.importer(mode, accounts=[account]) as importer:
        importer.run()
        order_id = imported(world, form_id)
        before = world.plenty.order(order_id)
        world.clock.advance(60)
        world.allegro.modify_delivery_address(form_id, street="Nowa 17", zipCode="00-950")
        updated = importer.run()
        again = importer.run()
    after = world.plenty.order(order_id)
    relation = {r["typeId"]: r["addressId"] for r in after["addressRelations"]}
    old = {r["typeId"]: r["addressId"] for r in before["addressRelations"]}
    assert [e.kind for e in updated.entries] == [EntryKind.UPDATED]
    assert again.entries == []
    assert relation[1] == old[1]  # billing untouched
    assert relation[2] != old[2]
    delivery = next(a for a in after["addresses"] if a["id"] == relation[2])
    assert (delivery["address1"], delivery["address2"], delivery["postalCode"]) == (
        "Nowa",
        "17",
        "00-950",
    )
    previous = next(a for a in before["addresses"] if a["id"] == old[2])
    assert previous["postalCode"] != "00-950"  # the old address itself was never edited


def test_a_new_delivery_address_of_a_locked_order_is_a_comment(world: World) -> None:
    form_id = world.add(seed=4)
    account = world.account(status_id=Decimal(3))
    with world.importer(accounts=[account]) as importer:
        importer.run()
        order_id = imported(world, form_id)
        world.plenty.lock_order(order_id)
        before = world.plenty.order(order_id)["addressRelations"]
        world.clock.advance(60)
        world.allegro.modify_delivery_address(form_id, street="Nowa 17", zipCode="00-950")
        updated = importer.run()
    assert [e.reason for e in updated.entries] == ["delivery address changed (comment only)"]
    assert world.plenty.order(order_id)["addressRelations"] == before
    texts = [c["text"] for c in world.plenty.comments(order_id)]
    assert any("order is locked" in text and "00-950" in text for text in texts)
    assert world.plenty.call_count("PUT /rest/orders/{orderId}") == 0


def test_changed_line_items_are_a_warning_and_a_comment_never_rewritten(world: World) -> None:
    form_id = world.add(seed=5)
    with world.importer() as importer:
        importer.run()
    order_id = imported(world, form_id)
    items_before = world.plenty.order(order_id)["orderItems"]
    world.clock.advance(60)
    world.allegro.emit_event(form_id, "BUYER_MODIFIED")

    def more_of_the_first_line(request: httpx.Request) -> httpx.Response | None:
        if request.method != "GET" or request.url.path != f"/order/checkout-forms/{form_id}":
            return None
        form: dict[str, Any] = world.allegro.checkout_form(form_id)
        form["lineItems"][0]["quantity"] += 1
        form["revision"] = "changed-items"
        return httpx.Response(200, content=json.dumps(form).encode(), headers=_allegro_headers())

    with world.importer(allegro_answers=more_of_the_first_line) as importer:
        result = importer.run()
        again = importer.run()
    assert [e.reason for e in result.entries] == ["line items differ"]
    assert "items_changed" in {w.code for w in result.warnings}
    assert again.entries == []
    assert world.plenty.order(order_id)["orderItems"] == items_before
    texts = [c["text"] for c in world.plenty.comments(order_id)]
    assert sum("line items of this order on Allegro differ" in t for t in texts) == 1


def _allegro_headers() -> dict[str, str]:
    return {"Content-Type": "application/vnd.allegro.public.v1+json", "trace-id": "t-items"}


@pytest.mark.parametrize("mode", MODES)
def test_an_order_whose_payment_failed_is_finished_by_a_later_run(world: World, mode: str) -> None:
    form_id = world.add(seed=6)
    world.plenty.faults.inject(Fault.server_error(503), route="POST /rest/payments", times=None)
    with world.importer(mode) as importer:
        first = importer.run()
        world.plenty.faults.clear()
        world.clock.advance(SETTINGS.retry_base + 1)
        second = importer.run()
        third = importer.run()
    order_id = imported(world, form_id)
    assert [e.kind for e in first.entries] == [EntryKind.FAILED]
    binding_then = first.entries[0]
    assert binding_then.checkout_form_id == form_id
    assert [(e.kind, e.reason) for e in second.entries] == [(EntryKind.CREATED, "finished")]
    assert third.entries == []
    payment = world.allegro.checkout_form(form_id)["payment"]["id"]
    assert len(world.plenty.payments_with_transaction_id(payment)) == 1
    assert len(world.plenty.comments(order_id)) == 1
    assert world.ledger.failure(world.seller, form_id) is None


def test_an_order_adopted_from_an_earlier_integration_gets_later_surcharges(
    world: World,
) -> None:
    form_id = world.add(seed=7)
    allegro = world.plenty.add_referrer("Allegro")
    earlier = world.existing_order(form_id, allegro)
    with world.importer(settings=attrs.evolve(SETTINGS)) as importer:
        importer.run()
        world.clock.advance(60)
        surcharge = world.allegro.add_surcharge(form_id, "5.00")
        result = importer.run()
    assert [(e.kind, e.plenty_order_id) for e in result.entries] == [(EntryKind.UPDATED, earlier)]
    assert len(world.plenty.payments_with_transaction_id(surcharge)) == 1
    first_payment = world.allegro.checkout_form(form_id)["payment"]["id"]
    assert world.plenty.payments_with_transaction_id(first_payment) == []  # the earlier one's
