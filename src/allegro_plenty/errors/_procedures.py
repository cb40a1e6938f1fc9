"""The event procedures' errors."""

from __future__ import annotations

from collections.abc import Sequence

from ._base import AllegroPlentyError


class ProcedureError(AllegroPlentyError):
    """Base class of the event procedures' own errors (``allegro_plenty.procedures``)."""


class UnknownProcedureError(ProcedureError, LookupError):
    """No event procedure is registered under this key.

    Attributes:
        key: The key asked for.
        known: The registered keys.
    """

    def __init__(self, key: object, known: Sequence[str]) -> None:
        listed = ", ".join(known) or "none"
        super().__init__(f"no event procedure is registered as {key!r}; registered: {listed}")
        self.key = key
        self.known = tuple(known)


class NotFromAllegroError(ProcedureError):
    """The plentymarkets order is not an Allegro order of a configured account.

    Raised before any Allegro call: the order is not bound in the ledger, and
    neither its referrer nor its external order id (property 7) make it one.

    Attributes:
        plenty_order_id: The order dispatched.
        reason: Why it is not taken for an Allegro order.
    """

    def __init__(self, plenty_order_id: int, reason: str) -> None:
        super().__init__(f"plentymarkets order {plenty_order_id} is not an Allegro order: {reason}")
        self.plenty_order_id = plenty_order_id
        self.reason = reason


class ProcedureRefusedError(ProcedureError):
    """The procedure refuses to act on this order, for good: the execution is recorded
    as skipped with this error's text, and nothing is written to Allegro."""


class OneFulfillmentError(ProcedureRefusedError):
    """Allegro's own warehouse fulfils the order (One Fulfillment,
    ``fulfillment.provider.id == ALLEGRO``): its status, parcels and refunds are
    Allegro's, so the procedure writes nothing.

    Attributes:
        checkout_form_id: The Allegro checkout-form id.
        procedure: The procedure's key.
    """

    def __init__(self, checkout_form_id: str, procedure: str) -> None:
        super().__init__(
            f"checkout form {checkout_form_id} is fulfilled by Allegro (One Fulfillment): "
            f"{procedure} writes nothing to it"
        )
        self.checkout_form_id = checkout_form_id
        self.procedure = procedure


class NotRefundableError(ProcedureRefusedError):
    """Allegro refuses refunds of this payment, so none is sent (cash on delivery on a
    marketplace where Allegro does not refund it, allegro-api #11207).

    Attributes:
        checkout_form_id: The Allegro checkout-form id.
        reason: Why it cannot be refunded.
    """

    def __init__(self, checkout_form_id: str, reason: str) -> None:
        super().__init__(f"checkout form {checkout_form_id} cannot be refunded: {reason}")
        self.checkout_form_id = checkout_form_id
        self.reason = reason


class LineItemsUnclearError(ProcedureError):
    """plentymarkets items (of a shipping package or a return) cannot be told apart as
    Allegro line items: a variation appears in no item, or in items of several line
    items, or an item lacks its line-item id (property 41).

    Attributes:
        plenty_order_id: The order holding the package or return.
        reason: What could not be mapped.
    """

    def __init__(self, plenty_order_id: int, reason: str) -> None:
        super().__init__(f"plentymarkets order {plenty_order_id}: {reason}")
        self.plenty_order_id = plenty_order_id
        self.reason = reason


class CarrierNotMappedError(ProcedureError):
    """A waybill's carrier cannot be given to Allegro: its shipping profile is not in the
    carrier map (and the configuration says fail), or it maps to a carrier id that
    Allegro's carrier list does not hold.

    Attributes:
        shipping_profile_id: The plentymarkets shipping profile, if known.
        reason: What is missing.
    """

    def __init__(self, shipping_profile_id: int | None, reason: str) -> None:
        super().__init__(f"shipping profile {shipping_profile_id}: {reason}")
        self.shipping_profile_id = shipping_profile_id
        self.reason = reason


class AllegroRefusedError(ProcedureError):
    """Allegro refused a procedure's write; the message is Allegro's own.

    Raised from the client's error (its ``__cause__``), so an operator reads what
    Allegro said (``Failed to set status SENT on order ...``) in the execution's
    last error.

    Attributes:
        procedure: The procedure's key.
        status_code: The HTTP status Allegro answered.
        codes: Allegro's error codes.
        allegro_message: Allegro's message (its ``userMessage`` where there is none).
    """

    def __init__(
        self, procedure: str, status_code: int, codes: Sequence[str], allegro_message: str
    ) -> None:
        code = f" {', '.join(codes)}" if codes else ""
        super().__init__(f"{procedure}: Allegro refused ({status_code}{code}): {allegro_message}")
        self.procedure = procedure
        self.status_code = status_code
        self.codes = tuple(codes)
        self.allegro_message = allegro_message


class RefundFailedError(ProcedureError):
    """Allegro ended a refund without paying it: ``CANCELED`` (the seller's balance lacked
    the funds, allegro-api #7828) or ``VALIDATE_FAILED``. The execution is quarantined;
    an operator's release sends a new refund (a new ``commandId``).

    Attributes:
        refund_id: Allegro's refund id.
        status: The final status.
    """

    def __init__(self, refund_id: str, status: str) -> None:
        super().__init__(f"Allegro ended refund {refund_id} as {status}: nothing was refunded")
        self.refund_id = refund_id
        self.status = status


class InvoiceConflictError(ProcedureError):
    """Allegro already has a seller invoice for the order, under another number: the
    procedure does not add a second one beside it. A person decides (remove the
    other invoice on Allegro, or mark the execution done).

    Attributes:
        checkout_form_id: The Allegro order.
        invoice_number: The number of the plentymarkets document to upload.
        found_numbers: The numbers of the invoices Allegro lists.
    """

    def __init__(
        self, checkout_form_id: str, invoice_number: str, found_numbers: Sequence[str | None]
    ) -> None:
        shown = ", ".join(repr(n) for n in found_numbers) or "none listed"
        super().__init__(
            f"checkout form {checkout_form_id} already has a seller invoice ({shown}); "
            f"invoice {invoice_number!r} was not added"
        )
        self.checkout_form_id = checkout_form_id
        self.invoice_number = invoice_number
        self.found_numbers = tuple(found_numbers)


class InvoiceFileRejectedError(ProcedureError):
    """Allegro's malware scan rejected an uploaded invoice file. The file is not sent
    again (it would be rejected again); the execution waits for a person, whose
    release uploads the document anew.

    Attributes:
        checkout_form_id: The Allegro order.
        invoice_id: Allegro's invoice id.
        invoice_number: The invoice's number.
    """

    def __init__(self, checkout_form_id: str, invoice_id: str, invoice_number: str) -> None:
        super().__init__(
            f"Allegro's scan rejected the file of invoice {invoice_number!r} "
            f"({invoice_id}) on checkout form {checkout_form_id}"
        )
        self.checkout_form_id = checkout_form_id
        self.invoice_id = invoice_id
        self.invoice_number = invoice_number
