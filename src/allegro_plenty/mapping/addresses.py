"""Splitting a one-line street address into street, house number and the rest.

Allegro sends one ``street`` line (``"ul. Długa 5/7 m. 12"``); plentymarkets
wants the street in ``address1``, the house number in ``address2`` and flat,
staircase, floor and door-code details in ``address3``. The rule, which covers
Polish, Czech, Slovak and Hungarian forms:

* the house number is the earliest number, after the first word, that is
  followed only by flat details: numbers (``3``, ``12.``, ``2/3``), roman
  floors (``IV.``, ``II``), staircase letters (``B``), markers such as
  ``m.``, ``lok.``, ``kl.``, ``klatka``, ``byt č.``, ``vchod``, ``poschodie``,
  ``fszt.``, ``em.``, ``ajtó``, ``lph.``, and door codes (``kod 12#34``);
* a number may be written ``5``, ``123A``, ``12 A``, ``5/7``, ``5 / 7``,
  ``12/A``, ``1234/5a``, ``1-3``, ``1 - 3``, Hungarian ``1-3.``, or after a
  label that stays with it (``č.p. 123``, ``nr 5``);
* the words before it are the street. A number passed over must be followed by
  a word of the street's name (``ul. 3 Maja 12``, ``Október 6. utca 12.``);
* a line without digits is a street without a number;
* anything else is kept whole as the street, with
  :attr:`~allegro_plenty.mapping.WarningCode.STREET_NOT_SPLIT`: a courier
  reading the whole line finds the door, one reading a guessed number may not.

The parts keep every character of the line except whitespace, which is
normalised, and the commas that separated the parts. The split reads the line
once, as a stream of words, and no pattern here can backtrack: time and memory
grow linearly with the line, whatever it holds (``benchmarks/streets.py``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import islice
from typing import NamedTuple

import attrs

from .drafts import WarningCode

__all__ = ["StreetParts", "split_street"]

_SEPARATORS = "/-–"
"""Between the parts of a number: ``5/7``, ``820/9``, ``1-3``, ``1–3`` (en dash)."""
_DIGITS = "0123456789"
_PIECE = re.compile(r"[0-9]+[^\W\d_]{0,2}")
"""One part of a number: digits and at most two letters (``12``, ``5a``, ``123AB``)."""
_LETTERS = re.compile(r"[^\W\d_]{1,2}")
"""A letter part after a separator (``12/A``)."""
_LETTERED = re.compile(r"[^\W\d_]{1,2}[0-9]+")
"""A flat number with a letter first: ``U1`` (Polish lokal użytkowy), ``B12``."""
_LEADING_LETTERS = re.compile(r"[^\W\d_]+")
_SEPARATOR = re.compile(r"[/\-–]")
_CODE = re.compile(r"[#*0-9A-Za-z]+")
"""A door code: ``1234``, ``12#34``, ``*1234``, ``3K``."""
_ANY_DIGIT = re.compile(r"\d")
_ASCII_DIGIT = re.compile(r"[0-9]")
_PLAIN_NUMBER = re.compile(
    r"[0-9]+[^\W\d_]{0,2}\.?|[0-9]+[^\W\d_]{0,2}[/\-–][0-9]+[^\W\d_]{0,2}\.?"
)
"""A number as most lines write it: one or two pieces and a dot (``12``, ``123A``, ``5/7``,
``1-3.``). Such a word is a house number or a flat value to the full split, whatever its place."""
_WORD = re.compile(r"\S+")
"""A word: what ``str.split()`` returns (both use the same whitespace)."""


def _roman(number: int) -> str:
    numeral = ""
    for value, letters in ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        count, number = divmod(number, value)
        numeral += letters * count
    return numeral


_ROMAN = frozenset(_roman(floor) for floor in range(1, 40))
"""Roman floors, ``I`` to ``XXXIX`` (Hungarian ``IV. em.``, Polish ``II p.``)."""

