"""A world for the event procedure tests: both fakes, a ledger, imported orders, runners.

Orders are put into the plentymarkets fake the way the importer puts them there
(line items with their variation and Allegro line-item id in property 41, the
form id in property 7, the account in property 10, the shipping profile in
property 2, under the account's sub-referrer) and bound in the ledger. Runners
come sync or async; the async one is driven from a loop thread of its own, so
tests read the same for both. Every Allegro and plentymarkets request the
runners send is checked against the official spec.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Coroutine, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs
import httpx

from allegro_plenty.allegro.client import AllegroClient, AsyncAllegroClient
from allegro_plenty.ledger import BindingOrigin, ImportLedger, MemoryLedger
from allegro_plenty.plenty.client import PlentyClient
from allegro_plenty.plenty.models import NewOrder, NewOrderItem, OrderItemAmount, OrderProperty
from allegro_plenty.plenty.models import OrderItemProperty as ItemProperty
from allegro_plenty.procedures import (
    AsyncProcedurePoller,
    AsyncProcedureRunner,
    PollReport,
    ProcedureConfig,
    ProcedurePoller,
    ProcedureRunner,
    ProcedureSettings,
)
from allegro_plenty.testing import FakeAllegro, FakeClock, FakePlenty, FakeService
from allegro_plenty.testing.factories import checkout_form
from allegro_plenty.tokens import MemoryTokenStore

from .fakes_support import (
    ALLEGRO_HOST,
    _as_httpx,
    async_allegro_client,
    async_plenty_client,
    plenty_client,
)
from .fakes_support import allegro_client as sync_allegro_client
from .specs import PLENTY_HOST, request_errors, unexcused

PARENT_REFERRER = Decimal("104")
SUB_REFERRER = Decimal("104.01")
PROFILES = {6: ("DPD Classic", "DPD"), 7: ("Paczkomaty InPost", "InPost")}
LONG_NAMED_PROFILE = 9
LONG_SERVICE = "Raben Logistics Polska Sp. z o.o. Oddział Warszawa"
FLAVOURS = ("sync", "async")


def request_violations(fake: FakeService) -> list[str]:
    """Every request ``fake`` received that breaks the official spec (none excused)."""
    service = "allegro" if isinstance(fake, FakeAllegro) else "plenty"
    host = ALLEGRO_HOST if service == "allegro" else PLENTY_HOST
    found: list[str] = []
    for call in fake.calls():
        if call.route is None or "/auth/oauth/" in call.request.path or call.response is None:
            continue
        request, _ = _as_httpx(call, host)
        errors = unexcused(service, "request", request, request_errors(service, request))
        found += [f"{call.route}: {e[:400]}" for e in errors]
    return found


@attrs.define
class Imported:
    """A checkout form and the plentymarkets order it became."""

    form: dict[str, Any]
    order_id: int
    items: dict[str, int]
    """Allegro line-item id → plentymarkets order item id."""
    variations: dict[str, int]
    """Allegro line-item id → plentymarkets variation id."""

    @property
    def form_id(self) -> str:
        return str(self.form["id"])

    def line_ids(self) -> list[str]:
        return [line["id"] for line in self.form["lineItems"]]


Before = Callable[[httpx.Request], "float | None"]
"""Runs before a request reaches the fake (outside its lock); returns seconds to wait, or None."""


def slow_form_reads(seconds: float) -> Before:
    """Delay every ``GET`` of a checkout form, so racing workers all read before any writes."""

    def before(request: httpx.Request) -> float | None:
        reads = request.method == "GET" and request.url.path.startswith("/order/checkout-forms/")
        return seconds if reads else None

    return before


class Hooked(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """A fake's transport with something happening before each request."""

    def __init__(self, inner: Any, before: Before) -> None:
        self.inner, self.before = inner, before

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        delay = self.before(request)
        if delay:
            time.sleep(delay)
        response: httpx.Response = self.inner.handle_request(request)
        return response

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        delay = self.before(request)
        if delay:
            await asyncio.sleep(delay)
        response: httpx.Response = await self.inner.handle_async_request(request)
        return response


class AsyncFace:
    """A sync face over an :class:`AsyncProcedureRunner`, built and run on a loop thread."""

    def __init__(self, make: Callable[[], AsyncProcedureRunner]) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()

        async def build() -> AsyncProcedureRunner:
            return make()

        self.runner = self.run(build())

    def run(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(60)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self.runner, name)
        return lambda *a, **k: self.run(method(*a, **k))

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()


