"""Logic written once, run by a sync and by an async driver.

A *plan* is a generator that yields :class:`Call` effects ("call this method of
that resource with these arguments") and receives each call's result, or has
the call's exception thrown into it at the ``yield``. It does no I/O itself.
A driver owns the resources and performs the calls: :class:`SyncDriver` calls
them, :class:`AsyncDriver` awaits them. Resources come in twins with the same
method names (``PlentyClient`` and ``AsyncPlentyClient``, a ledger and its
async adapter, an engine and its async engine), so one plan serves both.

Plans compose with ``yield from``::

    def orders_of(form_id: str) -> Plan[list[Order]]:
        found = yield from call("plenty", "find_orders_by_external_id", form_id)
        return [order for order in found if order.type_id == 1]

Only :class:`Exception` is thrown into a plan, so it can look up instead of
re-posting after a failed write. Cancellation and other ``BaseException``
close the plan (its ``finally`` blocks run) and reach the driver's caller.
This is the pattern of ``_http/engine.py`` one level up: there one exchange is
a generator of sends and sleeps; here a composite call, an importer run or a
procedure is a generator of calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
from collections.abc import Callable, Coroutine, Generator, Mapping, Sequence
from typing import Any, Generic, Protocol, TypeVar

import attrs

from ._http.operation import Operation

__all__ = [
    "AsyncDriver",
    "Call",
    "InWorkerThreads",
    "Plan",
    "SyncDriver",
    "Walk",
    "bound",
    "call",
    "collect",
    "next_page",
]

T = TypeVar("T")
P = TypeVar("P")
T_co = TypeVar("T_co", covariant=True)


@attrs.frozen
class Call:
    """One effect: call ``method`` of the resource named ``target``.

    A *deferred* call is not made: the plan receives the bound callable
    (``functools.partial(resource.method, *args, **kwargs)``) to hand on, e.g.
    as the precondition a client runs right before each send attempt. Driven
    async, calling it returns an awaitable where the resource's method does.
    """

    target: str
    method: str
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = attrs.field(factory=dict)
    deferred: bool = False

    def __repr__(self) -> str:
        # Arguments may hold personal data or secrets: name the call only.
        return f"Call({self.target}.{self.method}{', deferred' if self.deferred else ''})"


Plan = Generator[Call, Any, T]
"""A generator yielding :class:`Call` effects and returning ``T``."""


def call(target: str, method: str, *args: Any, **kwargs: Any) -> Plan[Any]:
    """A plan of one call: ``result = yield from call("ledger", "binding", account, form_id)``."""
    return (yield Call(target, method, args, kwargs))


def bound(target: str, method: str, *args: Any, **kwargs: Any) -> Plan[Callable[[], Any]]:
    """A plan returning ``target.method`` bound to these arguments, not called.

    ``renew = yield from bound("ledger", "renew", claim, lease=60)`` gives the
    sync ledger's method under the sync driver and the async ledger's under the
    async one, so a plan can pass a resource's method on without knowing which.
    """
    return (yield Call(target, method, args, kwargs, deferred=True))  # type: ignore[no-any-return]


class Walk(Protocol[P, T_co]):
    """A paged list walked as an I/O-free state machine.

    The walk says which request to send next and digests the answer; whoever
    sends it (a sync or an async client, a plan) holds no paging logic. Walks
    of :mod:`allegro_plenty.allegro` and :mod:`allegro_plenty.plenty` also have
    a JSON-safe ``cursor`` to resume them from, in another process if need be.
    """

    def next_operation(self) -> Operation[P] | None:
        """The next request to send, or ``None`` when the walk is over."""
        ...

    def feed(self, page: P) -> Sequence[T_co]:
        """Digest the answer to the last operation; return the items to hand out."""
        ...


def next_page(walk: Walk[P, T], target: str, method: str = "send") -> Plan[Sequence[T] | None]:
    """A plan reading one page of ``walk`` through ``target.method(operation)``.

    Returns the page's new items, or ``None`` when the walk is over. A plan that
    stores ``walk.cursor`` after handling each page can be resumed from there::

        while (forms := (yield from next_page(walk, "allegro"))) is not None:
            ...  # handle the forms
            yield from call("ledger", "save_cursor", account, "forms", walk.cursor)
    """
    operation = walk.next_operation()
    if operation is None:
        return None
    return walk.feed((yield Call(target, method, (operation,))))


def collect(walk: Walk[P, T], target: str, method: str = "send") -> Plan[list[T]]:
    """A plan reading every page of ``walk``; returns all its items."""
    items: list[T] = []
    while (page := (yield from next_page(walk, target, method))) is not None:
        items.extend(page)
    return items


class InWorkerThreads:
    """A blocking resource seen by the async driver: each method runs in a worker thread.

    The event loop never waits on a disk or a lock (token stores, SQLite).
    """

    def __init__(self, resource: object) -> None:
        self._resource = resource

    def __repr__(self) -> str:
        return f"InWorkerThreads({self._resource!r})"

    def __getattr__(self, name: str) -> Callable[..., Coroutine[Any, Any, Any]]:
        method = getattr(self._resource, name)

        async def in_thread(*args: Any, **kwargs: Any) -> Any:
            return await asyncio.to_thread(method, *args, **kwargs)

        return in_thread


class _Driver:
    def __init__(self, resources: Mapping[str, object]) -> None:
        self.resources = dict(resources)

    def _method(self, effect: Call) -> Any:
        try:
            resource = self.resources[effect.target]
        except KeyError:
            raise LookupError(f"no resource named {effect.target!r} to run {effect!r}") from None
        return getattr(resource, effect.method)

    def _perform(self, effect: Call) -> Any:
        """The call's result (an awaitable for async methods), or the bound method if deferred."""
        method = self._method(effect)
        if effect.deferred:
            return functools.partial(method, *effect.args, **effect.kwargs)
        return method(*effect.args, **effect.kwargs)


