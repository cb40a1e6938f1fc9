"""Walking paged plentymarkets lists, written once as an I/O-free state machine.

plenty pages by page number (``page``, ``itemsPerPage``, ``isLastPage``). The
walks here ask for a stable order (ascending id) and hand out each id once:
an entry that enters the list during the walk (an order updated meanwhile)
shifts later entries one place back, so one of them comes twice and is
dropped the second time. An entry that *leaves* the list during the walk
(its status moved out of a status range) shifts later entries forward, under
the page already read: filter by status on the client, or re-run the walk
from its start time, if that matters.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Generic, TypeVar

from .._http.operation import Operation
from .models import Page

__all__ = ["PageWalk"]

T = TypeVar("T")


class PageWalk(Generic[T]):
    """Every entry of a paged list, each id once.

    Args:
        make: Builds the request for a page number (1-based).
        key: The identity of an entry (its id).
        max_pages: A guard against a server that never says ``isLastPage``.
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
        """Digest a page; return its entries not handed out before."""
        fresh = []
        for entry in page.entries:
            key = self._key(entry)
            if key not in self._seen:
                self._seen.add(key)
                fresh.append(entry)
        # An empty page that is not the last would loop forever: stop there.
        self._done = page.is_last_page or not page.entries or self._page >= self._max_pages
        self._page += 1
        return fresh
