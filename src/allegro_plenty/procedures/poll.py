"""One poll of the polling trigger, written once as a plan both pollers drive.

A poll gathers dispatches from four sources, runs them as one batch, then
moves its cursors on (so a poll that dies before the end is repeated, and the
executions make the repeat a no-op):

* **Status history** (:class:`~allegro_plenty.procedures.StatusRule`): the
  entries plentymarkets wrote since the cursor, each handled once. The cursor
  is plentymarkets' own time of the newest entry seen, never this host's; each
  poll reads again from ``overlap`` before it, and the ids it saw there are
  kept with the cursor so an entry is never handled twice. The first poll
  without a cursor starts at the newest entry (two small reads): history from
  before the poller existed fires nothing. An entry whose status no rule
  watches, or of an order that is not bound in the ledger, costs no
  plentymarkets call; only rules that watch delivery or return orders look
  their unbound entries up, a page of 250 ids per request.
* **Echo guard:** an entry of a bound order whose status the library set itself
  (recorded in the ledger before it was sent) consumes that record and fires
  nothing. The user id is never looked at: hosts share REST users.
* **Created orders** (:class:`~allegro_plenty.procedures.CreatedRule`): the
  ledger's bindings of origin ``created`` since the cursor (ledger time, with
  the same overlap), each once; no plentymarkets call.
* **Invoice documents** (:class:`~allegro_plenty.procedures.InvoiceDocumentsRule`):
  the documents of each watched type plentymarkets updated since the cursor, a
  page per request, with the same cursor as the status history (plentymarkets'
  ``updatedAt``, the overlap, the ids seen in it); a document of a bound order
  is dispatched (its id the subject), one of any other order costs no call.
* **Tracking sweep** (:class:`~allegro_plenty.procedures.TrackingSweep`): the
  Allegro orders and delivery orders in the status range, listed with their
  shipping packages, a page per request; each package number whose tracking
  execution was never begun is dispatched (as the subject, on the order holding
  the package).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timezone
from decimal import Decimal
from typing import Generic, Protocol, TypeVar

import attrs

from .._http.operation import Operation
from .._plan import Plan, Walk, call, collect, next_page
from ..errors import ConfigurationError, NotFromAllegroError
from ..ledger import JSON, Binding, BindingOrigin, Cursor, Execution
from ..plenty import OrderWalk
from ..plenty import endpoints as ep
from ..plenty.filters import OrderFilter
from ..plenty.models import Document, Order, OrderType, Page, StatusHistoryEntry
from ..plenty.paging import PageWalk, StatusHistoryWalk
from .builtins.tracking import normalize_waybill
from .dispatch import Dispatch, DispatchSetup, dispatch_many
from .outcome import DispatchFailure, ExecutionResult, ProcedureOutcome, ProcedureReport
from .resolve import REFERRER_CURSOR, _decimal, _parent
from .rules import CreatedRule, InvoiceDocumentsRule, PollSettings, StatusRule, TrackingSweep

__all__ = ["DOCUMENTS_CURSOR", "HISTORY_CURSOR", "PollReport", "PollSetup", "poll_once"]

HISTORY_CURSOR = "status_history"
"""The poller's cursor over plentymarkets' status history."""
DOCUMENTS_CURSOR = "documents"
"""The poller's cursors over plentymarkets' documents: ``documents:<type>``."""


class _Identified(Protocol):
    @property
    def id(self) -> int: ...


_Entry = TypeVar("_Entry", bound=_Identified)
_BEGINNING = datetime(2000, 1, 1, tzinfo=timezone.utc)
_CHILD_TYPES = (OrderType.DELIVERY, OrderType.RETURNS)
_SWEPT_TYPES = (OrderType.SALES_ORDER, OrderType.DELIVERY)


@attrs.frozen
class PollSetup:
    """What every poll of a poller shares."""

    dispatch: DispatchSetup
    status_rules: tuple[StatusRule, ...]
    created_rules: tuple[CreatedRule, ...]
    tracking: TrackingSweep | None
    settings: PollSettings
    documents: InvoiceDocumentsRule | None = None


@attrs.frozen
class PollReport:
    """What one poll did.

    Attributes:
        procedures: The dispatches it ran: what ran, was skipped and failed
            (``report.procedures.failures``: dispatches that could not start).
        transitions: Status-history entries new to the poller.
        echoes: Of them, status changes the library made itself (they fired nothing).
        created: Orders the importer created, new to the poller.
        swept: Orders the tracking sweep looked at.
        documents: Invoice (and correction) documents new to the poller.
    """

    procedures: ProcedureReport
    transitions: int = 0
    echoes: int = 0
    created: int = 0
    swept: int = 0
    documents: int = 0

    @property
    def done(self) -> tuple[tuple[ProcedureOutcome, ExecutionResult], ...]:
        """Executions done."""
        return self.procedures.done

    @property
    def skipped(self) -> tuple[tuple[ProcedureOutcome, ExecutionResult], ...]:
        """Executions that ran and were skipped."""
        return self.procedures.skipped

    @property
    def failed(self) -> tuple[tuple[ProcedureOutcome, ExecutionResult], ...]:
        """Executions that failed (quarantined ones included)."""
        return self.procedures.failed

    @property
    def failures(self) -> tuple[DispatchFailure, ...]:
        """Dispatches that failed before running anything."""
        return self.procedures.failures


class _Dispatches:
    """The poll's dispatches, in the order found, each once."""

    def __init__(self) -> None:
        self._found: dict[Dispatch, None] = {}

    def add(self, procedure: str, order_id: int, subject: str | None = None) -> None:
        self._found.setdefault(Dispatch(procedure, order_id, subject), None)

    def __iter__(self) -> Iterator[Dispatch]:
        return iter(list(self._found))