class _Run(Generic[T]):
    """One plan under way: its next effect, given how the last call went.

    Both drivers step plans through this; they differ only in how they call.
    """

    def __init__(self, plan: Plan[T]) -> None:
        self._plan = plan
        self._value: Any = None
        self._error: Exception | None = None
        self.result: T

    def next_effect(self) -> Call | None:
        """The plan's next call, or ``None`` once it returned (its value is :attr:`result`)."""
        try:
            if self._error is None:
                return self._plan.send(self._value)
            return self._plan.throw(self._error)
        except StopIteration as stop:
            self.result = stop.value
            return None

    def succeeded(self, value: Any) -> None:
        self._value, self._error = value, None

    def failed(self, error: Exception) -> None:
        # The plan decides: handle it (look up instead of re-posting) or let it rise.
        self._value, self._error = None, error


class SyncDriver(_Driver):
    """Runs plans by calling the resources' methods.

    Args:
        resources: The resources by the names plans use (``"plenty"``, ``"ledger"`` ...).
    """

    def drive(self, plan: Plan[T]) -> T:
        """Run ``plan`` to its end and return what it returns."""
        run = _Run(plan)
        with contextlib.closing(plan):
            while (effect := run.next_effect()) is not None:
                try:
                    run.succeeded(self._perform(effect))
                except Exception as exc:  # noqa: PERF203 - a failure is the plan's to handle
                    run.failed(exc)
        return run.result


class AsyncDriver(_Driver):
    """Runs plans by awaiting the resources' methods (plain methods are called).

    Args:
        resources: The resources by the names plans use.
    """

    async def drive(self, plan: Plan[T]) -> T:
        """Run ``plan`` to its end and return what it returns."""
        run = _Run(plan)
        with contextlib.closing(plan):
            while (effect := run.next_effect()) is not None:
                try:
                    value = self._perform(effect)
                    run.succeeded(await value if inspect.isawaitable(value) else value)
                except Exception as exc:  # noqa: PERF203 - a failure is the plan's to handle
                    run.failed(exc)
        return run.result
