"""*Allegro : Order status X*: the built-in status procedures against the fakes, sync and async."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from allegro_plenty.allegro.models import FulfillmentStatus
from allegro_plenty.errors import (
    AllegroRefusedError,
    NotFromAllegroError,
    OneFulfillmentError,
    StaleRevisionError,
)
from allegro_plenty.ledger import ExecutionBlock, ExecutionState
from allegro_plenty.ledger import _rules as ledger_rules
from allegro_plenty.procedures import ExecutionStatus, ProcedureSettings, builtin_registry
from allegro_plenty.procedures.builtins import BUILTIN_STATUSES, StatusProcedure, status_key
from allegro_plenty.testing import FakeClock, Fault

from .fakes_support import Checked
from .procedures_support import FLAVOURS, World, concurrently, make_world, slow_form_reads

PUT = "PUT /order/checkout-forms/{id}/fulfillment"
GET = "GET /order/checkout-forms/{id}"
PROCESSING = status_key(FulfillmentStatus.PROCESSING)


@pytest.fixture
def world(checked: Checked, fake_clock: FakeClock) -> Iterator[World]:
    yield from make_world(checked, fake_clock)


@pytest.fixture(params=FLAVOURS)
def flavour(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _status(world: World, form_id: str) -> str:
    return str(world.allegro.checkout_form(form_id)["fulfillment"]["status"])


@pytest.mark.parametrize("target", [s.value for s in BUILTIN_STATUSES])
def test_each_status_procedure_sets_its_status_with_one_put(
    world: World, flavour: str, target: str
) -> None:
    imported = world.import_form()
    outcome = world.runner(flavour).dispatch(f"allegro.status.{target.lower()}", imported.order_id)
    assert [(r.subject, r.status, r.reason) for r in outcome.results] == [
        (target, ExecutionStatus.DONE, f"set {target} (was NEW)")
    ]
    assert _status(world, imported.form_id) == target
    assert world.allegro_calls(PUT) == 1
    put = world.allegro.calls(PUT)[0]
    # The PUT carries the revision the form was read at (a status change keeps it).
    assert ("checkoutForm.revision", _revision(world, imported.form_id)) in put.request.query


def _revision(world: World, form_id: str) -> str:
    return str(world.allegro.checkout_form(form_id)["revision"])


def test_a_status_allegro_already_has_is_skipped_without_a_put(world: World, flavour: str) -> None:
    imported = world.import_form(fulfillment_status="PROCESSING")
    outcome = world.runner(flavour).dispatch(PROCESSING, imported.order_id)
    assert [(r.status, r.reason) for r in outcome.results] == [
        (ExecutionStatus.SKIPPED, "allegro already has PROCESSING")
    ]
    assert world.allegro_calls(PUT) == 0
    assert world.allegro.fulfillment_changes(imported.form_id) == 0
    stored = world.ledger.execution(world.account, PROCESSING, imported.order_id, "PROCESSING")
    assert stored is not None
    assert (stored.state, stored.reason) == (
        ExecutionState.SKIPPED,
        "allegro already has PROCESSING",
    )


@pytest.mark.parametrize(
    ("allegro_has", "target"),
    [
        ("SENT", "PROCESSING"),
        ("SENT", "READY_FOR_SHIPMENT"),
        ("PICKED_UP", "READY_FOR_PICKUP"),
        ("READY_FOR_SHIPMENT", "PROCESSING"),
        ("CANCELLED", "SENT"),
        ("RETURNED", "CANCELLED"),
        ("RETURNED", "SENT"),
    ],
)
def test_allegro_is_never_moved_backwards_nor_out_of_cancelled_or_returned(
    world: World, flavour: str, allegro_has: str, target: str
) -> None:
    imported = world.import_form(fulfillment_status=allegro_has)
    outcome = world.runner(flavour).dispatch(f"allegro.status.{target.lower()}", imported.order_id)
    assert [(r.status, r.reason) for r in outcome.results] == [
        (ExecutionStatus.SKIPPED, f"allegro ahead: {allegro_has}")
    ]
    assert world.allegro_calls(PUT) == 0
    assert _status(world, imported.form_id) == allegro_has


def test_a_registered_variant_may_move_allegro_backwards(world: World, flavour: str) -> None:
    imported = world.import_form(fulfillment_status="SENT")
    registry = builtin_registry()
    registry.register(
        StatusProcedure("PROCESSING", key="shop.back-to-processing", allow_backwards=True)
    )
    outcome = world.runner(flavour, registry=registry).dispatch(
        "shop.back-to-processing", imported.order_id
    )
    assert outcome.results[0].status is ExecutionStatus.DONE
    assert _status(world, imported.form_id) == "PROCESSING"


def _buyer_edits_before_put(world: World, form_id: str, times: int) -> Any:
    """Before the first ``times`` fulfillment PUTs, the buyer changes the delivery address:
    Allegro gives the form a new revision, so the PUT's revision is stale."""
    left = [times]

    def before(request: httpx.Request) -> None:
        if request.method == "PUT" and request.url.path.endswith("/fulfillment") and left[0]:
            left[0] -= 1
            world.allegro.modify_delivery_address(form_id, street=f"ul. Nowa {left[0] + 1}")

    return before


