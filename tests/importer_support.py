"""The importer's test world: both fakes on one clock, a ledger, and importers built on them.

Every test drives the importer through its public API, sync or async (``mode``),
the way a host would: real clients over the fakes' in-process transports.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import attrs
import httpx

from allegro_plenty import (
    AsyncOrderImporter,
    CurrencyPolicy,
    ImportResult,
    ImportSettings,
    MappingConfig,
    OrderImporter,
    PlentyClient,
)
from allegro_plenty.accounts import AllegroAccount
from allegro_plenty.ledger import MemoryLedger
from allegro_plenty.mapping import VatBasis, VatPolicy
from allegro_plenty.plenty.models import NewOrder, NewOrderItem, OrderItemAmount, OrderProperty
from allegro_plenty.testing import FakeAllegro, FakeClock, FakePlenty, checkout_form, seed_catalogue
from allegro_plenty.tokens import MemoryTokenStore

from .fakes_support import allegro_client, async_allegro_client, async_plenty_client, plenty_client

MODES = ("sync", "async")

CONFIG = MappingConfig(
    plenty_id=1000,
    status_id=Decimal(5),
    payment_method_ids={"ONLINE": 6000, "CASH_ON_DELIVERY": 1, "WIRE_TRANSFER": 5001},
    default_payment_method_id=6000,
    default_shipping_profile_id=1,
    currency=CurrencyPolicy(system_currency="PLN"),
    vat=VatPolicy(basis=VatBasis.DESTINATION),  # each country's VAT (OSS)
)
SETTINGS = ImportSettings(backfill=7 * 86400)
"""The first run looks a week back, so forms added before it are imported."""

WRITES = "POST *"
"""Every plenty write the importer makes is a POST (PUT only on updates)."""


def plenty_writes(plenty: FakePlenty) -> list[str]:
    """The routes of every write that reached plenty (logins excluded)."""
    return [
        c.route or "?"
        for c in plenty.calls()
        if c.request.method != "GET" and not (c.route or "").startswith("POST /rest/login")
    ]


def allegro_writes(allegro: FakeAllegro) -> list[str]:
    """The routes of every write that reached Allegro (token refreshes excluded)."""
    return [
        c.route or "?"
        for c in allegro.calls()
        if c.request.method != "GET" and not (c.route or "").startswith("POST /auth/")
    ]


Answer = Callable[[httpx.Request], "httpx.Response | None"]


class Intercept(httpx.BaseTransport):
    """A transport that lets ``answer`` reply in the fake's place where it returns a response."""

    def __init__(self, inner: httpx.BaseTransport, answer: Answer | None) -> None:
        self.inner, self.answer = inner, answer

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        replaced = self.answer(request) if self.answer is not None else None
        return replaced if replaced is not None else self.inner.handle_request(request)


class AsyncIntercept(httpx.AsyncBaseTransport):
    """:class:`Intercept` for async clients."""

    def __init__(self, inner: httpx.AsyncBaseTransport, answer: Answer | None) -> None:
        self.inner, self.answer = inner, answer

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        replaced = self.answer(request) if self.answer is not None else None
        if replaced is not None:
            return replaced
        return await self.inner.handle_async_request(request)


def allegro_404(form_id: str) -> Answer:
    """Allegro answering 404 for one checkout form, as it does for a wrong account's token."""

    def answer(request: httpx.Request) -> httpx.Response | None:
        if request.method == "GET" and request.url.path == f"/order/checkout-forms/{form_id}":
            body = {"errors": [{"code": "CheckoutFormNotFoundException", "message": "not found"}]}
            return httpx.Response(404, json=body, headers={"trace-id": "t-404"})
        return None

    return answer


def corrupt_events(
    allegro: FakeAllegro,
    which: Callable[[dict[str, Any]], bool],
    corrupt: Callable[[dict[str, Any]], None],
) -> Answer:
    """Allegro's journal as the fake keeps it, with the events ``which`` picks corrupted."""

    def answer(request: httpx.Request) -> httpx.Response | None:
        if request.url.path != "/order/events":
            return None
        served = allegro.transport().handle_request(request)
        body = json.loads(served.read())
        for event in body.get("events", []):
            if which(event):
                corrupt(event)
        return httpx.Response(
            served.status_code, headers=served.headers, content=json.dumps(body).encode()
        )

    return answer


class Runner:
    """An importer and how to run it (sync, or on one event loop kept for the test)."""

    def __init__(self, importer: Any, loop: asyncio.AbstractEventLoop | None) -> None:
        self.importer = importer
        self.loop = loop

    def run(self, **options: Any) -> ImportResult:
        if self.loop is None:
            result: ImportResult = self.importer.run(**options)
            return result
        return self.loop.run_until_complete(self.importer.run(**options))


