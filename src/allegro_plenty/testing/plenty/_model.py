"""Records, value parsing and order search of the plentymarkets fake."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import attrs
from dateutil.parser import isoparse

from ..._convert import format_plenty_datetime
from .._transport import Refusal

CENT = Decimal("0.01")


@attrs.define
class Session:
    """A logged-in back-end session."""

    user: str
    access_token: str
    refresh_token: str
    expires_at: datetime


@attrs.define
class StoredOrder:
    """An order and everything hanging off it."""

    data: dict[str, Any]
    items: list[dict[str, Any]]
    properties: list[dict[str, Any]]
    dates: list[dict[str, Any]]
    address_relations: list[dict[str, Any]]
    relations: list[dict[str, Any]]
    created_at: datetime
    updated_at: datetime
    parent_id: int | None = None
    packages: list[dict[str, Any]] = attrs.field(factory=list)


def iso(value: datetime) -> str:
    """plentymarkets' W3C date-time format."""
    return format_plenty_datetime(value)


def decimal_value(value: Any, where: str) -> Decimal:
    """A number from JSON or a query, or a 422 naming ``where``."""
    if isinstance(value, bool) or value is None:
        raise Refusal(422, "422", f"{where} must be a number", path=where)
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise Refusal(422, "422", f"{where} must be a number", path=where) from None
    if not result.is_finite():
        raise Refusal(422, "422", f"{where} must be a number", path=where)
    return result


def integer_value(value: Any, where: str) -> int:
    """An integer from JSON or a query, or a 422 naming ``where``."""
    number = decimal_value(value, where)
    if number != number.to_integral_value():
        raise Refusal(422, "422", f"{where} must be an integer", path=where)
    return int(number)


def round_money(value: Decimal) -> Decimal:
    """Round half up to cents, as invoices do."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def date_param(raw: str | None, name: str) -> datetime | None:
    """A W3C date-time query parameter with an offset, or a 400."""
    if raw is None or raw == "":
        return None
    try:
        value = isoparse(raw)
    except ValueError:
        raise Refusal(400, "400", f"{name} is not a W3C date: {raw!r}", path=name) from None
    if value.tzinfo is None:
        raise Refusal(400, "400", f"{name} needs a time zone offset: {raw!r}", path=name)
    return value


def relation_names(request_values: Sequence[str]) -> set[str]:
    """The relations a ``with`` parameter asks for (repeated or comma-separated)."""
    return {part.strip() for value in request_values for part in value.split(",") if part.strip()}


def within(value: datetime, low: datetime | None, high: datetime | None) -> bool:
    """Whether ``value`` lies in the closed range (an open end is ``None``)."""
    return (low is None or value >= low) and (high is None or value <= high)


def status_key(status: Decimal) -> str:
    """A status id as the status table writes it (``5``, ``5.1``)."""
    normalized = status.normalize()
    return format(normalized, "f")


def search_value(order: StoredOrder, field: str) -> Any:
    """The value of a search field of an order."""
    if field.startswith("orderProperty_"):
        type_id = int(field.removeprefix("orderProperty_"))
        return next((p["value"] for p in order.properties if p["typeId"] == type_id), None)
    mapping: Mapping[str, Callable[[StoredOrder], Any]] = {
        "orderId": lambda o: o.data["id"],
        "orderTypeId": lambda o: o.data["typeId"],
        "statusId": lambda o: o.data["statusId"],
        "referrerId": lambda o: o.data["referrerId"],
        "plentyId": lambda o: o.data["plentyId"],
        "updatedAt": lambda o: o.updated_at,
        "createdAt": lambda o: o.created_at,
    }
    if field not in mapping:
        raise Refusal(400, "400", f"the fake does not search orders by {field!r}", path=field)
    return mapping[field](order)


def _coerce(sample: Any, raw: Any, field: str) -> Any:
    if isinstance(sample, datetime):
        return date_param(str(raw), field)
    if isinstance(sample, Decimal):
        return decimal_value(raw, field)
    if isinstance(sample, int) and not isinstance(sample, bool):
        return integer_value(raw, field)
    return str(raw)


def search_test(order: StoredOrder, field: str, operator: str, raw: Any) -> bool:
    """Whether an order passes one search condition."""
    if not re.fullmatch(r"orderProperty_\d+", field) and field.startswith("orderProperty_"):
        raise Refusal(400, "400", f"bad filter {field!r}", path=field)
    value = search_value(order, field)
    if operator == "null":
        return value is None
    if operator == "nn":
        return value is not None
    if value is None:
        return operator in ("not", "nin")
    if operator in ("in", "nin"):
        options = raw if isinstance(raw, list) else str(raw).split(",")
        hit = any(value == _coerce(value, o, field) for o in options)
        return hit if operator == "in" else not hit
    if operator == "between":
        low, high = raw if isinstance(raw, list) else str(raw).split(",", 1)
        return bool(_coerce(value, low, field) <= value <= _coerce(value, high, field))
    other = _coerce(value, raw, field)
    tests: Mapping[str, Callable[[Any, Any], bool]] = {
        "eq": lambda a, b: a == b,
        "not": lambda a, b: a != b,
        "lt": lambda a, b: a < b,
        "lte": lambda a, b: a <= b,
        "gt": lambda a, b: a > b,
        "gte": lambda a, b: a >= b,
    }
    if operator not in tests:
        raise Refusal(400, "400", f"unknown operator {operator!r}", path=field)
    return tests[operator](value, other)


def group_test(order: StoredOrder, group: Mapping[str, Any]) -> bool:
    """Whether an order passes a search group (``and``/``or`` of conditions and groups)."""
    condition = group.get("conditionType", "and")
    if condition not in ("and", "or"):
        raise Refusal(400, "400", "conditionType must be and or or", path="conditionType")
    results = [
        search_test(order, f.get("field", ""), f.get("operator", "eq"), f.get("value"))
        for f in group.get("fields") or []
    ]
    results += [group_test(order, g) for g in group.get("groups") or []]
    if not results:
        return True
    return all(results) if condition == "and" else any(results)
