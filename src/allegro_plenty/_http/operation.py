"""One API call described as data: the request to send, how to read the answer, how to retry.

Endpoint modules are functions returning an :class:`Operation`. The sync and
the async client hand the same operation to their engine; nothing else differs.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, Generic, Protocol, TypeVar
from urllib.parse import quote

import attrs
import cattrs
import httpx

from .._convert import JSONTooDeepError, describe, loads, plain_decimal
from ..errors import APIStatusError, InvalidRequestError, ModelValidationError

__all__ = [
    "BodyMismatch",
    "ErrorReader",
    "Operation",
    "Precondition",
    "Retry",
    "no_content",
    "parse_items",
    "parse_json",
    "parse_model",
    "path",
    "query",
]

T = TypeVar("T")


class Retry(enum.Enum):
    """When an operation may be sent again after a failure.

    Declared per endpoint, not per HTTP method: a PUT can be harmful to repeat
    (Allegro's fulfillment PUT counts against a per-order limit).
    """

    ALWAYS = "always"
    """Reads and naturally idempotent writes: retry transport errors, 408, 429 and 5xx."""
    CONNECT_ERRORS_ONLY = "connect-errors-only"
    """Retry only when the request provably never reached the service (connect
    failure) or was refused unprocessed (429)."""
    NEVER = "never"
    """Never re-send. After an ambiguous failure the caller re-reads instead."""


class BodyMismatch(Exception):
    """Raised by parsers; the engine turns it into ResponseValidationError."""

    def __init__(self, reason: str, field_path: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field_path = field_path


Parser = Callable[[httpx.Response, cattrs.Converter], T]
ErrorReader = Callable[[httpx.Response, tuple[str, ...]], Exception | None]
"""Reads an error answer into an exception, or gives ``None`` for "not mine"."""
Precondition = Callable[[], Any]
"""Checked right before each send attempt: raises to stop the call unsent.

The async engine awaits what it returns when that is awaitable.
"""


@attrs.frozen
class Operation(Generic[T]):
    """A fully described API call.

    Attributes:
        name: The library's name for the call, used in errors and logs.
        method: HTTP method.
        path: Path below the client's base URL (path parameters already quoted),
            or an absolute URL (OAuth endpoints live on another host).
        parse: Turns a 2xx response into the result.
        retry: The retry class.
        params: Query parameters, in order; keys may repeat.
        json: A body to send as JSON: an attrs instance (unstructured with the
            client's converter), or plain JSON data.
        form: A form-encoded body.
        content: A raw body (a PDF), sent as is; its ``Content-Type`` goes in
            ``headers``. Never logged or shown in the repr.
        headers: Extra headers (``Accept-Language`` and the like).
        authenticated: Whether the call carries the bearer token.
        required_scope: The OAuth scope the call needs (named in 403 errors).
        secrets: Values to scrub from error texts (a refresh token sent in a form).
        read_error: Reads this call's error answers before the service does, for
            endpoints that answer errors their own way (Allegro's OAuth
            endpoints answer ``{"error", "error_description"}``). Given the
            response and every secret the request carried; ``None`` leaves the
            answer to the service's :meth:`~.engine.Service.error_for`.
        status_errors: Exception classes for specific statuses, overriding the
            default per-status class (Allegro's 409 on a fulfillment PUT is a
            StaleRevisionError).
        precondition: Run by the engine right before each send attempt, after
            any throttle wait or retry backoff; if it raises, nothing is sent,
            nothing is retried and its error reaches the caller (a worker
            renewing its claim before a write: see :meth:`guarded`).
    """

    name: str
    method: str
    path: str
    parse: Parser[T]
    retry: Retry
    params: tuple[tuple[str, str], ...] = ()
    json: Any = None
    form: Mapping[str, str] | None = None
    content: bytes | None = attrs.field(default=None, repr=False)
    headers: Mapping[str, str] = attrs.field(factory=dict)
    authenticated: bool = True
    required_scope: str | None = None
    secrets: tuple[str, ...] = attrs.field(default=(), repr=False)
    read_error: ErrorReader | None = None
    status_errors: Mapping[int, type[APIStatusError]] = attrs.field(factory=dict)
    precondition: Precondition | None = attrs.field(default=None, eq=False, repr=False)

    def guarded(self, precondition: Precondition | None) -> Operation[T]:
        """This operation with ``precondition`` checked before each send attempt."""
        return self if precondition is None else attrs.evolve(self, precondition=precondition)

    @property
    def is_write(self) -> bool:
        """Whether the call changes state (it counts against write budgets)."""
        return self.method not in ("GET", "HEAD", "OPTIONS")


def path(template: str, **values: str | int) -> str:
    """Fill a path template, quoting every value so an id cannot add path segments."""
    return template.format(**{k: quote(str(v), safe="") for k, v in values.items()})


QueryValue = str | int | bool | Decimal | datetime | enum.Enum | None
DatetimeFormat = Callable[[datetime], str]


def query(
    items: Mapping[str, QueryValue | Iterable[QueryValue]],
    *,
    datetime_format: DatetimeFormat,
) -> tuple[tuple[str, str], ...]:
    """Encode query parameters: ``None`` dropped, sequences repeated, enums by value,
    decimals in plain notation."""

    def encode(value: QueryValue) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, datetime):
            return datetime_format(value)
        if isinstance(value, enum.Enum):
            return str(value.value)
        if isinstance(value, Decimal):
            return plain_decimal(value)
        return str(value)

    out: list[tuple[str, str]] = []
    for key, value in items.items():
        if value is None:
            continue
        try:
            if isinstance(value, list | tuple | set | frozenset):
                out.extend((key, encode(v)) for v in value if v is not None)
            else:
                out.append((key, encode(value)))  # type: ignore[arg-type]
        except InvalidRequestError as exc:
            raise exc.at(key) from None
    return tuple(out)


def parse_json(response: httpx.Response) -> Any:
    """The JSON body with decimals as :class:`Decimal` (money stays exact).

    Reading is bounded: over-long integers stay decimals for the converter to
    refuse, and nesting too deep for the parser is a mismatch, not a
    ``RecursionError``.
    """
    try:
        return loads(response.content)
    except JSONTooDeepError as exc:
        raise BodyMismatch(_at(str(exc), exc.field_path), exc.field_path) from None
    except ValueError as exc:
        raise BodyMismatch(f"body is not JSON: {exc}") from None


def parse_model(cls: type[T], *, key: str | None = None) -> Parser[T]:
    """A parser structuring the JSON body (or its ``key`` member) into ``cls``."""

    def parse(response: httpx.Response, converter: cattrs.Converter) -> T:
        data = parse_json(response)
        if key is not None:
            if not isinstance(data, dict) or key not in data:
                raise BodyMismatch(f"body has no {key!r} member", key)
            data = data[key]
        try:
            return converter.structure(data, cls)
        except Exception as exc:
            reason, where = describe(exc)
            if key is not None:
                where = key + ("" if where is None else "." * (where[0] != "[") + where)
            raise BodyMismatch(_at(reason, where), where) from None

    return parse


class PageSettingAside(Protocol):
    """A page model that keeps the items :func:`parse_items` set aside."""

    unreadable: tuple[Any, ...]


PageT = TypeVar("PageT", bound=PageSettingAside)
SetAside = Callable[[int, Any, ModelValidationError, cattrs.Converter], Any]
"""Makes the record of an unreadable item: its index, its JSON, the error, the converter
(to read what of it can be read)."""


def parse_items(
    cls: type[PageT], key: str, field: str, item: type[Any], set_aside: SetAside
) -> Parser[PageT]:
    """A parser of a page whose ``key`` member lists ``item`` objects, read one by one.

    An item that does not fit ``item`` fails only itself: ``set_aside`` records it
    (with a :class:`~allegro_plenty.errors.ModelValidationError` whose path is inside
    the item) in the page's ``unreadable``, and the others are read into ``field``. The
    rest of the body must fit ``cls`` as ever.
    """

    def parse(response: httpx.Response, converter: cattrs.Converter) -> PageT:
        data = parse_json(response)
        if not isinstance(data, dict) or not isinstance(data.get(key), list):
            raise BodyMismatch(f"body has no {key!r} list", key)
        items: list[Any] = []
        aside: list[Any] = []
        for index, raw in enumerate(data[key]):
            read = _structure_one(raw, item, converter)
            if isinstance(read, ModelValidationError):
                aside.append(set_aside(index, raw, read, converter))
            else:
                items.append(read)
        try:
            envelope: Any = converter.structure({**data, key: []}, cls)
        except Exception as exc:
            reason, where = describe(exc)
            raise BodyMismatch(_at(reason, where), where) from None
        page: PageT = attrs.evolve(envelope, **{field: tuple(items)})
        page.unreadable = tuple(aside)
        return page

    return parse


def _structure_one(raw: Any, item: type[Any], converter: cattrs.Converter) -> Any:
    """``raw`` read as an ``item``, or the error that says why it is not one."""
    try:
        return converter.structure(raw, item)
    except Exception as exc:
        reason, where = describe(exc)
        return ModelValidationError(item.__name__, reason, field_path=where)


def _at(reason: str, where: str | None) -> str:
    return f"{reason} at {where}" if where else reason


def no_content(response: httpx.Response, converter: cattrs.Converter) -> None:
    """A parser for calls whose answer carries nothing we need."""
    return
