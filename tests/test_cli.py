"""``allegro-plenty``: every command end to end against the fakes on loopback (real HTTP on
127.0.0.1), through ``main(argv)`` and, for a smoke test, as a process."""

from __future__ import annotations

import io
import json
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from importlib import metadata
from pathlib import Path
from typing import Any

import attrs
import pytest

from allegro_plenty import ALLEGRO_SANDBOX, demo
from allegro_plenty.cli import Runtime, exit_code_for, import_exit_code, load_config, main
from allegro_plenty.errors import BudgetExhaustedError, ConfigurationError, OAuthError
from allegro_plenty.importer import EntryKind, ImportEntry, ImportResult, ImportStop
from allegro_plenty.ledger import BindingOrigin, SqliteLedger
from allegro_plenty.procedures import (
    InvoiceDocumentsRule,
    PollSettings,
    ProcedureRunner,
    StatusRule,
    TrackingSweep,
)
from allegro_plenty.procedures import poll as poll_module
from allegro_plenty.testing import FakeAllegro, FakeClock, FakePlenty, Fault
from allegro_plenty.testing._transport import Exchange, Refusal
from allegro_plenty.tokens import JsonFileTokenStore

CONFIG = """\
[allegro]
client_id = "{client_id}"
api_url = "{allegro_url}"
oauth_url = "{allegro_url}"

[plenty]
url = "{plenty_url}"
username = "{username}"

[storage]
tokens = "{folder}/tokens.json"
ledger = "{folder}/ledger.db"

[import]
backfill = 604800

[procedures]
carriers = {{ 1 = "DPD" }}

[[accounts]]
key = "{seller}"
name = "demo shop"
[accounts.mapping]
plenty_id = 1000
status_id = 5
payment_method_ids = {{ ONLINE = 6000, CASH_ON_DELIVERY = 1 }}
default_payment_method_id = 6000
default_shipping_profile_id = 1
currency = {{ system_currency = "PLN" }}
vat = {{ basis = "destination" }}
"""


class DenyingPlenty(FakePlenty):
    """A plentymarkets whose REST user may not read payment methods."""

    def admit(self, exchange: Exchange) -> None:
        super().admit(exchange)
        if exchange.request.path.startswith("/rest/payments/methods"):
            raise Refusal(403, "FORBIDDEN", "This action is unauthorized.")


@attrs.define
class Cli:
    """Both fakes served on loopback, a config file pointing at them, and the runtime."""

    clock: FakeClock
    allegro: FakeAllegro
    plenty: FakePlenty
    folder: Path
    config: Path
    environ: dict[str, str]
    stdout: io.StringIO = attrs.field(factory=io.StringIO)
    stderr: io.StringIO = attrs.field(factory=io.StringIO)

    def __call__(self, *argv: str, **runtime: Any) -> int:
        self.stdout.seek(0)
        self.stdout.truncate()
        self.stderr.seek(0)
        self.stderr.truncate()
        options = {"environ": self.environ, "stdout": self.stdout, "stderr": self.stderr}
        return main(["--config", str(self.config), *argv], runtime=Runtime(**options, **runtime))

    @property
    def out(self) -> str:
        return self.stdout.getvalue()

    @property
    def err(self) -> str:
        return self.stderr.getvalue()

    def json(self) -> Any:
        return json.loads(self.out)

    @property
    def seller(self) -> str:
        return self.allegro.default_seller.id

    def connect(self) -> None:
        """A connected account, as ``connect allegro`` leaves it."""
        JsonFileTokenStore(self.folder / "tokens.json").save(
            "allegro", self.seller, self.allegro.issue_token(self.seller)
        )

    def ledger(self) -> SqliteLedger:
        return SqliteLedger(self.folder / "ledger.db")

    def secrets(self) -> list[str]:
        found = [self.environ["ALLEGRO_PLENTY_CLIENT_SECRET"], self.plenty.password]
        stored = JsonFileTokenStore(self.folder / "tokens.json").load("allegro", self.seller)
        if stored is not None:
            found += [stored.access_token, stored.refresh_token or ""]
        return [secret for secret in found if secret]


