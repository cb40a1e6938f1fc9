"""Eligibility: which forms become orders, as a decision (``SkippedOrder``), never an error."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from decimal import Decimal
from typing import Any

import attrs
import pytest

from allegro_plenty.allegro.models import CheckoutForm, FulfillmentStatus
from allegro_plenty.errors import MappingError
from allegro_plenty.mapping import (
    MappingConfig,
    MappingResult,
    OneFulfillmentPolicy,
    OrderDraft,
    OrderMapper,
    SkippedOrder,
    SkipReason,
)

from .mapping_support import CONFIG, LENIENT, fixture

ONE_FULFILLMENT_READY = attrs.evolve(
    CONFIG,
    one_fulfillment=OneFulfillmentPolicy.IMPORT,
    one_fulfillment_status_id=Decimal("5.9"),
    one_fulfillment_warehouse_id=7,
)
DO_NOT_SHIP = "Allegro One Fulfillment: Allegro's warehouse ships this order. Do not ship it."


def form_of(name: str, **changes: Any) -> CheckoutForm:
    """Fixture ``name`` with top-level ``status``, ``fulfillment`` … replaced (None deletes)."""
    data = copy.deepcopy(fixture(name).raw)
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return LENIENT.structure(data, CheckoutForm)


def mapped(name: str, config: MappingConfig = CONFIG, **changes: Any) -> MappingResult:
    return OrderMapper(config).map(form_of(name, **changes), fixture(name).context())


def fulfillment(status: str | None, provider: str = "SELLER") -> dict[str, Any]:
    part: dict[str, Any] = {"provider": {"id": provider}}
    if status is not None:
        part["status"] = status
    return part


# --- the table --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "reason", "final"),
    [
        ("BOUGHT", SkipReason.NOT_READY, False),
        ("FILLED_IN", SkipReason.NOT_READY, False),
        ("PAID_IN_INSTALMENTS_2031", SkipReason.NOT_READY, False),  # unknown: wait, never import
        ("CANCELLED", SkipReason.BUYER_CANCELLED, True),
    ],
)
def test_a_form_not_ready_for_processing_is_skipped(
    status: str, reason: SkipReason, final: bool
) -> None:
    # Used to raise MappingError, which an importer quarantines: a form paid
    # tomorrow would be lost. Now a decision, final only for a buyer's cancellation.
    result = mapped("f01_pl_courier_basic", status=status)
    assert isinstance(result, SkippedOrder)
    assert result.checkout_form_id == fixture("f01_pl_courier_basic").raw["id"]
    assert (result.reason, result.final) == (reason, final)
    assert (status in result.message) or (reason is SkipReason.BUYER_CANCELLED)


@pytest.mark.parametrize(
    "status", ["READY_FOR_SHIPMENT", "READY_FOR_PICKUP", "SENT", "PICKED_UP", "CANCELLED",
               "SUSPENDED", "RETURNED", "AWAITING_PICKUP_SLOT", None],
)  # fmt: skip
def test_a_fulfillment_status_outside_the_set_waits(status: str | None) -> None:
    # SENT ships twice, CANCELLED (by the seller) ships goods that must not go;
    # not final: a seller can set a status back.
    result = mapped("f01_pl_courier_basic", fulfillment=fulfillment(status))
    assert isinstance(result, SkippedOrder)
    assert (result.reason, result.final) == (SkipReason.FULFILLMENT_STATUS, False)
    assert "only NEW, PROCESSING are imported" in result.message


def test_a_form_without_fulfillment_waits() -> None:
    result = mapped("f01_pl_courier_basic", fulfillment=None)
    assert isinstance(result, SkippedOrder)
    assert (result.reason, result.final) == (SkipReason.FULFILLMENT_STATUS, False)
    assert result.message.startswith("fulfillment status absent")


@pytest.mark.parametrize("status", ["NEW", "PROCESSING"])
def test_new_and_processing_forms_are_imported(status: str) -> None:
    assert isinstance(mapped("f01_pl_courier_basic", fulfillment=fulfillment(status)), OrderDraft)


def test_cash_on_delivery_reaches_ready_for_processing_unpaid_and_is_imported() -> None:
    assert isinstance(mapped("f04_pl_cash_on_delivery"), OrderDraft)


def test_the_fulfillment_statuses_are_configurable() -> None:
    wider = attrs.evolve(CONFIG, fulfillment_statuses={"NEW", FulfillmentStatus.READY_FOR_SHIPMENT})
    ready = fulfillment("READY_FOR_SHIPMENT")
    assert isinstance(mapped("f01_pl_courier_basic", wider, fulfillment=ready), OrderDraft)
    result = mapped("f01_pl_courier_basic", wider, fulfillment=fulfillment("PROCESSING"))
    assert isinstance(result, SkippedOrder)
    assert result.reason is SkipReason.FULFILLMENT_STATUS
    assert "only NEW, READY_FOR_SHIPMENT are imported" in result.message


@pytest.mark.parametrize(
    "statuses",
    [(), "NEW", ["NEW", "PROCESING"], ["NEW", ""]],
    ids=["empty", "string", "typo", "blank"],
)
def test_a_bad_fulfillment_status_set_is_refused_when_built(statuses: Any) -> None:
    with pytest.raises(ValueError, match="fulfillment_statuses"):
        attrs.evolve(CONFIG, fulfillment_statuses=statuses)


# --- One Fulfillment -----------------------------------------------------------------------------


def test_one_fulfillment_is_imported_by_default_once_configured() -> None:
    defaults = MappingConfig(
        plenty_id=1000,
        status_id=Decimal(5),
        default_payment_method_id=6001,
        default_shipping_profile_id=10,
        one_fulfillment_status_id=Decimal("5.9"),
        one_fulfillment_warehouse_id=7,
    )
    assert defaults.one_fulfillment is OneFulfillmentPolicy.IMPORT
    draft = mapped("f13_pl_one_fulfillment", defaults)
    assert isinstance(draft, OrderDraft)
    assert draft.order.status_id == Decimal("5.9")
    assert [(p.type_id, p.value) for p in draft.order.properties if p.type_id == 1] == [(1, "7")]
    assert draft.comments[0].text.split("\n")[0] == DO_NOT_SHIP


def test_one_fulfillment_without_its_status_and_warehouse_waits_and_the_config_builds() -> None:
    for missing in ("one_fulfillment_status_id", "one_fulfillment_warehouse_id"):
        config = attrs.evolve(ONE_FULFILLMENT_READY, **{missing: None})  # builds
        result = mapped("f13_pl_one_fulfillment", config)
        assert isinstance(result, SkippedOrder)
        assert (result.reason, result.final) == (
            SkipReason.ONE_FULFILLMENT_NOT_CONFIGURED,
            False,
        )


def test_one_fulfillment_can_still_be_skipped_for_good() -> None:
    result = mapped(
        "f13_pl_one_fulfillment", attrs.evolve(CONFIG, one_fulfillment=OneFulfillmentPolicy.SKIP)
    )
    assert isinstance(result, SkippedOrder)
    assert (result.reason, result.final) == (SkipReason.ONE_FULFILLMENT, True)


def test_a_buyer_cancellation_wins_over_one_fulfillment() -> None:
    result = mapped("f13_pl_one_fulfillment", status="CANCELLED")
    assert isinstance(result, SkippedOrder)
    assert result.reason is SkipReason.BUYER_CANCELLED


class LetsEverythingThrough(OrderMapper):
    """A subclass whose eligibility imports every form."""

    def eligibility(self, form: CheckoutForm) -> SkippedOrder | None:
        return None


def test_one_fulfillment_never_gets_the_normal_status_or_warehouse() -> None:
    # Even when a subclass lets an unconfigured One Fulfillment form through.
    source = fixture("f13_pl_one_fulfillment")
    config = attrs.evolve(CONFIG, one_fulfillment=OneFulfillmentPolicy.IMPORT)
    with pytest.raises(MappingError, match="one_fulfillment_status_id") as caught:
        LetsEverythingThrough(config).map(source.form(), source.context())
    assert caught.value.field_path == "fulfillment.provider"
    configured_status = attrs.evolve(config, one_fulfillment_status_id=Decimal("5.9"))
    with pytest.raises(MappingError, match="one_fulfillment_warehouse_id"):
        LetsEverythingThrough(configured_status).map(source.form(), source.context())


# --- a public, pure, overridable step -------------------------------------------------------------


def test_eligibility_needs_no_context_and_is_what_map_returns() -> None:
    mapper = OrderMapper(CONFIG)
    sent = form_of("f01_pl_courier_basic", fulfillment=fulfillment("SENT"))
    decided = mapper.eligibility(sent)
    assert decided is not None
    assert mapper.map(sent, fixture("f01_pl_courier_basic").context()) == decided
    assert mapper.eligibility(form_of("f01_pl_courier_basic")) is None


def test_a_subclass_decides_eligibility_its_own_way() -> None:
    class OnlyPoland(OrderMapper):
        def eligibility(self, form: CheckoutForm) -> SkippedOrder | None:
            marketplace = form.marketplace.id if form.marketplace else None
            if marketplace != "allegro-pl":
                return SkippedOrder(form.id, SkipReason.NOT_READY, True, "not our marketplace")
            return super().eligibility(form)

    skipped = OnlyPoland(CONFIG).map(
        fixture("f14_cz_consumer").form(), fixture("f14_cz_consumer").context()
    )
    assert skipped == SkippedOrder(
        fixture("f14_cz_consumer").raw["id"], SkipReason.NOT_READY, True, "not our marketplace"
    )
    assert isinstance(mapped("f14_cz_consumer"), OrderDraft)
    result = OnlyPoland(CONFIG).map(
        form_of("f01_pl_courier_basic", status="BOUGHT"), fixture("f01_pl_courier_basic").context()
    )
    assert isinstance(result, SkippedOrder)
    assert result.reason is SkipReason.NOT_READY


def test_skip_messages_carry_no_personal_data() -> None:
    personal = ("Katarzyna", "Kowalska", "Długa", "601 234 567", "allegromail", "85010112345")
    for changes in (
        {"status": "FILLED_IN"},
        {"status": "CANCELLED"},
        {"fulfillment": fulfillment("SENT")},
        {"fulfillment": fulfillment("NEW", "ALLEGRO")},
    ):
        for config in (CONFIG, attrs.evolve(CONFIG, one_fulfillment=OneFulfillmentPolicy.IMPORT)):
            result = mapped("f01_pl_courier_basic", config, **changes)
            assert isinstance(result, SkippedOrder)
            assert result.message
            assert not [p for p in personal if p in result.message], result


# --- the configuration's fingerprint -------------------------------------------------------------

FINGERPRINT_SCRIPT = """
import sys
from decimal import Decimal
from allegro_plenty.mapping import MappingConfig, OneFulfillmentPolicy
config = MappingConfig(
    plenty_id=1,
    status_id=Decimal(5),
    fulfillment_statuses=["PROCESSING", "NEW", "READY_FOR_SHIPMENT", "SENT"],
    one_fulfillment=OneFulfillmentPolicy.SKIP,
)
if sys.argv[1] == "naive":  # what a process-dependent fingerprint would give
    print(hash(frozenset(map(str, config.fulfillment_statuses))))
