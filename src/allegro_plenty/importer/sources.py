"""Where forms come from: due retries, the events journal, the reconciliation sweep.

Events are hints (Allegro loses, repeats and reorders them), so a sweep over
the forms updated since a lagged watermark runs every ``sweep_interval``. Both
positions live in the ledger as cursors and move on only past what was handled:

* ``"events"``: ``{"last": <last handled event id>, "read_at": <Allegro time>}``;
* ``"sweep"``: ``{"watermark": <Allegro time>, "walk": <walk cursor while a sweep
  is under way, else null>, "newest": <newest updatedAt seen by it>}``.

Times come from Allegro (forms' ``updatedAt``, the answers' ``Date``), never
from this host's clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from .._convert import format_allegro_datetime
from .._plan import Plan, call, next_page
from ..allegro import CheckoutFormWalk, OrderEventWalk
from ..allegro.models import OrderEvent, OrderEventStats, OrderEventType, UnreadableOrderEvent
from ..allegro.paging import in_page_order
from ..errors import APIStatusError, ConfigurationError, CursorConflictError
from ..ledger import Cursor
from ._state import AccountRun
from .failures import reason, unreadable
from .forms import fetch_and_process, process

__all__ = ["EVENT_TYPES", "due_retries", "events", "sweep"]

EVENT_TYPES = (
    OrderEventType.READY_FOR_PROCESSING,
    OrderEventType.BUYER_CANCELLED,
    OrderEventType.AUTO_CANCELLED,
    OrderEventType.BUYER_MODIFIED,
    OrderEventType.FULFILLMENT_STATUS_CHANGED,
)
EVENTS, SWEEP = "events", "sweep"
MAX_CURSOR_AGE = timedelta(days=59)
"""Allegro keeps events 60 days; a cursor last read longer ago may have missed some."""
REFRESH_READ_AT = timedelta(days=1)
"""An idle run stores that it read the journal this often (one ledger write, no more)."""


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _now(run: AccountRun) -> Plan[datetime]:
    """Allegro's time: the ``Date`` of its last answer."""
    date: datetime | None = yield from call(run.allegro, "last_response_date")
    if date is None:  # no answer carried one: ask for one
        yield from call(run.allegro, "get_order_event_stats")
        date = yield from call(run.allegro, "last_response_date")
    if date is None:
        raise ConfigurationError(f"Allegro answers of account {run.key} carry no Date header")
    return date


def _save(run: AccountRun, name: str, value: Any, version: int) -> Plan[Cursor | None]:
    """Store a cursor; ``None`` if another worker moved it since (it goes on from there).

    A dry run stores nothing and goes on as if it had.
    """
    if run.dry_run:
        return Cursor(run.key, name, value, version, saved_at=0.0)
    try:
        saved: Cursor = yield from call(
            "ledger", "save_cursor", run.key, name, value, expected_version=version
        )
    except CursorConflictError:
        return None
    return saved


# --- due retries ---------------------------------------------------------------------------


def due_retries(run: AccountRun) -> Plan[None]:
    """Forms whose failure record is due: read them again and process them."""
    due = yield from call("ledger", "due_retries", run.key)
    for failure in due:
        if run.budget.spent():
            run.result.complete = False
            return
        yield from fetch_and_process(run, failure.form_id, retrying=True)


# --- the events journal ----------------------------------------------------------------------


def _start(run: AccountRun) -> Plan[Cursor | None]:
    """The first run: events from now on; the sweep from now (or the backfill window) on.

    The sweep's cursor is stored first: once the events cursor exists, the journal
    is read only past ``now``, so the sweep must already be there to cover what came
    before. A run that dies between the two leaves the sweep's cursor; the next one
    stores the events cursor.

    Returns the sweep's first cursor (``None`` if another run stored it).
    """
    stats: OrderEventStats = yield from call(run.allegro, "get_order_event_stats")
    now = yield from _now(run)
    latest = stats.latest_event
    base = latest.occurred_at if latest is not None else now
    back = timedelta(seconds=run.settings.backfill or run.settings.sweep_lag)
    sweep = {"watermark": format_allegro_datetime(base - back), "walk": None, "newest": None}
    started = yield from _save(run, SWEEP, sweep, 0)
    events = {"last": latest.id if latest else None, "read_at": format_allegro_datetime(now)}
    yield from _save(run, EVENTS, events, 0)
    return started


def _restart(run: AccountRun, stored: Cursor, why: str) -> Plan[bool]:
    """The cursor is unusable: go on from now; returns ``True``: a sweep must cover the gap."""
    stats: OrderEventStats = yield from call(run.allegro, "get_order_event_stats")
    now = yield from _now(run)
    latest = stats.latest_event
    value = {"last": latest.id if latest else None, "read_at": format_allegro_datetime(now)}
    yield from _save(run, EVENTS, value, stored.version)
    run.warn("cursor_reset", f"events cursor {why}; restarted from now, sweeping the gap")
    return True