def make_cli(tmp_path: Path, plenty: FakePlenty | None = None) -> Iterator[Cli]:
    clock = FakeClock()
    allegro = FakeAllegro(clock=clock)
    plenty = plenty or FakePlenty(plan=None)
    with allegro.serve() as allegro_server, plenty.serve() as plenty_server:
        config = tmp_path / "allegro-plenty.toml"
        config.write_text(
            CONFIG.format(
                client_id=allegro.app.client_id,
                allegro_url=allegro_server.url,
                plenty_url=plenty_server.url,
                username=plenty.username,
                folder=tmp_path,
                seller=allegro.default_seller.id,
            ),
            encoding="utf-8",
        )
        environ = {
            "ALLEGRO_PLENTY_CLIENT_SECRET": allegro.app.client_secret,
            "ALLEGRO_PLENTY_PLENTY_PASSWORD": plenty.password,
        }
        yield Cli(clock, allegro, plenty, tmp_path, config, environ)


@pytest.fixture
def cli(tmp_path: Path) -> Iterator[Cli]:
    yield from make_cli(tmp_path)


# --- connect allegro: the device flow -------------------------------------------------------


class Seller:
    """The person at the browser: acts on the device code at a chosen poll; the clock moves
    by each wait, except where it is told to poll too soon."""

    def __init__(self, cli: Cli, *, act_at: int, action: str, too_soon_at: int = 0) -> None:
        self.cli, self.act_at, self.action, self.too_soon_at = cli, act_at, action, too_soon_at
        self.waits: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        if len(self.waits) != self.too_soon_at:
            self.cli.clock.advance(seconds)
        if len(self.waits) == self.act_at:
            code = self.cli.err.split("confirm the code ")[1].split()[0]
            if self.action == "approve":
                self.cli.allegro.approve_device(code)
            else:
                self.cli.allegro.deny_device(code)


def test_connect_allegro_runs_the_device_flow_slows_down_and_stores_the_pair(cli: Cli) -> None:
    seller = Seller(cli, act_at=3, action="approve", too_soon_at=2)
    code = cli("connect", "allegro", sleep=seller.sleep, monotonic=cli.clock.monotonic)
    assert code == 0, cli.err
    assert "Open https://allegro.pl/skojarz-aplikacje?code=" in cli.err
    assert seller.waits == [5, 5, 10]  # pending, then slow_down (polled too soon): +5 s
    assert f"connected Allegro seller {cli.seller}" in cli.out
    stored = JsonFileTokenStore(cli.folder / "tokens.json").load("allegro", cli.seller)
    assert stored is not None
    assert stored.refresh_token
    for secret in cli.secrets():
        assert secret not in cli.out + cli.err


def test_connect_allegro_refused_by_the_seller(cli: Cli) -> None:
    seller = Seller(cli, act_at=1, action="deny")
    assert cli("connect", "allegro", sleep=seller.sleep, monotonic=cli.clock.monotonic) == 3
    assert "access_denied" in cli.err
    assert "refused" in cli.err
    assert not (cli.folder / "tokens.json").exists() or "allegro" not in (
        cli.folder / "tokens.json"
    ).read_text(encoding="utf-8")


def test_connect_allegro_gives_up_when_the_code_expires(cli: Cli) -> None:
    def never(seconds: float) -> None:
        cli.clock.advance(seconds)

    assert cli("connect", "allegro", sleep=never, monotonic=cli.clock.monotonic) == 3
    assert "expired" in cli.err


# --- connect plenty ---------------------------------------------------------------------------


def test_connect_plenty_checks_the_login_and_the_rights(cli: Cli) -> None:
    assert cli("connect", "plenty") == 0, cli.err
    assert f"logged in to {cli.environ and 'http'}" in cli.out
    assert "DENIED" not in cli.out
    assert cli.plenty.password not in cli.out + cli.err


def test_connect_plenty_names_a_missing_right(tmp_path: Path) -> None:
    for cli in make_cli(tmp_path, DenyingPlenty(plan=None)):
        assert cli("connect", "plenty") == 2
        assert re.search(r"^payment methods +DENIED$", cli.out, re.MULTILINE)
        assert "lacks: payment methods" in cli.err


def test_connect_plenty_with_a_wrong_password_is_a_configuration_error(cli: Cli) -> None:
    cli.environ["ALLEGRO_PLENTY_PLENTY_PASSWORD"] = "not-the-password-at-all"
    assert cli("connect", "plenty") == 2
    assert "AuthenticationError" in cli.err
    assert "not-the-password-at-all" not in cli.out + cli.err


# --- import --once ----------------------------------------------------------------------------


