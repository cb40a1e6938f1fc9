"""The registry: event procedures by their stable keys."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TypeVar, overload

from ..errors import ConfigurationError, UnknownProcedureError
from .handler import DisplayNames, EventProcedureHandler

__all__ = ["ProcedureRegistry"]

H = TypeVar("H", bound=EventProcedureHandler)

_KEY = re.compile(r"[a-z0-9][a-z0-9_.:-]{0,99}")
"""A key: lower-case letters, digits and ``_ . : -``, at most 100 characters."""


class ProcedureRegistry:
    """Event procedures by key; a runner dispatches through one.

    ``ProcedureRegistry()`` is empty; :func:`~allegro_plenty.procedures.builtin_registry`
    holds the built-ins. Register your own handlers with :meth:`register`, as a
    method or as a class decorator::

        registry = builtin_registry()

        @registry.register
        class MarkSentWhenPacked(EventProcedureHandler):
            key = "shop.sent-when-packed"
            ...
    """

    def __init__(self) -> None:
        self._handlers: dict[str, EventProcedureHandler] = {}

    def __repr__(self) -> str:
        return f"ProcedureRegistry({sorted(self._handlers)})"

    @overload
    def register(self, handler: H) -> H: ...
    @overload
    def register(self, handler: type[H]) -> type[H]: ...
    def register(self, handler: H | type[H]) -> H | type[H]:
        """Register a handler, or a handler class (made with no arguments); returns it.

        Raises:
            ConfigurationError: The key is malformed or taken, or the handler lacks
                its display names or description.
        """
        instance = handler() if isinstance(handler, type) else handler
        if not isinstance(instance, EventProcedureHandler):
            raise ConfigurationError(f"{handler!r} is not an EventProcedureHandler")
        key = getattr(instance, "key", None)
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            raise ConfigurationError(
                f"{type(instance).__name__}.key must be lower-case letters, digits and _.:- "
                f"(at most 100), got {key!r}"
            )
        if not isinstance(getattr(instance, "names", None), DisplayNames):
            raise ConfigurationError(f"procedure {key!r} needs its names (DisplayNames)")
        description = getattr(instance, "description", None)
        if not isinstance(description, str) or not description.strip():
            raise ConfigurationError(f"procedure {key!r} needs a description")
        if key in self._handlers:
            raise ConfigurationError(f"procedure {key!r} is registered already")
        self._handlers[key] = instance
        return handler

    def get(self, key: str) -> EventProcedureHandler:
        """The handler registered as ``key``.

        Raises:
            UnknownProcedureError: None is.
        """
        try:
            return self._handlers[key]
        except (KeyError, TypeError):
            raise UnknownProcedureError(key, sorted(self._handlers)) from None

    def handlers(self) -> list[EventProcedureHandler]:
        """Every handler, in registration order."""
        return list(self._handlers.values())

    def keys(self) -> list[str]:
        """Every key, in registration order."""
        return list(self._handlers)

    def __contains__(self, key: object) -> bool:
        return key in self._handlers

    def __iter__(self) -> Iterator[EventProcedureHandler]:
        return iter(self.handlers())

    def __len__(self) -> int:
        return len(self._handlers)
