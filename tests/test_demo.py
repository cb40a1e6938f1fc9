"""``python -m allegro_plenty.demo`` runs as the README says: two imports, the second idle."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
ONE_LINER = (
    "python3 -m venv .venv && .venv/bin/pip install -q -e . && "
    ".venv/bin/python -m allegro_plenty.demo"
)


def demo(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-W", "error", "-m", "allegro_plenty.demo", *arguments],
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )


def test_the_demo_imports_once_and_the_second_import_creates_nothing() -> None:
    run = demo("--json")
    assert run.returncode == 0, run.stderr
    results = json.loads(run.stdout)
    first, second = results["first"]["counts"], results["second"]["counts"]
    assert first["created"] == 5
    assert first["skipped"] == 2
    assert first["failed"] == first["quarantined"] == 0
    assert sum(second.values()) == 0
    assert results["first"]["stops"] == results["second"]["stops"] == []


def test_the_demo_prints_a_summary() -> None:
    run = demo()
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == [
        "first import:  5 created, 2 skipped",
        "second import: nothing to do",
    ]


def test_the_readme_runs_the_demo_first() -> None:
    text = README.read_text(encoding="utf-8")
    commands = re.findall(r"```bash\n(.*?)\n```", text, re.DOTALL)
    develop = text.index("## Develop")
    first_after = next(c for c in re.finditer(r"```bash\n(.*?)\n```", text, re.DOTALL)
                       if c.start() > develop)  # fmt: skip
    assert first_after.group(1) == ONE_LINER
    assert ONE_LINER in commands
