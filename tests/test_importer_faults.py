"""Faults on every route of both services: the importer still ends with exactly one of everything.

200 orders; about 20 % of all requests to either fake fail (a 5xx, a timeout, a
reset, a 429, or a write committed whose answer is lost). Within 10 runs the
importer converges: every form has exactly one order, one contact (per the contact
policy), its set of addresses, one payment per paid part and one comment of each
kind, the same as a fault-free import of the same forms makes. Everything waits
on one ``FakeClock``: retries and backoffs take no real time.
"""

from __future__ import annotations

import contextlib
import copy
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from allegro_plenty._plan import Plan
from allegro_plenty.allegro import rate_gate
from allegro_plenty.importer import order
from allegro_plenty.ledger import Binding
from allegro_plenty.mapping import ContactPolicy
from allegro_plenty.testing import Fault, FaultKind, checkout_form, seed_catalogue

from .importer_support import World

ORDERS = 200
FAULT_RATE = 0.2
FAULTS = (
    Fault.server_error(503),
    Fault.timeout(),
    Fault.reset(),
    Fault.rate_limited(),
    Fault.response_lost("reset"),
    Fault.response_lost("timeout"),
    Fault.response_lost("server_error"),
)
MAX_RUNS = 10
MIN_PAUSE = 60.0
"""The shortest pause between two runs (fake seconds)."""
FINISHED = "finished"


def scene(world: World) -> tuple[list[str], list[str]]:
    """200 eligible forms of every shape (some buyers twice) and 10 unpaid ones."""
    forms: list[dict[str, Any]] = []
    for n in range(ORDERS):
        cod = n % 9 == 0
        form = checkout_form(
            seed=n,
            country=("PL", "CZ", "SK", "HU")[n % 4],
            company=n % 5 == 0,
            delivery=("courier", "parcel_locker", "pickup")[n % 3],
            payment_type="CASH_ON_DELIVERY" if cod else "ONLINE",
            surcharges=["9.50"] if n % 7 == 0 and not cod else (),
            items=1 + n % 3,
            deposit=n % 11 == 0,
            message_to_seller="Proszę zadzwonić" if n % 4 == 1 else None,
        )
        if n % 10 == 1:  # a returning buyer: one contact for both orders
            form["buyer"] = copy.deepcopy(forms[-1]["buyer"])
        forms.append(form)
    unpaid = [checkout_form(seed=1000 + n, status="FILLED_IN") for n in range(10)]
    seed_catalogue(world.plenty, forms + unpaid)
    return (
        [world.allegro.add_checkout_form(form) for form in forms],
        [world.allegro.add_checkout_form(form) for form in unpaid],
    )


def inject_faults(world: World, seed: int) -> None:
    """About ``FAULT_RATE`` of all requests to either fake fail, each kind as often."""
    each = 1 - (1 - FAULT_RATE) ** (1 / len(FAULTS))  # the rules are tried in turn
    for fake in (world.allegro, world.plenty):
        fake.faults.seed(seed)
        for fault in FAULTS:
            fake.faults.inject(fault, probability=each, times=None)


def converged(world: World, eligible: list[str]) -> bool:
    """Every form bound and finished, and no failure left to retry or look at."""
    for form_id in eligible:
        binding = world.ledger.binding(world.seller, form_id)
        if binding is None or FINISHED not in binding.steps_done:
            return False
    return world.ledger.failures() == []


def outcome(world: World, form_ids: list[str], policy: ContactPolicy) -> dict[str, Any]:
    """What plentymarkets holds for each form, without ids (comparable between worlds);
    every broken rule as a string under ``"violations"``."""
    violations: list[str] = []
    shapes: dict[str, Any] = {}
    contacts: dict[str, set[int]] = {}
    for form_id in form_ids:
        orders = world.orders(form_id)
        if len(orders) != 1:
            violations.append(f"{form_id}: {len(orders)} orders")
            continue
        (order_id,) = orders
        binding: Binding | None = world.ledger.binding(world.seller, form_id)
        if binding is None or binding.plenty_order_id != order_id:
            violations.append(f"{form_id}: bound to {binding}, not to order {order_id}")
        order = world.plenty.order(order_id)
        form = world.allegro.checkout_form(form_id)
        relations = order["relations"]
        (contact_id,) = [r["referenceId"] for r in relations if r["relation"] == "receiver"]
        key = form["buyer"]["id"] if policy is ContactPolicy.PER_BUYER else form_id
        contacts.setdefault(key, set()).add(contact_id)
        external = key if policy is ContactPolicy.PER_BUYER else f"allegro-guest-{form_id}"
        if world.plenty.contacts_with_external_id(external) != [contact_id]:
            found = world.plenty.contacts_with_external_id(external)
            violations.append(f"{form_id}: contacts {found} for {external}, not [{contact_id}]")
        linked = {a["typeId"]: a["addressId"] for a in order["addressRelations"]}
        own = {a["id"]: a for a in world.plenty.contact(contact_id)["addresses"]}
        if not set(linked.values()) <= set(own):
            violations.append(f"{form_id}: addresses {linked} not all contact {contact_id}'s")
        payments: list[tuple[str, Decimal]] = []
        for part in [form["payment"], *form["surcharges"]]:
            if part["type"] == "CASH_ON_DELIVERY" or part.get("paidAmount") is None:
                continue
            found = world.plenty.payments_with_transaction_id(part["id"])
            if len(found) != 1:
                violations.append(f"{form_id}: {len(found)} payments for part {part['id']}")
                continue
            payment = world.plenty.payment(found[0])
            if payment.get("order") != {"orderId": order_id}:
                violations.append(f"{form_id}: payment {found[0]} linked to {payment.get('order')}")
            payments.append((part["id"], payment["amount"]))
        texts = [c["text"] for c in world.plenty.comments(order_id)]
        if len(set(texts)) != len(texts):
            violations.append(f"{form_id}: a comment twice: {texts}")
        shapes[form_id] = {
            "billing": _place(own.get(linked.get(1))),
            "delivery": _place(own.get(linked.get(2))),
            "same address": linked.get(1) == linked.get(2),
            "payments": sorted(payments),
            "comments": Counter(texts),
            "total": order["amounts"][0]["grossTotal"],
        }
    if policy is ContactPolicy.PER_BUYER:
        twice = {buyer: ids for buyer, ids in contacts.items() if len(ids) > 1}
        if twice:
            violations.append(f"buyers with several contacts: {twice}")
    return {"violations": violations, "shapes": shapes}


