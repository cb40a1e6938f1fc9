"""Each checkout-form fixture against an order draft written by hand.

The expected drafts below are typed from the fixture and the mapping rules
(docs/mapping.md), never copied from the mapper's output. The small builders
only fill in what every draft shares (the referrer, the EUR system's labels).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

import attrs
import pytest

from allegro_plenty.errors import MappingError
from allegro_plenty.mapping import (
    CommentDraft,
    ContactPolicy,
    MappingConfig,
    MappingWarning,
    OneFulfillmentPolicy,
    OrderDraft,
    OrderMapper,
    SkippedOrder,
    SkipReason,
    UnknownVariationPolicy,
    VatBasis,
    WarningCode,
)
from allegro_plenty.plenty.models import (
    AddressOption,
    ContactOption,
    NewAddress,
    NewContact,
    NewOrder,
    NewOrderItem,
    NewPayment,
    OrderDate,
    OrderItemAmount,
    OrderItemProperty,
    OrderProperty,
    PaymentProperty,
)

from .mapping_support import CONFIG, REFERRER, fixture, fixture_names, schema_errors

# --- builders for hand-written expectations ---------------------------------------------

RATE = {"PLN": Decimal("4.25"), "CZK": Decimal("25.1"), "HUF": Decimal("405"), "EUR": Decimal(1)}
PL, CZ, SK, HU = 23, 6, 26, 14
PL23, PL8, PL5, PL0 = (2, 0), (2, 1), (2, 2), (2, 3)
CZ21, SK23, HU27 = (6, 0), (7, 0), (8, 0)
BOUGHT = "2025-03-14T09:12:44.120Z"
PAID = "2025-03-14T09:13:51.402Z"
DISPATCH = "2025-03-17T15:00:00Z"


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def form_id(n: int) -> str:
    return f"5d9c10{n:02d}-41a7-11f0-b3e2-6f1d8c0a7e01"


def line_id(n: int, k: int) -> str:
    return f"e1{n:02d}00{k:02d}-7c2b-4f3e-9a61-3b8d5c2e1f40"


def payment_id(n: int, k: int = 0) -> str:
    return f"a0{n:02d}00{k:02d}-41a7-11f0-9d0e-0242ac120002"


def amount(price: str, currency: str) -> OrderItemAmount:
    return OrderItemAmount(currency, Decimal(price), currency == "EUR", RATE[currency])


def goods(
    n: int,
    k: int,
    name: str,
    quantity: int,
    price: str,
    variation: int | None,
    *,
    currency: str = "PLN",
    vat: tuple[int, int] = PL23,
) -> NewOrderItem:
    """A line item: type 1 with its variation, or type 9 with variation 0."""
    return NewOrderItem(
        type_id=1 if variation else 9,
        quantity=Decimal(quantity),
        order_item_name=name,
        amounts=(amount(price, currency),),
        item_variation_id=variation or 0,
        referrer_id=REFERRER,
        country_vat_id=vat[0],
        vat_field=vat[1],
        properties=(
            OrderItemProperty(17, f"177{n:02d}0{k:02d}"),
            OrderItemProperty(41, line_id(n, k)),
        ),
    )


def extra(
    type_id: int,
    quantity: int,
    name: str,
    price: str,
    *,
    currency: str = "PLN",
    vat: tuple[int, int] = PL23,
    variation: int = 0,
) -> NewOrderItem:
    """A service (1 or 9), deposit (10) or shipping (6) item: no item properties."""
    return NewOrderItem(
        type_id=type_id,
        quantity=Decimal(quantity),
        order_item_name=name,
        amounts=(amount(price, currency),),
        item_variation_id=variation,
        referrer_id=REFERRER,
        country_vat_id=vat[0],
        vat_field=vat[1],
    )


def shipping(price: str, *, currency: str = "PLN", vat: tuple[int, int] = PL23) -> NewOrderItem:
    return extra(6, 1, "Shipping costs", price, currency=currency, vat=vat)


def properties(
    n: int, mop: int, profile: int | None, status: str, warehouse: int = 1
) -> tuple[OrderProperty, ...]:
    props = [OrderProperty(7, form_id(n)), OrderProperty(6, "pl"), OrderProperty(3, str(mop))]
    if profile is not None:
        props.append(OrderProperty(2, str(profile)))
    props += [OrderProperty(4, status), OrderProperty(1, str(warehouse))]
    return tuple(props)


def dates(
    created: str = BOUGHT, paid: str | None = PAID, dispatch: str | None = DISPATCH
) -> tuple[OrderDate, ...]:
    out = [OrderDate(2, ts(created))]
    if paid:
        out.append(OrderDate(3, ts(paid)))
    if dispatch:
        out.append(OrderDate(8, ts(dispatch)))
    return tuple(out)


def order(
    n: int, items: list[NewOrderItem], props: tuple[OrderProperty, ...], **kw: object
) -> NewOrder:
    return NewOrder(
        type_id=1,
        plenty_id=1000,
        status_id=kw.pop("status_id", Decimal(5)),  # type: ignore[arg-type]
        referrer_id=REFERRER,
        order_items=tuple(items),
        properties=props,
        dates=kw.pop("dates", dates()),  # type: ignore[arg-type]
    )


def address(
    street: str,
    number: str | None,
    additional: str | None,
    town: str,
    postal_code: str,
    country: int,
    *,
    email: str,
    first: str | None = None,
    last: str | None = None,
    company: str | None = None,
    phone: str | None = None,
    vat: str | None = None,
) -> NewAddress:
    options = []
    if vat:
        options.append(AddressOption(1, vat))
    if phone:
        options.append(AddressOption(4, phone))
    options.append(AddressOption(5, email))
    return NewAddress(
        town=town,
        postal_code=postal_code,
        country_id=country,
        address1=street,
        address2=number,
        address3=additional,
        name1=company,
        name2=first,
        name3=last,
        options=tuple(options),
    )


def contact(
    buyer_id: str | None, first: str, last: str, email: str, phone: str | None
) -> NewContact:
    options = [ContactOption(2, 4, email)]
    if phone:
        options.append(ContactOption(1, 4, phone))
    if buyer_id is None:
        options.append(ContactOption(10, 11, "1"))
    return NewContact(
        type_id=1,
        referrer_id=REFERRER,
        lang="pl",
        external_id=buyer_id,
        first_name=first,
        last_name=last,
        plenty_id=1000,
        options=tuple(options),
    )


def payment(
    amount_: str, txn: str, received: str = PAID, *, currency: str = "PLN", mop: int = 6001
) -> NewPayment:
    return NewPayment(
        amount=Decimal(amount_),
        exchange_ratio=RATE[currency],
        mop_id=mop,
        currency=currency,
        is_system_currency=currency == "EUR",
        received_at=ts(received),
        properties=(PaymentProperty(1, txn), PaymentProperty(23, "4")),
    )


def comment(*lines: str) -> tuple[CommentDraft, ...]:
    return (CommentDraft("\n".join(lines)),)


def warn(code: WarningCode, message: str, path: str) -> MappingWarning:
    return MappingWarning(code, message, path)


def draft(
    n: int,
    *,
    contact_: NewContact,
    delivery: NewAddress,
    order_: NewOrder,
    billing: NewAddress | None = None,
    payments: tuple[NewPayment, ...] = (),
    comments: tuple[CommentDraft, ...] = (),
    warnings: tuple[MappingWarning, ...] = (),
    intra_eu_vat_id: str | None = None,
) -> OrderDraft:
    return OrderDraft(
        checkout_form_id=form_id(n),
        contact=contact_,
        billing_address=billing or delivery,
        delivery_address=delivery,
        order=order_,
        payments=payments,
        comments=comments,
        warnings=warnings,
        intra_eu_vat_id=intra_eu_vat_id,
    )


@attrs.frozen
class Refused:
    """An expected MappingError: field path and a fragment of the reason."""

    field_path: str
    reason: str


# --- the expectations ----------------------------------------------------------------------

COURIER = "Delivery method: Allegro Kurier DPD"
Expectation = Callable[[], OrderDraft | SkippedOrder | Refused]
CASES: list[tuple[str, MappingConfig, Expectation]] = []
"""(fixture, configuration, expected result); a fixture may appear with several configurations."""


def case(name: str, config: MappingConfig = CONFIG) -> Callable[[Expectation], Expectation]:
    def register(build: Expectation) -> Expectation:
        CASES.append((name, config, build))
        return build

    return register


@case("f01_pl_courier_basic")
def _f01() -> OrderDraft:
    email, phone = "8q1xjw4m1k+1a2b3c@allegromail.pl", "+48 601 234 567"
    return draft(
        1,
        contact_=contact("48211535", "Katarzyna", "Kowalska", email, phone),
        delivery=address(
            "ul. Długa", "5/7", "m. 12", "Kraków", "31-147", PL,
            first="Katarzyna", last="Kowalska", phone=phone, email=email,
        ),
        order_=order(
            1,
            [goods(1, 1, "Kubek ceramiczny 330 ml, biały", 2, "24.99", 1001), shipping("14.99")],
            properties(1, 6001, 12, "fullyPaid"),
        ),
        payments=(payment("64.97", payment_id(1)),),
        comments=comment(COURIER),
    )  # fmt: skip


@case("f02_pl_multi_line")
def _f02() -> OrderDraft:
    email, phone = "m3k9z0q1aa+7f7e1c@allegromail.pl", "+48 698 111 222"
    return draft(
        2,
        contact_=contact("30917722", "Marek", "Lewandowski", email, phone),
        delivery=address(
            "Aleje Jerozolimskie", "123A", None, "Warszawa", "02-017", PL,
            first="Marek", last="Lewandowski", phone=phone, email=email,
        ),
        order_=order(
            2,
            [
                goods(2, 1, "Ładowarka USB-C 65W GaN", 1, "89.00", 2001),
                goods(2, 2, "Kabel USB-C – USB-C 2 m", 3, "19.90", 2002),
                goods(2, 3, "Etui silikonowe do telefonu", 2, "34.50", 2003),
                shipping("9.99"),
            ],
            properties(2, 6001, 12, "fullyPaid"),
            dates=dates("2025-03-14T09:58:31.500Z", "2025-03-14T10:07:40.000Z"),
        ),
        payments=(payment("227.69", payment_id(2), "2025-03-14T10:07:40.000Z"),),
        comments=comment(COURIER),
    )  # fmt: skip


@case("f03_pl_paczkomat")
def _f03() -> OrderDraft:
    email, phone = "t0m7wis1aa+0b91d2@allegromail.pl", "+48 512 345 678"
    return draft(
        3,
        contact_=contact("55120981", "Tomasz", "Wiśniewski", email, phone),
        delivery=address(
            "Grunwaldzka", "108", "Paczkomat POZ08A", "Poznań", "60-166", PL,
            first="Tomasz", last="Wiśniewski", phone=phone, email=email,
        ),
        order_=order(
            3,
            [goods(3, 1, "Kalendarz ścienny 2025", 1, "39.90", 3001), shipping("11.99")],
            properties(3, 6001, 11, "fullyPaid"),
        ),
        payments=(payment("51.89", payment_id(3)),),
        comments=comment(
            "Delivery method: Allegro Paczkomaty InPost",
            "Pickup point: POZ08A (Paczkomat POZ08A, Stacja paliw BP)",
        ),
    )  # fmt: skip


@case("f04_pl_cash_on_delivery")
def _f04() -> OrderDraft:
    email, phone = "zbig2n0w+4c4d11@allegromail.pl", "+48 505 404 303"
    return draft(
        4,
        contact_=contact("61002345", "Zbigniew", "Nowicki", email, phone),
        delivery=address(
            "Plac Grunwaldzki", "1", "lok. 3", "Wrocław", "50-377", PL,
            first="Zbigniew", last="Nowicki", phone=phone, email=email,
        ),
        order_=order(
            4,
            [goods(4, 1, 'Zestaw kluczy nasadowych 1/2" 24 el.', 1, "129.00", 4001),
             shipping("19.98")],
            properties(4, 6002, 13, "unpaid"),
            dates=dates(paid=None),
        ),
        comments=comment("Delivery method: Allegro Kurier DPD pobranie"),
    )  # fmt: skip


@case("f05_pl_surcharge")
def _f05() -> OrderDraft:
    email, phone = "ag4t4k+9e9e0a@allegromail.pl", "+48 600 700 800"
    return draft(
        5,
        contact_=contact("72231190", "Agata", "Kamińska", email, phone),
        delivery=address(
            "al. Niepodległości", "18", "lok. 4", "Warszawa", "02-653", PL,
            first="Agata", last="Kamińska", phone=phone, email=email,
        ),
        order_=order(
            5,
            [goods(5, 1, "Lampa biurkowa LED z ładowarką", 1, "149.00", 5001), shipping("19.99")],
            properties(5, 6001, 12, "fullyPaid"),
        ),
        payments=(
            payment("149.00", payment_id(5)),
            payment("19.99", payment_id(5, 1), "2025-03-15T18:20:05.000Z"),
        ),
        comments=comment(COURIER),
    )  # fmt: skip


@case("f06_pl_deposit")
def _f06() -> OrderDraft:
    email, phone = "wod4+5f5f31@allegromail.pl", "+48 691 222 333"
    return draft(
        6,
        contact_=contact("80017731", "Aleksandra", "Wójcik", email, phone),
        delivery=address(
            "ul. Słoneczna", "7", None, "Gdynia", "81-601", PL,
            first="Aleksandra", last="Wójcik", phone=phone, email=email,
        ),
        order_=order(
            6,
            [
                goods(6, 1, "Woda mineralna Cisowianka 1,5 l", 6, "2.79", 6001, vat=PL5),
                extra(10, 6, "Deposit: Woda mineralna Cisowianka 1,5 l", "0.50", vat=PL0),
                shipping("14.99", vat=PL5),
            ],
            properties(6, 6001, 12, "fullyPaid"),
        ),
        payments=(payment("34.73", payment_id(6)),),
        comments=comment(COURIER),
    )  # fmt: skip


@case("f07_pl_additional_service_qty2")
def _f07() -> OrderDraft:
    email, phone = "prani3+6a6a40@allegromail.pl", "+48 730 100 200"
    return draft(
        7,
        contact_=contact("91445501", "Jan", "Mazur", email, phone),
        delivery=address(
            "ul. Ogrodowa", "3", None, "Łódź", "91-065", PL,
            first="Jan", last="Mazur", phone=phone, email=email,
        ),
        order_=order(
            7,
            [
                goods(7, 1, "Pralka Bosch WAN28281PL 8 kg", 1, "1799.00", 7001),
                extra(1, 2, "Wniesienie", "49.00", variation=5001),
                extra(9, 1, "Odbiór zużytego sprzętu", "0.00"),
                shipping("79.00"),
            ],
            properties(7, 6001, 10, "fullyPaid"),
        ),
        payments=(payment("1976.00", payment_id(7)),),
        comments=comment("Delivery method: Allegro Kurier Raben"),
    )  # fmt: skip


@case("f08_pl_zero_price_line")
def _f08() -> OrderDraft:
    email, phone = "rower+7b7b50@allegromail.pl", "+48 601 999 888"
    return draft(
        8,
        contact_=contact("12098876", "Paweł", "Krawczyk", email, phone),
        delivery=address(
            "ul. Lipowa", "22", None, "Białystok", "15-424", PL,
            first="Paweł", last="Krawczyk", phone=phone, email=email,
        ),
        order_=order(
            8,
            [
                goods(8, 1, 'Rower dziecięcy 16" niebieski', 1, "499.00", 8001),
                goods(8, 2, "Dzwonek rowerowy (gratis)", 1, "0.00", 8002),
                shipping("29.99"),
            ],
            properties(8, 6001, 12, "fullyPaid"),
        ),
        payments=(payment("528.99", payment_id(8)),),
        comments=comment(COURIER),
    )  # fmt: skip


@case("f09_pl_smart_free")
def _f09() -> OrderDraft:
    email, phone = "ksiazk1+8c8c60@allegromail.pl", "+48 503 303 303"
    return draft(
        9,
        contact_=contact("33100077", "Magdalena", "Dąbrowska", email, phone),
        delivery=address(
            "Bora Komorowskiego", "39", "Paczkomat KRA31A", "Kraków", "31-876", PL,
            first="Magdalena", last="Dąbrowska", phone=phone, email=email,
        ),
        order_=order(
            9,
            [goods(9, 1, "Wiedźmin. Ostatnie życzenie – Andrzej Sapkowski", 1, "34.99", 9001),
             shipping("0.00")],
            properties(9, 6001, 11, "fullyPaid"),
        ),
        payments=(payment("34.99", payment_id(9)),),
        comments=comment(
            "Delivery method: Allegro Paczkomaty InPost",
            "Pickup point: KRA31A (Paczkomat KRA31A, Stacja paliw BP)",
            "Allegro Smart delivery",
        ),
    )  # fmt: skip


@case("f10_pl_smart_cofinanced")
def _f10() -> OrderDraft:
    email, phone = "sluch4+9d9d70@allegromail.pl", "+48 662 010 020"
    return draft(
        10,
        contact_=contact("40456612", "Krzysztof", "Jankowski", email, phone),
        delivery=address(
            "ul. Piotrkowska", "120", None, "Łódź", "90-006", PL,
            first="Krzysztof", last="Jankowski", phone=phone, email=email,
        ),
        order_=order(
            10,
            [goods(10, 1, "Słuchawki bezprzewodowe ANC", 1, "84.99", 10001), shipping("5.71")],
            properties(10, 6001, 10, "fullyPaid"),
        ),
        payments=(payment("90.70", payment_id(10)),),
        comments=comment("Delivery method: Allegro Kurier ORLEN Paczka", "Allegro Smart delivery"),
        warnings=(
            warn(WarningCode.SMART_DELIVERY_COST,
                 "Allegro Smart order with delivery cost 5.71 PLN", "delivery.cost"),
        ),
    )  # fmt: skip


@case("f11_pl_coins_gift_card")
def _f11() -> OrderDraft:
    email, phone = "catan+0e0e80@allegromail.pl", "+48 788 123 321"
    return draft(
        11,
        contact_=contact("27770001", "Michał", "Piotrowski", email, phone),
        delivery=address(
            "ul. Mickiewicza", "15", "m. 2", "Szczecin", "70-383", PL,
            first="Michał", last="Piotrowski", phone=phone, email=email,
        ),
        order_=order(
            11,
            [goods(11, 1, "Gra planszowa Catan – edycja polska", 1, "159.90", 11001),
             shipping("12.99")],
            properties(11, 6001, 12, "fullyPaid"),
        ),
        payments=(payment("172.89", payment_id(11)),),
        comments=comment(COURIER),
    )  # fmt: skip


@case("f12_pl_teacher_voucher")
def _f12() -> OrderDraft:
    email, phone = "naucz+1f1f90@allegromail.pl", "+48 512 000 111"
    return draft(
        12,
        contact_=contact("66012340", "Barbara", "Grabowska", email, phone),
        delivery=address(
            "ul. Szkolna", "4", None, "Rzeszów", "35-001", PL,
            first="Barbara", last="Grabowska", phone=phone, email=email,
        ),
        order_=order(
            12,
            [goods(12, 1, 'Laptop Lenovo IdeaPad 3 15" i5 16 GB', 1, "2499.00", 12001),
             shipping("0.00")],
            properties(12, 6001, 12, "partlyPaid"),
        ),
        payments=(payment("499.00", payment_id(12)),),
        comments=comment(
            COURIER,
            "Voucher NOTEBOOKS_FOR_TEACHERS (ACTIVE) worth 2000.00 PLN "
            f"on line item {line_id(12, 1)}",
        ),
        warnings=(
            warn(WarningCode.PAYMENT_MISMATCH, "paid 499.00 PLN of 2499.00", "summary.totalToPay"),
        ),
    )  # fmt: skip


ONE_FULFILLMENT_IMPORT = attrs.evolve(
    CONFIG,
    one_fulfillment=OneFulfillmentPolicy.IMPORT,
    one_fulfillment_status_id=Decimal("5.9"),
    one_fulfillment_warehouse_id=7,
)


@case("f13_pl_one_fulfillment", ONE_FULFILLMENT_IMPORT)
def _f13() -> OrderDraft:
    email, phone = "krem+2a2aa0@allegromail.pl", "+48 604 505 606"
    return draft(
        13,
        contact_=contact("50505050", "Anna", "Zając", email, phone),
        delivery=address(
            "ul. Wrocławska", "9", None, "Opole", "45-701", PL,
            first="Anna", last="Zając", phone=phone, email=email,
        ),
        order_=order(
            13,
            [goods(13, 1, "Krem do twarzy Nivea 50 ml", 2, "21.99", 13001), shipping("0.00")],
            properties(13, 6001, 10, "fullyPaid", warehouse=7),
            status_id=Decimal("5.9"),
        ),
        payments=(payment("43.98", payment_id(13)),),
        comments=comment(
            "Allegro One Fulfillment: Allegro's warehouse ships this order. Do not ship it.",
            "Delivery method: Allegro One Kurier",
            "Allegro Smart delivery",
        ),
    )  # fmt: skip


@case("f14_cz_consumer")
def _f14() -> OrderDraft:
    email, phone = "jana+3b3bb0@allegromail.cz", "+420 603 123 456"
    return draft(
        14,
        contact_=contact("70110022", "Jana", "Nováková", email, phone),
        delivery=address(
            "Náměstí Míru", "820/9", None, "Praha 2", "120 00", CZ,
            first="Jana", last="Nováková", phone=phone, email=email,
        ),
        order_=order(
            14,
            [goods(14, 1, "Dětská autosedačka 9–36 kg", 1, "2490.00", 14001,
                   currency="CZK", vat=CZ21),
             shipping("89.00", currency="CZK", vat=CZ21)],
            properties(14, 6001, 10, "fullyPaid"),
        ),
        payments=(payment("2579.00", payment_id(14), currency="CZK"),),
        comments=comment("Delivery method: PPL"),
    )  # fmt: skip


@case("f15_sk_company_vat_eu")
def _f15() -> OrderDraft:
    email, phone = "tech+4c4cc0@allegromail.sk", "+421 905 123 456"
    return draft(
        15,
        contact_=contact("81234567", "Peter", "Horváth", email, phone),
        delivery=address(
            "Priemyselná", "5", None, "Košice", "040 01", SK,
            company="TechServis s.r.o.", first="Peter", last="Horváth", phone=phone, email=email,
        ),
        billing=address(
            "Hlavná", "12/A", None, "Košice", "040 01", SK,
            company="TechServis s.r.o.", vat="SK2120123456", phone=phone, email=email,
        ),
        order_=order(
            15,
            [goods(15, 1, "Tlačiareň HP LaserJet Pro M404dn", 1, "189.00", 15001,
                   currency="EUR", vat=SK23),
             shipping("6.90", currency="EUR", vat=SK23)],
            properties(15, 6001, 10, "fullyPaid"),
        ),
        payments=(payment("195.90", payment_id(15), currency="EUR"),),
        comments=comment(
            "Delivery method: Packeta kuriér",
            "Invoice requested (company)",
            "Intra-EU business buyer: VAT id SK2120123456 verified by Allegro",
        ),
        warnings=(
            warn(WarningCode.INTRA_EU_VAT_BUYER,
                 "EU business buyer with verified VAT id SK2120123456: check the tax treatment",
                 "invoice.address.company.ids"),
        ),
        intra_eu_vat_id="SK2120123456",
    )  # fmt: skip


@case("f16_hu_order")
def _f16() -> OrderDraft:
    email, phone = "anna+5d5dd0@allegromail.hu", "+36 30 123 4567"
    return draft(
        16,
        contact_=contact("90012345", "Anna", "Kovács", email, phone),
        delivery=address(
            "Fő utca", "1.", "2/3", "Budapest", "1011", HU,
            first="Anna", last="Kovács", phone=phone, email=email,
        ),
        order_=order(
            16,
            [goods(16, 1, "Vezeték nélküli egér", 2, "6495.00", 16001, currency="HUF", vat=HU27),
             shipping("1490.00", currency="HUF", vat=HU27)],
            properties(16, 6001, 10, "fullyPaid"),
        ),
        payments=(payment("14480.00", payment_id(16), currency="HUF"),),
        comments=comment("Delivery method: GLS futár"),
    )  # fmt: skip


@case("f17_pl_company_invoice_nip")
def _f17() -> OrderDraft:
    email, phone = "druk+6e6ee0@allegromail.pl", "+48 42 630 11 22"
    company = "Drukarnia Offset-Pol Sp. z o.o."
    return draft(
        17,
        contact_=contact("41414141", "Marek", "Zieliński", email, phone),
        delivery=address(
            "ul. Przemysłowa", "14", None, "Łódź", "93-490", PL,
            company=company, first="Marek", last="Zieliński", phone=phone, email=email,
        ),
        billing=address(
            "ul. Przemysłowa", "14", None, "Łódź", "93-490", PL,
            company=company, vat="7251234567", phone=phone, email=email,
        ),
        order_=order(
            17,
            [goods(17, 1, "Toner HP 59A CF259A", 4, "289.00", 17001), shipping("0.00")],
            properties(17, 6001, 12, "fullyPaid"),
        ),
        payments=(payment("1156.00", payment_id(17)),),
        comments=comment(COURIER, "Invoice requested (company)"),
    )  # fmt: skip


@case("f18_pl_invoice_natural_person")
def _f18() -> OrderDraft:
    email, phone = "perf+7f7ff0@allegromail.pl", "+48 601 300 400"
    return draft(
        18,
        contact_=contact("29292929", "Piotr", "Nowak", email, phone),
        delivery=address(
            "ul. 3 Maja", "12", None, "Sopot", "81-743", PL,
            first="Piotr", last="Nowak", phone=phone, email=email,
        ),
        billing=address(
            "ul. Armii Krajowej", "10", "m 5", "Gdańsk", "80-382", PL,
            first="Ewa", last="Nowak", phone=phone, email=email,
        ),
        order_=order(
            18,
            [goods(18, 1, "Perfumy damskie 50 ml", 1, "219.00", 18001), shipping("13.99")],
            properties(18, 6001, 12, "fullyPaid"),
        ),
        payments=(payment("232.99", payment_id(18)),),
        comments=comment(COURIER, "Invoice requested (private person)"),
    )  # fmt: skip


@case("f19_pl_invoice_taxid_fallback")
def _f19() -> OrderDraft:
    email, phone = "remont+8080a1@allegromail.pl", "+48 505 111 000"
    return draft(
        19,
        contact_=contact("38383838", "Jan", "Kowalski", email, phone),
        delivery=address(
            "ul. Rzemieślnicza", "8", None, "Kielce", "25-001", PL,
            first="Jan", last="Kowalski", phone=phone, email=email,
        ),
        billing=address(
            "ul. Rzemieślnicza", "8", None, "Kielce", "25-001", PL,
            company="Usługi Remontowe Kowalski", vat="6571234567", phone=phone, email=email,
        ),
        order_=order(
            19,
            [goods(19, 1, "Wiertarka udarowa 800 W", 1, "349.00", 19001), shipping("15.00")],
            properties(19, 6001, 12, "fullyPaid"),
        ),
        payments=(payment("364.00", payment_id(19)),),
        comments=comment(COURIER, "Invoice requested (company)"),
    )  # fmt: skip


@case("f20_pl_unknown_variation")
def _f20() -> OrderDraft:
    email, phone = "szal+9191b2@allegromail.pl", "+48 533 444 555"
    return draft(
        20,
        contact_=contact("47474747", "Ola", "Wieczorek", email, phone),
        delivery=address(
            "ul. Zimowa", "1", None, "Zakopane", "34-500", PL,
            first="Ola", last="Wieczorek", phone=phone, email=email,
        ),
        order_=order(
            20,
            [
                goods(20, 1, "Czapka zimowa z pomponem", 1, "59.99", 20001),
                goods(20, 2, "Szalik wełniany", 2, "12.50", None),
                shipping("9.99"),
            ],
            properties(20, 6001, 12, "fullyPaid"),
        ),
        payments=(payment("94.98", payment_id(20)),),
        comments=comment(COURIER),
        warnings=(
            warn(WarningCode.UNASSIGNED_VARIATION,
                 f"line item {line_id(20, 2)} (offer 17720002) has no variation; "
                 "imported as an unassigned item",
                 "lineItems[1]"),
        ),
    )  # fmt: skip


@case(
    "f20_pl_unknown_variation",
    attrs.evolve(CONFIG, unknown_variation=UnknownVariationPolicy.REFUSE),
)
def _f20_refused() -> Refused:
    return Refused("lineItems[1]", f"no variation for line item {line_id(20, 2)} (offer 17720002)")


@case("f21_pl_digital_no_delivery")
def _f21() -> OrderDraft:
    email = "gracz+a2a2c3@allegromail.pl"
    own = address(
        "ul. Kwiatowa", "2a", None, "Lublin", "20-001", PL,
        first="Kamil", last="Szymański", email=email,
    )  # fmt: skip
    return draft(
        21,
        contact_=contact("58585858", "Kamil", "Szymański", email, None),
        delivery=own,
        order_=order(
            21,
            [goods(21, 1, "Klucz Steam – Wiedźmin 3: Dziki Gon GOTY", 1, "49.99", 21001)],
            properties(21, 6001, 10, "fullyPaid"),
            dates=dates(dispatch=None),
        ),
        payments=(payment("49.99", payment_id(21)),),
    )


@case("f22_pl_message_html")
def _f22() -> OrderDraft:
    email, phone = "kubek+b3b3d4@allegromail.pl", "+48 501 502 503"
    return draft(
        22,
        contact_=contact("69696969", "Julia", "Kwiatkowska", email, phone),
        delivery=address(
            "ul. Polna", None, None, "Toruń", "87-100", PL,
            first="Julia", last="Kwiatkowska", phone=phone, email=email,
        ),
        order_=order(
            22,
            [goods(22, 1, "Kubek termiczny 450 ml", 2, "45.00", 22001), shipping("12.00")],
            properties(22, 6001, 12, "fullyPaid"),
        ),
        payments=(payment("102.00", payment_id(22)),),
        comments=comment(
            "Message from the buyer:",
            '> Proszę o <b>czerwony</b> kolor & wysyłkę "na jutro"',
            COURIER,
            "Seller's note:",
            "> VIP – pakować ostrożnie",
        ),
    )  # fmt: skip


@case("f23_pl_mixed_tax_rates")
def _f23() -> OrderDraft:
    email, phone = "fit+c4c4e5@allegromail.pl", "+48 690 690 690"
    return draft(
        23,
        contact_=contact("71717171", "Marta", "Pawlak", email, phone),
        delivery=address(
            "ul. Sportowa", "3/5", None, "Katowice", "40-001", PL,
            first="Marta", last="Pawlak", phone=phone, email=email,
        ),
        order_=order(
            23,
            [
                goods(23, 1, "Suplement diety Witamina D3 2000 IU", 2, "29.99", 23001, vat=PL8),
                goods(23, 2, "Shaker 700 ml", 1, "24.90", 23002, vat=PL23),
                shipping("11.99", vat=PL23),
            ],
            properties(23, 6001, 12, "fullyPaid"),
        ),
        payments=(payment("96.87", payment_id(23)),),
        comments=comment(COURIER),
    )  # fmt: skip


@case("f24_pl_guest_buyer", attrs.evolve(CONFIG, contact_policy=ContactPolicy.GUEST_PER_ORDER))
def _f24() -> OrderDraft:
    email, phone = "gosc+d5d5f6@allegromail.pl", "+48 722 333 444"
    return draft(
        24,
        contact_=contact(None, "Halina", "Sikora", email, phone),
        delivery=address(
            "ul. Leśna", "17", None, "Olsztyn", "10-001", PL,
            first="Halina", last="Sikora", phone=phone, email=email,
        ),
        order_=order(
            24,
            [goods(24, 1, "Pościel bawełniana 160x200", 1, "129.00", 24001), shipping("14.99")],
            properties(24, 6001, 12, "fullyPaid"),
        ),
        payments=(payment("143.99", payment_id(24)),),
        comments=comment(COURIER),
    )  # fmt: skip


@case("f25_pl_overpaid")
def _f25() -> OrderDraft:
    email, phone = "brita+e6e6a7@allegromail.pl", "+48 511 611 711"
    return draft(
        25,
        contact_=contact("12121212", "Robert", "Majewski", email, phone),
        delivery=address(
            "ul. Wodna", "2", None, "Bydgoszcz", "85-001", PL,
            first="Robert", last="Majewski", phone=phone, email=email,
        ),
        order_=order(
            25,
            [goods(25, 1, "Wkład filtrujący Brita Maxtra+", 1, "25.14", 25001), shipping("0.00")],
            properties(25, 6001, 12, "overpaid"),
        ),
        payments=(payment("35.14", payment_id(25)),),
        comments=comment(COURIER),
        warnings=(
            warn(WarningCode.PAYMENT_MISMATCH, "paid 35.14 PLN of 25.14", "summary.totalToPay"),
        ),
    )  # fmt: skip


@case("f26_pl_wire_transfer_discount")
def _f26() -> OrderDraft:
    email, phone = "farby+f7f7b8@allegromail.pl", "+48 698 765 432"
    return draft(
        26,
        contact_=contact("13131313", "Sebastian", "Olszewski", email, phone),
        delivery=address(
            "ul. Malarska", "11", None, "Radom", "26-600", PL,
            first="Sebastian", last="Olszewski", phone=phone, email=email,
        ),
        order_=order(
            26,
            [goods(26, 1, "Farba akrylowa biała 10 l", 2, "45.00", 26001), shipping("10.00")],
            properties(26, 6003, 12, "fullyPaid"),
        ),
        payments=(payment("100.00", payment_id(26), mop=6003),),
        comments=comment(COURIER),
    )  # fmt: skip


@case("f27_pl_extended_term")
def _f27() -> OrderDraft:
    email, phone = "biuro+a8a8c9@allegromail.pl", "+48 22 100 20 30"
    company = "Biuro Serwis Jaworski Sp. j."
    return draft(
        27,
        contact_=contact("14141414", "Grzegorz", "Jaworski", email, phone),
        delivery=address(
            "ul. Biurowa", "1", "lok. 10", "Warszawa", "00-001", PL,
            company=company, first="Grzegorz", last="Jaworski", phone=phone, email=email,
        ),
        billing=address(
            "ul. Biurowa", "1", "lok. 10", "Warszawa", "00-001", PL,
            company=company, vat="5261234567", phone=phone, email=email,
        ),
        order_=order(
            27,
            [goods(27, 1, "Papier ksero A4 80 g, karton 5 ryz", 3, "109.00", 27001),
             shipping("0.00")],
            properties(27, 6099, 12, "fullyPaid"),
        ),
        payments=(payment("327.00", payment_id(27), mop=6099),),
        comments=comment(COURIER, "Invoice requested (company)"),
    )  # fmt: skip


@case("f28_pl_village_invoice_without_address")
def _f28() -> OrderDraft:
    email, phone = "wies+b9b9da@allegromail.pl", "+48 607 100 100"
    return draft(
        28,
        contact_=contact("15151515", "Stanisław", "Kaczmarek", email, phone),
        delivery=address(
            "Zalesie", "12", None, "Zalesie", "05-540", PL,
            first="Stanisław", last="Kaczmarek", phone=phone, email=email,
        ),
        order_=order(
            28,
            [goods(28, 1, "Sekator ogrodowy", 1, "59.00", 28001), shipping("12.99")],
            properties(28, 6001, 12, "fullyPaid"),
        ),
        payments=(payment("71.99", payment_id(28)),),
        comments=comment(COURIER, "Invoice requested (private person)"),
        warnings=(
            warn(WarningCode.INVOICE_WITHOUT_ADDRESS,
                 "an invoice is required but has no address; billing uses the delivery address",
                 "invoice.address"),
        ),
    )  # fmt: skip


@case("f29_err_unknown_country")
def _f29() -> Refused:
    # Destination VAT looks for a VAT configuration for UA first.
    return Refused("delivery.address.countryCode", "no VAT configuration for country 'UA'")


@case(
    "f29_err_unknown_country",
    attrs.evolve(CONFIG, vat=attrs.evolve(CONFIG.vat, basis=VatBasis.ORIGIN)),
)
def _f29_origin() -> Refused:
    # Origin VAT (PL) gets as far as the address: UA has no plentymarkets country id.
    return Refused("delivery.address.countryCode", "unknown country code 'UA'")


@case("f30_err_totals_mismatch")
def _f30() -> Refused:
    return Refused(
        "summary.totalToPay.amount",
        "totals mismatch: the items add up to 74.96 PLN, summary.totalToPay is 74.97",
    )


@case("f31_err_mixed_currency")
def _f31() -> Refused:
    return Refused("delivery.cost.currency", "mixed currencies: 'EUR' in an order in 'PLN'")


@case("f13_pl_one_fulfillment")
def _f13_skipped() -> SkippedOrder:
    # CONFIG says SKIP: final for this configuration.
    return SkippedOrder(
        form_id(13),
        SkipReason.ONE_FULFILLMENT,
        True,
        "Allegro One Fulfillment order; the configuration skips them",
    )


@case(
    "f13_pl_one_fulfillment",
    attrs.evolve(CONFIG, one_fulfillment=OneFulfillmentPolicy.IMPORT),
)
def _f13_not_configured() -> SkippedOrder:
    # Import, but no status and warehouse of its own yet: never the normal ones.
    return SkippedOrder(
        form_id(13),
        SkipReason.ONE_FULFILLMENT_NOT_CONFIGURED,
        False,
        "Allegro One Fulfillment order; configure one_fulfillment_status_id and "
        "one_fulfillment_warehouse_id to import it",
    )


# --- tests -----------------------------------------------------------------------------------


def test_there_are_at_least_25_fixtures_each_with_a_reason_and_an_expectation() -> None:
    names = fixture_names()
    assert len(names) >= 25
    for name in names:
        reason = fixture(name).reason
        assert reason.strip(), name
        assert "\n" not in reason, name
    assert {name for name, _, _ in CASES} == set(names)


@pytest.mark.spec
@pytest.mark.parametrize("name", fixture_names())
def test_fixture_is_valid_against_the_official_checkout_form_schema(name: str) -> None:
    assert schema_errors(fixture(name).raw) == []


@pytest.mark.spec
def test_the_schema_check_rejects_a_broken_form() -> None:
    # Negative control: the validator really looks at formats, enums, types and nulls.
    raw = dict(fixture("f01_pl_courier_basic").raw)
    raw["id"] = "not-a-uuid"
    raw["status"] = "SHIPPED_BY_PIGEON"
    raw["summary"] = {"totalToPay": {"amount": 64.97, "currency": "PLN"}}
    raw["messageToSeller"] = None
    errors = schema_errors(raw)
    assert any(e.startswith("id:") for e in errors)
    assert any(e.startswith("status:") for e in errors)
    assert any(e.startswith("summary.totalToPay.amount:") for e in errors)
    assert any(e.startswith("messageToSeller:") for e in errors)


@pytest.mark.parametrize(
    ("name", "config", "build"),
    CASES,
    ids=[f"{name}-{build.__name__.strip('_')}" for name, _, build in CASES],
)
def test_fixture_maps_to_the_hand_written_draft(
    name: str, config: MappingConfig, build: Expectation
) -> None:
    source = fixture(name)
    expected = build()
    mapper = OrderMapper(config)
    if isinstance(expected, Refused):
        with pytest.raises(MappingError) as caught:
            mapper.map(source.form(), source.context())
        assert caught.value.checkout_form_id == source.raw["id"]
        assert caught.value.field_path == expected.field_path
        assert expected.reason in caught.value.reason
        assert caught.value.__cause__ is None
        return
    result = mapper.map(source.form(), source.context())
    assert result == expected


def test_items_of_every_mapped_fixture_add_up_to_total_to_pay() -> None:
    # Cross-check of the hand-written drafts themselves: a typo in an expected
    # price would otherwise only show up as a confusing diff.
    for name, _, build in CASES:
        expected = build()
        if isinstance(expected, OrderDraft):
            total = Decimal(fixture(name).raw["summary"]["totalToPay"]["amount"])
            assert expected.total == total, name
