"""``import --once`` and ``procedures poll --once``: one pass each, for a scheduler."""

from __future__ import annotations

import argparse
import json

from ..importer import EntryKind, ImportResult, OrderImporter
from ..procedures import ExecutionStatus, ProcedureReport, ProcedureRunner
from .config import CliConfig
from .output import table
from .runtime import Runtime, Session

__all__ = ["import_exit_code", "import_once", "poll_exit_code", "poll_once", "procedures_poll"]

OK, FAILED, USAGE, RECONNECT, UNREACHABLE = 0, 1, 2, 3, 4

RUN_SETTINGS = (
    "accounts",
    "client_id",
    "client_secret",
    "plenty_url",
    "plenty_username",
    "plenty_password",
    "tokens",
    "ledger",
)
"""What an import or a poll needs; every one missing is named at once."""


def import_exit_code(result: ImportResult) -> int:
    """4 the run stopped, 3 an account stopped, 1 a form failed or was quarantined, else 0."""
    if result.exit_code:
        return result.exit_code
    return FAILED if result.of(EntryKind.FAILED) or result.of(EntryKind.QUARANTINED) else OK


def import_once(config: CliConfig, account: str | None, *, dry_run: bool) -> ImportResult:
    """One importer run over ``account`` (or every configured one); the demo's ``--live``
    goes through here too."""
    config.require(*RUN_SETTINGS)
    with Session(config) as session:
        pairs = session.accounts(account)
        importer = OrderImporter(
            plenty=session.plenty(),
            ledger=session.ledger(),
            accounts=pairs,
            settings=config.import_settings,
        )
        return importer.run(account, dry_run=dry_run)


def print_import(result: ImportResult, runtime: Runtime) -> None:
    """The result for a person: counts, then every form that was not plainly handled."""
    counts = ", ".join(f"{n} {kind}" for kind, n in result.counts.items() if n)
    prefix = "dry run: " if result.dry_run else ""
    runtime.say(f"{prefix}{counts or 'nothing to do'} ({result.duration:.1f} s)")
    worth = [e for e in result.entries if e.kind in (EntryKind.FAILED, EntryKind.QUARANTINED)]
    if worth:
        rows = [(e.kind.value, e.account, e.checkout_form_id, e.reason) for e in worth]
        runtime.say(table(["what", "account", "checkout form", "reason"], rows))
    for stop in result.stops:
        runtime.say(f"stopped {stop.account or 'the run'}: {stop.error}: {stop.message}")


def import_command(options: argparse.Namespace, config: CliConfig, runtime: Runtime) -> int:
    """``import --once``."""
    account = None if options.all else options.account
    result = import_once(config, account, dry_run=options.dry_run)
    if options.json:
        runtime.say(json.dumps(result.to_json(), indent=2))
    else:
        print_import(result, runtime)
    return import_exit_code(result)


def poll_once(runner: ProcedureRunner, accounts: list[str]) -> ProcedureReport:
    """One polling pass of the procedure rules.

    For now, the executions due again (failed ones whose wait is over, waiting
    refunds, ones a dead worker left); a procedure poller that finds new orders
    to dispatch on replaces this one function.
    """
    report = ProcedureReport()
    for account in accounts:
        report = report.merged(runner.retry_due(account=account))
    return report


def poll_exit_code(report: ProcedureReport) -> int:
    """1 when an execution or a dispatch failed, else 0."""
    return FAILED if report.failed or report.failures else OK


def procedures_poll(options: argparse.Namespace, config: CliConfig, runtime: Runtime) -> int:
    """``procedures poll --once``."""
    config.require(*RUN_SETTINGS)
    with Session(config) as session:
        pairs = session.accounts(options.account)
        runner = ProcedureRunner(
            plenty=session.plenty(),
            ledger=session.ledger(),
            accounts=pairs,
            config=config.procedures,
        )
        report = poll_once(runner, [account.key for account, _ in pairs])
    rows = [
        (o.account, o.procedure, o.plenty_order_id, r.subject, r.status.value, r.reason or "")
        for o, r in report.results()
    ]
    failures = [
        (f.procedure, f.plenty_order_id, type(f.error).__name__, str(f.error))
        for f in report.failures
    ]
    if options.json:
        keys = ["account", "procedure", "plenty_order_id", "subject", "status", "reason"]
        failure_keys = ["procedure", "plenty_order_id", "error", "message"]
        document = {
            "results": [dict(zip(keys, row, strict=True)) for row in rows],
            "failures": [dict(zip(failure_keys, row, strict=True)) for row in failures],
        }
        runtime.say(json.dumps(document, indent=2))
    else:
        done = sum(1 for _, r in report.results() if r.status is ExecutionStatus.DONE)
        runtime.say(f"{len(rows)} executions due, {done} done, {len(report.failed)} failed")
        if rows:
            runtime.say(table(["account", "procedure", "order", "subject", "status", "why"], rows))
        for failure in failures:
            runtime.say(f"could not dispatch {failure[0]} on order {failure[1]}: {failure[3]}")
    return poll_exit_code(report)
