"""The polling trigger: status transitions, created orders, the tracking sweep, the echo guard.

Driven through ProcedurePoller / AsyncProcedurePoller against both fakes; every
request the procedures send is checked against the official specs. The tests of
the importer's own orders (created, adopted, cancelled by the buyer) run the
real importer first.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from allegro_plenty.errors import ConfigurationError, UnknownProcedureError
from allegro_plenty.ledger import ExecutionState
from allegro_plenty.procedures import (
    AsyncProcedurePoller,
    AsyncProcedureRunner,
    CreatedRule,
    PollReport,
    PollSettings,
    ProcedurePoller,
    ProcedureRunner,
    ProcedureSettings,
    StatusRule,
    TrackingSweep,
)
from allegro_plenty.procedures import poll as poll_module
from allegro_plenty.testing import FakeClock

from . import importer_support
from .fakes_support import (
    Checked,
    async_allegro_client,
    async_plenty_client,
    plenty_client,
)
from .fakes_support import allegro_client as sync_allegro_client
from .procedures_support import (
    FLAVOURS,
    AsyncFace,
    Poll,
    World,
    make_world,
    poller,
    request_violations,
)

PROCESSING = "allegro.status.processing"
READY = "allegro.status.ready_for_shipment"
SENT = "allegro.status.sent"
CANCELLED = "allegro.status.cancelled"
TRACKING = "allegro.tracking"
FULFILLMENT = "PUT /order/checkout-forms/{id}/fulfillment"
SHIPMENTS = "POST /order/checkout-forms/{id}/shipments"


@pytest.fixture
def world(checked: Checked, fake_clock: FakeClock) -> Iterator[World]:
    yield from make_world(checked, fake_clock)


@pytest.fixture(params=FLAVOURS)
def flavour(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def ran(report: PollReport) -> list[tuple[str, int, str]]:
    """(procedure, order dispatched, status) of every execution the poll ran."""
    return [
        (outcome.procedure, outcome.plenty_order_id, result.status.value)
        for outcome, result in report.procedures.results()
    ]


def fulfillment(world: World, form_id: str) -> str:
    return str(world.allegro.checkout_form(form_id)["fulfillment"]["status"])


# --- status transitions ---------------------------------------------------------------------


def test_an_order_moving_4_5_7_between_two_polls_fires_ready_for_shipment_once(
    world: World, flavour: str
) -> None:
    moved = world.import_form(status=4)
    jumped = world.import_form(status=4)
    poll = poller(
        world,
        flavour,
        rules=[StatusRule(READY, from_status=5, below=6), StatusRule(SENT, statuses=[7])],
    )
    assert ran(poll()) == []  # the first poll only notes where the history stands
    world.clock.advance(60)
    world.plenty.set_status(moved.order_id, 5)
    world.clock.advance(60)
    world.plenty.set_status(moved.order_id, 7)
    world.plenty.set_status(jumped.order_id, 7)  # never in 5: READY_FOR_SHIPMENT is not inferred
    report = poll()
    assert ran(report) == [
        (READY, moved.order_id, "done"),
        (SENT, moved.order_id, "done"),
        (SENT, jumped.order_id, "done"),
    ]
    assert report.transitions == 3
    assert fulfillment(world, moved.form_id) == "SENT"
    assert world.allegro_calls(FULFILLMENT) == 3
    # The next polls read the same entries again (the overlap) and fire nothing.
    world.clock.advance(30)
    again = poll()
    assert (ran(again), again.transitions) == ([], 0)
    world.clock.advance(3600)
    assert ran(poll()) == []
    assert world.allegro_calls(FULFILLMENT) == 3


def test_a_transition_after_the_overlap_still_fires_and_earlier_ones_do_not(
    world: World, flavour: str
) -> None:
    first = world.import_form(status=4)
    second = world.import_form(status=4)
    poll = poller(world, flavour, rules=[StatusRule(READY, from_status=5, below=6)])
    poll()
    world.clock.advance(10)
    world.plenty.set_status(first.order_id, 5)
    assert ran(poll()) == [(READY, first.order_id, "done")]
    world.clock.advance(2 * 3600)
    world.plenty.set_status(second.order_id, "5.1")
    assert ran(poll()) == [(READY, second.order_id, "done")]
    stored = world.ledger.cursor(PollSettings().cursor_account, poll_module.HISTORY_CURSOR)
    assert stored is not None
    assert isinstance(stored.value, dict)
    assert len(stored.value["seen"]) == 1  # only the entries within the overlap are kept


def test_a_delivery_orders_transition_fires_a_rule_on_delivery_orders(
    world: World, flavour: str
) -> None:
    imported = world.import_form(status=5)
    delivery = world.delivery_order(imported)
    shop = world.plenty.add_referrer("Shop", referrer_id="1")
    stranger = world.import_form(bind=False, referrer=shop, status=5)
    stranger_delivery = world.plenty.create_delivery_order(stranger.order_id)
    poll = poller(world, flavour, rules=[StatusRule(SENT, statuses=[7], order_types=[2])])
    poll()
    world.clock.advance(60)
    world.plenty.set_status(imported.order_id, 7)  # the sales order: this rule watches deliveries
    world.plenty.set_status(delivery, 7)
    world.plenty.set_status(stranger_delivery, 7)  # a delivery order of no Allegro order
    assert ran(poll()) == [(SENT, delivery, "done")]
    assert fulfillment(world, imported.form_id) == "SENT"


# --- the tracking sweep ---------------------------------------------------------------------


def test_a_package_number_added_without_a_status_change_is_pushed(
    world: World, flavour: str
) -> None:
    imported = world.import_form(status=5)
    split = world.import_form(status=6)
    delivery = world.delivery_order(split)
    poll = poller(world, flavour, tracking=TrackingSweep())
    assert ran(poll()) == []  # no package yet
    world.clock.advance(600)
    world.package(imported, "00340434 1618 2")  # no status change, no updatedAt
    world.package(split, "INPOST-7", holder=delivery)
    report = poll()
    assert sorted(ran(report)) == sorted(
        [(TRACKING, imported.order_id, "done"), (TRACKING, delivery, "done")]
    )
    assert report.swept == 3  # two sales orders and the delivery order
    waybills = [s["waybill"] for s in world.allegro.shipments(imported.form_id)]
    assert waybills == ["0034043416182"]
    assert [s["waybill"] for s in world.allegro.shipments(split.form_id)] == ["INPOST-7"]
    world.clock.advance(600)
    world.package(imported, "PARCEL-2")  # a second package, ten minutes later
    assert ran(poll()) == [(TRACKING, imported.order_id, "done")]
    assert ran(poll()) == []
    assert world.allegro_calls(SHIPMENTS) == 3


def test_orders_leave_the_sweep_past_the_range_or_the_tracking_window(
    world: World, flavour: str
) -> None:
    shipped = world.import_form(status=5)
    old = world.import_form(status=5)
    shop = world.plenty.add_referrer("Shop", referrer_id="1")
    other = world.import_form(bind=False, referrer=shop, status=3)
    poll = poller(world, flavour, tracking=TrackingSweep(tracking_window=timedelta(days=14)))
    poll()
    world.plenty.set_status(shipped.order_id, 8)  # past the range
    world.clock.advance(15 * 86400)
    world.plenty.set_status(other.order_id, 4)  # plentymarkets' clock moves on
    world.package(shipped, "LATE-1")
    world.package(old, "LATE-2")
    report = poll()
    assert (ran(report), report.swept) == ([], 0)
    assert world.allegro_calls(SHIPMENTS) == 0


# --- costs ----------------------------------------------------------------------------------


def test_a_quiet_poll_over_1000_foreign_changes_and_300_swept_orders_reads_plenty_8_times(
    world: World, flavour: str
) -> None:
    allegro_orders = [world.import_form(status=5) for _ in range(300)]
    for imported in allegro_orders:
        world.package(imported, f"PKG{imported.order_id}")
        start = world.ledger.begin_execution(
            world.account, TRACKING, imported.order_id, f"PKG{imported.order_id}", "seed", lease=60
        )
        assert start.claim is not None
        world.ledger.finish_execution(start.claim, ExecutionState.DONE, reason="sent before")
    shop = world.plenty.add_referrer("Shop", referrer_id="1")
    foreign = [world.import_form(bind=False, referrer=shop, status=3) for _ in range(50)]
    world.clock.advance(3600)
    world.plenty.set_status(foreign[0].order_id, 4)
    poll = poller(
        world,
        flavour,
        rules=[
            StatusRule(READY, from_status=5, below=6),
            StatusRule(SENT, statuses=[7]),
            StatusRule(CANCELLED, statuses=[8]),
        ],
        tracking=TrackingSweep(),
    )
    assert ran(poll()) == []
    world.clock.advance(3600)
    for change in range(1000):  # each one a status some rule watches, on orders not ours
        world.plenty.set_status(foreign[change % 50].order_id, (5, 7)[change // 50 % 2])
    world.plenty.clear_calls()
    world.allegro.clear_calls()
    report = poll()
    assert ran(report) == []
    assert (report.transitions, report.swept) == (1000, 300)
    # Status history: 1,001 entries (one re-read in the overlap) in 5 pages of 250;
    # the sweep: 300 orders of the sub-referrer in 2 pages, the parent referrer's in 1.
    assert world.plenty_reads() <= 8
    assert world.allegro.calls() == []


# --- the importer's orders: created, adopted, cancelled ---------------------------------------


def importer_poller(world: importer_support.World, flavour: str, **options: Any) -> Poll:
    """A poller over the importer test world's fakes and ledger."""
    settings = ProcedureSettings(owner=f"poller-{flavour}")
    if flavour == "sync":
        runner = ProcedureRunner(
            plenty=plenty_client(
                world.plenty, world.clock, {"transport": world.plenty.transport()}
            ),
            ledger=world.ledger,
            accounts=[
                (
                    world.seller,
                    sync_allegro_client(
                        world.allegro, world.clock, {"transport": world.allegro.transport()}
                    ),
                )
            ],
            settings=settings,
        )
        return ProcedurePoller(runner, **options).poll_once

    def make() -> AsyncProcedureRunner:
        allegro = async_allegro_client(
            world.allegro, world.clock, {"transport": world.allegro.async_transport()}
        )
        plenty = async_plenty_client(
            world.plenty, world.clock, {"transport": world.plenty.async_transport()}
        )
        return AsyncProcedureRunner(
            plenty=plenty,
            ledger=world.ledger,
            accounts=[(world.seller, allegro)],
            settings=settings,
        )

    face = AsyncFace(make)
    polling = AsyncProcedurePoller(face.runner, **options)
    return lambda: face.run(polling.poll_once())


