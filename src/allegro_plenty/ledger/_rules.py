"""Input checks and record transitions shared by every ledger in this package.

Each store keeps only what differs: how it reads and writes. What a valid key is,
how a failure counts up and what a release resets is decided here, once.
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection
from datetime import datetime
from decimal import Decimal, InvalidOperation

import attrs

from ..errors import BindingConflictError, LedgerInputError, LedgerSchemaError
from .records import JSON, Binding, BindingOrigin, Claim, Failure, FormVersion

MAX_ERROR_TEXT = 2000
"""Longer error texts are cut: a failure record is a pointer, not a log."""


def text(name: str, value: object) -> str:
    """A non-empty string parameter."""
    if not isinstance(value, str) or not value.strip():
        raise LedgerInputError(f"{name} must be a non-empty string, got {value!r}")
    return value


def optional_text(name: str, value: object) -> str | None:
    """``None`` or a non-empty string."""
    return None if value is None else text(name, value)


def duration(name: str, value: object, *, allow_zero: bool = False) -> float:
    """A finite number of seconds, positive (or zero where allowed)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise LedgerInputError(f"{name} must be a finite number of seconds, got {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        bound = "zero or more" if allow_zero else "more than zero"
        raise LedgerInputError(f"{name} must be {bound} seconds, got {value!r}")
    return float(value)


def order_id(value: object) -> int:
    """A plentymarkets order id."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise LedgerInputError(f"plenty_order_id must be a positive integer, got {value!r}")
    return value


def count(name: str, value: object) -> int:
    """A positive whole number (a limit)."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise LedgerInputError(f"{name} must be a positive integer, got {value!r}")
    return value


def expected_version(value: object) -> int:
    """The cursor version a save is based on (0: no cursor yet)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise LedgerInputError(f"expected_version must be an integer >= 0, got {value!r}")
    return value


def marks(name: str, values: Collection[str]) -> frozenset[str]:
    """A set of non-empty strings (a bare string is refused: it is not a set of parts)."""
    if isinstance(values, str | bytes):
        raise LedgerInputError(f"{name} must be a collection of strings, not one string")
    return frozenset(text(name, value) for value in values)


def status(value: object) -> Decimal:
    """A plentymarkets status id (``8``, ``"5.1"``, ``Decimal("5.10")``), normalized."""
    try:
        number = Decimal(str(value)) if isinstance(value, int | str | Decimal) else None
    except InvalidOperation:
        number = None
    if isinstance(value, bool) or number is None or not number.is_finite() or number <= 0:
        raise LedgerInputError(f"status must be a positive status id like 5.1, got {value!r}")
    return Decimal(format(number.normalize(), "f"))


def json_text(value: JSON) -> str:
    """A cursor value as JSON text; non-JSON values (NaN, sets, objects) are refused."""
    try:
        return json.dumps(value, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise LedgerInputError(f"a cursor must be a JSON value: {exc}") from None


def version(value: object) -> FormVersion:
    """A form version whose ``updatedAt``, if any, is timezone-aware."""
    if not isinstance(value, FormVersion):
        raise LedgerInputError(f"version must be a FormVersion, got {value!r}")
    updated = value.updated_at
    if updated is not None and (not isinstance(updated, datetime) or updated.utcoffset() is None):
        raise LedgerInputError(f"version.updated_at must be timezone-aware, got {updated!r}")
    optional_text("version.revision", value.revision)
    optional_text("version.fulfillment_status", value.fulfillment_status)
    return value


def claim(value: object) -> Claim:
    """A claim handle as the ledger returned it."""
    if not isinstance(value, Claim):
        raise LedgerInputError(f"expected a Claim from claim() or renew(), got {value!r}")
    return value


def error_text(value: object) -> str:
    """An error text, cut to :data:`MAX_ERROR_TEXT` characters."""
    return text("error", value)[:MAX_ERROR_TEXT]


def rebound(existing: Binding, account: str, form_id: str, order: int) -> Binding:
    """Binding again: the stored binding if it is the same, else a conflict naming it."""
    if (existing.account, existing.form_id, existing.plenty_order_id) == (account, form_id, order):
        return existing
    raise BindingConflictError(
        f"form {form_id!r} of account {account!r} cannot be bound to order {order}: "
        f"form {existing.form_id!r} of account {existing.account!r} is bound to "
        f"order {existing.plenty_order_id}",
        existing=existing,
    )


def failed(
    previous: Failure | None,
    account: str,
    form_id: str,
    error: str,
    *,
    now: float,
    retry_at: float | None,
    quarantine_reason: str | None = None,
) -> Failure:
    """The failure record after one more failed attempt.

    A quarantined form stays quarantined whatever a worker records later: only an
    operator's release lets it go again.
    """
    quarantined = quarantine_reason is not None or (previous is not None and previous.quarantined)
    reason = quarantine_reason or (previous.quarantine_reason if previous else None)
    return Failure(
        account=account,
        form_id=form_id,
        attempts=(previous.attempts if previous else 0) + 1,
        last_error=error,
        next_retry_at=None if quarantined else retry_at,
        quarantined=quarantined,
        quarantine_reason=reason if quarantined else None,
        first_failed_at=previous.first_failed_at if previous else now,
        last_failed_at=now,
    )


def released(previous: Failure, *, now: float) -> Failure:
    """The failure record after an operator released it: due now, counted from zero."""
    return attrs.evolve(
        previous, attempts=0, next_retry_at=now, quarantined=False, quarantine_reason=None
    )


def binding_args(
    account: object, form_id: object, plenty_order_id: object, origin: object, revision: object
) -> tuple[int, BindingOrigin, str | None]:
    """The checked arguments of a bind: the order id, the origin and the revision."""
    text("account", account)
    text("form_id", form_id)
    return order_id(plenty_order_id), BindingOrigin(origin), optional_text("revision", revision)


def schema_error(store: str, found: int, supported: int) -> LedgerSchemaError:
    """The error for a store at schema version ``found`` when this release needs ``supported``."""
    if found > supported:
        problem = f"is at schema version {found}, newer than this release's {supported}"
    else:
        problem = f"is at schema version {found}; this release needs {supported}: call migrate()"
    return LedgerSchemaError(f"{store} {problem}", found=found, supported=supported)
