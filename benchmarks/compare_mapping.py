"""Mapping speed of two source trees side by side, in one run.

    python benchmarks/compare_mapping.py OTHER_TREE [--rounds 9] [--forms 2000]

compares this checkout (A) with another checkout of the project (B, e.g. a
``git worktree`` of the commit before a change). One worker process per tree
holds the same generated forms (this tree's ``benchmarks/mapping.py``
generator); the rounds alternate A B, B A ... and each measures CPU time per
form (``time.process_time``, so other load on the machine counts less than in
wall time). Printed: per round, the medians, and A's speed relative to B as
the median of the per-round ratios and as the ratio of the medians, for the
mapper alone and for the whole way from JSON text to an order draft.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED, MAX_LINES = 2025, 20


def worker(forms: int) -> None:
    """(In a worker process, run inside one tree.) Map the forms on each command."""
    sys.path.insert(0, str(HERE))
    import mapping as bench  # the generator and the configuration of the benchmark

    from allegro_plenty._convert import make_converter
    from allegro_plenty.allegro.models import CheckoutForm
    from allegro_plenty.mapping import MappingContext, OrderMapper

    texts, variations, expected_cents, _ = bench.generate(forms, SEED, MAX_LINES)
    context = MappingContext(
        referrer_id=Decimal("178.01"),
        country_ids={"PL": 23, "CZ": 6, "SK": 26, "HU": 14},
        vat_configurations={
            "PL": bench._rates(2, "23", "8", "5"),
            "CZ": bench._rates(6, "21", "12"),
            "SK": bench._rates(7, "23", "19"),
            "HU": bench._rates(8, "27", "18"),
        },
        variation_ids=variations,
        exchange_rates={"PLN": Decimal("4.25"), "CZK": Decimal("25.1"), "HUF": Decimal("405")},
    )
    mapper = OrderMapper(bench.CONFIG)
    converter = make_converter()
    parsed = [converter.structure(json.loads(t, parse_float=Decimal), CheckoutForm) for t in texts]
    expected = Decimal(expected_cents) / 100
    print("ready", flush=True)
    for command in sys.stdin:
        start = time.process_time()
        if command.strip() == "map":
            total = sum(mapper.map(form, context).total for form in parsed)
        else:
            total = sum(
                mapper.map(
                    converter.structure(json.loads(t, parse_float=Decimal), CheckoutForm), context
                ).total
                for t in texts
            )
        spent = time.process_time() - start
        assert total == expected, (total, expected)
        print(spent / forms * 1e6, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("other", type=Path, help="the other tree (B)")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--forms", type=int, default=2000)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.forms)
        return
    trees = {"A": HERE.parent, "B": args.other.resolve()}
    workers = {}
    for name, tree in trees.items():
        env = {**os.environ, "PYTHONPATH": str(tree / "src")}
        command = [sys.executable, __file__, str(tree), "--worker", "--forms", str(args.forms)]
        process = subprocess.Popen(
            command, cwd=tree, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert process.stdin is not None
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready", f"worker in {tree} did not start"
        workers[name] = process
    print(f"A {trees['A']}\nB {trees['B']}\n{args.forms} forms, {args.rounds} rounds, CPU µs/form")
    for mode in ("map", "json"):
        times: dict[str, list[float]] = {"A": [], "B": []}
        for round_ in range(args.rounds):
            for name in ("A", "B") if round_ % 2 == 0 else ("B", "A"):
                process = workers[name]
                assert process.stdin is not None
                assert process.stdout is not None
                process.stdin.write(mode + "\n")
                process.stdin.flush()
                times[name].append(float(process.stdout.readline()))
            print(f"  {mode} round {round_}: A {times['A'][-1]:.1f}  B {times['B'][-1]:.1f}")
        a, b = statistics.median(times["A"]), statistics.median(times["B"])
        pairs = statistics.median(y / x for x, y in zip(times["A"], times["B"], strict=False))
        what = "mapper alone" if mode == "map" else "JSON text -> draft"
        print(
            f"{what}: A {a:.1f} µs/form, B {b:.1f} µs/form; speed of A relative to B: "
            f"{pairs:.3f} (median of rounds), {b / a:.3f} (ratio of medians)"
        )
    for process in workers.values():
        assert process.stdin is not None
        process.stdin.close()
        process.wait()


if __name__ == "__main__":
    main()
