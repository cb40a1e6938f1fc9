"""Seeding helpers: realistic checkout forms and a plenty catalogue that matches them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allegro_plenty._convert import make_converter
from allegro_plenty.allegro.models import CheckoutForm, FulfillmentStatus
from allegro_plenty.mapping import (
    MappingContext,
    OneFulfillmentPolicy,
    OrderDraft,
    OrderMapper,
    SkippedOrder,
    WarningCode,
)
from allegro_plenty.testing import (
    COUNTRIES,
    FakeClock,
    FakePlenty,
    checkout_form,
    ean13,
    seed_catalogue,
)

from .fakes_support import Checked, plenty_client
from .mapping_support import CONFIG, COUNTRY_IDS, RATES, REFERRER, VAT


def _total(form: dict[str, Any]) -> Decimal:
    # Surcharges are not added on top: they pay for what the form already holds.
    total = Decimal(form["delivery"]["cost"]["amount"])
    for item in form["lineItems"]:
        total += Decimal(item["price"]["amount"]) * item["quantity"]
        if "deposit" in item:
            total += Decimal(item["deposit"]["price"]["amount"]) * item["quantity"]
        for service in item.get("selectedAdditionalServices", []):
            total += Decimal(service["price"]["amount"]) * service["quantity"]
    return total


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


# --- every form the factory builds maps --------------------------------------------------------

ONE_FULFILLMENT_IMPORTED = attrs.evolve(
    CONFIG,
    one_fulfillment=OneFulfillmentPolicy.IMPORT,
    one_fulfillment_status_id=Decimal("5.9"),
    one_fulfillment_warehouse_id=7,
)
PAYMENT_TYPES = ["ONLINE", "CASH_ON_DELIVERY", "WIRE_TRANSFER", "SPLIT_PAYMENT", "EXTENDED_TERM"]


@settings(max_examples=80, deadline=None, derandomize=True)
@given(
    country=st.sampled_from(sorted(COUNTRIES)),
    status=st.sampled_from(["BOUGHT", "FILLED_IN", "READY_FOR_PROCESSING", "CANCELLED"]),
    fulfillment_status=st.sampled_from([s.value for s in FulfillmentStatus]),
    items=st.integers(1, 10),
    delivery=st.sampled_from(["courier", "parcel_locker", "pickup"]),
    company=st.booleans(),
    deposit=st.booleans(),
    additional_service=st.booleans(),
    surcharges=st.lists(st.decimals(Decimal("0.01"), Decimal(5000), places=2), max_size=3),
    payment_type=st.sampled_from(PAYMENT_TYPES),
    provider=st.sampled_from(["SELLER", "ALLEGRO"]),
    message_to_seller=st.none() | st.text(max_size=300),
    seed=st.integers(0, 10**6),
)
def test_every_form_the_factory_builds_maps(
    country: str,
    status: str,
    fulfillment_status: str,
    items: int,
    delivery: str,
    company: bool,
    deposit: bool,
    additional_service: bool,
    surcharges: list[Decimal],
    payment_type: str,
    provider: str,
    message_to_seller: str | None,
    seed: int,
) -> None:
    raw = checkout_form(
        country=country,
        status=status,
        fulfillment_status=fulfillment_status,
        items=items,
        delivery=delivery,
        company=company,
        deposit=deposit,
        additional_service=additional_service,
        surcharges=surcharges,
        payment_type=payment_type,
        provider=provider,
        message_to_seller=message_to_seller,
        seed=seed,
    )
    form = make_converter(strict=True).structure(raw, CheckoutForm)
    context = MappingContext(
        referrer_id=REFERRER,
        country_ids=COUNTRY_IDS,
        vat_configurations=VAT,
        variation_ids={line.id: 1000 + n for n, line in enumerate(form.line_items)},
        exchange_rates=RATES,
    )
    result = OrderMapper(ONE_FULFILLMENT_IMPORTED).map(form, context)

    eligible = status == "READY_FOR_PROCESSING" and fulfillment_status in ("NEW", "PROCESSING")
    if not eligible:
        assert isinstance(result, SkippedOrder)
        return
    assert isinstance(result, OrderDraft), result
    total = Decimal(raw["summary"]["totalToPay"]["amount"])
    assert result.total == total
    paid = sum((p.amount for p in result.payments), Decimal(0))
    surcharged = sum(surcharges, Decimal(0))
    # Every part is paid: the payment and each surcharge, which pay for the form as it is.
    assert paid == (surcharged if payment_type == "CASH_ON_DELIVERY" else total)
    assert WarningCode.PAYMENT_MISMATCH not in [w.code for w in result.warnings]


def _mapped(raw: dict[str, Any]) -> OrderDraft:
    form = make_converter(strict=True).structure(raw, CheckoutForm)
    context = MappingContext(
        referrer_id=REFERRER,
        country_ids=COUNTRY_IDS,
        vat_configurations=VAT,
        variation_ids={line.id: 1000 for line in form.line_items},
        exchange_rates=RATES,
    )
    result = OrderMapper(CONFIG).map(form, context)
    assert isinstance(result, OrderDraft), result
    return result


def test_a_surcharge_pays_for_a_change_already_in_the_form() -> None:
    plain = checkout_form(seed=3)
    surcharged = checkout_form(seed=3, surcharges=["25.00", "4.99"])

    def amount(form: dict[str, Any], *keys: str) -> Decimal:
        node: Any = form
        for key in keys:
            node = node[key]
        return Decimal(node["amount"])

    # The same order whose delivery got dearer by what the surcharges paid.
    assert amount(surcharged, "delivery", "cost") == amount(plain, "delivery", "cost") + Decimal(
        "29.99"
    )
    assert amount(surcharged, "summary", "totalToPay") == _total(surcharged)
    assert amount(surcharged, "payment", "paidAmount") == amount(plain, "payment", "paidAmount")
    draft = _mapped(surcharged)
    assert [p.amount for p in draft.payments] == [
        amount(plain, "payment", "paidAmount"),
        Decimal("25.00"),
        Decimal("4.99"),
    ]
    assert draft.warnings == ()


@pytest.mark.parametrize("bad", ["0", "-1.00", "1.234", "NaN"])
def test_a_surcharge_must_be_a_positive_amount_in_cents(bad: str) -> None:
    with pytest.raises(ValueError, match="surcharges"):
        checkout_form(surcharges=[bad])
