"""The examples of docs/ledger.md run as printed: scripts as scripts, the pytest file
as a user's own test module."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "ledger.md"
MARKER = re.compile(r"<!-- runnable: (\S+) -->\n```python\n(.*?)\n```", re.DOTALL)
EXAMPLES = dict(MARKER.findall(DOC.read_text(encoding="utf-8")))


def _run(arguments: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-W", "error", *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )


def test_the_page_has_its_runnable_examples() -> None:
    assert list(EXAMPLES) == [
        "worker_loop.py",
        "operator_actions.py",
        "async_ledger.py",
        "test_my_ledger.py",
    ]


def test_the_worker_loop_example_runs(tmp_path: Path) -> None:
    (tmp_path / "worker_loop.py").write_text(EXAMPLES["worker_loop.py"], encoding="utf-8")
    run = _run(["worker_loop.py"], tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == ["bound to 1001", "already bound"]


def test_the_operator_example_runs(tmp_path: Path) -> None:
    (tmp_path / "operator_actions.py").write_text(EXAMPLES["operator_actions.py"], encoding="utf-8")
    run = _run(["operator_actions.py"], tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == [
        "12345678 form-1 attempts=1 retrying",
        "12345678 form-2 attempts=1 quarantined: unknown SKU ABC-1 (refuse policy)",
        "12345678 form-3 attempts=1 quarantined: DuplicateOrdersFound: orders 7, 8",
    ]


def test_the_async_example_runs(tmp_path: Path) -> None:
    (tmp_path / "async_ledger.py").write_text(EXAMPLES["async_ledger.py"], encoding="utf-8")
    run = _run(["async_ledger.py"], tmp_path)
    assert run.returncode == 0, run.stderr


@pytest.mark.slow
def test_the_bring_your_own_ledger_example_passes_the_contract(tmp_path: Path) -> None:
    """The user's module runs in a project of its own (no conftest, no registered marks).

    The cases racing processes are left out here only to save time: the same cases
    run for SqliteLedger in test_ledger_contract.py.
    """
    (tmp_path / "test_my_ledger.py").write_text(EXAMPLES["test_my_ledger.py"], encoding="utf-8")
    arguments = ["-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "not among_processes"]
    run = _run([*arguments, "test_my_ledger.py"], tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert re.search(r"\b108 passed, 1 skipped, 6 deselected", run.stdout), run.stdout
