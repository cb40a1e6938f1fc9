"""The handler base class and what one execution's action returns.

A handler is written once, as a plan (see :mod:`allegro_plenty._plan`): it
yields calls to the account's Allegro client (``context.allegro``), the
plentymarkets client (``context.plenty``) and the ledger (``context.ledger``),
and the sync and the async runner drive the same plan.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from .._plan import Plan
from ..errors import ConfigurationError
from ..ledger import JSON

if TYPE_CHECKING:
    from .context import ExecutionRun, ProcedureContext, ProcedureOrder
    from .outcome import ExecutionResult

__all__ = [
    "Action",
    "ActionOutcome",
    "DisplayNames",
    "Done",
    "EventProcedureHandler",
    "Skipped",
    "Waiting",
]


def _name(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"display name {attribute.name} must be a non-empty string")


@attrs.frozen
class DisplayNames:
    """A procedure's name as sellers see it, in plentymarkets' back-end languages."""

    en: str = attrs.field(validator=_name)
    de: str = attrs.field(validator=_name)
    pl: str = attrs.field(validator=_name)


@attrs.frozen
class Done:
    """The execution is done (final).

    Attributes:
        note: What was done (``"set PROCESSING"``), for the report and the ledger.
        data: What to keep with the execution, replacing what it held.
    """

    note: str | None = None
    data: dict[str, JSON] | None = None


@attrs.frozen
class Skipped:
    """There is nothing to do, for ``reason`` (final unless an operator releases it)."""

    reason: str
    data: dict[str, JSON] | None = None


@attrs.frozen
class Waiting:
    """Not finished and not failed: look again in ``retry_in`` seconds (a refund Allegro
    has not settled); ``None`` uses the settings' ``waiting_poll``."""

    reason: str
    retry_in: float | None = None
    data: dict[str, JSON] | None = None


ActionOutcome = Done | Skipped | Waiting
"""What an execution's action returns. Raising instead records a failure (or, for a
:class:`~allegro_plenty.errors.ProcedureRefusedError`, a skip)."""

Action = Callable[["ExecutionRun"], Plan[ActionOutcome]]
"""The work of one execution, run under its claim."""


class EventProcedureHandler(abc.ABC):
    """An event procedure: what to do on Allegro when an order event happens.

    Subclass it, set ``key`` (stable: the ledger keeps executions under it),
    ``names`` and ``description``, and write :meth:`handle` as a plan. Register
    it with :meth:`ProcedureRegistry.register
    <allegro_plenty.procedures.ProcedureRegistry.register>` (a method, and a
    class decorator).

    Attributes:
        key: The stable key dispatches name (``"allegro.status.processing"``).
        names: Display names in English, German and Polish.
        description: One paragraph for sellers: what it does and reads.
    """

    key: str
    names: DisplayNames
    description: str

    @abc.abstractmethod
    def handle(
        self, context: ProcedureContext, order: ProcedureOrder
    ) -> Plan[Sequence[ExecutionResult]]:
        """The procedure applied to one order, as a plan.

        Run each piece of work that must happen at most once through
        :meth:`context.once(order, subject, action) <ProcedureContext.once>`:
        it claims the execution, runs ``action`` unless it is done already, and
        records how it ended. Return the results of those executions. Honour
        ``order.wants(subject)`` (a dispatch may ask for one subject only).
        """