@pytest.fixture
def importer_world() -> Iterator[importer_support.World]:
    world = importer_support.World()
    yield world
    violations = request_violations(world.allegro) + request_violations(world.plenty)
    assert violations == [], "requests broke the official spec:\n" + "\n".join(violations)


def test_created_fires_processing_once_per_new_order_and_never_for_an_adopted_one(
    importer_world: importer_support.World, flavour: str
) -> None:
    world = importer_world
    created = world.add(seed=1)
    adopted = world.add(seed=2)
    allegro = world.plenty.add_referrer("Allegro")
    existing = world.existing_order(adopted, allegro)
    with world.importer(flavour) as importer:
        importer.run()
    poll = importer_poller(world, flavour, rules=[CreatedRule(PROCESSING)])
    (created_order,) = world.orders(created)
    world.plenty.clear_calls()
    report = poll()
    assert ran(report) == [(PROCESSING, created_order, "done")]
    assert report.created == 1
    assert world.allegro.checkout_form(created)["fulfillment"]["status"] == "PROCESSING"
    assert world.allegro.checkout_form(adopted)["fulfillment"]["status"] == "NEW"
    # Straight from the ledger: the poll read nothing of plentymarkets but where its
    # status history stands (the history source always notes that).
    routes = {c.route for c in world.plenty.calls() if c.route and "login" not in c.route}
    assert routes == {"GET /rest/orders/status-history"}
    assert ran(poll()) == []
    later = world.add(seed=3)
    world.clock.advance(60)
    with world.importer(flavour) as importer:
        importer.run()
    (later_order,) = world.orders(later)
    assert ran(poll()) == [(PROCESSING, later_order, "done")]
    assert ran(poll()) == []
    assert existing not in {created_order, later_order}


