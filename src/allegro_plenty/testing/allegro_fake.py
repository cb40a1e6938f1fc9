"""``FakeAllegro``: a stateful, in-memory Allegro REST API for tests.

It serves the endpoints :class:`~allegro_plenty.AllegroClient` uses, the OAuth
token and device endpoints, and behaves like Allegro where integrations break:

* ``Accept: application/vnd.allegro.public.v1+json`` or 406; a ``trace-id``
  header on every API answer; errors as ``{"errors": [...]}``;
* tokens that expire after 12 h, refresh tokens that are single-use and rotate
  (a replay answers 400 ``invalid_grant``, and a refresh kills the previous
  access token), scopes checked per endpoint;
* checkout forms with every filter of the list endpoint, sorting, and 422 once
  ``offset + limit`` exceeds 10,000; revisions that change on buyer-side edits
  and a 409 for a stale one on the fulfillment PUT;
* an events journal with an exclusive ``from`` cursor, 60-day retention, and
  duplicate or out-of-order events on demand;
* fulfillment status changes (422 for ``RETURNED`` and past 100 changes per
  order, re-setting the same status included), shipments (409 once a waybill is
  used on too many orders), carriers, refunds idempotent by ``commandId``.

Where the fake is stricter than Allegro it says so: unknown query parameters
and body keys are answered with 400, so a typo in a filter fails a test
instead of silently matching every order. ``docs/fakes.md`` lists each
behaviour with its source.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import itertools
import random
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from email.utils import format_datetime
from typing import Any

import attrs
from dateutil.parser import isoparse

from ..allegro.auth import AllegroApp
from ..tokens import Token
from ._allegro_data import (
    ACCESS_TOKEN_SECONDS,
    ADDRESS_FROZEN,
    ALL_SCOPES,
    CHECKOUT_FORM_STATUSES,
    DEFAULT_CARRIERS,
    DEVICE_GRANT,
    EVENT_ID_BASE,
    EVENT_RETENTION,
    EVENT_TYPES,
    FULFILLMENT_STATUSES,
    MARKETPLACES,
    MEDIA_TYPE,
    OFFSET_LIMIT_CAP,
    ORDERS_READ,
    ORDERS_WRITE,
    PAYMENTS_READ,
    PAYMENTS_WRITE,
    PROFILE_READ,
    REFRESH_TOKEN_LIFETIME,
    REFUND_BODY,
    REFUND_REASONS,
    SORTS,
    AccessToken,
    AuthorizationCode,
    DeviceGrant,
    RefreshToken,
    Seller,
    StoredEvent,
    StoredForm,
    StoredRefund,
    bought_at,
    date_param,
    decimal_value,
    form_pairs,
    int_param,
    is_uuid,
    iso,
    money,
    sort_key,
    updated_at,
    within,
)
from ._clock import Clock
from ._transport import Exchange, FakeResponse, FakeService, Refusal, json_response
from .faults import Fault, FaultKind

__all__ = [
    "ALL_SCOPES",
    "DEFAULT_CARRIERS",
    "MEDIA_TYPE",
    "FakeAllegro",
    "Seller",
]


class FakeAllegro(FakeService):
    """A stateful fake of Allegro's order-management API.

    Args:
        clock: Time source (a :class:`~allegro_plenty.testing.FakeClock` in tests).
        seed: Seeds fault injection, token and id generation.
        client_id: The registered application's id.
        client_secret: Its secret.
        carriers: ``(id, name)`` pairs ``GET /order/carriers`` answers.
        fulfillment_change_limit: Status changes allowed per order (Allegro: 100).
        max_orders_per_waybill: On how many orders one waybill may be used
            before ``POST .../shipments`` answers 409 (Allegro's number is not
            published).
        auto_sent_on_waybill: Set ``SENT`` once every line item has a waybill
            (the seller setting Allegro offers).
        refund_status: The status new refunds get.
        requests_per_minute: The application's request budget (Allegro: 9000);
            ``None`` disables it. Over it, calls get 429 for a minute, and each
            call during the block lengthens it.
    """

    service_name = "allegro"

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        seed: int = 0,
        client_id: str = "fake-client-id",
        client_secret: str = "fake-client-secret",  # noqa: S107 - a test credential
        carriers: Sequence[tuple[str, str]] = DEFAULT_CARRIERS,
        fulfillment_change_limit: int = 100,
        max_orders_per_waybill: int = 5,
        auto_sent_on_waybill: bool = False,
        refund_status: str = "SUCCESS",
        requests_per_minute: int | None = None,
    ) -> None:
        super().__init__(clock=clock, seed=seed)
        self.client_id = client_id
        self.client_secret = client_secret
        self.carriers = list(carriers)
        self.fulfillment_change_limit = fulfillment_change_limit
        self.max_orders_per_waybill = max_orders_per_waybill
        self.auto_sent_on_waybill = auto_sent_on_waybill
        self.refund_status = refund_status
        self.requests_per_minute = requests_per_minute
        self._rng = random.Random(seed)
        self._sellers: dict[str, Seller] = {}
        self._access: dict[str, AccessToken] = {}
        self._refresh: dict[str, RefreshToken] = {}
        self._devices: dict[str, DeviceGrant] = {}
        self._codes: dict[str, AuthorizationCode] = {}
        self._forms: dict[str, StoredForm] = {}
        self._events: list[StoredEvent] = []
        self._event_seq = itertools.count(1)
        self._refunds: list[StoredRefund] = []
        self._window_start: datetime | None = None
        self._window_calls = 0
        self._blocked_until: datetime | None = None
        self.default_seller = self.add_seller("46968690", "fake-seller")
        self._register_routes()

    def __repr__(self) -> str:
        return f"FakeAllegro(sellers={len(self._sellers)}, checkout_forms={len(self._forms)})"

    @property
    def app(self) -> AllegroApp:
        """The registered application, ready for ``AllegroClient(app=...)``."""
        return AllegroApp(self.client_id, self.client_secret)

    # --- routes ----------------------------------------------------------------------------------

    def _register_routes(self) -> None:
        add = self.add_route
        add("POST", "/auth/oauth/token", self._token, form=True)
        add("POST", "/auth/oauth/device", self._device, form=True)
        add(
            "GET",
            "/order/checkout-forms",
            self._list_forms,
            query=(
                "offset",
                "limit",
                "status",
                "fulfillment.status",
                "fulfillment.provider.id",
                "fulfillment.shipmentSummary.lineItemsSent",
                "lineItems.boughtAt.lte",
                "lineItems.boughtAt.gte",
                "payment.id",
                "surcharges.id",
                "delivery.method.id",
                "buyer.login",
                "marketplace.id",
                "updatedAt.lte",
                "updatedAt.gte",
                "sort",
            ),
        )
        add("GET", "/order/checkout-forms/{id}", self._get_form)
        add(
            "PUT",
            "/order/checkout-forms/{id}/fulfillment",
            self._put_fulfillment,
            query=("checkoutForm.revision",),
            body={"status": None},
        )
        add("GET", "/order/checkout-forms/{id}/shipments", self._list_shipments)
        add(
            "POST",
            "/order/checkout-forms/{id}/shipments",
            self._add_shipment,
            body={
                "carrierId": None,
                "waybill": None,
                "carrierName": None,
                "lineItems": [{"id": None}],
            },
        )
        add("GET", "/order/events", self._list_events, query=("from", "type", "limit"))
        add("GET", "/order/event-stats", self._event_stats)
        add("GET", "/order/carriers", self._list_carriers)
        add("POST", "/payments/refunds", self._create_refund, body=REFUND_BODY)
        add(
            "GET",
            "/payments/refunds",
            self._list_refunds,
            query=(
                "limit",
                "offset",
                "id",
                "payment.id",
                "order.id",
                "occurredAt.gte",
                "occurredAt.lte",
                "status",
            ),
        )
        add("GET", "/marketplaces", self._marketplaces)
        add("GET", "/me", self._me)

    _SCOPES: Mapping[str, str | None] = {
        "GET /order/checkout-forms": ORDERS_READ,
        "GET /order/checkout-forms/{id}": ORDERS_READ,
        "PUT /order/checkout-forms/{id}/fulfillment": ORDERS_WRITE,
        "GET /order/checkout-forms/{id}/shipments": ORDERS_READ,
        "POST /order/checkout-forms/{id}/shipments": ORDERS_WRITE,
        "GET /order/events": ORDERS_READ,
        "GET /order/event-stats": ORDERS_READ,
        "POST /payments/refunds": PAYMENTS_WRITE,
        "GET /payments/refunds": PAYMENTS_READ,
        "GET /me": PROFILE_READ,
    }
    # Routes an application token (client_credentials) may call; the others need a user.
    _APP_TOKEN_ROUTES = frozenset({"GET /order/carriers", "GET /marketplaces"})
    _PUBLIC_ROUTES = frozenset({"GET /marketplaces"})

    # --- conventions -----------------------------------------------------------------------------

    def _is_oauth(self, exchange: Exchange | None) -> bool:
        return exchange is not None and exchange.route.template.startswith("/auth/")

    def render_error(self, refusal: Refusal, exchange: Exchange | None) -> FakeResponse:
        """``{"errors": [...]}`` for the API; ``{"error", "error_description"}`` for OAuth."""
        headers = list(refusal.headers)
        if refusal.body is not None:
            body = refusal.body
        elif self._is_oauth(exchange):
            body = {"error": refusal.code, "error_description": refusal.message}
        else:
            body = {
                "errors": [
                    {
                        "code": refusal.code,
                        "message": refusal.message,
                        # The 403 error schema (Error403) has a non-nullable details.
                        "details": refusal.message if refusal.status == 403 else None,
                        "path": refusal.path,
                        "userMessage": refusal.message,
                        "metadata": {},
                    }
                ]
            }
        media = "application/json" if self._is_oauth(exchange) else MEDIA_TYPE
        return json_response(refusal.status, body, [("Content-Type", media), *headers])

    def fault_response(self, fault: Fault, exchange: Exchange) -> FakeResponse:
        """Allegro's 429 (no ``Retry-After``) and 5xx bodies."""
        if fault.outcome is FaultKind.RATE_LIMITED:
            return self.render_error(
                Refusal(429, "TooManyRequestsException", "Too many requests"), exchange
            )
        # The body Allegro sends during incidents (allegro-api #4166, #4167).
        return self.render_error(
            Refusal(
                fault.status,
                "INTERNAL_SERVER_ERROR",
                "Internal server error.",
                body={
                    "errors": [
                        {
                            "code": "INTERNAL_SERVER_ERROR",
                            "message": "Internal server error.",
                            "details": None,
                            "path": None,
                            "userMessage": (
                                "Internal server error. Please try again in a few minutes."
                            ),
                        }
                    ]
                },
            ),
            exchange,
        )

    def decorate(self, response: FakeResponse, exchange: Exchange | None) -> FakeResponse:
        """A ``trace-id`` on every API answer (the token endpoint sends none, allegro-api
        #6706), and a ``Date`` from the fake's clock on every answer (RFC 9110)."""
        date = ("Date", format_datetime(self.clock.now().astimezone(timezone.utc), usegmt=True))
        if self._is_oauth(exchange):
            return response.with_headers([date])
        return response.with_headers([("trace-id", f"{self._rng.getrandbits(128):032x}"), date])

    def admit(self, exchange: Exchange) -> None:
        """Accept header, the application's request budget, the token and its scope."""
        if self._is_oauth(exchange):
            return
        request = exchange.request
        accepted = [
            part.split(";")[0].strip() for part in request.headers.get("accept", "").split(",")
        ]
        if MEDIA_TYPE not in accepted:
            raise Refusal(
                406,
                "NotAcceptableException",
                "Not acceptable representation requested. Please check 'Accept' request header",
            )
        self._count_request()
        name = exchange.route.name
        header = request.headers.get("authorization", "")
        if not header and name in self._PUBLIC_ROUTES:
            return
        token = self._bearer(header)
        if token.seller_id is None and name not in self._APP_TOKEN_ROUTES:
            raise Refusal(
                403, "AccessDenied", "This resource needs a user token, not an application token"
            )
        scope = self._SCOPES.get(name)
        if scope is not None and scope not in token.scopes:
            raise Refusal(
                403,
                "AccessDenied",
                "Access is denied",
                headers=[
                    (
                        "WWW-Authenticate",
                        f'Bearer error="insufficient_scope", scope="{scope}"',
                    )
                ],
            )
        exchange.principal = token.seller_id

    def _bearer(self, header: str) -> AccessToken:
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
        token = self._access.get(value.strip())
        if token is None or token.revoked:
            raise Refusal(
                401,
                "invalid_token",
                "Invalid access token",
                body={"error": "invalid_token", "error_description": "Invalid access token"},
            )
        if self.clock.now() >= token.expires_at:
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

    def _count_request(self) -> None:
        if self.requests_per_minute is None:
            return
        now = self.clock.now()
        if self._blocked_until is not None and now < self._blocked_until:
            # Calling during a block lengthens it (allegro-api #3454, #6754).
            self._blocked_until = now + timedelta(minutes=1)
            raise Refusal(429, "TooManyRequestsException", "Too many requests")
        if self._window_start is None or now - self._window_start >= timedelta(minutes=1):
            self._window_start, self._window_calls = now, 0
        self._window_calls += 1
        if self._window_calls > self.requests_per_minute:
            self._blocked_until = now + timedelta(minutes=1)
            raise Refusal(429, "TooManyRequestsException", "Too many requests")

    # --- seeding: accounts and tokens ------------------------------------------------------------

    def add_seller(self, seller_id: str, login: str, **details: Any) -> Seller:
        """Add a seller account; ``details`` are :class:`Seller` fields."""
        with self.lock:
            seller = Seller(seller_id, login, **details)
            self._sellers[seller_id] = seller
            return seller

    def _seller(self, seller_id: str | None) -> Seller:
        key = seller_id or self.default_seller.id
        try:
            return self._sellers[key]
        except KeyError:
            raise KeyError(
                f"no seller {key!r} in this FakeAllegro; add_seller() it first"
            ) from None

    def _hex(self, prefix: str) -> str:
        return f"{prefix}-{self._rng.getrandbits(160):040x}"

    def _issue(self, seller_id: str, scopes: tuple[str, ...], *, expires_in: int) -> dict[str, Any]:
        now = self.clock.now()
        access = AccessToken(
            self._hex("fake-access"), seller_id, scopes, now + timedelta(seconds=expires_in)
        )
        refresh = RefreshToken(
            self._hex("fake-refresh"), seller_id, scopes, now + REFRESH_TOKEN_LIFETIME, access.token
        )
        self._access[access.token] = access
        self._refresh[refresh.token] = refresh
        return {
            "access_token": access.token,
            "token_type": "bearer",
            "refresh_token": refresh.token,
            "expires_in": expires_in,
            "scope": " ".join(scopes),
            "allegro_api": True,
            "jti": str(uuid.UUID(int=self._rng.getrandbits(128))),
        }

    def issue_token(
        self,
        seller_id: str | None = None,
        *,
        scopes: Iterable[str] = ALL_SCOPES,
        expires_in: int = ACCESS_TOKEN_SECONDS,
    ) -> Token:
        """A connected account's token pair, as a token store would hold it.

        Put it in a :class:`~allegro_plenty.tokens.TokenStore` under the seller
        id, and an :class:`~allegro_plenty.AllegroClient` for that account works
        (and refreshes against this fake when it expires).
        """
        with self.lock:
            seller = self._seller(seller_id)
            data = self._issue(seller.id, tuple(scopes), expires_in=expires_in)
            return Token(
                access_token=data["access_token"],
                expires_at=self.clock.now() + timedelta(seconds=expires_in),
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
        """A one-time authorization code, as the redirect after consent carries."""
        with self.lock:
            seller = self._seller(seller_id)
            code = self._hex("fake-code")
            self._codes[code] = AuthorizationCode(
                seller.id, tuple(scopes), redirect_uri, code_challenge
            )
            return code

    def approve_device(self, user_code: str, seller_id: str | None = None) -> None:
        """The seller confirms a device flow (enters ``user_code``)."""
        with self.lock:
            self._device_by_user_code(user_code).seller_id = self._seller(seller_id).id

    def deny_device(self, user_code: str) -> None:
        """The seller refuses a device flow."""
        with self.lock:
            self._device_by_user_code(user_code).denied = True

    def _device_by_user_code(self, user_code: str) -> DeviceGrant:
        for device in self._devices.values():
            if device.user_code == user_code:
                return device
        raise KeyError(f"no device flow with user code {user_code!r}")

    def revoke_tokens(self, seller_id: str | None = None) -> None:
        """Kill every token of a seller (a password change, logging out everywhere)."""
        with self.lock:
            key = self._seller(seller_id).id
            for access in self._access.values():
                if access.seller_id == key:
                    access.revoked = True
            for refresh in self._refresh.values():
                if refresh.seller_id == key:
                    refresh.used = True

    # --- OAuth endpoints -------------------------------------------------------------------------

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
        if kind.lower() != "basic" or decoded != f"{self.client_id}:{self.client_secret}":
            raise Refusal(401, "Unauthorized", "Unauthorized")
        if exchange.request.content_type != "application/x-www-form-urlencoded":
            # Without the form content type Allegro answers invalid_request (allegro-api #6782).
            raise Refusal(400, "invalid_request", "Missing or unsupported Content-Type")

    def _form(self, exchange: Exchange) -> dict[str, str]:
        form = exchange.json() or {}
        merged = dict(exchange.request.query)
        merged.update(form)
        return merged

    def _token(self, exchange: Exchange) -> FakeResponse:
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
                self._hex("fake-app"),
                None,
                (),
                self.clock.now() + timedelta(seconds=ACCESS_TOKEN_SECONDS),
            )
            self._access[token.token] = token
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
        stored = self._refresh.get(value)
        if stored is None or stored.used or self.clock.now() >= stored.expires_at:
            # The description quotes the refused token, as Allegro's does (allegro-api #10107).
            raise Refusal(400, "invalid_grant", f"Invalid refresh token: {value}")
        stored.used = True
        previous = self._access.get(stored.access_token)
        if previous is not None:
            # A refresh kills the access token of the old pair (allegro-api #10619).
            previous.revoked = True
        return self._issue(stored.seller_id, stored.scopes, expires_in=ACCESS_TOKEN_SECONDS)

    def _grant_code(self, form: Mapping[str, str]) -> dict[str, Any]:
        code = self._codes.get(form.get("code", ""))
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
        device = self._devices.get(form.get("device_code", ""))
        now = self.clock.now()
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

    def _device(self, exchange: Exchange) -> FakeResponse:
        self._client_auth(exchange)
        form = self._form(exchange)
        if form.get("client_id") != self.client_id:
            raise Refusal(
                400, "invalid_request", "client_id does not match the authenticated client"
            )
        scopes = tuple(form.get("scope", "").split()) or ALL_SCOPES
        device = DeviceGrant(
            device_code=self._hex("fake-device"),
            user_code=f"{self._rng.getrandbits(32):08X}"[:8],
            scopes=scopes,
            expires_at=self.clock.now() + timedelta(seconds=3600),
        )
        self._devices[device.device_code] = device
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

    # --- seeding: checkout forms and buyer actions -----------------------------------------------

    def add_checkout_form(
        self,
        form: Mapping[str, Any],
        *,
        seller_id: str | None = None,
        emit_events: bool = True,
        occurred_at: datetime | None = None,
    ) -> str:
        """Add a checkout form (JSON as Allegro sends it; see :mod:`.factories`).

        ``revision``, ``updatedAt`` and missing ``fulfillment`` parts are filled
        in. Unless ``emit_events`` is false (to simulate events Allegro lost),
        the journal gets the events a buyer's path to this status produces.
        Returns the form's id.
        """
        with self.lock:
            seller = self._seller(seller_id)
            data = copy.deepcopy(dict(form))
            form_id = str(data.get("id") or uuid.UUID(int=self._rng.getrandbits(128)))
            if form_id in self._forms:
                raise ValueError(f"checkout form {form_id} exists already")
            data["id"] = form_id
            fulfillment = data.setdefault("fulfillment", {})
            fulfillment.setdefault("status", "NEW")
            fulfillment.setdefault("shipmentSummary", {"lineItemsSent": "NONE"})
            fulfillment.setdefault("provider", {"id": "SELLER"})
            data.setdefault("surcharges", [])
            stored = StoredForm(data, seller.id)
            self._forms[form_id] = stored
            self._bump(stored, revision=True)
            if emit_events:
                when = occurred_at or self.clock.now()
                status = data.get("status")
                path = {
                    "BOUGHT": ("BOUGHT",),
                    "FILLED_IN": ("BOUGHT", "FILLED_IN"),
                    "READY_FOR_PROCESSING": ("BOUGHT", "FILLED_IN", "READY_FOR_PROCESSING"),
                    "CANCELLED": ("BOUGHT", "BUYER_CANCELLED"),
                }.get(str(status), ())
                for kind in path:
                    self._emit(stored, kind, when)
            return form_id

    def _stored(self, form_id: str) -> StoredForm:
        stored = self._forms.get(form_id)
        if stored is None or stored.gone:
            raise KeyError(f"no checkout form {form_id!r}")
        return stored

    def _bump(self, stored: StoredForm, *, revision: bool) -> None:
        stored.data["updatedAt"] = iso(self.clock.now())
        if revision:
            stored.revision_no += 1
            digest = hashlib.sha1(f"{stored.data['id']}#{stored.revision_no}".encode()).hexdigest()  # noqa: S324
            stored.data["revision"] = digest[:8]

    def checkout_form(self, form_id: str) -> dict[str, Any]:
        """The current JSON of a checkout form (a copy)."""
        with self.lock:
            return copy.deepcopy(self._stored(form_id).data)

    def checkout_form_ids(self, seller_id: str | None = None) -> list[str]:
        """Ids of every live checkout form of a seller (default seller if ``None``)."""
        with self.lock:
            key = self._seller(seller_id).id
            return [i for i, f in self._forms.items() if f.seller_id == key and not f.gone]

    def pay(self, form_id: str, *, paid_amount: Decimal | str | None = None) -> None:
        """The buyer pays: ``READY_FOR_PROCESSING``, a new revision, an event."""
        with self.lock:
            stored = self._stored(form_id)
            data = stored.data
            total = data["summary"]["totalToPay"]
            payment = data.setdefault(
                "payment", {"id": str(uuid.UUID(int=self._rng.getrandbits(128))), "type": "ONLINE"}
            )
            if payment.get("type") != "CASH_ON_DELIVERY":
                amount = (
                    Decimal(str(paid_amount))
                    if paid_amount is not None
                    else Decimal(total["amount"])
                )
                payment["paidAmount"] = money(amount, total["currency"])
            payment["finishedAt"] = iso(self.clock.now())
            data["status"] = "READY_FOR_PROCESSING"
            self._bump(stored, revision=True)
            self._emit(stored, "READY_FOR_PROCESSING", self.clock.now())

    def add_surcharge(
        self, form_id: str, amount: Decimal | str, *, surcharge_id: str | None = None
    ) -> str:
        """The buyer pays a surcharge (dopłata): a payment of its own in ``surcharges``.

        A surcharge pays for a change in the form, here a dearer delivery:
        ``delivery.cost`` and ``summary.totalToPay`` grow by it, so the total is
        still ``payment.paidAmount`` plus the surcharges (allegro-api #1103).
        The journal gets another ``READY_FOR_PROCESSING`` for the same form
        (allegro-api #2087, #2573). A form without delivery has nothing a
        surcharge could pay for: ``ValueError``.
        """
        with self.lock:
            stored = self._stored(form_id)
            data = stored.data
            total = data["summary"]["totalToPay"]
            value = Decimal(str(amount))
            delivery = data.get("delivery")
            if not delivery:
                raise ValueError(f"form {form_id} has no delivery for a surcharge to pay for")
            cost = Decimal(delivery["cost"]["amount"]) if delivery.get("cost") else Decimal(0)
            delivery["cost"] = money(cost + value, total["currency"])
            sid = surcharge_id or str(uuid.UUID(int=self._rng.getrandbits(128)))
            data["surcharges"].append(
                {
                    "id": sid,
                    "type": "ONLINE",
                    "provider": "P24",
                    "finishedAt": iso(self.clock.now()),
                    "paidAmount": money(value, total["currency"]),
                }
            )
            total["amount"] = money(Decimal(total["amount"]) + value, total["currency"])["amount"]
            self._bump(stored, revision=True)
            self._emit(stored, "READY_FOR_PROCESSING", self.clock.now())
            return sid

    def modify_delivery_address(self, form_id: str, **changes: Any) -> None:
        """The buyer edits the delivery address (camelCase keys: ``street``, ``zipCode`` ...).

        Allegro allows it only before the seller starts processing and before a
        waybill is added; the fake refuses (ValueError) otherwise, as the buyer
        would be refused.
        """
        with self.lock:
            stored = self._stored(form_id)
            status = stored.data["fulfillment"]["status"]
            if status in ADDRESS_FROZEN or stored.shipments:
                raise ValueError(
                    f"a buyer cannot edit the address of an order in {status} or with a waybill"
                )
            address = stored.data.setdefault("delivery", {}).setdefault("address", {})
            address.update(changes)
            address["modifiedAt"] = iso(self.clock.now())
            self._bump(stored, revision=True)
            self._emit(stored, "BUYER_MODIFIED", self.clock.now())

    def cancel(self, form_id: str, *, by_allegro: bool = False) -> None:
        """The buyer (or, with ``by_allegro``, Allegro) cancels the purchase."""
        with self.lock:
            stored = self._stored(form_id)
            stored.data["status"] = "CANCELLED"
            self._bump(stored, revision=True)
            self._emit(
                stored, "AUTO_CANCELLED" if by_allegro else "BUYER_CANCELLED", self.clock.now()
            )

    def merge(self, form_ids: Sequence[str]) -> str:
        """The buyer pays several unpaid purchases together: Allegro makes one new form.

        The new form has a new id and all line items; the old forms answer 404
        from now on (allegro-api #8898, #10406). Only unpaid forms merge.
        """
        with self.lock:
            parts = [self._stored(i) for i in form_ids]
            if len(parts) < 2 or any(
                p.data["status"] in ("READY_FOR_PROCESSING", "CANCELLED") for p in parts
            ):
                raise ValueError("only two or more unpaid checkout forms can be merged")
            merged = copy.deepcopy(parts[0].data)
            merged.pop("id")
            merged.pop("revision", None)
            merged["lineItems"] = [
                item for p in parts for item in copy.deepcopy(p.data["lineItems"])
            ]
            currency = merged["summary"]["totalToPay"]["currency"]
            total = sum(
                (Decimal(p.data["summary"]["totalToPay"]["amount"]) for p in parts), Decimal(0)
            )
            merged["summary"]["totalToPay"] = money(total, currency)
            for part in parts:
                part.gone = True
            return self.add_checkout_form(merged, seller_id=parts[0].seller_id)

    def set_fulfillment_status(self, form_id: str, status: str) -> None:
        """Allegro sets the status itself (``RETURNED`` after a return, ``SENT`` by a carrier)."""
        with self.lock:
            stored = self._stored(form_id)
            stored.data["fulfillment"]["status"] = status
            self._bump(stored, revision=False)
            self._emit(stored, "FULFILLMENT_STATUS_CHANGED", self.clock.now())

    # --- events ----------------------------------------------------------------------------------

    def _emit(self, stored: StoredForm, kind: str, occurred_at: datetime) -> StoredEvent:
        data = stored.data
        buyer = data.get("buyer", {})
        order: dict[str, Any] = {
            "seller": {"id": stored.seller_id},
            "buyer": {
                k: buyer[k] for k in ("id", "email", "login", "guest", "preferences") if k in buyer
            },
            "lineItems": [
                {
                    "id": item["id"],
                    "offer": {
                        k: item["offer"][k]
                        for k in ("id", "name", "external")
                        if k in item["offer"]
                    },
                    "quantity": item["quantity"],
                    "originalPrice": item["originalPrice"],
                    "price": item["price"],
                    **({"boughtAt": item["boughtAt"]} if "boughtAt" in item else {}),
                }
                for item in data.get("lineItems", [])
            ],
            "checkoutForm": {"id": data["id"], "revision": data.get("revision")},
        }
        if "marketplace" in data:
            order["marketplace"] = {"id": data["marketplace"]["id"]}
        event = StoredEvent(
            next(self._event_seq),
            kind,
            data["id"],
            stored.seller_id,
            occurred_at,
            self.clock.now(),
            order,
        )
        self._events.append(event)
        return event

    def emit_event(
        self, form_id: str, event_type: str, *, occurred_at: datetime | None = None
    ) -> str:
        """Append an event for a form; an ``occurred_at`` in the past makes it out of order."""
        if event_type not in EVENT_TYPES:
            raise ValueError(f"unknown event type {event_type!r}")
        with self.lock:
            return self._emit(self._stored(form_id), event_type, occurred_at or self.clock.now()).id

    def duplicate_event(self, event_id: str) -> str:
        """Append a copy of an event (same type, form and ``occurredAt``; a new id)."""
        with self.lock:
            original = next((e for e in self._events if e.id == event_id), None)
            if original is None:
                raise KeyError(f"no event {event_id!r}")
            copy_ = attrs.evolve(original, seq=next(self._event_seq), recorded_at=self.clock.now())
            self._events.append(copy_)
            return copy_.id

    def events(self, form_id: str | None = None) -> list[dict[str, Any]]:
        """The journal (every seller), oldest first, as ``GET /order/events`` renders it."""
        with self.lock:
            return [e.json() for e in self._events if form_id is None or e.form_id == form_id]

    # --- inspection ------------------------------------------------------------------------------

    def fulfillment_changes(self, form_id: str) -> int:
        """How many fulfillment PUTs Allegro accepted for a form (it allows 100)."""
        with self.lock:
            return self._stored(form_id).fulfillment_changes

    def shipments(self, form_id: str) -> list[dict[str, Any]]:
        """Every waybill added to a form, duplicates included."""
        with self.lock:
            return copy.deepcopy(self._stored(form_id).shipments)

    def refunds(self, order_id: str | None = None) -> list[dict[str, Any]]:
        """Refunds created (for one order, if given)."""
        with self.lock:
            return [
                copy.deepcopy(r.data)
                for r in self._refunds
                if order_id is None or r.data.get("order", {}).get("id") == order_id
            ]

    def refresh_count(self) -> int:
        """How many refresh grants of an authenticated application the token endpoint
        processed, accepted or refused (a replayed token counts: it reached Allegro)."""
        return sum(
            1
            for c in self.calls("POST /auth/oauth/token")
            if c.committed
            and c.response is not None
            and c.response.status != 401
            and dict(form_pairs(c)).get("grant_type") == "refresh_token"
        )

    # --- API handlers ----------------------------------------------------------------------------

    def _own_form(self, exchange: Exchange) -> StoredForm:
        form_id = exchange.path_params["id"]
        stored = self._forms.get(form_id)
        if stored is None or stored.gone or stored.seller_id != exchange.principal:
            raise Refusal(
                404, "CheckoutFormNotFoundException", f"Checkout form {form_id} not found"
            )
        return stored

    def _list_forms(self, exchange: Exchange) -> FakeResponse:
        request = exchange.request
        offset = int_param(request.param("offset"), "offset", 0, minimum=0)
        limit = int_param(request.param("limit"), "limit", 100, minimum=1, maximum=100)
        if offset + limit > OFFSET_LIMIT_CAP:
            raise Refusal(
                422,
                "VALIDATION_ERROR",
                "Offset and limit parameters exceed maximal result size of "
                f"{OFFSET_LIMIT_CAP} items",
                path="offset",
            )
        filters: list[tuple[str, tuple[str, ...], Any]] = []
        for name, allowed in (
            ("status", CHECKOUT_FORM_STATUSES),
            ("fulfillment.status", FULFILLMENT_STATUSES),
            ("fulfillment.provider.id", ("SELLER", "ALLEGRO")),
            ("fulfillment.shipmentSummary.lineItemsSent", ("NONE", "SOME", "ALL")),
        ):
            values = request.params(name)
            for value in values:
                if value not in allowed:
                    raise Refusal(
                        400, "VALIDATION_ERROR", f"Invalid value {value!r} of {name}", path=name
                    )
            if values:
                filters.append((name, tuple(values), None))
        for name in (
            "payment.id",
            "surcharges.id",
            "delivery.method.id",
            "buyer.login",
            "marketplace.id",
        ):
            values = request.params(name)
            if values:
                filters.append((name, tuple(values), None))
        bounds = {
            name: date_param(request.param(name), name)
            for name in (
                "lineItems.boughtAt.lte",
                "lineItems.boughtAt.gte",
                "updatedAt.lte",
                "updatedAt.gte",
            )
        }
        sort = request.param("sort") or "-lineItems.boughtAt"
        if sort not in SORTS:
            raise Refusal(400, "VALIDATION_ERROR", f"Invalid sort {sort!r}", path="sort")

        def value_of(form: dict[str, Any], name: str) -> set[str]:
            if name == "status":
                return {form.get("status", "")}
            fulfillment = form.get("fulfillment") or {}
            if name == "fulfillment.status":
                return {fulfillment.get("status", "")}
            if name == "fulfillment.provider.id":
                return {(fulfillment.get("provider") or {}).get("id") or "SELLER"}
            if name == "fulfillment.shipmentSummary.lineItemsSent":
                return {(fulfillment.get("shipmentSummary") or {}).get("lineItemsSent") or "NONE"}
            if name == "payment.id":
                return {(form.get("payment") or {}).get("id", "")}
            if name == "surcharges.id":
                return {s.get("id", "") for s in form.get("surcharges") or []}
            if name == "delivery.method.id":
                return {((form.get("delivery") or {}).get("method") or {}).get("id", "")}
            if name == "buyer.login":
                return {(form.get("buyer") or {}).get("login", "")}
            return {(form.get("marketplace") or {}).get("id", "")}

        def keep(form: dict[str, Any]) -> bool:
            if any(not value_of(form, name) & set(values) for name, values, _ in filters):
                return False
            return within(
                bought_at(form), bounds["lineItems.boughtAt.gte"], bounds["lineItems.boughtAt.lte"]
            ) and within(updated_at(form), bounds["updatedAt.gte"], bounds["updatedAt.lte"])

        matches = [
            f.data
            for f in self._forms.values()
            if f.seller_id == exchange.principal and not f.gone and keep(f.data)
        ]
        key = sort.lstrip("-")
        matches.sort(key=lambda f: (sort_key(f, key), f["id"]), reverse=sort.startswith("-"))
        page = matches[offset : offset + limit]
        return self._ok(
            {"checkoutForms": copy.deepcopy(page), "count": len(page), "totalCount": len(matches)}
        )

    def _ok(self, data: Any, status: int = 200) -> FakeResponse:
        return json_response(status, data, [("Content-Type", MEDIA_TYPE)])

    def _get_form(self, exchange: Exchange) -> FakeResponse:
        return self._ok(copy.deepcopy(self._own_form(exchange).data))

    def _put_fulfillment(self, exchange: Exchange) -> FakeResponse:
        stored = self._own_form(exchange)
        revision = exchange.param("checkoutForm.revision")
        if revision is not None and revision != stored.data.get("revision"):
            raise Refusal(
                409,
                "CONFLICT",
                "Conflict. Provided revision is outdated.",
                path="checkoutForm.revision",
            )
        body = exchange.json() or {}
        status = body.get("status")
        if status not in FULFILLMENT_STATUSES:
            raise Refusal(
                422, "VALIDATION_ERROR", f"Invalid fulfillment status {status!r}", path="status"
            )
        failed = Refusal(
            422,
            "SellerOrdersStoreUnprocessableEntityException",
            f"Failed to set status {status} on order {stored.data['id']}.",
        )
        # RETURNED is Allegro's to set (spec); past the per-order limit every call
        # fails for good (allegro-api #11908).
        if status == "RETURNED" or stored.fulfillment_changes >= self.fulfillment_change_limit:
            raise failed
        stored.fulfillment_changes += 1
        changed = stored.data["fulfillment"].get("status") != status
        stored.data["fulfillment"]["status"] = status
        self._bump(stored, revision=False)
        if changed:
            self._emit(stored, "FULFILLMENT_STATUS_CHANGED", self.clock.now())
        return FakeResponse(204)

    def _list_shipments(self, exchange: Exchange) -> FakeResponse:
        return self._ok({"shipments": copy.deepcopy(self._own_form(exchange).shipments)})

    def _add_shipment(self, exchange: Exchange) -> FakeResponse:
        stored = self._own_form(exchange)
        body = exchange.json() or {}
        carrier, waybill = body.get("carrierId"), body.get("waybill")
        if not isinstance(carrier, str) or not carrier:
            raise Refusal(400, "VALIDATION_ERROR", "carrierId is required", path="carrierId")
        if not isinstance(waybill, str) or not waybill.strip() or len(waybill) > 64:
            raise Refusal(
                400, "VALIDATION_ERROR", "waybill must be 1 to 64 characters", path="waybill"
            )
        if carrier not in {c for c, _ in self.carriers}:
            raise Refusal(
                400,
                "CarrierWaybillValidationException",
                f"Unknown carrier {carrier}",
                path="carrierId",
            )
        name = body.get("carrierName")
        if name is not None and (not isinstance(name, str) or len(name) > 30):
            raise Refusal(
                400,
                "VALIDATION_ERROR",
                "carrierName must be at most 30 characters",
                path="carrierName",
            )
        own_items = [item["id"] for item in stored.data.get("lineItems", [])]
        wanted = [entry.get("id") for entry in body.get("lineItems") or []]
        strangers = [i for i in wanted if i not in own_items]
        if strangers:
            raise Refusal(
                422,
                "VALIDATION_ERROR",
                f"Line item {strangers[0]} is not in the order",
                path="lineItems",
            )
        users = {
            f.data["id"]
            for f in self._forms.values()
            if any(s["waybill"] == waybill for s in f.shipments) and f is not stored
        }
        if len(users) >= self.max_orders_per_waybill:
            raise Refusal(409, "CONFLICT", f"Waybill {waybill} was used on too many orders")
        created = {
            # Allegro's shipment id is base64 of "carrierId:waybill" (allegro-api #2551, #3869).
            "id": base64.b64encode(f"{carrier}:{waybill}".encode()).decode(),
            "waybill": waybill,
            "carrierId": carrier,
            "lineItems": [{"id": i} for i in (wanted or own_items)],
            "createdAt": iso(self.clock.now()),
        }
        if carrier == "OTHER" and name:
            created["carrierName"] = name
        stored.shipments.append(created)
        stored.shipment_posts += 1
        sent = {entry["id"] for s in stored.shipments for entry in s["lineItems"]}
        summary = "ALL" if sent >= set(own_items) else "SOME"
        stored.data["fulfillment"]["shipmentSummary"] = {"lineItemsSent": summary}
        if (
            self.auto_sent_on_waybill
            and summary == "ALL"
            and stored.data["fulfillment"]["status"] != "SENT"
        ):
            stored.data["fulfillment"]["status"] = "SENT"
            self._emit(stored, "FULFILLMENT_STATUS_CHANGED", self.clock.now())
        self._bump(stored, revision=False)
        return self._ok(copy.deepcopy(created), 201)

    def _visible_events(self, seller_id: str) -> list[StoredEvent]:
        horizon = self.clock.now() - EVENT_RETENTION
        return [e for e in self._events if e.seller_id == seller_id and e.recorded_at >= horizon]

    def _list_events(self, exchange: Exchange) -> FakeResponse:
        request = exchange.request
        limit = int_param(request.param("limit"), "limit", 100, minimum=1, maximum=1000)
        types = request.params("type")
        for kind in types:
            if kind not in EVENT_TYPES:
                raise Refusal(422, "VALIDATION_ERROR", f"Invalid event type {kind!r}", path="type")
        start = request.param("from")
        after = -1
        if start is not None:
            try:
                after = int(start) - EVENT_ID_BASE
            except ValueError:
                raise Refusal(
                    422, "VALIDATION_ERROR", f"Invalid event id {start!r}", path="from"
                ) from None
        events = [
            e
            for e in self._visible_events(exchange.principal)
            if e.seq > after and (not types or e.type in types)
        ]
        return self._ok({"events": [e.json() for e in events[:limit]]})

    def _event_stats(self, exchange: Exchange) -> FakeResponse:
        events = self._visible_events(exchange.principal)
        if not events:
            return self._ok({})
        latest = events[-1]
        return self._ok({"latestEvent": {"id": latest.id, "occurredAt": iso(latest.occurred_at)}})

    def _list_carriers(self, exchange: Exchange) -> FakeResponse:
        return self._ok({"carriers": [{"id": c, "name": n} for c, n in self.carriers]})

    def _marketplaces(self, exchange: Exchange) -> FakeResponse:
        return self._ok({"marketplaces": copy.deepcopy(list(MARKETPLACES))})

    def _me(self, exchange: Exchange) -> FakeResponse:
        seller = self._sellers[exchange.principal]
        data: dict[str, Any] = {
            "id": seller.id,
            "login": seller.login,
            "firstName": seller.first_name,
            "lastName": seller.last_name,
            "email": seller.email,
            "baseMarketplace": {"id": seller.base_marketplace},
            "features": list(seller.features),
        }
        if seller.company_name is not None:
            data["company"] = {"name": seller.company_name, "taxId": None}
        return self._ok(data)

    def _create_refund(self, exchange: Exchange) -> FakeResponse:
        body = exchange.json() or {}
        for field in ("payment", "order", "commandId", "reason"):
            if body.get(field) in (None, "", {}):
                raise Refusal(422, "VALIDATION_ERROR", f"{field} is required", path=field)
        command_id = body["commandId"]
        if not is_uuid(command_id):
            raise Refusal(422, "VALIDATION_ERROR", "commandId must be a UUID", path="commandId")
        for earlier in self._refunds:
            if earlier.command_id == command_id and earlier.seller_id == exchange.principal:
                if earlier.request != body:
                    raise Refusal(
                        422,
                        "VALIDATION_ERROR",
                        f"commandId {command_id} was already used with a different request",
                        path="commandId",
                    )
                return self._ok(copy.deepcopy(earlier.data))
        if body["reason"] not in REFUND_REASONS:
            raise Refusal(
                422, "VALIDATION_ERROR", f"Invalid reason {body['reason']!r}", path="reason"
            )
        order_id = (body.get("order") or {}).get("id")
        stored = self._forms.get(str(order_id))
        if stored is None or stored.gone or stored.seller_id != exchange.principal:
            raise Refusal(
                404, "CheckoutFormNotFoundException", f"Checkout form {order_id} not found"
            )
        form = stored.data
        payment = form.get("payment") or {}
        if (body.get("payment") or {}).get("id") != payment.get("id"):
            raise Refusal(
                422,
                "VALIDATION_ERROR",
                "payment.id is not the payment of this order",
                path="payment.id",
            )
        market = (form.get("marketplace") or {}).get("id", "allegro-pl")
        if payment.get("type") == "CASH_ON_DELIVERY" and market == "allegro-pl":
            # allegro-api #11207.
            raise Refusal(
                400,
                "COD_MARKETPLACE_NOT_SUPPORTED",
                "POD refunds are not supported for this marketplace.",
            )
        currency = form["summary"]["totalToPay"]["currency"]
        total = self._refund_total(body, form, currency)
        if total <= 0:
            raise Refusal(422, "VALIDATION_ERROR", "Nothing to refund", path="lineItems")
        refunded = sum(
            (
                Decimal(r.data["totalValue"]["amount"])
                for r in self._refunds
                if r.data["order"]["id"] == form["id"]
            ),
            Decimal(0),
        )
        if refunded + total > Decimal(form["summary"]["totalToPay"]["amount"]):
            raise Refusal(422, "VALIDATION_ERROR", "The refund exceeds what the buyer paid")
        data: dict[str, Any] = {
            "id": str(uuid.UUID(int=self._rng.getrandbits(128), version=4)),
            "payment": {"id": payment["id"]},
            "order": {"id": form["id"]},
            "reason": body["reason"],
            "status": self.refund_status,
            "createdAt": iso(self.clock.now()),
            "totalValue": money(total, currency),
        }
        for key in (
            "lineItems",
            "deposits",
            "delivery",
            "overpaid",
            "surcharges",
            "additionalServices",
            "sellerComment",
        ):
            if key in body:
                data[key] = copy.deepcopy(body[key])
        self._refunds.append(
            StoredRefund(data, exchange.principal, command_id, copy.deepcopy(body))
        )
        return self._ok(copy.deepcopy(data))

    def _refund_total(
        self, body: Mapping[str, Any], form: Mapping[str, Any], currency: str
    ) -> Decimal:
        items = {item["id"]: item for item in form.get("lineItems", [])}
        already: dict[str, Decimal] = {}
        for refund in self._refunds:
            if refund.data["order"]["id"] != form["id"]:
                continue
            for line in refund.data.get("lineItems", []):
                if line.get("type") == "QUANTITY":
                    already[line["id"]] = already.get(line["id"], Decimal(0)) + decimal_value(
                        line.get("quantity"), "quantity"
                    )
        total = Decimal(0)

        def money(value: Any, where: str) -> Decimal:
            if not isinstance(value, Mapping):
                raise Refusal(
                    422, "VALIDATION_ERROR", f"{where} needs amount and currency", path=where
                )
            if value.get("currency") != currency:
                raise Refusal(
                    422, "VALIDATION_ERROR", f"{where}.currency must be {currency}", path=where
                )
            amount = decimal_value(value.get("amount"), f"{where}.amount")
            if amount < 0:
                raise Refusal(422, "VALIDATION_ERROR", f"{where}.amount is negative", path=where)
            _, digits, exponent = amount.as_tuple()
            beyond_cents = -int(exponent) - 2
            if beyond_cents > 0 and any(digits[-beyond_cents:]):
                # allegro-api #12680: "50.410000000000004" is refused.
                raise Refusal(
                    422,
                    "VALIDATION_ERROR",
                    f"{where}.amount may have at most two decimals",
                    path=f"{where}.amount",
                )
            return amount

        for i, line in enumerate(body.get("lineItems") or []):
            item = items.get(line.get("id"))
            if item is None:
                raise Refusal(
                    422,
                    "VALIDATION_ERROR",
                    f"Line item {line.get('id')} is not in the order",
                    path=f"lineItems[{i}].id",
                )
            if line.get("type") == "QUANTITY":
                quantity = decimal_value(line.get("quantity"), f"lineItems[{i}].quantity")
                if quantity <= 0 or quantity + already.get(item["id"], Decimal(0)) > Decimal(
                    item["quantity"]
                ):
                    raise Refusal(
                        422,
                        "VALIDATION_ERROR",
                        "More items refunded than bought",
                        path=f"lineItems[{i}].quantity",
                    )
                total += Decimal(item["price"]["amount"]) * quantity
            elif line.get("type") == "AMOUNT":
                total += money(line.get("value"), f"lineItems[{i}].value")
            else:
                raise Refusal(
                    422,
                    "VALIDATION_ERROR",
                    "type must be QUANTITY or AMOUNT",
                    path=f"lineItems[{i}].type",
                )
        for i, deposit in enumerate(body.get("deposits") or []):
            if deposit.get("lineItemId") not in items:
                raise Refusal(
                    422,
                    "VALIDATION_ERROR",
                    "Deposit of a line item not in the order",
                    path=f"deposits[{i}]",
                )
            total += money(deposit.get("totalValue"), f"deposits[{i}].totalValue")
        for key in ("delivery", "overpaid", "additionalServices"):
            if key in body:
                total += money((body[key] or {}).get("value"), f"{key}.value")
        surcharge_ids = {s.get("id") for s in form.get("surcharges") or []}
        for i, surcharge in enumerate(body.get("surcharges") or []):
            if surcharge.get("id") not in surcharge_ids:
                raise Refusal(
                    422, "VALIDATION_ERROR", "Unknown surcharge", path=f"surcharges[{i}].id"
                )
            total += money(surcharge.get("value"), f"surcharges[{i}].value")
        return total

    def _list_refunds(self, exchange: Exchange) -> FakeResponse:
        request = exchange.request
        limit = int_param(request.param("limit"), "limit", 50, minimum=1, maximum=100)
        offset = int_param(request.param("offset"), "offset", 0, minimum=0)
        statuses = set(request.params("status"))
        low = date_param(request.param("occurredAt.gte"), "occurredAt.gte")
        high = date_param(request.param("occurredAt.lte"), "occurredAt.lte")

        def keep(refund: StoredRefund) -> bool:
            data = refund.data
            created = isoparse(data["createdAt"])
            return (
                refund.seller_id == exchange.principal
                and (request.param("id") is None or data["id"] == request.param("id"))
                and (
                    request.param("payment.id") is None
                    or data["payment"]["id"] == request.param("payment.id")
                )
                and (
                    request.param("order.id") is None
                    or data["order"]["id"] == request.param("order.id")
                )
                and (not statuses or data["status"] in statuses)
                and (low is None or created >= low)
                and (high is None or created <= high)
            )

        matches = [copy.deepcopy(r.data) for r in self._refunds if keep(r)]
        page = matches[offset : offset + limit]
        return self._ok({"refunds": page, "count": len(page), "totalCount": len(matches)})