def test_import_once_exit_codes_follow_what_happened(cli: Cli) -> None:
    cli.connect()
    labels = demo.seed_orders(cli.allegro, cli.plenty)
    assert cli("import", "--once", "--all", "--json") == 1  # the malformed order: quarantined
    result = cli.json()
    assert result["counts"]["created"] == 4
    assert result["counts"]["quarantined"] == 1
    assert [labels[e["checkout_form_id"]] for e in result["entries"] if e["kind"] == "skipped"] == [
        "unpaid"
    ]
    assert cli("import", "--once", "--account", cli.seller) == 0  # nothing new: all handled
    assert cli.out.startswith("nothing to do")
    assert len(cli.plenty.order_ids()) == 4
    for secret in cli.secrets():
        assert secret not in cli.out + cli.err


def test_import_once_dry_run_writes_nothing(cli: Cli) -> None:
    cli.connect()
    demo.seed_orders(cli.allegro, cli.plenty)
    assert cli("import", "--once", "--all", "--dry-run") == 1
    assert cli.out.startswith("dry run: ")
    assert "quarantined" in cli.out
    assert "street is empty" in cli.out
    assert cli.plenty.order_ids() == []


def test_import_of_a_revoked_account_says_reconnect(cli: Cli) -> None:
    cli.connect()
    demo.seed_orders(cli.allegro, cli.plenty)
    cli.allegro.revoke_tokens(cli.seller)
    cli.clock.advance(13 * 3600)  # the access token ran out: the refresh is refused
    assert cli("import", "--once", "--all") == 3
    assert f"stopped {cli.seller}" in cli.out


def test_import_of_an_account_never_connected_says_reconnect(cli: Cli) -> None:
    assert cli("import", "--once", "--all") == 3
    assert "NotConnectedError" in cli.out + cli.err


def test_import_with_plenty_unreachable_exits_4(cli: Cli) -> None:
    cli.connect()
    demo.seed_orders(cli.allegro, cli.plenty)
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    cli.environ["ALLEGRO_PLENTY_PLENTY_URL"] = f"http://127.0.0.1:{port}"
    assert cli("import", "--once", "--all") == 4
    assert "stopped the run" in cli.out
    assert cli.plenty.order_ids() == []


def test_import_with_the_plenty_budget_exhausted_exits_4(tmp_path: Path) -> None:
    for cli in make_cli(tmp_path, FakePlenty()):  # a plan with daily limits
        text = cli.config.read_text(encoding="utf-8")
        budget = "[plenty]\nbudget = { long_period_reserve = 0.9999, max_wait = 0 }\n"
        cli.config.write_text(text.replace("[plenty]\n", budget), encoding="utf-8")
        cli.connect()
        demo.seed_orders(cli.allegro, cli.plenty)
        assert cli("import", "--once", "--all") == 4
        assert "BudgetExhaustedError" in cli.out
        assert cli.plenty.order_ids() == []


def test_exit_codes_of_results_and_errors() -> None:
    budget = BudgetExhaustedError(scope="global", kind="long", operation="create_order", wait=900)
    stopped = ImportResult(stops=[ImportStop(None, "BudgetExhaustedError", str(budget))])
    revoked = ImportResult(stops=[ImportStop("1", "OAuthError", "invalid_grant")])
    failed = ImportResult(entries=[ImportEntry(EntryKind.FAILED, "1", "form")])
    skipped = ImportResult(entries=[ImportEntry(EntryKind.SKIPPED, "1", "form")])
    assert [import_exit_code(r) for r in (stopped, revoked, failed, skipped)] == [4, 3, 1, 0]
    assert exit_code_for(budget) == 4
    assert exit_code_for(OAuthError("invalid_grant", None, 400)) == 3
    assert exit_code_for(ConfigurationError("no")) == 2


