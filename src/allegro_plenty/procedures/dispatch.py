"""Dispatch, written once as plans that both runners drive.

* :func:`dispatch`: one procedure on one plentymarkets order (resolve, then the
  handler). Errors before any execution (an unknown key, an order that is not
  from Allegro, plentymarkets unreachable) are raised.
* :func:`dispatch_many`: a batch; such errors become
  :class:`~allegro_plenty.procedures.DispatchFailure` entries of the report.
* :func:`retry_due`: every execution due again (failed, waiting, or left by a
  worker that died), dispatched with its subject.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import attrs

from .._plan import Plan, call
from ..errors import AllegroPlentyError
from ..ledger import Execution
from .config import ProcedureConfig, ProcedureSettings
from .context import ProcedureContext
from .outcome import DispatchFailure, ProcedureOutcome, ProcedureReport
from .registry import ProcedureRegistry
from .resolve import resolve

__all__ = ["Dispatch", "DispatchSetup", "dispatch", "dispatch_many", "retry_due"]


@attrs.frozen
class Dispatch:
    """One dispatch of a batch: a procedure's key, a plentymarkets order, optionally one
    subject (a status, a normalized waybill, a return order id or ``"full"``)."""

    procedure: str
    plenty_order_id: int
    subject: str | None = None


@attrs.frozen
class DispatchSetup:
    """What every dispatch of a runner shares."""

    registry: ProcedureRegistry
    accounts: tuple[str, ...]
    config: ProcedureConfig
    settings: ProcedureSettings

    def context(self, procedure: str, account: str) -> ProcedureContext:
        """The context of one dispatch."""
        return ProcedureContext(
            procedure, account, allegro_resource(account), self.config, self.settings
        )


def allegro_resource(account: str) -> str:
    """The resource name of an account's Allegro client in plans."""
    return f"allegro:{account}"


def dispatch(
    setup: DispatchSetup, key: str, plenty_order_id: int, subject: str | None = None
) -> Plan[ProcedureOutcome]:
    """Run procedure ``key`` on a plentymarkets order (see the module)."""
    handler = setup.registry.get(key)
    order = yield from resolve(
        plenty_order_id, subject, accounts=setup.accounts, config=setup.config
    )
    context = setup.context(handler.key, order.account)
    results = yield from handler.handle(context, order)
    return ProcedureOutcome(
        handler.key, plenty_order_id, order.account, order.form_id, order.order_id, tuple(results)
    )


def dispatch_many(
    setup: DispatchSetup, dispatches: Iterable[Dispatch | tuple[str, int] | tuple[str, int, str]]
) -> Plan[ProcedureReport]:
    """Run a batch of dispatches, one after the other; collect what each did."""
    outcomes: list[ProcedureOutcome] = []
    failures: list[DispatchFailure] = []
    for entry in dispatches:
        one = entry if isinstance(entry, Dispatch) else Dispatch(*entry)
        try:
            outcomes.append(
                (yield from dispatch(setup, one.procedure, one.plenty_order_id, one.subject))
            )
        except AllegroPlentyError as error:
            failures.append(DispatchFailure(one.procedure, one.plenty_order_id, one.subject, error))
    return ProcedureReport(tuple(outcomes), tuple(failures))


def retry_due(
    setup: DispatchSetup, account: str | None = None, limit: int = 100
) -> Plan[ProcedureReport]:
    """Dispatch again every execution the ledger holds due (per account, at most ``limit``)."""
    accounts: Sequence[str] = setup.accounts if account is None else (account,)
    report = ProcedureReport()
    for key in accounts:
        due: list[Execution] = yield from call("ledger", "due_executions", key, limit=limit)
        batch = [Dispatch(e.procedure, e.plenty_order_id, e.subject) for e in due]
        report = report.merged((yield from dispatch_many(setup, batch)))
    return report
