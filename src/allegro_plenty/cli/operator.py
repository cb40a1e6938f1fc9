"""``status`` and ``ledger list / release / resolve``: see and act on what needs a person."""

from __future__ import annotations

import argparse
import json
import time
from datetime import datetime, timezone
from typing import Any

from ..errors import ConfigurationError
from ..ledger import Failure, SqliteLedger
from .config import CliConfig
from .output import table
from .runtime import Runtime, Session

__all__ = ["ledger_list", "ledger_release", "ledger_resolve", "status"]


def _when(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="seconds")


def _age(epoch: float | None, now: float) -> str | None:
    if epoch is None:
        return None
    minutes = int(max(0.0, now - epoch) // 60)
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"


def status(options: argparse.Namespace, config: CliConfig, runtime: Runtime) -> int:
    """Per account: the last run, the cursor's age, the token's expiry, failed and quarantined
    forms, and procedure executions waiting for a person."""
    config.require("accounts")
    now = time.time()
    rows: list[dict[str, Any]] = []
    with Session(config) as session:
        ledger, tokens = session.ledger(), session.tokens
        for account in config.accounts:
            events = ledger.cursor(account.key, "events")
            saved = None if events is None else events.saved_at
            runs = [t for t in (saved, ledger.last_sweep(account.key)) if t is not None]
            token = tokens.load("allegro", account.token_key)
            failures = ledger.failures(account.key)
            executions = ledger.executions(account.key, quarantined=True)
            rows.append(
                {
                    "account": account.key,
                    "last_run": _when(max(runs) if runs else None),
                    "cursor_age": _age(saved, now),
                    "token_expires": None if token is None else token.expires_at.isoformat(),
                    "refreshable": token is not None and token.refresh_token is not None,
                    "quarantined": sum(1 for f in failures if f.quarantined),
                    "failed": sum(1 for f in failures if not f.quarantined),
                    "executions_quarantined": len(executions),
                }
            )
    if options.json:
        runtime.say(json.dumps(rows, indent=2))
    else:
        headers = [
            "account",
            "last run",
            "cursor age",
            "token expires",
            "quarantined",
            "failed",
            "procedures on hold",
        ]
        cells = [
            (
                r["account"],
                r["last_run"] or "never",
                r["cursor_age"] or "-",
                r["token_expires"] or "not connected",
                r["quarantined"],
                r["failed"],
                r["executions_quarantined"],
            )
            for r in rows
        ]
        runtime.say(table(headers, cells))
    return 0


def _failure_json(failure: Failure) -> dict[str, Any]:
    return {
        "account": failure.account,
        "checkout_form_id": failure.form_id,
        "quarantined": failure.quarantined,
        "attempts": failure.attempts,
        "reason": failure.quarantine_reason or failure.last_error,
        "next_retry_at": _when(failure.next_retry_at),
        "last_failed_at": _when(failure.last_failed_at),
    }


def ledger_list(options: argparse.Namespace, config: CliConfig, runtime: Runtime) -> int:
    """``ledger list``: failed and quarantined forms with their reasons."""
    quarantined = True if options.quarantined else False if options.failed else None
    with Session(config) as session:
        failures = session.ledger().failures(options.account, quarantined=quarantined)
    listed = [_failure_json(failure) for failure in failures]
    if options.json:
        runtime.say(json.dumps(listed, indent=2))
    elif not listed:
        runtime.say("nothing waits for a person")
    else:
        rows = [
            (
                f["account"],
                f["checkout_form_id"],
                "quarantined" if f["quarantined"] else "failed",
                f["attempts"],
                f["reason"],
            )
            for f in listed
        ]
        runtime.say(table(["account", "checkout form", "state", "attempts", "reason"], rows))
    return 0


def _account_of(ledger: SqliteLedger, config: CliConfig, form_id: str, given: str | None) -> str:
    """The account a form belongs to: given, the only one configured, or found in the ledger."""
    if given is not None:
        return given
    if len(config.accounts) == 1:
        return config.accounts[0].key
    found = sorted({f.account for f in ledger.failures() if f.form_id == form_id})
    if len(found) == 1:
        return found[0]
    raise ConfigurationError(
        f"checkout form {form_id!r}: name its account with --account "
        f"({'in the ledger under ' + ', '.join(found) if found else 'no failure records it'})"
    )


def ledger_release(options: argparse.Namespace, config: CliConfig, runtime: Runtime) -> int:
    """``ledger release FORM_ID``: retry a failed or quarantined form on the next run."""
    with Session(config) as session:
        ledger = session.ledger()
        account = _account_of(ledger, config, options.form_id, options.account)
        ledger.release_failure(account, options.form_id)
    runtime.say(f"released {options.form_id} of account {account}: the next import retries it")
    return 0


def ledger_resolve(options: argparse.Namespace, config: CliConfig, runtime: Runtime) -> int:
    """``ledger resolve FORM_ID --plenty-order N``: the form was handled by hand as order N."""
    with Session(config) as session:
        ledger = session.ledger()
        account = _account_of(ledger, config, options.form_id, options.account)
        binding = ledger.mark_handled(
            account, options.form_id, options.plenty_order, note=options.note
        )
    runtime.say(
        f"bound {binding.form_id} of account {account} to plentymarkets order "
        f"{binding.plenty_order_id} (handled by hand)"
    )
    return 0
