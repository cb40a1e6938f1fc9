"""Text copied into plentymarkets: no control characters, within limits, the buyer's words apart."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import allegro_plenty.mapping._base as base_module
import allegro_plenty.mapping.comments as comments_module
import allegro_plenty.mapping.context as context_module
import allegro_plenty.mapping.items as items_module
import allegro_plenty.mapping.parties as parties_module
from allegro_plenty.allegro.models import CheckoutForm
from allegro_plenty.mapping import (
    TEXT_LIMITS,
    MappingRun,
    OneFulfillmentPolicy,
    OrderDraft,
    OrderMapper,
    TextField,
    TextLimit,
    WarningCode,
    clean_text,
)

from .mapping_support import CONFIG, LENIENT, fixture

DOC = Path(__file__).resolve().parents[1] / "docs" / "mapping.md"

FORBIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]"
)
"""What no text in a draft may hold (``\\n`` only inside comments, between lines)."""
HOSTILE = "\x00\x1b[31m\u202eevil\u202c\u2066\u2069\u202a\u202b\u202d\ufeff\x7f\x85\u200f"


def mutated(name: str, mutate: Callable[[dict[str, Any]], None]) -> CheckoutForm:
    data = copy.deepcopy(fixture(name).raw)
    mutate(data)
    return LENIENT.structure(data, CheckoutForm)


def draft_of(
    name: str, mutate: Callable[[dict[str, Any]], None], mapper: OrderMapper | None = None
) -> OrderDraft:
    result = (mapper or OrderMapper(CONFIG)).map(mutated(name, mutate), fixture(name).context())
    assert isinstance(result, OrderDraft)
    return result


def texts(draft: OrderDraft) -> Iterator[tuple[str, str]]:
    """``(where, text)`` for every text the importer sends to plentymarkets."""
    for where, record in (
        ("contact", draft.contact),
        ("billing", draft.billing_address),
        ("delivery", draft.delivery_address),
    ):
        for field in attrs.fields(type(record)):
            value = getattr(record, field.name)
            if isinstance(value, str):
                yield f"{where}.{field.name}", value
        for option in record.options:
            yield f"{where}.option{option.type_id}", option.value
    for item in draft.order.order_items:
        yield "item", item.order_item_name
    for comment in draft.comments:
        yield "comment", comment.text


# --- clean_text ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Jan\x00 Kowalski", "Jan Kowalski"),
        ("\x1b[31mred\x1b[0m", "[31mred[0m"),
        ("abc\u202edcba\u202c", "abcdcba"),
        ("\u2066x\u2067y\u2068z\u2069\u202a\u202b\u202d", "xyz"),
        (
            "one\ntwo\r\nthree\rfour\u2028five\u2029six\x0bseven\x85eight",
            "one two three four five six seven eight",
        ),
        ("tab\there", "tab here"),
        ("  Łódź – Żółć 😀‍👍  ", "Łódź – Żółć 😀‍👍"),
        ("lone \ud800 surrogate", "lone  surrogate"),
        ("\ufeffBOM", "BOM"),
    ],
)  # fmt: skip
def test_clean_text_removes_controls_and_keeps_letters(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


def test_clean_text_multiline_keeps_lines_in_one_form() -> None:
    raw = "\n\n first\r\nsecond \rthird\u2028fourth\u2029\x0bfifth\x00\t!\n\n"
    assert clean_text(raw, multiline=True) == "first\nsecond\nthird\nfourth\n\nfifth !"


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.text())
def test_clean_text_output_never_holds_a_forbidden_character(raw: str) -> None:
    for multiline in (False, True):
        cleaned = clean_text(raw, multiline=multiline)
        assert not FORBIDDEN.search(cleaned)
        assert cleaned == cleaned.strip()
        if not multiline:
            assert len(cleaned.splitlines()) <= 1


# --- through the mapper --------------------------------------------------------------------------


def hostile_everywhere(data: dict[str, Any]) -> None:
    buyer, address = data["buyer"], data["delivery"]["address"]
    for part, key in (
        (buyer, "firstName"),
        (buyer, "lastName"),
        (buyer, "phoneNumber"),
        (buyer, "email"),
        (address, "firstName"),
        (address, "lastName"),
        (address, "city"),
        (address, "zipCode"),
        (address, "phoneNumber"),
        (data["delivery"]["method"], "name"),
        (data["lineItems"][0]["offer"], "name"),
    ):
        part[key] = f"{HOSTILE}{part[key]}\n{HOSTILE}"
    address["street"] = "ul.\u202e Dłu\x00ga 5/7\x1b m.\u2066 12\x00"
    data["messageToSeller"] = f"Hi{HOSTILE}\nthere{HOSTILE}"
    data["note"] = {"text": f"note{HOSTILE}"}


def no_forbidden_text(draft: OrderDraft) -> None:
    for where, value in texts(draft):
        assert not FORBIDDEN.search(value), (where, value)
        if where != "comment":
            assert "\n" not in value, (where, value)


def test_no_control_or_bidi_character_reaches_plentymarkets() -> None:
    draft = draft_of("f01_pl_courier_basic", hostile_everywhere)
    no_forbidden_text(draft)
    # ESC goes, "[31m" is harmless text; NEL (U+0085) and the line break are spaces.
    assert draft.contact.first_name == "[31mevil Katarzyna [31mevil"
    address = draft.delivery_address
    assert (address.address1, address.address2, address.address3) == ("ul. Długa", "5/7", "m. 12")
    assert address.town == "[31mevil Kraków [31mevil"


def test_the_harness_catches_a_mapper_that_copies_text_raw(monkeypatch: pytest.MonkeyPatch) -> None:
    # Negative control: with cleaning switched off the same check fails.
    def raw(value: str, *, multiline: bool = False) -> str:
        return value.strip()

    # Every module of the mapper that cleans text.
    for module in (context_module, base_module, parties_module, items_module, comments_module):
        monkeypatch.setattr(module, "clean_text", raw)
    with pytest.raises(AssertionError):
        no_forbidden_text(draft_of("f01_pl_courier_basic", hostile_everywhere))


# --- lengths -------------------------------------------------------------------------------------

HUGE = 10_000_000


def huge_everywhere(data: dict[str, Any]) -> None:
    buyer, address = data["buyer"], data["delivery"]["address"]
    buyer["firstName"] = "K" * HUGE
    address["firstName"] = "A" * HUGE
    address["street"] = "ul. " + "D" * HUGE + " 5"
    address["city"] = "C" * HUGE
    address["zipCode"] = "3" * HUGE
    data["lineItems"][0]["offer"]["name"] = "N" * HUGE
    data["delivery"]["method"]["name"] = "M" * HUGE
    data["messageToSeller"] = "line\n" * (HUGE // 5)


def test_ten_million_characters_are_cut_to_the_table_with_warnings() -> None:
    draft = draft_of("f01_pl_courier_basic", huge_everywhere)
    limit = {field: limit.max_length for field, limit in TEXT_LIMITS.items()}
    assert draft.contact.first_name == "K" * limit[TextField.NAME]
    assert draft.delivery_address.name2 == "A" * limit[TextField.NAME]
    assert draft.delivery_address.town == "C" * limit[TextField.TOWN]
    assert draft.delivery_address.postal_code == "3" * limit[TextField.POSTAL_CODE]
    assert draft.delivery_address.address1 == ("ul. " + "D" * HUGE)[: limit[TextField.STREET]]
    assert draft.order.order_items[0].order_item_name == "N" * limit[TextField.ITEM_NAME]
    comment = draft.comments[0].text
    assert len(comment) < limit[TextField.BUYER_MESSAGE] * 2
    assert f"Delivery method: {'M' * limit[TextField.COMMENT_DETAIL]}" in comment.split("\n")
    truncated = {w.field_path for w in draft.warnings if w.code is WarningCode.TEXT_TRUNCATED}
    assert truncated == {
        "buyer.firstName",
        "delivery.address",  # the recipient's first name, in name2
        "delivery.address.street",
        "delivery.address.city",
        "delivery.address.zipCode",
        "lineItems[0].offer.name",
        "delivery.method.name",
        "messageToSeller",
    }
    for warning in draft.warnings:
        assert len(warning.message) < 80  # lengths, never the text
    assert "10000000" in " ".join(w.message for w in draft.warnings)


@pytest.mark.parametrize("extra", [0, 1])
def test_a_name_at_the_limit_is_kept_one_more_is_cut(extra: int) -> None:
    limit = TEXT_LIMITS[TextField.NAME].max_length

    def long_name(data: dict[str, Any]) -> None:
        data["buyer"]["lastName"] = "Ż" * (limit + extra)

    draft = draft_of("f01_pl_courier_basic", long_name)
    assert draft.contact.last_name == "Ż" * limit
    cut = [w for w in draft.warnings if w.code is WarningCode.TEXT_TRUNCATED]
    assert [(w.field_path, w.message) for w in cut] == (
        [("buyer.lastName", f"name of {limit + 1} characters cut to {limit}")] if extra else []
    )


def test_a_subclass_can_set_stricter_limits() -> None:
    class Carrier35(OrderMapper):
        text_limits: ClassVar[Mapping[TextField, TextLimit]] = {
            **TEXT_LIMITS,
            TextField.STREET: TextLimit(35, "our carrier's labels"),
        }

    def long_street(data: dict[str, Any]) -> None:
        data["delivery"]["address"]["street"] = "ulica Bardzo Długiej Nazwy Imienia Kogoś 5"

    draft = draft_of("f01_pl_courier_basic", long_street, Carrier35(CONFIG))
    address = draft.delivery_address
    assert (address.address1, address.address2) == ("ulica Bardzo Długiej Nazwy Imienia", "5")
    cut = [w for w in draft.warnings if w.code is WarningCode.TEXT_TRUNCATED]
    assert [(w.field_path, w.message) for w in cut] == [
        ("delivery.address.street", "street of 40 characters cut to 35")
    ]


def test_the_documented_limits_table_is_the_code_table() -> None:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("### Text limits", 1)[1].split("\n#", 1)[0]
    rows = re.findall(r"^\| `(\w+)` \| [^|]+ \| (\d+) \| ([^|]+) \|$", section, re.M)
    documented = {
        TextField(name): TextLimit(int(length), source.strip()) for name, length, source in rows
    }
    assert documented == dict(TEXT_LIMITS)


# --- the buyer's words apart ---------------------------------------------------------------------

FORGERY = (
    "Proszę szybko\n"
    "Do not ship it.\n"
    "Pickup point: POZ99Z (Paczkomat POZ99Z)\r"
    "Allegro One Fulfillment: Allegro's warehouse ships this order. Do not ship it.\u2028"
    "Seller's note:\u2029"
    "Delivery method: Odbiór osobisty\x0b"
    "> quoted already"
)


def with_message(message: str | None) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        if message is None:
            data.pop("messageToSeller", None)
        else:
            data["messageToSeller"] = message

    return mutate


def own_lines(draft: OrderDraft) -> list[str]:
    """The comment lines that are not quoted: the mapper's own."""
    return [line for line in draft.comments[0].text.split("\n") if not line.startswith(">")]


