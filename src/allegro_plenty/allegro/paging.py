"""Walking paged Allegro lists, written once as I/O-free state machines.

A walk says which request to send next (:meth:`next_operation`) and digests
the answer (:meth:`feed`), returning the items to hand out. The sync and the
async client drive the same walk; neither contains paging logic.

Checkout forms are walked by *keyset* on ``updatedAt``, not by offset. An
offset walk over a list sorted by ``updatedAt`` skips a form whenever an
earlier form changes during the walk: the changed form moves to the end and
every later form shifts one place towards the start, under the page already
read. Offsets are also capped (``offset + limit`` at most 10,000). The keyset
walk asks for ``updatedAt >= watermark`` sorted by ``updatedAt``, moves the
watermark to the newest ``updatedAt`` of each page, re-reads that millisecond (the
overlap) and drops what it already handed out. It uses an offset only inside
one identical millisecond, when a whole page shares it; only there could a
form that changes mid-walk shift another past the walk, which takes more than
a page of forms updated in the same millisecond.

A walk that does not advance stops with :class:`~allegro_plenty.errors.PagingError`
instead of asking again: a server (or a proxy, or a cache) that ignores the
parameter that moves the walk on answers what it answered before, and the walk
would never end or hand out the same items again and again.

Each walk has a ``cursor`` made of JSON types only. Store it after handling a
page, and ``resume`` the walk from it later, in this process or another: a
resumed checkout-form walk hands out every form changed since, and none it
handed out before that did not change again. A resumed walk re-reads the forms
of the watermark's millisecond from offset 0 (forms there may have moved while
it paused) before it holds a repeated page against the server.

Memory stays bounded: the checkout-form walk keeps only the ids of the forms
updated in the millisecond it stands on (at most 10,000, Allegro's offset cap),
the event walk only the last ``from`` values it sent.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import TypeVar

import attrs

from .._convert import format_allegro_datetime
from .._cursor import Cursor, cursor_fields, cursor_ids, cursor_time
from .._http.operation import Operation
from .._plan import Walk
from ..errors import ModelValidationError, PagingError
from . import endpoints as ep
from .models import (
    CheckoutForm,
    CheckoutFormFilter,
    CheckoutForms,
    CheckoutFormSort,
    OrderEvent,
    OrderEvents,
    OrderEventType,
    UnreadableCheckoutForm,
    UnreadableOrderEvent,
)

__all__ = ["CheckoutFormWalk", "OrderEventWalk", "Walk", "in_page_order"]

W = TypeVar("W", bound="CheckoutFormWalk")
T = TypeVar("T")

RECENT_FROMS = 32
"""How many of its last ``from`` values the event walk remembers to notice a loop."""


def _millis(value: datetime) -> datetime:
    # Allegro keeps and compares updatedAt in milliseconds, and the watermark is
    # sent with milliseconds: compare at that precision or the overlap fails.
    utc = value.astimezone(timezone.utc)
    return utc.replace(microsecond=utc.microsecond // 1000 * 1000)


class CheckoutFormWalk:
    """Every checkout form updated at or after ``updated_since``, none skipped.

    A form is handed out at least once if it matched when the walk started or
    was updated while it ran. A form updated after it was handed out comes
    again, in its new state; the re-read overlap is never handed out twice.

    Args:
        updated_since: The lower bound (timezone-aware).
        filter: Further filters. Its ``updated_at_gte`` and ``sort`` belong to
            the walk; ``updated_at_lte`` bounds the walk.
        page_size: Forms per request (1 to 100).
        language: ``Accept-Language`` for error messages.
        per_item: Read each form of a page on its own: one that does not fit
            the model is set aside in :attr:`unreadable` (the walk moves past
            it) instead of failing the whole page.

    Attributes:
        watermark: Every form updated before it has been handed out.
        unreadable: With ``per_item``, the forms of the last page fed that
            could not be read and were not set aside before.
    """

    def __init__(
        self,
        updated_since: datetime,
        filter: CheckoutFormFilter = ep.NO_FILTER,
        *,
        page_size: int = ep.CHECKOUT_FORMS_PAGE_LIMIT,
        language: str = "en-US",
        per_item: bool = False,
    ) -> None:
        if updated_since.utcoffset() is None:
            raise ValueError(f"updated_since must be timezone-aware, got {updated_since!r}")
        if filter.updated_at_gte is not None:
            raise ValueError("pass the lower bound as updated_since, not filter.updated_at_gte")
        if filter.sort not in (None, CheckoutFormSort.UPDATED_AT):
            raise ValueError(f"the walk sorts by updatedAt; filter.sort={filter.sort!r} conflicts")
        if not 1 <= page_size <= ep.CHECKOUT_FORMS_PAGE_LIMIT:
            raise ValueError(f"page_size must be 1..{ep.CHECKOUT_FORMS_PAGE_LIMIT}")
        self.watermark = _millis(updated_since)
        self._filter = filter
        self._page_size = page_size
        self._language = language
        self._per_item = per_item
        self.unreadable: tuple[UnreadableCheckoutForm, ...] = ()
        self._offset = 0
        self._seen_at_cursor: set[str] = set()
        self._replay = 0
        """Forms at the watermark a resumed walk may legitimately read again."""
        self._done = False

    @classmethod
    def resume(
        cls: type[W],
        cursor: object,
        filter: CheckoutFormFilter = ep.NO_FILTER,
        *,
        page_size: int = ep.CHECKOUT_FORMS_PAGE_LIMIT,
        language: str = "en-US",
        per_item: bool = False,
    ) -> W:
        """The walk that goes on from ``cursor`` (a :attr:`cursor` read back from storage).

        It hands out every form updated since the cursor was taken, and none
        it had handed out unless it changed again. Pass the same ``filter``.

        Raises:
            ModelValidationError: ``cursor`` is not one this walk wrote.
        """
        fields = cursor_fields(_FORMS, cursor, {"updated_at": (str,), "seen": (list,)})
        walk = cls(
            cursor_time(_FORMS, fields["updated_at"], "updated_at"),
            filter,
            page_size=page_size,
            language=language,
            per_item=per_item,
        )
        seen = cursor_ids(_FORMS, fields["seen"], "seen")
        if len(seen) > ep.OFFSET_LIMIT_CAP:
            raise ModelValidationError(
                f"{_FORMS} cursor", f"more than {ep.OFFSET_LIMIT_CAP} ids", field_path="seen"
            )
        walk._seen_at_cursor = set(seen)
        walk._replay = len(seen)
        return walk

    @property
    def cursor(self) -> Cursor:
        """Where the walk stands, in JSON types: store it, :meth:`resume` from it.

        The watermark and the ids of the forms handed out that were updated in
        its very millisecond (those the next read returns again).
        """
        return {
            "updated_at": format_allegro_datetime(self.watermark),
            "seen": sorted(self._seen_at_cursor),
        }

    def __repr__(self) -> str:
        return f"CheckoutFormWalk(watermark={self.watermark.isoformat()}, offset={self._offset})"

    def next_operation(self) -> Operation[CheckoutForms] | None:
        """The next page request, or ``None`` when every form has been handed out."""
        if self._done:
            return None
        if self._offset + self._page_size > ep.OFFSET_LIMIT_CAP:
            raise PagingError(
                f"more than {ep.OFFSET_LIMIT_CAP} checkout forms share updatedAt "
                f"{self.watermark.isoformat()}; Allegro cannot page past that"
            )
        page_filter = attrs.evolve(
            self._filter, updated_at_gte=self.watermark, sort=CheckoutFormSort.UPDATED_AT
        )
        return ep.list_checkout_forms(
            page_filter,
            offset=self._offset,
            limit=self._page_size,
            language=self._language,
            per_item=self._per_item,
        )

    def feed(self, page: CheckoutForms) -> list[CheckoutForm]:
        """Forms of ``page`` not handed out before; moves the watermark.

        Forms set aside as unreadable move it too, and those not set aside
        before are in :attr:`unreadable` until the next page.

        Raises:
            PagingError: The page shows that Allegro ignored ``updatedAt.gte``
                or ``offset``: the walk would not advance.
        """
        forms, aside = page.checkout_forms, page.unreadable
        stamps = [self._stamp(form.updated_at) for form in forms]
        aside_stamps = [self._stamp(item.updated_at) for item in aside]
        ids: list[str | None] = [*(f.id for f in forms), *(item.id for item in aside)]
        every = [*stamps, *aside_stamps]
        self._refuse_a_stall(ids, every)
        fresh = [
            form
            for form, stamp in zip(forms, stamps, strict=True)
            if not self._seen(form.id, stamp)
        ]
        self.unreadable = tuple(
            item for item, stamp in zip(aside, aside_stamps, strict=True)
            if not self._seen(item.id, stamp)
        )  # fmt: skip
        newest = max(every, default=self.watermark)
        if newest > self.watermark:
            self.watermark, self._offset, self._replay = newest, 0, 0
            self._seen_at_cursor = {
                i for i, s in zip(ids, every, strict=True) if s == newest and i is not None
            }
        else:
            # The whole page shares the watermark's millisecond: only an offset
            # can get past it.
            self._offset += len(ids)
            self._seen_at_cursor.update(i for i in ids if i is not None)
        self._done = len(ids) < self._page_size
        return fresh

    def _seen(self, form_id: str | None, stamp: datetime) -> bool:
        return stamp == self.watermark and form_id in self._seen_at_cursor

    def _refuse_a_stall(self, ids: Sequence[str | None], stamps: Sequence[datetime]) -> None:
        if any(stamp < self.watermark for stamp in stamps):
            raise PagingError(
                f"Allegro answered checkout forms updated before updatedAt.gte "
                f"{self.watermark.isoformat()}; the walk cannot advance if the filter is ignored"
            )
        # Past the overlap re-read (offset 0), a full page at the watermark must
        # bring forms not seen there yet, or offset was ignored. A resumed walk
        # reads the forms it saw there once more first (they may have moved).
        if (
            self._offset > 0
            and self._offset >= self._replay
            and len(ids) == self._page_size
            and all(form_id in self._seen_at_cursor for form_id in ids)
        ):
            raise PagingError(
                f"Allegro answered offset {self._offset} with forms already read at updatedAt "
                f"{self.watermark.isoformat()}; the walk cannot advance if offset is ignored"
            )

    def _stamp(self, updated_at: datetime | None) -> datetime:
        # A form matched by updatedAt.gte has an updatedAt; without one it
        # cannot move the watermark.
        return self.watermark if updated_at is None else _millis(updated_at)


class OrderEventWalk:
    """Order events after ``from_`` (exclusive), oldest first, until caught up.

    Args:
        from_: The id of the last event already processed; ``None`` starts at
            the oldest event Allegro still keeps (60 days).
        types: Only these event types (all when empty).
        page_size: Events per request (1 to 1000).
        language: ``Accept-Language`` for error messages.
        per_item: Read each event of a page on its own: one that does not fit
            the model is set aside in :attr:`unreadable` (the walk moves past
            it by its id) instead of failing the whole page.

    Attributes:
        cursor: The id of the last event handed out or set aside (a string, or
            ``None`` before the first): store it and :meth:`resume` from it.
        unreadable: With ``per_item``, the events of the last page fed that
            could not be read (:func:`in_page_order` puts them back in place).
    """

    def __init__(
        self,
        from_: str | None = None,
        types: Iterable[OrderEventType | str] = (),
        *,
        page_size: int = ep.EVENTS_PAGE_LIMIT,
        language: str = "en-US",
        per_item: bool = False,
    ) -> None:
        if not 1 <= page_size <= ep.EVENTS_PAGE_LIMIT:
            raise ValueError(f"page_size must be 1..{ep.EVENTS_PAGE_LIMIT}")
        self.cursor = from_
        self._recent_froms: deque[str] = deque(maxlen=RECENT_FROMS)
        self._types = tuple(types)
        self._page_size = page_size
        self._language = language
        self._per_item = per_item
        self.unreadable: tuple[UnreadableOrderEvent, ...] = ()
        self._done = False

    @classmethod
    def resume(
        cls,
        cursor: object,
        types: Iterable[OrderEventType | str] = (),
        *,
        page_size: int = ep.EVENTS_PAGE_LIMIT,
        language: str = "en-US",
        per_item: bool = False,
    ) -> OrderEventWalk:
        """The walk that goes on after ``cursor`` (a :attr:`cursor` read back from storage).

        Raises:
            ModelValidationError: ``cursor`` is neither ``None`` nor an event id.
        """
        if cursor is not None and not (isinstance(cursor, str) and cursor):
            raise ModelValidationError(
                "OrderEventWalk cursor", f"must be an event id or null, got {cursor!r:.80}"
            )
        return cls(cursor, types, page_size=page_size, language=language, per_item=per_item)

    def __repr__(self) -> str:
        return f"OrderEventWalk(cursor={self.cursor!r})"

    def next_operation(self) -> Operation[OrderEvents] | None:
        """The next page request, or ``None`` once a page came back short."""
        if self._done:
            return None
        return ep.list_order_events(
            from_=self.cursor,
            types=self._types,
            limit=self._page_size,
            language=self._language,
            per_item=self._per_item,
        )

    def feed(self, page: OrderEvents) -> tuple[OrderEvent, ...]:
        """The page's events; the cursor moves to the last one (set aside or not).

        Raises:
            PagingError: The page holds an event the walk already sent as
                ``from``: Allegro ignored it, and the walk would never end.
        """
        if self.cursor is not None:
            self._recent_froms.append(self.cursor)
        ids = [event.id for event in in_page_order(page.events, page.unreadable)]
        self._refuse_a_stall(ids)
        self.cursor = next((i for i in reversed(ids) if i is not None), self.cursor)
        self.unreadable = page.unreadable
        self._done = len(ids) < self._page_size
        return page.events

    def _refuse_a_stall(self, ids: Sequence[str | None]) -> None:
        # ``from`` is exclusive, so an event named in it never comes back from
        # a server that honours it; event ids need not sort as strings, so
        # equality is the only test. A server that ignores ``from`` answers a
        # page holding the last ``from`` (or one of a short cycle of them).
        repeated = next((i for i in ids if i is not None and i in self._recent_froms), None)
        if repeated is not None:
            raise PagingError(
                f"Allegro answered event {repeated} again after it was sent as 'from'; "
                "the walk cannot advance if 'from' is ignored"
            )


def in_page_order(
    items: Sequence[T], unreadable: Sequence[UnreadableOrderEvent]
) -> list[T | UnreadableOrderEvent]:
    """The items of a page read item by item, with those set aside back in their places."""
    aside = {item.index: item for item in unreadable}
    read = iter(items)
    return [aside[i] if i in aside else next(read) for i in range(len(items) + len(aside))]


_FORMS = "CheckoutFormWalk"
