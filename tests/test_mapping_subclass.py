"""The example subclasses in docs/mapping.md, run exactly as documented."""

from __future__ import annotations

import copy
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest

from allegro_plenty.allegro.models import CheckoutForm
from allegro_plenty.mapping import CommentDraft, OrderDraft, OrderMapper, VatBasis, WarningCode
from allegro_plenty.plenty.models import AddressOptionType, OrderItemProperty, OrderProperty

from .mapping_support import CONFIG, STRICT, fixture

DOC = Path(__file__).resolve().parents[1] / "docs" / "mapping.md"


def documented_example(name: str = "custom-mapper") -> dict[str, Any]:
    """Execute the code block after ``<!-- example: <name> -->`` in the docs."""
    text = DOC.read_text(encoding="utf-8")
    found = re.search(rf"<!-- example: {name} -->\s*```python\n(.*?)```", text, re.S)
    assert found, f"the documented example {name} is missing from docs/mapping.md"
    namespace: dict[str, Any] = {"__name__": "docs_mapping_example"}
    exec(compile(found.group(1), str(DOC), "exec"), namespace)  # noqa: S102 - our own docs
    return namespace


@pytest.fixture(scope="module")
def shop_mapper() -> type[OrderMapper]:
    cls = documented_example()["ShopMapper"]
    assert issubclass(cls, OrderMapper)
    return cls  # type: ignore[no-any-return]


def test_example_finds_a_variation_by_sku_and_adds_the_account(
    shop_mapper: type[OrderMapper],
) -> None:
    # f20's second line has no variation in the context; its SKU is SKU-20-02.
    source = fixture("f20_pl_unknown_variation")
    mapper = shop_mapper(CONFIG, account="sklep-kraków", variations_by_sku={"SKU-20-02": 777})
    draft = mapper.map(source.form(), source.context())
    assert isinstance(draft, OrderDraft)
    scarf = draft.order.order_items[1]
    assert (scarf.type_id, scarf.item_variation_id, scarf.quantity) == (1, 777, Decimal(2))
    assert scarf.properties[0] == OrderItemProperty(17, "17720002")
    assert draft.warnings == ()
    assert draft.order.properties[-1] == OrderProperty(10, "sklep-kraków")
    assert [p.type_id for p in draft.order.properties] == [7, 6, 3, 2, 4, 1, 10]


def test_example_falls_back_to_the_context_and_changes_nothing_else(
    shop_mapper: type[OrderMapper],
) -> None:
    source = fixture("f20_pl_unknown_variation")
    plain = OrderMapper(CONFIG).map(source.form(), source.context())
    custom = shop_mapper(CONFIG, account="a", variations_by_sku={}).map(
        source.form(), source.context()
    )
    assert isinstance(plain, OrderDraft)
    assert isinstance(custom, OrderDraft)
    assert custom.order.order_items == plain.order.order_items
    assert [w.code for w in custom.warnings] == [WarningCode.UNASSIGNED_VARIATION]
    assert custom.order.properties[:-1] == plain.order.properties
    assert (custom.contact, custom.payments, custom.comments) == (
        plain.contact,
        plain.payments,
        plain.comments,
    )


# --- the steps example ------------------------------------------------------------------


@pytest.fixture(scope="module")
def packing_mapper() -> type[OrderMapper]:
    cls = documented_example("custom-steps")["PackingMapper"]
    assert issubclass(cls, OrderMapper)
    return cls  # type: ignore[no-any-return]


def test_steps_example_adds_a_packing_slip_and_drops_billing_phones(
    packing_mapper: type[OrderMapper],
) -> None:
    # f17: a company invoice, so billing and delivery are two addresses; 1 + 2 pieces.
    source = fixture("f17_pl_company_invoice_nip")
    plain = OrderMapper(CONFIG).map(source.form(), source.context())
    custom = packing_mapper(CONFIG).map(source.form(), source.context())
    assert isinstance(plain, OrderDraft)
    assert isinstance(custom, OrderDraft)
    pieces = sum(line["quantity"] for line in source.raw["lineItems"])
    assert custom.comments == (*plain.comments, CommentDraft(f"Packing slip: {pieces} pieces"))
    assert custom.billing_address == attrs.evolve(
        plain.billing_address,
        options=tuple(
            o for o in plain.billing_address.options if o.type_id != AddressOptionType.PHONE
        ),
    )
    assert AddressOptionType.PHONE in {o.type_id for o in plain.billing_address.options}
    assert custom.delivery_address == plain.delivery_address
    assert custom.contact == plain.contact  # a Polish buyer keeps the configured language
    assert (
        attrs.evolve(custom, comments=plain.comments, billing_address=plain.billing_address)
        == plain
    )


def test_steps_example_gives_german_buyers_a_german_contact(
    packing_mapper: type[OrderMapper],
) -> None:
    source = fixture("f01_pl_courier_basic")
    raw = copy.deepcopy(source.raw)
    raw["delivery"]["address"]["countryCode"] = "DE"
    form = STRICT.structure(raw, CheckoutForm)
    config = attrs.evolve(CONFIG, vat=attrs.evolve(CONFIG.vat, basis=VatBasis.ORIGIN))
    plain = OrderMapper(config).map(form, source.context())
    custom = packing_mapper(config).map(form, source.context())
    assert isinstance(plain, OrderDraft)
    assert isinstance(custom, OrderDraft)
    assert (plain.contact.lang, custom.contact.lang) == ("pl", "de")
