"""The ledger contract's cases of bindings and decisions."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime, timezone

import pytest

from ...errors import BindingConflictError, LedgerInputError, NotInLedgerError
from ...ledger import BindingOrigin, FormVersion, ImportLedger
from .._ledger_race import bind_one_form, race
from ._base import (
    ACCOUNT,
    OTHER_ACCOUNT,
    V1,
    _assert_no_errors,
    _assert_one_binding_won,
    _ContractBase,
)


class _BindingCases(_ContractBase):
    """Bindings (indexed both ways, one wins a race) and decisions."""

    def test_bindings_are_indexed_both_ways_and_per_account(self, ledger: ImportLedger) -> None:
        bound = ledger.bind(ACCOUNT, "form-1", 501, origin=BindingOrigin.CREATED, revision="r1")
        assert (bound.account, bound.form_id, bound.plenty_order_id) == (ACCOUNT, "form-1", 501)
        assert (bound.origin, bound.revision) == (BindingOrigin.CREATED, "r1")
        assert ledger.binding(ACCOUNT, "form-1") == bound
        assert ledger.binding_for_order(501) == bound
        assert ledger.binding(OTHER_ACCOUNT, "form-1") is None
        assert ledger.binding_for_order(502) is None
        other = ledger.bind(OTHER_ACCOUNT, "form-1", 502, origin=BindingOrigin.ADOPTED)
        assert ledger.binding_for_order(502) == other
        assert ledger.binding(ACCOUNT, "form-1") == bound

    def test_binding_again_to_the_same_order_changes_nothing(self, ledger: ImportLedger) -> None:
        bound = ledger.bind(ACCOUNT, "form-1", 501, origin=BindingOrigin.CREATED, revision="r1")
        again = ledger.bind(ACCOUNT, "form-1", 501, origin=BindingOrigin.ADOPTED, revision="r2")
        assert again == bound

    def test_a_form_or_an_order_bound_elsewhere_is_a_conflict(self, ledger: ImportLedger) -> None:
        bound = ledger.bind(ACCOUNT, "form-1", 501, origin=BindingOrigin.CREATED)
        with pytest.raises(BindingConflictError) as form_taken:
            ledger.bind(ACCOUNT, "form-1", 502, origin=BindingOrigin.CREATED)
        assert form_taken.value.existing == bound
        with pytest.raises(BindingConflictError) as order_taken:
            ledger.bind(OTHER_ACCOUNT, "form-2", 501, origin=BindingOrigin.CREATED)
        assert order_taken.value.existing == bound
        assert ledger.binding_for_order(502) is None
        assert ledger.binding(OTHER_ACCOUNT, "form-2") is None

    @pytest.mark.parametrize("racers_vary", ["order", "form"])
    def test_one_binding_wins_a_race_among_threads(
        self, ledger: ImportLedger, racers_vary: str
    ) -> None:
        work = functools.partial(
            bind_one_form,
            account=ACCOUNT,
            form_id=None if racers_vary == "form" else "form-1",
            order_id=None if racers_vary == "order" else 501,
        )
        outcome = race(work, threads=8, ledger=ledger)
        _assert_no_errors(outcome.errors)
        _assert_one_binding_won(outcome.results, 8)

    def test_one_binding_wins_a_race_among_processes(
        self, opener: Callable[[], ImportLedger], ledger: ImportLedger
    ) -> None:
        work = functools.partial(bind_one_form, account=ACCOUNT, form_id="form-1", order_id=None)
        outcome = race(work, threads=2, processes=2, opener=opener)
        _assert_no_errors(outcome.errors)
        _assert_one_binding_won(outcome.results, 4)
        winner = ledger.binding(ACCOUNT, "form-1")
        assert winner is not None
        assert all(order == winner.plenty_order_id for _, order in outcome.results)

    def test_update_binding_adds_paid_parts_steps_and_revision(self, ledger: ImportLedger) -> None:
        ledger.bind(ACCOUNT, "form-1", 501, origin=BindingOrigin.CREATED, revision="r1")
        ledger.update_binding(ACCOUNT, "form-1", paid_parts=["payment-1"], steps_done=["payment"])
        updated = ledger.update_binding(
            ACCOUNT, "form-1", revision="r2", paid_parts=("payment-1", "surcharge-1")
        )
        assert updated.paid_parts == {"payment-1", "surcharge-1"}
        assert updated.steps_done == {"payment"}
        assert updated.revision == "r2"
        assert ledger.binding_for_order(501) == updated
        assert ledger.update_binding(ACCOUNT, "form-1").revision == "r2"
        with pytest.raises(NotInLedgerError):
            ledger.update_binding(ACCOUNT, "form-9", steps_done=["comment"])
        with pytest.raises(LedgerInputError, match="paid_parts"):
            ledger.update_binding(ACCOUNT, "form-1", paid_parts="payment-2")

    # --- decisions --------------------------------------------------------------------

    def test_decisions_are_reopened_by_a_changed_form_or_fingerprint(
        self, ledger: ImportLedger
    ) -> None:
        assert ledger.needs_look(ACCOUNT, "form-1", version=V1, fingerprint="cfg-a")
        decided = ledger.decide(
            ACCOUNT, "form-1", reason="not paid", final=False, version=V1, fingerprint="cfg-a"
        )
        assert ledger.decision(ACCOUNT, "form-1") == decided
        assert (decided.reason, decided.final, decided.version) == ("not paid", False, V1)
        assert not ledger.needs_look(ACCOUNT, "form-1", version=V1, fingerprint="cfg-a")
        assert ledger.needs_look(ACCOUNT, "form-1", version=V1, fingerprint="cfg-b")
        later = datetime(2024, 5, 1, 10, 0, 1, tzinfo=timezone.utc)
        for changed in (
            FormVersion("rev-2", V1.updated_at, V1.fulfillment_status),
            FormVersion(V1.revision, later, V1.fulfillment_status),
            FormVersion(V1.revision, V1.updated_at, "PROCESSING"),
        ):
            assert ledger.needs_look(ACCOUNT, "form-1", version=changed, fingerprint="cfg-a")
        assert ledger.needs_look(OTHER_ACCOUNT, "form-1", version=V1, fingerprint="cfg-a")

    def test_a_final_decision_stands_and_a_new_decision_replaces_the_old(
        self, ledger: ImportLedger
    ) -> None:
        ledger.decide(
            ACCOUNT, "form-1", reason="not paid", final=False, version=V1, fingerprint="a"
        )
        final = ledger.decide(
            ACCOUNT, "form-1", reason="gone", final=True, version=V1, fingerprint="a"
        )
        assert ledger.decision(ACCOUNT, "form-1") == final
        changed = FormVersion("rev-9", None, "SENT")
        assert not ledger.needs_look(ACCOUNT, "form-1", version=changed, fingerprint="b")
