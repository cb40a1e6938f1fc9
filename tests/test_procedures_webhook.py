"""The webhook helpers: HMAC signatures, replay tolerance, the dispatch a body asks for."""

from __future__ import annotations

import pytest

from allegro_plenty.errors import ConfigurationError, WebhookRejectedError
from allegro_plenty.procedures import (
    SIGNATURE_HEADER,
    Dispatch,
    parse_webhook,
    sign_webhook,
    verify_webhook,
)

SECRET = "s3cret-shared-with-the-plugin"
BODY = b'{"procedure": "allegro.tracking", "orderId": 4711}'
NOW = 1_767_225_600


def test_a_signed_body_verifies_and_names_its_dispatch() -> None:
    header = sign_webhook(SECRET, BODY, timestamp=NOW)
    assert header.startswith(f"t={NOW},v1=")
    assert verify_webhook(SECRET, BODY, header, now=NOW + 10) == NOW
    assert parse_webhook(BODY) == Dispatch("allegro.tracking", 4711)
    with_subject = b'{"procedure": "allegro.refund", "orderId": 12, "subject": "full"}'
    assert parse_webhook(with_subject) == Dispatch("allegro.refund", 12, "full")


@pytest.mark.parametrize(
    ("body", "header", "now", "complaint"),
    [
        (BODY + b" ", None, NOW, "does not match"),  # the body changed on the way
        (BODY, "wrong-secret-of-16-bytes", NOW, "does not match"),
        (BODY, None, NOW + 301, "more than 300 s"),  # replayed later
        (BODY, None, NOW - 301, "more than 300 s"),
        (BODY, "", NOW, f"no {SIGNATURE_HEADER}"),
        (BODY, f"v1={'0' * 64}", NOW, "needs t="),
        (BODY, f"t=abc,v1={'0' * 64}", NOW, "needs t="),
        (BODY, f"t={NOW}", NOW, "needs t="),
    ],
)
def test_a_call_that_must_not_run_is_rejected(
    body: bytes, header: str | None, now: int, complaint: str
) -> None:
    if header is None:
        header = sign_webhook(SECRET, BODY, timestamp=NOW)
    elif header == "wrong-secret-of-16-bytes":
        header = sign_webhook(header, BODY, timestamp=NOW)
    with pytest.raises(WebhookRejectedError, match=complaint) as rejected:
        verify_webhook(SECRET, body, header, now=now)
    assert SECRET not in str(rejected.value)
    expected = sign_webhook(SECRET, body, timestamp=NOW).split("v1=")[1]
    assert expected not in str(rejected.value)  # never what the signature should have been


def test_during_a_secret_rotation_either_signature_is_accepted() -> None:
    old = sign_webhook("the-old-secret-0000", BODY, timestamp=NOW)
    new = sign_webhook(SECRET, BODY, timestamp=NOW)
    both = f"{new},{old.split(',')[1]}"
    assert verify_webhook(SECRET, BODY, both, now=NOW) == NOW
    assert verify_webhook("the-old-secret-0000", BODY, both, now=NOW) == NOW


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="16 bytes"):
        sign_webhook("short", BODY, timestamp=NOW)
    with pytest.raises(ConfigurationError, match="16 bytes"):
        verify_webhook(b"short", BODY, "t=1,v1=00", now=1)


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        (b"not json", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"orderId": 1}', "procedure"),
        (b'{"procedure": "x", "orderId": "1"}', "orderId"),
        (b'{"procedure": "x", "orderId": true}', "orderId"),
        (b'{"procedure": "x", "orderId": 0}', "orderId"),
        (b'{"procedure": "x", "orderId": 1, "subject": ""}', "subject"),
    ],
)
def test_a_body_that_is_no_dispatch_is_rejected(body: bytes, complaint: str) -> None:
    with pytest.raises(WebhookRejectedError, match=complaint):
        parse_webhook(body)
