"""The registry, dispatch and the resolution of a plentymarkets order to its Allegro order."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import httpx
import pytest

from allegro_plenty._plan import Plan, call
from allegro_plenty.errors import (
    ConfigurationError,
    NotFromAllegroError,
    UnknownProcedureError,
)
from allegro_plenty.ledger import ExecutionState
from allegro_plenty.procedures import (
    DisplayNames,
    Done,
    EventProcedureHandler,
    ExecutionResult,
    ExecutionRun,
    ExecutionStatus,
    ProcedureConfig,
    ProcedureContext,
    ProcedureOrder,
    ProcedureRegistry,
    builtin_registry,
)
from allegro_plenty.testing import FakeClock

from .fakes_support import Checked
from .procedures_support import FLAVOURS, PARENT_REFERRER, World, make_world

NAMES = DisplayNames(en="Test : look", de="Test : schauen", pl="Test : patrz")


class LookAtTheForm(EventProcedureHandler):
    """Reads the form once per order and notes what it resolved the order to."""

    key = "test.look"
    names = NAMES
    description = "Reads the checkout form."

    def __init__(self) -> None:
        self.seen: list[ProcedureOrder] = []

    def handle(
        self, context: ProcedureContext, order: ProcedureOrder
    ) -> Plan[Sequence[ExecutionResult]]:
        self.seen.append(order)

        def look(run: ExecutionRun) -> Plan[Done]:
            form = yield from call(context.allegro, "get_checkout_form", order.form_id)
            return Done(f"looked at {form.id}")

        subject = order.subject or "look"
        result = yield from context.once(order, subject, look)
        return (result,)


@pytest.fixture
def world(checked: Checked, fake_clock: FakeClock) -> Iterator[World]:
    yield from make_world(checked, fake_clock)


@pytest.fixture(params=FLAVOURS)
def flavour(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _runner(world: World, flavour: str, **options: Any) -> tuple[Any, LookAtTheForm]:
    registry = builtin_registry()
    handler = registry.register(LookAtTheForm())
    return world.runner(flavour, registry=registry, **options), handler


# --- the registry --------------------------------------------------------------------------


def test_handlers_register_by_method_and_by_decorator_and_are_listed() -> None:
    registry = ProcedureRegistry()
    instance = registry.register(LookAtTheForm())

    @registry.register
    class Other(LookAtTheForm):
        key = "test.other"

    assert registry.keys() == ["test.look", "test.other"]
    assert registry.get("test.look") is instance
    assert isinstance(registry.get("test.other"), Other)
    assert [h.key for h in registry] == ["test.look", "test.other"]
    assert "test.other" in registry
    assert len(registry) == 2


def test_the_builtins_are_listed_with_the_names_sellers_know() -> None:
    names = {h.key: h.names.en for h in builtin_registry()}
    assert names["allegro.status.processing"] == "Allegro : Order status PROCESSING"
    assert names["allegro.status.ready_for_shipment"] == "Allegro : Order status READY_FOR_SHIPMENT"
    assert names["allegro.status.sent"] == "Allegro : Order status SENT"
    assert names["allegro.status.cancelled"] == "Allegro : Order status CANCELLED"
    assert names["allegro.status.ready_for_pickup"] == "Allegro : Order status READY_FOR_PICKUP"
    assert names["allegro.status.picked_up"] == "Allegro : Order status PICKED_UP"
    assert names["allegro.tracking"] == "Allegro : Provide tracking number"
    assert names["allegro.refund"] == "Allegro : Refund payment"
    assert names["allegro.upload_invoice"] == "Allegro : Upload invoice"
    assert len(names) == 9
    for handler in builtin_registry():
        assert handler.names.de
        assert handler.names.pl
        assert handler.description


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"key": "Test Look"}, "key must be"),
        ({"key": ""}, "key must be"),
        ({"names": "Test"}, "names"),
        ({"description": " "}, "description"),
    ],
)
def test_a_malformed_handler_is_refused_naming_what_is_wrong(
    change: dict[str, object], complaint: str
) -> None:
    handler = LookAtTheForm()
    for name, value in change.items():
        setattr(handler, name, value)
    with pytest.raises(ConfigurationError, match=complaint):
        ProcedureRegistry().register(handler)


def test_a_key_registered_twice_is_refused() -> None:
    registry = ProcedureRegistry()
    registry.register(LookAtTheForm())
    with pytest.raises(ConfigurationError, match="registered already"):
        registry.register(LookAtTheForm())


def test_an_unknown_key_is_a_typed_error_and_nothing_is_called(world: World, flavour: str) -> None:
    imported = world.import_form()
    runner, _ = _runner(world, flavour)
    world.allegro.clear_calls()
    world.plenty.clear_calls()
    with pytest.raises(UnknownProcedureError, match="no event procedure is registered as") as e:
        runner.dispatch("allegro.status.procesing", imported.order_id)
    assert "allegro.status.processing" in e.value.known
    assert world.allegro.calls() == []
    assert world.plenty.calls() == []


# --- resolving the order -------------------------------------------------------------------


def test_a_bound_order_resolves_through_the_ledger_without_a_plentymarkets_call(
    world: World, flavour: str
) -> None:
    imported = world.import_form()
    runner, handler = _runner(world, flavour)
    world.plenty.clear_calls()
    outcome = runner.dispatch("test.look", imported.order_id)
    assert world.plenty.calls() == []
    assert (outcome.account, outcome.form_id, outcome.sales_order_id) == (
        world.account,
        imported.form_id,
        imported.order_id,
    )
    assert [(r.subject, r.status) for r in outcome.results] == [("look", ExecutionStatus.DONE)]
    assert handler.seen[0].binding is not None
    assert handler.seen[0].child_id is None


def test_an_unbound_order_of_our_sub_referrer_with_an_exact_form_id_resolves(
    world: World, flavour: str
) -> None:
    imported = world.import_form(bind=False)
    runner, handler = _runner(world, flavour)
    outcome = runner.dispatch("test.look", imported.order_id)
    assert outcome.form_id == imported.form_id
    assert outcome.done
    assert handler.seen[0].binding is None


def test_an_order_of_the_main_referrer_takes_its_account_from_property_10(
    world: World, flavour: str
) -> None:
    imported = world.import_form(bind=False, referrer=PARENT_REFERRER)
    runner, _ = _runner(world, flavour)
    outcome = runner.dispatch("test.look", imported.order_id)
    assert (outcome.account, outcome.form_id) == (world.account, imported.form_id)


def test_a_configured_referrer_counts_as_ours(world: World, flavour: str) -> None:
    legacy = world.plenty.add_referrer("Allegro (old plugin)", referrer_id="140")
    imported = world.import_form(bind=False, referrer=legacy)
    refused, _ = _runner(world, flavour)
    with pytest.raises(NotFromAllegroError, match="referrer 140 is none of ours"):
        refused.dispatch("test.look", imported.order_id)
    config = ProcedureConfig(referrer_ids=["140"])
    runner, _ = _runner(world, flavour, config=config)
    assert runner.dispatch("test.look", imported.order_id).form_id == imported.form_id


FORM_ID = "c0ffee00-0000-4000-8000-000000000001"


@pytest.mark.parametrize(
    ("case", "complaint"),
    [
        ("a shop's referrer", "referrer 1 is none of ours"),
        ("another marketplace's id", "property 7.*no Allegro checkout-form id"),
        ("a prefixed form id", "property 7.*no Allegro checkout-form id"),
        ("the form id in upper case", "property 7.*no Allegro checkout-form id"),
    ],
)
def test_an_order_not_from_allegro_is_refused_before_any_allegro_call(
    world: World, flavour: str, case: str, complaint: str
) -> None:
    options: dict[str, Any] = {
        "a shop's referrer": {"referrer": world.plenty.add_referrer("Shop", referrer_id="1")},
        "another marketplace's id": {"external_id": "etsy_12345"},
        "a prefixed form id": {"external_id": f"allegro_{FORM_ID}"},
        "the form id in upper case": {"external_id": FORM_ID.upper()},
    }[case]
    imported = world.import_form(bind=False, form_id=FORM_ID, **options)
    runner, handler = _runner(world, flavour)
    world.allegro.clear_calls()
    with pytest.raises(NotFromAllegroError, match=complaint) as refused:
        runner.dispatch("test.look", imported.order_id)
    assert refused.value.plenty_order_id == imported.order_id
    assert world.allegro.calls() == []
    assert handler.seen == []
    assert world.ledger.executions() == []


def test_a_delivery_order_resolves_its_bound_parent_and_stays_the_subject(
    world: World, flavour: str
) -> None:
    imported = world.import_form()
    delivery = world.delivery_order(imported)
    runner, handler = _runner(world, flavour)
    outcome = runner.dispatch("test.look", delivery)
    assert (outcome.plenty_order_id, outcome.sales_order_id) == (delivery, imported.order_id)
    seen = handler.seen[0]
    assert (seen.order_id, seen.child_id, seen.child_type) == (imported.order_id, delivery, 2)
    assert seen.child_order is not None
    # Executions are kept under the sales order: the same execution either way.
    assert runner.dispatch("test.look", imported.order_id).results[0].status is (
        ExecutionStatus.ALREADY_FINAL
    )


def test_a_delivery_order_of_an_unbound_parent_resolves_through_plentymarkets(
    world: World, flavour: str
) -> None:
    imported = world.import_form(bind=False)
    delivery = world.delivery_order(imported)
    runner, handler = _runner(world, flavour)
    outcome = runner.dispatch("test.look", delivery)
    assert (outcome.form_id, outcome.sales_order_id) == (imported.form_id, imported.order_id)
    assert handler.seen[0].child_id == delivery


def test_an_account_without_a_client_is_a_configuration_error(world: World, flavour: str) -> None:
    imported = world.import_form(bind=False)
    world.ledger.bind("999", imported.form_id, imported.order_id, origin="created")  # type: ignore[arg-type]
    runner, _ = _runner(world, flavour)
    with pytest.raises(ConfigurationError, match="account '999'"):
        runner.dispatch("test.look", imported.order_id)


# --- executions ------------------------------------------------------------------------------


def test_a_dispatch_repeated_is_a_no_op(world: World, flavour: str) -> None:
    imported = world.import_form()
    runner, _ = _runner(world, flavour)
    first = runner.dispatch("test.look", imported.order_id)
    reads = world.allegro_calls("GET /order/checkout-forms/{id}")
    again = runner.dispatch("test.look", imported.order_id)
    assert first.results[0].status is ExecutionStatus.DONE
    assert again.results[0].status is ExecutionStatus.ALREADY_FINAL
    assert world.allegro_calls("GET /order/checkout-forms/{id}") == reads
    stored = world.ledger.execution(world.account, "test.look", imported.order_id, "look")
    assert stored is not None
    assert (stored.state, stored.reason) == (ExecutionState.DONE, f"looked at {imported.form_id}")


def test_a_batch_reports_what_ran_and_which_dispatches_failed(world: World, flavour: str) -> None:
    ours = world.import_form()
    theirs = world.import_form(
        bind=False, referrer=world.plenty.add_referrer("Shop", referrer_id="1")
    )
    runner, _ = _runner(world, flavour)
    report = runner.dispatch_many(
        [
            ("test.look", ours.order_id),
            ("no.such.procedure", ours.order_id),
            ("test.look", theirs.order_id),
            ("test.look", ours.order_id, "second"),
        ]
    )
    assert [(o.plenty_order_id, r.subject) for o, r in report.done] == [
        (ours.order_id, "look"),
        (ours.order_id, "second"),
    ]
    assert [(f.procedure, f.plenty_order_id, type(f.error)) for f in report.failures] == [
        ("no.such.procedure", ours.order_id, UnknownProcedureError),
        ("test.look", theirs.order_id, NotFromAllegroError),
    ]


def test_the_request_check_of_every_world_catches_a_request_outside_the_spec(
    world: World,
) -> None:
    """Negative control of the spec check ``make_world`` runs on every request."""
    from .procedures_support import request_violations
    from .specs import ALLEGRO_SPEC

    if not ALLEGRO_SPEC.exists():
        pytest.skip("the official Allegro spec is not here (../shared)")
    imported = world.import_form()
    token = world.allegro.issue_token()
    with httpx.Client(
        transport=world.allegro.transport(), base_url="https://api.allegro.pl"
    ) as raw:
        raw.get(
            f"/order/checkout-forms/{imported.form_id}",
            params={"bogus": "1"},
            headers={
                "Accept": "application/vnd.allegro.public.v1+json",
                "Authorization": f"Bearer {token.access_token}",
            },
        )
    assert any("bogus" in v for v in request_violations(world.allegro))
    world.allegro.clear_calls()  # the world's own check at teardown must pass


def test_the_procedures_import_nothing_of_the_importer() -> None:
    import ast
    from pathlib import Path

    package = Path(__file__).resolve().parents[1] / "src" / "allegro_plenty" / "procedures"
    imported = set()
    for module in package.rglob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                imported.add(node.module or "")
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
    assert not [name for name in imported if "importer" in name]
