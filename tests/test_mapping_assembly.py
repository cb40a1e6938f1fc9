"""The mapper's public skeleton: steps a subclass adds, replaces and reorders; the address
value; derived values worked out once per form; the comment's words in English and Polish."""

from __future__ import annotations

from decimal import Decimal

import attrs
import pytest

import allegro_plenty.mapping.context as context_module
from allegro_plenty.allegro.models import CheckoutForm
from allegro_plenty.errors import MappingError
from allegro_plenty.mapping import (
    ENGLISH_COMMENT_TEXTS,
    POLISH_COMMENT_TEXTS,
    AddressParts,
    CommentDraft,
    CommentTexts,
    DraftParts,
    MappingRun,
    OneFulfillmentPolicy,
    OrderDraft,
    OrderMapper,
    WarningCode,
)
from allegro_plenty.plenty.models import (
    AddressOption,
    AddressOptionType,
    NewAddress,
    OrderItemType,
)

from .mapping_support import CONFIG, STRICT, fixture


def draft(mapper: OrderMapper, name: str) -> OrderDraft:
    source = fixture(name)
    result = mapper.map(source.form(), source.context())
    assert isinstance(result, OrderDraft)
    return result


# --- steps: add, replace, reorder ---------------------------------------------------------


class GiftWrap(OrderMapper):
    """Adds a free gift-wrap item to every order, before the totals are checked."""

    steps = tuple(
        step
        for name in OrderMapper.steps
        for step in (("add_gift_wrap", name) if name == "check_totals" else (name,))
    )

    def add_gift_wrap(self, run: MappingRun, parts: DraftParts) -> None:
        vat = self.line_vat(run, 0, run.form.line_items[0])
        wrap = self.item(
            run, type_id=OrderItemType.UNASSIGNED_VARIATION, quantity=1, name="Gift wrap",
            unit_gross=Decimal(0), vat=vat,
        )  # fmt: skip
        parts.order_items = (*parts.order_items, wrap)


def test_a_subclass_adds_a_step_and_the_order_carries_its_part() -> None:
    plain = draft(OrderMapper(CONFIG), "f01_pl_courier_basic")
    wrapped = draft(GiftWrap(CONFIG), "f01_pl_courier_basic")
    assert GiftWrap.steps.index("add_gift_wrap") == GiftWrap.steps.index("check_totals") - 1
    assert wrapped.order.order_items[:-1] == plain.order.order_items
    extra = wrapped.order.order_items[-1]
    assert (extra.order_item_name, extra.quantity, extra.amounts[0].price_original_gross) == (
        "Gift wrap",
        Decimal(1),
        Decimal(0),
    )
    assert attrs.evolve(wrapped, order=plain.order) == plain


def test_an_added_step_is_still_under_the_totals_check() -> None:
    class Costly(GiftWrap):
        def add_gift_wrap(self, run: MappingRun, parts: DraftParts) -> None:
            super().add_gift_wrap(run, parts)
            last = parts.order_items[-1]
            amount = attrs.evolve(last.amounts[0], price_original_gross=Decimal("1.00"))
            wrap = attrs.evolve(last, amounts=(amount,))
            parts.order_items = (*parts.order_items[:-1], wrap)

    with pytest.raises(MappingError, match="totals mismatch"):
        Costly(CONFIG).map(
            fixture("f01_pl_courier_basic").form(), fixture("f01_pl_courier_basic").context()
        )


class GermanContact(OrderMapper):
    """Replaces one step by overriding its method, and another by naming its own."""

    steps = tuple("add_short_comment" if s == "add_comments" else s for s in OrderMapper.steps)

    def add_contact(self, run: MappingRun, parts: DraftParts) -> None:
        super().add_contact(run, parts)
        assert parts.contact is not None
        parts.contact = attrs.evolve(parts.contact, lang="de")

    def add_short_comment(self, run: MappingRun, parts: DraftParts) -> None:
        parts.comments = (CommentDraft(f"Allegro {run.form.id}"),)


def test_a_subclass_replaces_steps() -> None:
    plain = draft(OrderMapper(CONFIG), "f03_pl_paczkomat")
    custom = draft(GermanContact(CONFIG), "f03_pl_paczkomat")
    assert "add_comments" not in GermanContact.steps
    assert custom.contact == attrs.evolve(plain.contact, lang="de")
    assert custom.comments == (CommentDraft(f"Allegro {plain.checkout_form_id}"),)
    assert attrs.evolve(custom, contact=plain.contact, comments=plain.comments) == plain