_FLOOR_MARKERS = frozenset(
    {
        "p.",  # Polish: piętro
        "piętro",
        "pietro",
        "em",  # Hungarian: emelet
        "em.",
        "emelet",
        "poschodie",  # Slovak
        "posch.",
        "poschodí",  # Czech
        "patro",
    }
)
"""After a number, ``I``, ``V`` or ``X`` before one of these is a floor (``5 I p.``), not a
house letter (``5 A``)."""

_CODE_MARKERS = frozenset({"kod", "kód", "domofon", "domofonu", "kapukód"})
"""Door codes (Polish, Czech/Slovak, Hungarian): the next word is a code of any shape."""

_LABELS = frozenset({"nr", "nr.", "č.", "č.p.", "čp.", "č.o.", "čo."})
"""Words that name the number after them (Czech/Slovak číslo popisné, orientační); the label
stays with the number: ``č.p. 123``."""

_MARKERS = (
    _FLOOR_MARKERS
    | _CODE_MARKERS
    | _LABELS
    | {
        # Polish: mieszkanie, lokal, klatka, pokój, budynek, apartament
        "m",
        "m.",
        "lok",
        "lok.",
        "lokal",
        "mieszk.",
        "mieszkanie",
        "kl",
        "kl.",
        "klatka",
        "pok.",
        "pokój",
        "bud.",
        "budynek",
        "ap",
        "ap.",
        "apt",
        "apt.",
        "app",
        "app.",
        # Czech and Slovak: byt (flat), číslo, vchod (entrance)
        "byt",
        "byt.",
        "č",
        "vchod",
        "vch.",
        # Hungarian: (magas)földszint, ajtó, lépcsőház, épület
        "fszt",
        "fszt.",
        "fsz",
        "fsz.",
        "mfszt.",
        "mfsz.",
        "ajtó",
        "ajto",
        "lph",
        "lph.",
        "lépcsőház",
        "ép.",
        "épület",
    }
)
"""Flat, staircase, floor and door-code markers, casefolded; a trailing ``:`` is ignored."""


def _words(*lines: str) -> frozenset[str]:
    return frozenset(word for line in lines for word in line.split())


_NAME_AFTER_NUMBER = _words(
    # Months in the genitive, in street names that are dates (``ul. 3 maja``):
    # Polish, Czech, Slovak.
    "stycznia lutego marca kwietnia maja czerwca lipca sierpnia września października",
    "listopada grudnia",
    "ledna února března dubna května června července srpna září října listopadu prosince",
    "januára februára marca apríla mája júna júla augusta septembra októbra novembra",
    "decembra",
    # Hungarian street types, after the name (``Október 6. utca``).
    "utca u. út útja tér körút krt. köz sor sétány fasor rakpart lakótelep ltp.",
)
"""Lower-case words that may follow a number inside a street name."""

_STREET_TYPES = _words(
    "ul. al. pl. os. ulica aleja aleje plac osiedle rynek",  # Polish
    "nám. náměstí námestie tř. třída nábř. nábrežie",  # Czech and Slovak
)
"""Words that start street names (Hungarian ones end them: see above); known, so that
most lines are classified by a look-up."""


@attrs.frozen
class StreetParts:
    """A street line split for plentymarkets.

    Attributes:
        street: ``address1`` (``"ul. Długa"``).
        house_number: ``address2`` (``"5/7"``), ``None`` when the line has none.
        additional: ``address3`` (``"m. 12"``), ``None`` when there is nothing more.
        warning: :attr:`WarningCode.STREET_NOT_SPLIT` when the line holds a number the
            rules cannot place, so it was kept whole as :attr:`street`; ``None`` otherwise.
    """

    street: str
    house_number: str | None = None
    additional: str | None = None
    warning: WarningCode | None = None


# --- words ---------------------------------------------------------------------------------
#
# Words are what ``str.split()`` returns. Commas at a word's edges separate parts of
# the address (``Hlavná 12, byt 5``): a word is classified without them, and the
# split drops them where it cuts, and only there.

_NUMBER = 1
"""The group looks like a house number."""
_FLAT = 2
"""The group is a flat detail: a value, a marker, a marker glued to its value, or commas."""
_CODE_MARKER = 4
_CODE_VALUE = 8


