"""Orders already in plentymarkets: adopted, resumed, or quarantined; never duplicated.

And the referrers: found or created once, one sub-referrer per account, and a
clear configuration error where plentymarkets' set-up makes that impossible.
"""

from __future__ import annotations

from decimal import Decimal

import attrs
import pytest

from allegro_plenty.importer import EntryKind
from allegro_plenty.ledger import BindingOrigin

from .importer_support import MODES, SETTINGS, World, plenty_writes


@pytest.fixture
def world() -> World:
    return World()


@pytest.mark.parametrize("mode", MODES)
def test_a_sales_order_with_a_delivery_order_and_a_credit_note_is_adopted(
    world: World, mode: str
) -> None:
    form_id = world.add(seed=1)
    allegro = world.plenty.add_referrer("Allegro")
    sales = world.existing_order(form_id, allegro)
    world.plenty.create_delivery_order(sales)  # copies property 7
    world.existing_order(form_id, allegro, type_id=4)  # a credit note carrying it too
    with world.importer(mode) as importer:
        result = importer.run()
        again = importer.run()
    assert [(e.kind, e.plenty_order_id) for e in result.entries] == [(EntryKind.ADOPTED, sales)]
    assert again.entries == []
    binding = world.ledger.binding(world.seller, form_id)
    assert binding is not None
    assert (binding.plenty_order_id, binding.origin) == (sales, BindingOrigin.ADOPTED)
    assert world.orders(form_id) == [sales]  # no second sales order
    # adopted means taken over as it is: nothing written to it
    assert world.plenty.comments(sales) == []
    assert "POST /rest/orders" not in plenty_writes(world.plenty)
    assert "POST /rest/payments" not in plenty_writes(world.plenty)


@pytest.mark.parametrize("mode", MODES)
def test_an_earlier_integrations_order_in_a_legacy_format_is_adopted_never_duplicated(
    world: World, mode: str
) -> None:
    form_id = world.add(seed=2)
    legacy = world.plenty.add_referrer("OldConnector")
    earlier = world.existing_order(f"allegro-{form_id}", legacy)
    settings = attrs.evolve(
        SETTINGS, adopt_referrer_ids=[legacy], legacy_external_id_formats=["allegro-{form_id}"]
    )
    with world.importer(mode, settings=settings) as importer:
        first = importer.run()
        world.clock.advance(SETTINGS.sweep_interval)
        second = importer.run()
    assert [(e.kind, e.plenty_order_id) for e in first.entries] == [(EntryKind.ADOPTED, earlier)]
    assert second.entries == []
    assert world.orders(form_id) == []  # never created under the new format
    assert world.plenty.orders_with_external_id(f"allegro-{form_id}") == [earlier]


def test_without_the_legacy_format_the_same_order_would_be_duplicated(world: World) -> None:
    """Negative control: the adoption above rests on the legacy format being recognised."""
    form_id = world.add(seed=2)
    legacy = world.plenty.add_referrer("OldConnector")
    world.existing_order(f"allegro-{form_id}", legacy)
    settings = attrs.evolve(SETTINGS, adopt_referrer_ids=[legacy])
    with world.importer(settings=settings) as importer:
        importer.run()
    assert len(world.orders(form_id)) == 1  # a second order for the same purchase


@pytest.mark.parametrize("mode", MODES)
def test_duplicates_and_foreign_orders_are_quarantined_and_the_run_goes_on(
    world: World, mode: str
) -> None:
    doubled, foreign, fine = (world.add(seed=s) for s in (3, 4, 5))
    allegro = world.plenty.add_referrer("Allegro")
    first, second = (world.existing_order(doubled, allegro) for _ in range(2))
    shop = world.plenty.add_referrer("Webshop import")
    stranger = world.existing_order(foreign, shop)
    with world.importer(mode) as importer:
        result = importer.run()
        world.clock.advance(SETTINGS.sweep_interval)
        again = importer.run()
    kinds = {e.checkout_form_id: (e.kind, e.reason or "") for e in result.entries}
    assert kinds[fine][0] is EntryKind.CREATED
    assert kinds[doubled][0] is EntryKind.QUARANTINED
    assert f"orders {first}, {second}" in kinds[doubled][1]
    assert kinds[foreign][0] is EntryKind.QUARANTINED
    assert kinds[foreign][1].startswith("ForeignOrderExists")
    assert again.entries == []  # quarantined: left for a person
    assert world.orders(doubled) == [first, second]
    assert world.orders(foreign) == [stranger]
    quarantined = {f.form_id: f for f in world.ledger.failures(quarantined=True)}
    assert set(quarantined) == {doubled, foreign}
    assert "DuplicateOrdersFound" in (quarantined[doubled].quarantine_reason or "")