def poll_once(setup: PollSetup) -> Plan[PollReport]:
    """One poll (see the module)."""
    found = _Dispatches()
    history = yield from _history(setup, found)
    created = 0
    created_saves: list[tuple[str, dict[str, JSON], int]] = []
    if setup.created_rules:
        for account in setup.dispatch.accounts:
            count, save = yield from _created(setup, account, found)
            created += count
            created_saves.append(save)
    swept = 0
    if setup.tracking is not None:
        swept = yield from _sweep(setup, setup.tracking, history.server_now, found)
    documents = 0
    if setup.documents is not None:
        documents, document_saves = yield from _documents(setup, setup.documents, found)
        created_saves += document_saves
    report = yield from dispatch_many(setup.dispatch, found)
    account = setup.settings.cursor_account
    yield from _save(account, HISTORY_CURSOR, history.cursor, history.version)
    for name, value, version in created_saves:
        yield from _save(account, name, value, version)
    return PollReport(report, history.transitions, history.echoes, created, swept, documents)


def _save(account: str, name: str, value: dict[str, JSON], version: int) -> Plan[None]:
    yield from call("ledger", "save_cursor", account, name, value, expected_version=version)


def _stored(account: str, name: str, fields: Sequence[str]) -> Plan[tuple[dict[str, JSON], int]]:
    cursor: Cursor | None = yield from call("ledger", "cursor", account, name)
    if cursor is None:
        return {}, 0
    value = cursor.value
    if not isinstance(value, dict) or not all(f in value for f in fields):
        raise ConfigurationError(f"the poller's cursor {name!r} ({account}) is not one it wrote")
    return dict(value), cursor.version


def _json_ids(ids: Iterable[int]) -> list[JSON]:
    kept: list[JSON] = []
    kept.extend(sorted(ids))
    return kept


def _ids(value: object, what: str) -> set[int]:
    if not isinstance(value, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in value
    ):
        raise ConfigurationError(f"the poller's cursor holds no list of ids under {what!r}")
    return set(value)


# --- status history -----------------------------------------------------------------------


@attrs.frozen
class _HistoryRead:
    cursor: dict[str, JSON]
    version: int
    server_now: datetime | None
    transitions: int = 0
    echoes: int = 0


def _history(setup: PollSetup, found: _Dispatches) -> Plan[_HistoryRead]:
    size = setup.settings.page_size
    read: _Since[StatusHistoryEntry] = yield from _since(
        setup,
        HISTORY_CURSOR,
        lambda start: StatusHistoryWalk(start, page_size=size),
        lambda page: ep.list_status_history(page=page, items_per_page=1),
        lambda entry: entry.created_at,
    )
    echoes = yield from _transitions(setup, read.fresh, found)
    return _HistoryRead(read.cursor, read.version, read.newest, len(read.fresh), echoes)