def buyer_cannot_forge(mapper: OrderMapper, name: str, message: str) -> None:
    quiet = draft_of(name, with_message(None), mapper)
    loud = draft_of(name, with_message(message), mapper)
    header = "Message from the buyer:"
    assert own_lines(loud).count(header) == 1
    assert [line for line in own_lines(loud) if line != header] == own_lines(quiet)

    def quoted(draft: OrderDraft) -> list[str]:
        return [line for line in draft.comments[0].text.split("\n") if line.startswith(">")]

    # The buyer's lines, each quoted, then whatever the form quoted anyway (a seller's note).
    assert quoted(loud) == [
        *["> " + line if line else ">" for line in clean_text(message, multiline=True).split("\n")],
        *quoted(quiet),
    ]


@pytest.mark.parametrize(
    "name", ["f01_pl_courier_basic", "f03_pl_paczkomat", "f22_pl_message_html"]
)
def test_a_buyer_message_cannot_forge_the_mappers_lines(name: str) -> None:
    buyer_cannot_forge(OrderMapper(CONFIG), name, FORGERY)


def test_do_not_ship_comes_from_the_mapper_only() -> None:
    config = attrs.evolve(
        CONFIG,
        one_fulfillment=OneFulfillmentPolicy.IMPORT,
        one_fulfillment_status_id=CONFIG.status_id,
        one_fulfillment_warehouse_id=7,
    )
    mapper = OrderMapper(config)
    buyer_cannot_forge(mapper, "f13_pl_one_fulfillment", FORGERY)
    draft = draft_of("f13_pl_one_fulfillment", with_message(FORGERY), mapper)
    assert own_lines(draft)[0].endswith("Do not ship it.")
    assert sum(line.endswith("Do not ship it.") for line in own_lines(draft)) == 1
    assert not [line for line in own_lines(draft) if line.startswith("Pickup point:")]
    plain = draft_of("f01_pl_courier_basic", with_message(FORGERY))
    assert not [line for line in own_lines(plain) if "Do not ship it" in line]


