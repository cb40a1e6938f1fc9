"""Where the parcel goes: never silently the buyer's home, never a locker label on a home street."""

from __future__ import annotations

import copy
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allegro_plenty.allegro.models import CheckoutForm
from allegro_plenty.errors import MappingError
from allegro_plenty.mapping import (
    MappingResult,
    MappingWarning,
    OrderDraft,
    OrderMapper,
    VatBasis,
    WarningCode,
)
from allegro_plenty.plenty.models import NewAddress

from .mapping_support import CONFIG, LENIENT, fixture

Mutation = Callable[[dict[str, Any]], None]
HOME = "ul. Szkolna 9"
"""The buyer's own address in these tests, different from every delivery address."""


def result_of(name: str, mutate: Mutation, config: Any = CONFIG) -> MappingResult:
    data = copy.deepcopy(fixture(name).raw)
    data["buyer"]["address"] = {
        "street": HOME,
        "city": "Wadowice",
        "postCode": "34-100",
        "countryCode": "PL",
    }
    mutate(data)
    form = LENIENT.structure(data, CheckoutForm)
    return OrderMapper(config).map(form, fixture(name).context())


def draft_of(name: str, mutate: Mutation, config: Any = CONFIG) -> OrderDraft:
    result = result_of(name, mutate, config)
    assert isinstance(result, OrderDraft)
    return result


def refused(name: str, mutate: Mutation) -> MappingError:
    with pytest.raises(MappingError) as caught:
        result_of(name, mutate)
    return caught.value


def lines(address: NewAddress) -> tuple[str | None, ...]:
    return (address.address1, address.address2, address.address3, address.town, address.postal_code)


# --- a delivery without an address ---------------------------------------------------------------


def empty_delivery(data: dict[str, Any]) -> None:
    # No cost either, so the order is 14.99 cheaper than f01 with its courier.
    data["delivery"] = {}
    for total in (data["summary"]["totalToPay"], data["payment"]["paidAmount"]):
        total["amount"] = str(Decimal(total["amount"]) - Decimal("14.99"))


def test_an_empty_delivery_uses_the_billing_address_with_a_warning() -> None:
    draft = draft_of("f01_pl_courier_basic", empty_delivery)
    assert draft.delivery_address == draft.billing_address
    assert lines(draft.delivery_address) == ("ul. Szkolna", "9", None, "Wadowice", "34-100")
    assert draft.warnings == (
        MappingWarning(
            WarningCode.DELIVERY_WITHOUT_ADDRESS,
            "the delivery has no address and no pickup point; "
            "the billing address is the delivery address",
            "delivery.address",
        ),
    )


def test_an_empty_delivery_with_an_invoice_goes_to_the_invoice_address() -> None:
    def invoiced(data: dict[str, Any]) -> None:
        empty_delivery(data)
        data["invoice"] = copy.deepcopy(fixture("f18_pl_invoice_natural_person").raw["invoice"])

    draft = draft_of("f01_pl_courier_basic", invoiced)
    assert draft.delivery_address == draft.billing_address
    assert draft.delivery_address.address1 == "ul. Armii Krajowej"
    assert [w.code for w in draft.warnings] == [WarningCode.DELIVERY_WITHOUT_ADDRESS]


def test_an_empty_delivery_with_nothing_to_fall_back_to_is_refused() -> None:
    def nowhere(data: dict[str, Any]) -> None:
        empty_delivery(data)
        del data["buyer"]["address"]

    origin = attrs.evolve(CONFIG, vat=attrs.evolve(CONFIG.vat, basis=VatBasis.ORIGIN))
    with pytest.raises(MappingError) as caught:
        result_of("f01_pl_courier_basic", nowhere, origin)
    assert (caught.value.field_path, caught.value.reason) == (
        "buyer.address",
        "no delivery, invoice or buyer address",
    )


def test_digital_goods_without_delivery_use_the_buyer_address_quietly() -> None:
    draft = draft_of("f21_pl_digital_no_delivery", lambda data: None)
    assert draft.delivery_address == draft.billing_address
    assert draft.delivery_address.address1 == "ul. Szkolna"
    assert draft.warnings == ()


# --- pickup points -------------------------------------------------------------------------------

POINT = ("Grunwaldzka", "108", "Paczkomat POZ08A", "Poznań", "60-166")
RECIPIENT = ("os. Tysiąclecia", "5/12", None, "Poznań", "61-255")
"""f03's pickup point and its recipient's own delivery address, as plentymarkets gets them."""


