"""One home for errors: defined in errors.py, exported at the top, documented in docs/errors.md."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import allegro_plenty
import allegro_plenty.errors as errors_module

DOC = Path(__file__).resolve().parents[1] / "docs" / "errors.md"


def error_classes() -> dict[str, type[BaseException]]:
    return {
        name: cls
        for name, cls in inspect.getmembers(errors_module, inspect.isclass)
        if issubclass(cls, BaseException) and cls.__module__ == errors_module.__name__
    }


def documented() -> dict[str, str]:
    """Exception name -> the "May have taken effect" column of docs/errors.md's table."""
    rows = re.findall(r"^\| `(\w+)` \| .+ \| ([^|]+) \|$", DOC.read_text(), re.MULTILINE)
    return {name: answer.strip() for name, answer in rows}


def test_every_error_is_exported_at_the_top_level() -> None:
    for name, cls in error_classes().items():
        assert name in allegro_plenty.__all__, name
        assert getattr(allegro_plenty, name) is cls, name
        assert name in errors_module.__all__, name


def test_every_error_is_documented_once() -> None:
    table = documented()
    assert set(table) == set(error_classes())
    rows = re.findall(r"^\| `(\w+)` \|", DOC.read_text(), re.MULTILINE)
    assert len(rows) == len(set(rows))


def test_a_plain_documented_answer_is_the_class_answer() -> None:
    """Where the table says a plain "no", the class answers False however it is built."""
    from .test_errors_taken_effect import HTTP_SITUATIONS, NOT_SENT, SERVICE_SITUATIONS

    answers: dict[type, set[bool]] = {}
    for _, _, cls, answer in [*HTTP_SITUATIONS, *SERVICE_SITUATIONS]:
        answers.setdefault(cls, set()).add(answer)
    for _, error in NOT_SENT:
        answers.setdefault(type(error), set()).add(error.may_have_taken_effect)
    for name, text in documented().items():
        seen = answers.get(error_classes()[name], set())
        if text == "no":
            assert seen <= {False}, name
        elif text == "yes":
            assert seen <= {True}, name


def _public_modules() -> list[str]:
    found = pkgutil.walk_packages(allegro_plenty.__path__, allegro_plenty.__name__ + ".")
    public = [i.name for i in found if not any(p.startswith("_") for p in i.name.split("."))]
    return [allegro_plenty.__name__, *public]


@pytest.mark.parametrize("module_name", _public_modules())
def test_no_public_module_defines_an_error_of_its_own(module_name: str) -> None:
    """A public error class defined elsewhere would miss the export, the docs and the table."""
    module = importlib.import_module(module_name)
    for name, value in vars(module).items():
        if name.startswith("_") or not inspect.isclass(value):
            continue
        if issubclass(value, allegro_plenty.AllegroPlentyError):
            assert value.__module__ == errors_module.__name__, f"{module_name}.{name}"


@pytest.mark.parametrize(
    ("module_name", "name"),
    [
        ("allegro_plenty.tokens", "LockTimeoutError"),
        ("allegro_plenty.tokens", "TokenStorageError"),
        ("allegro_plenty.tokens", "TokenSaveError"),
        ("allegro_plenty.tokens", "DamagedTokenFileError"),
        ("allegro_plenty.plenty", "ReferenceDataError"),
        ("allegro_plenty.plenty.client", "ReferenceDataError"),
        ("allegro_plenty.plenty", "BudgetExhaustedError"),
        ("allegro_plenty.plenty.throttle", "BudgetExhaustedError"),
    ],
)
def test_the_old_import_places_still_work(module_name: str, name: str) -> None:
    module = importlib.import_module(module_name)
    assert getattr(module, name) is getattr(errors_module, name)
    assert name in module.__all__