def test_a_stale_revision_is_read_again_and_retried_once(world: World, flavour: str) -> None:
    imported = world.import_form()
    runner = world.runner(flavour, before=_buyer_edits_before_put(world, imported.form_id, 1))
    outcome = runner.dispatch(PROCESSING, imported.order_id)
    assert outcome.results[0].status is ExecutionStatus.DONE
    assert [c.status for c in world.allegro.calls(PUT)] == [409, 204]
    assert world.allegro_calls(GET) == 2
    assert _status(world, imported.form_id) == "PROCESSING"


def test_a_revision_stale_twice_is_a_failure_retried_later(
    world: World, flavour: str, fake_clock: FakeClock
) -> None:
    imported = world.import_form()
    settings = ProcedureSettings(owner="w", retry_base=60)
    stale = world.runner(
        flavour, settings=settings, before=_buyer_edits_before_put(world, imported.form_id, 2)
    )
    first = stale.dispatch(PROCESSING, imported.order_id).results[0]
    assert first.status is ExecutionStatus.FAILED
    assert isinstance(first.error, StaleRevisionError)
    assert [c.status for c in world.allegro.calls(PUT)] == [409, 409]
    fake_clock.advance(60)
    again = world.runner(flavour, settings=settings).retry_due()
    assert [(r.subject, r.status) for _, r in again.results()] == [
        ("PROCESSING", ExecutionStatus.DONE)
    ]
    assert _status(world, imported.form_id) == "PROCESSING"


def test_a_refusal_surfaces_allegros_message_in_a_typed_error(
    checked: Checked, fake_clock: FakeClock, flavour: str
) -> None:
    for world in make_world(checked, fake_clock, fulfillment_change_limit=0):
        imported = world.import_form()
        result = world.runner(flavour).dispatch(PROCESSING, imported.order_id).results[0]
        message = f"Failed to set status PROCESSING on order {imported.form_id}."
        assert result.status is ExecutionStatus.QUARANTINED
        assert isinstance(result.error, AllegroRefusedError)
        assert result.error.allegro_message == message
        assert result.error.codes == ("SellerOrdersStoreUnprocessableEntityException",)
        stored = world.ledger.execution(world.account, PROCESSING, imported.order_id, "PROCESSING")
        assert stored is not None
        assert stored.quarantined
        assert message in (stored.last_error or "")


def test_one_fulfillment_is_refused_recorded_skipped_and_nothing_written(
    world: World, flavour: str
) -> None:
    imported = world.import_form(provider="ALLEGRO")
    outcome = world.runner(flavour).dispatch(PROCESSING, imported.order_id)
    result = outcome.results[0]
    assert result.status is ExecutionStatus.SKIPPED
    assert isinstance(result.error, OneFulfillmentError)
    assert world.allegro_writes() == []
    stored = world.ledger.execution(world.account, PROCESSING, imported.order_id, "PROCESSING")
    assert stored is not None
    assert stored.state is ExecutionState.SKIPPED
    assert "One Fulfillment" in (stored.reason or "")
    with pytest.raises(OneFulfillmentError):
        outcome.raise_for_error()


def test_a_503_is_recorded_failed_runs_again_later_then_done(
    world: World, flavour: str, fake_clock: FakeClock
) -> None:
    imported = world.import_form()
    world.allegro.faults.inject(Fault.server_error(503), route=PUT, times=1)
    settings = ProcedureSettings(owner="w", retry_base=120)
    runner = world.runner(flavour, settings=settings)
    first = runner.dispatch(PROCESSING, imported.order_id).results[0]
    assert first.status is ExecutionStatus.FAILED
    assert first.execution is not None
    assert (first.execution.attempts, first.execution.state) == (1, ExecutionState.FAILED)
    assert first.execution.next_retry_at == pytest.approx(fake_clock.time() + 120)
    assert runner.retry_due().outcomes == ()
    assert (
        runner.dispatch(PROCESSING, imported.order_id).results[0].status is ExecutionStatus.NOT_DUE
    )
    fake_clock.advance(120)
    report = runner.retry_due()
    assert [r.status for _, r in report.results()] == [ExecutionStatus.DONE]
    assert _status(world, imported.form_id) == "PROCESSING"
    assert [c.status for c in world.allegro.calls(PUT)] == [503, 204]


