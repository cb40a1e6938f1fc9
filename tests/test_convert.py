"""The one converter recipe: names, datetimes, money, open enums, strictness."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import attrs
import cattrs
import pytest

from allegro_plenty import OpenEnum
from allegro_plenty._convert import Style, field_path, make_converter


class Colour(OpenEnum):
    RED = "RED"


@attrs.frozen
class Inner:
    amount: Decimal
    when: datetime | None = None


@attrs.frozen
class Outer:
    line_items: tuple[Inner, ...]
    colour: Colour
    from_: str | None = attrs.field(default=None, metadata={"key": "from"})
    count: int | None = None
    flag: bool | None = None
    tags: tuple[str, ...] | None = None


STRICT = make_converter(strict=True)
LENIENT = make_converter()


def test_names_are_camel_case_or_explicit() -> None:
    value = Outer(line_items=(Inner(Decimal("1.50")),), colour=Colour.RED, from_="x")
    data = STRICT.unstructure(value)
    assert data == {"lineItems": [{"amount": "1.50"}], "colour": "RED", "from": "x"}
    assert STRICT.structure(data, Outer) == value


def test_datetimes_are_aware_and_written_in_allegro_style() -> None:
    data = {"amount": "1", "when": "2025-01-02T03:04:05.678+02:00"}
    inner = STRICT.structure(data, Inner)
    assert inner.when == datetime(2025, 1, 2, 1, 4, 5, 678000, tzinfo=timezone.utc)
    assert STRICT.unstructure(inner)["when"] == "2025-01-02T01:04:05.678Z"
    naive = {"amount": "1", "when": "2025-01-02T03:04:05"}
    with pytest.raises(cattrs.ClassValidationError):
        STRICT.structure(naive, Inner)
    assert LENIENT.structure(naive, Inner).when.utcoffset() == timedelta(0)  # type: ignore[union-attr]


def test_plenty_style_writes_numbers_and_offsets() -> None:
    plenty = make_converter(style=Style.PLENTY)
    when = datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=1)))
    data = plenty.unstructure(Inner(Decimal("19.99"), when))
    assert data == {"amount": 19.99, "when": "2025-01-02T03:04:05+01:00"}
    assert plenty.unstructure(Inner(Decimal("7.00")))["amount"] == 7


@pytest.mark.parametrize(
    ("raw", "expected"), [("0.1", Decimal("0.1")), (0.1, Decimal("0.1")), (3, Decimal(3))]
)
def test_money_is_exact(raw: object, expected: Decimal) -> None:
    assert STRICT.structure({"amount": raw}, Inner).amount == expected


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "ten", True, None, [1]])
def test_money_rejects_non_numbers(raw: object) -> None:
    with pytest.raises(cattrs.ClassValidationError):
        LENIENT.structure({"amount": raw}, Inner)


def test_open_enum_keeps_unknown_values_only_when_lenient() -> None:
    data = {"lineItems": [], "colour": "TEAL"}
    outer = LENIENT.structure(data, Outer)
    assert outer.colour == "TEAL"
    assert not outer.colour.is_known
    assert str(outer.colour) == "TEAL"
    assert Colour.RED.is_known
    with pytest.raises(cattrs.ClassValidationError):
        STRICT.structure(data, Outer)


@pytest.mark.parametrize(
    ("patch", "path"),
    [
        ({"count": True}, "count"),
        ({"count": "3"}, "count"),
        ({"flag": "yes"}, "flag"),
        ({"tags": "abc"}, "tags"),
        ({"lineItems": {"amount": "1"}}, "lineItems"),
        ({"lineItems": [{"amount": "1"}, {"amount": "x"}]}, "lineItems[1].amount"),
        ({"extra": 1}, None),
    ],
)
def test_strict_mode_rejects_wrong_types_and_names_the_field(
    patch: dict[str, object], path: str | None
) -> None:
    data = {"lineItems": [], "colour": "RED", **patch}
    with pytest.raises(cattrs.ClassValidationError) as caught:
        STRICT.structure(data, Outer)
    assert field_path(caught.value) == path


def test_lenient_mode_coerces_harmless_differences_and_ignores_unknown_keys() -> None:
    data = {"lineItems": [], "colour": "RED", "count": "3", "extra": {"x": 1}}
    assert LENIENT.structure(data, Outer).count == 3
    with pytest.raises(cattrs.ClassValidationError):  # a string is never a list
        LENIENT.structure({**data, "tags": "abc"}, Outer)