def test_reordered_steps_give_the_same_draft() -> None:
    class ContactFirst(OrderMapper):
        steps = ("add_contact", *(s for s in OrderMapper.steps if s != "add_contact"))

    for name in ("f01_pl_courier_basic", "f15_sk_company_vat_eu", "f12_pl_teacher_voucher"):
        assert draft(ContactFirst(CONFIG), name) == draft(OrderMapper(CONFIG), name)


def test_a_step_that_names_no_method_is_refused_when_the_class_is_made() -> None:
    with pytest.raises(TypeError, match="'add_gift' names no method"):

        class Typo(OrderMapper):
            steps = (*OrderMapper.steps, "add_gift")

    with pytest.raises(TypeError, match="twice"):

        class Twice(OrderMapper):
            steps = (*OrderMapper.steps, "add_contact")


def test_steps_that_leave_out_the_order_are_a_mapping_error() -> None:
    class NoOrder(OrderMapper):
        steps = tuple(s for s in OrderMapper.steps if s != "add_order")

    with pytest.raises(MappingError, match="the assembly steps made no order") as caught:
        NoOrder(CONFIG).map(
            fixture("f01_pl_courier_basic").form(), fixture("f01_pl_courier_basic").context()
        )
    assert caught.value.checkout_form_id == fixture("f01_pl_courier_basic").raw["id"]


# --- the address value ------------------------------------------------------------------


def test_an_address_is_built_from_one_value() -> None:
    source = fixture("f01_pl_courier_basic")
    mapper = OrderMapper(CONFIG)
    run = mapper.start(source.form(), source.context())
    parts = AddressParts(
        path="delivery.address", street="ul. Długa 5/7 m. 12", town="Kraków",
        postal_code="31-147", country_code="pl", company="Firma", first_name="Anna",
        last_name="Nowak", phone="+48 600 000 000", vat_number="PL7251234567",
        extra_line="Paczkomat KRA01A",
    )  # fmt: skip
    assert mapper.address(run, parts) == NewAddress(
        town="Kraków", postal_code="31-147", country_id=23, address1="ul. Długa",
        address2="5/7", address3="m. 12, Paczkomat KRA01A", name1="Firma", name2="Anna",
        name3="Nowak",
        options=(
            AddressOption(AddressOptionType.VAT_NUMBER, "PL7251234567"),
            AddressOption(AddressOptionType.PHONE, "+48 600 000 000"),
            AddressOption(AddressOptionType.EMAIL, source.raw["buyer"]["email"]),
        ),
    )  # fmt: skip
    # Errors name the field under the value's path, with its own postal-code key.
    own = attrs.evolve(parts, path="buyer.address", postal_code=" ", postal_code_key="postCode")
    with pytest.raises(MappingError) as caught:
        mapper.address(run, own)
    assert caught.value.field_path == "buyer.address.postCode"


def test_a_subclass_changes_every_address_through_the_value() -> None:
    seen: list[str] = []

    class NoPhones(OrderMapper):
        def address(self, run: MappingRun, parts: AddressParts) -> NewAddress:
            seen.append(parts.path)
            return super().address(run, attrs.evolve(parts, phone=None))

    result = draft(NoPhones(CONFIG), "f17_pl_company_invoice_nip")
    assert seen == ["delivery.address", "invoice.address"]
    for address in (result.delivery_address, result.billing_address):
        assert AddressOptionType.PHONE not in {o.type_id for o in address.options}


# --- derived values, once per form ------------------------------------------------------


