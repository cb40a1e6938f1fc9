"""``python -m allegro_plenty.demo`` runs as the README says: six orders, procedures, a second
import that duplicates nothing; ``--live`` goes through ``import --once --dry-run``."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from allegro_plenty import demo
from allegro_plenty.cli.output import ProgressBar
from allegro_plenty.testing import FakeAllegro, FakePlenty, FakeServer
from allegro_plenty.tokens import JsonFileTokenStore

README = Path(__file__).resolve().parents[1] / "README.md"
ONE_LINER = (
    "python3 -m venv .venv && .venv/bin/pip install -q -e . && "
    ".venv/bin/python -m allegro_plenty.demo"
)


def run_demo_process(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-W", "error", "-m", "allegro_plenty.demo", *arguments],
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )


def test_the_demo_imports_runs_the_procedures_and_duplicates_nothing() -> None:
    run = run_demo_process("--json")
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""  # no progress bar and no log when not on a terminal
    results = json.loads(run.stdout)
    rows = {row["order"]: row for row in results["orders"]}
    assert list(rows) == list(demo.SCENARIOS)
    created = [label for label, row in rows.items() if row["first_import"] == "created"]
    assert created == [
        "parcel locker",
        "company invoice, NIP",
        "Czech order in CZK",
        "cash on delivery",
    ]
    assert rows["unpaid"]["first_import"] == "skipped"
    assert "not READY_FOR_PROCESSING" in rows["unpaid"]["reason"]
    assert rows["malformed (no street)"]["first_import"] == "quarantined"
    assert "street is empty" in rows["malformed (no street)"]["reason"]
    for label in created:
        assert rows[label]["procedures"][0] == "set PROCESSING (was NEW)"
    assert rows["parcel locker"]["procedures"][1] == "tracking number DEMO-PARCEL-0001"
    assert results["first"]["counts"]["created"] == 4
    assert sum(results["second"]["counts"].values()) == 0
    assert {row["second_import"] for row in rows.values()} == {"nothing"}
    assert results["first"]["stops"] == results["second"]["stops"] == []


def test_the_demo_prints_a_summary_table() -> None:
    run = run_demo_process()
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].split() == ["order", "form", "first", "import", "procedures", "applied",
                                "second", "import"]  # fmt: skip
    parcel = next(line for line in lines if line.startswith("parcel locker"))
    assert "created #" in parcel
    assert "tracking number DEMO-PARCEL-0001" in parcel
    assert any(
        line.startswith("malformed (no street): quarantined: MappingError") for line in lines
    )
    assert lines[-2:] == [
        "first import:  4 created, 1 skipped, 1 quarantined",
        "second import: nothing to do (nothing duplicated)",
    ]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_draws_only_on_a_terminal() -> None:
    terminal, pipe = _Terminal(), io.StringIO()
    for stream in (terminal, pipe):
        bar = ProgressBar(4, "importing", stream=stream, width=8)
        bar.advance(note="created")
        bar.advance(1)
        bar.finish("done")
        bar.close()
    assert "\rimporting [##......] 1/4 created" in terminal.getvalue()
    assert "[########] 4/4" in terminal.getvalue()
    assert pipe.getvalue() == ""


def test_the_readme_runs_the_demo_first_and_shows_its_output() -> None:
    text = README.read_text(encoding="utf-8")
    commands = re.findall(r"```bash\n(.*?)\n```", text, re.DOTALL)
    develop = text.index("## Develop")
    first_after = next(c for c in re.finditer(r"```bash\n(.*?)\n```", text, re.DOTALL)
                       if c.start() > develop)  # fmt: skip
    assert first_after.group(1) == ONE_LINER
    assert ONE_LINER in commands
    assert "second import: nothing to do (nothing duplicated)" in text


# --- --live: the real path, here against the fakes as if they were real systems -------------


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[FakeAllegro, FakePlenty, dict[str, str]]]:
    allegro, plenty = FakeAllegro(), FakePlenty(plan=None)
    seller = allegro.default_seller.id
    tokens = tmp_path / "tokens.json"
    JsonFileTokenStore(tokens).save("allegro", seller, allegro.issue_token(seller))
    with allegro.serve() as allegro_server, plenty.serve() as plenty_server:
        yield (
            allegro,
            plenty,
            _live_environment(allegro, plenty, allegro_server, plenty_server, tmp_path),
        )


def _live_environment(
    allegro: FakeAllegro,
    plenty: FakePlenty,
    allegro_server: FakeServer,
    plenty_server: FakeServer,
    folder: Path,
) -> dict[str, str]:
    mapping = {
        "plenty_id": 1000,
        "status_id": 5,
        "payment_method_ids": {"ONLINE": 6000, "CASH_ON_DELIVERY": 1},
        "default_payment_method_id": 6000,
        "default_shipping_profile_id": 1,
        "currency": {"system_currency": "PLN"},
        "vat": {"basis": "destination"},
    }
    return {
        "ALLEGRO_PLENTY_CLIENT_ID": allegro.app.client_id,
        "ALLEGRO_PLENTY_CLIENT_SECRET": allegro.app.client_secret,
        "ALLEGRO_PLENTY_ALLEGRO_API_URL": allegro_server.url,
        "ALLEGRO_PLENTY_ALLEGRO_OAUTH_URL": allegro_server.url,
        "ALLEGRO_PLENTY_PLENTY_URL": plenty_server.url,
        "ALLEGRO_PLENTY_PLENTY_USERNAME": plenty.username,
        "ALLEGRO_PLENTY_PLENTY_PASSWORD": plenty.password,
        "ALLEGRO_PLENTY_TOKENS": str(folder / "tokens.json"),
        "ALLEGRO_PLENTY_LEDGER": str(folder / "ledger.db"),
        "ALLEGRO_PLENTY_ACCOUNT": allegro.default_seller.id,
        "ALLEGRO_PLENTY_MAPPING": json.dumps(mapping),
    }


def test_live_is_a_dry_run_and_seeds_nothing(
    live: tuple[FakeAllegro, FakePlenty, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    allegro, plenty, environ = live
    demo.seed_orders(allegro, plenty)  # the "real" account's own orders
    forms_before = set(allegro.checkout_form_ids())
    assert demo.main(["--live", "--json"], environ=environ) == 1  # the malformed one
    result = json.loads(capsys.readouterr().out)
    assert result["dry_run"] is True
    assert result["counts"]["created"] == 4
    assert plenty.order_ids() == []  # a dry run writes nothing
    assert set(allegro.checkout_form_ids()) == forms_before  # and the demo seeds nothing


def test_live_with_write_imports(
    live: tuple[FakeAllegro, FakePlenty, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    allegro, plenty, environ = live
    demo.seed_orders(allegro, plenty)
    assert demo.main(["--live", "--write"], environ=environ) == 1
    assert "4 created, 1 skipped, 1 quarantined" in capsys.readouterr().out
    assert len(plenty.order_ids()) == 4


def test_live_without_its_settings_names_them(capsys: pytest.CaptureFixture[str]) -> None:
    assert demo.main(["--live"], environ={}) == 2
    error = capsys.readouterr().err
    for name in ("$ALLEGRO_PLENTY_ACCOUNT", "$ALLEGRO_PLENTY_CLIENT_ID", "$ALLEGRO_PLENTY_TOKENS"):
        assert name in error
