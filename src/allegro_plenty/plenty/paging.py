"""Walking paged plentymarkets lists, written once as an I/O-free state machine.

plenty pages by page number (``page``, ``itemsPerPage``, ``isLastPage``). The
walks here ask for a stable order (ascending id) and hand out each id once:
an entry that enters the list during the walk (an order updated meanwhile)
shifts later entries one place back, so one of them comes twice and is
dropped the second time. An entry that *leaves* the list during the walk
(its status moved out of a status range) shifts later entries forward, under
the page already read: filter by status on the client, or re-run the walk
from its start time, if that matters.

A walk that does not advance stops with :class:`~allegro_plenty.errors.PagingError`
instead of re-reading: a page that is not the last and brings no entry not
handed out before (a server, proxy or cache that ignores ``page`` answers the
first page again), and a list longer than the walk's page cap (stopping there
silently would pass for the end of the list).

:class:`PageWalk` remembers every id it handed out, which suits the short
look-ups the clients make (orders of one external id, variations of one SKU).
The public walks :class:`OrderWalk` and :class:`StatusHistoryWalk` read lists
in ascending id order and remember only the highest id handed out: an entry at
or below it was handed out already (or entered the list behind the walk, as an
order updated meanwhile does, and belongs to the next walk). Their memory is
constant, and their ``cursor`` (the page and that id, JSON types only) lets a
caller ``resume`` them in another process. A page out of ascending id order
raises :class:`~allegro_plenty.errors.PagingError`: the highest id would no
longer tell what was handed out.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable, Sequence
from datetime import datetime
from typing import Generic, TypeVar, cast

import attrs

from .._cursor import Cursor, cursor_fields
from .._http.operation import Operation
from ..errors import ModelValidationError, PagingError
from . import endpoints as ep
from .filters import NO_ORDER_FILTER, OrderFilter, StatusId
from .models import Order, Page, StatusHistoryEntry

__all__ = ["OrderWalk", "PageWalk", "StatusHistoryWalk"]

T = TypeVar("T")


class PageWalk(Generic[T]):
    """Every entry of a paged list, each id once.

    Args:
        make: Builds the request for a page number (1-based).
        key: The identity of an entry (its id).
        max_pages: A guard against a server that never says ``isLastPage``:
            the walk raises PagingError rather than read more pages.
    """

    def __init__(
        self,
        make: Callable[[int], Operation[Page[T]]],
        key: Callable[[T], Hashable],
        *,
        max_pages: int = 10_000,
    ) -> None:
        self._make = make
        self._key = key
        self._max_pages = max_pages
        self._page = 1
        self._done = False
        self._seen: set[Hashable] = set()

    def next_operation(self) -> Operation[Page[T]] | None:
        """The next page's request, or ``None`` when the walk is over."""
        if self._done:
            return None
        return self._make(self._page)

    def feed(self, page: Page[T]) -> Sequence[T]:
        """Digest a page; return its entries not handed out before.

        Raises:
            PagingError: The page repeats what the walk has handed out already,
                or the list goes on past ``max_pages``.
        """
        fresh = self._fresh(page.entries)
        # An empty page ends the walk even if it claims not to be the last:
        # asking for the next one could only bring another empty page.
        self._done = page.is_last_page or not page.entries
        if not self._done:
            self._refuse_a_stall(page, fresh)
        self._page += 1
        return fresh

    def _fresh(self, entries: Sequence[T]) -> list[T]:
        fresh = []
        for entry in entries:
            key = self._key(entry)
            if key not in self._seen:
                self._seen.add(key)
                fresh.append(entry)
        return fresh

    def _refuse_a_stall(self, page: Page[T], fresh: Sequence[T]) -> None:
        # Entries that enter the list mid-walk shift others back by as many
        # places, so a whole page of repeats takes a page worth of them at once;
        # a server that ignores ``page`` does it every time.
        if not fresh:
            raise PagingError(
                f"page {self._page} repeats only entries of earlier pages and is not the last; "
                "the server seems to ignore the page parameter"
            )
        if self._page >= self._max_pages:
            raise PagingError(
                f"the list goes on past {self._max_pages} pages; "
                "stopping here would miss the entries after them"
            )


