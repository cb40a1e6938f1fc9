"""Properties of ``OrderMapper.map`` over checkout forms generated from the spec.

The strategies walk the official ``CheckoutForm`` schema (``$ref`` and
``allOf`` resolved): every object, required and optional property, enum and
format comes from the spec. Two flavours:

* **wild**: optional properties missing or ``null``, enums with values Allegro
  may add later, amounts that are negative, malformed or in mixed currencies,
  quantities below 1. ``map`` may refuse these, but only with ``MappingError``.
* **valid**: what a correct ``READY_FOR_PROCESSING`` form looks like (one
  currency, totals that add up, addresses present, mostly a fulfillment status
  that is imported); each generated form is checked against the schema before
  use. ``map`` must not refuse these (it skips exactly those that
  :func:`skip_expected` names), must be deterministic, and must refuse them
  once ``totalToPay`` is off by a cent.
"""

from __future__ import annotations

import copy
import string
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from functools import cache
from typing import Any

import attrs
import cattrs
import pytest
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

from allegro_plenty.allegro.models import CheckoutForm, LineItem
from allegro_plenty.errors import MappingError
from allegro_plenty.mapping import (
    MappingContext,
    MappingRun,
    OrderDraft,
    OrderMapper,
    SkippedOrder,
    VatChoice,
    WarningCode,
)
from allegro_plenty.plenty.models import NewOrderItem

from .mapping_support import CONFIG, COUNTRY_IDS, LENIENT, RATES, REFERRER, VAT, schema_errors
from .specs import allegro_spec_dict

pytestmark = pytest.mark.spec