# --- usage and configuration errors -----------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["import", "--all"], "pass --once"),
        (["import", "--once"], "one of the arguments --account --all is required"),
        (["procedures", "poll"], "pass --once"),
        (["import", "--once", "--account", "nobody"], "no account 'nobody'"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_usage_errors_exit_2(cli: Cli, argv: list[str], message: str) -> None:
    assert cli(*argv) == 2
    assert message in cli.err


def test_a_missing_setting_is_named(cli: Cli) -> None:
    del cli.environ["ALLEGRO_PLENTY_PLENTY_PASSWORD"]
    cli.connect()
    assert cli("import", "--once", "--all") == 2
    assert "missing setting" in cli.err
    assert "$ALLEGRO_PLENTY_PLENTY_PASSWORD" in cli.err


def test_a_secret_in_the_config_file_is_refused(cli: Cli) -> None:
    text = cli.config.read_text(encoding="utf-8")
    cli.config.write_text(
        text.replace("[plenty]\n", '[plenty]\npassword = "hunter2-hunter2"\n'), encoding="utf-8"
    )
    assert cli("status") == 2
    assert "'password' is a secret" in cli.err
    assert "hunter2-hunter2" not in cli.err


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('[plenty]\nurl = "http', '[plenty]\nurl = "ftp', "[plenty] url must be an http(s) URL"),
        ("status_id = 5", 'status_id = "five"', "accounts[0].mapping"),
        ("backfill = 604800", "backfill = -1", "[import]"),
        ("[storage]", "[storage]\ncolour = 1", "unknown settings ['colour']"),
    ],
)
def test_a_wrong_setting_is_named(cli: Cli, old: str, new: str, message: str) -> None:
    text = cli.config.read_text(encoding="utf-8")
    cli.config.write_text(text.replace(old, new, 1), encoding="utf-8")
    assert cli("status") == 2
    assert message in cli.err


def test_a_wrong_allegro_base_url_is_unreachable(cli: Cli) -> None:
    cli.connect()
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    cli.environ["ALLEGRO_PLENTY_ALLEGRO_API_URL"] = f"http://127.0.0.1:{port}"
    demo.seed_orders(cli.allegro, cli.plenty)
    assert cli("import", "--once", "--all") == 4
    assert f"127.0.0.1:{port}" in cli.out + cli.err


def test_help_on_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (
        [],
        ["connect"],
        ["connect", "allegro"],
        ["connect", "plenty"],
        ["import"],
        ["procedures"],
        ["procedures", "poll"],
        ["status"],
        ["ledger"],
        ["ledger", "list"],
        ["ledger", "release"],
        ["ledger", "resolve"],
    ):
        assert main([*argv, "--help"], runtime=Runtime(environ={})) == 0
        assert "usage: allegro-plenty" in capsys.readouterr().out


# --- status and the ledger --------------------------------------------------------------------


def test_status_ledger_list_release_and_resolve(cli: Cli) -> None:
    cli.connect()
    labels = demo.seed_orders(cli.allegro, cli.plenty)
    malformed = next(form for form, label in labels.items() if label.startswith("malformed"))
    assert cli("import", "--once", "--all") == 1

    assert cli("status", "--json") == 0
    (row,) = cli.json()
    assert row["account"] == cli.seller
    assert (row["quarantined"], row["failed"], row["executions_quarantined"]) == (1, 0, 0)
    assert row["last_run"] is not None
    assert row["cursor_age"] == "0m"
    assert row["token_expires"] is not None
    assert row["refreshable"] is True

    assert cli("ledger", "list", "--quarantined", "--json") == 0
    (listed,) = cli.json()
    assert listed["checkout_form_id"] == malformed
    assert "street is empty" in listed["reason"]
    assert cli("ledger", "list", "--failed") == 0
    assert cli.out.strip() == "nothing waits for a person"

    assert cli("ledger", "release", malformed) == 0
    failure = cli.ledger().failure(cli.seller, malformed)
    assert failure is not None
    assert not failure.quarantined
    assert failure.attempts == 0

    assert cli("ledger", "resolve", malformed, "--plenty-order", "4711", "--note", "by hand") == 0
    binding = cli.ledger().binding(cli.seller, malformed)
    assert binding is not None
    assert (binding.plenty_order_id, binding.origin) == (4711, BindingOrigin.MANUAL)
    assert cli.ledger().failures() == []
    assert cli("import", "--once", "--all") == 0  # never imported again

    assert cli("ledger", "release", malformed) == 2  # nothing to release any more
    assert "NotInLedgerError" in cli.err


# --- procedures poll --once -------------------------------------------------------------------


