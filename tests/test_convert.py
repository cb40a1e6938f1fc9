"""The one converter recipe: names, datetimes, money, open enums, strictness."""

from __future__ import annotations

import copy
import inspect
import traceback
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import attrs
import cattrs
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from allegro_plenty import OpenEnum
from allegro_plenty._convert import Style, fast_source, field_path, make_converter
from allegro_plenty.allegro.models import CheckoutForm


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


# --- the fast pass agrees with cattrs' detailed pass ---------------------------------

JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.decimals(-10, 10, places=2, allow_nan=False),
    st.sampled_from(["", "x", "12.50", "NaN", "2024-01-01T10:00:00.000Z", "READY_FOR_PROCESSING"]),
    # Beyond the bounds, or not in plain notation: both passes must refuse them.
    st.sampled_from([10**40, -(10**40), Decimal("1E+10000000"), Decimal("1E-31"), Decimal("7.0")]),
    st.sampled_from(["1E+2", "1_000", " 12.50", "\u0661\u0662", "3", "1" * 41]),
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    paths = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            paths += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            paths += _paths(value, (*prefix, index))
    return paths


@st.composite
def perturbed(draw: st.DrawFn, base: st.SearchStrategy[Any]) -> Any:
    """``base`` data with up to two values swapped for JSON of another kind, or a key added."""
    data = copy.deepcopy(draw(base))
    for _ in range(draw(st.integers(0, 2))):
        path = draw(st.sampled_from(_paths(data)[1:]))
        parent = data
        for step in path[:-1]:
            parent = parent[step]
        if draw(st.booleans()) and isinstance(parent, dict):
            parent["unknownKey"] = 1
        else:
            parent[path[-1]] = draw(JSON_SCALARS | st.lists(JSON_SCALARS, max_size=2) | st.just({}))
    return data


def _outcome(structure: Callable[[Any, type], Any], data: Any, cls: type) -> Any:
    try:
        return ("ok", structure(data, cls))
    except Exception:
        return ("refused", None)


def _detailed(converter: cattrs.Converter) -> Callable[[Any, type], Any]:
    # The detailed pass alone: cattrs' own structure, skipping the fast pass.
    return lambda data, cls: cattrs.Converter.structure(converter, data, cls)


def agree(
    fast: Callable[[Any, type], Any],
    converter: cattrs.Converter,
    *,
    shrink: bool = True,
    examples: int = 100,
) -> Callable[[], None]:
    """A check that ``fast`` accepts and refuses exactly what the detailed pass does."""
    from .test_mapping_properties import checkout_form

    seen: list[str] = []

    phases = list(Phase) if shrink else [Phase.generate]

    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=phases,
        database=None,
        # The same examples on every run: the check and its floors are stable.
        derandomize=True,
    )
    @given(perturbed(checkout_form(valid=True)))
    def check(data: Any) -> None:
        expected = _outcome(_detailed(converter), data, CheckoutForm)
        seen.append(expected[0])
        assert _outcome(fast, data, CheckoutForm) == expected

    def run() -> None:
        check()
        # Both kinds of input must occur, or agreement would mean little. About
        # one in eight is refused in lenient mode; five of a hundred is a floor
        # with ample room for chance.
        assert seen.count("ok") >= 5, seen.count("ok")
        assert seen.count("refused") >= 5, seen.count("refused")

    return run


@pytest.mark.spec
@pytest.mark.parametrize("strict", [True, False], ids=["strict", "lenient"])
def test_the_fast_pass_accepts_and_refuses_what_the_detailed_pass_does(strict: bool) -> None:
    converter = make_converter(strict=strict)
    agree(converter._fast.structure, converter)()


@pytest.mark.spec
def test_the_agreement_check_catches_a_fast_pass_that_validates_less() -> None:
    # Negative control: a fast pass that turns anything into a str, as cattrs'
    # default does, must be caught disagreeing.
    converter = make_converter(strict=True)
    sloppy = make_converter(strict=True)._fast  # type: ignore[attr-defined]
    sloppy.register_structure_hook(str, lambda value, _: str(value))
    with pytest.raises(AssertionError, match=r"== \('refused', None\)"):
        # About one example in twenty puts a non-string where a string belongs;
        # 400 examples miss them all with a probability below 1e-8.
        agree(sloppy.structure, converter, shrink=False, examples=400)()


def test_fields_with_real_defaults_are_passed_only_when_present() -> None:
    @attrs.define
    class WithDefaults:
        name: str
        tags: tuple[str, ...] = ()
        note: str | None = None

    for converter in (STRICT, LENIENT):
        fast = converter._fast  # type: ignore[attr-defined]
        assert fast.structure({"name": "a"}, WithDefaults) == WithDefaults("a")
        assert fast.structure({"name": "a", "tags": ["x"], "note": "n"}, WithDefaults) == (
            WithDefaults("a", ("x",), "n")
        )
    with pytest.raises(Exception, match="unknown keys"):
        STRICT._fast.structure({"name": "a", "zzz": 1}, WithDefaults)  # type: ignore[attr-defined]


@pytest.mark.parametrize("strict", [True, False], ids=["strict", "lenient"])
def test_fast_source_is_the_source_the_fast_pass_runs(strict: bool) -> None:
    converter = make_converter(strict=strict)
    function = converter._fast.get_structure_hook(Outer)  # type: ignore[attr-defined]
    source = fast_source(Outer, strict=strict)
    assert inspect.getsource(function) == source
    namespace: dict[str, Any] = {}
    exec(compile(source, "<test>", "exec"), namespace)  # noqa: S102 - the helper's output
    (compiled,) = [v for k, v in namespace.items() if k != "__builtins__"]
    assert compiled.__code__ == function.__code__  # the same code, compared without filenames
    # Each way of reading a field is there to read: required, None by default,
    # and a real default passed by keyword only when present.
    assert "v0 = o['lineItems']" in source
    assert "o.get('from')" in source
    assert ("_keys.issuperset(o)" in source) is strict


def test_a_failure_in_the_fast_pass_shows_the_generated_line() -> None:
    @attrs.define
    class Named:
        name: str
        tags: tuple[str, ...] = ()

    assert "if 'tags' in o:" in fast_source(Named)
    with pytest.raises(KeyError) as caught:
        LENIENT._fast.structure({"tags": []}, Named)  # type: ignore[attr-defined]
    assert "v0 = o['name']" in "".join(traceback.format_exception(caught.value))


@attrs.define
class AllOptional:
    street: str | None = None


@attrs.define
class Holder:
    address: AllOptional | None = None


@pytest.mark.parametrize("converter", [STRICT, LENIENT], ids=["strict", "lenient"])
@pytest.mark.parametrize("not_an_object", ["", "street", 0, [], True])
def test_an_object_field_refuses_anything_but_an_object(
    converter: cattrs.Converter, not_an_object: object
) -> None:
    # cattrs alone reads "" as an AllOptional() (it tests keys with ``in``);
    # found by the agreement property test above.
    with pytest.raises(cattrs.BaseValidationError) as caught:
        converter.structure({"address": not_an_object}, Holder)
    assert field_path(caught.value) == "address"
