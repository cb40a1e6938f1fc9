"""The ledger contract's cases of the schema, bad input and asyncio."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

import pytest

from ...errors import LedgerInputError
from ...ledger import BindingOrigin, FormVersion, ImportLedger
from .._ledger_race import AsyncLedgerFactory, slow_callbacks
from ._base import ACCOUNT, _begin, _ContractBase
from ._legacy import check_legacy_records


class _StoreCases(_ContractBase):
    """The schema's migrations, bad input refused with a typed error, asyncio."""

    def test_migrate_is_idempotent(self, ledger: ImportLedger) -> None:
        ledger.bind(ACCOUNT, "form-1", 501, origin=BindingOrigin.CREATED)
        version = ledger.migrate()
        assert version >= 1
        assert ledger.migrate() == version
        assert ledger.binding_for_order(501) is not None

    def test_an_older_schema_migrates_keeping_its_records(
        self, legacy_ledger: ImportLedger
    ) -> None:
        try:
            version = legacy_ledger.migrate()
            assert legacy_ledger.migrate() == version
            check_legacy_records(legacy_ledger)
        finally:
            legacy_ledger.close()

    # --- input ------------------------------------------------------------------------

    @pytest.mark.parametrize(
        ("call", "complaint"),
        [
            (lambda led: led.claim("", "form-1", "w", lease=60), "account"),
            (lambda led: led.claim(ACCOUNT, "form-1", "w", lease=0), "lease"),
            (lambda led: led.claim(ACCOUNT, "form-1", "w", lease=float("inf")), "lease"),
            (lambda led: led.bind(ACCOUNT, "form-1", 0, origin=BindingOrigin.CREATED), "order"),
            (lambda led: led.bind(ACCOUNT, "form-1", True, origin=BindingOrigin.CREATED), "order"),
            (lambda led: led.record_failure(ACCOUNT, "form-1", "x", retry_in=-1), "retry_in"),
            (lambda led: led.record_status_write(ACCOUNT, 1, Decimal("NaN")), "status"),
            (lambda led: led.due_retries(ACCOUNT, limit=0), "limit"),
            (lambda led: led.save_cursor(ACCOUNT, "c", 1, expected_version=-1), "expected_version"),
            (lambda led: _begin(led, "w", ""), "subject"),
            (lambda led: _begin(led, "w", procedure=" "), "procedure"),
            (lambda led: _begin(led, "w", order=0), "order"),
            (lambda led: _begin(led, "w", lease=0), "lease"),
            (lambda led: _begin(led, ""), "owner"),
            (lambda led: led.executions(state="bogus"), "state"),
            (lambda led: led.due_executions(ACCOUNT, limit=0), "limit"),
            (
                lambda led: led.decide(
                    ACCOUNT,
                    "form-1",
                    reason="x",
                    final=False,
                    version=FormVersion(updated_at=datetime(2024, 1, 1)),
                    fingerprint="f",
                ),
                "timezone",
            ),
        ],
    )
    def test_bad_input_is_a_typed_error_naming_the_value(
        self, ledger: ImportLedger, call: Callable[[ImportLedger], object], complaint: str
    ) -> None:
        with pytest.raises(LedgerInputError, match=complaint):
            call(ledger)

    # --- asyncio ----------------------------------------------------------------------

    def test_an_async_run_logs_no_slow_callback(
        self, make_async_ledger: AsyncLedgerFactory
    ) -> None:
        ledger = make_async_ledger(clock=time.time)

        async def worker(n: int) -> None:
            for k in range(5):
                form = f"form-{n}-{k}"
                claim = await ledger.claim(ACCOUNT, form, f"task-{n}", lease=60)
                assert claim is not None
                await ledger.renew(claim, lease=60)
                await ledger.bind(ACCOUNT, form, 1000 * n + k + 1, origin=BindingOrigin.CREATED)
                await ledger.record_failure(ACCOUNT, form, "HTTP 503", retry_in=0)
                await ledger.due_retries(ACCOUNT)
                await ledger.release_claim(claim)

        async def main() -> None:
            try:
                await ledger.migrate()
                await asyncio.gather(*(worker(n) for n in range(1, 7)))
            finally:
                await ledger.close()

        assert slow_callbacks(main, threshold=0.05) == []
