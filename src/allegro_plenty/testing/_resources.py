"""Routes declared next to their handlers, and the state a fake's resources share.

A fake is split by resource: one class per group of endpoints (orders,
payments, refunds ...) whose handlers are marked with :func:`route` where they
are written. :meth:`~._transport.FakeService.add_resource` collects the marks
into the fake's routing table. The resources of one fake work on one state
object; :class:`Shared` shows a piece of that state as an attribute of the fake,
so ``fake.refund_status = "IN_PROGRESS"`` reaches the resource that reads it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, overload

import attrs

if TYPE_CHECKING:
    from ._transport import FakeResponse, Handler, Shape

__all__ = ["RouteMark", "Shared", "declared_routes", "route"]

H = TypeVar("H", bound=Callable[..., "FakeResponse"])
T = TypeVar("T")

_MARKS = "__fake_routes__"


@attrs.frozen
class RouteMark:
    """What :func:`route` records on a handler (see :class:`~._transport.Route`)."""

    method: str
    template: str
    query: tuple[str, ...] = ()
    body: Shape = None
    form: bool = False
    access: Any = None
    raw: str | None = None


def route(
    method: str,
    template: str,
    *,
    query: Iterable[str] = (),
    body: Shape = None,
    form: bool = False,
    access: Any = None,
    raw: str | None = None,
) -> Callable[[H], H]:
    """Mark a resource method as the handler of ``method template``.

    The arguments are those of :meth:`~._transport.FakeService.add_route`;
    ``access`` is what the fake's admission check needs to know about the
    route (a scope, "no token needed"). Marks stack: one handler may serve
    several routes. ``raw`` names the media type of a route taking a body that
    is not JSON (a PDF): the handler reads ``exchange.request.body`` itself.
    """
    mark = RouteMark(method, template, tuple(query), body, form, access, raw)

    def declare(handler: H) -> H:
        # Decorators apply bottom-up: prepend, so stacked marks keep reading order.
        setattr(handler, _MARKS, (mark, *getattr(handler, _MARKS, ())))
        return handler

    return declare


def declared_routes(resource: object) -> list[tuple[RouteMark, Handler]]:
    """The marked handlers of ``resource``, bound, in the order its class declares them.

    A subclass that overrides a handler replaces the base's marks with its own.
    """
    marked: dict[str, tuple[RouteMark, ...]] = {}
    for klass in reversed(type(resource).__mro__):
        for name, value in vars(klass).items():
            marks = getattr(value, _MARKS, None)
            if marks is not None:
                marked[name] = marks
            elif name in marked and callable(value):
                del marked[name]  # overridden without a mark: no longer a handler
    return [(mark, getattr(resource, name)) for name, marks in marked.items() for mark in marks]


class _Stateful(Protocol):
    _state: Any


class Shared(Generic[T]):
    """An attribute of a fake that lives on the state its resources share."""

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self._name = name

    @overload
    def __get__(self, fake: None, owner: type[Any]) -> Shared[T]: ...

    @overload
    def __get__(self, fake: _Stateful, owner: type[Any]) -> T: ...

    def __get__(self, fake: _Stateful | None, owner: type[Any]) -> Shared[T] | T:
        if fake is None:
            return self
        value: T = getattr(fake._state, self._name)
        return value

    def __set__(self, fake: _Stateful, value: T) -> None:
        setattr(fake._state, self._name, value)