def test_an_order_created_but_never_bound_is_finished_not_created_again(world: World) -> None:
    """A crash between plentymarkets' create and the binding: the next run finds it."""
    form_id = world.add(seed=6)
    with world.importer() as importer:
        importer.run()
    (order_id,) = world.orders(form_id)
    # Forget the binding and the follow-ups: as if the worker died right after the create.
    world.ledger = type(world.ledger)(clock=world.clock.time)
    for payment in world.plenty.payments_with_transaction_id(
        world.allegro.checkout_form(form_id)["payment"]["id"]
    ):
        world.plenty.delete_payment(payment)
    with world.importer() as importer:
        result = importer.run()
    assert [(e.kind, e.plenty_order_id) for e in result.entries] == [(EntryKind.CREATED, order_id)]
    assert world.orders(form_id) == [order_id]
    binding = world.ledger.binding(world.seller, form_id)
    assert binding is not None
    assert binding.origin is BindingOrigin.CREATED
    assert len(world.plenty.comments(order_id)) == 1  # found, not written twice


# --- referrers --------------------------------------------------------------------------------


def test_the_allegro_referrer_and_a_sub_referrer_are_created_once(world: World) -> None:
    world.add(seed=7)
    with world.importer() as importer:
        importer.run()
    with world.importer() as importer:  # a new importer object reads them again
        world.add(seed=8)
        world.clock.advance(SETTINGS.sweep_interval)
        second = importer.run()
    assert second.counts["created"] == 1
    created = [c.route for c in world.plenty.calls("POST /rest/orders/referrers*")]
    assert created == [
        "POST /rest/orders/referrers",
        "POST /rest/orders/referrers/{parentReferrerId}",
    ]
    referrers = world.referrers()
    assert [name for name in referrers if name.startswith("Allegro")] == [
        "Allegro",
        f"Allegro {world.seller}",
    ]


def test_several_allegro_referrers_are_a_configuration_error_naming_them(world: World) -> None:
    form_id = world.add(seed=9)
    first = world.plenty.add_referrer("Allegro")
    second = world.plenty.add_referrer("Allegro")
    with world.importer() as importer:
        result = importer.run()
    (stop,) = result.stops
    assert stop.account == world.seller
    assert stop.error == "ConfigurationError"
    assert str(first) in stop.message
    assert str(second) in stop.message
    assert result.exit_code == 3
    assert world.orders(form_id) == []


def test_an_account_stop_never_counts_against_the_form(world: World) -> None:
    """A set-up problem is not the form's fault: however many runs stop on it, the form
    is never failed nor quarantined, and is imported once the set-up is fixed."""
    form_id = world.add(seed=9)
    first = world.plenty.add_referrer("Allegro")
    world.plenty.add_referrer("Allegro")
    settings = attrs.evolve(SETTINGS, max_attempts=2)
    with world.importer(settings=settings) as importer:
        for _ in range(3):
            assert [s.error for s in importer.run().stops] == ["ConfigurationError"]
            world.clock.advance(3600)
    assert world.ledger.failure(world.seller, form_id) is None
    with world.importer(settings=attrs.evolve(settings, referrer_id=first)) as importer:
        fixed = importer.run()
    assert [e.kind for e in fixed.entries] == [EntryKind.CREATED]


def test_a_parent_refusing_sub_referrers_is_a_configuration_error(world: World) -> None:
    world.add(seed=10)
    built_in = world.plenty.add_referrer("Allegro", origin="plenty")  # plenty's own: no subs
    with world.importer() as importer:
        result = importer.run()
    (stop,) = result.stops
    assert stop.error == "ConfigurationError"
    assert f"referrer {built_in}" in stop.message
    assert world.plenty.order_ids() == []


def test_a_configured_referrer_wins(world: World) -> None:
    form_id = world.add(seed=11)
    mine = world.plenty.add_referrer("My Allegro channel")
    settings = attrs.evolve(SETTINGS, referrer_id=mine)
    with world.importer(settings=settings) as importer:
        importer.run()
    (order_id,) = world.orders(form_id)
    assert Decimal(str(world.plenty.order(order_id)["referrerId"])) == mine
    assert "Allegro" not in world.referrers()
    assert world.plenty.call_count("POST /rest/orders/referrers*") == 0