@attrs.frozen
class _Since(Generic[_Entry]):
    fresh: list[_Entry]
    cursor: dict[str, JSON]
    version: int
    newest: datetime | None


def _since(
    setup: PollSetup,
    name: str,
    walk_from: Callable[[datetime], Walk[Page[_Entry], _Entry]],
    probe: Callable[[int], Operation[Page[_Entry]]],
    moment: Callable[[_Entry], datetime],
    ready: Callable[[_Entry], bool] = lambda entry: True,
) -> Plan[_Since[_Entry]]:
    """The entries of a list plentymarkets keeps in time order (its own clock) that are new
    since the cursor ``name``: read again from ``overlap`` before the newest time seen, the
    ids seen there skipped. An entry not ``ready`` yet is neither new nor seen."""
    account = setup.settings.cursor_account
    stored, version = yield from _stored(account, name, ("since", "floor", "seen"))
    if not version:
        return (yield from _start(probe, moment))
    since = _when(stored["since"])
    floor = stored["floor"]
    if floor is not None and (not isinstance(floor, int) or isinstance(floor, bool)):
        raise ConfigurationError(f"the poller's cursor {name!r} has a bad floor")
    seen = _ids(stored["seen"], "seen")
    overlap = setup.settings.overlap
    read: list[_Entry] = yield from collect(
        walk_from(since - overlap if since is not None else _BEGINNING), "plenty"
    )
    entries = [e for e in read if ready(e)]
    fresh = [e for e in entries if e.id not in seen and (floor is None or e.id > floor)]
    times = [moment(e) for e in entries] + ([since] if since is not None else [])
    newest = max(times, default=None)
    kept = _json_ids(e.id for e in entries if newest and moment(e) >= newest - overlap)
    cursor: dict[str, JSON] = {"since": _text(newest), "floor": floor, "seen": kept}
    return _Since(fresh, cursor, version, newest)


def _start(
    probe: Callable[[int], Operation[Page[_Entry]]], moment: Callable[[_Entry], datetime]
) -> Plan[_Since[_Entry]]:
    """The first poll: remember where the list stands now (its first and last entries,
    ``probe`` asking for one a page), fire nothing from it."""
    first: Page[_Entry] = yield from call("plenty", "send", probe(1))
    entries = list(first.entries)
    last = first.last_page_number or first.totals_count
    if entries and last > 1:
        final: Page[_Entry] = yield from call("plenty", "send", probe(last))
        entries += final.entries
    if not entries:
        return _Since([], {"since": None, "floor": None, "seen": []}, 0, None)
    newest = max(moment(e) for e in entries)
    cursor: dict[str, JSON] = {
        "since": _text(newest),
        "floor": max(e.id for e in entries),
        "seen": [],
    }
    return _Since([], cursor, 0, newest)


def _transitions(
    setup: PollSetup, fresh: Sequence[StatusHistoryEntry], found: _Dispatches
) -> Plan[int]:
    """Fire the status rules for the new entries; return how many were the library's own."""
    echoes = 0
    unbound: dict[int, list[tuple[StatusHistoryEntry, list[StatusRule]]]] = {}
    for entry in sorted(fresh, key=lambda e: e.id):
        rules = [r for r in setup.status_rules if r.matches(entry.status_id)]
        if not rules:
            continue
        binding: Binding | None = yield from call("ledger", "binding_for_order", entry.order_id)
        if binding is None:
            if any(r.order_types - {OrderType.SALES_ORDER} for r in rules):
                unbound.setdefault(entry.order_id, []).append((entry, rules))
            continue  # not ours: no plentymarkets call
        if binding.account in setup.dispatch.accounts:
            echoes += yield from _fire(found, binding.account, entry, rules, OrderType.SALES_ORDER)
    if unbound:
        echoes += yield from _child_transitions(setup, unbound, found)
    return echoes


