"""``python -m allegro_plenty.demo``: the order importer against the built-in fakes.

It seeds a fake Allegro account with a few orders and a fake plentymarkets
system with their products, serves both on loopback (real HTTP on 127.0.0.1),
imports with the SQLite ledger in a temporary folder, imports again, and
prints what each run did: the second creates nothing. No network, no
accounts, no configuration; it needs only this package.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from .accounts import AllegroAccount
from .allegro import PRODUCTION, AllegroClient
from .importer import ImportResult, ImportSettings, OrderImporter
from .ledger import SqliteLedger
from .mapping import CurrencyPolicy, MappingConfig, VatBasis, VatPolicy
from .plenty import PlentyClient
from .testing import FakeAllegro, FakePlenty, checkout_form, seed_catalogue
from .tokens import MemoryTokenStore

__all__ = ["main"]

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


def _seed(allegro: FakeAllegro, plenty: FakePlenty) -> None:
    forms = [
        checkout_form(seed=1, country="PL"),
        checkout_form(seed=2, country="CZ", delivery="parcel_locker"),
        checkout_form(seed=3, country="PL", company=True, surcharges=["9.99"]),
        checkout_form(seed=4, country="SK", payment_type="CASH_ON_DELIVERY"),
        checkout_form(seed=5, country="HU", deposit=True),
        checkout_form(seed=6, country="PL", status="FILLED_IN"),  # not paid yet: skipped
        checkout_form(seed=7, country="PL", fulfillment_status="SENT"),  # shipped: skipped
    ]
    seed_catalogue(plenty, forms)
    for form in forms:
        allegro.add_checkout_form(form)


def _summary(result: ImportResult) -> str:
    done = ", ".join(f"{count} {kind}" for kind, count in result.counts.items() if count)
    return done or "nothing to do"


def run_demo(folder: Path) -> tuple[ImportResult, ImportResult]:
    """Seed the fakes, serve them, import twice; return both results."""
    allegro, plenty = FakeAllegro(), FakePlenty(plan=None)
    _seed(allegro, plenty)
    seller = allegro.default_seller.id
    tokens = MemoryTokenStore()
    tokens.save("allegro", seller, allegro.issue_token(seller))  # a connected account
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
            importer = OrderImporter(
                plenty=plenty_client,
                ledger=SqliteLedger(folder / "ledger.db"),
                accounts=[(AllegroAccount(key=seller, mapping=MAPPING), allegro_client)],
                settings=ImportSettings(backfill=timedelta(days=7)),
            )
            return importer.run(), importer.run()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo; ``--json`` prints both results as JSON instead of a summary."""
    parser = argparse.ArgumentParser(prog="python -m allegro_plenty.demo", description=__doc__)
    parser.add_argument("--json", action="store_true", help="print both results as JSON")
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="allegro-plenty-demo-") as folder:
        first, second = run_demo(Path(folder))
    if options.json:
        print(json.dumps({"first": first.to_json(), "second": second.to_json()}, indent=2))
    else:
        print(f"first import:  {_summary(first)}")
        print(f"second import: {_summary(second)}")
    return max(first.exit_code, second.exit_code)


if __name__ == "__main__":  # pragma: no cover - run as a module
    sys.exit(main())