def test_failures_back_off_and_end_in_quarantine(
    world: World, flavour: str, fake_clock: FakeClock
) -> None:
    imported = world.import_form()
    world.allegro.faults.inject(Fault.server_error(503), route=PUT, times=None)
    settings = ProcedureSettings(owner="w", retry_base=10, max_attempts=3)
    runner = world.runner(flavour, settings=settings)
    waits = []
    for _ in range(3):
        result = runner.dispatch(PROCESSING, imported.order_id).results[0]
        assert result.execution is not None
        if result.execution.next_retry_at is not None:
            waits.append(result.execution.next_retry_at - fake_clock.time())
            fake_clock.advance(result.execution.next_retry_at - fake_clock.time())
    assert waits == [pytest.approx(10), pytest.approx(20)]
    assert result.status is ExecutionStatus.QUARANTINED
    assert (
        runner.dispatch(PROCESSING, imported.order_id).results[0].status is ExecutionStatus.ON_HOLD
    )
    world.ledger.release_execution(world.account, PROCESSING, imported.order_id, "PROCESSING")
    world.allegro.faults.clear()
    assert runner.dispatch(PROCESSING, imported.order_id).results[0].status is ExecutionStatus.DONE


def test_a_non_allegro_order_is_rejected_with_no_allegro_call(world: World, flavour: str) -> None:
    shop = world.plenty.add_referrer("Shop", referrer_id="1")
    imported = world.import_form(bind=False, referrer=shop)
    world.allegro.clear_calls()
    with pytest.raises(NotFromAllegroError):
        world.runner(flavour).dispatch(PROCESSING, imported.order_id)
    assert world.allegro.calls() == []


# --- concurrency -----------------------------------------------------------------------------


def test_eight_concurrent_dispatches_of_one_execution_make_one_allegro_call(
    world: World, flavour: str
) -> None:
    imported = world.import_form()
    runner = world.runner(flavour, before=slow_form_reads(0.05))
    outcomes = concurrently(runner, 8, PROCESSING, imported.order_id)
    statuses = [o.results[0].status for o in outcomes]
    assert statuses.count(ExecutionStatus.DONE) == 1
    # The others found it running (or, arriving late, done): none of them called Allegro.
    assert set(statuses) - {ExecutionStatus.DONE} <= {
        ExecutionStatus.HELD,
        ExecutionStatus.ALREADY_FINAL,
    }
    assert world.allegro_calls(PUT) == 1
    assert world.allegro_calls(GET) == 1


def test_negative_control_without_the_execution_claim_concurrent_dispatches_call_twice(
    world: World, flavour: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def only_final(row: Any, owner: str, now: float) -> ExecutionBlock | None:
        return ExecutionBlock.FINAL if row.execution.final else None

    def as_if_held(row: Any, claim: Any) -> Any:
        return ledger_rules.ExecutionRow(row.execution, claim.owner, claim.epoch, claim.lease_until)

    # The claim disabled: anyone begins an unfinished execution, and any claim is honoured.
    monkeypatch.setattr(ledger_rules, "blocked", only_final)
    monkeypatch.setattr(ledger_rules, "held", as_if_held)
    imported = world.import_form()
    runner = world.runner(flavour, before=slow_form_reads(0.05))
    concurrently(runner, 8, PROCESSING, imported.order_id)
    assert world.allegro_calls(PUT) > 1


@pytest.mark.parametrize("kind", ["sqlite", "async sqlite"])
def test_the_runners_work_on_sqlite_and_the_async_one_on_an_async_ledger(
    world: World, flavour: str, kind: str, tmp_path: Any, fake_clock: FakeClock
) -> None:
    from allegro_plenty.ledger import AsyncLedger, SqliteLedger

    if kind == "async sqlite" and flavour == "sync":
        pytest.skip("a sync runner takes a sync ledger")
    sqlite = SqliteLedger(tmp_path / "ledger.db", clock=fake_clock.time)
    world.ledger = sqlite
    imported = world.import_form()
    ledger = AsyncLedger(sqlite) if kind == "async sqlite" else sqlite
    runner = world.runner(flavour, ledger=ledger)
    outcome = runner.dispatch(PROCESSING, imported.order_id)
    assert outcome.results[0].status is ExecutionStatus.DONE
    stored = sqlite.execution(world.account, PROCESSING, imported.order_id, "PROCESSING")
    assert stored is not None
    assert stored.state is ExecutionState.DONE
    if isinstance(ledger, AsyncLedger):
        runner.run(ledger.close())