def _fire(
    found: _Dispatches,
    account: str,
    entry: StatusHistoryEntry,
    rules: Sequence[StatusRule],
    order_type: int,
) -> Plan[int]:
    """Fire the rules watching ``order_type`` for one entry of an order of ours, unless
    the entry is the library's own change; return 1 for such an echo, else 0."""
    if (yield from _echo(account, entry)):
        return 1
    for rule in rules:
        if order_type in rule.order_types:
            found.add(rule.procedure, entry.order_id)
    return 0


def _echo(account: str, entry: StatusHistoryEntry) -> Plan[bool]:
    """Whether the entry is a status change the library recorded before making it
    (consuming that record)."""
    own: bool = yield from call(
        "ledger", "consume_status_write", account, entry.order_id, entry.status_id
    )
    return own


def _child_transitions(
    setup: PollSetup,
    unbound: dict[int, list[tuple[StatusHistoryEntry, list[StatusRule]]]],
    found: _Dispatches,
) -> Plan[int]:
    """Entries of unbound orders that rules on delivery or return orders watch: those of
    children of bound orders fire (their ids looked up a page at a time)."""
    echoes = 0
    ids = sorted(unbound)
    size = setup.settings.page_size
    for start in range(0, len(ids), size):
        wanted = OrderFilter(order_ids=ids[start : start + size], order_types=_CHILD_TYPES)
        walk = OrderWalk(wanted, relations=("relations",), page_size=size)
        children: list[Order] = yield from collect(walk, "plenty")
        for child in children:
            if child.id not in unbound or child.type_id not in _CHILD_TYPES:
                continue
            binding = yield from _binding_of(setup, child)
            if binding is None:
                continue
            for entry, rules in unbound[child.id]:
                echoes += yield from _fire(found, binding.account, entry, rules, child.type_id)
    return echoes


def _binding_of(setup: PollSetup, order: Order) -> Plan[Binding | None]:
    """The binding of a sales order, or of a delivery or return order's parent, if it is
    one of this poller's accounts (``None`` otherwise)."""
    sales_id = order.id
    if order.type_id != OrderType.SALES_ORDER:
        try:
            sales_id = _parent(order)
        except NotFromAllegroError:
            return None
    binding: Binding | None = yield from call("ledger", "binding_for_order", sales_id)
    if binding is None or binding.account not in setup.dispatch.accounts:
        return None
    return binding


def _when(value: object) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.utcoffset() is None:
        raise ConfigurationError(f"the poller's cursor has a bad time: {value!r}")
    return moment


