"""CheckoutForm round trips built from the official spec, and lenient vs strict parsing.

The example form is not written by hand: it is assembled by walking the spec's
``CheckoutForm`` schema and taking every field's ``example``. A field the
library forgot, misnamed or mistyped breaks the strict round trip.
"""

from __future__ import annotations

import copy
from datetime import datetime
from decimal import Decimal
from typing import Any

import cattrs
import pytest
from dateutil.parser import isoparse

from allegro_plenty._convert import make_converter
from allegro_plenty.allegro.models import (
    CheckoutForm,
    CheckoutFormStatus,
    Money,
    NewRefund,
    NewShipment,
    PaymentType,
    RefundLineItem,
    RefundReason,
    RefundReference,
)

from .specs import allegro_spec_dict

pytestmark = pytest.mark.spec

STRICT = make_converter(strict=True)
LENIENT = make_converter(strict=False)


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        target: Any = allegro_spec_dict()
        for part in schema["$ref"].lstrip("#/").split("/"):
            target = target[part]
        schema = target
    return schema


class SchemaWalker:
    """Builds a JSON instance of a spec schema from its field-level examples."""

    def __init__(self, *, optional: str) -> None:
        # optional: "all" (every field), "absent" (required only), "null" (optional = null)
        self.optional = optional
        self.without_example: list[str] = []

    def build(self, schema: dict[str, Any], where: str = "$") -> Any:
        schema = _resolve(schema)
        if "allOf" in schema:
            merged: dict[str, Any] = {}
            for part in schema["allOf"]:
                merged.update(self.build(part, where))
            return merged
        kind = schema.get("type")
        if kind == "object" or "properties" in schema:
            return self._object(schema, where)
        if kind == "array" or "items" in schema:
            if "example" in schema and self.optional == "all":
                return copy.deepcopy(schema["example"])
            return [self.build(schema["items"], f"{where}[0]")]
        if "example" in schema:
            return copy.deepcopy(schema["example"])
        self.without_example.append(where)
        if "enum" in schema:
            return schema["enum"][0]
        if where.endswith(".amount"):
            return "10.00"
        if where.endswith(".currency"):
            return "PLN"
        return {"boolean": True, "integer": 1, "number": 1}.get(kind or "", "x")

    def _object(self, schema: dict[str, Any], where: str) -> dict[str, Any]:
        required = set(schema.get("required", ()))
        out: dict[str, Any] = {}
        for name, sub in schema.get("properties", {}).items():
            if name in required or self.optional == "all":
                out[name] = self.build(sub, f"{where}.{name}")
            elif self.optional == "null":
                out[name] = None
        return out


def checkout_form_schema() -> dict[str, Any]:
    return {"$ref": "#/components/schemas/CheckoutForm"}


def spec_example_form() -> dict[str, Any]:
    """A CheckoutForm JSON with every field, each set to the spec's example."""
    return SchemaWalker(optional="all").build(checkout_form_schema())


def minimal_form(*, nulls: bool = False) -> dict[str, Any]:
    """A CheckoutForm JSON with only required fields (optional ones null if ``nulls``)."""
    return SchemaWalker(optional="null" if nulls else "absent").build(checkout_form_schema())


def example_response(path: str, method: str = "get", status: str = "200") -> Any:
    """A response body of an Allegro operation, built from the spec's examples."""
    operation = allegro_spec_dict()["paths"][path][method]
    media = next(iter(operation["responses"][status]["content"].values()))
    if "examples" in media:  # a whole-body example beats one assembled from fields
        return copy.deepcopy(next(iter(media["examples"].values()))["value"])
    return SchemaWalker(optional="all").build(media["schema"])


