"""``import --once`` and ``procedures poll --once``: one pass each, for a scheduler."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import Any

import attrs

from ..importer import EntryKind, ImportResult, OrderImporter
from ..procedures import PollReport, ProcedurePoller, ProcedureReport, ProcedureRunner
from .config import CliConfig, PollerConfig
from .output import table
from .runtime import Runtime, Session

__all__ = [
    "import_exit_code",
    "import_once",
    "poll_exit_code",
    "poll_json",
    "poll_once",
    "procedures_poll",
]

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


def poll_once(runners: Sequence[ProcedureRunner], poller: PollerConfig) -> PollReport:
    """One polling pass over each runner (one per account): the executions due again
    (failed ones whose wait is over, waiting refunds, ones a dead worker left), then,
    when ``poller`` watches anything, one :meth:`ProcedurePoller.poll_once`.

    Each account's poller keeps its cursors under its own name
    (``<name>:<account>``), so polling one account with ``--account`` and all of
    them at other times never makes one skip what the other saw.
    """
    procedures = ProcedureReport()
    transitions = echoes = created = swept = 0
    for runner in runners:
        for account in runner.setup.accounts:
            procedures = procedures.merged(runner.retry_due(account=account))
        if not poller.watches:
            continue
        (account,) = runner.setup.accounts
        name = f"{poller.settings.name}:{account}"
        polled = ProcedurePoller(
            runner,
            rules=poller.rules,
            tracking=poller.tracking,
            settings=attrs.evolve(poller.settings, name=name),
        ).poll_once()
        procedures = procedures.merged(polled.procedures)
        transitions += polled.transitions
        echoes += polled.echoes
        created += polled.created
        swept += polled.swept
    return PollReport(procedures, transitions, echoes, created, swept)


def poll_exit_code(report: PollReport) -> int:
    """1 when an execution (quarantined ones included) or a dispatch failed, else 0."""
    return FAILED if report.failed or report.failures else OK


def poll_json(report: PollReport) -> dict[str, Any]:
    """The report as ``--json`` prints it."""
    return {
        "transitions": report.transitions,
        "echoes": report.echoes,
        "created": report.created,
        "swept": report.swept,
        "results": [
            {
                "account": o.account,
                "procedure": o.procedure,
                "plenty_order_id": o.plenty_order_id,
                "subject": r.subject,
                "status": r.status.value,
                "reason": r.reason or "",
            }
            for o, r in report.procedures.results()
        ],
        "failures": [
            {
                "procedure": f.procedure,
                "plenty_order_id": f.plenty_order_id,
                "error": type(f.error).__name__,
                "message": str(f.error),
            }
            for f in report.failures
        ],
    }


def print_poll(report: PollReport, runtime: Runtime) -> None:
    """The report for a person: what the poll saw, then every execution as a table."""
    document = poll_json(report)
    rows = [tuple(str(v) for v in result.values()) for result in document["results"]]
    runtime.say(
        f"{report.transitions} status changes ({report.echoes} our own), "
        f"{report.created} orders created, {report.swept} swept; "
        f"{len(rows)} executions: {len(report.done)} done, {len(report.skipped)} skipped, "
        f"{len(report.failed)} failed"
    )
    if rows:
        runtime.say(table(["account", "procedure", "order", "subject", "status", "why"], rows))
    for failure in report.failures:
        runtime.say(
            f"could not dispatch {failure.procedure} on order {failure.plenty_order_id}: "
            f"{failure.error}"
        )


def procedures_poll(options: argparse.Namespace, config: CliConfig, runtime: Runtime) -> int:
    """``procedures poll --once``."""
    config.require(*RUN_SETTINGS)
    if not config.poller.watches:
        runtime.note(
            "no [[procedures.rules]] or [procedures.tracking] configured: "
            "only running the executions due again"
        )
    with Session(config) as session:
        plenty, ledger = session.plenty(), session.ledger()
        runners = [
            ProcedureRunner(plenty=plenty, ledger=ledger, accounts=[pair], config=config.procedures)
            for pair in session.accounts(options.account)
        ]
        report = poll_once(runners, config.poller)
    if options.json:
        runtime.say(json.dumps(poll_json(report), indent=2))
    else:
        print_poll(report, runtime)
    return poll_exit_code(report)
