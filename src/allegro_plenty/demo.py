"""``python -m allegro_plenty.demo``: the order importer and the procedures against the fakes.

It seeds a fake Allegro account with six orders (a parcel locker, a company
invoice with NIP, a Czech order in CZK, cash on delivery, an unpaid one, a
malformed one) and a fake plentymarkets system with their products, serves both
on loopback (real HTTP on 127.0.0.1), imports with the SQLite ledger in a
temporary folder, runs two procedures (status PROCESSING, a tracking number),
imports again, and prints what happened to each order: the second import
creates nothing. No network, no accounts, no configuration.

``--live`` imports from a real Allegro account into a real plentymarkets system
instead, configured by environment variables (``allegro-plenty --help`` lists
them), through the same code as ``allegro-plenty import --once --all --dry-run``:
nothing is written unless ``--write`` is given too, and nothing is ever seeded.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

import attrs

from .accounts import AllegroAccount
from .allegro import PRODUCTION, AllegroClient
from .cli.config import load_config
from .cli.output import ProgressBar, table
from .cli.run import import_once, print_import
from .cli.runtime import Runtime
from .errors import AllegroPlentyError
from .importer import EntryKind, ImportEntry, ImportResult, ImportSettings, OrderImporter
from .ledger import SqliteLedger
from .mapping import CurrencyPolicy, MappingConfig, VatBasis, VatPolicy
from .plenty import PlentyClient
from .procedures import (
    CarrierMap,
    ExecutionStatus,
    ProcedureConfig,
    ProcedureOutcome,
    ProcedureRunner,
)
from .testing import FakeAllegro, FakePlenty, checkout_form, seed_catalogue
from .tokens import MemoryTokenStore

__all__ = ["CARRIERS", "MAPPING", "DemoRun", "main", "run_demo", "seed_orders"]

MAPPING = MappingConfig(
    plenty_id=1000,
    status_id=Decimal(5),
    payment_method_ids={"ONLINE": 6000, "CASH_ON_DELIVERY": 1},
    default_payment_method_id=6000,
    default_shipping_profile_id=1,
    currency=CurrencyPolicy(system_currency="PLN"),
    vat=VatPolicy(basis=VatBasis.DESTINATION),
)
"""The fake plentymarkets system's ids: plentyId 1000, its payment methods and profiles."""

CARRIERS = CarrierMap({1: "DPD", 2: "INPOST"})
"""The fake system's shipping profiles 1 (DPD) and 2 (InPost) as Allegro carriers."""

TRACKED = "parcel locker"
"""The order that gets a package number, and so a tracking number on Allegro."""


def _malformed() -> dict[str, Any]:
    form = checkout_form(seed=6)
    form["delivery"]["address"]["street"] = ""  # no street: plentymarkets cannot ship it
    return form


SCENARIOS: dict[str, Callable[[], dict[str, Any]]] = {
    TRACKED: lambda: checkout_form(seed=1, delivery="parcel_locker"),
    "company invoice, NIP": lambda: checkout_form(seed=2, company=True),
    "Czech order in CZK": lambda: checkout_form(seed=3, country="CZ"),
    "cash on delivery": lambda: checkout_form(seed=4, payment_type="CASH_ON_DELIVERY"),
    "unpaid": lambda: checkout_form(seed=5, status="BOUGHT"),
    "malformed (no street)": _malformed,
}
"""The demo's orders by label."""


def seed_orders(allegro: FakeAllegro, plenty: FakePlenty) -> dict[str, str]:
    """Seed the demo's orders and their products; return ``{checkout-form id: label}``."""
    forms = {label: make() for label, make in SCENARIOS.items()}
    seed_catalogue(plenty, forms.values())
    for form in forms.values():
        allegro.add_checkout_form(form)
    return {form["id"]: label for label, form in forms.items()}


@attrs.frozen
class DemoRun:
    """What the demo did.

    Attributes:
        labels: Each seeded checkout form's label, by form id.
        first: The first import.
        procedures: The procedures run between the imports.
        second: The second import.
    """

    labels: dict[str, str]
    first: ImportResult
    procedures: tuple[ProcedureOutcome, ...]
    second: ImportResult

    def rows(self) -> list[dict[str, Any]]:
        """One row per seeded order: what each step did to it."""
        applied: dict[str, list[str]] = {form_id: [] for form_id in self.labels}
        for outcome in self.procedures:
            for result in outcome.results:
                if result.status is not ExecutionStatus.DONE:
                    continue
                if outcome.procedure == "allegro.tracking":
                    applied[outcome.form_id].append(f"tracking number {result.subject}")
                else:
                    applied[outcome.form_id].append(result.reason or outcome.procedure)
        first = {e.checkout_form_id: e for e in self.first.entries}
        second = {e.checkout_form_id: e for e in self.second.entries}
        return [
            {
                "order": label,
                "checkout_form_id": form_id,
                "first_import": first[form_id].kind.value if form_id in first else "-",
                "plenty_order_id": first[form_id].plenty_order_id if form_id in first else None,
                "reason": first[form_id].reason if form_id in first else None,
                "procedures": applied[form_id],
                "second_import": second[form_id].kind.value if form_id in second else "nothing",
            }
            for form_id, label in self.labels.items()
        ]

    def to_json(self) -> dict[str, Any]:
        """The run as JSON types."""
        return {
            "orders": self.rows(),
            "first": self.first.to_json(),
            "second": self.second.to_json(),
        }


