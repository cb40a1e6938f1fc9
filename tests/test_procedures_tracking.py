"""*Allegro : Provide tracking number* against the fakes, sync and async."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from allegro_plenty.errors import (
    AllegroRefusedError,
    CarrierNotMappedError,
    LineItemsUnclearError,
    OneFulfillmentError,
)
from allegro_plenty.ledger import ExecutionState
from allegro_plenty.procedures import (
    CarrierMap,
    CarrierMapping,
    ExecutionStatus,
    ProcedureConfig,
    UnmappedCarrier,
)
from allegro_plenty.procedures.builtins import TRACKING_KEY, normalize_waybill
from allegro_plenty.testing import FakeClock, Fault

from .fakes_support import Checked
from .procedures_support import (
    FLAVOURS,
    LONG_NAMED_PROFILE,
    LONG_SERVICE,
    World,
    make_world,
)

POST = "POST /order/checkout-forms/{id}/shipments"
MAPPED = ProcedureConfig(carriers=CarrierMap({6: "DPD", 7: "INPOST"}))


@pytest.fixture
def world(checked: Checked, fake_clock: FakeClock) -> Iterator[World]:
    yield from make_world(checked, fake_clock)


@pytest.fixture(params=FLAVOURS)
def flavour(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _posts(world: World) -> list[dict[str, Any]]:
    return [json.loads(c.request.body) for c in world.allegro.calls(POST)]


def test_normalizing_a_waybill_trims_removes_spaces_and_upper_cases() -> None:
    assert normalize_waybill("  ab 1234\t56 pl ") == "AB123456PL"
    assert normalize_waybill(None) == ""


def test_a_package_number_is_posted_with_its_carrier_and_line_items(
    world: World, flavour: str
) -> None:
    imported = world.import_form(items=2)
    world.package(imported, " 0000 1234 5678 ")
    outcome = world.runner(flavour, config=MAPPED).dispatch(TRACKING_KEY, imported.order_id)
    assert [(r.subject, r.status, r.reason) for r in outcome.results] == [
        ("000012345678", ExecutionStatus.DONE, "posted under DPD")
    ]
    assert _posts(world) == [
        {
            "carrierId": "DPD",
            "waybill": "000012345678",
            "lineItems": [{"id": line} for line in imported.line_ids()],
        }
    ]
    stored = world.ledger.execution(world.account, TRACKING_KEY, imported.order_id, "000012345678")
    assert stored is not None
    assert stored.state is ExecutionState.DONE
    assert stored.data["line_items"] == imported.line_ids()


def test_two_packages_added_ten_minutes_apart_give_two_posts_each_with_its_line_items(
    world: World, flavour: str, fake_clock: FakeClock
) -> None:
    imported = world.import_form(items=2)
    first, second = imported.line_ids()
    runner = world.runner(flavour, config=MAPPED)
    world.package(imported, "PARCEL-1", [first])
    assert runner.dispatch(TRACKING_KEY, imported.order_id).done
    fake_clock.advance(600)
    world.package(imported, "PARCEL-2", [second])
    outcome = runner.dispatch(TRACKING_KEY, imported.order_id)
    assert [(r.subject, r.status) for r in outcome.results] == [
        ("PARCEL-1", ExecutionStatus.ALREADY_FINAL),
        ("PARCEL-2", ExecutionStatus.DONE),
    ]
    assert [(p["waybill"], p["lineItems"]) for p in _posts(world)] == [
        ("PARCEL-1", [{"id": first}]),
        ("PARCEL-2", [{"id": second}]),
    ]
    assert len(world.allegro.shipments(imported.form_id)) == 2


def test_delivery_orders_packages_go_out_under_their_own_profile_else_the_parents(
    world: World, flavour: str
) -> None:
    imported = world.import_form(items=2)
    first, second = imported.line_ids()
    own = world.delivery_order(imported, [first])
    inherited = world.delivery_order(imported, [second])
    world.plenty.set_order_property(own, 2, "7")
    world.plenty.set_order_property(inherited, 2, None)
    world.package(imported, "INPOST-1", [first], holder=own)
    world.package(imported, "DPD-1", [second], holder=inherited)
    runner = world.runner(flavour, config=MAPPED)
    # Dispatched on one delivery order, only its packages go.
    outcome = runner.dispatch(TRACKING_KEY, own)
    assert [(r.subject, r.status) for r in outcome.results] == [("INPOST-1", ExecutionStatus.DONE)]
    outcome = runner.dispatch(TRACKING_KEY, imported.order_id)
    assert [(r.subject, r.status) for r in outcome.results] == [
        ("INPOST-1", ExecutionStatus.ALREADY_FINAL),
        ("DPD-1", ExecutionStatus.DONE),
    ]
    assert [(p["carrierId"], p["waybill"], p["lineItems"]) for p in _posts(world)] == [
        ("INPOST", "INPOST-1", [{"id": first}]),
        ("DPD", "DPD-1", [{"id": second}]),
    ]


@pytest.mark.parametrize("listed_under", ["DPD", "ALLEGRO"])
def test_a_waybill_allegro_already_lists_under_any_carrier_is_not_posted(
    world: World, flavour: str, listed_under: str
) -> None:
    imported = world.import_form()
    world.allegro.add_shipment(imported.form_id, "AB123456785PL", carrier_id=listed_under)
    world.package(imported, "ab 1234 5678 5pl")
    outcome = world.runner(flavour, config=MAPPED).dispatch(TRACKING_KEY, imported.order_id)
    assert [(r.status, r.reason) for r in outcome.results] == [
        (ExecutionStatus.SKIPPED, f"waybill already on Allegro (carrier {listed_under})")
    ]
    assert world.allegro_calls(POST) == 0


def test_a_lost_answer_is_not_posted_again_on_the_next_run(
    world: World, flavour: str, fake_clock: FakeClock
) -> None:
    imported = world.import_form()
    world.package(imported, "LOST-1")
    world.allegro.faults.inject(Fault.response_lost("server_error"), route=POST)
    runner = world.runner(flavour, config=MAPPED)
    first = runner.dispatch(TRACKING_KEY, imported.order_id).results[0]
    assert first.status is ExecutionStatus.FAILED
    assert first.error is not None
    assert first.error.may_have_taken_effect  # type: ignore[attr-defined]
    fake_clock.advance(3600)
    again = runner.retry_due()
    assert [(r.status, r.reason) for _, r in again.results()] == [
        (ExecutionStatus.SKIPPED, "waybill already on Allegro (carrier DPD)")
    ]
    assert len(world.allegro.shipments(imported.form_id)) == 1


def test_an_unmapped_profile_goes_out_as_other_named_after_its_parcel_service(
    world: World, flavour: str
) -> None:
    imported = world.import_form(profile=LONG_NAMED_PROFILE)
    world.package(imported, "PALLET-1")
    outcome = world.runner(flavour, config=MAPPED).dispatch(TRACKING_KEY, imported.order_id)
    name = LONG_SERVICE[:30].strip()
    assert outcome.results[0].reason == f"posted under OTHER ({name})"
    (posted,) = _posts(world)
    assert (posted["carrierId"], posted["carrierName"]) == ("OTHER", name)
    assert len(posted["carrierName"]) <= 30


def test_an_other_mapping_names_its_carrier(world: World, flavour: str) -> None:
    imported = world.import_form(profile=LONG_NAMED_PROFILE)
    world.package(imported, "PALLET-1")
    config = ProcedureConfig(
        carriers=CarrierMap({LONG_NAMED_PROFILE: CarrierMapping("OTHER", "Raben")})
    )
    world.runner(flavour, config=config).dispatch(TRACKING_KEY, imported.order_id)
    assert [(p["carrierId"], p["carrierName"]) for p in _posts(world)] == [("OTHER", "Raben")]


@pytest.mark.parametrize(
    ("config", "complaint"),
    [
        (ProcedureConfig(unmapped_carrier=UnmappedCarrier.FAIL), "is not in the carrier map"),
        (
            ProcedureConfig(carriers=CarrierMap({6: "NO_SUCH_CARRIER"})),
            "'NO_SUCH_CARRIER', which Allegro does not list",
        ),
    ],
)
def test_a_carrier_that_cannot_be_given_quarantines_the_waybill_and_posts_nothing(
    world: World, flavour: str, config: ProcedureConfig, complaint: str
) -> None:
    imported = world.import_form()
    world.package(imported, "PARCEL-1")
    result = world.runner(flavour, config=config).dispatch(TRACKING_KEY, imported.order_id)
    (only,) = result.results
    assert only.status is ExecutionStatus.QUARANTINED
    assert isinstance(only.error, CarrierNotMappedError)
    assert complaint in str(only.error)
    assert world.allegro_calls(POST) == 0


@pytest.mark.parametrize("fallback", [True, False])
def test_a_waybill_refused_for_its_format_falls_back_to_other_once(
    checked: Checked, fake_clock: FakeClock, flavour: str, fallback: bool
) -> None:
    for world in make_world(checked, fake_clock, waybill_formats={"DPD": r"\d{14}"}):
        imported = world.import_form()
        world.package(imported, "ZZ-NOT-DPD-1")
        config = ProcedureConfig(carriers=CarrierMap({6: "DPD"}), waybill_format_fallback=fallback)
        (result,) = (
            world.runner(flavour, config=config).dispatch(TRACKING_KEY, imported.order_id).results
        )
        posts = [(p["carrierId"], p.get("carrierName")) for p in _posts(world)]
        if fallback:
            assert result.status is ExecutionStatus.DONE
            assert posts == [("DPD", None), ("OTHER", "DPD")]
            assert [s["carrierId"] for s in world.allegro.shipments(imported.form_id)] == ["OTHER"]
        else:
            assert result.status is ExecutionStatus.QUARANTINED
            assert isinstance(result.error, AllegroRefusedError)
            assert result.error.allegro_message == "Provided waybill is not valid for this carrier"
            assert posts == [("DPD", None)]


def test_unclear_line_items_go_out_without_them_for_the_only_package(
    world: World, flavour: str
) -> None:
    imported = world.import_form(items=2, same_variation=True)
    world.package(imported, "ONLY-1", imported.line_ids()[:1])
    outcome = world.runner(flavour, config=MAPPED).dispatch(TRACKING_KEY, imported.order_id)
    assert outcome.results[0].status is ExecutionStatus.DONE
    assert _posts(world) == [{"carrierId": "DPD", "waybill": "ONLY-1"}]


def test_unclear_line_items_with_several_packages_fail_naming_why(
    world: World, flavour: str
) -> None:
    imported = world.import_form(items=2, same_variation=True)
    first, second = imported.line_ids()
    world.package(imported, "PART-1", [first])
    world.package(imported, "PART-2", [second])
    outcome = world.runner(flavour, config=MAPPED).dispatch(TRACKING_KEY, imported.order_id)
    assert [r.status for r in outcome.results] == [ExecutionStatus.QUARANTINED] * 2
    error = outcome.results[0].error
    assert isinstance(error, LineItemsUnclearError)
    assert "is in several line items" in str(error)
    assert world.allegro_calls(POST) == 0


def test_one_fulfillment_is_refused_with_no_allegro_write(world: World, flavour: str) -> None:
    imported = world.import_form(provider="ALLEGRO")
    world.package(imported, "WAREHOUSE-1")
    (result,) = (
        world.runner(flavour, config=MAPPED).dispatch(TRACKING_KEY, imported.order_id).results
    )
    assert result.status is ExecutionStatus.SKIPPED
    assert isinstance(result.error, OneFulfillmentError)
    assert world.allegro_writes() == []


def test_a_dispatch_naming_one_waybill_runs_only_that_one(world: World, flavour: str) -> None:
    imported = world.import_form(items=2)
    first, second = imported.line_ids()
    world.package(imported, "PARCEL-1", [first])
    world.package(imported, "PARCEL-2", [second])
    outcome = world.runner(flavour, config=MAPPED).dispatch(
        TRACKING_KEY, imported.order_id, "PARCEL-2"
    )
    assert [(r.subject, r.status) for r in outcome.results] == [("PARCEL-2", ExecutionStatus.DONE)]
    assert [p["waybill"] for p in _posts(world)] == ["PARCEL-2"]


def test_an_order_without_packages_does_nothing(world: World, flavour: str) -> None:
    imported = world.import_form()
    outcome = world.runner(flavour, config=MAPPED).dispatch(TRACKING_KEY, imported.order_id)
    assert outcome.results == ()
    assert world.allegro.calls() == []
