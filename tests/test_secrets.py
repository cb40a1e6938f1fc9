"""No secret reaches a log record, a repr, an exception text, URL or cause chain.

Success and failure paths run with the ``httpx``, ``httpcore`` and
``allegro_plenty`` loggers at DEBUG, both through ``httpx.MockTransport`` and
over a real loopback server (so httpcore's connection-level logging runs too).
The servers deliberately echo the secrets they receive, as Allegro does in
``invalid_grant`` and ``invalid_token`` descriptions.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from allegro_plenty import (
    AllegroApp,
    AllegroClient,
    AllegroEnvironment,
    AllegroOAuth,
    AllegroPlentyError,
    AsyncAllegroClient,
    AsyncAllegroOAuth,
    JsonFileTokenStore,
    MemoryTokenStore,
    Token,
)
from allegro_plenty.allegro import CheckoutFormWalk, PkcePair
from allegro_plenty.allegro.auth import DeviceAuthorization

CLIENT_SECRET = "client-secret-Zq7Xv9Lk2Pm4"
APP = AllegroApp("secret-test-client", CLIENT_SECRET, "https://shop.example/cb")
ACCESS = "access-token-Hs81Kd02Jq"
REFRESH = "refresh-token-Wp55Tz19Nn"
NEW_ACCESS = "access-token-NEW-Rk33Ab"
NEW_REFRESH = "refresh-token-NEW-Vc77Yt"
DEVICE_CODE = "device-code-Ux90Lm21Qa"
AUTH_CODE = "auth-code-Ge48Fp60Ws"
PKCE = PkcePair.generate()
BASIC = base64.b64encode(f"{APP.client_id}:{CLIENT_SECRET}".encode()).decode()
SECRETS = (
    CLIENT_SECRET,
    ACCESS,
    REFRESH,
    NEW_ACCESS,
    NEW_REFRESH,
    DEVICE_CODE,
    AUTH_CODE,
    PKCE.verifier,
    BASIC,
)
ACCOUNT = "46968690"
VENDOR = "application/vnd.allegro.public.v1+json"


class Scripted:
    """A loopback HTTP server answering from a script and echoing what it was sent."""

    def __init__(self) -> None:
        self.routes: dict[str, Callable[[str, dict[str, str]], tuple[int, str, str, float]]] = {}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        script = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return None

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length).decode()
                route = script.routes[self.path.split("?")[0]]
                status, content_type, text, delay = route(body, dict(self.headers))
                time.sleep(delay)
                data = text.encode()
                try:
                    self.send_response(status)
                    self.send_header("content-type", content_type)
                    self.send_header("content-length", str(len(data)))
                    self.send_header("trace-id", "trace-secret-test")
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out and left

            do_GET = do_POST = do_PUT = _serve

        return Handler


def echo_form(
    status: int, error: str
) -> Callable[[str, dict[str, str]], tuple[int, str, str, float]]:
    """An OAuth error quoting every value of the form it received (and the auth header)."""

    def route(body: str, headers: dict[str, str]) -> tuple[int, str, str, float]:
        values = " ".join(v for _, v in parse_qsl(body))
        description = f"Invalid: {values} {headers.get('Authorization', '')}"
        return (
            status,
            "application/json",
            f'{{"error": "{error}", "error_description": "{description}"}}',
            0.0,
        )

    return route


def echo_bearer(status: int) -> Callable[[str, dict[str, str]], tuple[int, str, str, float]]:
    def route(body: str, headers: dict[str, str]) -> tuple[int, str, str, float]:
        token = headers.get("Authorization", "")
        error = f'{{"code": "E", "message": "refused {token}", "userMessage": "{token}"}}'
        text = f'{{"errors": [{error}]}}'
        return status, VENDOR, text, 0.0

    return route


def fixed(status: int, text: str, content_type: str = VENDOR, delay: float = 0.0) -> Any:
    return lambda body, headers: (status, content_type, text, delay)


def issue_new_pair(body: str, headers: dict[str, str]) -> tuple[int, str, str, float]:
    text = (
        f'{{"access_token": "{NEW_ACCESS}", "refresh_token": "{NEW_REFRESH}", '
        f'"expires_in": 43199, "token_type": "bearer"}}'
    )
    return 200, "application/json", text, 0.0


ME = '{"id": "46968690", "login": "seller"}'


# --- the scenarios --------------------------------------------------------------------


def expired_store() -> MemoryTokenStore:
    store = MemoryTokenStore()
    past = datetime.now(timezone.utc) - timedelta(minutes=1)
    store.save("allegro", ACCOUNT, Token(ACCESS, past, REFRESH))
    return store


def client_kwargs(url: str, **extra: Any) -> dict[str, Any]:
    return {"environment": AllegroEnvironment(url, url), **extra}


def run_sync(server: Scripted, scenario: str, sink: list[object]) -> None:
    """Drive one scenario with the sync API; put every object it produced in ``sink``."""
    env = client_kwargs(server.url)
    timeout = httpx.Timeout(0.3)
    transport = httpx.HTTPTransport()
    stored = {"app": APP, "account": ACCOUNT, "token_store": expired_store()}
    try:
        if scenario == "refresh-and-call":
            server.routes = {"/auth/oauth/token": issue_new_pair, "/me": fixed(200, ME)}
            with AllegroClient(**env, **stored, transport=transport) as client:
                sink += [client, client.get_me()]
        elif scenario == "refresh-invalid-grant":
            server.routes = {"/auth/oauth/token": echo_form(400, "invalid_grant")}
            with AllegroClient(**env, **stored, transport=transport) as client:
                sink.append(client)
                client.get_me()
        elif scenario == "api-401":
            server.routes = {"/me": echo_bearer(401)}
            with AllegroClient(**env, access_token=ACCESS, transport=transport) as client:
                client.get_me()
        elif scenario == "api-5xx":
            server.routes = {"/me": echo_bearer(503)}
            with AllegroClient(
                **env, access_token=ACCESS, transport=transport, sleep=lambda s: None
            ) as client:
                client.get_me()
        elif scenario == "timeout":
            server.routes = {"/me": fixed(200, ME, delay=1.0)}
            with AllegroClient(
                **env,
                access_token=ACCESS,
                transport=transport,
                timeout=timeout,
                sleep=lambda s: None,
            ) as client:
                client.get_me()
        elif scenario == "malformed-body":
            server.routes = {"/me": fixed(200, '{"id": ' + f'"{ACCESS}"' + ", ")}
            with AllegroClient(**env, access_token=ACCESS, transport=transport) as client:
                client.get_me()
        elif scenario == "token-malformed-body":
            server.routes = {
                "/auth/oauth/token": fixed(200, f'{{"refresh_token": "{NEW_REFRESH}"}}')
            }
            with AllegroOAuth(APP, environment=env["environment"]) as oauth:
                sink.append(oauth)
                oauth.refresh(REFRESH)
        elif scenario == "device-flow":
            server.routes = {
                "/auth/oauth/device": fixed(
                    200,
                    f'{{"device_code": "{DEVICE_CODE}", "user_code": "U", '
                    '"verification_uri": "https://x", "expires_in": 60, "interval": 1}',
                    "application/json",
                ),
                "/auth/oauth/token": echo_form(400, "invalid_request"),
            }
            with AllegroOAuth(APP, environment=env["environment"], sleep=lambda s: None) as oauth:
                started = oauth.start_device_flow()
                sink += [oauth, started]
                oauth.wait_for_device_token(started)
        elif scenario == "code-exchange":
            server.routes = {"/auth/oauth/token": echo_form(400, "invalid_grant")}
            with AllegroOAuth(APP, environment=env["environment"]) as oauth:
                oauth.exchange_code(AUTH_CODE, pkce=PKCE)
        else:
            raise AssertionError(scenario)
    except AllegroPlentyError as exc:
        sink.append(exc)


def run_async(server: Scripted, scenario: str, sink: list[object]) -> None:
    """The async twin of :func:`run_sync` for the scenarios that touch the API client."""
    env = client_kwargs(server.url)

    async def no_sleep(seconds: float) -> None:
        return None

    async def go() -> None:
        transport = httpx.AsyncHTTPTransport()
        try:
            if scenario == "refresh-invalid-grant":
                server.routes = {"/auth/oauth/token": echo_form(400, "invalid_grant")}
                async with AsyncAllegroClient(
                    **env,
                    app=APP,
                    account=ACCOUNT,
                    token_store=expired_store(),
                    transport=transport,
                ) as client:
                    sink.append(client)
                    await client.get_me()
            elif scenario == "api-5xx":
                server.routes = {"/me": echo_bearer(500)}
                async with AsyncAllegroClient(
                    **env, access_token=ACCESS, transport=transport, sleep=no_sleep
                ) as client:
                    await client.get_me()
            elif scenario == "timeout":
                server.routes = {"/me": fixed(200, ME, delay=1.0)}
                async with AsyncAllegroClient(
                    **env,
                    access_token=ACCESS,
                    transport=transport,
                    timeout=httpx.Timeout(0.3),
                    sleep=no_sleep,
                ) as client:
                    await client.get_me()
            elif scenario == "code-exchange":
                server.routes = {"/auth/oauth/token": echo_form(400, "invalid_grant")}
                async with AsyncAllegroOAuth(APP, environment=env["environment"]) as oauth:
                    sink.append(oauth)
                    await oauth.exchange_code(AUTH_CODE, pkce=PKCE)
            else:
                raise AssertionError(scenario)
        except AllegroPlentyError as exc:
            sink.append(exc)

    asyncio.run(go())


# --- what "leaks" means ---------------------------------------------------------------


def texts_of_exception(exc: BaseException) -> Iterator[str]:
    """Everything a logger, an error tracker or a developer would print of ``exc``."""
    seen: set[int] = set()
    current: BaseException | None = exc
    pending = [exc]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield str(current)
        yield repr(current)
        for name in ("url", "message", "body", "headers", "description", "errors", "field_path"):
            if hasattr(current, name):
                yield repr(getattr(current, name))
        request = getattr(current, "_request", None)
        if isinstance(request, httpx.Request):
            yield str(request.url)
        pending += [e for e in (current.__cause__, current.__context__) if e is not None]


def leaks(texts: Iterator[str] | list[str]) -> list[tuple[str, str]]:
    return [(secret, text[:300]) for text in texts for secret in SECRETS if secret in text]


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    for name in ("", "httpx", "httpcore", "allegro_plenty"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


@pytest.fixture(scope="module")
def server() -> Iterator[Scripted]:
    scripted = Scripted()
    yield scripted
    scripted.close()


SYNC_SCENARIOS = [
    "refresh-and-call",
    "refresh-invalid-grant",
    "api-401",
    "api-5xx",
    "timeout",
    "malformed-body",
    "token-malformed-body",
    "device-flow",
    "code-exchange",
]
ASYNC_SCENARIOS = ["refresh-invalid-grant", "api-5xx", "timeout", "code-exchange"]


@pytest.mark.parametrize(
    ("mode", "scenario"),
    [("sync", s) for s in SYNC_SCENARIOS] + [("async", s) for s in ASYNC_SCENARIOS],
)
def test_no_secret_escapes(
    mode: str, scenario: str, server: Scripted, debug_logs: pytest.LogCaptureFixture
) -> None:
    sink: list[object] = []
    (run_sync if mode == "sync" else run_async)(server, scenario, sink)

    errors = [o for o in sink if isinstance(o, BaseException)]
    if scenario != "refresh-and-call":
        assert errors, f"{scenario} was meant to fail"
    # The failure paths really carried the secrets to us (the test can fail).
    assert debug_logs.records, "nothing was logged: the loggers are not at DEBUG"
    assert any(r.name.startswith("httpcore") for r in debug_logs.records)

    texts: list[str] = []
    for record in debug_logs.records:
        texts.append(record.getMessage())
        texts.append(repr(record.args))
        if record.exc_info:
            texts.append(logging.Formatter().formatException(record.exc_info))
    for obj in sink:
        if isinstance(obj, BaseException):
            texts.extend(texts_of_exception(obj))
        else:
            texts.append(repr(obj))
            texts.append(str(obj))
    assert leaks(texts) == []


def test_the_secret_echo_is_real(server: Scripted) -> None:
    """Control: without scrubbing, the server's answers would leak (so the test above can fail)."""
    server.routes = {"/auth/oauth/token": echo_form(400, "invalid_grant")}
    response = httpx.post(
        f"{server.url}/auth/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": REFRESH},
        headers={"Authorization": f"Basic {BASIC}"},
    )
    assert REFRESH in response.text
    assert BASIC in response.text


def test_reprs_of_public_objects_hide_secrets(tmp_path: Any) -> None:
    token = Token(ACCESS, datetime.now(timezone.utc), REFRESH, scope="s")
    store = JsonFileTokenStore(tmp_path / "t.json")
    store.save("allegro", ACCOUNT, token)
    objects: list[object] = [
        APP,
        token,
        store,
        MemoryTokenStore(),
        PKCE,
        DeviceAuthorization(DEVICE_CODE, "U", "https://x", None, 60, 5),
        AllegroOAuth(APP),
        AllegroClient(access_token=ACCESS),
        AllegroClient(app=APP, account=ACCOUNT, token_store=store),
        AsyncAllegroClient(access_token=ACCESS),
        CheckoutFormWalk(datetime.now(timezone.utc)),
    ]
    texts = [t for o in objects for t in (repr(o), str(o))]
    assert leaks(texts) == []
    # Tokens survive where they must: in the store's file, which is private.
    assert oct((tmp_path / "t.json").stat().st_mode & 0o777) == "0o600"
