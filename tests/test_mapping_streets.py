"""The street split: one street line → (street, house number, additional line)."""

from __future__ import annotations

import pytest

from allegro_plenty.mapping import StreetParts, split_street

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
    # Whitespace is normalised; a lone number is not a street with a number.
    ("  ul.  Długa   5  ", ("ul. Długa", "5", None)),
    ("12", ("12", None, None)),
    # A trailing word that is not a flat detail keeps the line whole.
    ("ul. Przemysłowa 14 hala B", ("ul. Przemysłowa 14 hala B", None, None)),
]


@pytest.mark.parametrize(("line", "expected"), TABLE, ids=[line for line, _ in TABLE])
def test_split_street(line: str, expected: tuple[str, str | None, str | None]) -> None:
    assert split_street(line) == StreetParts(*expected)


def test_split_keeps_every_word() -> None:
    # Nothing the buyer typed is dropped: the parts put back together give the line.
    for line, _ in TABLE:
        parts = split_street(line)
        joined = " ".join(p for p in (parts.street, parts.house_number, parts.additional) if p)
        assert joined.replace(",", "").split() == line.replace(",", "").split()