def _text(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


# --- created orders -------------------------------------------------------------------------


def _created(
    setup: PollSetup, account: str, found: _Dispatches
) -> Plan[tuple[int, tuple[str, dict[str, JSON], int]]]:
    """Fire the created rules for the account's bindings of origin ``created`` new to the poller."""
    name = f"created:{account}"
    stored, version = yield from _stored(setup.settings.cursor_account, name, ("since", "seen"))
    since = stored.get("since")
    if since is not None and (
        isinstance(since, bool) or not isinstance(since, int | float) or not math.isfinite(since)
    ):
        raise ConfigurationError(f"the poller's cursor {name!r} has a bad time")
    seen = _ids(stored.get("seen", []), "seen")
    overlap = setup.settings.overlap.total_seconds()
    start = 0.0 if since is None else max(0.0, float(since) - overlap)
    limit = setup.settings.bindings_batch
    read: list[Binding] = []
    new = 0
    while True:
        batch: list[Binding] = yield from call(
            "ledger", "bindings_since", account, start, origin=BindingOrigin.CREATED, limit=limit
        )
        read += batch
        fresh = [b for b in batch if b.plenty_order_id not in seen]
        for binding in fresh:
            seen.add(binding.plenty_order_id)
            new += 1
            for rule in setup.created_rules:
                found.add(rule.procedure, binding.plenty_order_id)
        if len(batch) < limit or not fresh:
            break
        start = batch[-1].bound_at  # the next batch: from the last one's time, ties included
    times = [b.bound_at for b in read] + ([float(since)] if since is not None else [])
    newest = max(times, default=None)
    recent = (
        b.plenty_order_id for b in read if newest is not None and b.bound_at >= newest - overlap
    )
    kept = _json_ids(recent)
    return new, (name, {"since": newest, "seen": kept}, version)


# --- tracking sweep -------------------------------------------------------------------------


def _sweep(
    setup: PollSetup, sweep: TrackingSweep, server_now: datetime | None, found: _Dispatches
) -> Plan[int]:
    """Dispatch the tracking procedure on swept orders with a package number never sent."""
    referrers: set[Decimal] = set(setup.dispatch.config.referrer_ids)
    for account in setup.dispatch.accounts:
        cursor: Cursor | None = yield from call("ledger", "cursor", account, REFERRER_CURSOR)
        value = cursor.value if cursor is not None else None
        if isinstance(value, dict):
            for key in ("parent_id", "referrer_id"):
                referrer = _decimal(value.get(key))
                if referrer is not None:
                    referrers.add(referrer)
    # The window is measured on plentymarkets' clock: the newest history entry's time.
    oldest = None if server_now is None else server_now - sweep.tracking_window
    swept = 0
    for referrer in sorted(referrers):
        wanted = OrderFilter(
            referrer_id=referrer,
            order_types=_SWEPT_TYPES,
            status_from=sweep.from_status,
            status_to=sweep.below,  # inclusive: the end is excluded below
            created_at_from=oldest,
        )
        walk = OrderWalk(
            wanted,
            relations=("shippingPackages", "relations"),
            page_size=setup.settings.page_size,
        )
        while (page := (yield from next_page(walk, "plenty"))) is not None:
            for order in page:
                if sweep.covers(order.status_id):
                    swept += 1
                    yield from _sweep_order(setup, sweep, order, found)
    return swept


def _sweep_order(
    setup: PollSetup, sweep: TrackingSweep, order: Order, found: _Dispatches
) -> Plan[None]:
    waybills = {
        normalize_waybill(p.package_number)
        for p in order.shipping_packages or ()
        if normalize_waybill(p.package_number)
    }
    if not waybills:
        return
    binding = yield from _binding_of(setup, order)
    if binding is None:
        return
    for waybill in sorted(waybills):
        execution: Execution | None = yield from call(
            "ledger",
            "execution",
            binding.account,
            sweep.procedure,
            binding.plenty_order_id,
            waybill,
        )
        if execution is None:  # never begun; failed ones are retry_due's
            found.add(sweep.procedure, order.id, waybill)


# --- invoice documents ----------------------------------------------------------------------


def _documents(
    setup: PollSetup, rule: InvoiceDocumentsRule, found: _Dispatches
) -> Plan[tuple[int, list[tuple[str, dict[str, JSON], int]]]]:
    """Dispatch the rule's procedure on each new document of a bound order."""
    size = setup.settings.page_size
    new = 0
    saves: list[tuple[str, dict[str, JSON], int]] = []
    for kind in rule.document_types(setup.dispatch.config.invoice_corrections):

        def walk_from(start: datetime, kind: str = kind) -> PageWalk[Document]:
            return PageWalk(
                lambda page: ep.list_documents(
                    kind, updated_at_from=start, page=page, items_per_page=size
                ),
                _document_id,
            )

        def probe(page: int, kind: str = kind) -> Operation[Page[Document]]:
            return ep.list_documents(kind, page=page, items_per_page=1)

        name = f"{DOCUMENTS_CURSOR}:{kind}"
        read = yield from _since(setup, name, walk_from, probe, _document_time, _made)
        for document in sorted(read.fresh, key=lambda d: d.id):
            new += 1
            for order_id in document.order_ids():
                # Only the ledger is asked: a document of an order not ours costs no call.
                binding: Binding | None = yield from call("ledger", "binding_for_order", order_id)
                if binding is not None and binding.account in setup.dispatch.accounts:
                    found.add(rule.procedure, order_id, str(document.id))
        saves.append((name, read.cursor, read.version))
    return new, saves


def _document_id(document: Document) -> int:
    return document.id


def _document_time(document: Document) -> datetime:
    return document.updated_at or document.created_at or _BEGINNING


def _made(document: Document) -> bool:
    """Whether plentymarkets has finished the document (a pending one fires once done)."""
    return document.status in (None, "done")