def assert_same_json(actual: Any, expected: Any, where: str = "$") -> None:
    """Equal JSON, where datetimes may differ in spelling but not in value."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), where
        assert set(actual) == set(expected), f"{where}: keys {set(actual) ^ set(expected)}"
        for key in expected:
            assert_same_json(actual[key], expected[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list), where
        assert len(actual) == len(expected), where
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            assert_same_json(a, e, f"{where}[{i}]")
    elif actual != expected:
        assert isinstance(actual, str), f"{where}: {actual!r}"
        assert isinstance(expected, str), f"{where}: {expected!r}"
        assert isoparse(actual) == isoparse(expected), f"{where}: {actual!r} != {expected!r}"


def test_the_example_form_covers_the_whole_schema_tree() -> None:
    walker = SchemaWalker(optional="all")
    data = walker.build(checkout_form_schema())
    # The walk reached the deep corners the issue lists.
    line = data["lineItems"][0]
    assert line["offer"]["external"]["id"] == "AH-129834"
    assert line["selectedAdditionalServices"][0]["quantity"] == 1
    assert line["vouchers"][0]["type"] == "NOTEBOOKS_FOR_TEACHERS"
    assert data["invoice"]["address"]["company"]["ids"][0]["type"] == "PL_NIP"
    assert data["delivery"]["time"]["dispatch"]["from"]
    assert data["surcharges"][0]["paidAmount"]["amount"] == "123.45"
    # Fields the spec gives no example for are few and known; none is silently lost.
    assert sorted(walker.without_example) == [
        "$.lineItems[0].serialNumbers.entries[0].returned",
        "$.lineItems[0].serialNumbers.entries[0].value",
    ]


def test_example_form_round_trips_strictly() -> None:
    data = spec_example_form()
    form = STRICT.structure(data, CheckoutForm)
    again = STRICT.structure(STRICT.unstructure(form), CheckoutForm)
    assert again == form
    assert_same_json(STRICT.unstructure(form), data)
    # Spot checks that values, not just shapes, survived.
    assert form.status is CheckoutFormStatus.READY_FOR_PROCESSING
    assert form.payment is not None
    assert form.payment.type is PaymentType.ONLINE
    assert form.summary.total_to_pay == Money(amount=Decimal("123.45"), currency="PLN")
    assert isinstance(form.updated_at, datetime)
    assert form.updated_at.utcoffset() is not None
    assert form.line_items[0].offer.hs_number == "09012100"


@pytest.mark.parametrize("nulls", [False, True], ids=["absent", "null"])
def test_form_without_optional_fields_round_trips(nulls: bool) -> None:
    data = minimal_form(nulls=nulls)
    form = STRICT.structure(data, CheckoutForm)
    assert form.payment is None
    assert form.delivery is None
    assert form.updated_at is None
    assert STRICT.structure(STRICT.unstructure(form), CheckoutForm) == form
    # Optional fields are omitted on the way out, so absent and null agree.
    assert_same_json(STRICT.unstructure(form), minimal_form(nulls=False))


def _with_novelties() -> dict[str, Any]:
    data = spec_example_form()
    data["status"] = "PARTIALLY_REFUNDED"
    data["buyer"]["loyaltyTier"] = {"level": 3}
    return data


def test_lenient_mode_keeps_unknown_enum_values_and_ignores_unknown_keys() -> None:
    form = LENIENT.structure(_with_novelties(), CheckoutForm)
    assert form.status == "PARTIALLY_REFUNDED"
    assert not form.status.is_known
    assert LENIENT.unstructure(form)["status"] == "PARTIALLY_REFUNDED"


def test_strict_mode_rejects_an_unknown_enum_value() -> None:
    data = spec_example_form()
    data["status"] = "PARTIALLY_REFUNDED"
    with pytest.raises(cattrs.ClassValidationError) as caught:
        STRICT.structure(data, CheckoutForm)
    assert cattrs.transform_error(caught.value) == [
        "invalid value for type, expected CheckoutFormStatus @ $.status"
    ]


def test_strict_mode_rejects_an_unknown_key() -> None:
    data = spec_example_form()
    data["buyer"]["loyaltyTier"] = {"level": 3}
    with pytest.raises(cattrs.ClassValidationError) as caught:
        STRICT.structure(data, CheckoutForm)
    assert "loyaltyTier" in "".join(cattrs.transform_error(caught.value))


def test_request_models_validate_their_input() -> None:
    with pytest.raises(ValueError, match="commandId: must be a UUID"):
        NewRefund(
            payment=RefundReference("p"),
            order=RefundReference("o"),
            reason=RefundReason.REFUND,
            command_id="refund-1",
        )
    with pytest.raises(ValueError, match="waybill: may have at most 64"):
        NewShipment(carrier_id="DPD", waybill="1" * 65)
    with pytest.raises(ValueError, match="carrierName: may have at most 30"):
        NewShipment(carrier_id="OTHER", waybill="1", carrier_name="x" * 31)
    with pytest.raises(ValueError, match="waybill: must not be empty"):
        NewShipment(carrier_id="DPD", waybill=" ")
    with pytest.raises(ValueError, match="quantity: must be a whole number of at least 1"):
        RefundLineItem.units("line", 0)
    assert NewShipment(carrier_id="DPD", waybill="W1", line_items=["a"]).line_items is not None