@attrs.define
class World:
    """Both fakes, a ledger and a seeding client, on one fake clock."""

    clock: FakeClock
    allegro: FakeAllegro
    plenty: FakePlenty
    ledger: ImportLedger = attrs.field(factory=MemoryLedger)
    seller: PlentyClient = attrs.field(init=False)
    faces: list[AsyncFace] = attrs.field(factory=list)

    def __attrs_post_init__(self) -> None:
        self.seller = plenty_client(self.plenty, self.clock, {"transport": self.plenty.transport()})
        self.plenty.add_referrer("Allegro", referrer_id=PARENT_REFERRER)
        self.plenty.add_referrer("Allegro 46968690", referrer_id=SUB_REFERRER)
        for profile_id, (name, service) in PROFILES.items():
            self.plenty.add_shipping_profile(profile_id, name, service)
        self.plenty.add_shipping_profile(LONG_NAMED_PROFILE, "Spedycja paletowa", LONG_SERVICE)
        self.ledger.save_cursor(
            self.account,
            "referrer",
            {"parent_id": str(PARENT_REFERRER), "referrer_id": str(SUB_REFERRER)},
            expected_version=0,
        )

    @property
    def account(self) -> str:
        return self.allegro.default_seller.id

    def close(self) -> None:
        for face in self.faces:
            face.close()

    # --- seeding -----------------------------------------------------------------------

    def import_form(
        self,
        *,
        bind: bool = True,
        profile: int = 6,
        status: Decimal | int = 5,
        referrer: Decimal = SUB_REFERRER,
        external_id: str | None = None,
        same_variation: bool = False,
        **form_options: Any,
    ) -> Imported:
        """A checkout form on Allegro and the plentymarkets order the importer made of it."""
        form_options.setdefault("seed", len(self.plenty.order_ids()) + 1)
        form = checkout_form(**form_options)
        self.allegro.add_checkout_form(form)
        vat = self.plenty.vat_configuration_id("PL")
        currency = form["summary"]["totalToPay"]["currency"]
        variations: dict[str, int] = {}
        items: list[NewOrderItem] = []
        shared: int | None = None
        for line in form["lineItems"]:
            if same_variation and shared is not None:
                variation = shared
            else:
                number = f"{line['offer']['external']['id']}-{line['id'][:8]}"
                variation = shared = self.plenty.add_variation(number=number)
            variations[line["id"]] = variation
            items.append(
                NewOrderItem(
                    type_id=1,
                    quantity=Decimal(line["quantity"]),
                    order_item_name=line["offer"]["name"],
                    amounts=(OrderItemAmount(currency, Decimal(line["price"]["amount"])),),
                    item_variation_id=variation,
                    referrer_id=referrer,
                    country_vat_id=vat,
                    vat_field=0,
                    properties=(
                        ItemProperty(17, line["offer"]["id"]),
                        ItemProperty(41, line["id"]),
                    ),
                )
            )
            if "deposit" in line:
                items.append(
                    NewOrderItem(
                        type_id=10,
                        quantity=Decimal(line["quantity"]),
                        order_item_name=f"Kaucja: {line['offer']['name']}",
                        amounts=(
                            OrderItemAmount(currency, Decimal(line["deposit"]["price"]["amount"])),
                        ),
                        country_vat_id=vat,
                        vat_field=0,
                    )
                )
        items.append(
            NewOrderItem(
                type_id=6,
                quantity=Decimal(1),
                order_item_name="Shipping costs",
                amounts=(OrderItemAmount(currency, Decimal(form["delivery"]["cost"]["amount"])),),
                country_vat_id=vat,
                vat_field=0,
            )
        )
        order = self.seller.create_order(
            NewOrder(
                type_id=1,
                plenty_id=self.plenty.plenty_id,
                status_id=Decimal(status),
                referrer_id=referrer,
                order_items=tuple(items),
                properties=(
                    OrderProperty(7, external_id or form["id"]),
                    OrderProperty(2, str(profile)),
                    OrderProperty(10, self.account),
                    OrderProperty(6, "pl"),
                ),
            )
        )
        if bind:
            self.ledger.bind(self.account, form["id"], order.id, origin=BindingOrigin.CREATED)
        assert order.order_items is not None
        by_variation: dict[int, int] = {}
        for item in order.order_items:
            if item.type_id == 1:
                by_variation.setdefault(item.item_variation_id, item.id)
        ids = {line_id: by_variation[v] for line_id, v in variations.items()}
        return Imported(form, order.id, ids, variations)

    def delivery_order(self, imported: Imported, lines: Sequence[str] | None = None) -> int:
        """Split a delivery order off the sales order (the given line items, or all)."""
        chosen = lines if lines is not None else imported.line_ids()
        wanted = {imported.items[line]: self._quantity(imported, line) for line in chosen}
        return self.plenty.create_delivery_order(imported.order_id, wanted)

    def return_order(
        self, imported: Imported, quantities: Mapping[str, int], *, status: Decimal | int = 9
    ) -> int:
        """A return order of the given line items and quantities."""
        items = {imported.items[line]: quantity for line, quantity in quantities.items()}
        return self.plenty.create_return_order(imported.order_id, items, status=status)

    def package(
        self,
        imported: Imported,
        number: str,
        lines: Sequence[str] | None = None,
        *,
        holder: int | None = None,
    ) -> int:
        """Register a package on the sales order (or ``holder``, a delivery order) holding
        the given line items (all by default), each in its full quantity."""
        chosen = lines if lines is not None else imported.line_ids()
        order = self.plenty.order(holder or imported.order_id)
        item_of = {
            item["itemVariationId"]: item["id"]
            for item in order["orderItems"]
            if item["typeId"] == 1
        }
        content = {
            item_of[imported.variations[line]]: self._quantity(imported, line) for line in chosen
        }
        return self.plenty.register_package(holder or imported.order_id, number, items=content)

    def _quantity(self, imported: Imported, line_id: str) -> int:
        return next(
            int(line["quantity"]) for line in imported.form["lineItems"] if line["id"] == line_id
        )

    # --- runners -------------------------------------------------------------------------

    def runner(
        self,
        flavour: str,
        *,
        config: ProcedureConfig | None = None,
        settings: ProcedureSettings | None = None,
        before: Before | None = None,
        ledger: Any = None,
        **options: Any,
    ) -> Any:
        """A sync runner, or a sync face over an async one, on the fakes."""
        settings = settings or ProcedureSettings(owner=f"test-{flavour}")
        store = MemoryTokenStore()
        common = {"config": config, "settings": settings, **options}
        if flavour == "sync":
            allegro_transport: Any = self.allegro.transport()
            if before is not None:
                allegro_transport = Hooked(allegro_transport, before)
            allegro = sync_allegro_client(
                self.allegro, self.clock, {"transport": allegro_transport}, token_store=store
            )
            return ProcedureRunner(
                plenty=plenty_client(
                    self.plenty, self.clock, {"transport": self.plenty.transport()}
                ),
                ledger=ledger or self.ledger,
                accounts=[(self.account, allegro)],
                **common,
            )

        def make() -> AsyncProcedureRunner:
            transport: Any = self.allegro.async_transport()
            if before is not None:
                transport = Hooked(transport, before)
            allegro = async_allegro_client(
                self.allegro, self.clock, {"transport": transport}, token_store=store
            )
            plenty = async_plenty_client(
                self.plenty, self.clock, {"transport": self.plenty.async_transport()}
            )
            return AsyncProcedureRunner(
                plenty=plenty,
                ledger=ledger or self.ledger,
                accounts=[(self.account, allegro)],
                **common,
            )

        face = AsyncFace(make)
        self.faces.append(face)
        return face

    # --- inspection ------------------------------------------------------------------------

    def allegro_writes(self) -> list[str]:
        """The Allegro writes that reached the fake (their routes)."""
        return [
            c.route
            for c in self.allegro.calls()
            if c.route is not None and c.request.method != "GET" and "/auth/" not in c.route
        ]

    def allegro_calls(self, route: str) -> int:
        return self.allegro.call_count(route)

    def plenty_reads(self) -> int:
        return sum(
            1
            for c in self.plenty.calls()
            if c.request.method == "GET" and c.route is not None and "login" not in c.route
        )


