"""Every known defect of the official specs, listed once, each with its source.

A deviation excuses a validation error only for the service, direction,
method and path it names, and only when the error text matches. Requests are
never bent to fit a defect: where the spec is wrong, the client sends what the
real API takes, and the deviation says why.
"""

from __future__ import annotations

import re

import attrs
import httpx


@attrs.frozen
class Deviation:
    """One place where the official spec and the real API disagree.

    Attributes:
        id: A short stable name, used by tests that exercise the deviation.
        service: ``"allegro"`` or ``"plenty"``.
        kind: ``"request"`` (our request breaks the spec) or ``"response"``
            (the real answer, and so the fakes' answer, breaks it).
        method: HTTP method.
        path: A regex the request path must match in full.
        error: A regex the validation error must contain.
        reality: What the real API does.
        source: Where that is documented (doc page, issue, peer code).
    """

    id: str
    service: str
    kind: str
    method: str
    path: str
    error: str
    reality: str
    source: str

    def explains(self, service: str, kind: str, request: httpx.Request, error: str) -> bool:
        """Whether this deviation excuses ``error`` for ``request``."""
        return (
            service == self.service
            and kind == self.kind
            and request.method == self.method
            and re.fullmatch(self.path, request.url.path) is not None
            and re.search(self.error, error) is not None
        )


DEVIATIONS: tuple[Deviation, ...] = (
    Deviation(
        id="allegro-empty-checkout-forms-page",
        service="allegro",
        kind="response",
        method="GET",
        path=r"/order/checkout-forms",
        error=r"0 is less than the minimum of 1",
        reality=(
            "A page past the last match, or a filter matching nothing, answers "
            '{"checkoutForms": [], "count": 0, "totalCount": 0}; the spec declares '
            "count with minimum: 1."
        ),
        source="TO VERIFY (helper): find an allegro/allegro-api issue or doc page showing count 0",
    ),
)
