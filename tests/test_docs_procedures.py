"""docs/procedures.md: its own-procedure example runs as printed, against the fakes."""

from __future__ import annotations

import re
import types
from collections.abc import Iterator
from pathlib import Path

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


def test_the_page_has_its_tested_example() -> None:
    assert list(EXAMPLES) == ["sent_once_packed.py"]


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