def concurrently(runner: Any, times: int, *args: Any) -> list[Any]:
    """``runner.dispatch(*args)`` ``times`` at once: threads for a sync runner, tasks for an
    async one; returns what each dispatch returned."""
    if isinstance(runner, AsyncFace):
        inner = runner.runner

        async def gather() -> list[Any]:
            return list(await asyncio.gather(*(inner.dispatch(*args) for _ in range(times))))

        return list(runner.run(gather()))
    barrier = threading.Barrier(times, timeout=30)
    results: list[Any] = []
    errors: list[BaseException] = []

    def one() -> None:
        barrier.wait()
        try:
            results.append(runner.dispatch(*args))
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=one) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == [], errors
    return results


def make_world(checked: Callable[[Any], Any], clock: FakeClock, **allegro: Any) -> Iterator[World]:
    """A world whose fakes' answers and the runners' requests are checked against the specs."""
    world = World(
        clock,
        checked(FakeAllegro(clock=clock, **allegro)),
        checked(FakePlenty(clock=clock, plan=None)),
        MemoryLedger(clock=clock.time),
    )
    try:
        yield world
        violations = request_violations(world.allegro) + request_violations(world.plenty)
        assert violations == [], "requests broke the official spec:\n" + "\n".join(violations)
    finally:
        world.close()


def lines_of(form: Mapping[str, Any]) -> list[str]:
    """The line-item ids of a form."""
    return [line["id"] for line in form["lineItems"]]


__all__ = [
    "FLAVOURS",
    "LONG_NAMED_PROFILE",
    "LONG_SERVICE",
    "AllegroClient",
    "AsyncAllegroClient",
    "Imported",
    "World",
    "concurrently",
    "lines_of",
    "make_world",
    "request_violations",
    "slow_form_reads",
]


Poll = Callable[[], PollReport]


def poller(world: World, flavour: str, **options: Any) -> Poll:
    """``poll_once`` of a sync poller, or of an async one run on its runner's loop."""
    runner = world.runner(flavour, config=options.pop("config", None))
    if flavour == "sync":
        return ProcedurePoller(runner, **options).poll_once
    polling = AsyncProcedurePoller(runner.runner, **options)
    return lambda: runner.run(polling.poll_once())