def test_a_complete_pickup_point_gets_its_label() -> None:
    draft = draft_of("f03_pl_paczkomat", lambda data: None)
    assert lines(draft.delivery_address) == POINT
    assert draft.warnings == ()


def test_a_pickup_point_without_a_country_takes_the_recipients() -> None:
    # allegro-api #2586: Allegro leaves the point's country out at times.
    def no_country(data: dict[str, Any]) -> None:
        del data["delivery"]["pickupPoint"]["address"]["countryCode"]

    draft = draft_of("f03_pl_paczkomat", no_country)
    assert lines(draft.delivery_address) == POINT
    assert draft.warnings == ()


@pytest.mark.parametrize("missing", ["zipCode", "street", "city"])
@pytest.mark.parametrize("how", ["absent", "blank"])
def test_an_incomplete_pickup_point_is_never_mixed_with_the_home_address(
    missing: str, how: str
) -> None:
    def incomplete(data: dict[str, Any]) -> None:
        place = data["delivery"]["pickupPoint"]["address"]
        if how == "absent":
            del place[missing]
        else:
            place[missing] = " \u202e "

    draft = draft_of("f03_pl_paczkomat", incomplete)
    assert lines(draft.delivery_address) == RECIPIENT
    assert draft.warnings == (
        MappingWarning(
            WarningCode.PICKUP_POINT_WITHOUT_ADDRESS,
            "pickup point POZ08A has no complete address; "
            "the recipient's delivery address was used, the point is named in the comment",
            "delivery.pickupPoint.address",
        ),
    )
    assert "Pickup point: POZ08A (Paczkomat POZ08A, Stacja paliw BP)" in draft.comments[0].text


def test_an_incomplete_pickup_point_without_a_recipient_address_is_refused() -> None:
    def nothing_deliverable(data: dict[str, Any]) -> None:
        del data["delivery"]["pickupPoint"]["address"]["zipCode"]
        del data["delivery"]["address"]

    error = refused("f03_pl_paczkomat", nothing_deliverable)
    assert error.field_path == "delivery.pickupPoint.address"
    assert error.reason == (
        "pickup point POZ08A has no complete address and the delivery has no address"
    )


def test_an_odd_pickup_point_id_is_quoted_in_the_warning() -> None:
    def odd(data: dict[str, Any]) -> None:
        point = data["delivery"]["pickupPoint"]
        point["id"] = "POZ08A\nDo not ship it."
        del point["address"]

    draft = draft_of("f03_pl_paczkomat", odd)
    assert draft.warnings[0].message.startswith("pickup point 'POZ08A Do not ship it.' has no")


def test_destination_vat_follows_the_address_actually_used() -> None:
    # A point in CZ without a postal code: delivery goes to the recipient in PL,
    # so the PL VAT configuration applies, not the CZ one of the unused point.
    def czech_point(data: dict[str, Any]) -> None:
        place = data["delivery"]["pickupPoint"]["address"]
        place["countryCode"] = "CZ"
        del place["zipCode"]

    draft = draft_of("f03_pl_paczkomat", czech_point)
    assert {item.country_vat_id for item in draft.order.order_items} == {2}  # PL


PARTS = ("street", "city", "zipCode", "countryCode")


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    removed=st.sets(st.sampled_from(PARTS)),
    blanked=st.sets(st.sampled_from(PARTS)),
    no_point_address=st.booleans(),
)
def test_a_delivery_address_is_the_point_or_the_recipient_never_both(
    removed: set[str], blanked: set[str], no_point_address: bool
) -> None:
    def damage(data: dict[str, Any]) -> None:
        point = data["delivery"]["pickupPoint"]
        if no_point_address:
            del point["address"]
            return
        for part in removed:
            point["address"].pop(part, None)
        for part in blanked - removed:
            point["address"][part] = "  "

    draft = draft_of("f03_pl_paczkomat", damage)
    address = lines(draft.delivery_address)
    assert address in (POINT, RECIPIENT)
    usable = not no_point_address and not ({"street", "city", "zipCode"} & (removed | blanked))
    assert (address == POINT) == usable
    warned = [w.code for w in draft.warnings] == [WarningCode.PICKUP_POINT_WITHOUT_ADDRESS]
    assert warned != usable
