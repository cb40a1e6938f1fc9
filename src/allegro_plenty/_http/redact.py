"""Keeping secrets out of URLs, messages and logs."""

from __future__ import annotations

import json
from collections.abc import Iterable
from urllib.parse import parse_qsl, quote, quote_plus, urlencode, urlsplit, urlunsplit

from ..errors import SecretTooShortError

__all__ = ["MIN_SECRET_LENGTH", "SECRET_PARAMS", "redact_url", "require_scrubbable", "scrub"]

SECRET_PARAMS = frozenset(
    {
        "access_token",
        "refresh_token",
        "client_secret",
        "code",
        "code_verifier",
        "device_code",
        "password",
        "token",
    }
)

MASK = "***"
MIN_SECRET_LENGTH = 4
"""Secrets this long or longer are scrubbed; clients refuse shorter ones when built."""


def redact_url(url: str) -> str:
    """``url`` with user info and the values of secret query parameters masked."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    if not parts.query:
        return urlunsplit(parts._replace(netloc=netloc))
    pairs = [
        (k, MASK if k.lower() in SECRET_PARAMS else v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    ]
    return urlunsplit(parts._replace(netloc=netloc, query=urlencode(pairs, safe="*:,")))


def require_scrubbable(setting: str, secret: str | None) -> None:
    """Refuse a configured secret too short to be scrubbed (``None`` means "not configured").

    Raises:
        SecretTooShortError: Naming ``setting``, never the value.
    """
    if secret is not None and len(secret.strip()) < MIN_SECRET_LENGTH:
        raise SecretTooShortError(setting, MIN_SECRET_LENGTH)


def _spellings(secret: str) -> set[str]:
    # An echo may come as sent in a form or URL, or escaped inside a JSON string
    # (parsed, and so decoded, after scrubbing): ASCII-only, as UTF-8, or as PHP
    # (plentymarkets) writes it by default, with "/" escaped too.
    escaped = json.dumps(secret)[1:-1]
    return {
        secret,
        quote(secret, safe=""),
        quote_plus(secret),
        escaped,
        escaped.replace("/", "\\/"),
        json.dumps(secret, ensure_ascii=False)[1:-1],
    }


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret of :data:`MIN_SECRET_LENGTH` characters or more masked.

    Each secret is also masked as it looks URL-encoded and JSON-escaped.
    Longer spellings go first, so a secret that contains another is masked whole.
    """
    spellings = {
        s for secret in secrets if len(secret) >= MIN_SECRET_LENGTH for s in _spellings(secret)
    }
    for spelling in sorted(spellings, key=len, reverse=True):
        text = text.replace(spelling, MASK)
    return text
