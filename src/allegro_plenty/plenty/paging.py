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
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Generic, TypeVar

from .._http.operation import Operation
from ..errors import PagingError
from .models import Page

__all__ = ["PageWalk"]

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
        fresh = []
        for entry in page.entries:
            key = self._key(entry)
            if key not in self._seen:
                self._seen.add(key)
                fresh.append(entry)
        # An empty page ends the walk even if it claims not to be the last:
        # asking for the next one could only bring another empty page.
        self._done = page.is_last_page or not page.entries
        if not self._done:
            self._refuse_a_stall(page, fresh)
        self._page += 1
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
