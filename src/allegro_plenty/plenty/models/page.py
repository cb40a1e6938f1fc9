"""The page every plentymarkets list answers with."""

from __future__ import annotations

from typing import Generic, TypeVar

import attrs

__all__ = [
    "Page",
]


T = TypeVar("T")


@attrs.define
class Page(Generic[T]):
    """One page of a plentymarkets list.

    Never assume the requested ``itemsPerPage`` was honoured: page until
    :attr:`is_last_page`. ``entries`` and ``is_last_page`` are required (the
    spec leaves them optional): a look-up before a create must not read an
    answer without them as "none there" or as the whole list.
    """

    is_last_page: bool
    entries: tuple[T, ...]
    page: int = 1
    totals_count: int = 0
    last_page_number: int | None = None
    first_on_page: int | None = None
    last_on_page: int | None = None
    items_per_page: int | None = None
