"""The models are split by resource; each package still exports every model from one place."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

import pytest

from allegro_plenty.allegro import models as allegro_models
from allegro_plenty.plenty import models as plenty_models


@pytest.mark.parametrize("package", [allegro_models, plenty_models], ids=["allegro", "plenty"])
def test_the_package_exports_every_model_of_its_modules(package: ModuleType) -> None:
    defined: dict[str, object] = {}
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        if info.name.startswith("_"):
            continue
        for name in module.__all__:
            assert name not in defined, f"{name} is defined twice"
            defined[name] = getattr(module, name)
    assert sorted(package.__all__) == sorted(defined)
    for name, value in defined.items():
        assert getattr(package, name) is value, name
