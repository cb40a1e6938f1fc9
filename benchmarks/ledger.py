"""Claims per second on one SQLite ledger file, from many processes and threads.

Every worker (``--processes`` × ``--threads``) walks the same ``--keys`` in the
same order, all released at once, and for each key tries to claim it; a won
claim is renewed, confirmed and released (three write transactions), or kept
with ``--keep`` (then each key is won once and the rest are refusals). The run
fails if any key was held by two workers at once, or if anything escaped (such
as SQLite's "database is locked"). Printed: claim attempts and won claims per
second of wall time, for each ``synchronous`` setting asked for.

    python benchmarks/ledger.py [--processes 8] [--threads 4] [--keys 1000]
                                [--synchronous FULL NORMAL] [--keep] [--dir /tmp]
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from allegro_plenty.ledger import SqliteLedger
from allegro_plenty.testing._ledger_race import claim_every_key, claim_violations, race


def run(args: argparse.Namespace, synchronous: str) -> None:
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        path = Path(folder) / "ledger.db"
        opener = functools.partial(SqliteLedger, path, synchronous=synchronous)
        opener().migrate()
        keys = [f"form-{n}" for n in range(args.keys)]
        work = functools.partial(
            claim_every_key, account="bench", keys=keys, lease=3600.0, release=not args.keep
        )
        started = time.perf_counter()
        outcome = race(work, threads=args.threads, processes=args.processes, opener=opener)
        seconds = time.perf_counter() - started
    if outcome.errors:
        sys.exit("errors:\n" + "\n".join(outcome.errors))
    holds = [hold for holds in outcome.results for hold in holds]
    violations = claim_violations(holds, keys)
    if violations:
        sys.exit("exclusivity broken:\n" + "\n".join(violations[:20]))
    attempts = args.processes * args.threads * args.keys
    print(
        f"synchronous={synchronous:<6} {args.processes} processes x {args.threads} threads, "
        f"{args.keys} keys: {attempts} claim attempts, {len(holds)} won, in {seconds:.2f} s "
        f"(process start-up included) -> {attempts / seconds:,.0f} attempts/s, "
        f"{len(holds) / seconds:,.0f} won claims/s"
        + ("" if args.keep else " (each renewed, confirmed and released)")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--keys", type=int, default=1000)
    parser.add_argument("--synchronous", nargs="+", default=["FULL", "NORMAL"])
    parser.add_argument(
        "--keep", action="store_true", help="keep won claims (each key is won once)"
    )
    parser.add_argument("--dir", default=None, help="where the file lives (default: tmp)")
    args = parser.parse_args()
    print(
        f"Python {platform.python_version()}, SQLite {__import__('sqlite3').sqlite_version}, "
        f"{os.cpu_count()} CPUs, {platform.platform()}, folder {args.dir or tempfile.gettempdir()}"
    )
    for synchronous in args.synchronous:
        run(args, synchronous)


if __name__ == "__main__":
    main()