class _IdOrderedWalk(PageWalk[T]):
    """A page walk over a list in ascending id order: constant memory, a resumable cursor."""

    _name = "walk"
    _after: int | None = None
    """The highest id handed out."""
    _last_read = 1
    """The last page read."""
    _reread = 0
    """The page a resumed walk reads again first (0: none)."""

    @property
    def cursor(self) -> Cursor:
        """Where the walk stands, in JSON types: store it, ``resume`` from it.

        The last page read (a resumed walk reads it again, for entries added
        to it since) and the highest id handed out.
        """
        return {"page": self._last_read, "after_id": self._after}

    def _go_to(self, cursor: object) -> None:
        fields = cursor_fields(self._name, cursor, {"page": (int,), "after_id": (int, type(None))})
        page, after = fields["page"], fields["after_id"]
        assert isinstance(page, int)
        if not 1 <= page <= self._max_pages:
            raise ModelValidationError(
                f"{self._name} cursor", f"must be 1..{self._max_pages}", field_path="page"
            )
        self._page = self._last_read = self._reread = page
        self._after = after if isinstance(after, int) else None

    def _refuse_a_stall(self, page: Page[T], fresh: Sequence[T]) -> None:
        # The page a resumed walk reads again may hold only entries it handed
        # out before it paused; from the next page on, a repeat is a stall.
        if self._page != self._reread:
            super()._refuse_a_stall(page, fresh)

    def _fresh(self, entries: Sequence[T]) -> list[T]:
        ids = [cast(int, self._key(entry)) for entry in entries]
        if any(later <= earlier for earlier, later in itertools.pairwise(ids)):
            raise PagingError(
                f"page {self._page} is not in ascending id order; the walk could not tell "
                "what it handed out before"
            )
        self._last_read = self._page
        fresh = [
            e for e, i in zip(entries, ids, strict=True) if self._after is None or i > self._after
        ]
        if fresh:
            self._after = ids[-1]
        return fresh


class OrderWalk(_IdOrderedWalk[Order]):
    """Every order matching ``filter``, in ascending id order, each once.

    An order that starts to match while the walk runs (updated meanwhile) may
    or may not be in it: remember when the walk started and begin the next one
    there. :attr:`cursor` resumes *this* walk, in this process or another.

    Args:
        filter: What to list; the walk sorts by id (``sort_by``/``sort_order``
            must be unset, or ``"id"`` and ``"asc"``).
        relations: Relations to load with each order (``with=``).
        page_size: Orders per request (1 to 250).
    """

    _name = "OrderWalk"

    def __init__(
        self,
        filter: OrderFilter = NO_ORDER_FILTER,
        *,
        relations: Sequence[str] = (),
        page_size: int = ep.MAX_ITEMS_PER_PAGE,
    ) -> None:
        if filter.sort_by not in (None, "id") or filter.sort_order not in (None, "asc"):
            raise ValueError("the walk sorts by ascending id; leave sort_by and sort_order unset")
        by_id = attrs.evolve(filter, sort_by="id", sort_order="asc")
        relations = tuple(relations)
        ep.list_orders(by_id, relations=relations, items_per_page=page_size)  # refuse bad input now
        super().__init__(
            lambda page: ep.list_orders(
                by_id, relations=relations, page=page, items_per_page=page_size
            ),
            lambda order: order.id,
        )

    @classmethod
    def resume(
        cls,
        cursor: object,
        filter: OrderFilter = NO_ORDER_FILTER,
        *,
        relations: Sequence[str] = (),
        page_size: int = ep.MAX_ITEMS_PER_PAGE,
    ) -> OrderWalk:
        """The walk that goes on from ``cursor`` (pass the same filter).

        Raises:
            ModelValidationError: ``cursor`` is not one this walk wrote.
        """
        walk = cls(filter, relations=relations, page_size=page_size)
        walk._go_to(cursor)
        return walk

    def __repr__(self) -> str:
        return f"OrderWalk(cursor={self.cursor!r})"


class StatusHistoryWalk(_IdOrderedWalk[StatusHistoryEntry]):
    """Status changes of every order since ``created_at_from``, oldest first.

    plentymarkets' status history only grows, so a finished walk resumed later
    hands out the changes made since.

    Args:
        created_at_from: The lower bound (timezone-aware).
        created_at_to: An upper bound, if any.
        status: Only changes to this status.
        page_size: Entries per request (1 to 250).
    """

    _name = "StatusHistoryWalk"

    def __init__(
        self,
        created_at_from: datetime,
        *,
        created_at_to: datetime | None = None,
        status: StatusId | None = None,
        page_size: int = ep.MAX_ITEMS_PER_PAGE,
    ) -> None:
        def make(page: int) -> Operation[Page[StatusHistoryEntry]]:
            return ep.list_status_history(
                created_at_from=created_at_from,
                created_at_to=created_at_to,
                status=status,
                page=page,
                items_per_page=page_size,
            )

        make(1)  # refuse bad input now, not at the first page
        super().__init__(make, lambda entry: entry.id)

    @classmethod
    def resume(
        cls,
        cursor: object,
        created_at_from: datetime,
        *,
        created_at_to: datetime | None = None,
        status: StatusId | None = None,
        page_size: int = ep.MAX_ITEMS_PER_PAGE,
    ) -> StatusHistoryWalk:
        """The walk that goes on from ``cursor`` (pass the same bounds).

        Raises:
            ModelValidationError: ``cursor`` is not one this walk wrote.
        """
        walk = cls(created_at_from, created_at_to=created_at_to, status=status, page_size=page_size)
        walk._go_to(cursor)
        return walk

    def __repr__(self) -> str:
        return f"StatusHistoryWalk(cursor={self.cursor!r})"
