"""Allegro OAuth: environments, app credentials, device flow, authorization code with PKCE, refresh.

The token endpoint authenticates the application with HTTP Basic
(``client_id:client_secret``) and takes a form body. Access tokens last 12 h;
refresh tokens are single-use and rotate with every refresh, and a reused one
answers 400 ``invalid_grant``. Never refresh one account from two places at
once: :class:`~allegro_plenty.AllegroClient` refreshes under the token store's
lock.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Generic
from urllib.parse import quote

import attrs
import cattrs
import httpx

from .._client import (
    DEFAULT_TIMEOUT,
    AsyncConnection,
    Connection,
    HttpSettings,
    HttpT,
    SleepT,
    SyncConnection,
    TransportT,
    run,
    sleep,
)
from .._convert import make_converter
from .._http.auth import bounded_seconds, token_expiry, token_json
from .._http.operation import BodyMismatch, Operation, Retry
from .._http.redact import require_scrubbable
from .._http.retry import RetryEvent, RetryPolicy
from .._plan import Plan
from ..errors import DeviceFlowError, OAuthError
from ..tokens import Token
from ._defaults import ALLEGRO_RETRY
from ._service import AllegroService, oauth_error

__all__ = [
    "ORDERS_READ",
    "ORDERS_WRITE",
    "PAYMENTS_READ",
    "PAYMENTS_WRITE",
    "PRODUCTION",
    "PROFILE_READ",
    "SANDBOX",
    "AllegroApp",
    "AllegroEnvironment",
    "AllegroOAuth",
    "AsyncAllegroOAuth",
    "DeviceAuthorization",
    "PkcePair",
    "order_scopes",
]

ORDERS_READ = "allegro:api:orders:read"
ORDERS_WRITE = "allegro:api:orders:write"
PAYMENTS_READ = "allegro:api:payments:read"
"""Needed to list refunds (``GET /payments/refunds``)."""
PAYMENTS_WRITE = "allegro:api:payments:write"
"""Needed to initiate refunds (``POST /payments/refunds``)."""
PROFILE_READ = "allegro:api:profile:read"
"""Needed by ``GET /me``, which tells which seller account a token belongs to."""

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
DEVICE_CODE_MAX_SECONDS = 86400.0
"""A device code's ``expires_in`` is cut to a day (Allegro's last an hour)."""
DEVICE_POLL_MAX_SECONDS = 600.0
"""A polling ``interval`` is cut to 10 minutes (Allegro asks for 5 s)."""


def order_scopes(*, refunds: bool = False) -> tuple[str, ...]:
    """The scopes order management needs; ``refunds`` adds ``payments:read`` and ``:write``."""
    scopes = (ORDERS_READ, ORDERS_WRITE, PROFILE_READ)
    return (*scopes, PAYMENTS_READ, PAYMENTS_WRITE) if refunds else scopes


@attrs.frozen
class AllegroEnvironment:
    """Where an Allegro environment lives.

    Attributes:
        api_url: The REST API base URL.
        oauth_url: The host of the authorize, token and device endpoints.
    """

    api_url: str
    oauth_url: str

    @property
    def authorize_url(self) -> str:
        """Where the seller grants access (authorization code flow)."""
        return f"{self.oauth_url}/auth/oauth/authorize"

    @property
    def token_url(self) -> str:
        """The token endpoint."""
        return f"{self.oauth_url}/auth/oauth/token"

    @property
    def device_url(self) -> str:
        """The device-code endpoint."""
        return f"{self.oauth_url}/auth/oauth/device"

    def with_base_url(self, api_url: str, oauth_url: str | None = None) -> AllegroEnvironment:
        """The same environment behind another base URL (a proxy, a mock server)."""
        return attrs.evolve(
            self, api_url=api_url.rstrip("/"), oauth_url=oauth_url or self.oauth_url
        )


PRODUCTION = AllegroEnvironment("https://api.allegro.pl", "https://allegro.pl")
SANDBOX = AllegroEnvironment(
    "https://api.allegro.pl.allegrosandbox.pl", "https://allegro.pl.allegrosandbox.pl"
)


@attrs.frozen(repr=False)
class AllegroApp:
    """The registered application. Its ``repr`` never shows the secret."""

    client_id: str
    client_secret: str
    redirect_uri: str | None = None
    """Needed for the authorization code flow (and its refreshes)."""

    def __repr__(self) -> str:
        return f"AllegroApp(client_id={self.client_id!r}, redirect_uri={self.redirect_uri!r})"

    @property
    def basic_auth(self) -> str:
        """The ``Authorization`` header value for the token endpoint."""
        raw = f"{self.client_id}:{self.client_secret}".encode()
        return "Basic " + base64.b64encode(raw).decode()


@attrs.frozen(repr=False)
class DeviceAuthorization:
    """The start of a device flow: show ``verification_uri_complete`` to the seller."""

    device_code: str
    user_code: str
    verification_uri: str
    verification_uri_complete: str | None
    expires_in: int
    interval: int

    def __repr__(self) -> str:
        return (
            f"DeviceAuthorization(user_code={self.user_code!r}, "
            f"verification_uri={self.verification_uri!r}, expires_in={self.expires_in})"
        )


@attrs.frozen(repr=False)
class PkcePair:
    """A PKCE code verifier and its S256 challenge."""

    verifier: str
    challenge: str

    def __repr__(self) -> str:
        return f"PkcePair(challenge={self.challenge!r})"

    @classmethod
    def generate(cls) -> PkcePair:
        """A fresh random pair (RFC 7636, S256)."""
        verifier = secrets.token_urlsafe(64)[:96]
        digest = hashlib.sha256(verifier.encode("ascii")).digest()
        challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
        return cls(verifier, challenge)


def authorization_url(
    app: AllegroApp,
    environment: AllegroEnvironment,
    *,
    state: str,
    pkce: PkcePair | None = None,
    scopes: Sequence[str] = order_scopes(),
) -> str:
    """The URL to send the seller to (authorization code flow)."""
    if app.redirect_uri is None:
        raise ValueError("the authorization code flow needs AllegroApp.redirect_uri")
    params = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": app.redirect_uri,
        "state": state,
        "scope": " ".join(scopes),
    }
    if pkce is not None:
        params.update(code_challenge=pkce.challenge, code_challenge_method="S256")
    query = "&".join(f"{k}={quote(v, safe=':/')}" for k, v in params.items())
    return f"{environment.authorize_url}?{query}"


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _token_parser(
    clock: Callable[[], datetime],
) -> Callable[[httpx.Response, cattrs.Converter], Token]:
    def parse(response: httpx.Response, converter: cattrs.Converter) -> Token:
        data = token_json(response)
        if not isinstance(data, dict) or not isinstance(data.get("access_token"), str):
            raise BodyMismatch("token response has no access_token", "access_token")
        refresh = data.get("refresh_token")
        scope = data.get("scope")
        return Token(
            access_token=data["access_token"],
            # Never refused for an odd expires_in: the answer holds the new refresh token.
            expires_at=token_expiry(data.get("expires_in"), clock()),
            refresh_token=refresh if isinstance(refresh, str) else None,
            scope=scope if isinstance(scope, str) else None,
        )

    return parse


def _device_parser(response: httpx.Response, converter: cattrs.Converter) -> DeviceAuthorization:
    data = token_json(response)
    if not isinstance(data, dict):
        raise BodyMismatch("device authorization is not an object")
    expires_in = bounded_seconds(data.get("expires_in"), DEVICE_CODE_MAX_SECONDS)
    if expires_in is None:
        raise BodyMismatch("device authorization has no numeric expires_in", "expires_in")
    interval = bounded_seconds(data.get("interval") or 5, DEVICE_POLL_MAX_SECONDS)
    if interval is None:
        raise BodyMismatch("device authorization has no numeric interval", "interval")
    try:
        return DeviceAuthorization(
            device_code=str(data["device_code"]),
            user_code=str(data["user_code"]),
            verification_uri=str(data["verification_uri"]),
            verification_uri_complete=data.get("verification_uri_complete"),
            expires_in=int(expires_in),
            interval=max(1, int(interval)),
        )
    except KeyError as exc:
        raise BodyMismatch(f"device authorization lacks {exc}") from None


def device_authorization_operation(
    app: AllegroApp, environment: AllegroEnvironment, scopes: Sequence[str]
) -> Operation[DeviceAuthorization]:
    """``POST /auth/oauth/device``: start a device flow."""
    return Operation(
        name="oauth.device_authorization",
        method="POST",
        path=environment.device_url,
        parse=_device_parser,
        retry=Retry.CONNECT_ERRORS_ONLY,
        form={"client_id": app.client_id, "scope": " ".join(scopes)},
        headers={"Authorization": app.basic_auth, "Accept": "application/json"},
        authenticated=False,
        secrets=(app.client_secret, app.basic_auth),
        read_error=oauth_error,
    )


def token_operation(
    app: AllegroApp,
    environment: AllegroEnvironment,
    form: Mapping[str, str],
    *,
    clock: Callable[[], datetime] = _now,
) -> Operation[Token]:
    """``POST /auth/oauth/token`` with a grant in ``form``.

    Retried on connect errors only: a refresh that reached Allegro has used up
    its refresh token even if the answer got lost, so re-sending it cannot help.
    """
    secret_values = tuple(v for k, v in form.items() if k != "grant_type")
    return Operation(
        name=f"oauth.token.{form.get('grant_type', '?').rsplit(':', 1)[-1]}",
        method="POST",
        path=environment.token_url,
        parse=_token_parser(clock),
        retry=Retry.CONNECT_ERRORS_ONLY,
        form=dict(form),
        headers={"Authorization": app.basic_auth, "Accept": "application/json"},
        authenticated=False,
        secrets=(app.client_secret, app.basic_auth, *secret_values),
        read_error=oauth_error,
    )


def refresh_form(app: AllegroApp, refresh_token: str) -> dict[str, str]:
    """The form of a refresh grant (auth-code tokens also need ``redirect_uri``)."""
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    if app.redirect_uri is not None:
        form["redirect_uri"] = app.redirect_uri
    return form


def next_poll_interval(error: OAuthError, interval: float) -> float:
    """How long to wait before polling again after ``error``, or raise if the flow is over.

    Allegro answers ``authorization_pending`` until the seller confirms,
    ``slow_down`` when polled too fast (RFC 8628: add 5 s), ``access_denied``
    when the seller refuses, and ``invalid_request`` for an expired or already
    used device code (it never sends ``expired_token``).
    """
    if error.error == "authorization_pending":
        return interval
    if error.error == "slow_down":
        return interval + 5
    if error.error == "access_denied":
        raise DeviceFlowError("access_denied", "the seller refused access", error.status_code)
    if error.error in ("invalid_request", "expired_token"):
        raise DeviceFlowError(
            error.error, "the device code expired or was already used", error.status_code
        )
    raise error


def device_token(
    authorization: DeviceAuthorization,
    token: Callable[[Mapping[str, str]], Operation[Token]],
    *,
    deadline: float,
    monotonic: Callable[[], float],
) -> Plan[Token]:
    """Poll the token endpoint until the seller confirms, denies or the code expires."""
    interval = float(authorization.interval)
    form = {"grant_type": DEVICE_GRANT, "device_code": authorization.device_code}
    while True:
        yield from sleep(interval)
        try:
            return (yield from run(token(form)))
        except OAuthError as error:
            interval = next_poll_interval(error, interval)
        if monotonic() + interval > deadline:
            raise DeviceFlowError("expired_token", "the device code expired", 400)


class _OAuthBase(Connection[HttpT, TransportT, SleepT], Generic[HttpT, TransportT, SleepT]):
    """The OAuth flows, written once for the sync and the async helper (arguments: see
    :class:`AllegroOAuth`)."""

    def __init__(
        self,
        app: AllegroApp,
        *,
        environment: AllegroEnvironment = PRODUCTION,
        http_client: HttpT | None = None,
        transport: TransportT | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        on_retry: Callable[[RetryEvent], None] | None = None,
        sleep: SleepT | None = None,
        clock: Callable[[], datetime] = _now,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        require_scrubbable("client_secret", app.client_secret)
        self.app = app
        self.environment = environment
        self.clock = clock
        self.monotonic = monotonic
        settings = HttpSettings(retry or ALLEGRO_RETRY, timeout=timeout, on_retry=on_retry)
        config = settings.engine_config(AllegroService(), environment.oauth_url, make_converter())
        self._connect(config, settings, http_client=http_client, transport=transport, sleep=sleep)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.app!r}, environment={self.environment.oauth_url!r})"

    def authorization_url(
        self, *, state: str, pkce: PkcePair | None = None, scopes: Sequence[str] = order_scopes()
    ) -> str:
        """The URL to send the seller to (authorization code flow)."""
        return authorization_url(self.app, self.environment, state=state, pkce=pkce, scopes=scopes)

    def _token(self, form: Mapping[str, str]) -> Operation[Token]:
        return token_operation(self.app, self.environment, form, clock=self.clock)

    def _start(self, scopes: Sequence[str]) -> Operation[DeviceAuthorization]:
        return device_authorization_operation(self.app, self.environment, scopes)

    def _code(self, code: str, pkce: PkcePair | None) -> Operation[Token]:
        if self.app.redirect_uri is None:
            raise ValueError("the authorization code flow needs AllegroApp.redirect_uri")
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.app.redirect_uri,
        }
        if pkce is not None:
            form["code_verifier"] = pkce.verifier
        return self._token(form)

    def _refresh(self, refresh_token: str) -> Operation[Token]:
        return self._token(refresh_form(self.app, refresh_token))

    def _device_token(
        self, authorization: DeviceAuthorization, timeout: float | None
    ) -> Plan[Token]:
        limit = (
            authorization.expires_in if timeout is None else min(timeout, authorization.expires_in)
        )
        deadline = self.monotonic() + limit
        return device_token(authorization, self._token, deadline=deadline, monotonic=self.monotonic)


class AllegroOAuth(
    SyncConnection, _OAuthBase[httpx.Client, httpx.BaseTransport, Callable[[float], None]]
):
    """Allegro OAuth flows with a blocking HTTP client.

    Args:
        app: The application's credentials.
        environment: :data:`PRODUCTION`, :data:`SANDBOX` or a custom one.
        http_client: An ``httpx.Client`` to use (its transport, proxies ...).
        transport: A transport for the client this object creates.
        timeout: Request timeouts (the clients' default).
        retry: Retry policy (the Allegro clients' by default).
        on_retry: Called before every retry.
        sleep: Injected in tests so device polling runs instantly.
        clock: The wall clock token expiry is measured on.
        monotonic: The clock of the device flow's deadline.
    """

    def start_device_flow(self, scopes: Sequence[str] = order_scopes()) -> DeviceAuthorization:
        """Start a device flow; show ``verification_uri_complete`` to the seller."""
        return self._engine.run(self._start(scopes))

    def wait_for_device_token(
        self, authorization: DeviceAuthorization, *, timeout: float | None = None
    ) -> Token:
        """Poll until the seller confirms; raises DeviceFlowError if denied or expired."""
        return self._drive(self._device_token(authorization, timeout))

    def exchange_code(self, code: str, *, pkce: PkcePair | None = None) -> Token:
        """Exchange an authorization code (and the PKCE verifier) for tokens."""
        return self._engine.run(self._code(code, pkce))

    def refresh(self, refresh_token: str) -> Token:
        """Refresh. The old refresh token is dead afterwards: store the new pair at once."""
        return self._engine.run(self._refresh(refresh_token))


class AsyncAllegroOAuth(
    AsyncConnection,
    _OAuthBase[httpx.AsyncClient, httpx.AsyncBaseTransport, Callable[[float], Awaitable[None]]],
):
    """Allegro OAuth flows with an async HTTP client. See :class:`AllegroOAuth`."""

    async def start_device_flow(
        self, scopes: Sequence[str] = order_scopes()
    ) -> DeviceAuthorization:
        """Start a device flow; show ``verification_uri_complete`` to the seller."""
        return await self._engine.run(self._start(scopes))

    async def wait_for_device_token(
        self, authorization: DeviceAuthorization, *, timeout: float | None = None
    ) -> Token:
        """Poll until the seller confirms; raises DeviceFlowError if denied or expired."""
        return await self._drive(self._device_token(authorization, timeout))

    async def exchange_code(self, code: str, *, pkce: PkcePair | None = None) -> Token:
        """Exchange an authorization code (and the PKCE verifier) for tokens."""
        return await self._engine.run(self._code(code, pkce))

    async def refresh(self, refresh_token: str) -> Token:
        """Refresh. The old refresh token is dead afterwards: store the new pair at once."""
        return await self._engine.run(self._refresh(refresh_token))
