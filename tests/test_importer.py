"""The importer against the fakes: each eligible order exactly once, and nothing else.

Sync and async importers run the same tests through the public API.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from decimal import Decimal

import pytest

from allegro_plenty import ImportSettings
from allegro_plenty.importer import EntryKind
from allegro_plenty.ledger import BindingOrigin
from allegro_plenty.testing import checkout_form

from .importer_support import MODES, SETTINGS, World, allegro_writes, plenty_writes


@pytest.fixture
def world() -> World:
    return World()


@pytest.mark.parametrize("mode", MODES)
def test_running_twice_creates_each_order_once(world: World, mode: str) -> None:
    forms = [world.add(seed=seed, country=country) for seed, country in [(1, "PL"), (2, "CZ")]]
    forms.append(world.add(seed=3, surcharges=["12.50"], company=True))
    with world.importer(mode) as importer:
        first = importer.run()
        second = importer.run()
    assert first.counts["created"] == 3
    assert first.stops == []
    assert sum(second.counts.values()) == 0
    for form_id in forms:
        (order_id,) = world.orders(form_id)
        binding = world.ledger.binding(world.seller, form_id)
        assert binding is not None
        assert binding.plenty_order_id == order_id
        assert binding.origin is BindingOrigin.CREATED
        form = world.allegro.checkout_form(form_id)
        for part in [form["payment"], *form["surcharges"]]:
            assert len(world.plenty.payments_with_transaction_id(part["id"])) == 1
        assert len(world.plenty.comments(order_id)) == 1
    json.dumps(first.to_json())  # JSON-serialisable as it is


@pytest.mark.parametrize("mode", MODES)
def test_a_cash_on_delivery_form_is_imported_with_no_payment(world: World, mode: str) -> None:
    form_id = world.add(seed=4, payment_type="CASH_ON_DELIVERY")
    with world.importer(mode) as importer:
        result = importer.run()
    assert [e.kind for e in result.entries] == [EntryKind.CREATED]
    (order_id,) = world.orders(form_id)
    assert world.plenty.call_count("POST /rest/payments") == 0
    assert world.plenty.order(order_id)["properties"]  # an order with its properties


def test_the_order_carries_its_account_and_sub_referrer(world: World) -> None:
    form_id = world.add(seed=5)
    with world.importer() as importer:
        importer.run()
    (order_id,) = world.orders(form_id)
    order = world.plenty.order(order_id)
    properties = {p["typeId"]: p["value"] for p in order["properties"]}
    assert properties[7] == form_id
    assert properties[10] == world.seller
    referrers = world.referrers()
    sub = referrers[f"Allegro {world.seller}"]
    assert sub != referrers["Allegro"]
    assert sub.to_integral_value() == referrers["Allegro"]
    assert Decimal(str(order["referrerId"])) == sub
    assert {Decimal(str(item["referrerId"])) for item in order["orderItems"]} == {sub}
    # The procedures tell this library's orders from others by the ids kept here.
    record = world.ledger.cursor(world.seller, "referrer")
    assert record is not None
    assert record.value == {"parent_id": str(referrers["Allegro"]), "referrer_id": str(sub)}


@pytest.mark.parametrize("mode", MODES)
def test_a_form_skipped_at_ready_for_shipment_is_imported_once_set_back_to_new(
    world: World, mode: str
) -> None:
    form_id = world.add(seed=6, fulfillment_status="READY_FOR_SHIPMENT")
    with world.importer(mode) as importer:
        first = importer.run()
        world.clock.advance(60)
        world.allegro.set_fulfillment_status(form_id, "NEW", emit_event=False)  # no event
        before_sweep = importer.run()
        world.clock.advance(SETTINGS.sweep_interval)
        swept = importer.run()
    assert [(e.kind, e.checkout_form_id) for e in first.entries] == [(EntryKind.SKIPPED, form_id)]
    assert before_sweep.entries == []  # no event, no sweep due: nothing yet
    assert [(e.kind, e.checkout_form_id) for e in swept.entries] == [(EntryKind.CREATED, form_id)]
    assert len(world.orders(form_id)) == 1


@pytest.mark.parametrize("mode", MODES)
def test_unpaid_cancelled_sent_and_merged_forms_never_reach_plenty(world: World, mode: str) -> None:
    unpaid = world.add(seed=7, status="FILLED_IN")
    cancelled = world.add(seed=8, status="CANCELLED")
    sent = world.add(seed=9, fulfillment_status="SENT")
    to_merge = [world.add(seed=s, status="FILLED_IN") for s in (10, 11)]
    with world.importer(mode) as importer:
        first = importer.run()
        world.clock.advance(SETTINGS.sweep_interval)  # the sweep lists the merged form
        world.allegro.emit_event(to_merge[0], "BUYER_MODIFIED")  # read after the merge
        merged = world.allegro.merge(to_merge)
        second = importer.run()
    skipped = {e.checkout_form_id for e in first.of(EntryKind.SKIPPED)}
    assert skipped == {unpaid, cancelled, sent, *to_merge}
    assert [e.checkout_form_id for e in second.of(EntryKind.GONE)] == [to_merge[0]]
    assert merged in {e.checkout_form_id for e in second.of(EntryKind.SKIPPED)}  # unpaid too
    assert plenty_writes(world.plenty) == []
    assert world.plenty.order_ids() == []
    decision = world.ledger.decision(world.seller, to_merge[0])
    assert decision is not None
    assert decision.final


@pytest.mark.parametrize("mode", MODES)
def test_an_unpaid_form_is_imported_once_paid(world: World, mode: str) -> None:
    form_id = world.add(seed=12, status="FILLED_IN")
    with world.importer(mode) as importer:
        first = importer.run()
        world.clock.advance(60)
        world.allegro.pay(form_id)
        second = importer.run()
        third = importer.run()
    assert [e.kind for e in first.entries] == [EntryKind.SKIPPED]
    assert [e.kind for e in second.entries] == [EntryKind.CREATED]
    assert third.entries == []
    assert len(world.orders(form_id)) == 1


@pytest.mark.parametrize("mode", MODES)
def test_an_idle_run_costs_one_allegro_call_and_no_plenty_call(world: World, mode: str) -> None:
    world.add(seed=13)
    with world.importer(mode) as importer:
        importer.run()
        importer.run()  # warm: every cache filled, the first sweep done
        world.allegro.clear_calls()
        world.plenty.clear_calls()
        idle = importer.run()
    assert sum(idle.counts.values()) == 0
    assert [c.route for c in world.allegro.calls()] == ["GET /order/events"]
    assert world.plenty.calls() == []


@pytest.mark.parametrize("mode", MODES)
def test_a_dry_run_writes_nothing_anywhere(world: World, mode: str) -> None:
    paid = world.add(seed=14)
    unpaid = world.add(seed=15, status="FILLED_IN")
    unknown_sku = checkout_form(seed=16, external_ids=["NOT-IN-PLENTY", "NOT-EITHER"])
    refused = world.allegro.add_checkout_form(unknown_sku)
    from allegro_plenty.mapping import UnknownVariationPolicy

    account = world.account(unknown_variation=UnknownVariationPolicy.REFUSE)
    with world.importer(mode, accounts=[account]) as importer:
        result = importer.run(dry_run=True)
    assert result.dry_run
    kinds = {e.checkout_form_id: e.kind for e in result.entries}
    assert kinds == {
        paid: EntryKind.CREATED,
        unpaid: EntryKind.SKIPPED,
        refused: EntryKind.QUARANTINED,
    }
    assert all(e.dry_run for e in result.entries)
    assert {w.code for w in result.warnings} >= {"would_create_referrer"}
    assert plenty_writes(world.plenty) == []
    assert allegro_writes(world.allegro) == []
    ledger = world.ledger
    assert ledger.cursor(world.seller, "events") is None
    assert ledger.cursor(world.seller, "sweep") is None
    assert ledger.failures() == []
    assert ledger.last_sweep(world.seller) is None
    for form_id in (paid, unpaid, refused):
        assert ledger.binding(world.seller, form_id) is None
        assert ledger.decision(world.seller, form_id) is None


@pytest.mark.parametrize("mode", MODES)
def test_two_accounts_with_interleaved_orders_each_under_its_sub_referrer(
    world: World, mode: str
) -> None:
    other = world.allegro.add_seller("77553311", "second-shop").id
    world.tokens.save("allegro", other, world.allegro.issue_token(other))
    first = [world.add(seed=s) if s % 2 else world.add(other, seed=s) for s in range(20, 26)]
    accounts = [world.account(), world.account(other)]
    with world.importer(mode, accounts=accounts) as importer:
        result = importer.run()
    assert result.counts["created"] == 6
    referrers = world.referrers()
    for seed, form_id in zip(range(20, 26), first, strict=True):
        seller = world.seller if seed % 2 else other
        (order_id,) = world.orders(form_id)
        order = world.plenty.order(order_id)
        properties = {p["typeId"]: p["value"] for p in order["properties"]}
        assert properties[10] == seller
        assert Decimal(str(order["referrerId"])) == referrers[f"Allegro {seller}"]
        binding = world.ledger.binding(seller, form_id)
        assert binding is not None
        assert binding.account == seller


def test_a_bounded_run_stops_and_the_next_goes_on(world: World) -> None:
    forms = [world.add(seed=s) for s in range(30, 35)]
    with world.importer() as importer:
        first = importer.run(max_orders=2)
        second = importer.run(max_orders=2)
        third = importer.run()
    assert (first.counts["created"], first.complete) == (2, False)
    assert (second.counts["created"], second.complete) == (2, False)
    assert (third.counts["created"], third.complete) == (1, True)
    assert all(len(world.orders(form_id)) == 1 for form_id in forms)


def test_a_deadline_stops_taking_new_forms(world: World) -> None:
    forms = [world.add(seed=s) for s in range(40, 43)]

    def slow_progress(entry: object) -> None:
        world.clock.advance(20)  # each order "takes" 20 s

    with world.importer(on_progress=slow_progress) as importer:
        first = importer.run(deadline=30)
        rest = importer.run()
    assert first.counts["created"] == 2
    assert not first.complete
    assert rest.counts["created"] == 1
    assert all(len(world.orders(form_id)) == 1 for form_id in forms)


def test_the_progress_hook_sees_every_entry_and_the_result_counts_them(world: World) -> None:
    world.add(seed=44)
    world.add(seed=45, status="FILLED_IN")
    seen: list[str] = []
    with world.importer(on_progress=lambda entry: seen.append(entry.kind.value)) as importer:
        result = importer.run()
    assert sorted(seen) == ["created", "skipped"]
    assert result.counts["created"] == 1
    assert result.counts["skipped"] == 1
    assert result.exit_code == 0
    assert result.duration >= 0


def test_settings_durations_accept_timedeltas() -> None:
    settings = ImportSettings(sweep_interval=timedelta(minutes=5), backfill=timedelta(days=1))
    assert (settings.sweep_interval, settings.backfill) == (300.0, 86400.0)


def test_logs_carry_ids_and_no_personal_data(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    form_id = world.add(seed=50, company=True, message_to_seller="Proszę o fakturę VAT")
    unpaid = world.add(seed=51, status="FILLED_IN")
    caplog.set_level(logging.DEBUG, logger="allegro_plenty")
    with world.importer() as importer:
        importer.run()
    personal = set()
    for fid in (form_id, unpaid):
        form = world.allegro.checkout_form(fid)
        buyer, address = form["buyer"], form["delivery"]["address"]
        personal |= {buyer["email"], buyer["login"], buyer["firstName"], buyer["lastName"]}
        personal |= {address["street"], address["city"], address["phoneNumber"]}
        personal.add(form.get("messageToSeller") or "Proszę o fakturę VAT")
    importer_records = [r for r in caplog.records if r.name == "allegro_plenty.importer"]
    assert importer_records
    for record in caplog.records:
        if not record.name.startswith("allegro_plenty"):
            continue
        text = record.getMessage() + repr(vars(record))
        leaked = sorted(value for value in personal if value and value in text)
        assert leaked == [], f"{record.name}: {record.getMessage()}"
    outcomes = {(r.checkout_form_id, r.outcome) for r in importer_records if hasattr(r, "outcome")}
    assert outcomes == {(form_id, "created"), (unpaid, "skipped")}
    assert all(r.account == world.seller for r in importer_records if hasattr(r, "outcome"))
