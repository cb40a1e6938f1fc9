"""One run over every account, written once as a plan.

Per account: its seller id checked once per importer (``GET /me``), then due
retries, the events journal and, when due, the sweep. A failure that belongs to
the account (a revoked token, a wrong seller id, a configuration error) stops
that account and the others go on; one that belongs to the run (plentymarkets
unreachable or its budget exhausted) stops the run. Either is in the result.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .._plan import Plan, call
from ..allegro.models import Me
from ..errors import ConfigurationError
from ._state import AccountRun, log
from .failures import AccountStopped, RunStopped, Severity, classify, reason
from .result import ImportResult, ImportStop
from .sources import due_retries, events, sweep

__all__ = ["run_accounts"]


def run_accounts(
    runs: Sequence[AccountRun], result: ImportResult, clock: Callable[[], float]
) -> Plan[ImportResult]:
    """Run every account in turn while the budget lasts; return the result."""
    started = clock()
    for run in runs:
        if run.budget.spent():
            result.complete = False
            break
        try:
            yield from _account(run)
        except RunStopped as stop:
            result.stops.append(ImportStop(None, _name(stop), str(stop)))
            result.complete = False
            break
    result.duration = clock() - started
    log.info(
        "import run done in %.3fs: %s", result.duration,
        ", ".join(f"{n} {kind}" for kind, n in result.counts.items() if n) or "nothing to do",
        extra={"counts": result.counts, "dry_run": result.dry_run},
    )  # fmt: skip
    return result


def _account(run: AccountRun) -> Plan[None]:
    try:
        yield from _check(run)
        yield from due_retries(run)
        started = yield from events(run)
        yield from sweep(run, started)
    except AccountStopped as stop:
        _stop_account(run, _name(stop), str(stop))
    except RunStopped:
        raise
    except Exception as error:
        severity = classify(error)
        if severity is Severity.RUN:
            raise RunStopped(reason(error)) from error
        if severity is Severity.ACCOUNT:
            _stop_account(run, type(error).__name__, str(error))
        else:  # transient: this account waits for the next run
            run.warn(
                "account_interrupted", f"the run of this account was cut short: {reason(error)}"
            )
            run.result.complete = False


def _check(run: AccountRun) -> Plan[None]:
    """The token must be the account's: ``GET /me`` once per importer, before any decision."""
    if run.key in run.shared.checked:
        return
    me: Me = yield from call(run.allegro, "get_me")
    if me.id != run.key:
        raise ConfigurationError(
            f"the Allegro token configured for account {run.key} belongs to seller {me.id}"
        )
    run.shared.checked.add(run.key)


def _stop_account(run: AccountRun, error: str, message: str) -> None:
    run.result.stops.append(ImportStop(run.key, error, message))
    log.error(
        "account %s stopped: %s", run.key, message, extra={"account": run.key, "error": error}
    )


def _name(stop: BaseException) -> str:
    cause = stop.__cause__
    return type(cause).__name__ if cause is not None else type(stop).__name__
