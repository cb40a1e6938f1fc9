"""Plain-text output for operators: aligned tables and a progress bar (stdlib only)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TextIO

__all__ = ["ProgressBar", "table"]


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """``rows`` under ``headers``, columns padded to their widest cell."""
    cells = [[str(h) for h in headers], *[["" if c is None else str(c) for c in r] for r in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in cells
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)


class ProgressBar:
    """A one-line progress bar redrawn in place on a terminal; silent elsewhere.

    It writes only when ``stream`` is a TTY (by default: standard error), so
    piped or captured output, cron mail and ``--json`` stay clean.

    Args:
        total: The number of steps.
        label: What is being done.
        stream: Where to draw (standard error by default).
        width: The bar's width in characters.
    """

    def __init__(
        self, total: int, label: str, *, stream: TextIO | None = None, width: int = 30
    ) -> None:
        self.total = max(total, 1)
        self.label = label
        self.done = 0
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.enabled = self.stream.isatty()

    def advance(self, steps: int = 1, note: str = "") -> None:
        """Move on by ``steps`` and redraw, with an optional note after the bar."""
        self.done = min(self.done + steps, self.total)
        if self.enabled:
            filled = self.width * self.done // self.total
            bar = "#" * filled + "." * (self.width - filled)
            self.stream.write(f"\r{self.label} [{bar}] {self.done}/{self.total} {note:<30.30}")
            self.stream.flush()

    def finish(self, note: str = "") -> None:
        """Fill the bar: the work is done, however many steps it took."""
        self.advance(self.total - self.done, note)

    def close(self) -> None:
        """End the line the bar was drawn on."""
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()
