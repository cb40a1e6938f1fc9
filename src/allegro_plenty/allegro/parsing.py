"""Reading checkout forms stored outside a client call: a queue, a webhook, an archive."""

from __future__ import annotations

from typing import Any

from .._convert import parse_model
from .models import CheckoutForm

__all__ = ["parse_checkout_form"]


def parse_checkout_form(data: str | bytes | Any, *, strict: bool = False) -> CheckoutForm:
    """Read a stored checkout form, exactly as the clients read Allegro's answers.

    Args:
        data: The form as JSON text (``str`` or ``bytes``), or as the ``dict``
            :func:`json.loads` returns (``parse_float=Decimal`` keeps money exact;
            floats are read through their shortest repr).
        strict: Refuse unknown keys and unknown enum values (for tests).

    Raises:
        ModelValidationError: The data is not JSON or not a checkout form;
            ``field_path`` names the field at fault with the JSON's names
            (``lineItems[0].price.amount``).
    """
    return parse_model(CheckoutForm, data, strict=strict)
