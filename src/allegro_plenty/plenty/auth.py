"""plentymarkets login: back-end user credentials, token parsing, refresh with login fallback.

``POST /rest/login`` takes ``{"username", "password"}`` and answers a token
whose keys come in snake_case (plentymarkets docs, ``authentication.adoc``)
or camelCase (the spec's ``TokenData``, older clients); both are accepted.
``POST /rest/login/refresh`` documents no request body; the library sends the
refresh token as form field ``refresh_token`` with the old access token as
Bearer, as working clients do, and logs in again if the refresh fails.

Only a few back-end users may be logged in at once (3 by default), so the
token lives in the shared :class:`~allegro_plenty.tokens.TokenStore` under
:func:`token_key` and a new login happens only under the store's lock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

import attrs
import cattrs
import httpx

from .._http.auth import token_expiry, token_json
from .._http.operation import BodyMismatch, Operation, Retry
from ..tokens import Token

__all__ = [
    "SERVICE",
    "PlentyCredentials",
    "login_operation",
    "refresh_operation",
    "token_key",
]

SERVICE = "plenty"
"""The service name under which plenty tokens live in a token store."""


@attrs.frozen(repr=False)
class PlentyCredentials:
    """A plentymarkets back-end user. Its ``repr`` never shows the password."""

    username: str
    password: str

    def __repr__(self) -> str:
        return f"PlentyCredentials(username={self.username!r})"


def normalize_base_url(base_url: str) -> str:
    """The system URL without trailing slash or ``/rest`` suffix; it must be absolute."""
    url = base_url.strip().rstrip("/")
    url = url.removesuffix("/rest")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"base_url must be an absolute http(s) URL, got {base_url!r}")
    return url


def token_key(base_url: str, username: str) -> str:
    """The token store key of a user on a system: ``"<username>@<system url>"``."""
    return f"{username}@{normalize_base_url(base_url)}"


def _first(data: dict[str, Any], *keys: str) -> Any:
    return next((data[k] for k in keys if data.get(k) is not None), None)


def _token_parser(
    clock: Callable[[], datetime],
) -> Callable[[httpx.Response, cattrs.Converter], Token]:
    def parse(response: httpx.Response, converter: cattrs.Converter) -> Token:
        data = token_json(response)
        if not isinstance(data, dict):
            raise BodyMismatch("token response is not an object")
        access = _first(data, "access_token", "accessToken")
        if not isinstance(access, str) or not access:
            raise BodyMismatch("token response has no access_token", "access_token")
        refresh = _first(data, "refresh_token", "refreshToken")
        return Token(
            access_token=access,
            # Never refused for an odd expires_in: the answer may hold a new refresh token.
            expires_at=token_expiry(_first(data, "expires_in", "expiresIn"), clock()),
            refresh_token=refresh if isinstance(refresh, str) and refresh else None,
        )

    return parse


def _now() -> datetime:
    return datetime.now(timezone.utc)


def login_operation(
    credentials: PlentyCredentials, *, clock: Callable[[], datetime] = _now
) -> Operation[Token]:
    """``POST /rest/login``.

    Retried on connect errors (and rate-limit 429s) only: every login that
    reaches plenty opens a session, and sessions are few.
    """
    return Operation(
        name="login",
        method="POST",
        path="/rest/login",
        json={"username": credentials.username, "password": credentials.password},
        parse=_token_parser(clock),
        retry=Retry.CONNECT_ERRORS_ONLY,
        authenticated=False,
        secrets=(credentials.password,),
    )


def refresh_operation(token: Token, *, clock: Callable[[], datetime] = _now) -> Operation[Token]:
    """``POST /rest/login/refresh`` with the stored refresh token.

    Not retried: a refresh token that reached plenty may be spent, and the
    caller falls back to a fresh login on any failure anyway.
    """
    if token.refresh_token is None:
        raise ValueError("the token has no refresh token")
    return Operation(
        name="login.refresh",
        method="POST",
        path="/rest/login/refresh",
        form={"refresh_token": token.refresh_token},
        headers={"Authorization": f"Bearer {token.access_token}"},
        parse=_token_parser(clock),
        retry=Retry.NEVER,
        authenticated=False,
        secrets=(token.refresh_token, token.access_token),
    )


def keep_refresh_token(new: Token, old: Token) -> Token:
    """``new``, keeping ``old``'s refresh token if the refresh answer had none."""
    if new.refresh_token is None and old.refresh_token is not None:
        return attrs.evolve(new, refresh_token=old.refresh_token)
    return new
