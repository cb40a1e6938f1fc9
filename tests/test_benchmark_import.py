"""``benchmarks/import.py`` keeps working: its cheapest part runs and meets its floors.

The timing figures stay in the script; this only proves it runs (the fakes in a
process of their own, served on loopback) and checks what it prints.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "import.py"


def test_the_call_table_of_a_simple_order_runs_and_meets_its_floors() -> None:
    run = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--only", "calls-a"],
        capture_output=True,
        text=True,
        timeout=100,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    out = run.stdout
    assert "(a) new buyer, one line item, billing = delivery" in out
    floors = {
        line.strip().removeprefix("floor ").split(":")[0]: line.rstrip().endswith("-> met")
        for line in out.splitlines()
        if line.strip().startswith("floor ")
    }
    assert floors == {
        "(a) no duplicate order": True,
        "(a) warm plenty writes": True,
        "(a) warm plenty reads": True,
        "(a) payment look-up only when resuming": True,
    }
    assert "NOT MET" not in out
    assert out.rstrip().endswith("every floor met")
    table = [line.split() for line in out.splitlines() if line.startswith("  plenty POST")]
    assert ["plenty", "POST", "/rest/orders", "1", "1", "1", "1"] in table  # one create a run