def run_demo(folder: Path, *, progress: ProgressBar | None = None) -> DemoRun:
    """Seed the fakes, serve them, import, run the procedures, import again."""
    allegro, plenty = FakeAllegro(), FakePlenty(plan=None)
    labels = seed_orders(allegro, plenty)
    seller = allegro.default_seller.id
    tokens = MemoryTokenStore()
    tokens.save("allegro", seller, allegro.issue_token(seller))  # a connected account

    def advance(entry: ImportEntry) -> None:
        if progress is not None:
            progress.advance(note=f"{entry.kind.value}: {labels.get(entry.checkout_form_id)}")

    with allegro.serve() as allegro_server, plenty.serve() as plenty_server:
        environment = PRODUCTION.with_base_url(allegro_server.url, allegro_server.url)
        with (
            AllegroClient(
                app=allegro.app, account=seller, token_store=tokens, environment=environment
            ) as allegro_client,
            PlentyClient(
                plenty_server.url,
                username=plenty.username,
                password=plenty.password,
                token_store=tokens,
            ) as plenty_client,
        ):
            ledger = SqliteLedger(folder / "ledger.db")
            account = AllegroAccount(key=seller, mapping=MAPPING)
            importer = OrderImporter(
                plenty=plenty_client,
                ledger=ledger,
                accounts=[(account, allegro_client)],
                settings=ImportSettings(backfill=timedelta(days=7)),
                on_progress=advance,
            )
            runner = ProcedureRunner(
                plenty=plenty_client,
                ledger=ledger,
                accounts=[(account, allegro_client)],
                config=ProcedureConfig(carriers=CARRIERS),
            )
            first = importer.run()
            outcomes: list[ProcedureOutcome] = []
            for entry in first.of(EntryKind.CREATED):
                order_id = int(entry.plenty_order_id or 0)
                outcomes.append(runner.dispatch("allegro.status.processing", order_id))
                if labels[entry.checkout_form_id] == TRACKED:
                    plenty.register_package(order_id, "DEMO-PARCEL-0001")
                    outcomes.append(runner.dispatch("allegro.tracking", order_id))
                if progress is not None:
                    progress.advance(note=f"procedures: {labels[entry.checkout_form_id]}")
            second = importer.run()
            if progress is not None:
                progress.finish("imported again")
            ledger.close()
    return DemoRun(labels, first, tuple(outcomes), second)


def _print_summary(run: DemoRun, out: TextIO) -> None:
    rows = [
        (
            row["order"],
            row["checkout_form_id"][:8],
            row["first_import"] + (f" #{row['plenty_order_id']}" if row["plenty_order_id"] else ""),
            "; ".join(row["procedures"]) or "-",
            row["second_import"],
        )
        for row in run.rows()
    ]
    headers = ["order", "form", "first import", "procedures applied", "second import"]
    print(table(headers, rows), file=out)
    print(file=out)
    for row in run.rows():
        if row["first_import"] in ("skipped", "quarantined"):
            print(f"{row['order']}: {row['first_import']}: {row['reason']}", file=out)
    counts = ", ".join(f"{n} {kind}" for kind, n in run.first.counts.items() if n)
    again = ", ".join(f"{n} {kind}" for kind, n in run.second.counts.items() if n)
    print(f"\nfirst import:  {counts or 'nothing to do'}", file=out)
    print(f"second import: {again or 'nothing to do'} (nothing duplicated)", file=out)


def _live(write: bool, environ: Mapping[str, str], as_json: bool) -> int:
    from .cli.run import import_exit_code

    runtime = Runtime(environ=environ)
    try:
        result = import_once(load_config(None, environ), None, dry_run=not write)
    except AllegroPlentyError as error:
        from .cli.main import exit_code_for

        runtime.note(f"error: {type(error).__name__}: {error}")
        return exit_code_for(error)
    if as_json:
        runtime.say(json.dumps(result.to_json(), indent=2))
    else:
        print_import(result, runtime)
    return import_exit_code(result)


def main(argv: Sequence[str] | None = None, *, environ: Mapping[str, str] | None = None) -> int:
    """Run the demo (``--json``: the results as JSON); ``--live [--write]``: a real import."""
    parser = argparse.ArgumentParser(
        prog="python -m allegro_plenty.demo",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--live", action="store_true", help="import from the accounts the environment names"
    )
    parser.add_argument(
        "--write", action="store_true", help="with --live: write into plentymarkets (no dry run)"
    )
    options = parser.parse_args(argv)
    if options.write and not options.live:
        parser.error("--write only goes with --live")
    if options.live:
        return _live(options.write, os.environ if environ is None else environ, options.json)
    # The summary says what was quarantined and why; the library's log would say it twice.
    logging.getLogger("allegro_plenty").setLevel(logging.ERROR)
    # Steps: each order of the first import, the procedures of each created one, the
    # second import (finish() fills the bar whatever the count turned out to be).
    progress = ProgressBar(len(SCENARIOS) * 2 + 1, "demo", stream=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="allegro-plenty-demo-") as folder:
        run = run_demo(Path(folder), progress=progress)
    progress.close()
    if options.json:
        print(json.dumps(run.to_json(), indent=2))
    else:
        _print_summary(run, sys.stdout)
    return max(run.first.exit_code, run.second.exit_code)


if __name__ == "__main__":  # pragma: no cover - run as a module
    sys.exit(main())
