"""What a FakeAllegro knows, shared by its resources, and who may call a route."""

from __future__ import annotations

import hashlib
import itertools
import random
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import attrs

from .._clock import Clock
from .._transport import Exchange, FakeResponse, Refusal, json_response
from ._data import (
    MEDIA_TYPE,
    AccessToken,
    AuthorizationCode,
    DeviceGrant,
    RefreshToken,
    Seller,
    StoredEvent,
    StoredForm,
    StoredRefund,
    iso,
)


@attrs.frozen
class Access:
    """Who may call an API route (the ``access`` of its :func:`~.._resources.route`)."""

    scope: str | None = None
    """The scope a token needs; ``None``: any."""
    app_token: bool = False
    """An application token (``client_credentials``) will do; otherwise a user's is needed."""
    anonymous: bool = False
    """No token at all will do."""


class AllegroState:
    """Every record of one FakeAllegro and the settings its resources read.

    The fake's lock guards it: handlers run under it, and the fake's seeding
    methods take it.
    """

    default_seller: Seller

    def __init__(
        self,
        *,
        clock: Clock,
        seed: int,
        client_id: str,
        client_secret: str,
        carriers: Sequence[tuple[str, str]],
        fulfillment_change_limit: int,
        max_orders_per_waybill: int,
        auto_sent_on_waybill: bool,
        refund_status: str,
        waybill_formats: dict[str, str],
        invoice_limit: int | None = 1,
        invoice_scan_seconds: float = 30.0,
        invoice_metadata_pause: float = 5.0,
    ) -> None:
        self.clock = clock
        self.client_id = client_id
        self.client_secret = client_secret
        self.carriers = list(carriers)
        self.fulfillment_change_limit = fulfillment_change_limit
        self.max_orders_per_waybill = max_orders_per_waybill
        self.auto_sent_on_waybill = auto_sent_on_waybill
        self.refund_status = refund_status
        self.waybill_formats = waybill_formats
        self.invoice_limit = invoice_limit
        self.invoice_scan_seconds = invoice_scan_seconds
        self.invoice_metadata_pause = invoice_metadata_pause
        self.rng = random.Random(seed)
        self.sellers: dict[str, Seller] = {}
        self.access: dict[str, AccessToken] = {}
        self.refresh: dict[str, RefreshToken] = {}
        self.devices: dict[str, DeviceGrant] = {}
        self.codes: dict[str, AuthorizationCode] = {}
        self.forms: dict[str, StoredForm] = {}
        self.events: list[StoredEvent] = []
        self.event_seq = itertools.count(1)
        self.refunds: list[StoredRefund] = []

    def seller(self, seller_id: str | None) -> Seller:
        """A seller by id (the default seller for ``None``); ``KeyError`` if unknown."""
        key = seller_id or self.default_seller.id
        try:
            return self.sellers[key]
        except KeyError:
            raise KeyError(
                f"no seller {key!r} in this FakeAllegro; add_seller() it first"
            ) from None

    def hex(self, prefix: str) -> str:
        """A fresh random token-like string."""
        return f"{prefix}-{self.rng.getrandbits(160):040x}"

    # --- checkout forms, which most resources hang off -------------------------------------------

    def stored(self, form_id: str) -> StoredForm:
        """A live checkout form, for seeding; ``KeyError`` if unknown or merged away."""
        stored = self.forms.get(form_id)
        if stored is None or stored.gone:
            raise KeyError(f"no checkout form {form_id!r}")
        return stored

    def own_form(self, exchange: Exchange) -> StoredForm:
        """The caller's live checkout form ``{id}``, or the 404 Allegro answers."""
        form_id = exchange.path_params["id"]
        stored = self.forms.get(form_id)
        if stored is None or stored.gone or stored.seller_id != exchange.principal:
            raise Refusal(
                404, "CheckoutFormNotFoundException", f"Checkout form {form_id} not found"
            )
        return stored

    def bump(self, stored: StoredForm, *, revision: bool) -> None:
        """Move ``updatedAt`` to now and, for a buyer-side change, the ``revision`` too."""
        stored.data["updatedAt"] = iso(self.clock.now())
        if revision:
            stored.revision_no += 1
            digest = hashlib.sha1(f"{stored.data['id']}#{stored.revision_no}".encode()).hexdigest()  # noqa: S324
            stored.data["revision"] = digest[:8]

    def emit(self, stored: StoredForm, kind: str, occurred_at: datetime) -> StoredEvent:
        """Append an event about a form to the journal."""
        data = stored.data
        # A form seeded as hostile data (anything may be missing or of the wrong type) is
        # still journalled: the event carries what of it has the expected shape.
        buyer = _mapping(data.get("buyer"))
        items = data.get("lineItems")
        order: dict[str, Any] = {
            "seller": {"id": stored.seller_id},
            "buyer": {
                k: buyer[k] for k in ("id", "email", "login", "guest", "preferences") if k in buyer
            },
            "lineItems": [
                _event_item(item)
                for item in (items if isinstance(items, list) else [])
                if isinstance(item, dict)
            ],
            "checkoutForm": {"id": data["id"], "revision": data.get("revision")},
        }
        if "id" in _mapping(data.get("marketplace")):
            order["marketplace"] = {"id": data["marketplace"]["id"]}
        event = StoredEvent(
            next(self.event_seq),
            kind,
            data["id"],
            stored.seller_id,
            occurred_at,
            self.clock.now(),
            order,
        )
        self.events.append(event)
        return event


def _event_item(item: dict[str, Any]) -> dict[str, Any]:
    offer = _mapping(item.get("offer"))
    return {
        **{
            k: item[k]
            for k in ("id", "quantity", "originalPrice", "price", "boughtAt")
            if k in item
        },
        "offer": {k: offer[k] for k in ("id", "name", "external") if k in offer},
    }


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


class Resource:
    """A group of FakeAllegro's endpoints, over the fake's state."""

    def __init__(self, state: AllegroState) -> None:
        self.state = state


def ok(data: Any, status: int = 200) -> FakeResponse:
    """An answer with a JSON body in Allegro's media type."""
    return json_response(status, data, [("Content-Type", MEDIA_TYPE)])
