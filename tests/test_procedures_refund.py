"""*Allegro : Refund payment* against the fakes, sync and async."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from allegro_plenty.errors import (
    AllegroRefusedError,
    LineItemsUnclearError,
    NotRefundableError,
    OneFulfillmentError,
    RefundFailedError,
)
from allegro_plenty.ledger import ExecutionState
from allegro_plenty.procedures import ExecutionStatus, ProcedureConfig, RefundReasonMap
from allegro_plenty.procedures.builtins import FULL, REFUND_KEY, command_id
from allegro_plenty.testing import FakeClock, Fault

from .fakes_support import Checked
from .procedures_support import FLAVOURS, Imported, World, make_world

POST = "POST /payments/refunds"
REASONS = ProcedureConfig(refund_reasons=RefundReasonMap({"9": "REFUND", 8: "CANCELLED_BY_BUYER"}))


@pytest.fixture
def world(checked: Checked, fake_clock: FakeClock) -> Iterator[World]:
    yield from make_world(checked, fake_clock)


@pytest.fixture(params=FLAVOURS)
def flavour(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _posts(world: World) -> list[dict[str, Any]]:
    return [json.loads(c.request.body) for c in world.allegro.calls(POST)]


def _total(body: dict[str, Any], form: dict[str, Any]) -> Decimal:
    """What a refund body refunds, computed from the form as Allegro would."""
    prices = {line["id"]: Decimal(line["price"]["amount"]) for line in form["lineItems"]}
    total = sum(
        (
            prices[item["id"]] * item["quantity"]
            if item["type"] == "QUANTITY"
            else Decimal(item["value"]["amount"])
            for item in body.get("lineItems", [])
        ),
        Decimal(0),
    )
    total += sum((Decimal(d["totalValue"]["amount"]) for d in body.get("deposits", [])), Decimal(0))
    for part in ("delivery", "additionalServices"):
        if part in body:
            total += Decimal(body[part]["value"]["amount"])
    total += sum((Decimal(s["value"]["amount"]) for s in body.get("surcharges", [])), Decimal(0))
    return total


def _paid(imported: Imported) -> Decimal:
    return Decimal(imported.form["summary"]["totalToPay"]["amount"])


def test_a_whole_order_is_refunded_from_allegros_values_to_the_cent(
    world: World, flavour: str
) -> None:
    imported = world.import_form(
        items=2, deposit=True, additional_service=True, surcharges=["7.53"], status=8
    )
    form = imported.form
    outcome = world.runner(flavour, config=REASONS).dispatch(REFUND_KEY, imported.order_id)
    (result,) = outcome.results
    assert (result.subject, result.status) == (FULL, ExecutionStatus.DONE)
    (body,) = _posts(world)
    first, second = form["lineItems"]
    currency = form["summary"]["totalToPay"]["currency"]
    deposit = Decimal(first["deposit"]["price"]["amount"]) * first["quantity"]
    delivery = Decimal(form["delivery"]["cost"]["amount"]) - Decimal("7.53")
    surcharge = form["surcharges"][0]
    assert body == {
        "payment": {"id": form["payment"]["id"]},
        "order": {"id": form["id"]},
        "reason": "CANCELLED_BY_BUYER",
        "commandId": command_id(world.account, form["id"], FULL, 0),
        "lineItems": [
            {"id": first["id"], "type": "QUANTITY", "quantity": first["quantity"]},
            {"id": second["id"], "type": "QUANTITY", "quantity": second["quantity"]},
        ],
        "deposits": [
            {"lineItemId": first["id"],
             "totalValue": {"amount": f"{deposit}", "currency": currency}}
        ],
        "delivery": {"value": {"amount": f"{delivery}", "currency": currency}},
        "additionalServices": {
            "value": {"amount": first["selectedAdditionalServices"][0]["price"]["amount"],
                      "currency": currency}
        },
        "surcharges": [{"id": surcharge["id"], "value": {"amount": "7.53", "currency": currency}}],
    }  # fmt: skip
    assert _total(body, form) == _paid(imported)
    (refund,) = world.allegro.refunds(form["id"])
    assert Decimal(refund["totalValue"]["amount"]) == _paid(imported)
    stored = world.ledger.execution(world.account, REFUND_KEY, imported.order_id, FULL)
    assert stored is not None
    assert (stored.state, stored.data["refund_id"], stored.data["status"]) == (
        ExecutionState.DONE,
        refund["id"],
        "SUCCESS",
    )


def test_two_partial_refunds_from_two_return_orders_carry_two_command_ids(
    world: World, flavour: str
) -> None:
    imported = world.import_form(items=2, deposit=True)
    first, second = imported.form["lineItems"]
    one = world.return_order(imported, {first["id"]: first["quantity"]})
    two = world.return_order(imported, {second["id"]: second["quantity"]})
    runner = world.runner(flavour, config=REASONS)
    assert runner.dispatch(REFUND_KEY, one).results[0].subject == str(one)
    assert runner.dispatch(REFUND_KEY, two).results[0].status is ExecutionStatus.DONE
    bodies = _posts(world)
    assert [b["commandId"] for b in bodies] == [
        command_id(world.account, imported.form_id, str(one), 0),
        command_id(world.account, imported.form_id, str(two), 0),
    ]
    assert bodies[0]["commandId"] != bodies[1]["commandId"]
    # The first return: its line and that line's deposit, no delivery (items are left).
    assert [i["id"] for i in bodies[0]["lineItems"]] == [first["id"]]
    assert [d["lineItemId"] for d in bodies[0]["deposits"]] == [first["id"]]
    assert "delivery" not in bodies[0]
    # The second covers every item not yet refunded: delivery comes with it.
    assert [i["id"] for i in bodies[1]["lineItems"]] == [second["id"]]
    assert "deposits" not in bodies[1]
    assert bodies[1]["delivery"]["value"]["amount"] == imported.form["delivery"]["cost"]["amount"]
    assert sum((_total(b, imported.form) for b in bodies), Decimal(0)) == _paid(imported)
    assert len(world.allegro.refunds(imported.form_id)) == 2


def test_a_return_of_part_of_a_lines_units_refunds_those_units(world: World, flavour: str) -> None:
    imported = world.import_form(items=1, seed=3, deposit=True)
    (line,) = imported.form["lineItems"]
    if line["quantity"] < 2:
        pytest.skip("the seed gave a single unit")
    returned = world.return_order(imported, {line["id"]: 1})
    world.runner(flavour, config=REASONS).dispatch(REFUND_KEY, returned)
    (body,) = _posts(world)
    unit = Decimal(line["deposit"]["price"]["amount"])
    assert body["lineItems"] == [{"id": line["id"], "type": "QUANTITY", "quantity": 1}]
    assert body["deposits"][0]["totalValue"]["amount"] == f"{unit}"
    assert "delivery" not in body


def test_the_same_return_dispatched_twice_refunds_once(world: World, flavour: str) -> None:
    imported = world.import_form(items=2)
    first = imported.form["lineItems"][0]
    returned = world.return_order(imported, {first["id"]: first["quantity"]})
    runner = world.runner(flavour, config=REASONS)
    assert runner.dispatch(REFUND_KEY, returned).done
    again = runner.dispatch(REFUND_KEY, returned)
    assert again.results[0].status is ExecutionStatus.ALREADY_FINAL
    assert world.allegro_calls(POST) == 1
    assert len(world.allegro.refunds(imported.form_id)) == 1


def test_a_lost_answer_then_a_rerun_sends_the_identical_body_and_command_id(
    world: World, flavour: str, fake_clock: FakeClock
) -> None:
    imported = world.import_form(items=2, status=8)
    # Every attempt of the client's own retries loses its answer; the first one committed.
    world.allegro.faults.inject(Fault.response_lost("timeout"), route=POST, times=3)
    runner = world.runner(flavour, config=REASONS)
    first = runner.dispatch(REFUND_KEY, imported.order_id).results[0]
    assert first.status is ExecutionStatus.FAILED
    stored = world.ledger.execution(world.account, REFUND_KEY, imported.order_id, FULL)
    assert stored is not None
    assert stored.data["command_id"] == command_id(world.account, imported.form_id, FULL, 0)
    # Meanwhile the order moved to a status with no refund reason: a recomputed refund
    # would be skipped; the stored one is sent again regardless.
    world.plenty.set_status(imported.order_id, 5)
    fake_clock.advance(3600)
    report = runner.retry_due()
    assert [r.status for _, r in report.results()] == [ExecutionStatus.DONE]
    bodies = [c.request.body for c in world.allegro.calls(POST)]
    assert len(bodies) == 4
    assert len(set(bodies)) == 1  # byte for byte the same body, the same commandId
    assert json.loads(bodies[0])["commandId"] == stored.data["command_id"]
    assert len(world.allegro.refunds(imported.form_id)) == 1


def test_a_status_not_in_the_map_refunds_nothing_and_calls_no_allegro(
    world: World, flavour: str
) -> None:
    imported = world.import_form(status=5)
    world.allegro.clear_calls()
    outcome = world.runner(flavour, config=REASONS).dispatch(REFUND_KEY, imported.order_id)
    assert [(r.status, r.reason) for r in outcome.results] == [
        (ExecutionStatus.SKIPPED, "no reason mapped (status 5)")
    ]
    assert world.allegro.calls() == []


def test_cash_on_delivery_is_refused_with_no_refund_sent(world: World, flavour: str) -> None:
    imported = world.import_form(payment_type="CASH_ON_DELIVERY", status=8)
    (result,) = (
        world.runner(flavour, config=REASONS).dispatch(REFUND_KEY, imported.order_id).results
    )
    assert result.status is ExecutionStatus.SKIPPED
    assert isinstance(result.error, NotRefundableError)
    assert "cash on delivery on allegro-pl" in str(result.error)
    assert world.allegro_calls(POST) == 0


def test_a_refusal_nobody_predicted_is_allegros_answer_as_a_typed_error(
    world: World, flavour: str
) -> None:
    imported = world.import_form(payment_type="CASH_ON_DELIVERY", status=8)
    config = ProcedureConfig(refund_reasons=REASONS.refund_reasons, cod_refund_refused=())
    (result,) = world.runner(flavour, config=config).dispatch(REFUND_KEY, imported.order_id).results
    assert result.status is ExecutionStatus.QUARANTINED
    assert isinstance(result.error, AllegroRefusedError)
    assert result.error.codes == ("COD_MARKETPLACE_NOT_SUPPORTED",)
    assert result.error.allegro_message == "POD refunds are not supported for this marketplace."


def test_a_pending_refund_is_read_back_by_its_id_until_final(
    checked: Checked, fake_clock: FakeClock, flavour: str
) -> None:
    for world in make_world(checked, fake_clock, refund_status="IN_PROGRESS"):
        imported = world.import_form(items=2)
        first = imported.form["lineItems"][0]
        returned = world.return_order(imported, {first["id"]: first["quantity"]})
        runner = world.runner(flavour, config=REASONS)
        waiting = runner.dispatch(REFUND_KEY, returned).results[0]
        assert waiting.status is ExecutionStatus.WAITING
        (refund,) = world.allegro.refunds(imported.form_id)
        assert waiting.reason == f"refund {refund['id']} is IN_PROGRESS"
        # A pending refund counts: refunding the rest of the order leaves that line out.
        world.plenty.set_status(imported.order_id, 8)
        rest = runner.dispatch(REFUND_KEY, imported.order_id).results[0]
        assert rest.status is ExecutionStatus.WAITING
        assert [i["id"] for i in _posts(world)[1]["lineItems"]] == [
            imported.form["lineItems"][1]["id"]
        ]
        world.allegro.set_refund_status(refund["id"], "SUCCESS")
        fake_clock.advance(900)
        report = runner.retry_due()
        by_subject = {r.subject: r.status for _, r in report.results()}
        assert by_subject[str(returned)] is ExecutionStatus.DONE
        assert world.allegro.call_count("GET /payments/refunds") >= 2
        assert world.allegro_calls(POST) == 2  # read back, never sent again


def test_a_canceled_refund_waits_for_an_operator_then_a_new_command_goes_out(
    checked: Checked, fake_clock: FakeClock, flavour: str
) -> None:
    for world in make_world(checked, fake_clock, refund_status="CANCELED"):
        imported = world.import_form(items=2, status=8)
        runner = world.runner(flavour, config=REASONS)
        (failed,) = runner.dispatch(REFUND_KEY, imported.order_id).results
        assert failed.status is ExecutionStatus.QUARANTINED
        assert isinstance(failed.error, RefundFailedError)
        assert runner.dispatch(REFUND_KEY, imported.order_id).results[0].status is (
            ExecutionStatus.ON_HOLD
        )
        world.allegro.refund_status = "SUCCESS"
        world.ledger.release_execution(world.account, REFUND_KEY, imported.order_id, FULL)
        assert runner.dispatch(REFUND_KEY, imported.order_id).results[0].status is (
            ExecutionStatus.DONE
        )
        first, second = _posts(world)
        assert first["commandId"] == command_id(world.account, imported.form_id, FULL, 0)
        assert second["commandId"] == command_id(world.account, imported.form_id, FULL, 1)
        # The canceled refund returned nothing: the new one refunds everything again.
        assert _total(second, imported.form) == _paid(imported)


def test_one_fulfillment_is_refused_with_no_allegro_write(world: World, flavour: str) -> None:
    imported = world.import_form(provider="ALLEGRO", status=8)
    (result,) = (
        world.runner(flavour, config=REASONS).dispatch(REFUND_KEY, imported.order_id).results
    )
    assert result.status is ExecutionStatus.SKIPPED
    assert isinstance(result.error, OneFulfillmentError)
    assert world.allegro_writes() == []


def test_a_return_whose_items_cannot_be_told_apart_fails_naming_why(
    world: World, flavour: str
) -> None:
    imported = world.import_form(items=2)
    first = imported.form["lineItems"][0]
    returned = world.return_order(imported, {first["id"]: first["quantity"]})
    # The return's item lost its Allegro line-item id (property 41).
    order = world.plenty.order(returned)
    (item,) = [i for i in order["orderItems"] if i["typeId"] == 1]
    _drop_line_id(world, returned, item["id"])
    (result,) = world.runner(flavour, config=REASONS).dispatch(REFUND_KEY, returned).results
    assert result.status is ExecutionStatus.QUARANTINED
    assert isinstance(result.error, LineItemsUnclearError)
    assert "has no Allegro line-item id (property 41)" in str(result.error)
    assert world.allegro_calls(POST) == 0


def _drop_line_id(world: World, order_id: int, item_id: int) -> None:
    with world.plenty.lock:
        stored = world.plenty._state.orders[order_id]
        for item in stored.items:
            if item["id"] == item_id:
                item["properties"] = [p for p in item["properties"] if p["typeId"] != 41]