def test_procedures_poll_runs_what_is_due(cli: Cli) -> None:
    cli.connect()
    demo.seed_orders(cli.allegro, cli.plenty)
    assert cli("import", "--once", "--all", "--json") == 1
    order = next(e["plenty_order_id"] for e in cli.json()["entries"] if e["kind"] == "created")
    assert cli("procedures", "poll", "--once", "--json") == 0
    assert cli.json() == NOTHING_POLLED
    assert "only running the executions due again" in cli.err  # no rules configured

    # A PROCESSING that failed (Allegro down), then released by a person: due now.
    store = JsonFileTokenStore(cli.folder / "tokens.json")
    cli.allegro.faults.inject(
        Fault.server_error(503), route="PUT /order/checkout-forms/*/fulfillment"
    )
    from allegro_plenty.cli.config import load_config
    from allegro_plenty.cli.runtime import Session

    with Session(load_config(cli.config, cli.environ)) as session:
        runner = ProcedureRunner(
            plenty=session.plenty(), ledger=session.ledger(), accounts=session.accounts(None)
        )
        outcome = runner.dispatch("allegro.status.processing", order)
    assert outcome.results[0].status.value == "failed"
    assert store.load("allegro", cli.seller) is not None
    cli.allegro.faults.clear()
    ledger = cli.ledger()
    ledger.release_execution(cli.seller, "allegro.status.processing", order, "PROCESSING")
    ledger.close()

    assert cli("procedures", "poll", "--once", "--json") == 0
    (result,) = cli.json()["results"]
    assert (result["procedure"], result["plenty_order_id"]) == ("allegro.status.processing", order)
    assert result["status"] == "done"
    assert cli("procedures", "poll", "--once") == 0
    assert "0 executions: 0 done, 0 skipped, 0 failed" in cli.out


NOTHING_POLLED = {
    "transitions": 0,
    "echoes": 0,
    "created": 0,
    "swept": 0,
    "results": [],
    "failures": [],
}

SENT_RULE = """
[[procedures.rules]]
procedure = "allegro.status.sent"
statuses = [7]
"""


def with_rules(cli: Cli, rules: str) -> None:
    """Add ``rules`` (TOML) to the config file's [procedures] section."""
    text = cli.config.read_text(encoding="utf-8")
    cli.config.write_text(text.replace("\n[[accounts]]", rules + "\n[[accounts]]", 1), "utf-8")


def test_procedures_poll_fires_a_status_rule_once_per_transition(cli: Cli) -> None:
    with_rules(cli, SENT_RULE)
    cli.connect()
    demo.seed_orders(cli.allegro, cli.plenty)
    assert cli("import", "--once", "--all", "--json") == 1
    first, second = [e for e in cli.json()["entries"] if e["kind"] == "created"][:2]
    # The first poll marks where the history stands: nothing from before it fires.
    assert cli("procedures", "poll", "--once", "--json") == 0
    assert cli.json() == NOTHING_POLLED

    cli.plenty.set_status(first["plenty_order_id"], 7)  # a person ships the order
    assert cli("procedures", "poll", "--once", "--json") == 0, cli.err
    report = cli.json()
    (result,) = report["results"]
    assert (result["procedure"], result["plenty_order_id"], result["status"]) == (
        "allegro.status.sent",
        first["plenty_order_id"],
        "done",
    )
    assert (report["transitions"], report["failures"]) == (1, [])
    form = cli.allegro.checkout_form(first["checkout_form_id"])
    assert form["fulfillment"]["status"] == "SENT"

    assert cli("procedures", "poll", "--once", "--json") == 0
    assert cli.json() == NOTHING_POLLED  # the same transition never fires twice

    cli.plenty.set_status(second["plenty_order_id"], 7)
    assert cli("procedures", "poll", "--once") == 0
    assert cli.out.startswith("1 status changes (0 our own)")
    (row,) = [line for line in cli.out.splitlines() if "allegro.status.sent" in line]
    assert str(second["plenty_order_id"]) in row
    assert "done" in row


