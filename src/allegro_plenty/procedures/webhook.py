"""Signing and checking calls to a webhook endpoint that dispatches procedures.

plentymarkets has no webhook of its own: a small plugin (an event procedure or
a Flow action in the seller's system) posts ``{"procedure": ..., "orderId": ...}``
to the host's endpoint, which checks the call with :func:`verify_webhook` and
hands :func:`parse_webhook`'s :class:`~allegro_plenty.procedures.Dispatch` to a
runner. The signature is an HMAC-SHA256 over the timestamp and the exact body,
sent as ``t=<unix seconds>,v1=<hex>`` (several ``v1`` while a secret is being
rotated); the timestamp bounds how long a captured call can be replayed.

The tolerance is checked against the receiving host's clock: it is the only
clock there is when a call arrives, and both sides keep theirs in time (NTP).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import time

from ..errors import ConfigurationError, WebhookRejectedError
from .dispatch import Dispatch

__all__ = [
    "DEFAULT_TOLERANCE",
    "SIGNATURE_HEADER",
    "parse_webhook",
    "sign_webhook",
    "verify_webhook",
]

SIGNATURE_HEADER = "X-Allegro-Plenty-Signature"
"""The header the signature travels in."""
DEFAULT_TOLERANCE = 300.0
"""Seconds a signed call stays valid either side of its timestamp."""
_MIN_SECRET = 16


def _key(secret: str | bytes) -> bytes:
    key = secret.encode() if isinstance(secret, str) else secret
    if not isinstance(key, bytes) or len(key) < _MIN_SECRET:
        raise ConfigurationError(f"a webhook secret has at least {_MIN_SECRET} bytes")
    return key


def _digest(key: bytes, timestamp: int, body: bytes) -> str:
    return hmac.new(key, b"%d." % timestamp + body, hashlib.sha256).hexdigest()


def sign_webhook(secret: str | bytes, body: bytes, *, timestamp: int | None = None) -> str:
    """The signature header's value for ``body``: ``t=<timestamp>,v1=<hex>``.

    Args:
        secret: The secret the plugin and the endpoint share (16 bytes or more).
        body: The exact bytes sent.
        timestamp: Unix seconds; now by default.
    """
    when = int(time.time()) if timestamp is None else timestamp
    return f"t={when},v1={_digest(_key(secret), when, body)}"


def verify_webhook(
    secret: str | bytes,
    body: bytes,
    header: str | None,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> int:
    """Check a call's signature header; return its timestamp.

    The digests are compared in constant time. Keep the calls you accepted
    (their timestamps and bodies) for ``tolerance`` seconds if a replay inside
    the window matters; a dispatch run twice does nothing the second time anyway.

    Raises:
        WebhookRejectedError: The header is missing or malformed, no ``v1`` matches,
            or the timestamp is more than ``tolerance`` seconds off.
    """
    key = _key(secret)
    if not header:
        raise WebhookRejectedError(f"no {SIGNATURE_HEADER} header")
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit():
            timestamp = int(value)
        elif name == "v1" and value:
            signatures.append(value)
    if timestamp is None or not signatures:
        raise WebhookRejectedError("the signature header needs t=<unix seconds> and v1=<hex>")
    current = time.time() if now is None else now
    if not math.isfinite(current) or abs(current - timestamp) > tolerance:
        raise WebhookRejectedError(
            f"timestamp {timestamp} is more than {tolerance:g} s from now (a replay, or clocks off)"
        )
    expected = _digest(key, timestamp, body)
    # Every candidate is compared, so the time taken does not say which one matched.
    matched = [hmac.compare_digest(expected, candidate) for candidate in signatures]
    if not any(matched):
        raise WebhookRejectedError("the signature does not match the body")
    return timestamp


def parse_webhook(body: bytes) -> Dispatch:
    """The dispatch a (verified) call asks for: ``{"procedure": "allegro.tracking",
    "orderId": 4711}``, optionally with ``"subject"``.

    Raises:
        WebhookRejectedError: The body is not such an object.
    """
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise WebhookRejectedError("the body is not JSON") from None
    if not isinstance(data, dict):
        raise WebhookRejectedError("the body is not a JSON object")
    procedure, order_id, subject = data.get("procedure"), data.get("orderId"), data.get("subject")
    if not isinstance(procedure, str) or not procedure:
        raise WebhookRejectedError("procedure must be a procedure's key")
    if isinstance(order_id, bool) or not isinstance(order_id, int) or order_id <= 0:
        raise WebhookRejectedError("orderId must be a plentymarkets order id")
    if subject is not None and (not isinstance(subject, str) or not subject):
        raise WebhookRejectedError("subject must be a non-empty string when given")
    return Dispatch(procedure, order_id, subject)
