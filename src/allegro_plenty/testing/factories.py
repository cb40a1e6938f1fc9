"""Realistic test data: Allegro checkout forms and a plentymarkets catalogue to match.

Checkout forms come out as JSON, exactly as Allegro sends them, ready for
:meth:`FakeAllegro.add_checkout_form <allegro_plenty.testing.FakeAllegro.add_checkout_form>`::

    form = checkout_form(country="CZ", delivery="parcel_locker", company=True, items=3, seed=4)
    allegro.add_checkout_form(form)
    seed_catalogue(plenty, [form])  # a variation for every offer's external id

Everything is deterministic for a given ``seed``. Amounts are consistent the
way Allegro's are: ``summary.totalToPay`` is the line items (price x quantity),
their deposits and additional services, and delivery, and it equals
``payment.paidAmount`` plus every surcharge's ``paidAmount`` (a surcharge pays
for a change already in the form, here a dearer delivery).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs

from .._convert import format_allegro_datetime

if TYPE_CHECKING:
    from .plenty_fake import FakePlenty

__all__ = [
    "COUNTRIES",
    "Buyerland",
    "checkout_form",
    "seed_catalogue",
]

CENT = Decimal("0.01")


@attrs.frozen
class Buyerland:
    """What a buyer from one country looks like on Allegro."""

    country: str
    marketplace: str
    currency: str
    language: str
    phone_prefix: str
    vat_rate: str
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    streets: tuple[str, ...]
    cities: tuple[tuple[str, str], ...]
    """``(city, postal code)`` pairs."""
    company_ids: tuple[tuple[str, str], ...]
    """``(type, value)`` pairs as in ``invoice.address.company.ids``."""
    companies: tuple[str, ...]
    lockers: tuple[tuple[str, str], ...]
    """``(pickup point id, method name)``."""
    price_scale: Decimal
    """Prices are drawn in PLN and multiplied by this."""


COUNTRIES: Mapping[str, Buyerland] = {
    "PL": Buyerland(
        country="PL",
        marketplace="allegro-pl",
        currency="PLN",
        language="pl-PL",
        phone_prefix="+48",
        vat_rate="23.00",
        first_names=("Katarzyna", "Piotr", "Małgorzata", "Grzegorz", "Zofia", "Łukasz"),
        last_names=("Wiśniewska", "Nowak", "Wójcik", "Kamiński", "Lewandowska", "Zieliński"),
        streets=(
            "ul. Marszałkowska 84/92",
            "ul. Długa 5 m. 12",
            "al. Jerozolimskie 123A",
            "ul. Świętojańska 7",
        ),
        cities=(
            ("Warszawa", "00-950"),
            ("Kraków", "31-042"),
            ("Gdańsk", "80-831"),
            ("Łódź", "90-001"),
        ),
        company_ids=(("PL_NIP", "5261040828"),),
        companies=("Hurtownia Żółw Sp. z o.o.", "Przedsiębiorstwo Handlowe Kłos S.A."),
        lockers=(("WAW01M", "Allegro Paczkomaty InPost"), ("KRA12A", "Allegro Paczkomaty InPost")),
        price_scale=Decimal(1),
    ),
    "CZ": Buyerland(
        country="CZ",
        marketplace="allegro-cz",
        currency="CZK",
        language="cs-CZ",
        phone_prefix="+420",
        vat_rate="21.00",
        first_names=("Jiří", "Kateřina", "Tomáš", "Lucie", "Jan", "Petra"),
        last_names=("Dvořák", "Černá", "Procházka", "Kučerová", "Novotný", "Svobodová"),
        streets=("Václavské náměstí 28", "Třída Svobody 12", "Křižíkova 148/34", "Údolní 53"),
        cities=(
            ("Praha", "110 00"),
            ("Brno", "602 00"),
            ("Ostrava", "702 00"),
            ("Plzeň", "301 00"),
        ),
        company_ids=(("CZ_ICO", "27082440"), ("CZ_DIC", "CZ27082440")),
        companies=("Pivovar U Medvídků s.r.o.", "Českomoravská obchodní a.s."),
        lockers=(("CZ10234", "AlzaBox"), ("CZ20011", "Balíkovna")),
        price_scale=Decimal("5.8"),
    ),
    "SK": Buyerland(
        country="SK",
        marketplace="allegro-sk",
        currency="EUR",
        language="sk-SK",
        phone_prefix="+421",
        vat_rate="23.00",
        first_names=("Ľubomír", "Zuzana", "Marek", "Jana", "Štefan", "Mária"),
        last_names=("Horváth", "Kováčová", "Varga", "Tóthová", "Baláž", "Nagyová"),
        streets=("Obchodná 54", "Štúrova 9", "Hlavná 112", "Námestie SNP 3"),
        cities=(
            ("Bratislava", "811 01"),
            ("Košice", "040 01"),
            ("Žilina", "010 01"),
            ("Nitra", "949 01"),
        ),
        company_ids=(("SK_ICO", "35763469"), ("SK_IC_DPH", "SK2020273893")),
        companies=("Slovenská obchodná spol. s r.o.", "Tatranský dom a.s."),
        lockers=(("SK0042", "Packeta Z-BOX"), ("SK1175", "Packeta Z-BOX")),
        price_scale=Decimal("0.23"),
    ),
    "HU": Buyerland(
        country="HU",
        marketplace="allegro-hu",
        currency="HUF",
        language="hu-HU",
        phone_prefix="+36",
        vat_rate="27.00",
        first_names=("Zsófia", "Bence", "Eszter", "Gergő", "Réka", "Ádám"),
        last_names=("Nagy", "Kovács", "Tóth", "Szabó", "Horváth", "Varga"),
        streets=("Andrássy út 60", "Váci utca 19", "Rákóczi út 42", "Szent István körút 11"),
        cities=(("Budapest", "1061"), ("Debrecen", "4024"), ("Szeged", "6720"), ("Győr", "9021")),
        company_ids=(("HU_ADOSZAM", "12345676-2-41"),),
        companies=("Dunai Kereskedelmi Kft.", "Pusztai Pékség Zrt."),
        lockers=(("HU4471", "Foxpost automata"), ("HU0918", "GLS automata")),
        price_scale=Decimal("92"),
    ),
}

_PRODUCTS = (
    ("Kubek ceramiczny 350 ml", Decimal("24.99")),
    ("Słuchawki bezprzewodowe BT 5.3", Decimal("149.00")),
    ("Kabel USB-C 2 m oplot", Decimal("19.90")),
    ("Lampka biurkowa LED z ładowarką", Decimal("89.99")),
    ("Woda mineralna 1,5 l zgrzewka 6 szt.", Decimal("14.94")),
    ("Plecak miejski 25 l", Decimal("129.00")),
    ("Herbata czarna liściasta 250 g", Decimal("32.50")),
    ("Etui na telefon silikonowe", Decimal("29.99")),
)


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _money(amount: Decimal, currency: str) -> dict[str, str]:
    return {"amount": f"{amount.quantize(CENT)}", "currency": currency}


def _price(base: Decimal, land: Buyerland) -> Decimal:
    # Whole units for CZK and HUF, as Allegro prices there are shown.
    value = base * land.price_scale
    return value.quantize(Decimal(1)) if land.currency in ("CZK", "HUF") else value.quantize(CENT)


def checkout_form(
    *,
    country: str = "PL",
    status: str = "READY_FOR_PROCESSING",
    fulfillment_status: str = "NEW",
    items: int = 2,
    delivery: str = "courier",
    company: bool = False,
    deposit: bool = False,
    additional_service: bool = False,
    surcharges: Sequence[Decimal | str] = (),
    payment_type: str = "ONLINE",
    provider: str = "SELLER",
    bought_at: datetime | None = None,
    message_to_seller: str | None = None,
    seed: int = 0,
    form_id: str | None = None,
    external_ids: Sequence[str] | None = None,
) -> dict[str, Any]:
    """A checkout form as Allegro sends it.

    Args:
        country: The buyer's country: ``"PL"``, ``"CZ"``, ``"SK"`` or ``"HU"``;
            it sets the marketplace, currency, language, names and addresses.
        status: The form status (``READY_FOR_PROCESSING`` = paid, or COD).
        fulfillment_status: The seller-side status.
        items: How many line items (different offers).
        delivery: ``"courier"``, ``"parcel_locker"`` (a pickup point) or
            ``"pickup"`` (personal pickup, no delivery cost).
        company: The buyer wants a company invoice (``invoice.address.company``
            with the country's tax ids).
        deposit: The first line item carries a deposit (kaucja) per unit.
        additional_service: The first line item has a paid additional service.
        surcharges: Amounts of paid surcharges (dopłaty); each is a payment of
            its own for a change already in the form, as on Allegro: here the
            delivery became dearer by it, so ``delivery.cost`` and
            ``summary.totalToPay`` include it and ``payment.paidAmount`` does
            not (allegro-api #1103, #2573).
        payment_type: ``ONLINE``, ``CASH_ON_DELIVERY``, ``WIRE_TRANSFER`` ...;
            COD forms have no ``paidAmount``.
        provider: ``SELLER`` or ``ALLEGRO`` (One Fulfillment).
        bought_at: Purchase time (UTC); a fixed date by default.
        message_to_seller: The buyer's note.
        seed: Makes a different, but reproducible, buyer and basket.
        form_id: The checkout-form id (a UUID derived from ``seed`` by default).
        external_ids: The offers' external ids (the seller's SKUs); ``SKU-<n>``
            by default. :func:`seed_catalogue` creates variations for them.
    """
    if country not in COUNTRIES:
        raise ValueError(f"country must be one of {sorted(COUNTRIES)}, not {country!r}")
    if delivery not in ("courier", "parcel_locker", "pickup"):
        raise ValueError("delivery must be 'courier', 'parcel_locker' or 'pickup'")
    if items < 1:
        raise ValueError("a checkout form has at least one line item")
    surcharge_values = [Decimal(str(amount)) for amount in surcharges]
    if not all(v.is_finite() and v > 0 and v == v.quantize(CENT) for v in surcharge_values):
        raise ValueError(f"surcharges must be positive amounts in cents, not {surcharges!r}")
    surcharged = sum(surcharge_values, Decimal(0))
    land = COUNTRIES[country]
    rng = random.Random(f"{country}:{seed}")
    currency = land.currency
    when = bought_at or datetime(2025, 3, 1, 10, 15, tzinfo=timezone.utc) + timedelta(
        minutes=seed % 997
    )
    first, last = rng.choice(land.first_names), rng.choice(land.last_names)
    street = rng.choice(land.streets)
    city, zip_code = rng.choice(land.cities)
    buyer_id = str(rng.randrange(10_000_000, 99_999_999))
    digits = (rng.randrange(500, 899), rng.randrange(100, 999), rng.randrange(100, 999))
    phone = " ".join([land.phone_prefix, *map(str, digits)])

    products = rng.sample(_PRODUCTS, k=min(items, len(_PRODUCTS)))
    while len(products) < items:
        products.append(rng.choice(_PRODUCTS))
    line_items: list[dict[str, Any]] = []
    total = Decimal(0)
    for index, (name, base) in enumerate(products):
        unit = _price(base, land)
        quantity = rng.randint(1, 3)
        original = unit if index else _price(base * Decimal("1.1"), land)
        item: dict[str, Any] = {
            "id": _uuid(rng),
            "offer": {
                "id": str(rng.randrange(10_000_000_000, 19_999_999_999)),
                "name": name,
                "external": {
                    "id": external_ids[index]
                    if external_ids and index < len(external_ids)
                    else f"SKU-{seed}-{index + 1}"
                },
            },
            "quantity": quantity,
            "originalPrice": _money(original, currency),
            "price": _money(unit, currency),
            "tax": {"rate": land.vat_rate, "subject": "GROSS"},
            "boughtAt": format_allegro_datetime(when),
        }
        if original != unit:
            item["discounts"] = [{"type": "CAMPAIGN"}]
        total += unit * quantity
        if deposit and index == 0:
            deposit_price = _price(Decimal("0.50"), land)
            item["deposit"] = {"price": _money(deposit_price, currency)}
            total += deposit_price * quantity
        if additional_service and index == 0:
            service = _price(Decimal("9.99"), land)
            item["selectedAdditionalServices"] = [
                {
                    "definitionId": "GIFT_WRAP",
                    "name": "Pakowanie na prezent",
                    "price": _money(service, currency),
                    "quantity": 1,
                }
            ]
            total += service
        line_items.append(item)

    delivery_part: dict[str, Any] = {
        "address": {
            "firstName": first,
            "lastName": last,
            "street": street,
            "city": city,
            "zipCode": zip_code,
            "countryCode": country,
            "phoneNumber": phone,
        },
        "smart": False,
        "calculatedNumberOfPackages": 1,
        "time": {
            "dispatch": {
                "from": format_allegro_datetime(when + timedelta(days=1)),
                "to": format_allegro_datetime(when + timedelta(days=2)),
            }
        },
    }
    if delivery == "pickup":
        delivery_part["method"] = {"id": _uuid(rng), "name": "Odbiór osobisty"}
        delivery_part["cost"] = _money(surcharged, currency)
        total += surcharged
    else:
        cost = _price(Decimal("12.99") if delivery == "courier" else Decimal("9.99"), land)
        delivery_part["cost"] = _money(cost + surcharged, currency)
        total += cost + surcharged
        if delivery == "courier":
            delivery_part["method"] = {"id": _uuid(rng), "name": "Allegro Kurier DPD"}
        else:
            point_id, method = rng.choice(land.lockers)
            delivery_part["method"] = {"id": _uuid(rng), "name": method}
            delivery_part["pickupPoint"] = {
                "id": point_id,
                "name": f"{method} {point_id}",
                "description": "Przy wejściu do sklepu",
                "address": {
                    "street": street,
                    "zipCode": zip_code,
                    "city": city,
                    "countryCode": country,
                },
            }

    invoice: dict[str, Any] = {"required": company}
    if company:
        company_name = rng.choice(land.companies)
        ids = [{"type": kind, "value": value} for kind, value in land.company_ids]
        invoice["address"] = {
            "street": street,
            "city": city,
            "zipCode": zip_code,
            "countryCode": country,
            "company": {
                "name": company_name,
                "ids": ids,
                "vatPayerStatus": "ACTIVE",
                "taxId": ids[-1]["value"],
            },
        }
        if country != "PL":
            invoice["features"] = ["VAT_EU_VERIFIED"]

    payment: dict[str, Any] = {"id": _uuid(rng), "type": payment_type}
    paid = status == "READY_FOR_PROCESSING" and payment_type != "CASH_ON_DELIVERY"
    if payment_type != "CASH_ON_DELIVERY":
        payment["provider"] = "P24" if rng.random() < 0.5 else "PAYU"
    if status == "READY_FOR_PROCESSING":
        payment["finishedAt"] = format_allegro_datetime(when + timedelta(minutes=2))
    if paid:
        payment["paidAmount"] = _money(total - surcharged, currency)

    surcharge_parts = []
    for index, value in enumerate(surcharge_values):
        surcharge_parts.append(
            {
                "id": _uuid(rng),
                "type": "ONLINE",
                "provider": "P24",
                "finishedAt": format_allegro_datetime(when + timedelta(hours=1 + index)),
                "paidAmount": _money(value, currency),
            }
        )

    buyer: dict[str, Any] = {
        "id": buyer_id,
        # A per-order relay alias, never the buyer's real address (allegro-api #3981).
        "email": f"{rng.getrandbits(40):010x}+{buyer_id}@allegromail.pl",
        "login": f"{first.lower()}_{buyer_id[-4:]}",
        "firstName": first,
        "lastName": last,
        "guest": False,
        "phoneNumber": phone,
        "preferences": {"language": land.language},
        "address": {"street": street, "city": city, "postCode": zip_code, "countryCode": country},
    }
    if company:
        buyer["companyName"] = invoice["address"]["company"]["name"]

    form: dict[str, Any] = {
        "id": form_id or str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "buyer": buyer,
        "payment": payment,
        "status": status,
        "fulfillment": {
            "status": fulfillment_status,
            "shipmentSummary": {"lineItemsSent": "NONE"},
            "provider": {"id": provider},
        },
        "delivery": delivery_part,
        "invoice": invoice,
        "lineItems": line_items,
        "surcharges": surcharge_parts,
        "note": {"text": ""},
        "marketplace": {"id": land.marketplace},
        "summary": {"totalToPay": _money(total, currency)},
    }
    if message_to_seller:
        form["messageToSeller"] = message_to_seller
    return form


def seed_catalogue(
    plenty: FakePlenty,
    forms: Iterable[Mapping[str, Any]],
    *,
    by: str = "number",
    skip: Iterable[str] = (),
) -> dict[str, int]:
    """Create a plenty variation for every offer external id in ``forms``.

    Args:
        plenty: The fake to fill.
        forms: Checkout forms (JSON).
        by: How the variation is findable: ``"number"`` (variation number =
            external id), ``"barcode"`` (an EAN derived from it, also stored as
            the number) or ``"sku"`` (a market SKU for the Allegro referrer).
        skip: External ids to leave out (offers that do not match anything).

    Returns:
        ``{external id: variation id}``.
    """
    if by not in ("number", "barcode", "sku"):
        raise ValueError("by must be 'number', 'barcode' or 'sku'")
    skipped = set(skip)
    made: dict[str, int] = {}
    for form in forms:
        for item in form.get("lineItems", []):
            external = (item["offer"].get("external") or {}).get("id")
            if not external or external in skipped or external in made:
                continue
            variation = plenty.add_variation(
                number=external,
                name=item["offer"]["name"],
                barcode=ean13(external) if by == "barcode" else None,
                skus=[(None, external)] if by == "sku" else (),
            )
            made[external] = variation
    return made


def ean13(text: str) -> str:
    """A valid EAN-13 derived from ``text`` (stable, for test catalogues)."""
    digits = f"590{abs(hash_text(text)) % 10**9:09d}"
    checksum = (10 - sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10) % 10
    return digits + str(checksum)


def hash_text(text: str) -> int:
    """A process-independent integer hash (``hash()`` is salted per process)."""
    value = 0
    for char in text.encode("utf-8"):
        value = (value * 131 + char) % (2**61 - 1)
    return value