@settings(max_examples=50, deadline=None, derandomize=True)
@given(st.text(min_size=1, max_size=200))
def test_no_buyer_message_adds_a_line_of_the_mappers(message: str) -> None:
    if not clean_text(message, multiline=True):
        return
    buyer_cannot_forge(OrderMapper(CONFIG), "f03_pl_paczkomat", message)


class Unquoting(OrderMapper):
    """A broken mapper: puts the buyer's message in as it came."""

    def comment_lines(self, run: MappingRun) -> list[str]:
        lines = super().comment_lines(run)
        return [*lines, *(run.form.message_to_seller or "").split("\n")]


def test_the_forgery_check_catches_a_mapper_that_does_not_quote() -> None:
    with pytest.raises(AssertionError):
        buyer_cannot_forge(Unquoting(CONFIG), "f01_pl_courier_basic", FORGERY)


def test_lines_a_subclass_returns_stay_single_lines() -> None:
    class Chatty(OrderMapper):
        def comment_lines(self, run: MappingRun) -> list[str]:
            return [*super().comment_lines(run), "ours\nDo not ship it.\u2028x"]

    draft = draft_of("f01_pl_courier_basic", with_message(None), Chatty(CONFIG))
    assert draft.comments[0].text.split("\n")[-1] == "ours Do not ship it. x"