def events(run: AccountRun) -> Plan[Cursor | bool]:
    """Read the journal from the stored cursor.

    Returns whether a sweep must cover a gap, or on the first run the sweep's
    first cursor.
    """
    stored: Cursor | None = yield from call("ledger", "cursor", run.key, EVENTS)
    if stored is None:
        started = yield from _start(run)
        return False if started is None else started
    value: dict[str, Any] = stored.value if isinstance(stored.value, dict) else {}
    walk = OrderEventWalk.resume(
        value.get("last"), EVENT_TYPES, page_size=run.settings.event_page_size, per_item=True
    )
    read_at = _time(str(value.get("read_at")))
    first = True
    while not run.budget.spent():
        try:
            page = yield from next_page(walk, run.allegro)
        except APIStatusError as refused:
            if refused.status_code not in (400, 404, 422):
                raise
            return (yield from _restart(run, stored, f"refused by Allegro ({refused.status_code})"))
        if page is None:
            return False
        now = yield from _now(run)
        if first and now - read_at > MAX_CURSOR_AGE:
            return (yield from _restart(run, stored, f"last read {now - read_at} ago"))
        first = False
        items = in_page_order(page, walk.unreadable)
        last = yield from _handle(run, items)
        if last is None and (items or now - read_at < REFRESH_READ_AT):
            continue  # nothing handled (cut short), or an idle run read it recently
        value = {"last": last or value.get("last"), "read_at": format_allegro_datetime(now)}
        saved = yield from _save(run, EVENTS, value, stored.version)
        if saved is None:
            return False  # another worker moved it on: it reads the rest
        stored, read_at = saved, now
    run.result.complete = False
    return False


Event = OrderEvent | UnreadableOrderEvent
"""An event as read, or set aside as unreadable (still a hint if it names its form)."""


def _handle(run: AccountRun, page: Sequence[Event]) -> Plan[str | None]:
    """Process the forms a page names, each once; return the last event handled."""
    paid = {
        form_id
        for e in page
        if (form_id := _form_of(e)) and _type_of(e) == OrderEventType.READY_FOR_PROCESSING
    }
    done: set[str] = set()
    last: str | None = None
    for event in page:
        seller = _seller_of(event)
        if seller is not None and seller != run.key:
            raise ConfigurationError(
                f"the events of account {run.key} are seller {seller}'s: "
                "its token belongs to another account"
            )
        form_id = _form_of(event)
        if isinstance(event, UnreadableOrderEvent):
            then = "its form is read all the same" if form_id else "the sweep finds its form"
            run.warn(
                "unreadable_event",
                f"event {event.id or '#' + str(event.index)} could not be read "
                f"({reason(event.error)}); {then}",
                form_id,
            )
        if form_id is not None and form_id not in done:
            if run.budget.spent():
                run.result.complete = False
                break
            yield from fetch_and_process(run, form_id, paid_seen=form_id in paid)
            done.add(form_id)
        last = event.id or last
    return last


def _form_of(event: Event) -> str | None:
    if isinstance(event, UnreadableOrderEvent):
        return event.checkout_form_id
    return event.order.checkout_form.id if event.order.checkout_form is not None else None


def _seller_of(event: Event) -> str | None:
    return event.seller_id if isinstance(event, UnreadableOrderEvent) else event.order.seller.id


def _type_of(event: Event) -> str | None:
    return event.type if isinstance(event, UnreadableOrderEvent) else event.type.value


# --- the reconciliation sweep ------------------------------------------------------------------


def sweep(run: AccountRun, started: Cursor | bool) -> Plan[None]:
    """Walk the forms updated since the watermark: due, forced (``started`` is ``True``),
    first (``started`` is the first cursor), or under way."""
    stored: Cursor | None
    if isinstance(started, Cursor):
        stored = started
    else:
        stored = yield from call("ledger", "cursor", run.key, SWEEP)
    if stored is None or not isinstance(stored.value, dict):
        return  # not started yet (the first run's events step starts it)
    value: dict[str, Any] = stored.value
    under_way = value.get("walk") is not None
    due = started is not False or under_way
    if not due:
        due = yield from call("ledger", "sweep_due", run.key, interval=run.settings.sweep_interval)
    if not due:
        return
    watermark = _time(str(value["watermark"]))
    size = run.settings.sweep_page_size
    walk = (
        CheckoutFormWalk.resume(value["walk"], page_size=size, per_item=True)
        if under_way
        else CheckoutFormWalk(watermark, page_size=size, per_item=True)
    )
    newest = _time(value["newest"]) if value.get("newest") else None
    while (page := (yield from next_page(walk, run.allegro))) is not None:
        for form in page:
            if run.budget.spent():
                run.result.complete = False
                return  # the stored walk cursor is before this page: read again next run
            yield from process(run, form)
            if form.updated_at is not None and (newest is None or form.updated_at > newest):
                newest = form.updated_at
        for item in walk.unreadable:  # the walk moved past them; a person looks at them
            if item.id is not None:
                yield from unreadable(run, item.id, item.error)
            else:
                run.warn("unreadable_form", f"a form without a readable id: {reason(item.error)}")
        value = {**value, "walk": walk.cursor, "newest": _iso(newest)}
        saved = yield from _save(run, SWEEP, value, stored.version)
        if saved is None:
            return  # another worker sweeps: it goes on
        stored = saved
    now = yield from _now(run)
    lagged = (newest or now) - timedelta(seconds=run.settings.sweep_lag)
    end = {
        "watermark": format_allegro_datetime(max(watermark, lagged)),
        "walk": None,
        "newest": None,
    }
    if (yield from _save(run, SWEEP, end, stored.version)) is not None and not run.dry_run:
        yield from call("ledger", "record_sweep", run.key)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else format_allegro_datetime(value)
