"""Errors the clients raise with no failing exchange: refused requests, walks, lookups."""

from __future__ import annotations

from ._base import AllegroPlentyError


class PagingError(AllegroPlentyError):
    """A paged list cannot be walked further without skipping or repeating items.

    Allegro caps ``offset + limit`` at 10,000; a walk that would need more
    (over 10,000 checkout forms updated in one millisecond) stops here instead
    of silently skipping forms. A walk also stops here when it does not
    advance: the server ignored the parameter that moves it on (``from`` of the
    order events, ``page`` of a plentymarkets list, ``updatedAt.gte`` or
    ``offset`` of the checkout forms) and answered what it answered before.
    """


_SHOWN = 120
"""How much of a refused value an error message quotes (a value may be megabytes long)."""


class InvalidRequestError(AllegroPlentyError, ValueError):
    """A request the service would refuse, caught while it was built: nothing was sent.

    Attributes:
        field: Where the value goes, named as on the wire: a JSON path
            (``lineItems[0].value.amount``) or a query parameter
            (``fulfillment.status``); ``None`` where the place is not known.
        value: The refused value.
        reason: What is wrong with it.
    """

    def __init__(self, reason: str, *, field: str | None, value: object) -> None:
        shown = repr(value)
        if len(shown) > _SHOWN:
            shown = f"{shown[:_SHOWN]}... ({len(shown)} characters)"
        where = f"{field}: " if field else ""
        super().__init__(f"{where}{reason} (got {shown})")
        self.field = field
        self.value = value
        self.reason = reason

    def at(self, field: str) -> InvalidRequestError:
        """The same refusal, naming ``field`` (for checks that do not know where they run)."""
        return InvalidRequestError(self.reason, field=field, value=self.value)


class ReferenceDataError(AllegroPlentyError, LookupError):
    """The system has no such country, currency or other reference entry."""


class BudgetExhaustedError(AllegroPlentyError):
    """A call would have to wait longer than :attr:`~allegro_plenty.PlentyBudget.max_wait`.

    Usually the daily limit is down to its reserve; run again after
    :attr:`wait` seconds. Nothing was sent.

    Attributes:
        scope: The limit that is used up (see :class:`~allegro_plenty.RateLimit`).
        kind: ``"read"`` or ``"write"``.
        operation: The call that was refused.
        wait: Seconds until the limit allows the call.
    """

    def __init__(self, *, scope: str, kind: str, operation: str, wait: float) -> None:
        super().__init__(
            f"{operation}: the plentymarkets {scope} {kind} limit allows the next call "
            f"in {wait:.0f} s, longer than the budget's max_wait"
        )
        self.scope = scope
        self.kind = kind
        self.operation = operation
        self.wait = wait


class RefundNotFoundError(AllegroPlentyError):
    """Allegro lists no refund with this id (for this seller).

    Attributes:
        refund_id: The id asked for.
    """

    def __init__(self, refund_id: str) -> None:
        super().__init__(f"Allegro lists no refund with id {refund_id!r} for this account")
        self.refund_id = refund_id


class RateGateStorageError(AllegroPlentyError):
    """A rate gate over shared storage (PostgreSQL) cannot be read or written.

    Raised from the Allegro call that asked the gate; that call was not sent.
    """
