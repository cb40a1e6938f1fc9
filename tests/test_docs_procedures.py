"""docs/procedures.md: its examples (own procedure, webhook endpoint, poller) run as printed,
against the fakes."""

from __future__ import annotations

import re
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from allegro_plenty.procedures import ExecutionStatus, ProcedureRegistry
from allegro_plenty.testing import FakeClock

from .fakes_support import Checked
from .procedures_support import FLAVOURS, World, make_world

DOC = Path(__file__).resolve().parents[1] / "docs" / "procedures.md"
MARKER = re.compile(r"<!-- tested: (\S+) -->\n```python\n(.*?)\n```", re.DOTALL)
EXAMPLES = dict(MARKER.findall(DOC.read_text(encoding="utf-8")))


@pytest.fixture
def world(checked: Checked, fake_clock: FakeClock) -> Iterator[World]:
    yield from make_world(checked, fake_clock)


def _example_registry() -> ProcedureRegistry:
    module = types.ModuleType("sent_once_packed")
    exec(compile(EXAMPLES["sent_once_packed.py"], "sent_once_packed.py", "exec"), vars(module))  # noqa: S102 - the documented example itself
    registry = module.registry
    assert isinstance(registry, ProcedureRegistry)
    return registry


def test_the_page_has_its_tested_examples() -> None:
    assert list(EXAMPLES) == ["webhook_endpoint.py", "poller.py", "sent_once_packed.py"]


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_the_own_procedure_example_runs_as_printed(world: World, flavour: str) -> None:
    registry = _example_registry()
    assert "shop.sent-once-packed" in registry
    assert "allegro.refund" in registry  # the built-ins are still there
    imported = world.import_form()
    runner = world.runner(flavour, registry=registry)
    # No package yet: nothing runs, nothing is recorded, so a later dispatch still runs.
    assert runner.dispatch("shop.sent-once-packed", imported.order_id).results == ()
    assert world.ledger.executions(procedure="shop.sent-once-packed") == []
    world.package(imported, "PARCEL-1")
    outcome = runner.dispatch("shop.sent-once-packed", imported.order_id)
    assert [(r.subject, r.status, r.reason) for r in outcome.results] == [
        ("SENT", ExecutionStatus.DONE, "set SENT")
    ]
    assert world.allegro.checkout_form(imported.form_id)["fulfillment"]["status"] == "SENT"
    again = runner.dispatch("shop.sent-once-packed", imported.order_id)
    assert again.results[0].status is ExecutionStatus.ALREADY_FINAL
    assert world.allegro_calls("PUT /order/checkout-forms/{id}/fulfillment") == 1


def test_every_builtin_is_in_the_table_with_its_name() -> None:
    from allegro_plenty.procedures import builtin_registry

    text = DOC.read_text(encoding="utf-8")
    for handler in builtin_registry():
        row = re.search(rf"^\| `{re.escape(handler.key)}` \| (.+?) \|", text, re.MULTILINE)
        assert row is not None, handler.key
        assert row.group(1).startswith(handler.names.en), handler.key


def test_the_opening_example_compiles_and_its_imports_exist() -> None:
    first = re.search(r"```python\n(.*?)\n```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    assert first is not None
    code = first.group(1)
    compile(code, "opening.py", "exec")
    imports = "\n".join(line for line in code.splitlines() if line.startswith("from "))
    exec(imports, {})  # noqa: S102 - the documented imports


def _run_example(name: str, **names: object) -> dict[str, object]:
    namespace: dict[str, object] = {"__name__": name.removesuffix(".py"), **names}
    exec(compile(EXAMPLES[name], name, "exec"), namespace)  # noqa: S102 - the documented example itself
    return namespace


def test_the_webhook_endpoint_example_runs_as_printed(world: World) -> None:
    from allegro_plenty.procedures import SIGNATURE_HEADER, sign_webhook

    handle = _run_example("webhook_endpoint.py")["handle_webhook"]
    assert callable(handle)
    secret = "shared-with-the-plenty-plugin"
    imported = world.import_form()
    runner = world.runner("sync")
    body = f'{{"procedure": "allegro.status.processing", "orderId": {imported.order_id}}}'.encode()
    signed = {SIGNATURE_HEADER: sign_webhook(secret, body)}
    assert handle(runner, secret, signed, body) == (200, "PROCESSING: done")
    assert world.allegro.checkout_form(imported.form_id)["fulfillment"]["status"] == "PROCESSING"
    assert handle(runner, secret, signed, body) == (200, "PROCESSING: already_final")
    tampered = body.replace(b"processing", b"sent")
    status, reason = handle(runner, secret, signed, tampered)
    assert (status, reason) == (401, "the signature does not match the body")
    old = {SIGNATURE_HEADER: sign_webhook(secret, body, timestamp=1_000_000_000)}
    assert handle(runner, secret, old, body)[0] == 401
    assert handle(runner, secret, {}, body)[0] == 401
    unknown = b'{"procedure": "shop.nothing", "orderId": 1}'
    assert (
        handle(runner, secret, {SIGNATURE_HEADER: sign_webhook(secret, unknown)}, unknown)[0] == 422
    )
    assert world.allegro_calls("PUT /order/checkout-forms/{id}/fulfillment") == 1


def test_the_poller_example_runs_as_printed(world: World, capsys: Any) -> None:
    imported = world.import_form(status=4, company=True)  # the buyer asked for an invoice
    runner = world.runner("sync")
    namespace = _run_example("poller.py", runner=runner)
    poller = namespace["poller"]
    # Its first poll ran the created rule for the order the importer made.
    assert capsys.readouterr().out.split() == [
        "allegro.status.processing",
        str(imported.order_id),
        "PROCESSING",
        "done",
    ]
    world.clock.advance(60)
    world.plenty.set_status(imported.order_id, 5)
    world.package(imported, "PARCEL-1")
    world.plenty.add_document(imported.order_id, "invoice")
    report = poller.poll_once()  # type: ignore[attr-defined]
    assert sorted((o.procedure, r.status.value) for o, r in report.procedures.results()) == [
        ("allegro.status.ready_for_shipment", "done"),
        ("allegro.tracking", "done"),
        ("allegro.upload_invoice", "waiting"),  # uploaded; Allegro's scan is not over yet
    ]
    assert len(world.allegro.invoices(imported.form_id)) == 1
