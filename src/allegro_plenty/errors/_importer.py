"""Errors of the import: configuration, mapping, stored models, duplicate and foreign orders."""

from __future__ import annotations

from collections.abc import Sequence

from ._base import AllegroPlentyError


class MappingError(AllegroPlentyError):
    """A checkout form cannot be mapped to a plentymarkets order.

    Attributes:
        checkout_form_id: The Allegro checkout-form id.
        field_path: The field at fault (``lineItems[2].price``), when there is one.
        reason: What is wrong, without personal data.
    """

    def __init__(self, reason: str, *, checkout_form_id: str, field_path: str | None = None):
        where = f" at {field_path}" if field_path else ""
        super().__init__(f"checkout form {checkout_form_id}{where}: {reason}")
        self.reason = reason
        self.checkout_form_id = checkout_form_id
        self.field_path = field_path


class ConfigurationError(AllegroPlentyError, ValueError):
    """A configuration value is wrong or contradicts another; the message names both."""


class ModelValidationError(AllegroPlentyError, ValueError):
    """Data read outside a client call (stored JSON) is not JSON or does not fit its model.

    Raised by :func:`~allegro_plenty.allegro.parse_checkout_form` and
    :func:`~allegro_plenty.parse_model`; a response body that does not fit is a
    :class:`ResponseValidationError` instead.

    Attributes:
        model: The model's class name (``"CheckoutForm"``).
        reason: What is wrong; long values are cut short.
        field_path: Where, with the JSON's names (``lineItems[0].price.amount``);
            ``None`` when the document as a whole is wrong.
    """

    def __init__(self, model: str, reason: str, *, field_path: str | None = None) -> None:
        where = f" at {field_path}" if field_path else ""
        super().__init__(f"{model}{where}: {reason}")
        self.model = model
        self.reason = reason
        self.field_path = field_path


class DuplicateOrdersFound(AllegroPlentyError):
    """More than one plentymarkets sales order carries the form's external order id.

    The importer never picks one of them: it quarantines the form until a person
    merges or cancels the duplicates and marks the form handled
    (:meth:`~allegro_plenty.ledger.ImportLedger.mark_handled`).

    Attributes:
        checkout_form_id: The Allegro checkout-form id.
        order_ids: The plentymarkets orders that claim it.
    """

    def __init__(self, checkout_form_id: str, order_ids: Sequence[int]) -> None:
        ids = ", ".join(map(str, order_ids))
        super().__init__(
            f"checkout form {checkout_form_id}: plentymarkets orders {ids} all carry it"
        )
        self.checkout_form_id = checkout_form_id
        self.order_ids = tuple(order_ids)


class ForeignOrderExists(AllegroPlentyError):
    """A plentymarkets order with the form's external order id exists under a referrer
    that is neither the importer's nor listed in ``adopt_referrer_ids``.

    The importer never creates the order again and never takes the other one
    over: list its referrer in ``adopt_referrer_ids`` to adopt it, or mark the
    form handled.

    Attributes:
        checkout_form_id: The Allegro checkout-form id.
        order_id: The plentymarkets order.
        referrer_id: Its referrer.
    """

    def __init__(self, checkout_form_id: str, order_id: int, referrer_id: object) -> None:
        super().__init__(
            f"checkout form {checkout_form_id}: plentymarkets order {order_id} carries it under "
            f"referrer {referrer_id}, which is not listed in adopt_referrer_ids"
        )
        self.checkout_form_id = checkout_form_id
        self.order_id = order_id
        self.referrer_id = referrer_id
