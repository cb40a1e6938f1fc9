"""Street split time against line length: it must grow linearly.

``split_street`` reads a field the buyer typed, so its time must not blow up on a
long or hostile line. Each shape below is built to 8 KB, 1 MB and 10 MB (UTF-8)
and split; the best of ``--runs`` CPU times (``time.process_time``: other load on
the machine does not count) is printed, with the 10 MB / 1 MB ratio.
Linear time gives a ratio near 10; the run fails if any ratio exceeds 12.

Shapes: the worst case of the quadratic split this replaced (numbers and flat
details, then a word that is neither, so the line is kept whole), then
the shapes that make the split read every word: flat details after one house
number, numbers inside the street's name (``ul. 3 Maja 3 Maja ... 12``),
distinct glued flats (``m.0000001 m.0000002 ...``), a separator run (``1 / 1 / ...``) that
joins into one number, and one 10-MB word.

    python benchmarks/streets.py [--runs 3]
"""

from __future__ import annotations

import argparse
import math
import platform
import sys
import time
from collections.abc import Callable

from allegro_plenty.mapping import split_street

SIZES = {"8 KB": 8 * 1024, "1 MB": 1024 * 1024, "10 MB": 10 * 1024 * 1024}
MAX_RATIO = 12.0
"""Issue 8, point 18: the 10 MB time at most 12 times the 1 MB time."""


def to_size(build: Callable[[int], str]) -> Callable[[int], str]:
    """A builder of lines of about ``size`` bytes from a builder of ``n`` repeated units."""

    def sized(size: int) -> str:
        per_unit = len(build(1000).encode()) / 1000
        return build(max(1, round(size / per_unit)))

    return sized


SHAPES: dict[str, Callable[[int], str]] = {
    # The old code's worst case: numbers and flat details, then a word that is neither.
    "unsplit, word at the end": lambda n: "ul. Długa " + "5 m. 3 " * n + "hala",
    # The shapes that make the new code read every word.
    "flat details after a number": lambda n: "ul. Długa 5 " + "kl. II m. 3 kod 1234 " * n,
    "numbers in the street name": lambda n: "ul. " + "3 Maja " * n + "12",
    "distinct glued flats": lambda n: "ul. Długa 5 " + " ".join(f"m.{i:07d}" for i in range(n)),
    "spaced separators": lambda n: "ul. Długa " + "1 / " * n + "1",
    "one word": lambda n: "1" * n,
}


def best_time(line: str, runs: int) -> float:
    """CPU seconds per split, the best of ``runs``; a fast split is repeated to fill 0.2 s
    so that the clock's resolution does not decide."""
    started = time.process_time()
    split_street(line)
    once = time.process_time() - started
    loops = max(1, math.ceil(0.2 / once)) if once < 0.2 else 1
    best = float("inf")
    for _ in range(runs):
        started = time.process_time()
        for _ in range(loops):
            split_street(line)
        best = min(best, (time.process_time() - started) / loops)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per size; the best counts")
    args = parser.parse_args()
    print(
        f"Python {platform.python_version()} on {platform.machine()}; "
        f"CPU seconds per split, best of {args.runs}"
    )
    print(f"{'shape':<28}" + "".join(f"{name:>10}" for name in SIZES) + f"{'10MB/1MB':>10}")
    worst = 0.0
    for shape, build in SHAPES.items():
        times = {name: best_time(to_size(build)(size), args.runs) for name, size in SIZES.items()}
        ratio = times["10 MB"] / times["1 MB"]
        worst = max(worst, ratio)
        cells = "".join(f"{seconds:>9.3f}s" for seconds in times.values())
        print(f"{shape:<28}{cells}{ratio:>10.1f}")
    verdict = "ok" if worst <= MAX_RATIO else "TOO SLOW"
    print(f"worst 10MB/1MB ratio {worst:.1f} (limit {MAX_RATIO:g}): {verdict}")
    return 0 if worst <= MAX_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
