"""OAuth: the token endpoint (four grants) and the device flow; bearer tokens checked.

Access tokens last 12 h; refresh tokens are single-use and rotate (a replay
answers 400 ``invalid_grant``, and a refresh kills the previous access token).
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from ...tokens import Token
from .._resources import route
from .._transport import Exchange, FakeResponse, Refusal, json_response
from ._data import (
    ACCESS_TOKEN_SECONDS,
    ALL_SCOPES,
    DEVICE_GRANT,
    REFRESH_TOKEN_LIFETIME,
    AccessToken,
    AuthorizationCode,
    DeviceGrant,
    RefreshToken,
)
from ._state import Resource


class OAuth(Resource):
    """``/auth/oauth/token`` and ``/auth/oauth/device``, and the tokens they issue."""

    def bearer(self, header: str) -> AccessToken:
        """The live access token an ``Authorization`` header carries, or Allegro's 401."""
        kind, _, value = header.partition(" ")
        if kind.lower() != "bearer" or not value.strip():
            raise Refusal(
                401,
                "unauthorized",
                "Full authentication is required to access this resource",
                body={
                    "error": "unauthorized",
                    "error_description": "Full authentication is required to access this resource",
                },
            )
        token = self.state.access.get(value.strip())
        if token is None or token.revoked:
            raise Refusal(
                401,
                "invalid_token",
                "Invalid access token",
                body={"error": "invalid_token", "error_description": "Invalid access token"},
            )
        if self.state.clock.now() >= token.expires_at:
            raise Refusal(
                401,
                "invalid_token",
                "Access token expired",
                body={
                    "error": "invalid_token",
                    "error_description": f"Access token expired: {token.token}",
                },
            )
        return token

    def _issue(self, seller_id: str, scopes: tuple[str, ...], *, expires_in: int) -> dict[str, Any]:
        now = self.state.clock.now()
        access = AccessToken(
            self.state.hex("fake-access"), seller_id, scopes, now + timedelta(seconds=expires_in)
        )
        refresh = RefreshToken(
            self.state.hex("fake-refresh"),
            seller_id,
            scopes,
            now + REFRESH_TOKEN_LIFETIME,
            access.token,
        )
        self.state.access[access.token] = access
        self.state.refresh[refresh.token] = refresh
        return {
            "access_token": access.token,
            "token_type": "bearer",
            "refresh_token": refresh.token,
            "expires_in": expires_in,
            "scope": " ".join(scopes),
            "allegro_api": True,
            "jti": str(uuid.UUID(int=self.state.rng.getrandbits(128))),
        }

    def issue_token(
        self,
        seller_id: str | None = None,
        *,
        scopes: Iterable[str] = ALL_SCOPES,
        expires_in: int = ACCESS_TOKEN_SECONDS,
    ) -> Token:
        """The token pair of :meth:`FakeAllegro.issue_token`."""
        seller = self.state.seller(seller_id)
        data = self._issue(seller.id, tuple(scopes), expires_in=expires_in)
        return Token(
            access_token=data["access_token"],
            expires_at=self.state.clock.now() + timedelta(seconds=expires_in),
            refresh_token=data["refresh_token"],
            scope=data["scope"],
        )

    def authorization_code(
        self,
        seller_id: str | None = None,
        *,
        scopes: Iterable[str] = ALL_SCOPES,
        redirect_uri: str | None = None,
        code_challenge: str | None = None,
    ) -> str:
        """See :meth:`FakeAllegro.authorization_code`."""
        seller = self.state.seller(seller_id)
        code = self.state.hex("fake-code")
        self.state.codes[code] = AuthorizationCode(
            seller.id, tuple(scopes), redirect_uri, code_challenge
        )
        return code

    def approve_device(self, user_code: str, seller_id: str | None = None) -> None:
        """See :meth:`FakeAllegro.approve_device`."""
        self._device_by_user_code(user_code).seller_id = self.state.seller(seller_id).id

    def deny_device(self, user_code: str) -> None:
        """See :meth:`FakeAllegro.deny_device`."""
        self._device_by_user_code(user_code).denied = True

    def _device_by_user_code(self, user_code: str) -> DeviceGrant:
        for device in self.state.devices.values():
            if device.user_code == user_code:
                return device
        raise KeyError(f"no device flow with user code {user_code!r}")

    def revoke_tokens(self, seller_id: str | None = None) -> None:
        """See :meth:`FakeAllegro.revoke_tokens`."""
        key = self.state.seller(seller_id).id
        for access in self.state.access.values():
            if access.seller_id == key:
                access.revoked = True
        for refresh in self.state.refresh.values():
            if refresh.seller_id == key:
                refresh.used = True

    def _client_auth(self, exchange: Exchange) -> None:
        header = exchange.request.headers.get("authorization", "")
        if not header:
            raise Refusal(
                401, "unauthorized", "Full authentication is required to access this resource"
            )
        kind, _, value = header.partition(" ")
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            decoded = ""
        if (
            kind.lower() != "basic"
            or decoded != f"{self.state.client_id}:{self.state.client_secret}"
        ):
            raise Refusal(401, "Unauthorized", "Unauthorized")
        if exchange.request.content_type != "application/x-www-form-urlencoded":
            # Without the form content type Allegro answers invalid_request (allegro-api #6782).
            raise Refusal(400, "invalid_request", "Missing or unsupported Content-Type")

    def _form(self, exchange: Exchange) -> dict[str, str]:
        form = exchange.json() or {}
        merged = dict(exchange.request.query)
        merged.update(form)
        return merged

    @route("POST", "/auth/oauth/token", form=True)
    def token(self, exchange: Exchange) -> FakeResponse:
        self._client_auth(exchange)
        form = self._form(exchange)
        grant = form.get("grant_type")
        if grant == "refresh_token":
            data = self._grant_refresh(form)
        elif grant == "authorization_code":
            data = self._grant_code(form)
        elif grant == DEVICE_GRANT:
            data = self._grant_device(form)
        elif grant == "client_credentials":
            token = AccessToken(
                self.state.hex("fake-app"),
                None,
                (),
                self.state.clock.now() + timedelta(seconds=ACCESS_TOKEN_SECONDS),
            )
            self.state.access[token.token] = token
            data = {
                "access_token": token.token,
                "token_type": "bearer",
                "expires_in": ACCESS_TOKEN_SECONDS,
                "scope": "",
                "allegro_api": True,
            }
        else:
            raise Refusal(400, "unsupported_grant_type", f"Unsupported grant type: {grant}")
        return json_response(200, data, [("Content-Type", "application/json")])

    def _grant_refresh(self, form: Mapping[str, str]) -> dict[str, Any]:
        value = form.get("refresh_token", "")
        stored = self.state.refresh.get(value)
        if stored is None or stored.used or self.state.clock.now() >= stored.expires_at:
            # The description quotes the refused token, as Allegro's does (allegro-api #10107).
            raise Refusal(400, "invalid_grant", f"Invalid refresh token: {value}")
        stored.used = True
        previous = self.state.access.get(stored.access_token)
        if previous is not None:
            # A refresh kills the access token of the old pair (allegro-api #10619).
            previous.revoked = True
        return self._issue(stored.seller_id, stored.scopes, expires_in=ACCESS_TOKEN_SECONDS)

    def _grant_code(self, form: Mapping[str, str]) -> dict[str, Any]:
        code = self.state.codes.get(form.get("code", ""))
        if code is None or code.used:
            raise Refusal(400, "invalid_grant", "Invalid authorization code")
        if code.redirect_uri is not None and form.get("redirect_uri") != code.redirect_uri:
            raise Refusal(400, "invalid_grant", "Redirect URI mismatch")
        if code.code_challenge is not None:
            verifier = form.get("code_verifier", "")
            digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
            if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != code.code_challenge:
                raise Refusal(400, "invalid_grant", "PKCE verification failed")
        code.used = True
        return self._issue(code.seller_id, code.scopes, expires_in=ACCESS_TOKEN_SECONDS)

    def _grant_device(self, form: Mapping[str, str]) -> dict[str, Any]:
        device = self.state.devices.get(form.get("device_code", ""))
        now = self.state.clock.now()
        # Used, expired and unknown codes all answer invalid_request (allegro-api #1652, #13406).
        if device is None or device.used or now >= device.expires_at:
            raise Refusal(400, "invalid_request", "Invalid device code")
        if device.denied:
            raise Refusal(400, "access_denied", "The user denied the authorization request")
        too_soon = (
            device.last_poll is not None
            and (now - device.last_poll).total_seconds() < device.interval
        )
        device.last_poll = now
        if too_soon:
            device.interval += 5
            raise Refusal(400, "slow_down", "Polling too frequently")
        if device.seller_id is None:
            raise Refusal(
                400, "authorization_pending", "User has not authorized the device code yet."
            )
        device.used = True
        return self._issue(device.seller_id, device.scopes, expires_in=ACCESS_TOKEN_SECONDS)

    @route("POST", "/auth/oauth/device", form=True)
    def device(self, exchange: Exchange) -> FakeResponse:
        self._client_auth(exchange)
        form = self._form(exchange)
        if form.get("client_id") != self.state.client_id:
            raise Refusal(
                400, "invalid_request", "client_id does not match the authenticated client"
            )
        scopes = tuple(form.get("scope", "").split()) or ALL_SCOPES
        device = DeviceGrant(
            device_code=self.state.hex("fake-device"),
            user_code=f"{self.state.rng.getrandbits(32):08X}"[:8],
            scopes=scopes,
            expires_at=self.state.clock.now() + timedelta(seconds=3600),
        )
        self.state.devices[device.device_code] = device
        return json_response(
            200,
            {
                "device_code": device.device_code,
                "user_code": device.user_code,
                "verification_uri": "https://allegro.pl/skojarz-aplikacje",
                "verification_uri_complete": f"https://allegro.pl/skojarz-aplikacje?code={device.user_code}",
                "expires_in": 3600,
                "interval": device.interval,
            },
            [("Content-Type", "application/json")],
        )