def _core(word: str) -> str:
    return word.strip(",") if "," in word else word


def _pieces(text: str) -> list[str]:
    return _SEPARATOR.split(text[:-1] if text.endswith(".") else text)


def _value_kind(text: str) -> int:
    """``_FLAT`` for a flat, floor or staircase value (``3``, ``12.``, ``IV.``, ``B``,
    ``U1``, ``IV/3``), with ``_NUMBER`` if it may be a house number (``5``, ``123A``,
    ``5/7``, ``12/A``, ``1234/5a``, ``1-3.``); ``0`` for anything else."""
    pieces = _pieces(text)
    first = pieces[0]
    number = _PIECE.fullmatch(first) is not None
    if not (
        number
        or _LETTERED.fullmatch(first) is not None
        or first in _ROMAN
        or (len(first) == 1 and first.isalpha())
    ):
        return 0
    for piece in islice(pieces, 1, None):
        if _PIECE.fullmatch(piece) is None and _LETTERS.fullmatch(piece) is None:
            if piece not in _ROMAN:
                return 0
            number = False  # ``12/III`` is a flat, not a house
    return _FLAT | _NUMBER if number else _FLAT


def _marker(text: str) -> str:
    """The key ``text`` has in the marker sets: casefolded, a trailing ``:`` dropped; a word
    too long to be a marker as it is (no copy of a 10-MB word)."""
    return text if len(text) > _LONGEST_MARKER else text.casefold().rstrip(":")


def _is_glued_flat(text: str) -> bool:
    """A marker written without a space before its value: ``m.12``, ``lok3``, ``kl.B``."""
    letters = _LEADING_LETTERS.match(text)
    if letters is None or letters.end() == len(text):
        return False
    marker = letters.group().casefold()
    value = text[letters.end() :]
    if value[0] in ".:":
        value = value[1:]
    return (
        (marker in _MARKERS or f"{marker}." in _MARKERS) and value != "" and _value_kind(value) != 0
    )


def _is_code(text: str) -> bool:
    return _CODE.fullmatch(text) is not None and _ANY_DIGIT.search(text) is not None


_KNOWN_KINDS: dict[str, int] = {
    "": _FLAT,  # a word of commas
    **dict.fromkeys(_NAME_AFTER_NUMBER | _STREET_TYPES, 0),
    **{marker: _FLAT | (_CODE_MARKER if marker in _CODE_MARKERS else 0) for marker in _MARKERS},
}
"""The kinds of the words most lines are made of, looked up rather than worked out."""
_LONGEST_MARKER = max(map(len, _KNOWN_KINDS)) + 1  # and a colon


def _classify(text: str) -> int:
    """The kind of a word or a joined run of words, commas at the edges removed."""
    if len(text) <= _LONGEST_MARKER:  # never hash a 10-MB word
        known = _KNOWN_KINDS.get(text)
        if known is None:
            known = _KNOWN_KINDS.get(_marker(text))
        if known is not None:
            return known
    if text.isascii() and text.isdigit():
        return _NUMBER | _FLAT | _CODE_VALUE
    if text.isalpha():  # a word of a name, a roman floor or a staircase letter
        return _FLAT if len(text) == 1 or text in _ROMAN else 0
    kind = _value_kind(text)
    if not kind and _is_glued_flat(text):
        kind = _FLAT
    if _is_code(text):
        kind |= _CODE_VALUE
    return kind


def _joins(left: str, right: str) -> bool:
    """Whether a separator joins two words into one number: ``5 / 7``, ``5/ 7``, ``5 /7``."""
    if left[-1] in _SEPARATORS:
        return right[0] in _DIGITS
    return left[-1] != "," and right[0] in _SEPARATORS and (len(right) == 1 or right[1] in _DIGITS)


def _may_take_letter(number: str, word: str) -> bool:
    """Whether a number ending in ``number`` may take ``word`` as its letter (``12 A``), the
    word after it permitting: a letter that is no marker (``10 m 5``)."""
    letter = word.rstrip(",")
    return (
        number[-1] in _DIGITS
        and len(letter) == 1
        and letter.isalpha()
        and _marker(letter) not in _MARKERS
    )