def _cancelled_by_the_buyer_and_by_a_person(
    world: importer_support.World, flavour: str
) -> tuple[PollReport, int, int]:
    by_buyer = world.add(seed=1)
    by_person = world.add(seed=2)
    with world.importer(flavour) as importer:
        importer.run()
        poll = importer_poller(world, flavour, rules=[StatusRule(CANCELLED, statuses=[8])])
        poll()
        world.clock.advance(60)
        world.allegro.cancel(by_buyer)
        importer.run()  # the importer sets 8 (PUT .../cancel), recorded as its own first
    (buyer_order,) = world.orders(by_buyer)
    (person_order,) = world.orders(by_person)
    # A person sets 8, under the same REST user id as the library's writes (1 in the fake).
    world.plenty.set_status(person_order, 8, user_id=1)
    return poll(), buyer_order, person_order


def test_a_buyer_cancellation_the_importer_made_fires_nothing_a_persons_cancellation_does(
    importer_world: importer_support.World, flavour: str
) -> None:
    report, buyer_order, person_order = _cancelled_by_the_buyer_and_by_a_person(
        importer_world, flavour
    )
    assert ran(report) == [(CANCELLED, person_order, "done")]
    assert (report.transitions, report.echoes) == (2, 1)
    history = importer_world.plenty.status_history(buyer_order)
    assert {h["userId"] for h in history} == {1}  # the user id could not have told them apart


