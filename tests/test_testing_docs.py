"""The example of docs/testing.md runs, as printed, as a user's own pytest file."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
MARKER = re.compile(r"<!-- runnable: (\S+) -->\n```python\n(.*?)\n```", re.DOTALL)


def _examples() -> list[tuple[str, str]]:
    return MARKER.findall((DOCS / "testing.md").read_text(encoding="utf-8"))


def test_the_page_has_its_runnable_example() -> None:
    assert [name for name, _ in _examples()] == ["test_my_integration.py"]


@pytest.mark.slow
def test_the_users_pytest_example_passes(tmp_path: Path) -> None:
    ((name, code),) = _examples()
    (tmp_path / name).write_text(code + "\n", encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-W", "error", "-p", "no:cacheprovider", name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "2 passed" in run.stdout
