"""Login, token refresh and logout: 24 h tokens and a cap on concurrent sessions."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from .._resources import route
from .._transport import Exchange, FakeResponse, Refusal, json_response
from ._data import TOKEN_SECONDS
from ._model import Session
from ._state import Resource

PUBLIC = "public"
"""The ``access`` of routes that need no session."""


class Auth(Resource):
    """``/rest/login``, ``/rest/login/refresh`` and ``/rest/logout``."""

    def session_for(self, header: str) -> Session:
        """The live session an ``Authorization`` header names, or a 401."""
        kind, _, value = header.partition(" ")
        session = self.state.sessions.get(value.strip()) if kind.lower() == "bearer" else None
        if session is None or self.state.clock.now() >= session.expires_at:
            raise Refusal(401, "401", "Unauthenticated.")
        return session

    def _credentials(self, exchange: Exchange) -> dict[str, Any]:
        merged: dict[str, Any] = dict(exchange.request.query)
        body = exchange.json()
        if isinstance(body, Mapping):
            merged.update(body)
        return merged

    def _token_body(self, session: Session) -> dict[str, Any]:
        snake = {
            "token_type": "Bearer",
            "expires_in": TOKEN_SECONDS,
            "access_token": session.access_token,
            "refresh_token": session.refresh_token,
        }
        camel = {
            "tokenType": "Bearer",
            "expiresIn": TOKEN_SECONDS,
            "accessToken": session.access_token,
            "refreshToken": session.refresh_token,
        }
        return {"both": {**snake, **camel}, "snake": snake, "camel": camel}[self.state.token_keys]

    def _new_tokens(self) -> tuple[str, str]:
        rng = self.state.rng
        return (
            f"fake-plenty-access-{rng.getrandbits(160):040x}",
            f"def50200{rng.getrandbits(256):064x}",
        )

    @route("POST", "/rest/login", query=("username", "password"), form=True, access=PUBLIC)
    def login(self, exchange: Exchange) -> FakeResponse:
        state = self.state
        given = self._credentials(exchange)
        username, password = given.get("username"), given.get("password")
        if not username or state.users.get(str(username)) != password:
            raise Refusal(401, "401", "The user credentials were incorrect.")
        now = state.clock.now()
        active = sum(1 for s in state.sessions.values() if now < s.expires_at)
        if active >= state.max_sessions:
            # authentication.adoc: not a rate limit; waiting a little does not help.
            raise Refusal(
                429,
                "too_many_concurrent_sessions",
                "Too many concurrent sessions",
                body={
                    "error": "too_many_concurrent_sessions",
                    "message": "The maximum number of concurrent sessions is reached.",
                    "max_current_sessions": state.max_sessions,
                    "current_sessions": active,
                },
            )
        access, refresh = self._new_tokens()
        session = Session(str(username), access, refresh, now + timedelta(seconds=TOKEN_SECONDS))
        state.sessions[access] = session
        return json_response(200, self._token_body(session), [("Content-Type", "application/json")])

    @route("POST", "/rest/login/refresh", query=("refresh_token",), form=True, access=PUBLIC)
    def refresh(self, exchange: Exchange) -> FakeResponse:
        sessions = self.state.sessions
        given = self._credentials(exchange)
        value = given.get("refresh_token") or given.get("refreshToken")
        session = next((s for s in sessions.values() if s.refresh_token == value), None)
        if session is None or not value:
            raise Refusal(401, "401", "The refresh token is invalid.")
        del sessions[session.access_token]
        session.access_token, session.refresh_token = self._new_tokens()
        session.expires_at = self.state.clock.now() + timedelta(seconds=TOKEN_SECONDS)
        sessions[session.access_token] = session
        return json_response(200, self._token_body(session), [("Content-Type", "application/json")])

    @route("POST", "/rest/logout")
    def logout(self, exchange: Exchange) -> FakeResponse:
        session: Session = exchange.principal
        self.state.sessions.pop(session.access_token, None)
        return FakeResponse(200)
