"""Every configured secret of 4 or more characters is scrubbed; shorter ones are refused.

A short password echoed in an error body ("wrong password 'Pw7!abc'") used to
reach the exception text because only secrets of 8 characters or more were
scrubbed. Now every configured secret of at least
:data:`~allegro_plenty._http.redact.MIN_SECRET_LENGTH` characters is scrubbed,
also where the echo is JSON-escaped or URL-encoded, and a client refuses a
shorter one when it is built (a shorter one could not be scrubbed without
mangling ordinary text), naming the setting but never the value.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote_plus

import httpx
import pytest

from allegro_plenty import (
    AllegroApp,
    AllegroClient,
    AllegroOAuth,
    AllegroPlentyError,
    APIError,
    AsyncAllegroClient,
    AsyncAllegroOAuth,
    MemoryTokenStore,
    OAuthError,
    SecretTooShortError,
)
from allegro_plenty._http.redact import MIN_SECRET_LENGTH, scrub
from allegro_plenty.plenty import AsyncPlentyClient, PlentyClient

from . import plenty_fakes
from . import test_allegro_client as allegro_calls
from .specs import PLENTY_HOST
from .test_secrets import texts_of_exception

MODES = ("sync", "async")


def leaked(exc: BaseException, secret: str) -> list[str]:
    """Every printable part of ``exc`` that shows ``secret``, decoded or not."""
    return [text[:200] for text in texts_of_exception(exc) if secret in text]


# --- plentymarkets: a short password echoed in an error body ------------------------------------


def plenty_error(
    mode: str, password: str, answer: Callable[[httpx.Request], httpx.Response]
) -> Any:
    """The error a plenty client raises when ``answer`` serves every request."""
    with pytest.raises(APIError) as caught:
        plenty_fakes.call(
            mode,
            httpx.MockTransport(answer),
            "get_order",
            630,
            client_options={"password": password, "strict": False},
        )
    return caught.value


def login_refused_echoing(password_text: str) -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        body = f'{{"error": "invalid_credentials", "message": "wrong password {password_text}"}}'
        return httpx.Response(
            401, content=body.encode(), headers={"content-type": "application/json"}
        )

    return answer


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("password", ["Pw7!abc", "Zq7x", "Kd93kdP2x"], ids=["7", "4", "9"])
def test_a_short_password_echoed_by_the_login_is_scrubbed(mode: str, password: str) -> None:
    error = plenty_error(mode, password, login_refused_echoing(password))
    assert "wrong password ***" in str(error)
    assert leaked(error, password) == []


def test_negative_control_the_echo_is_real(monkeypatch: pytest.MonkeyPatch) -> None:
    """The harness detects a leak: without scrubbing the password is in the error."""
    from allegro_plenty.plenty import _service

    monkeypatch.setattr(_service, "scrub", lambda text, secrets: text)
    error = plenty_error("sync", "Pw7!abc", login_refused_echoing("Pw7!abc"))
    assert leaked(error, "Pw7!abc")


@pytest.mark.parametrize("mode", MODES)
def test_a_password_echoed_in_any_later_answer_is_scrubbed(mode: str) -> None:
    password = "Pw7!abc"

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/rest/login":
            return httpx.Response(200, json=plenty_fakes.token_body())
        return httpx.Response(400, json={"message": f"user api-user/{password} may not"})

    error = plenty_error(mode, password, answer)
    assert leaked(error, password) == []


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("password", "encode"),
    [
        ('pä"ss\\wörd', lambda s: json.dumps(s)[1:-1]),  # JSON-escaped, ASCII only
        ("pa ss&w+rd", quote_plus),  # form-encoded
    ],
    ids=["json-escaped", "url-encoded"],
)
def test_an_encoded_echo_of_the_password_is_scrubbed(
    mode: str, password: str, encode: Callable[[str], str]
) -> None:
    assert encode(password) != password
    error = plenty_error(mode, password, login_refused_echoing(encode(password)))
    assert leaked(error, password) == []
    assert leaked(error, encode(password)) == []


# --- Allegro: a short access token or client secret echoed ------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_a_short_access_token_echoed_by_allegro_is_scrubbed(mode: str) -> None:
    token = "Tk7abcd"

    def answer(request: httpx.Request) -> httpx.Response:
        echo = {"errors": [{"code": "VALIDATION_ERROR", "message": f"token {token} is odd"}]}
        return allegro_calls.vendor(400, echo)

    with pytest.raises(APIError) as caught:
        allegro_calls.call(
            mode, httpx.MockTransport(answer), "get_me", options={"access_token": token}
        )
    assert leaked(caught.value, token) == []


def refresh(mode: str, app: AllegroApp, transport: httpx.MockTransport) -> None:
    """Refresh a token through AllegroOAuth or AsyncAllegroOAuth."""
    if mode == "sync":
        with AllegroOAuth(app, http_client=httpx.Client(transport=transport)) as oauth:
            oauth.refresh("refresh-token-0123456789")
        return

    async def run() -> None:
        http = httpx.AsyncClient(transport=transport)
        async with AsyncAllegroOAuth(app, http_client=http) as oauth:
            await oauth.refresh("refresh-token-0123456789")

    asyncio.run(run())


@pytest.mark.parametrize("mode", MODES)
def test_a_short_client_secret_echoed_by_the_token_endpoint_is_scrubbed(mode: str) -> None:
    app = AllegroApp("client-1", "s3cr3")

    def answer(request: httpx.Request) -> httpx.Response:
        body = {"error": "invalid_client", "error_description": f"bad secret {app.client_secret}"}
        return httpx.Response(401, json=body)

    with pytest.raises(OAuthError) as caught:
        refresh(mode, app, httpx.MockTransport(answer))
    assert "bad secret ***" in str(caught.value)
    assert leaked(caught.value, app.client_secret) == []


# --- shorter secrets are refused when a client is built ---------------------------------------


SHORT = "q7Z"
"""Shorter than MIN_SECRET_LENGTH, and in no word of any message."""


def builders() -> Iterator[Any]:
    store = MemoryTokenStore()
    user = {"username": "api-user", "token_store": store}
    for client in (PlentyClient, AsyncPlentyClient):
        yield pytest.param(client, "password", lambda c, s: c(PLENTY_HOST, password=s, **user))
        yield pytest.param(client, "access_token", lambda c, s: c(PLENTY_HOST, access_token=s))
    for client in (AllegroClient, AsyncAllegroClient):
        yield pytest.param(client, "access_token", lambda c, s: c(access_token=s))
        yield pytest.param(
            client,
            "client_secret",
            lambda c, s: c(app=AllegroApp("client-1", s), account="46968690", token_store=store),
        )
    for oauth in (AllegroOAuth, AsyncAllegroOAuth):
        yield pytest.param(oauth, "client_secret", lambda c, s: c(AllegroApp("client-1", s)))


@pytest.mark.parametrize(("client", "setting", "build"), list(builders()))
@pytest.mark.parametrize("secret", [SHORT, "", "  "], ids=["3", "empty", "blank"])
def test_a_client_refuses_a_secret_it_could_not_scrub(
    client: type, setting: str, build: Callable[[type, str], Any], secret: str
) -> None:
    with pytest.raises(SecretTooShortError) as caught:
        build(client, secret)
    error = caught.value
    assert isinstance(error, AllegroPlentyError)
    assert isinstance(error, ValueError)
    assert error.setting == setting
    assert setting in str(error)
    assert str(MIN_SECRET_LENGTH) in str(error)
    if secret.strip():
        assert secret not in str(error)
        assert secret not in repr(error)


@pytest.mark.parametrize(("client", "setting", "build"), list(builders()))
def test_a_secret_of_the_minimum_length_is_accepted(
    client: type, setting: str, build: Callable[[type, str], Any]
) -> None:
    built = build(client, "Zq7x")
    close = getattr(built, "close", None) or built.aclose
    result = close()
    if asyncio.iscoroutine(result):
        asyncio.run(result)


# --- the scrubber itself ----------------------------------------------------------------------


def test_overlapping_secrets_are_scrubbed_longest_first() -> None:
    # Masking the short secret first would leave the tail of the long one.
    assert scrub("a abcd1234 b", ["abcd", "abcd1234"]) == "a *** b"


def test_scrub_masks_every_secret_of_the_minimum_length_and_skips_shorter_ones() -> None:
    assert MIN_SECRET_LENGTH == 4
    assert scrub("pin 1234 and 12", ["1234", "12"]) == "pin *** and 12"