def test_negative_control_without_the_echo_guard_the_importers_cancellation_fires(
    importer_world: importer_support.World, flavour: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def never_ours(account: str, entry: Any) -> Any:
        return False
        yield  # a plan that makes no call

    monkeypatch.setattr(poll_module, "_echo", never_ours)
    report, buyer_order, person_order = _cancelled_by_the_buyer_and_by_a_person(
        importer_world, flavour
    )
    assert {order for _, order, _ in ran(report)} == {buyer_order, person_order}


# --- configuration --------------------------------------------------------------------------


def test_rules_are_checked_when_the_poller_is_built(world: World) -> None:
    runner = world.runner("sync")
    with pytest.raises(UnknownProcedureError):
        ProcedurePoller(runner, rules=[StatusRule("shop.nothing", statuses=[5])])
    with pytest.raises(ConfigurationError, match="at least one rule"):
        ProcedurePoller(runner)
    with pytest.raises(ConfigurationError, match="below"):
        StatusRule(READY, from_status=6, below=5)
    with pytest.raises(ConfigurationError, match="names no status"):
        StatusRule(READY)
    with pytest.raises(ConfigurationError, match="status id"):
        StatusRule(READY, statuses=[5.5])
    with pytest.raises(ConfigurationError, match="order_types"):
        StatusRule(READY, statuses=[5], order_types=[4])
    with pytest.raises(ConfigurationError, match="tracking_window"):
        TrackingSweep(tracking_window=timedelta(0))
    rule = StatusRule(READY, statuses=["5.1"], from_status=5, below=6)
    assert [rule.matches(Decimal(s)) for s in ("4.9", "5", "5.1", "5.99", "6")] == [
        False,
        True,
        True,
        True,
        False,
    ]


# --- negative controls and other ledgers ----------------------------------------------------


def test_negative_control_forgetting_the_entries_seen_fires_the_transition_again(
    world: World, flavour: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    imported = world.import_form(status=4)
    poll = poller(world, flavour, rules=[StatusRule(READY, from_status=5, below=6)])
    poll()
    world.clock.advance(60)
    world.plenty.set_status(imported.order_id, 5)
    assert ran(poll()) == [(READY, imported.order_id, "done")]
    monkeypatch.setattr(poll_module, "_ids", lambda value, what: set())
    world.clock.advance(30)  # within the overlap: the entry is read again
    assert ran(poll()) == [(READY, imported.order_id, "already_final")]


def test_negative_control_the_read_count_sees_a_lookup_of_foreign_entries(
    world: World, flavour: str
) -> None:
    """The harness of the eight-reads test counts one more read when the poller looks
    foreign orders up (as a rule on delivery orders makes it do)."""
    shop = world.plenty.add_referrer("Shop", referrer_id="1")
    foreign = [world.import_form(bind=False, referrer=shop, status=3) for _ in range(3)]
    poll = poller(world, flavour, rules=[StatusRule(SENT, statuses=[7])])
    wider = poller(
        world, flavour, rules=[StatusRule(SENT, statuses=[7], order_types=[1, 2])],
        settings=PollSettings(name="wider"),
    )  # fmt: skip
    poll()
    wider()
    world.clock.advance(60)
    for imported in foreign:
        world.plenty.set_status(imported.order_id, 7)
    world.plenty.clear_calls()
    poll()
    narrow_reads = world.plenty_reads()
    world.plenty.clear_calls()
    wider()
    assert world.plenty_reads() == narrow_reads + 1


@pytest.mark.parametrize("kind", ["sqlite", "async sqlite"])
def test_the_poller_works_on_sqlite_and_the_async_one_on_an_async_ledger(
    world: World, flavour: str, kind: str, tmp_path: Any, fake_clock: FakeClock
) -> None:
    from allegro_plenty.ledger import AsyncLedger, SqliteLedger

    if kind == "async sqlite" and flavour == "sync":
        pytest.skip("a sync runner takes a sync ledger")
    sqlite = SqliteLedger(tmp_path / "ledger.db", clock=fake_clock.time)
    sqlite.save_cursor(
        world.account, "referrer", world.ledger.cursor(world.account, "referrer").value,  # type: ignore[union-attr]
        expected_version=0,
    )  # fmt: skip
    world.ledger = sqlite
    imported = world.import_form(status=4)
    ledger = AsyncLedger(sqlite) if kind == "async sqlite" else sqlite
    runner = world.runner(flavour, ledger=ledger)
    rules = [CreatedRule(PROCESSING), StatusRule(SENT, statuses=[7])]
    if flavour == "sync":
        poll: Poll = ProcedurePoller(runner, rules=rules).poll_once
    else:
        polling = AsyncProcedurePoller(runner.runner, rules=rules)
        poll = lambda: runner.run(polling.poll_once())  # noqa: E731
    assert ran(poll()) == [(PROCESSING, imported.order_id, "done")]
    world.clock.advance(60)
    world.plenty.set_status(imported.order_id, 7)
    assert ran(poll()) == [(SENT, imported.order_id, "done")]
    assert ran(poll()) == []
    if isinstance(ledger, AsyncLedger):
        runner.run(ledger.close())