settings.register_profile(
    "mapping",
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
MAPPING = settings.get_profile("mapping")
"""Modest example counts keep the suite fast; raise them locally with
``@settings(max_examples=...)`` or a profile of your own when hunting bugs."""

Json = Any
Strategy = st.SearchStrategy[Json]

UNKNOWN_ENUM_VALUES = ("SOMETHING_ALLEGRO_ADDS_IN_2031", "")


def _mostly(usual: Strategy, *unusual: Strategy) -> Strategy:
    """``usual`` four times in five, else one of ``unusual``: junk everywhere would
    stop every form at its first field and test nothing deeper."""
    # Hypothesis favours small integers, so the usual branch sits at the low end.
    return st.integers(0, 4).flatmap(lambda r: st.one_of(*unusual) if r == 4 else usual)


WILD_AMOUNTS = _mostly(
    st.decimals(0, 10_000, places=2).map(str),
    st.decimals(-10_000, Decimal("-0.01"), places=2).map(str),
    st.sampled_from(
        ["abc", "", "1,50", "NaN", "-Infinity", "1e400", "0.001", "99999999999999999", " 5.00"]
    ),
)
VALID_AMOUNTS = st.decimals(0, 500, places=2).map(lambda d: f"{d:.2f}")
TEXT = st.text(string.ascii_letters + string.digits + " .-/ąęółńżźćś", max_size=16)
SOLID_TEXT = st.text(string.ascii_letters + string.digits + "./-ąęółż", min_size=1, max_size=12)


def _timestamps() -> st.SearchStrategy[str]:
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    return st.integers(0, 400 * 86_400_000).map(
        lambda ms: (
            (start + timedelta(milliseconds=ms)).isoformat(timespec="milliseconds")[:-6] + "Z"
        )
    )


TIMESTAMPS = _timestamps()

# What a leaf means depends on its property name; the schema says "string" for all of them.
WILD_BY_KEY: dict[str, Strategy] = {
    "amount": WILD_AMOUNTS,
    "currency": _mostly(
        st.sampled_from(["PLN", "EUR", "CZK", "HUF"]), st.sampled_from(["XXX", "pln", ""])
    ),
    "countryCode": _mostly(
        st.sampled_from(["PL", "CZ", "SK", "HU"]), st.sampled_from(["DE", "UA", "", "pl"])
    ),
    "quantity": st.integers(-1, 30),
    "rate": st.sampled_from(["23.00", "8.00", "5", "0.00", "21.00", "27.00", "zw", "", "NaN"]),
    "updatedAt": TIMESTAMPS,
    "modifiedAt": TIMESTAMPS,
    "features": st.lists(st.sampled_from(["VAT_EU_VERIFIED", "VAT_EU_UNVERIFIED", "ALLEGRO_PAY"])),
}
VALID_BY_KEY: dict[str, Strategy] = {
    **WILD_BY_KEY,
    "amount": VALID_AMOUNTS,
    "currency": st.just("PLN"),  # replaced by the form's one currency afterwards
    "countryCode": st.sampled_from(sorted(VAT)),
    "quantity": st.integers(1, 5),
    "rate": st.none(),  # tax fields are the spec's only nullable ones
    "street": SOLID_TEXT,
    "city": SOLID_TEXT,
    "zipCode": SOLID_TEXT,
    "postCode": SOLID_TEXT,
    "value": SOLID_TEXT,
}
VALID_REQUIRED = {
    # A correct order is paid somehow and ships somewhere or has an address to bill.
    # Its fulfillment status is there: without one the form is skipped before mapping.
    "CheckoutForm": {"payment", "fulfillment"},
    "CheckoutFormFulfillment": {"status"},
    "CheckoutFormDeliveryReference": {"address"},
    "CheckoutFormBuyerReference": {"address"},
    "CheckoutFormBuyerAddressReference": {"street", "city", "postCode", "countryCode"},
    "CheckoutFormDeliveryPickupPointAddress": {"street", "city", "zipCode"},
}
READY = "READY_FOR_PROCESSING"
IMPORTED_STATUSES = ("NEW", "PROCESSING")
OTHER_STATUSES = ("READY_FOR_SHIPMENT", "READY_FOR_PICKUP", "SENT", "PICKED_UP", "CANCELLED")
VALID_ONLY = {
    "CheckoutFormStatus": st.just(READY),
    # Mostly imported, so most forms get past eligibility into the rest of the mapper.
    "CheckoutFormFulfillmentStatus": _mostly(
        st.sampled_from(IMPORTED_STATUSES), st.sampled_from(OTHER_STATUSES)
    ),
}
WILD_ONLY = {
    # Mostly ready, so most wild forms get past the status check into the rest of the mapper.
    "CheckoutFormStatus": _mostly(
        st.just(READY),
        st.sampled_from(["BOUGHT", "FILLED_IN", "CANCELLED", *UNKNOWN_ENUM_VALUES]),
    ),
    "CheckoutFormFulfillmentStatus": _mostly(
        st.sampled_from(IMPORTED_STATUSES),
        st.sampled_from([*OTHER_STATUSES, "SUSPENDED", "RETURNED", *UNKNOWN_ENUM_VALUES]),
    ),
}


@cache
def _schemas() -> dict[str, Json]:
    schemas: dict[str, Json] = allegro_spec_dict()["components"]["schemas"]
    return schemas


def _resolve(schema: Json) -> tuple[str | None, Json]:
    name = None
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = _schemas()[name]
    if "allOf" in schema:
        merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
        for part in schema["allOf"]:
            part_name, part = _resolve(part)
            name = name or part_name
            merged["properties"].update(part.get("properties", {}))
            merged["required"] += part.get("required", [])
        schema = merged
    return name, schema


def from_schema(schema: Json, *, valid: bool, key: str | None = None) -> Strategy:
    """A strategy for JSON matching ``schema`` (wild or valid, see the module docstring)."""
    name, schema = _resolve(schema)
    special = VALID_ONLY if valid else WILD_ONLY
    if name in special:
        return special[name]
    by_key = VALID_BY_KEY if valid else WILD_BY_KEY
    if key in by_key and schema.get("type") != "object":
        return by_key[key]
    if "enum" in schema:
        known = st.sampled_from(schema["enum"])
        return known | st.sampled_from(UNKNOWN_ENUM_VALUES) if not valid else known
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if kind == "object":
        # Both flavours get the presence a deep walk needs; wild ones may still be null.
        required = set(schema.get("required", ())) | VALID_REQUIRED.get(name or "", set())
        props = schema.get("properties", {})
        strategies = {k: from_schema(v, valid=valid, key=k) for k, v in props.items()}
        if not valid:
            spec_required = set(schema.get("required", ()))
            strategies = {
                k: s if k in spec_required else _mostly(s, st.none()) for k, s in strategies.items()
            }
        return st.fixed_dictionaries(
            {k: s for k, s in strategies.items() if k in required},
            optional={k: s for k, s in strategies.items() if k not in required},
        )
    if kind == "array":
        items = from_schema(schema["items"], valid=valid, key=key)
        return st.lists(items, min_size=1 if key == "lineItems" else 0, max_size=3)
    if kind in ("number", "integer"):
        return st.integers(schema.get("minimum", 0), 20)
    if kind == "boolean":
        return st.booleans()
    if schema.get("format") == "uuid":
        return st.uuids().map(str)
    if schema.get("format") == "date-time":
        return TIMESTAMPS
    return SOLID_TEXT if valid else _mostly(SOLID_TEXT, TEXT)


def checkout_form(*, valid: bool) -> Strategy:
    return from_schema({"$ref": "#/components/schemas/CheckoutForm"}, valid=valid)


def _prices(node: Json) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if set(node) == {"amount", "currency"}:
            yield node
        for value in node.values():
            yield from _prices(value)
    elif isinstance(node, list):
        for value in node:
            yield from _prices(value)


def _total(form: Json) -> Decimal:
    """What the form's totalToPay must be: lines, services, deposits and delivery."""
    total = Decimal(0)
    for line in form["lineItems"]:
        quantity = line["quantity"]
        total += quantity * Decimal(line["price"]["amount"])
        if "deposit" in line:
            total += quantity * Decimal(line["deposit"]["price"]["amount"])
        for service in line.get("selectedAdditionalServices", ()):
            if "price" in service:
                total += service.get("quantity", 1) * Decimal(service["price"]["amount"])
    cost = form.get("delivery", {}).get("cost")
    return total + (Decimal(cost["amount"]) if cost else Decimal(0))


@st.composite
def valid_forms(draw: st.DrawFn) -> Json:
    form = copy.deepcopy(draw(checkout_form(valid=True)))
    currency = draw(st.sampled_from(["PLN", "EUR", "CZK", "HUF"]))
    for price in _prices(form):
        price["currency"] = currency
    form["summary"]["totalToPay"]["amount"] = f"{_total(form):.2f}"
    ids = [p["id"] for p in (form.get("payment"), *form["surcharges"]) if p]
    if len(set(ids)) < len(ids):
        form["surcharges"] = []
    return form


def skip_expected(data: Json) -> bool:
    """Whether CONFIG makes ``map`` skip this form: the eligibility rules, restated."""
    fulfillment = data.get("fulfillment") or {}
    provider = (fulfillment.get("provider") or {}).get("id")
    return (
        data["status"] != READY
        or provider == "ALLEGRO"  # CONFIG skips One Fulfillment
        or fulfillment.get("status") not in IMPORTED_STATUSES
    )


def context_for(form: CheckoutForm, known: bool) -> MappingContext:
    return MappingContext(
        referrer_id=REFERRER,
        country_ids=COUNTRY_IDS,
        vat_configurations=VAT,
        exchange_rates=RATES,
        variation_ids={line.id: 4242 for line in form.line_items} if known else {},
    )


def _map(
    data: Json, known: bool, mapper: type[OrderMapper] = OrderMapper
) -> Callable[[], OrderDraft | SkippedOrder]:
    form = LENIENT.structure(data, CheckoutForm)
    return lambda: mapper(CONFIG).map(form, context_for(form, known))


# --- the properties, each runnable against a mapper class ----------------------------------------


def only_mapping_errors(mapper: type[OrderMapper], quiet: bool = False) -> Callable[[], None]:
    """``map`` raises nothing but a real ``MappingError`` on wild forms."""

    @settings(MAPPING, database=None, phases=[Phase.generate]) if quiet else MAPPING
    @given(data=checkout_form(valid=False), known=st.booleans())
    def check(data: Json, known: bool) -> None:
        try:
            mapping = _map(data, known, mapper)
        except cattrs.BaseValidationError:
            # The Allegro client rejects this body before any mapper sees it.
            event("rejected by the converter")
            return
        try:
            mapping()
        except MappingError as error:
            event(f"refused at {str(error.field_path).split('[')[0]}")
            if error.__cause__ is not None:
                # The safety net caught a bug: a real refusal has no cause.
                pytest.fail(f"unexpected {error.__cause__!r} behind {error}")
        else:
            event("mapped")

    return check


def deterministic_and_adding_up(
    mapper: type[OrderMapper], quiet: bool = False
) -> Callable[[], None]:
    """Valid forms are never refused, map the same twice and add up to ``totalToPay``."""

    @settings(MAPPING, database=None, phases=[Phase.generate]) if quiet else MAPPING
    @given(data=valid_forms(), known=st.booleans())
    def check(data: Json, known: bool) -> None:
        assert schema_errors(data) == []
        mapping = _map(data, known, mapper)
        first, second = mapping(), mapping()
        assert first == second
        assert isinstance(first, SkippedOrder) == skip_expected(data)
        if isinstance(first, OrderDraft):
            assert first.total == Decimal(data["summary"]["totalToPay"]["amount"])
            assert first.checkout_form_id == data["id"]

    return check


def refusing_a_cent_off(mapper: type[OrderMapper], quiet: bool = False) -> Callable[[], None]:
    """A valid form with ``totalToPay`` moved by ±0.01 is refused."""

    @settings(MAPPING, database=None, phases=[Phase.generate]) if quiet else MAPPING
    @given(data=valid_forms(), delta=st.sampled_from(["0.01", "-0.01"]))
    def check(data: Json, delta: str) -> None:
        total = data["summary"]["totalToPay"]
        total["amount"] = f"{Decimal(total['amount']) + Decimal(delta):.2f}"
        mapping = _map(data, True, mapper)
        if skip_expected(data):
            assert isinstance(mapping(), SkippedOrder)  # skipped before money is looked at
            return
        with pytest.raises(MappingError) as caught:
            mapping()
        assert caught.value.reason.startswith(("totals mismatch", "negative amount"))

    return check


def test_map_raises_nothing_but_mapping_error() -> None:
    only_mapping_errors(OrderMapper)()


def test_valid_forms_map_deterministically_and_add_up() -> None:
    deterministic_and_adding_up(OrderMapper)()


def test_a_total_off_by_a_cent_is_refused() -> None:
    refusing_a_cent_off(OrderMapper)()


# --- negative controls: the same harnesses catch deliberately broken mappers -------------------


class CarelessVat(OrderMapper):
    """Reads ``tax.rate`` without checking that ``tax`` is there."""

    def line_vat(self, run: MappingRun, index: int, line: LineItem) -> VatChoice:
        if line.tax.rate == "0.00":  # type: ignore[union-attr]
            run.warn(WarningCode.TAX_RATE_NOT_CONFIGURED, "zero rate")
        return super().line_vat(run, index, line)


class Forgetful(OrderMapper):
    """Carries state from one call to the next."""

    calls = 0

    def comment_lines(self, run: MappingRun) -> list[str]:
        Forgetful.calls += 1
        return [*super().comment_lines(run), f"mapped {Forgetful.calls} times"]


class Balancing(OrderMapper):
    """Makes the totals match by adding the difference as an item."""

    def order_items(self, run: MappingRun) -> tuple[NewOrderItem, ...]:
        items = super().order_items(run)
        owed = run.form.summary.total_to_pay.amount
        counted = sum((i.quantity * i.amounts[0].price_original_gross for i in items), Decimal(0))
        if owed == counted:
            return items
        fix = attrs.evolve(
            items[-1],
            quantity=Decimal(1),
            amounts=(attrs.evolve(items[-1].amounts[0], price_original_gross=owed - counted),),
        )
        return (*items, fix)


@pytest.mark.parametrize(
    ("harness", "broken"),
    [
        (only_mapping_errors, CarelessVat),
        (deterministic_and_adding_up, Forgetful),
        (refusing_a_cent_off, Balancing),
    ],
)
def test_each_harness_catches_a_broken_mapper(
    harness: Callable[..., Callable[[], None]], broken: type[OrderMapper]
) -> None:
    with pytest.raises((AssertionError, pytest.fail.Exception)):  # type: ignore[arg-type]
        harness(broken, quiet=True)()


def test_the_wild_strategy_reaches_deep_into_the_mapper() -> None:
    # Guard against a strategy whose junk stops every form at its first field.
    outcomes: Counter[str] = Counter()

    @settings(MAPPING, max_examples=100, database=None, derandomize=True)
    @given(data=checkout_form(valid=False))
    def probe(data: Json) -> None:
        try:
            mapping = _map(data, True)
        except cattrs.BaseValidationError:
            outcomes["rejected"] += 1
            return
        try:
            mapping()
            outcomes["mapped"] += 1
        except MappingError as error:
            deep = str(error.field_path).startswith(("lineItems", "summary.totalToPay.amount"))
            outcomes["refused deep" if deep else "refused early"] += 1

    probe()
    assert outcomes["refused deep"] >= 10, outcomes
    assert outcomes["rejected"] < 50, outcomes
