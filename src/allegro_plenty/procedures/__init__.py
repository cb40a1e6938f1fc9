"""Event procedures: push an order's stages from plentymarkets back to Allegro.

In plentymarkets an event procedure runs an action when an order event happens
and runs at most once per order. From outside plentymarkets the library offers
the same: handlers keyed by a stable string (:class:`EventProcedureHandler`), a
registry (:class:`ProcedureRegistry`, the built-ins in :func:`builtin_registry`),
and runners (:class:`ProcedureRunner`, :class:`AsyncProcedureRunner`) that
dispatch a procedure on a plentymarkets order and record every execution in the
ledger, keyed by (account, procedure, order, subject). Triggers: a webhook
endpoint checks plentymarkets' calls with :func:`verify_webhook` and dispatches;
without a plugin, :class:`ProcedurePoller` runs procedures on status transitions,
imported orders, new invoice documents and new package numbers
(:class:`StatusRule`, :class:`CreatedRule`, :class:`InvoiceDocumentsRule`,
:class:`TrackingSweep`). See ``docs/procedures.md``.

Handlers are plans (:data:`Plan`): ``yield from call(context.allegro, "get_checkout_form",
form_id)`` calls the account's Allegro client, synchronously or awaited, whichever
runner drives the handler.

Nothing here imports :mod:`allegro_plenty.importer`: the two meet only in the
ledger (bindings, and the importer's referrers as the cursor ``"referrer"``).
"""

from .._plan import Plan, call
from .builtins import builtin_registry
from .config import (
    OTHER_CARRIER,
    CarrierMap,
    CarrierMapping,
    InvoiceOrders,
    ProcedureConfig,
    ProcedureSettings,
    RefundReasonMap,
    UnmappedCarrier,
)
from .context import ExecutionRun, ProcedureContext, ProcedureOrder, refuse_one_fulfillment
from .dispatch import Dispatch
from .handler import (
    Action,
    ActionOutcome,
    DisplayNames,
    Done,
    EventProcedureHandler,
    Skipped,
    Waiting,
)
from .outcome import (
    DispatchFailure,
    ExecutionResult,
    ExecutionStatus,
    ProcedureOutcome,
    ProcedureReport,
)
from .poll import PollReport
from .poller import AsyncProcedurePoller, ProcedurePoller
from .registry import ProcedureRegistry
from .resolve import REFERRER_CURSOR
from .rules import CreatedRule, InvoiceDocumentsRule, PollSettings, StatusRule, TrackingSweep
from .runner import AsyncProcedureRunner, ProcedureRunner
from .webhook import SIGNATURE_HEADER, parse_webhook, sign_webhook, verify_webhook

__all__ = [
    "OTHER_CARRIER",
    "REFERRER_CURSOR",
    "SIGNATURE_HEADER",
    "Action",
    "ActionOutcome",
    "AsyncProcedurePoller",
    "AsyncProcedureRunner",
    "CarrierMap",
    "CarrierMapping",
    "CreatedRule",
    "Dispatch",
    "DispatchFailure",
    "DisplayNames",
    "Done",
    "EventProcedureHandler",
    "ExecutionResult",
    "ExecutionRun",
    "ExecutionStatus",
    "InvoiceDocumentsRule",
    "InvoiceOrders",
    "Plan",
    "PollReport",
    "PollSettings",
    "ProcedureConfig",
    "ProcedureContext",
    "ProcedureOrder",
    "ProcedureOutcome",
    "ProcedurePoller",
    "ProcedureRegistry",
    "ProcedureReport",
    "ProcedureRunner",
    "ProcedureSettings",
    "RefundReasonMap",
    "Skipped",
    "StatusRule",
    "TrackingSweep",
    "UnmappedCarrier",
    "Waiting",
    "builtin_registry",
    "call",
    "parse_webhook",
    "refuse_one_fulfillment",
    "sign_webhook",
    "verify_webhook",
]
