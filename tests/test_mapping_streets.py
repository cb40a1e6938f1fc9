"""The street split: one street line → (street, house number, additional line)."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from hypothesis import Phase, example, given, settings
from hypothesis import strategies as st

from allegro_plenty.allegro.models import CheckoutForm
from allegro_plenty.mapping import (
    OrderDraft,
    OrderMapper,
    StreetParts,
    WarningCode,
    addresses,
    split_street,
)
from allegro_plenty.mapping.addresses import _MARKERS

from .mapping_support import CONFIG, STRICT, fixture

TABLE = [
    # The forms the issue names.
    ("ul. Długa 5/7 m. 12", ("ul. Długa", "5/7", "m. 12")),
    ("Aleje Jerozolimskie 123A", ("Aleje Jerozolimskie", "123A", None)),
    ("Plac Grunwaldzki 1 lok. 3", ("Plac Grunwaldzki", "1", "lok. 3")),
    ("al. Niepodległości 18 lok. 4", ("al. Niepodległości", "18", "lok. 4")),
    ("os. Tysiąclecia 5/12", ("os. Tysiąclecia", "5/12", None)),
    ("ul. Polna", ("ul. Polna", None, None)),
    ("Zalesie 12", ("Zalesie", "12", None)),
    ("Náměstí Míru 820/9", ("Náměstí Míru", "820/9", None)),
    ("Fő utca 1. 2/3", ("Fő utca", "1.", "2/3")),
    # Numbers inside street names stay in the street.
    ("ul. 3 Maja 12", ("ul. 3 Maja", "12", None)),
    ("Aleja 29 Listopada 5/7", ("Aleja 29 Listopada", "5/7", None)),
    ("os. 1000-lecia 5", ("os. 1000-lecia", "5", None)),
    # Flat markers written in other ways.
    ("ul. Armii Krajowej 10 m 5", ("ul. Armii Krajowej", "10", "m 5")),
    ("ul. Długa 5, m.12", ("ul. Długa", "5", "m.12")),
    ("ul. Mickiewicza 15 m. 2", ("ul. Mickiewicza", "15", "m. 2")),
    # Slovak, Czech and Hungarian variants.
    ("Hlavná 12/A", ("Hlavná", "12/A", None)),
    ("Horní Lhota 123", ("Horní Lhota", "123", None)),
    (
        "Kossuth Lajos utca 12. 3. emelet 4. ajtó",
        ("Kossuth Lajos utca", "12.", "3. emelet 4. ajtó"),
    ),
    ("Petőfi tér 5. fszt. 2", ("Petőfi tér", "5.", "fszt. 2")),
    ("Váci út 1-3.", ("Váci út", "1-3.", None)),
    # Whitespace is normalised.
    ("  ul.  Długa   5  ", ("ul. Długa", "5", None)),
]

ISSUE_8 = [
    # Issue 8, point 18: each of these gave the flat or the door code as the house number.
    ("Váci út 1-3. IV. em. 12.", ("Váci út", "1-3.", "IV. em. 12.")),
    ("Petőfi utca 5. II. em. 3.", ("Petőfi utca", "5.", "II. em. 3.")),
    ("ul. Długa 5 kl. II m. 3", ("ul. Długa", "5", "kl. II m. 3")),
    ("Hlavná 12, byt č. 5", ("Hlavná", "12", "byt č. 5")),
    ("ul. Długa 5 m. 3 kod 1234", ("ul. Długa", "5", "m. 3 kod 1234")),
    ("ul. Długa 5 / 7", ("ul. Długa", "5/7", None)),
]

POLISH = [
    ("al. Jana Pawła II 12 lok. 4", ("al. Jana Pawła II", "12", "lok. 4")),
    ("pl. Wolności 1/3", ("pl. Wolności", "1/3", None)),
    ("os. Zielone 5 klatka B m. 3", ("os. Zielone", "5", "klatka B m. 3")),
    ("ul. Długa 5 kl. C, m. 3", ("ul. Długa", "5", "kl. C, m. 3")),
    ("ul. Długa 5 I p.", ("ul. Długa", "5", "I p.")),
    ("ul. Długa 5 m. 3 IV piętro", ("ul. Długa", "5", "m. 3 IV piętro")),
    ("ul. Długa 5 /7 m. 3", ("ul. Długa", "5/7", "m. 3")),
    ("ul. Długa 5/ 7", ("ul. Długa", "5/7", None)),
    ("ul. Długa nr 5 m. 3", ("ul. Długa", "nr 5", "m. 3")),
    ("ul. Długa 5, lok. 3", ("ul. Długa", "5", "lok. 3")),
    ("ul. Długa 5 lok.3,", ("ul. Długa", "5", "lok.3")),
]

CZECH_SLOVAK = [
    ("Horní Lhota č.p. 123", ("Horní Lhota", "č.p. 123", None)),
    ("Dolní Lhota čp. 45", ("Dolní Lhota", "čp. 45", None)),
    ("Malá Lhota č. p. 7", ("Malá Lhota", "č. p. 7", None)),
    ("Hlavná č. 12", ("Hlavná", "č. 12", None)),
    ("Masarykova 820, č.o. 9", ("Masarykova", "820", "č.o. 9")),
    ("Hlavní 1234/5a", ("Hlavní", "1234/5a", None)),
    ("Hlavná 12/3", ("Hlavná", "12/3", None)),
    ("Hlavná 12 / 3, byt 4", ("Hlavná", "12/3", "byt 4")),
    (
        "Dlhá 5, vchod B, poschodie 3, byt č. 12",
        ("Dlhá", "5", "vchod B, poschodie 3, byt č. 12"),
    ),
    ("Údolní 53 vchod A 2. patro", ("Údolní", "53", "vchod A 2. patro")),
]

HUNGARIAN = [
    ("Andrássy út 12. fsz. 1.", ("Andrássy út", "12.", "fsz. 1.")),
    (
        "Szent István körút 5. III. em. 2. ajtó",
        ("Szent István körút", "5.", "III. em. 2. ajtó"),
    ),
    ("Teréz krt. 12. 2. em. 5.", ("Teréz krt.", "12.", "2. em. 5.")),
    ("Kossuth tér 3. B lph. 2. em. 4.", ("Kossuth tér", "3.", "B lph. 2. em. 4.")),
    (
        "Kossuth tér 3. A lépcsőház 1. em. 2. ajtó",
        ("Kossuth tér", "3.", "A lépcsőház 1. em. 2. ajtó"),
    ),
    ("Bartók Béla út 12. IV/3", ("Bartók Béla út", "12.", "IV/3")),
    ("Fő utca 1 - 3.", ("Fő utca", "1-3.", None)),
    ("Váci út 1–3. fszt.", ("Váci út", "1–3.", "fszt.")),
]

DOOR_CODES = [
    ("os. Zielone 5 m. 3, kod: 12#34", ("os. Zielone", "5", "m. 3, kod: 12#34")),
    ("ul. Długa 5 m. 3 domofon 3K", ("ul. Długa", "5", "m. 3 domofon 3K")),
    ("Hlavná 12, byt 5, kód *1234", ("Hlavná", "12", "byt 5, kód *1234")),
    ("Petőfi utca 5. 2. em. 3. kapukód 1234#", ("Petőfi utca", "5.", "2. em. 3. kapukód 1234#")),
]

LETTERS_RANGES_VILLAGES = [
    ("ul. Długa 12a", ("ul. Długa", "12a", None)),
    ("ul. Długa 12 A", ("ul. Długa", "12A", None)),
    ("ul. Długa 12 b m. 3", ("ul. Długa", "12b", "m. 3")),
    ("ul. Długa 5-7", ("ul. Długa", "5-7", None)),
    ("ul. Długa 5 - 7 m. 2", ("ul. Długa", "5-7", "m. 2")),
    ("Wola Mała 12", ("Wola Mała", "12", None)),
    ("Wola Mała 12 B", ("Wola Mała", "12B", None)),
    ("Rynek", ("Rynek", None, None)),
    ("Wola Mała", ("Wola Mała", None, None)),
    ("Kraków - Nowa Huta", ("Kraków - Nowa Huta", None, None)),
    # Numbers inside street names: dates, Hungarian street types after them.
    ("ul. 11 listopada 5", ("ul. 11 listopada", "5", None)),
    ("Ulica 1. mája 12", ("Ulica 1. mája", "12", None)),
    ("Náměstí 28. října 1234/5", ("Náměstí 28. října", "1234/5", None)),
    ("Október 6. utca 12. 2. em.", ("Október 6. utca", "12.", "2. em.")),
    ("Október 6. utca, 12.", ("Október 6. utca", "12.", None)),
    ("ul. Długa 5 lok. U1", ("ul. Długa", "5", "lok. U1")),
]

SPLIT = TABLE + ISSUE_8 + POLISH + CZECH_SLOVAK + HUNGARIAN + DOOR_CODES + LETTERS_RANGES_VILLAGES

NOT_SPLIT = [
    # Lines with a number the rules cannot place: kept whole, with a warning.
    "12",
    "ul. Przemysłowa 14 hala B",
    "ul. 3 Maja",
    "ul. Długa 5 lewe wejście",
    "ul. Długa 5,7",
    "Hlavná 12, byt č. 5, zvoniť dvakrát",
    "ul. Długa 5 / m. 3",
    "č.p. 12",
    ", 12",
    # A number followed by words that are not a name: never guess the later number.
    "ul. Długa 5 lewe wejście 3",
    "ul. Długa 5 IV. em. parter 3",
    "Hlavná 12, byt 5, zvoniť 3",
]


@pytest.mark.parametrize(("line", "expected"), SPLIT, ids=[line for line, _ in SPLIT])
def test_split_street(line: str, expected: tuple[str, str | None, str | None]) -> None:
    assert split_street(line) == StreetParts(*expected)


@pytest.mark.parametrize("line", NOT_SPLIT)
def test_a_line_the_rules_do_not_cover_is_kept_whole_with_a_warning(line: str) -> None:
    assert split_street(line) == StreetParts(
        " ".join(line.split()), warning=WarningCode.STREET_NOT_SPLIT
    )


def test_a_line_without_any_number_is_a_street_without_a_warning() -> None:
    assert split_street("ul. Polna").warning is None
    assert split_street("Wola Mała").warning is None


def test_split_keeps_every_word() -> None:
    # Nothing the buyer typed is dropped: the parts put back together give the line.
    for line, _ in SPLIT:
        parts = split_street(line)
        joined = " ".join(p for p in (parts.street, parts.house_number, parts.additional) if p)
        assert _squeeze(joined.replace(",", "")) == _squeeze(line.replace(",", ""))


# --- the property: nothing lost, nothing invented, never raises --------------------------------


def _squeeze(text: str) -> str:
    return "".join(text.split())


def _assert_reconstructs(line: str, parts: StreetParts) -> None:
    """``street + house number + additional`` is ``line`` modulo whitespace, except for the
    commas that separated the parts (dropped at a cut, and only there)."""
    pieces = [parts.street, parts.house_number or "", parts.additional or ""]
    if parts.house_number is None:
        assert parts.additional is None
        assert parts.street == " ".join(line.split())
        return
    assert _squeeze(parts.street), "a house number needs a street before it"
    assert parts.warning is None
    rest = _squeeze(line)
    for index, piece in enumerate(map(_squeeze, pieces)):
        assert not piece.endswith(","), piece
        if index:  # a cut: the commas before the piece may go
            assert not piece.startswith(","), piece
            rest = rest.lstrip(",")
        assert rest.startswith(piece), (rest, piece)
        rest = rest[len(piece) :]
    assert rest.strip(",") == "", rest
    # Each part is whitespace-normalised: single spaces, no edges.
    for piece in pieces:
        assert piece == " ".join(piece.split())


ADDRESS_WORDS = " ".join(
    [
        "ul. al. pl. os. utca út tér körút krt. Długa Hlavná Váci Wola Mała Maja",
        "m. m lok. lok kl. klatka p. piętro byt byt. č. č.p. č.o. čp. p. o. nr vchod poschodie",
        "fsz. fszt. em. emelet ajtó lph. lépcsőház kod kod: kód domofon kapukód hala",
        "I II IV. X V. A B b C. 1 12 5/7 1-3. 1–3 12a 820/9 1234/5a 12/A IV/3 #12 12# *1",
        "m.12 lok3 kl.B 5/m U1 . , ,, / - – /7 7/ -3 ., ٣ 0",
    ]
).split()
SPACE = st.sampled_from([" ", "  ", "\t", "\n", "\u00a0", "\u2003", ""])
ADDRESS_LINES = st.lists(
    st.tuples(st.sampled_from(ADDRESS_WORDS) | st.text(max_size=4), SPACE), max_size=14
).map(lambda words: "".join(word + space for word, space in words))


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.text() | ADDRESS_LINES)
def test_split_street_loses_and_invents_nothing(line: str) -> None:
    parts = split_street(line)
    _assert_reconstructs(line, parts)
    # A line kept whole warns exactly when it holds a digit: warn, never guess.
    if parts.house_number is None:
        has_digit = any(char.isdecimal() for char in line)
        assert parts.warning is (WarningCode.STREET_NOT_SPLIT if has_digit else None)


@pytest.mark.parametrize("line", [line for line, _ in SPLIT] + NOT_SPLIT)
def test_the_tables_reconstruct_too(line: str) -> None:
    _assert_reconstructs(line, split_street(line))


def test_the_property_catches_a_lost_character() -> None:
    # Negative control: the reconstruction check fails on a split that drops or invents text.
    for broken in (
        StreetParts("ul. Długa", "5"),  # "m. 3" lost
        StreetParts("ul. Długa", "5", "m. 4"),  # "4" invented
        StreetParts("ul. Długa", "5/7", "m. 3"),  # "/7" invented
        StreetParts("ul. Długa 5 m. 3", warning=WarningCode.STREET_NOT_SPLIT, house_number="5"),
    ):
        with pytest.raises(AssertionError):
            _assert_reconstructs("ul. Długa 5 m. 3", broken)


def test_the_reconstruction_allows_commas_only_at_the_cuts() -> None:
    _assert_reconstructs("Hlavná 12, byt 5,", StreetParts("Hlavná", "12", "byt 5"))
    with pytest.raises(AssertionError):
        _assert_reconstructs("Hlavná 12, byt, 5", StreetParts("Hlavná", "12", "byt 5"))


# --- the mapper passes the warning on -------------------------------------------------------


def _delivery_street(street: str) -> OrderDraft:
    data: dict[str, Any] = copy.deepcopy(fixture("f01_pl_courier_basic").raw)
    data["delivery"]["address"]["street"] = street
    form = STRICT.structure(data, CheckoutForm)
    result = OrderMapper(CONFIG).map(form, fixture("f01_pl_courier_basic").context())
    assert isinstance(result, OrderDraft)
    return result


def test_the_mapper_warns_when_a_delivery_street_is_kept_whole() -> None:
    draft = _delivery_street("ul. Przemysłowa 14 hala B")
    address = draft.delivery_address
    assert (address.address1, address.address2) == ("ul. Przemysłowa 14 hala B", None)
    warnings = [w for w in draft.warnings if w.code is WarningCode.STREET_NOT_SPLIT]
    assert [w.field_path for w in warnings] == ["delivery.address.street"]
    # Ids and paths only: the street itself is personal data.
    assert "Przemysłowa" not in warnings[0].message


def test_the_mapper_does_not_warn_about_a_split_street() -> None:
    draft = _delivery_street("Váci út 1-3. IV. em. 12.")
    address = draft.delivery_address
    assert (address.address1, address.address2, address.address3) == (
        "Váci út",
        "1-3.",
        "IV. em. 12.",
    )
    assert WarningCode.STREET_NOT_SPLIT not in {w.code for w in draft.warnings}


def test_no_regex_with_nested_quantifiers_in_the_splitter() -> None:
    # Linear time is measured in benchmarks/streets.py; this guards the cheap part of the
    # promise: no pattern in the module can backtrack exponentially.
    import allegro_plenty.mapping.addresses as module

    patterns = [v.pattern for v in vars(module).values() if isinstance(v, re.Pattern)]
    assert patterns
    for pattern in patterns:
        assert not re.search(r"\)[*+?{]", pattern), pattern


# --- the fast path agrees with the full split ------------------------------------------------
#
# ``split_street`` first tries ``_split_plain``, which splits the common shape (street words,
# a plain number, plain numbers and markers) without the group reader, and hands every other
# line to ``_split_groups``. Wherever the fast path answers, it must answer what the full
# split does.

PLAIN_WORDS = st.sampled_from(
    " ".join(["1 12 123A 12ab 5/7 1-3. 1–3 820/9 12. 5a/7b 0 99x. 12/A"]).split()
)
"""Words the fast path reads as plain numbers (and some it must not: ``12/A``)."""
TRICKY_WORDS = st.sampled_from(
    " ".join(
        [
            "m m. lok. kl. byt č. č.p. čp. č.o. nr nr. NR Nr. p. o. P. kod kod: em. fszt. ajtó",
            "I IV. A b ß ǅ ς ΣΑ Ωmega Привет 北京 ٣ ² ½ x , / - – /7 7/ -3 5, ,5 12abc",
            "m.12 lok3 U1 Maja maja utca út 3K #12 *1 12# 1e3 ١٢",
        ]
    ).split()
)
FAST_SPACE = st.sampled_from([" ", "  ", "\t", "\n", "\u00a0", "\u2003", "\u3000", "\x1c"])
STREET_WORD = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="0123456789"),
    min_size=1,
    max_size=6,
).filter(lambda word: not any(char.isspace() for char in word))


@st.composite
def plain_shaped_lines(draw: st.DrawFn) -> str:
    """Lines close to the fast path's shape: some street words, a number, flat words; now
    and then a word the fast path must not read as plain."""
    street = draw(st.lists(STREET_WORD | TRICKY_WORDS, min_size=0, max_size=4))
    number = draw(PLAIN_WORDS | TRICKY_WORDS)
    rest = draw(
        st.lists(PLAIN_WORDS | st.sampled_from(sorted(_MARKERS)) | TRICKY_WORDS, max_size=5)
    )
    words = [*street, number, *rest]
    spaces = draw(st.lists(FAST_SPACE, min_size=len(words) + 1, max_size=len(words) + 1))
    return spaces[0] + "".join(word + space for word, space in zip(words, spaces[1:], strict=False))


FAST_PATH_LINES = plain_shaped_lines() | ADDRESS_LINES | st.text()


def _check_fast_path_agrees(line: str) -> bool:
    """Whether ``_split_plain`` answered for ``line``; raises if its answer differs."""
    fast = addresses._split_plain(line)
    if fast is None:
        return False
    assert fast == addresses._split_groups(line), line
    return True


def _fast_path_property(examples: int, *, shrink: bool = True) -> list[bool]:
    answered: list[bool] = []
    phases = list(Phase) if shrink else [Phase.explicit, Phase.generate]

    # Labelled numbers are always tried: whether generation reaches one in a given number
    # of examples depended on what other tests had run before in the same process.
    @settings(max_examples=examples, deadline=None, derandomize=True, database=None, phases=phases)
    @given(FAST_PATH_LINES)
    @example("ul. Długa nr 5")
    @example("Zalesie č.p. 123")
    def check(line: str) -> None:
        answered.append(_check_fast_path_agrees(line))

    check()
    return answered


def test_the_fast_path_gives_what_the_full_split_gives() -> None:
    answered = _fast_path_property(500)
    # The comparison means something only if the fast path answered often.
    assert sum(answered) >= 100, sum(answered)


@pytest.mark.parametrize("line", [line for line, _ in SPLIT] + NOT_SPLIT)
def test_the_fast_path_agrees_on_the_tables(line: str) -> None:
    _check_fast_path_agrees(line)
    assert split_street(line) == addresses._split_groups(line)


def test_the_fast_path_takes_the_common_lines() -> None:
    # What the benchmark's streets look like: the fast path must not fall back on these.
    for line in (
        "ul. Długa 5/7 m. 12",
        "Aleje Jerozolimskie 123A",
        "Plac Grunwaldzki 1 lok. 3",
        "os. Tysiąclecia 5/12",
        "Zalesie 12",
        "ul. Polna",
        "Náměstí Míru 820/9",
        "Fő utca 1. 2/3",
    ):
        assert addresses._split_plain(line) is not None, line


def test_the_fast_path_property_catches_a_broken_fast_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Negative control: a fast path that forgets labels (``nr 5``, ``č.p. 123``) takes the
    # label into the street; the property must notice.
    monkeypatch.setattr(addresses, "_NOT_BEFORE_A_PLAIN_NUMBER", frozenset())
    with pytest.raises(AssertionError):
        _fast_path_property(500, shrink=False)