def _letter_stays_apart(word: str, after: str) -> bool:
    """Whether the letter ``word`` stays apart from the number before it, given the word
    ``after`` it: a roman floor (``5 I p.``), or the start of a number (``5 A /7``)."""
    if word.rstrip(",") in ("I", "V", "X") and _marker(after) in _FLOOR_MARKERS:
        return True
    return word[-1] != "," and _joins(word, after)


class _Group(NamedTuple):
    """Words read as one: one word, or a number spread over several (``5 / 7``, ``12 A``)."""

    first: str
    """The first word, as written."""
    last: str
    """The last word, as written."""
    text: str
    """The words joined without the commas at their edges (``5/7``, ``12A``)."""
    start: int
    """Offset of the first word in the line."""
    end: int
    """Offset just after the last word."""
    kind: int


def _groups(line: str) -> Iterator[_Group]:
    """The groups of ``line``, in order, read as a stream.

    A run of words joined by separators (``5 / 7``) is one group when the joined
    text is a value, else a group per word; a number takes a house letter after
    it (``12 A``). Each word is read at most twice and looked at a fixed number
    of times, and only the words of the current group are held: time and memory
    grow linearly with the line.
    """
    matches = _WORD.finditer(line)
    following = next(matches, None)
    while following is not None:
        match, following = following, next(matches, None)
        first = last = match.group()
        start, end = match.span()
        if following is None or not _joins(last, following.group()):
            text = _core(first)
            kind = _classify(text)
        else:
            cores = [_core(first)]
            while following is not None and _joins(last, word := following.group()):
                cores.append(_core(word))
                last, end = word, following.end()
                following = next(matches, None)
            text = "".join(cores)
            kind = _value_kind(text)
            if not kind:  # not one number after all: each word alone
                for single in _WORD.finditer(line, start, end):
                    word = single.group()
                    core = _core(word)
                    yield _Group(word, word, core, single.start(), single.end(), _classify(core))
                continue
        if (
            kind & _NUMBER
            and following is not None
            and _may_take_letter(last, word := following.group())
        ):
            # The word after the letter is read ahead here, and again by ``matches``.
            after = _WORD.search(line, following.end())
            if not _letter_stays_apart(word, "," if after is None else after.group()):
                last, end = word, following.end()
                text += _core(word)
                following = next(matches, None)
        yield _Group(first, last, text, start, end, kind)


# --- the split -------------------------------------------------------------------------------


def _is_name_word(before: str, group: _Group) -> bool:
    """Whether ``group`` can follow a number inside a street name, the word ``before`` it
    ending that number: a capitalised word that is no flat detail (``3 Maja``,
    ``29 Listopada``), a month (``1. mája``, ``28. října``) or a Hungarian street type
    (``Október 6. utca``), with no comma between."""
    if before[-1] == "," or group.first[0] == ",":
        return False
    word = group.text
    return word.casefold() in _NAME_AFTER_NUMBER or (not group.kind & _FLAT and word[0].isupper())


def _street_end(before: _Group | None, last: _Group | None, number: _Group) -> int:
    """Where the street before ``number`` ends: at the number, or at the label that names
    it (``č.p. 123``, ``č. p. 7``, ``nr 5``), ``last`` and ``before`` being the groups
    before it."""
    if last is None or number.first[0] == ",":
        return number.start
    word = last.first.casefold()
    if word in _LABELS:
        return last.start
    if word in {"p.", "o."} and before is not None and before.first.casefold() == "č.":
        return before.start
    return number.start


def _normalised(text: str) -> str:
    return " ".join(text.split())


def split_street(line: str) -> StreetParts:
    """Split ``line`` into street, house number and additional line.

    Never raises; a line the rules cannot split is returned whole, whitespace
    normalised, with :attr:`StreetParts.warning` set when it holds a digit.

    >>> split_street("ul. Długa 5/7 m. 12")
    StreetParts(street='ul. Długa', house_number='5/7', additional='m. 12', warning=None)
    >>> split_street("Váci út 1-3. IV. em. 12.")
    StreetParts(street='Váci út', house_number='1-3.', additional='IV. em. 12.', warning=None)
    """
    plain = _split_plain(line)
    return _split_groups(line) if plain is None else plain