def test_the_verified_eu_vat_id_is_worked_out_once_per_form(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []
    real = context_module.verified_eu_vat_id

    def counted(form: object) -> str | None:
        calls.append("called")
        return real(form)  # type: ignore[arg-type]

    monkeypatch.setattr(context_module, "verified_eu_vat_id", counted)
    result = draft(OrderMapper(CONFIG), "f15_sk_company_vat_eu")
    # Billing VAT number, the draft's id, the warning and the comment all have it ...
    assert result.intra_eu_vat_id == "SK2120123456"
    assert (
        AddressOption(AddressOptionType.VAT_NUMBER, "SK2120123456")
        in result.billing_address.options
    )
    assert WarningCode.INTRA_EU_VAT_BUYER in {w.code for w in result.warnings}
    assert "SK2120123456 verified" in result.comments[0].text
    # ... from one look at the form.
    assert calls == ["called"]


def test_what_was_paid_is_worked_out_once_per_form(monkeypatch: pytest.MonkeyPatch) -> None:
    paths: list[str] = []
    real = MappingRun._paid_part

    def counted(self: MappingRun, part: object, path: str) -> Decimal:
        paths.append(path)
        return real(self, part, path)  # type: ignore[arg-type]

    monkeypatch.setattr(MappingRun, "_paid_part", counted)
    result = draft(OrderMapper(CONFIG), "f05_pl_surcharge")
    assert ("4", "fullyPaid") in {(str(p.type_id), p.value) for p in result.order.properties}
    assert paths == ["payment", "surcharges[0]"]


# --- the comment's words ----------------------------------------------------------------


def test_english_is_the_default_and_polish_is_a_setting() -> None:
    assert CONFIG.comment_texts is ENGLISH_COMMENT_TEXTS
    polish = OrderMapper(attrs.evolve(CONFIG, comment_texts=POLISH_COMMENT_TEXTS))
    assert draft(polish, "f15_sk_company_vat_eu").comments == (
        CommentDraft(
            "Sposób dostawy: Packeta kuriér\n"
            "Kupujący chce fakturę (firma)\n"
            "Firma z UE: numer VAT UE SK2120123456 zweryfikowany przez Allegro"
        ),
    )
    assert draft(polish, "f03_pl_paczkomat").comments == (
        CommentDraft(
            "Sposób dostawy: Allegro Paczkomaty InPost\n"
            "Punkt odbioru: POZ08A (Paczkomat POZ08A, Stacja paliw BP)"
        ),
    )
    voucher = draft(polish, "f12_pl_teacher_voucher").comments[0].text.splitlines()[-1]
    assert voucher.startswith(
        "Bon NOTEBOOKS_FOR_TEACHERS (ACTIVE) o wartości 2000.00 PLN w pozycji "
    )


def test_polish_texts_cover_every_line_of_the_mapper() -> None:
    # The buyer's message, One Fulfillment, Smart, a private invoice, the seller's note.
    config = attrs.evolve(
        CONFIG,
        comment_texts=POLISH_COMMENT_TEXTS,
        one_fulfillment=OneFulfillmentPolicy.IMPORT,
        one_fulfillment_status_id=Decimal("5.9"),
        one_fulfillment_warehouse_id=7,
    )
    source = fixture("f13_pl_one_fulfillment")
    raw = {**source.raw, "messageToSeller": "Proszę szybko", "note": {"text": "VIP"}}
    raw["invoice"] = {"required": True}
    form = STRICT.structure(raw, CheckoutForm)
    result = OrderMapper(config).map(form, source.context())
    assert isinstance(result, OrderDraft)
    assert result.comments[0].text.splitlines() == [
        "Allegro One Fulfillment: to zamówienie wysyła magazyn Allegro. Nie wysyłaj go.",
        "Wiadomość od kupującego:",
        "> Proszę szybko",
        "Sposób dostawy: Allegro One Kurier",
        "Dostawa Allegro Smart",
        "Kupujący chce fakturę (osoba prywatna)",
        "Notatka sprzedającego:",
        "> VIP",
    ]


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("delivery_method", "Dostawa: {metoda}", "unknown placeholder 'metoda'"),
        ("smart", "Smart {method}", "unknown placeholder 'method'"),
        ("delivery_method", "Dostawa: {method", "expected '}'"),
        ("delivery_method", "Dostawa: {method.__class__}", "unknown placeholder"),
        ("seller_note", "> Notatka:", "not starting with '>'"),
        ("seller_note", "Notatka\nsprzedającego:", "one line"),
        ("buyer_message", "  ", "blank"),
    ],
)
def test_comment_texts_are_checked_when_built(field: str, value: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        attrs.evolve(ENGLISH_COMMENT_TEXTS, **{field: value})


def test_own_comment_texts_may_leave_placeholders_out() -> None:
    texts = attrs.evolve(
        POLISH_COMMENT_TEXTS,
        delivery_method="Kurier: {method}!",
        pickup_point="Paczkomat {id}",  # without {details}
        smart="Smart",
    )
    assert isinstance(texts, CommentTexts)
    result = draft(OrderMapper(attrs.evolve(CONFIG, comment_texts=texts)), "f09_pl_smart_free")
    method = fixture("f09_pl_smart_free").raw["delivery"]["method"]["name"]
    assert result.comments[0].text.splitlines() == [
        f"Kurier: {method}!",
        "Paczkomat KRA31A",
        "Smart",
    ]
