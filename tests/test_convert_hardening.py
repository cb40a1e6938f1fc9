"""Hostile bodies are refused quickly, with the JSON path of the value at fault.

Issue 8, points 8, 10, 15 and 21: numbers within bounds only, plain amount
strings only, deep nesting a typed error (never a raw ``RecursionError``),
messages naming fields as the JSON does, and a public parser for stored forms.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import cattrs
import httpx
import pytest

import allegro_plenty
from allegro_plenty import (
    AllegroPlentyError,
    BadRequestError,
    InternalServerError,
    ModelValidationError,
    ResponseValidationError,
    RetryPolicy,
    _convert,
    parse_checkout_form,
    parse_model,
)
from allegro_plenty._convert import loads, make_converter
from allegro_plenty.allegro.models import CheckoutForm, CheckoutForms
from allegro_plenty.plenty import models as plenty_models
from allegro_plenty.testing.factories import checkout_form

from . import plenty_fakes
from .test_allegro_client import FORM_ID, call, vendor
from .test_plenty_client import order_json

NO_RETRY = {"retry": RetryPolicy(max_retries=0)}
HOLE = "__HOSTILE__"
DEEP = "[" * 100_000 + "]" * 100_000


def with_raw(data: Any, raw: str) -> bytes:
    """``data`` as JSON text, the string ``HOLE`` replaced by the raw JSON ``raw``."""
    text = json.dumps(data)
    assert text.count(json.dumps(HOLE)) == 1
    return text.replace(json.dumps(HOLE), raw).encode()


def form_with(path: tuple[str | int, ...], raw: str) -> bytes:
    """A valid checkout form whose value at ``path`` is the raw JSON ``raw``."""
    form = checkout_form(seed=3)
    parent = form
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = HOLE
    return with_raw(form, raw)


QUANTITY = ("lineItems", 0, "quantity")
AMOUNT = ("lineItems", 0, "price", "amount")
TOTAL = ("summary", "totalToPay", "amount")

HOSTILE: list[tuple[str, tuple[str | int, ...], str]] = [
    ("huge exponent", QUANTITY, "1e10000000"),
    ("huge exponent in an amount", AMOUNT, "1e10000000"),
    ("tiny exponent in an amount", AMOUNT, "1e-10000000"),
    ("41-digit integer", QUANTITY, str(10**40)),
    ("41-digit integer in an amount", TOTAL, str(10**40)),
    ("5000-digit integer", QUANTITY, "9" * 5000),
    ("underscore", AMOUNT, '"1_000"'),
    ("leading space", AMOUNT, '" 12.50"'),
    ("trailing newline", AMOUNT, '"12.50\\n"'),
    ("Arabic-Indic digits", AMOUNT, '"\\u0661\\u0662"'),
    ("exponent notation in an amount string", AMOUNT, '"1E+2"'),
    ("41 digits in an amount string", TOTAL, '"' + "1" * 41 + '"'),
    ("31 decimals in an amount string", TOTAL, '"0.' + "0" * 30 + '1"'),
    ("a nesting 100k levels deep", ("buyer",), DEEP),
    ("a nesting 100k levels deep in a list", ("lineItems", 0, "offer"), DEEP),
]
IDS = [case[0] for case in HOSTILE]
VALUES = [case for case in HOSTILE if case[2] != DEEP]
"""The hostile values (deep nesting fails in the JSON reader, before any converter)."""


def json_path(path: tuple[str | int, ...]) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else step)
    return out


# --- success bodies through the clients ----------------------------------------------


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize(("name", "path", "raw"), HOSTILE, ids=IDS)
def test_a_hostile_checkout_form_is_refused_with_the_json_path(
    mode: str, name: str, path: tuple[str | int, ...], raw: str
) -> None:
    body = form_with(path, raw)
    headers = {"content-type": "application/json", "trace-id": "t-1"}
    transport = httpx.MockTransport(lambda r: httpx.Response(200, content=body, headers=headers))
    for strict in (True, False):
        with pytest.raises(ResponseValidationError) as caught:
            call(mode, transport, "get_checkout_form", FORM_ID, options={"strict": strict})
        assert caught.value.field_path == json_path(path), name
        assert json_path(path) in str(caught.value)
        assert caught.value.request_id == "t-1"


def assert_each_pass_refuses(converter: cattrs.Converter, data: Any) -> None:
    """Both passes of ``converter`` refuse ``data`` as a CheckoutForm, each alone.

    The fast pass takes some values inline; the bounds must hold there too,
    not only in the hooks the detailed pass calls.
    """
    fast = converter._fast  # type: ignore[attr-defined]
    for name, structure in [
        ("fast", fast.structure),
        ("detailed", lambda d, c: cattrs.Converter.structure(converter, d, c)),
    ]:
        try:
            structure(data, CheckoutForm)
        except RecursionError:
            raise AssertionError(f"the {name} pass leaked a RecursionError") from None
        except Exception:  # noqa: S112 - a refusal is what is asserted
            continue
        raise AssertionError(f"the {name} pass accepted it")


@pytest.mark.parametrize("strict", [True, False], ids=["strict", "lenient"])
@pytest.mark.parametrize(("name", "path", "raw"), VALUES, ids=[case[0] for case in VALUES])
def test_each_converter_pass_alone_refuses_each_hostile_value(
    strict: bool, name: str, path: tuple[str | int, ...], raw: str
) -> None:
    converter = make_converter(strict=strict)
    assert_each_pass_refuses(converter, loads(form_with(path, raw)))
    valid = loads(json.dumps(checkout_form(seed=3)))
    assert converter._fast.structure(valid, CheckoutForm) == (  # type: ignore[attr-defined]
        cattrs.Converter.structure(converter, valid, CheckoutForm)
    )


def test_the_per_pass_check_catches_a_converter_without_bounds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Negative control: with the integer bound lifted, both passes take a
    # 41-digit quantity, and the check above must say so.
    monkeypatch.setattr(_convert.numbers, "INTEGER_BOUND", 10**100)
    data = loads(form_with(QUANTITY, str(10**40)))
    with pytest.raises(AssertionError, match="the fast pass accepted it"):
        assert_each_pass_refuses(make_converter(), data)


@pytest.mark.parametrize("raw", ["1e10000000", str(10**40), "9" * 5000, "3.5"])
def test_a_hostile_count_on_a_list_page_is_refused(raw: str) -> None:
    body = with_raw({"checkoutForms": [], "count": HOLE, "totalCount": 0}, raw)
    transport = httpx.MockTransport(lambda r: httpx.Response(200, content=body))
    with pytest.raises(ResponseValidationError) as caught:
        call("sync", transport, "list_checkout_forms")
    assert caught.value.field_path == "count"


@pytest.mark.parametrize("mode", plenty_fakes.MODES)
@pytest.mark.parametrize(
    ("field", "raw"),
    [
        ("statusId", "1e10000000"),
        ("statusId", "1e31"),
        ("statusId", "1e-31"),
        ("statusId", "1" * 41),
        ("id", "1e10000000"),
        ("id", str(10**40)),
        ("plentyId", '"1_000"'),
        ("plentyId", '" 12"'),
        ("plentyId", '"\\u0661\\u0662"'),
        ("referrerId", '"1E+2"'),
        ("properties", DEEP),
    ],
)
def test_a_hostile_plenty_order_is_refused_with_the_json_path(
    mode: str, field: str, raw: str
) -> None:
    body = with_raw(order_json(**{field: HOLE}), raw)
    fake = plenty_fakes.FakePlenty().on(
        "GET", "/rest/orders/630", httpx.Response(200, content=body)
    )
    for strict in (True, False):
        with pytest.raises(ResponseValidationError) as caught:
            plenty_fakes.call(
                mode, httpx.MockTransport(fake), "get_order", 630, client_options={"strict": strict}
            )
        assert caught.value.field_path == field


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1.0e-5", Decimal("0.000010")),  # PHP writes small floats this way
        ("1.1102230246251565e-16", Decimal("1.1102230246251565e-16")),  # a PHP float residue
        ("-2.842170943040401e-14", Decimal("-2.842170943040401e-14")),
        ("1e30", Decimal("1e30")),
        ("1e-30", Decimal("1e-30")),
        ("12.5E+1", Decimal("125")),
        ("9" * 40, Decimal("9" * 40)),
        ("-" + "9" * 40, Decimal("-" + "9" * 40)),
        ("0." + "1" * 30, Decimal("0." + "1" * 30)),
        ('"0.' + "0" * 29 + '1"', Decimal("1e-30")),
        ('"0.' + "1" * 40 + '"', Decimal("0." + "1" * 40)),
        ('"' + "9" * 40 + '"', Decimal("9" * 40)),
        ('"-' + "9" * 39 + '.9"', Decimal("-" + "9" * 39 + ".9")),
    ],
)
def test_numbers_within_bounds_are_read_exactly(raw: str, expected: Decimal) -> None:
    body = with_raw(order_json(statusId=HOLE), raw)
    fake = plenty_fakes.FakePlenty().on(
        "GET", "/rest/orders/630", httpx.Response(200, content=body)
    )
    order = plenty_fakes.call("sync", httpx.MockTransport(fake), "get_order", 630)
    assert order.status_id == expected
    assert str(order.status_id) == str(expected)


def test_whole_numbers_within_bounds_are_read_as_integers() -> None:
    for raw, expected in [("7", 7), ("7.0", 7), ("7E+0", 7), ("9" * 40, int("9" * 40))]:
        parsed = parse_model(plenty_models.Order, with_raw(order_json(id=HOLE), raw))
        assert parsed.id == expected
        assert type(parsed.id) is int


def test_lenient_integer_strings_are_plain_ascii_digits_only() -> None:
    form = checkout_form(seed=3)
    form["lineItems"][0]["quantity"] = "3"
    assert parse_checkout_form(form).line_items[0].quantity == 3
    for bad in ["1_0", " 3", "3 ", "+3", "\u0663", "3.0", "1" * 41]:
        form["lineItems"][0]["quantity"] = bad
        with pytest.raises(ModelValidationError) as caught:
            parse_checkout_form(form)
        assert caught.value.field_path == "lineItems[0].quantity", bad


# --- deep nesting: success and error bodies alike -------------------------------------


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("body", [DEEP, '{"a": ' * 100_000 + "1" + "}" * 100_000])
def test_a_deeply_nested_success_body_is_a_response_validation_error(mode: str, body: str) -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(200, content=body.encode()))
    with pytest.raises(ResponseValidationError, match="nested too deeply"):
        call(mode, transport, "get_checkout_form", FORM_ID)


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize(("status", "cls"), [(400, BadRequestError), (500, InternalServerError)])
def test_a_deeply_nested_allegro_error_body_keeps_its_status_error(
    mode: str, status: int, cls: type[Exception]
) -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(status, content=DEEP.encode()))
    with pytest.raises(cls) as caught:
        call(mode, transport, "get_checkout_form", FORM_ID, options=NO_RETRY)
    assert caught.value.body == DEEP[:500]  # type: ignore[attr-defined]


@pytest.mark.parametrize("mode", plenty_fakes.MODES)
def test_deeply_nested_plenty_bodies_are_typed_errors(mode: str) -> None:
    deep = httpx.Response(400, content=DEEP.encode())
    fake = plenty_fakes.FakePlenty().on("GET", "/rest/orders/630", deep)
    with pytest.raises(BadRequestError) as refused:
        plenty_fakes.call(mode, httpx.MockTransport(fake), "get_order", 630)
    assert refused.value.body == DEEP[:500]

    login = httpx.Response(200, content=DEEP.encode())
    fake = plenty_fakes.FakePlenty().on("POST", "/rest/login", login)
    with pytest.raises(ResponseValidationError, match="nested too deeply"):
        plenty_fakes.call(mode, httpx.MockTransport(fake), "get_order", 630)


def test_nesting_refused_for_lack_of_stack_is_a_typed_error_too() -> None:
    # json's recursion limit counts the caller's frames: called deep in a host's
    # stack, a moderately nested body fails where it would parse at the top.
    def frames() -> int:
        frame, count = sys._getframe(), 0
        while frame is not None:
            frame, count = frame.f_back, count + 1
        return count

    def with_frames_left(left: int) -> Any:
        if sys.getrecursionlimit() - frames() > left:
            return with_frames_left(left)
        return parse_checkout_form(body)

    body = form_with(("buyer",), "[" * 300 + "]" * 300)
    for left in (900, 250, 100, 40):
        with pytest.raises(ModelValidationError) as caught:
            with_frames_left(left)
        assert caught.value.field_path == "buyer"


# --- messages name fields as the JSON does --------------------------------------------


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize(
    ("damage", "path", "python_name"),
    [
        (lambda f: f["summary"]["totalToPay"].update(amount="x"), TOTAL, "total_to_pay"),
        (
            lambda f: f["delivery"]["time"]["dispatch"].update({"from": "soon"}),
            ("delivery", "time", "dispatch", "from"),
            "from_",
        ),
        (
            lambda f: f["lineItems"][1].pop("originalPrice"),
            ("lineItems", 1, "originalPrice"),
            "original_price",
        ),
        (
            lambda f: f["lineItems"][0].update(boughtAt="2025-13-01"),
            ("lineItems", 0, "boughtAt"),
            "bought_at",
        ),
        (lambda f: f.update(messageToSeller=3.5), ("messageToSeller",), "message_to_seller"),
    ],
)
def test_the_message_names_the_field_as_field_path_does(
    mode: str, damage: Callable[[dict[str, Any]], Any], path: tuple[str, ...], python_name: str
) -> None:
    form = checkout_form(seed=3)
    damage(form)
    transport = httpx.MockTransport(lambda r: vendor(200, form))
    with pytest.raises(ResponseValidationError) as caught:
        call(mode, transport, "get_checkout_form", FORM_ID)
    assert caught.value.field_path == json_path(path)
    assert json_path(path) in str(caught.value)
    assert python_name not in str(caught.value)
    assert "$" not in str(caught.value)


def test_a_huge_bad_value_does_not_bloat_the_message() -> None:
    form = checkout_form(seed=3)
    form["lineItems"][0]["price"]["amount"] = "x" * 1_000_000
    with pytest.raises(ModelValidationError) as caught:
        parse_checkout_form(form)
    assert len(str(caught.value)) < 300


# --- the public parser for stored forms -----------------------------------------------


def test_a_stored_form_parses_from_text_bytes_or_data() -> None:
    form = checkout_form(seed=5)
    text = json.dumps(form)
    parsed = parse_checkout_form(text)
    assert isinstance(parsed, CheckoutForm)
    assert parse_checkout_form(text.encode()) == parsed
    assert parse_checkout_form(form) == parsed
    assert parse_checkout_form(text, strict=True) == parsed
    assert parsed.summary.total_to_pay.amount == Decimal(form["summary"]["totalToPay"]["amount"])
    assert allegro_plenty.allegro.parse_checkout_form is parse_checkout_form
    assert parse_model(CheckoutForm, text) == parsed


@pytest.mark.parametrize(
    ("data", "path", "reason"),
    [
        ("{not json", None, "not JSON"),
        (b"\xff\xfe\x00", None, "not JSON"),
        ("[1, 2]", None, "JSON object"),
        (None, None, "JSON object"),
        ({"id": "x"}, "buyer", "missing"),
    ],
)
def test_data_that_is_no_checkout_form_is_a_model_validation_error(
    data: Any, path: str | None, reason: str
) -> None:
    with pytest.raises(ModelValidationError, match=reason) as caught:
        parse_checkout_form(data)
    error = caught.value
    assert isinstance(error, AllegroPlentyError)
    assert isinstance(error, ValueError)
    assert error.field_path == path
    assert error.model == "CheckoutForm"
    assert error.__cause__ is None
    assert error.__suppress_context__


@pytest.mark.parametrize(
    ("damage", "path", "named"),
    [
        (lambda f: f.update(newField=1), None, "'newField'"),
        (
            lambda f: f["lineItems"][1].update(tax={"rate": "23.00", "x": 1}),
            "lineItems[1].tax",
            "'x'",
        ),
        (lambda f: f.update(status="SOMETHING_NEW"), "status", "'SOMETHING_NEW'"),
    ],
)
def test_strict_parsing_refuses_unknown_keys_and_values(
    damage: Callable[[dict[str, Any]], Any], path: str | None, named: str
) -> None:
    form = checkout_form(seed=5)
    damage(form)
    parse_checkout_form(form)  # lenient: kept or ignored
    with pytest.raises(ModelValidationError) as caught:
        parse_checkout_form(form, strict=True)
    assert caught.value.field_path == path
    assert named in str(caught.value)


def test_other_models_parse_through_the_generic_form() -> None:
    text = json.dumps(order_json())
    order = parse_model(plenty_models.Order, text)
    assert order.id == 630
    assert order.status_id == Decimal("5.1")
    page = parse_model(CheckoutForms, {"checkoutForms": [], "count": 0, "totalCount": 0})
    assert page.checkout_forms == ()
    with pytest.raises(ModelValidationError) as caught:
        parse_model(plenty_models.Order, order_json(statusId="5,1"))
    assert caught.value.field_path == "statusId"
    assert caught.value.model == "Order"


@pytest.mark.parametrize(("name", "path", "raw"), HOSTILE, ids=IDS)
def test_the_public_parser_refuses_each_hostile_form_with_its_path(
    name: str, path: tuple[str | int, ...], raw: str
) -> None:
    body = form_with(path, raw)
    for data in (body, body.decode()):
        for strict in (True, False):
            with pytest.raises(ModelValidationError) as caught:
                parse_checkout_form(data, strict=strict)
            assert caught.value.field_path == json_path(path), name
