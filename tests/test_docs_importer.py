"""The example of docs/importer.md runs as printed and prints what the page says."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "importer.md"
TEXT = DOC.read_text(encoding="utf-8")
EXAMPLES = dict(re.findall(r"<!-- runnable: (\S+) -->\n```python\n(.*?)\n```", TEXT, re.DOTALL))


def test_the_page_has_its_runnable_example() -> None:
    assert list(EXAMPLES) == ["first_import.py"]


def test_the_first_import_example_prints_what_the_page_says(tmp_path: Path) -> None:
    (tmp_path / "first_import.py").write_text(EXAMPLES["first_import.py"], encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-W", "error", "first_import.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    printed = re.search(r"It prints:\n\n```\n(.*?)\n```", TEXT, re.DOTALL)
    assert printed is not None
    assert run.stdout.splitlines() == printed.group(1).splitlines()


def test_every_setting_is_in_the_settings_table() -> None:
    import attrs

    from allegro_plenty import ImportSettings

    table = set(re.findall(r"^\| `(\w+)`(?:, `(\w+)`)? \|", TEXT, re.MULTILINE))
    documented = {name for row in table for name in row if name}
    assert {field.name for field in attrs.fields(ImportSettings)} <= documented