else:
    print(config.fingerprint())
"""


def _fingerprints_across_processes(kind: str) -> set[str]:
    found = set()
    for seed in ("0", "1", "2", "12345"):
        done = subprocess.run(
            [sys.executable, "-c", FINGERPRINT_SCRIPT, kind],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        found.add(done.stdout.strip())
    return found


def test_the_fingerprint_is_the_same_in_every_process() -> None:
    found = _fingerprints_across_processes("fingerprint")
    assert len(found) == 1
    (value,) = found
    assert len(value) == 16
    assert int(value, 16) >= 0
    # Negative control: the harness does notice a value that depends on the process.
    assert len(_fingerprints_across_processes("naive")) > 1


def test_the_fingerprint_follows_the_eligibility_settings_and_only_them() -> None:
    base = CONFIG.fingerprint()
    assert base == attrs.evolve(CONFIG).fingerprint()
    changed = [
        attrs.evolve(CONFIG, fulfillment_statuses={"NEW"}),
        attrs.evolve(CONFIG, fulfillment_statuses={"NEW", "PROCESSING", "SENT"}),
        attrs.evolve(CONFIG, one_fulfillment=OneFulfillmentPolicy.IMPORT),
        ONE_FULFILLMENT_READY,
    ]
    values = [config.fingerprint() for config in changed]
    assert base not in values
    assert len(set(values)) == len(values)
    same = [
        attrs.evolve(CONFIG, fulfillment_statuses=["PROCESSING", FulfillmentStatus.NEW]),
        attrs.evolve(CONFIG, status_id=Decimal(7), plenty_id=2, warehouse_id=None),
        attrs.evolve(CONFIG, payment_method_ids={}, language="cs"),
    ]
    assert {config.fingerprint() for config in same} == {base}
    # What counts for One Fulfillment is whether it is configured, not which ids.
    other_ids = attrs.evolve(
        ONE_FULFILLMENT_READY, one_fulfillment_status_id=Decimal(9), one_fulfillment_warehouse_id=3
    )
    assert other_ids.fingerprint() == ONE_FULFILLMENT_READY.fingerprint()
