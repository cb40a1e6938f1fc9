"""The state a run carries: what outlives a run (per importer), what one run and one account use."""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import ROUND_FLOOR, Decimal

import attrs

from ..accounts import AllegroAccount
from ..mapping import MappingContext, OrderMapper
from ..plenty.models import VatConfiguration
from .result import EntryKind, ImportEntry, ImportResult, ImportWarning
from .settings import ImportSettings

log = logging.getLogger("allegro_plenty.importer")

SHARED_ACCOUNT = "*"
"""The ledger account of claims that belong to no one account (creating the main referrer)."""


@attrs.frozen
class Referrers:
    """The referrer ids of one account's orders."""

    main: Decimal
    """The referrer named "Allegro" (or the configured one)."""
    own: Decimal
    """The account's sub-referrer (the main one when a referrer is configured)."""

    @property
    def ours(self) -> frozenset[Decimal]:
        """Referrers whose orders and contacts this importer made."""
        return frozenset({self.main, self.own})

    def owns(self, referrer: Decimal) -> bool:
        """Whether something under ``referrer`` is the importer's: the main referrer or
        any sub-referrer of it (a buyer's contact is shared by the accounts)."""
        return referrer in self.ours or referrer.to_integral_value(ROUND_FLOOR) == self.main


@attrs.define
class Shared:
    """What an importer object keeps between runs (per process): checks and ids found once."""

    checked: set[str] = attrs.field(factory=set)
    """Accounts whose ``GET /me`` matched their key."""
    referrers: dict[str, Referrers] = attrs.field(factory=dict)


@attrs.define
class Budget:
    """How much one run may still do (``max_orders``, ``deadline``), across accounts."""

    clock: Callable[[], float]
    max_orders: int | None = None
    ends_at: float | None = None
    used: int = 0

    def spent(self) -> bool:
        """Whether the run must stop taking new forms."""
        if self.max_orders is not None and self.used >= self.max_orders:
            return True
        return self.ends_at is not None and self.clock() >= self.ends_at


@attrs.define
class Reference:
    """Reference data for mapping, read once per run (the clients cache it further)."""

    country_ids: dict[str, int]
    vat: dict[str, VatConfiguration]
    rates: dict[str, Decimal]


@attrs.define
class AccountRun:
    """One account's part of one run."""

    account: AllegroAccount
    mapper: OrderMapper
    settings: ImportSettings
    result: ImportResult
    shared: Shared
    budget: Budget
    owner: str
    dry_run: bool
    variations: dict[str, int | None] = attrs.field(factory=dict)
    """Variation id per offer external id, looked up once per run."""
    reference: Reference | None = None
    stopped: bool = False

    @property
    def key(self) -> str:
        """The account key (seller id)."""
        return self.account.key

    @property
    def allegro(self) -> str:
        """The resource name of this account's Allegro client."""
        return f"allegro:{self.key}"

    @property
    def fingerprint(self) -> str:
        """The eligibility configuration's fingerprint (recorded with decisions)."""
        return self.account.mapping.fingerprint()

    def context(self, referrer: Decimal, variation_ids: dict[str, int | None]) -> MappingContext:
        """The mapper's context for one form."""
        assert self.reference is not None
        return MappingContext(
            referrer_id=referrer,
            country_ids=self.reference.country_ids,
            vat_configurations=self.reference.vat,
            exchange_rates=self.reference.rates,
            variation_ids=variation_ids,
        )

    def entry(
        self,
        kind: EntryKind,
        form_id: str,
        *,
        order_id: int | None = None,
        reason: str | None = None,
        request_ids: tuple[str, ...] = (),
    ) -> None:
        """Record what became of a form, and log it (ids only)."""
        entry = ImportEntry(
            kind, self.key, form_id, order_id, reason, request_ids, dry_run=self.dry_run
        )
        self.result.add(entry)
        level = (
            logging.WARNING if kind in (EntryKind.FAILED, EntryKind.QUARANTINED) else logging.INFO
        )
        log.log(
            level,
            "checkout form %s of account %s: %s%s",
            form_id,
            self.key,
            kind.value,
            f" ({reason})" if reason else "",
            extra={
                "account": self.key,
                "checkout_form_id": form_id,
                "plenty_order_id": order_id,
                "outcome": kind.value,
                "dry_run": self.dry_run,
            },
        )

    def warn(self, code: str, message: str, form_id: str | None = None) -> None:
        """Record a warning for the seller, and log it."""
        self.result.warnings.append(ImportWarning(self.key, code, message, form_id))
        log.warning(
            "account %s: %s",
            self.key,
            message,
            extra={"account": self.key, "checkout_form_id": form_id, "warning": code},
        )
