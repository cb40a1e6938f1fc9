"""What :class:`PlentyClient` and :class:`AsyncPlentyClient` share: the constructor,
the default retry policy and token store, and the plans both drive."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from decimal import Decimal
from typing import Generic

import httpx

from .._cache import TtlCache
from .._client import DEFAULT_TIMEOUT, Connection, HttpSettings, HttpT, SleepT, TransportT
from .._convert import Style, make_converter
from .._http.redact import require_scrubbable
from .._http.retry import RetryEvent, RetryPolicy
from .._plan import Plan
from ..errors import ReferenceDataError
from ..tokens import MemoryTokenStore, Token, TokenStore
from . import _plans as plans
from ._service import PlentyService
from .auth import SERVICE, PlentyCredentials, normalize_base_url, token_key
from .filters import OrderFilter, StatusId
from .paging import OrderWalk
from .throttle import PlentyBudget, PlentyThrottle, RateLimit

PLENTY_RETRY = RetryPolicy()
"""plenty sends ``Retry-After`` with its 429s; the default policy honours it."""

_PROCESS_STORE = MemoryTokenStore()
"""Shared by every client of this process that is given no token store: one login per user."""


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _country_id(cache: TtlCache, iso_code: str) -> Plan[int]:
    code = iso_code.upper()
    for country in (yield from plans.countries(cache)):
        if country.iso_code2.upper() == code or (country.iso_code3 or "").upper() == code:
            return country.id
    raise ReferenceDataError(f"plentymarkets has no country with ISO code {iso_code!r}")


def _system_currency(cache: TtlCache, configured: str | None) -> Plan[str]:
    if configured:
        return configured
    # Inferred: plenty's exchange rates are relative to the system currency, so
    # it is the one currency whose rate is exactly 1.
    ones = [c.currency for c in (yield from plans.currencies(cache)) if c.exchange_rate == 1]
    if len(ones) != 1:
        raise ReferenceDataError(
            f"cannot tell the system currency from the exchange rates (rate 1: {ones}); "
            "pass system_currency= to the client"
        )
    return ones[0]


class _PlentyClientBase(Connection[HttpT, TransportT, SleepT], Generic[HttpT, TransportT, SleepT]):
    """What the sync and async clients share: the constructor, no I/O.

    The constructor is written once; its arguments are documented on
    :class:`PlentyClient`.
    """

    def __init__(
        self,
        base_url: str,
        *,
        username: str | None = None,
        password: str | None = None,
        token_store: TokenStore | None = None,
        access_token: str | None = None,
        http_client: HttpT | None = None,
        transport: TransportT | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy = PLENTY_RETRY,
        on_retry: Callable[[RetryEvent], None] | None = None,
        strict: bool = False,
        budget: PlentyBudget | None = None,
        throttle: bool | PlentyThrottle = True,
        sleep: SleepT | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        clock: Callable[[], datetime] = _utcnow,
        reference_ttl: float = 3600.0,
        system_currency: str | None = None,
    ) -> None:
        self.base_url = normalize_base_url(base_url)
        if access_token is None and (not username or password is None):
            raise ValueError("pass username and password (or a ready access_token)")
        require_scrubbable("password", password)
        require_scrubbable("access_token", access_token)
        self.credentials = (
            None if username is None or password is None else PlentyCredentials(username, password)
        )
        self.token_store = token_store if token_store is not None else _PROCESS_STORE
        self.token_key = token_key(self.base_url, username) if username else None
        self._clock = clock
        self._system_currency = system_currency
        if isinstance(throttle, PlentyThrottle):
            if budget is not None:
                raise ValueError("pass the budget to the shared PlentyThrottle, not to the client")
            self.throttle = throttle
        else:
            self.throttle = PlentyThrottle(budget, enabled=throttle, clock=monotonic)
        self._cache = TtlCache(reference_ttl, monotonic)
        settings = HttpSettings(retry, timeout=timeout, on_retry=on_retry)
        config = settings.engine_config(
            PlentyService(self.throttle, secrets=(password,) if password else ()),
            self.base_url,
            make_converter(strict=strict, style=Style.PLENTY),
            {"Accept": "application/json"},
        )
        self._connect(config, settings, http_client=http_client, transport=transport, sleep=sleep)
        if access_token is not None:
            self._use_token(access_token)
        else:
            assert self.token_key is not None
            self._use_token_store(self.token_store, SERVICE, self.token_key, self._renew, clock)

    def __repr__(self) -> str:
        user = self.credentials.username if self.credentials else None
        return f"{type(self).__name__}(base_url={self.base_url!r}, username={user!r})"

    @property
    def rate_limits(self) -> tuple[RateLimit, ...]:
        """The rate limits plentymarkets last reported, for monitoring."""
        return self.throttle.limits

    def _renew(self, stored: Token | None) -> Plan[Token]:
        assert self.credentials is not None
        return plans.renew_token(stored, self.credentials, self._clock)


def _changed_orders(
    updated_at_from: datetime,
    updated_at_to: datetime | None,
    referrer_id: Decimal | int | None,
    status_from: StatusId | None,
    status_to: StatusId | None,
    order_types: Sequence[int],
    relations: Sequence[str],
    page_size: int,
) -> OrderWalk:
    changed = OrderFilter(
        updated_at_from=updated_at_from,
        updated_at_to=updated_at_to,
        referrer_id=referrer_id,
        status_from=status_from,
        status_to=status_to,
        order_types=order_types,
    )
    return OrderWalk(changed, relations=relations, page_size=page_size)
