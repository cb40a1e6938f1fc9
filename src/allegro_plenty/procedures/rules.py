"""What the polling trigger watches: status rules, the ``created`` event, the tracking sweep,
new invoice documents.

A rule names a procedure and what fires it. A :class:`StatusRule` fires on a
*transition* plentymarkets recorded in its status history (an order entering
one of the rule's statuses), never on an order's current status, so an order
that went 4 → 5 → 7 between two polls fires the rule for 5 and one that jumped
4 → 7 does not. A :class:`CreatedRule` fires once for each order the importer
created (not for one it adopted). The :class:`TrackingSweep` pushes package
numbers, which plentymarkets records in no history. An
:class:`InvoiceDocumentsRule` fires for each invoice (and correction) document
plentymarkets made since the last poll.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

from ..errors import ConfigurationError
from ..plenty.models import DocumentType, OrderType
from .builtins.invoice import INVOICE_KEY
from .builtins.tracking import TRACKING_KEY

__all__ = ["CreatedRule", "InvoiceDocumentsRule", "PollSettings", "StatusRule", "TrackingSweep"]


def _status(value: object) -> Decimal:
    complaint = f"a status is a plentymarkets status id like 5 or '5.1', got {value!r}"
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
        raise ConfigurationError(complaint)
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite() or number <= 0:
        raise ConfigurationError(complaint)
    return number.normalize()


def _optional_status(value: object) -> Decimal | None:
    return None if value is None else _status(value)


def _statuses(values: Iterable[object]) -> frozenset[Decimal]:
    if isinstance(values, str | bytes | int | Decimal) or not isinstance(values, Iterable):
        raise ConfigurationError(f"statuses is a collection of status ids, got {values!r}")
    return frozenset(_status(value) for value in values)


def _order_types(values: Iterable[object]) -> frozenset[int]:
    found = tuple(values)
    allowed = (OrderType.SALES_ORDER, OrderType.DELIVERY, OrderType.RETURNS)
    if not found or not all(isinstance(v, int) and v in allowed for v in found):
        raise ConfigurationError(
            f"order_types are sales (1), delivery (2) or return (3) orders, got {found!r}"
        )
    return frozenset(int(v) for v in found if isinstance(v, int))


def _procedure(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"{attribute.name} must be a procedure's key, got {value!r}")


@attrs.frozen
class StatusRule:
    """Run ``procedure`` when an order enters one of these statuses.

    The statuses are ``statuses`` (exactly: ``"5.1"`` is not ``5``) and the
    half-open range ``from_status`` ≤ s < ``below``, either or both:
    ``StatusRule("allegro.status.ready_for_shipment", from_status=5, below=6)``
    fires for 5, 5.1 ... 5.99, not for 6.

    Attributes:
        procedure: The procedure's key.
        statuses: Statuses that fire, exactly.
        from_status: The lowest status of the range (inclusive).
        below: The end of the range (exclusive); needs ``from_status``.
        order_types: The orders whose transitions count: sales orders by default;
            add delivery (2) or return (3) orders for procedures about those (a
            return order entering 9.1 → *Refund payment*). The procedure is
            dispatched on the order that moved.
    """

    procedure: str = attrs.field(validator=_procedure)
    statuses: frozenset[Decimal] = attrs.field(default=frozenset(), converter=_statuses)
    from_status: Decimal | None = attrs.field(default=None, converter=_optional_status)
    below: Decimal | None = attrs.field(default=None, converter=_optional_status)
    order_types: frozenset[int] = attrs.field(
        default=frozenset({OrderType.SALES_ORDER}), converter=_order_types
    )

    def __attrs_post_init__(self) -> None:
        if self.below is not None and self.from_status is None:
            raise ConfigurationError(f"rule {self.procedure!r}: below needs from_status")
        if (
            self.below is not None
            and self.from_status is not None
            and (self.below <= self.from_status)
        ):
            raise ConfigurationError(
                f"rule {self.procedure!r}: below ({self.below}) must be above "
                f"from_status ({self.from_status})"
            )
        if not self.statuses and self.from_status is None:
            raise ConfigurationError(f"rule {self.procedure!r} names no status")

    def matches(self, status: Decimal) -> bool:
        """Whether entering ``status`` fires the rule."""
        if status in self.statuses:
            return True
        if self.from_status is None or status < self.from_status:
            return False
        return self.below is None or status < self.below


@attrs.frozen
class CreatedRule:
    """Run ``procedure`` once for every order the importer created.

    Read straight from the ledger's bindings (origin ``created``): no
    plentymarkets call, and an order the importer adopted (found already in
    plentymarkets) never fires. ``CreatedRule("allegro.status.processing")``
    tells the buyer the order is being processed as soon as it is imported.
    """

    procedure: str = attrs.field(validator=_procedure)


def _corrections(value: object) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise ConfigurationError(f"corrections is True, False or None, got {value!r}")
    return value


@attrs.frozen(kw_only=True)
class InvoiceDocumentsRule:
    """Run ``procedure`` for every invoice document plentymarkets made or changed since
    the last poll.

    Each poll lists the invoice documents of every order updated since the
    cursor (plentymarkets' own ``updatedAt``, read again from ``overlap`` before
    it, the ids seen there kept so none fires twice): one request per page of
    documents, never one per order. A document of an order bound in the ledger
    is dispatched with the document's id as the subject; one of any other order
    costs nothing more. A document plentymarkets is still making (``pending``)
    fires when it is done. The first poll only notes where the documents stand.

    Attributes:
        procedure: The procedure dispatched (*Upload invoice*).
        corrections: Watch correction documents too: ``None`` (the default)
            follows ``ProcedureConfig.invoice_corrections``.
    """

    procedure: str = attrs.field(default=INVOICE_KEY, validator=_procedure)
    corrections: bool | None = attrs.field(default=None, converter=_corrections)

    def document_types(self, config_corrections: bool) -> tuple[str, ...]:
        """The document types (path names) watched, given the configuration's choice."""
        corrections = config_corrections if self.corrections is None else self.corrections
        return (
            (DocumentType.INVOICE, DocumentType.CORRECTION)
            if corrections
            else (DocumentType.INVOICE,)
        )


