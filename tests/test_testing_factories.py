"""Seeding helpers: realistic checkout forms and a plenty catalogue that matches them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from allegro_plenty._convert import make_converter
from allegro_plenty.allegro.models import CheckoutForm
from allegro_plenty.testing import (
    COUNTRIES,
    FakeClock,
    FakePlenty,
    checkout_form,
    ean13,
    seed_catalogue,
)

from .fakes_support import Checked, plenty_client


def _total(form: dict[str, Any]) -> Decimal:
    total = Decimal(form["delivery"]["cost"]["amount"])
    for item in form["lineItems"]:
        total += Decimal(item["price"]["amount"]) * item["quantity"]
        if "deposit" in item:
            total += Decimal(item["deposit"]["price"]["amount"]) * item["quantity"]
        for service in item.get("selectedAdditionalServices", []):
            total += Decimal(service["price"]["amount"]) * service["quantity"]
    return total + sum((Decimal(s["paidAmount"]["amount"]) for s in form["surcharges"]), Decimal(0))


@pytest.mark.parametrize("country", sorted(COUNTRIES))
@pytest.mark.parametrize("seed", range(6))
def test_forms_are_consistent_and_parse_strictly(country: str, seed: int) -> None:
    form = checkout_form(
        country=country,
        seed=seed,
        items=1 + seed % 4,
        delivery=("courier", "parcel_locker", "pickup")[seed % 3],
        company=seed % 2 == 0,
        deposit=seed % 3 == 1,
        additional_service=seed % 4 == 2,
        surcharges=["3.50"] if seed == 5 else (),
    )
    parsed = make_converter(strict=True).structure(form, CheckoutForm)
    land = COUNTRIES[country]
    assert parsed.marketplace is not None
    assert parsed.marketplace.id == land.marketplace
    assert {li.price.currency for li in parsed.line_items} == {land.currency}
    assert parsed.buyer.email.endswith("@allegromail.pl")
    assert len(parsed.line_items) == 1 + seed % 4
    total = Decimal(form["summary"]["totalToPay"]["amount"])
    assert total == _total(form)
    paid = Decimal(form["payment"]["paidAmount"]["amount"])
    surcharges = sum((Decimal(s["paidAmount"]["amount"]) for s in form["surcharges"]), Decimal(0))
    assert total == paid + surcharges  # allegro-api #1103
    if seed % 3 == 1:
        assert form["delivery"]["pickupPoint"]["id"] in {p for p, _ in land.lockers}
    if seed % 2 == 0:
        company = form["invoice"]["address"]["company"]
        assert [i["type"] for i in company["ids"]] == [t for t, _ in land.company_ids]
        assert form["invoice"]["required"] is True
    else:
        assert form["invoice"] == {"required": False}


def test_same_seed_same_form_and_options_change_what_they_say() -> None:
    assert checkout_form(seed=3) == checkout_form(seed=3)
    assert checkout_form(seed=3) != checkout_form(seed=4)
    cod = checkout_form(payment_type="CASH_ON_DELIVERY")
    assert cod["status"] == "READY_FOR_PROCESSING"
    assert "paidAmount" not in cod["payment"]  # COD reaches RFP unpaid
    unpaid = checkout_form(status="FILLED_IN")
    assert "finishedAt" not in unpaid["payment"]
    one = checkout_form(provider="ALLEGRO", form_id="0b7b4d1e-0000-4000-8000-000000000001")
    assert one["fulfillment"]["provider"] == {"id": "ALLEGRO"}
    assert one["id"] == "0b7b4d1e-0000-4000-8000-000000000001"
    assert checkout_form(external_ids=["EAN-1"])["lineItems"][0]["offer"]["external"] == {
        "id": "EAN-1"
    }
    with pytest.raises(ValueError, match="country"):
        checkout_form(country="DE")
    with pytest.raises(ValueError, match="at least one"):
        checkout_form(items=0)


def test_ean13_has_a_valid_check_digit() -> None:
    code = ean13("SKU-1")
    digits = [int(d) for d in code]
    assert len(code) == 13
    assert sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10 == 0
    assert ean13("SKU-1") == code != ean13("SKU-2")


@pytest.mark.parametrize("by", ["number", "barcode", "sku"])
def test_catalogue_matches_the_forms_offers(
    checked: Checked, fake_clock: FakeClock, by: str
) -> None:
    plenty: FakePlenty = checked(FakePlenty(clock=fake_clock))
    forms = [checkout_form(seed=s, items=3) for s in range(3)]
    skipped = forms[0]["lineItems"][0]["offer"]["external"]["id"]
    made = seed_catalogue(plenty, forms, by=by, skip=[skipped])
    assert len(made) == 8
    assert skipped not in made
    with plenty_client(plenty, fake_clock, {"transport": plenty.transport()}) as client:
        for external, variation_id in made.items():
            if by == "number":
                found = client.find_variations_by_number(external)
            elif by == "barcode":
                found = client.find_variations_by_barcode(ean13(external))
            else:
                found = client.find_variations_by_sku(external)
            assert [v.id for v in found] == [variation_id]
        assert client.find_variations_by_number(skipped) == []