_NOT_BEFORE_A_PLAIN_NUMBER = _LABELS | {"p.", "o."}
"""Casefolded words after which a number is not simply the house number: a label that joins
the number (``nr 5``, ``č.p. 123``, ``č. p. 7``)."""


def _split_plain(line: str) -> StreetParts | None:
    """The split of a line as most are written, or ``None``: leave it to the full split.

    That shape is words with no ASCII digit (the street), a plain number (the house
    number), then plain numbers and markers only, no commas: ``ul. Długa 5/7 m. 12``,
    ``Zalesie 12``, ``Fő utca 1. 2/3``. In such a line no words join, no number takes a
    letter, the first number is the house number and all that follows it is flat: the
    full split gives the same parts, in several times the time. A line without an ASCII
    digit has no house number, so it is whole. Tests compare this with the full split.
    """
    digit = _ASCII_DIGIT.search(line)
    if digit is None:
        return _whole(line)
    start = digit.start()
    street = line[:start].split()
    if not street or not line[start - 1].isspace() or "," in line:
        return None
    before = street[-1]
    if before[-1] in _SEPARATORS or (
        len(before) <= _LONGEST_MARKER and before.casefold() in _NOT_BEFORE_A_PLAIN_NUMBER
    ):
        return None
    number, *rest = line[start:].split()
    if _PLAIN_NUMBER.fullmatch(number) is None:
        return None
    for word in rest:
        if _PLAIN_NUMBER.fullmatch(word) is None and (
            len(word) > _LONGEST_MARKER or word not in _MARKERS
        ):
            return None
    return StreetParts(" ".join(street), number, " ".join(rest) or None)


def _split_groups(line: str) -> StreetParts:
    """The full split: every rule, read as a stream of groups (see :func:`_groups`)."""
    # One pass. ``number`` is the earliest house number that only flat details follow so
    # far: (where the street ends, the number, where the number ends). A number the split
    # passes over must be followed by a word of the street's name (``ul. 3 Maja 12``);
    # anything else (``5 / m. 3``, ``12, byt 5, zvoniť``) means the line is not
    # understood: never guess a later number.
    number: tuple[int, str, int] | None = None
    passed_over = False
    after_code_marker = False
    first_word = -1  # where the first word that is not just commas starts
    before: _Group | None = None  # the two groups before this one
    last: _Group | None = None
    for group in _groups(line):
        flat = group.kind & _FLAT or (after_code_marker and group.kind & _CODE_VALUE)
        if last is not None and (passed_over or (number is not None and not flat)):
            directly_after = passed_over or (number is not None and number[2] == last.end)
            if not (directly_after and _is_name_word(last.last, group)):
                return _whole(line)
            passed_over = False
            number = None
        if number is None and group.kind & _NUMBER:
            street_end = _street_end(before, last, group)
            if first_word < 0 or street_end <= first_word:
                passed_over = True  # nothing before it to be the street
            else:
                text = group.text
                if street_end < group.start:  # its label
                    text = f"{_normalised(line[street_end : group.start])} {text}"
                number = (street_end, text, group.end)
        if first_word < 0 and group.first.strip(","):
            first_word = group.start
        after_code_marker = bool(group.kind & _CODE_MARKER) and group.last[-1] != ","
        before, last = last, group
    if number is None:
        return _whole(line)
    street_end, text, end = number
    return StreetParts(
        _normalised(line[:street_end]).rstrip(", "),
        text,
        _normalised(line[end:]).strip(", ") or None,
    )


def _whole(line: str) -> StreetParts:
    """The line kept whole: a street without a number, or with a warning if it has one."""
    warning = None if _ANY_DIGIT.search(line) is None else WarningCode.STREET_NOT_SPLIT
    return StreetParts(_normalised(line), warning=warning)
