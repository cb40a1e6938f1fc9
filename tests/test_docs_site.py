"""The documentation site: every page in the navigation, the new pages' code run as
printed, every public name documented, and (where MkDocs is installed) a strict build."""

from __future__ import annotations

import importlib
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
MKDOCS = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
RUNNABLE = re.compile(r"<!-- runnable: (\S+) -->\n```python\n(.*?)\n```", re.DOTALL)
PRINTS = re.compile(r"It prints:\n\n```\n(.*?)\n```", re.DOTALL)

# The pages of the documentation issue: every python block on them runs, or says why not.
SITE_PAGES = [
    "getting-started.md",
    "how-it-works.md",
    "guides/scheduling.md",
    "guides/triggers.md",
    "guides/quarantine.md",
    "guides/migrating.md",
    "guides/rate-limits.md",
]
EXAMPLES = [
    (page, name, code)
    for page in SITE_PAGES
    for name, code in RUNNABLE.findall((DOCS / page).read_text(encoding="utf-8"))
]


def test_the_navigation_lists_every_page_once() -> None:
    listed = re.findall(r":\s+(\S+\.md)\s*$", MKDOCS, re.MULTILINE)
    pages = sorted(str(path.relative_to(DOCS)) for path in DOCS.rglob("*.md"))
    assert sorted(listed) == pages


@pytest.mark.parametrize("page", SITE_PAGES)
def test_every_python_block_runs_or_says_why_not(page: str) -> None:
    text = (DOCS / page).read_text(encoding="utf-8")
    for block in re.finditer(r"```python\n", text):
        before = text[: block.start()].rstrip().splitlines()[-1]
        assert re.fullmatch(r"<!-- (runnable: \S+|not run: .+) -->", before), (page, before)


def test_the_site_pages_have_their_examples() -> None:
    assert [(page, name) for page, name, _ in EXAMPLES] == [
        ("getting-started.md", "first_cli_import.py"),
        ("how-it-works.md", "answer_lost.py"),
        ("guides/scheduling.md", "handle_result.py"),
        ("guides/triggers.md", "webhook.py"),
        ("guides/quarantine.md", "release_after_fix.py"),
        ("guides/migrating.md", "adopt_legacy.py"),
    ]


@pytest.mark.parametrize(("page", "name", "code"), EXAMPLES, ids=[e[1] for e in EXAMPLES])
def test_the_example_prints_what_the_page_says(
    tmp_path: Path, page: str, name: str, code: str
) -> None:
    (tmp_path / name).write_text(code, encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-W", "error", name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    text = (DOCS / page).read_text(encoding="utf-8")
    printed = PRINTS.search(text, text.index(f"<!-- runnable: {name} -->"))
    assert printed is not None
    assert run.stdout.splitlines() == printed.group(1).splitlines()


def test_every_reference_target_imports() -> None:
    targets = re.findall(
        r"^::: (\S+)$", "".join(p.read_text() for p in (DOCS / "reference").glob("*.md")), re.M
    )
    assert "allegro_plenty.cli" in targets
    for target in targets:
        importlib.import_module(target)


PUBLIC_MODULES = [
    "allegro_plenty",
    "allegro_plenty.accounts",
    "allegro_plenty.allegro",
    "allegro_plenty.cli",
    "allegro_plenty.errors",
    "allegro_plenty.importer",
    "allegro_plenty.ledger",
    "allegro_plenty.mapping",
    "allegro_plenty.plenty",
    "allegro_plenty.procedures",
    "allegro_plenty.testing",
    "allegro_plenty.tokens",
]


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_every_public_name_has_a_docstring(module_name: str) -> None:
    module = importlib.import_module(module_name)
    assert (module.__doc__ or "").strip(), module_name
    values = {name: getattr(module, name) for name in getattr(module, "__all__", [])}
    undocumented = [
        name
        for name, value in values.items()
        if (inspect.isclass(value) or inspect.isfunction(value))
        and not (value.__doc__ or "").strip()
    ]
    assert undocumented == []


def test_the_site_builds_strictly(tmp_path: Path) -> None:
    pytest.importorskip("mkdocstrings", reason="the docs extra is not installed: nox -s docs")
    run = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "reference" / "cli" / "index.html").exists()
