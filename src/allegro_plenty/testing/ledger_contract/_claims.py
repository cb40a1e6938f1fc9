"""The ledger contract's cases of claims."""

from __future__ import annotations

import functools
from collections.abc import Callable

import pytest

from ...errors import ClaimLostError
from ...ledger import ImportLedger
from .._clock import FakeClock
from .._ledger_race import claim_every_key, claim_violations, race
from ._base import ACCOUNT, LONG, OTHER_ACCOUNT, _assert_no_errors, _ContractBase


class _ClaimCases(_ContractBase):
    """Claims: exclusive, leased, renewed and taken over."""

    def test_a_claimed_key_is_refused_to_others(self, ledger: ImportLedger) -> None:
        first = ledger.claim(ACCOUNT, "form-1", "worker-a", lease=60)
        assert first is not None
        assert (first.account, first.key, first.owner) == (ACCOUNT, "form-1", "worker-a")
        assert ledger.claim(ACCOUNT, "form-1", "worker-b", lease=60) is None
        # Claims are per account and per key.
        assert ledger.claim(OTHER_ACCOUNT, "form-1", "worker-b", lease=60) is not None
        assert ledger.claim(ACCOUNT, "form-2", "worker-b", lease=60) is not None

    def test_the_holder_claiming_again_renews_and_keeps_the_epoch(
        self, ledger: ImportLedger, clock: FakeClock
    ) -> None:
        first = ledger.claim(ACCOUNT, "form-1", "worker-a", lease=60)
        clock.advance(30)
        again = ledger.claim(ACCOUNT, "form-1", "worker-a", lease=60)
        assert first is not None
        assert again is not None
        assert again.epoch == first.epoch
        assert again.lease_until == pytest.approx(first.lease_until + 30)
        ledger.confirm(first)

    def test_claims_are_exclusive_among_threads(self, ledger: ImportLedger) -> None:
        keys = [f"form-{n}" for n in range(40)]
        work = functools.partial(claim_every_key, account=ACCOUNT, keys=keys, lease=LONG)
        outcome = race(work, threads=8, ledger=ledger)
        _assert_no_errors(outcome.errors)
        holds = [hold for holds in outcome.results for hold in holds]
        violations = claim_violations(holds, keys)
        assert violations == [], "\n".join(violations)

    def test_claims_are_exclusive_among_processes(
        self, opener: Callable[[], ImportLedger], ledger: ImportLedger
    ) -> None:
        keys = [f"form-{n}" for n in range(30)]
        work = functools.partial(claim_every_key, account=ACCOUNT, keys=keys, lease=LONG)
        outcome = race(work, threads=2, processes=2, opener=opener)
        _assert_no_errors(outcome.errors)
        holds = [hold for holds in outcome.results for hold in holds]
        violations = claim_violations(holds, keys)
        assert violations == [], "\n".join(violations)

    def test_a_lease_is_taken_over_after_it_runs_out(
        self, ledger: ImportLedger, clock: FakeClock
    ) -> None:
        crashed = ledger.claim(ACCOUNT, "form-1", "crashed-worker", lease=30)
        assert crashed is not None
        clock.advance(29.9)
        assert ledger.claim(ACCOUNT, "form-1", "worker-b", lease=30) is None
        clock.advance(0.2)
        taken = ledger.claim(ACCOUNT, "form-1", "worker-b", lease=30)
        assert taken is not None
        assert taken.owner == "worker-b"
        assert taken.epoch > crashed.epoch
        ledger.confirm(taken)

    def test_renewal_is_refused_after_a_takeover(
        self, ledger: ImportLedger, clock: FakeClock
    ) -> None:
        slow = ledger.claim(ACCOUNT, "form-1", "slow-worker", lease=30)
        assert slow is not None
        clock.advance(31)
        taken = ledger.claim(ACCOUNT, "form-1", "worker-b", lease=30)
        assert taken is not None
        with pytest.raises(ClaimLostError) as lost:
            ledger.renew(slow, lease=30)
        assert (lost.value.key, lost.value.owner) == ("form-1", "slow-worker")
        with pytest.raises(ClaimLostError):
            ledger.confirm(slow)
        assert ledger.release_claim(slow) is False
        # The slow worker's attempts changed nothing for the new holder.
        ledger.confirm(taken)
        assert ledger.claim(ACCOUNT, "form-1", "slow-worker", lease=30) is None

    def test_a_stale_handle_stays_stale_after_its_owner_claims_again(
        self, ledger: ImportLedger
    ) -> None:
        old = ledger.claim(ACCOUNT, "form-1", "worker-a", lease=60)
        assert old is not None
        assert ledger.release_claim(old) is True
        new = ledger.claim(ACCOUNT, "form-1", "worker-a", lease=60)
        assert new is not None
        assert new.epoch > old.epoch
        with pytest.raises(ClaimLostError):
            ledger.confirm(old)
        ledger.confirm(new)

    def test_renewal_extends_the_lease(self, ledger: ImportLedger, clock: FakeClock) -> None:
        claim = ledger.claim(ACCOUNT, "form-1", "worker-a", lease=30)
        assert claim is not None
        clock.advance(20)
        renewed = ledger.renew(claim, lease=30)
        assert renewed.epoch == claim.epoch
        clock.advance(20)  # 40 s after the claim, 20 s after the renewal
        ledger.confirm(renewed)
        assert ledger.claim(ACCOUNT, "form-1", "worker-b", lease=30) is None

    def test_an_expired_lease_is_not_confirmed_even_before_a_takeover(
        self, ledger: ImportLedger, clock: FakeClock
    ) -> None:
        claim = ledger.claim(ACCOUNT, "form-1", "worker-a", lease=30)
        assert claim is not None
        clock.advance(30)
        with pytest.raises(ClaimLostError):
            ledger.confirm(claim)
        # Nobody took it, so renewing is safe and makes it confirmable again.
        ledger.confirm(ledger.renew(claim, lease=30))
