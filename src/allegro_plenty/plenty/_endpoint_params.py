"""Query parameters as every plentymarkets endpoint writes them (shared by the endpoint modules)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from .._convert import format_plenty_datetime
from .._http.operation import QueryValue, query

MAX_ITEMS_PER_PAGE = 250
"""The largest page peers use on plenty's order lists (and the spec's cap on comparable routes)."""


def plenty_datetime(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError(f"plentymarkets dates need a timezone, got naive {value.isoformat()}")
    return format_plenty_datetime(value)


def query_params(
    items: Mapping[str, QueryValue | Iterable[QueryValue]],
) -> tuple[tuple[str, str], ...]:
    return query(items, datetime_format=plenty_datetime)


def with_relations(relations: Sequence[str]) -> str | None:
    # Comma-separated: the spec declares ``with`` as ``style: form, explode: false``
    # (or as a string "separated by commas").
    return ",".join(relations) or None


def page_params(page: int, items_per_page: int) -> dict[str, QueryValue]:
    if page < 1:
        raise ValueError(f"page must be ≥ 1, got {page}")
    if not 1 <= items_per_page <= MAX_ITEMS_PER_PAGE:
        raise ValueError(f"items_per_page must be 1..{MAX_ITEMS_PER_PAGE}, got {items_per_page}")
    return {"page": page, "itemsPerPage": items_per_page}


def positive_id(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value
