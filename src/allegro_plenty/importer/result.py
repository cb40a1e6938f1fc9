"""What a run did: one entry per form it acted on, warnings, stops, counts; JSON-serialisable."""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Callable
from typing import Any

import attrs

__all__ = ["EntryKind", "ImportEntry", "ImportResult", "ImportStop", "ImportWarning"]


class EntryKind(str, enum.Enum):
    """What became of a checkout form in a run."""

    CREATED = "created"
    """A plentymarkets order was created (or one the importer had created was finished)."""
    ADOPTED = "adopted"
    """An order already in plentymarkets (an earlier integration's) was bound to the form."""
    SKIPPED = "skipped"
    """Not imported (yet): unpaid, cancelled, a fulfillment status not imported ..."""
    UPDATED = "updated"
    """A bound order was brought up to date (a surcharge, an address, a comment)."""
    CANCELLED = "cancelled"
    """The buyer cancelled a bound order; the configured action was taken."""
    GONE = "gone"
    """The form no longer exists (merged into another before payment)."""
    FAILED = "failed"
    """Failed for now; retried on a later run."""
    QUARANTINED = "quarantined"
    """Cannot be imported as it is; waits for a person (see the ledger's operator actions)."""
    DEFERRED = "deferred"
    """Another worker holds the form; looked at again once its claim ran out."""


@attrs.frozen
class ImportEntry:
    """One form a run acted on.

    Attributes:
        kind: What became of it.
        account: The account key (seller id).
        checkout_form_id: The Allegro checkout-form id.
        plenty_order_id: The plentymarkets order, where there is one.
        reason: Why (skips, failures, quarantines), in words without personal data.
        request_ids: The services' request ids of the failed call, for support.
        dry_run: Whether this is what a dry run *would* have done.
    """

    kind: EntryKind
    account: str
    checkout_form_id: str
    plenty_order_id: int | None = None
    reason: str | None = None
    request_ids: tuple[str, ...] = ()
    dry_run: bool = False

    def to_json(self) -> dict[str, Any]:
        """The entry as JSON types."""
        return {
            "kind": self.kind.value,
            "account": self.account,
            "checkout_form_id": self.checkout_form_id,
            "plenty_order_id": self.plenty_order_id,
            "reason": self.reason,
            "request_ids": list(self.request_ids),
            "dry_run": self.dry_run,
        }


@attrs.frozen
class ImportWarning:
    """Something the seller should look at; the run went on.

    Attributes:
        account: The account key, or ``None`` for the whole run.
        code: What kind (``"total_mismatch"``, ``"cursor_reset"``, a mapping warning code ...).
        message: In words, ids only.
        checkout_form_id: The form concerned, if any.
    """

    account: str | None
    code: str
    message: str
    checkout_form_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The warning as JSON types."""
        return attrs.asdict(self)


@attrs.frozen
class ImportStop:
    """Work the run had to stop: one account (its token was revoked, its seller id is
    wrong), or the whole run (plentymarkets unreachable, its budget exhausted).

    Attributes:
        account: The account key, or ``None`` when the whole run stopped.
        error: The error's class name (``"ConfigurationError"``).
        message: The error's message.
    """

    account: str | None
    error: str
    message: str

    def to_json(self) -> dict[str, Any]:
        """The stop as JSON types."""
        return attrs.asdict(self)


@attrs.define
class ImportResult:
    """What one :meth:`~allegro_plenty.OrderImporter.run` did.

    Attributes:
        entries: One per form the run acted on, in order.
        warnings: What the seller should look at.
        stops: Accounts (or the run) that had to stop, and why.
        claims_lost: Claims another worker held when this one asked.
        duration: Seconds the run took.
        dry_run: Whether nothing was written.
        complete: ``False`` when ``max_orders`` or ``deadline`` cut the run short
            (the next run goes on where it stopped).
        on_entry: The progress hook, called with each entry as it is recorded.
    """

    entries: list[ImportEntry] = attrs.field(factory=list)
    warnings: list[ImportWarning] = attrs.field(factory=list)
    stops: list[ImportStop] = attrs.field(factory=list)
    claims_lost: int = 0
    duration: float = 0.0
    dry_run: bool = False
    complete: bool = True
    on_entry: Callable[[ImportEntry], None] | None = attrs.field(default=None, repr=False, eq=False)

    @property
    def counts(self) -> dict[str, int]:
        """How many entries of each kind (every kind listed, zeros included)."""
        found = Counter(entry.kind for entry in self.entries)
        return {kind.value: found[kind] for kind in EntryKind}

    def of(self, kind: EntryKind | str) -> list[ImportEntry]:
        """The entries of one kind."""
        wanted = EntryKind(kind)
        return [entry for entry in self.entries if entry.kind is wanted]

    @property
    def exit_code(self) -> int:
        """For a command line: 4 the run stopped, 3 an account stopped, 0 otherwise."""
        if any(stop.account is None for stop in self.stops):
            return 4
        return 3 if self.stops else 0

    def add(self, entry: ImportEntry) -> None:
        """Record an entry and tell the progress hook."""
        self.entries.append(entry)
        if self.on_entry is not None:
            self.on_entry(entry)

    def to_json(self) -> dict[str, Any]:
        """The whole result as JSON types (``json.dumps`` takes it as it is)."""
        return {
            "counts": self.counts,
            "entries": [entry.to_json() for entry in self.entries],
            "warnings": [warning.to_json() for warning in self.warnings],
            "stops": [stop.to_json() for stop in self.stops],
            "claims_lost": self.claims_lost,
            "duration": self.duration,
            "dry_run": self.dry_run,
            "complete": self.complete,
        }
