"""``ProcedurePoller`` and ``AsyncProcedurePoller``: the polling trigger, thin drivers of
:func:`~allegro_plenty.procedures.poll.poll_once`.

A poller runs the procedures of a runner (its clients, ledger, registry and
configuration) when plentymarkets' status history, the ledger's bindings, its
invoice documents or the tracking sweep say so; see
:mod:`allegro_plenty.procedures.poll`. It needs no plugin in plentymarkets. Call
:meth:`ProcedurePoller.poll_once` from the host's scheduler, one poller of a name
at a time.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Generic, TypeVar

from .._plan import AsyncDriver, SyncDriver
from ..errors import ConfigurationError
from .poll import PollReport, PollSetup, poll_once
from .rules import CreatedRule, InvoiceDocumentsRule, PollSettings, StatusRule, TrackingSweep
from .runner import AsyncProcedureRunner, ProcedureRunner

__all__ = ["AsyncProcedurePoller", "ProcedurePoller"]

RunnerT = TypeVar("RunnerT", ProcedureRunner, AsyncProcedureRunner)
DriverT = TypeVar("DriverT", SyncDriver, AsyncDriver)


class _PollerBase(Generic[RunnerT, DriverT]):
    """The constructor both pollers share; arguments are documented on :class:`ProcedurePoller`."""

    _driver_kind: type[DriverT]

    def __init__(
        self,
        runner: RunnerT,
        *,
        rules: Iterable[StatusRule | CreatedRule | InvoiceDocumentsRule] = (),
        tracking: TrackingSweep | None = None,
        settings: PollSettings | None = None,
    ) -> None:
        rules = tuple(rules)
        for rule in rules:
            if not isinstance(rule, StatusRule | CreatedRule | InvoiceDocumentsRule):
                raise ConfigurationError(
                    "a rule is a StatusRule, a CreatedRule or an InvoiceDocumentsRule, "
                    f"got {rule!r}"
                )
            runner.registry.get(rule.procedure)  # UnknownProcedureError now, not at the first poll
        if tracking is not None:
            if not isinstance(tracking, TrackingSweep):
                raise ConfigurationError(f"tracking must be a TrackingSweep, got {tracking!r}")
            runner.registry.get(tracking.procedure)
        documents = [r for r in rules if isinstance(r, InvoiceDocumentsRule)]
        if len(documents) > 1:  # they would share the documents' cursors
            raise ConfigurationError("a poller takes one InvoiceDocumentsRule")
        if not rules and tracking is None:
            raise ConfigurationError("a poller needs at least one rule or the tracking sweep")
        self.setup = PollSetup(
            runner.setup,
            tuple(r for r in rules if isinstance(r, StatusRule)),
            tuple(r for r in rules if isinstance(r, CreatedRule)),
            tracking,
            settings or PollSettings(),
            documents[0] if documents else None,
        )
        self._driver: DriverT = self._driver_kind(runner.resources)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.setup.settings.name!r})"


class ProcedurePoller(_PollerBase[ProcedureRunner, SyncDriver]):
    """Runs procedures on what changed in plentymarkets since the last poll (blocking).

    Args:
        runner: The runner whose clients, ledger, procedures and configuration it uses.
        rules: :class:`StatusRule`, :class:`CreatedRule` and (at most one)
            :class:`InvoiceDocumentsRule` entries.
        tracking: The tracking sweep, if package numbers are to be pushed.
        settings: The overlap, the poller's name (its cursors), page sizes.

    Raises:
        UnknownProcedureError: A rule names a procedure the runner's registry lacks.
        ConfigurationError: No rule and no sweep, something that is no rule, or two
            invoice document rules.
    """

    _driver_kind = SyncDriver

    def poll_once(self) -> PollReport:
        """Read what changed since the last poll, run the procedures it calls for, and
        move the cursors on; return what ran, was skipped and failed."""
        return self._driver.drive(poll_once(self.setup))


class AsyncProcedurePoller(_PollerBase[AsyncProcedureRunner, AsyncDriver]):
    """:class:`ProcedurePoller` under asyncio, over an :class:`AsyncProcedureRunner`."""

    _driver_kind = AsyncDriver

    async def poll_once(self) -> PollReport:
        """See :meth:`ProcedurePoller.poll_once`."""
        return await self._driver.drive(poll_once(self.setup))
