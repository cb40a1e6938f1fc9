"""Datetimes on the wire: each service's written form, and a fast ISO 8601 reader."""

from __future__ import annotations

from datetime import datetime, timezone

from dateutil.parser import isoparse


def format_allegro_datetime(value: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS.sssZ`` in UTC, the only form Allegro reliably accepts."""
    utc = value.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def format_plenty_datetime(value: datetime) -> str:
    """W3C datetime with its offset, to the second (plentymarkets' form)."""
    return value.isoformat(timespec="seconds")


def parse_iso_datetime(value: str) -> datetime:
    """An ISO 8601 datetime, naive if the text has no offset.

    Raises:
        ValueError: Not ISO 8601.
    """
    # The stdlib parser is several times faster than dateutil's and reads every
    # form Allegro and plentymarkets send; Python 3.10's cannot read a trailing
    # "Z", and dateutil stays the fallback for rarer ISO 8601 spellings.
    try:
        return datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)
    except ValueError:
        return isoparse(value)
