"""The order events journal: ids only grow, ``from`` is exclusive, kept 60 days."""

from __future__ import annotations

import attrs

from .._resources import route
from .._transport import Exchange, FakeResponse, Refusal
from ._data import (
    EVENT_ID_BASE,
    EVENT_RETENTION,
    EVENT_TYPES,
    ORDERS_READ,
    StoredEvent,
    int_param,
    iso,
)
from ._state import Access, Resource, ok


class Events(Resource):
    """``/order/events`` and ``/order/event-stats``."""

    def duplicate_event(self, event_id: str) -> str:
        """See :meth:`FakeAllegro.duplicate_event`."""
        original = next((e for e in self.state.events if e.id == event_id), None)
        if original is None:
            raise KeyError(f"no event {event_id!r}")
        copy_ = attrs.evolve(
            original, seq=next(self.state.event_seq), recorded_at=self.state.clock.now()
        )
        self.state.events.append(copy_)
        return copy_.id

    def _visible_events(self, seller_id: str) -> list[StoredEvent]:
        horizon = self.state.clock.now() - EVENT_RETENTION
        return [
            e for e in self.state.events if e.seller_id == seller_id and e.recorded_at >= horizon
        ]

    @route("GET", "/order/events", query=("from", "type", "limit"), access=Access(ORDERS_READ))
    def list_events(self, exchange: Exchange) -> FakeResponse:
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
        return ok({"events": [e.json() for e in events[:limit]]})

    @route("GET", "/order/event-stats", access=Access(ORDERS_READ))
    def event_stats(self, exchange: Exchange) -> FakeResponse:
        events = self._visible_events(exchange.principal)
        if not events:
            return ok({})
        latest = events[-1]
        return ok({"latestEvent": {"id": latest.id, "occurredAt": iso(latest.occurred_at)}})