def _place(address: dict[str, Any] | None) -> Any:
    if address is None:
        return None
    ignored = {"id", "createdAt", "updatedAt", "options"}
    return {k: v for k, v in address.items() if k not in ignored}


_CLEAN: dict[str, Any] = {}


def clean_shapes() -> dict[str, Any]:
    """What a fault-free import of the same scene makes (once per session; it is the
    same whatever the contact policy)."""
    if not _CLEAN:
        world = World()
        eligible, _ = scene(world)
        with own_rate_gates(), world.importer() as importer:
            result = importer.run()
        assert result.counts["created"] == ORDERS, result.counts
        found = outcome(world, eligible, ContactPolicy.PER_BUYER)
        assert found["violations"] == []
        _CLEAN.update(found["shapes"])
    return _CLEAN


def import_under_faults(
    world: World, mode: str, policy: ContactPolicy, seed: int, max_runs: int = MAX_RUNS
) -> int:
    """Seed the scene, inject the faults and run, as a scheduler would once the last
    retry is due, until converged; return the runs taken (``max_runs + 1``: never)."""
    eligible, _ = scene(world)
    inject_faults(world, seed)
    with world.importer(mode, accounts=[world.account(contact_policy=policy)]) as importer:
        for runs in range(1, max_runs + 1):
            importer.run()
            if converged(world, eligible):
                return runs
            world.clock.advance(_until_due(world))
    return max_runs + 1


def _until_due(world: World) -> float:
    due = [f.next_retry_at for f in world.ledger.failures() if f.next_retry_at is not None]
    return max(MIN_PAUSE, max(due, default=0.0) - world.clock.time())


@contextlib.contextmanager
def own_rate_gates() -> Iterator[None]:
    """A world of its own within a test: its clients share no rate gate with the test's
    world (each gate counts its own world's fake time)."""
    saved = rate_gate._GATES
    rate_gate._GATES = {}
    try:
        yield
    finally:
        rate_gate._GATES = saved


@pytest.fixture
def world() -> World:
    return World()


@pytest.mark.parametrize(
    ("mode", "policy", "seed"),
    [("sync", ContactPolicy.PER_BUYER, 1), ("async", ContactPolicy.GUEST_PER_ORDER, 2)],
)
def test_faults_on_every_route_converge_to_exactly_one_of_everything(
    world: World, mode: str, policy: ContactPolicy, seed: int
) -> None:
    runs = import_under_faults(world, mode, policy, seed)
    assert runs <= MAX_RUNS, "not converged within 10 runs"

    eligible = [f for f in world.allegro.checkout_form_ids() if _paid(world, f)]
    found = outcome(world, eligible, policy)
    assert found["violations"] == []
    assert found["shapes"] == clean_shapes()
    assert len(world.plenty.order_ids()) == ORDERS  # nothing else: the unpaid forms stayed out

    # The faults were what this test says they were: every kind, on every route used.
    for fake in (world.allegro, world.plenty):
        calls = [c for c in fake.calls() if c.route is not None]
        faulted = [c for c in calls if c.fault is not None]
        assert 0.15 < len(faulted) / len(calls) < 0.25
        used = Counter(c.route for c in calls)
        hit = {(c.route, c.fault.kind) for c in faulted if c.fault is not None}
        for route, n in used.items():
            if n >= 100:
                assert {kind for r, kind in hit if r == route} == set(FaultKind), route
    writes = {c.route for c in world.plenty.calls() if c.committed is False}
    assert {"POST /rest/orders", "POST /rest/payments", "POST /rest/comments"} <= writes


def _paid(world: World, form_id: str) -> bool:
    return world.allegro.checkout_form(form_id)["status"] == "READY_FOR_PROCESSING"


def _never_found(*_: object, **__: object) -> Plan[Any]:
    return None
    yield  # a plan that finds nothing, asking nothing


def test_the_harness_sees_every_duplicate_the_look_ups_prevent(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Negative control: with the importer's look-ups by external id, transaction id
    and text disabled, the same faults leave duplicates of each, and the harness
    reports each kind."""
    for name in ("find_existing", "_our_contact", "_payment"):
        monkeypatch.setattr(order, name, _never_found)
    monkeypatch.setattr(order, "_has_comment", lambda *_: _found(False))
    # The duplicates are made as the faults strike: three runs show every kind.
    import_under_faults(world, "sync", ContactPolicy.PER_BUYER, seed=1, max_runs=3)
    eligible = [f for f in world.allegro.checkout_form_ids() if _paid(world, f)]
    violations = outcome(world, eligible, ContactPolicy.PER_BUYER)["violations"]
    for kind in (" orders", "contacts ", " payments for part", "a comment twice"):
        assert any(kind in v for v in violations), (kind, violations[:10])


def _found(value: bool) -> Plan[bool]:
    return value
    yield
