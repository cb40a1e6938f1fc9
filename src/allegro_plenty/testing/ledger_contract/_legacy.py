"""The records an older-schema store holds, for the migration case."""

from __future__ import annotations

from decimal import Decimal

from ...ledger import BindingOrigin, ExecutionBlock, ExecutionState, ImportLedger
from ._base import V1, _begin

LEGACY_ACCOUNT = "legacy-seller"
"""The account of the records :func:`write_legacy_records` writes."""


def write_legacy_records(ledger: ImportLedger) -> None:
    """Write the records an older-schema store must hold for the migration case.

    Run it with the *older* release (or its schema) to make the store your
    ``legacy_ledger`` fixture opens; :func:`check_legacy_records` reads them back.
    """
    ledger.bind(LEGACY_ACCOUNT, "legacy-form-1", 9001, origin=BindingOrigin.CREATED, revision="r1")
    ledger.update_binding(
        LEGACY_ACCOUNT, "legacy-form-1", paid_parts=["payment-1"], steps_done=["comment"]
    )
    ledger.decide(
        LEGACY_ACCOUNT,
        "legacy-form-2",
        reason="not paid",
        final=False,
        version=V1,
        fingerprint="cfg",
    )
    ledger.quarantine(LEGACY_ACCOUNT, "legacy-form-3", "unknown SKU LEG-1")
    ledger.record_failure(LEGACY_ACCOUNT, "legacy-form-4", "HTTP 503", retry_in=0)
    for version in range(3):
        ledger.save_cursor(
            LEGACY_ACCOUNT, "events", {"id": f"evt-{version}"}, expected_version=version
        )
    ledger.record_sweep(LEGACY_ACCOUNT)
    ledger.record_status_write(LEGACY_ACCOUNT, 9001, Decimal("8"))


def check_legacy_records(ledger: ImportLedger) -> None:
    """Assert that a migrated store still holds what :func:`write_legacy_records` wrote,
    and that work goes on from it."""
    binding = ledger.binding_for_order(9001)
    assert binding is not None
    assert (binding.account, binding.form_id, binding.revision) == (
        LEGACY_ACCOUNT,
        "legacy-form-1",
        "r1",
    )
    assert binding.paid_parts == {"payment-1"}
    assert binding.steps_done == {"comment"}
    decision = ledger.decision(LEGACY_ACCOUNT, "legacy-form-2")
    assert decision is not None
    assert (decision.reason, decision.final, decision.version) == ("not paid", False, V1)
    assert not ledger.needs_look(LEGACY_ACCOUNT, "legacy-form-2", version=V1, fingerprint="cfg")
    held = ledger.failures(LEGACY_ACCOUNT, quarantined=True)
    assert [(f.form_id, f.quarantine_reason) for f in held] == [
        ("legacy-form-3", "unknown SKU LEG-1")
    ]
    assert [f.form_id for f in ledger.due_retries(LEGACY_ACCOUNT)] == ["legacy-form-4"]
    cursor = ledger.cursor(LEGACY_ACCOUNT, "events")
    assert cursor is not None
    assert (cursor.value, cursor.version) == ({"id": "evt-2"}, 3)
    assert ledger.last_sweep(LEGACY_ACCOUNT) is not None
    assert ledger.consume_status_write(LEGACY_ACCOUNT, 9001, Decimal("8"))
    ledger.save_cursor(LEGACY_ACCOUNT, "events", {"id": "evt-3"}, expected_version=3)
    ledger.bind(LEGACY_ACCOUNT, "legacy-form-5", 9005, origin=BindingOrigin.ADOPTED)
    # The store now keeps executions of event procedures too (schema v2).
    start = ledger.begin_execution(
        LEGACY_ACCOUNT, "legacy.status", 9001, "PROCESSING", "legacy-worker", lease=60
    )
    assert start.claim is not None
    ledger.finish_execution(start.claim, ExecutionState.DONE)
    assert (
        _begin(
            ledger, "other-worker", account=LEGACY_ACCOUNT, procedure="legacy.status", order=9001
        ).blocked
        is ExecutionBlock.FINAL
    )
