"""Order comments (HTML)."""

from __future__ import annotations

import html
from datetime import datetime

import attrs

__all__ = [
    "Comment",
    "NewComment",
]


@attrs.define
class NewComment:
    """The body of ``POST /rest/comments``; ``text`` is HTML.

    Build one from plain text with :meth:`plain`, which escapes it.
    """

    reference_type: str
    reference_value: int
    text: str
    is_visible_for_contact: bool = False

    @classmethod
    def plain(cls, order_id: int, text: str, *, is_visible_for_contact: bool = False) -> NewComment:
        """An order comment from plain text: HTML-escaped, line breaks kept as ``<br>``."""
        escaped = html.escape(text, quote=True).replace("\r\n", "\n").replace("\n", "<br>")
        return cls("order", order_id, escaped, is_visible_for_contact)


@attrs.define
class Comment:
    """A comment as plenty stored it (``text`` is HTML)."""

    reference_type: str
    reference_value: int
    text: str
    id: int | None = None
    user_id: int | None = None
    is_visible_for_contact: bool | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