@attrs.define
class World:
    """Both fakes, a ledger and a token store on one fake clock."""

    clock: FakeClock = attrs.field(factory=FakeClock)
    allegro: FakeAllegro = attrs.field(
        default=attrs.Factory(lambda self: FakeAllegro(clock=self.clock), takes_self=True)
    )
    plenty: FakePlenty = attrs.field(
        default=attrs.Factory(lambda self: FakePlenty(clock=self.clock), takes_self=True)
    )
    ledger: Any = attrs.field(
        default=attrs.Factory(lambda self: MemoryLedger(clock=self.clock.time), takes_self=True)
    )
    tokens: MemoryTokenStore = attrs.field(factory=MemoryTokenStore)

    @property
    def seller(self) -> str:
        return self.allegro.default_seller.id

    def account(self, key: str | None = None, **changes: Any) -> AllegroAccount:
        return AllegroAccount(key=key or self.seller, mapping=attrs.evolve(CONFIG, **changes))

    def add(self, seller: str | None = None, **options: Any) -> str:
        """A checkout form with a matching catalogue; returns its id."""
        form = checkout_form(**options)
        seed_catalogue(self.plenty, [form])
        return self.allegro.add_checkout_form(form, seller_id=seller)

    def orders(self, form_id: str) -> list[int]:
        return self.plenty.orders_with_external_id(form_id)

    def existing_order(
        self, external_id: str, referrer_id: Decimal, *, type_id: int = 1, plenty_id: int = 1000
    ) -> int:
        """An order already in plentymarkets (another integration's, a person's)."""
        item = NewOrderItem(
            type_id=9,
            quantity=Decimal(1),
            order_item_name="Earlier import",
            amounts=(OrderItemAmount("PLN", Decimal("10.00")),),
            country_vat_id=self.plenty.vat_configuration_id("PL"),
            vat_field=0,
        )
        order = NewOrder(
            type_id=type_id,
            plenty_id=plenty_id,
            status_id=Decimal(5),
            referrer_id=referrer_id,
            order_items=(item,),
            properties=(OrderProperty(7, external_id),),
        )
        with self.plenty_client() as c:
            made = c.create_order(order)
        self.plenty.clear_calls()
        return made.id

    def plenty_client(self) -> PlentyClient:
        """A client of the fake sharing the importers' login."""
        via = {"transport": self.plenty.transport()}
        return plenty_client(self.plenty, self.clock, via, token_store=self.tokens)

    def referrers(self) -> dict[str, Decimal]:
        """Every referrer's id by back-end name, as plentymarkets lists them."""
        with self.plenty_client() as c:
            every = c.list_referrers(refresh=True)
        self.plenty.clear_calls()
        return {r.backend_name: r.id for r in every}

    @contextlib.contextmanager
    def importer(
        self,
        mode: str = "sync",
        *,
        settings: ImportSettings = SETTINGS,
        accounts: list[AllegroAccount] | None = None,
        plenty_options: dict[str, Any] | None = None,
        allegro_answers: Answer | None = None,
        plenty_answers: Answer | None = None,
        slow_callback: float | None = None,
        allegro_strict: bool = True,
        **options: Any,
    ) -> Iterator[Runner]:
        """An importer for ``accounts`` (the default seller's by default).

        ``allegro_answers`` / ``plenty_answers`` may answer a request in the
        fake's place (return a response) or let it through (return ``None``).
        ``allegro_strict=False`` reads Allegro's answers as production does
        (unknown keys and enum values kept, not refused).
        """
        chosen = accounts or [self.account()]
        plenty_options = plenty_options or {}
        if mode == "sync":
            with contextlib.ExitStack() as stack:
                plenty = stack.enter_context(
                    plenty_client(
                        self.plenty,
                        self.clock,
                        {"transport": Intercept(self.plenty.transport(), plenty_answers)},
                        token_store=self.tokens,
                        **plenty_options,
                    )
                )
                pairs = [
                    (
                        account,
                        stack.enter_context(
                            allegro_client(
                                self.allegro,
                                self.clock,
                                {"transport": Intercept(self.allegro.transport(), allegro_answers)},
                                account=account.key,
                                token_store=self.tokens,
                                strict=allegro_strict,
                            )
                        ),
                    )
                    for account in chosen
                ]
                yield Runner(
                    OrderImporter(
                        plenty=plenty,
                        ledger=self.ledger,
                        accounts=pairs,
                        settings=settings,
                        clock=self.clock.monotonic,
                        **options,
                    ),
                    None,
                )
            return
        loop = asyncio.new_event_loop()
        if slow_callback is not None:  # asyncio logs each callback holding the loop that long
            loop.set_debug(True)
            loop.slow_callback_duration = slow_callback
        plenty_async = async_plenty_client(
            self.plenty, self.clock,
            {"transport": AsyncIntercept(self.plenty.async_transport(), plenty_answers)},
            token_store=self.tokens, **plenty_options,
        )  # fmt: skip
        clients = [
            async_allegro_client(
                self.allegro,
                self.clock,
                {"transport": AsyncIntercept(self.allegro.async_transport(), allegro_answers)},
                account=account.key,
                token_store=self.tokens,
                strict=allegro_strict,
            )
            for account in chosen
        ]
        try:
            yield Runner(
                AsyncOrderImporter(
                    plenty=plenty_async,
                    ledger=self.ledger,
                    accounts=list(zip(chosen, clients, strict=True)),
                    settings=settings,
                    clock=self.clock.monotonic,
                    **options,
                ),
                loop,
            )
        finally:
            for client in [plenty_async, *clients]:
                loop.run_until_complete(client.aclose())
            loop.close()