def _window(value: object) -> timedelta:
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = timedelta(seconds=value)
    if not isinstance(value, timedelta) or value <= timedelta(0):
        raise ConfigurationError(f"tracking_window must be a positive timedelta, got {value!r}")
    return value


@attrs.frozen(kw_only=True)
class TrackingSweep:
    """Push package numbers of Allegro orders in a status range.

    Each poll lists the Allegro orders (the importer's referrers, and
    ``ProcedureConfig.referrer_ids``) and their delivery orders whose status is
    in ``from_status`` ≤ s < ``below`` and that were created within
    ``tracking_window``, with their shipping packages: one request per page of
    250 orders, never one per order. An order with a package number not sent
    yet is dispatched to ``procedure``. Orders leave the sweep when they move
    past the range or grow older than the window.

    Attributes:
        from_status: The lowest status swept (inclusive).
        below: The end of the range (exclusive).
        tracking_window: How long after its creation an order is swept.
        procedure: The procedure dispatched (*Provide tracking number*).
    """

    from_status: Decimal = attrs.field(default=Decimal(5), converter=_status)
    below: Decimal = attrs.field(default=Decimal(8), converter=_status)
    tracking_window: timedelta = attrs.field(default=timedelta(days=14), converter=_window)
    procedure: str = attrs.field(default=TRACKING_KEY, validator=_procedure)

    def __attrs_post_init__(self) -> None:
        if self.below <= self.from_status:
            raise ConfigurationError(
                f"the sweep's below ({self.below}) must be above from_status ({self.from_status})"
            )

    def covers(self, status: Decimal) -> bool:
        """Whether an order in ``status`` is swept."""
        return self.from_status <= status < self.below


def _overlap(value: object) -> timedelta:
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = timedelta(seconds=value)
    if not isinstance(value, timedelta) or value < timedelta(0):
        raise ConfigurationError(f"overlap must be a timedelta of zero or more, got {value!r}")
    return value


def _name(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"{attribute.name} must be a non-empty string, got {value!r}")


@attrs.frozen(kw_only=True)
class PollSettings:
    """How the poller reads.

    Attributes:
        overlap: Each poll reads the status history (and the ledger's bindings)
            again from this long before the newest entry it saw, for entries
            written late (a transaction that committed after a later one); what
            it saw already is recognised and not fired again.
        name: The poller's name: its cursors are kept in the ledger under
            ``poller:<name>``. Pollers with different rules need different names.
        page_size: Entries or orders per plentymarkets request (at most 250).
        bindings_batch: Bindings read from the ledger per request.
    """

    overlap: timedelta = attrs.field(default=timedelta(minutes=5), converter=_overlap)
    name: str = attrs.field(default="default", validator=_name)
    page_size: int = attrs.field(default=250)
    bindings_batch: int = attrs.field(default=500)

    @page_size.validator
    def _check_page_size(self, _: object, value: object) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 250:
            raise ConfigurationError(f"page_size must be 1..250, got {value!r}")

    @bindings_batch.validator
    def _check_batch(self, _: object, value: object) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigurationError(f"bindings_batch must be a positive integer, got {value!r}")

    @property
    def cursor_account(self) -> str:
        """The ledger key the poller's cursors are kept under."""
        return f"poller:{self.name}"