def test_the_fire_once_harness_detects_a_poll_that_keeps_no_cursor(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Negative control: with the poller's cursor saves made no-ops, the repeat poll of
    the test above sees the transition again, and ``== NOTHING_POLLED`` would fail."""
    with_rules(cli, SENT_RULE)
    cli.connect()
    demo.seed_orders(cli.allegro, cli.plenty)
    assert cli("import", "--once", "--all", "--json") == 1
    order = next(e["plenty_order_id"] for e in cli.json()["entries"] if e["kind"] == "created")
    assert cli("procedures", "poll", "--once", "--json") == 0  # the cursor is set
    cli.plenty.set_status(order, 7)

    def no_save(*_: object) -> Iterator[Any]:
        yield from ()

    monkeypatch.setattr(poll_module, "_save", no_save)
    assert cli("procedures", "poll", "--once", "--json") == 0
    assert cli("procedures", "poll", "--once", "--json") == 0
    assert cli.json() != NOTHING_POLLED
    assert cli.json()["transitions"] == 1


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        (SENT_RULE.replace("statuses", "stauses"), "procedures.rules[0]: unknown settings"),
        (
            SENT_RULE.replace("statuses = [7]", ""),
            "procedures.rules[0]: rule 'allegro.status.sent'",
        ),
        (SENT_RULE.replace("status.sent", "status.shipped"), "'allegro.status.shipped' is no"),
        (SENT_RULE + "created = true\n", "procedures.rules[0] (created): unknown settings"),
        ("\n[procedures.tracking]\nwindow = 60\n", "[procedures.tracking]: unknown settings"),
        (
            "\n[procedures.tracking]\ntracking_window = 0\n",
            "[procedures.tracking]: tracking_window must be a positive",
        ),
        ("\n[procedures.poll]\npage_size = 500\n", "[procedures.poll]: page_size must be 1..250"),
        ("\n[procedures.invoices]\ncorection = true\n", "[procedures.invoices]: unknown settings"),
        (
            '\n[procedures.invoices]\nprocedure = "allegro.invoice"\n',
            "'allegro.invoice' is no built-in",
        ),
    ],
)
def test_a_wrong_poll_rule_is_named(cli: Cli, rules: str, message: str) -> None:
    with_rules(cli, rules)
    assert cli("procedures", "poll", "--once") == 2
    assert message in cli.err


# --- packaging --------------------------------------------------------------------------------


def test_the_core_keeps_its_four_dependencies_and_tomli_is_in_the_cli_extra() -> None:
    requirements = metadata.requires("allegro-plenty") or []
    core = sorted(r.split(">")[0].split("<")[0] for r in requirements if "extra ==" not in r)
    assert core == ["attrs", "cattrs", "httpx", "python-dateutil"]
    cli_extra = [r for r in requirements if r.replace('"', "'").endswith("extra == 'cli'")]
    assert len(cli_extra) == 1
    assert cli_extra[0].startswith("tomli")
    assert "python_version < '3.11'" in cli_extra[0].replace('"', "'")
    scripts = metadata.entry_points(group="console_scripts")
    assert scripts["allegro-plenty"].value == "allegro_plenty.cli:main"


def test_the_command_runs_as_a_process(cli: Cli) -> None:
    cli.connect()
    demo.seed_orders(cli.allegro, cli.plenty)
    script = Path(sys.executable).with_name("allegro-plenty")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "allegro_plenty.cli"]
    run = subprocess.run(
        [*command, "--config", str(cli.config), "import", "--once", "--all", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin:/bin", **cli.environ},
    )
    assert run.returncode == 1, run.stderr
    assert json.loads(run.stdout)["counts"]["created"] == 4
    helped = subprocess.run(
        [*command, "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert helped.returncode == 0
    assert "exit codes:" in helped.stdout


def test_the_documented_config_file_loads(tmp_path: Path) -> None:
    page = (Path(__file__).resolve().parents[1] / "docs" / "cli.md").read_text(encoding="utf-8")
    (text,) = re.findall(r"<!-- tested: allegro-plenty.toml -->\n```toml\n(.*?)\n```", page, re.S)
    path = tmp_path / "allegro-plenty.toml"
    path.write_text(text, encoding="utf-8")
    config = load_config(path, {"ALLEGRO_PLENTY_CLIENT_SECRET": "s" * 32})
    (account,) = config.accounts
    assert (account.key, account.mapping.plenty_id, account.name) == ("46968690", 1000, "main shop")
    assert config.environment == ALLEGRO_SANDBOX
    assert config.procedures.carriers.get(6) is not None
    assert config.import_settings.backfill == 604800
    rules = config.poller.rules
    assert [type(r).__name__ for r in rules] == [
        "CreatedRule",
        *["StatusRule"] * 3,
        "InvoiceDocumentsRule",
    ]
    assert rules[4] == InvoiceDocumentsRule(corrections=False)
    ready, refund = rules[1], rules[3]
    assert isinstance(ready, StatusRule)
    assert ready.matches(Decimal("5.1"))
    assert not ready.matches(Decimal(6))
    assert isinstance(refund, StatusRule)
    assert refund.order_types == {3}
    assert config.poller.tracking == TrackingSweep(
        from_status=5, below=8, tracking_window=timedelta(days=14)
    )
    assert config.poller.settings == PollSettings(name="default", overlap=300)
    assert "s" * 32 not in repr(config)
