"""*Allegro : Upload invoice*: put the plentymarkets invoice on the Allegro order, once.

One execution per plentymarkets document (the subject is its id): the order's
invoices, then its correction documents. An order without an invoice document
records nothing (``NOT_YET``, "no invoice yet"), so the next dispatch looks again.

Allegro takes an invoice in two writes, metadata (answered with an id) and then
the PDF, and neither has an idempotency key. So:

* Allegro's invoices are read first; an invoice with the document's number is
  adopted, never added again (a lost answer, or someone else added it);
* the metadata is created only with a note in the ledger that it is being sent,
  and its id is stored in the ledger before the file is sent: a crash or a
  lost answer between the two resumes by uploading to the stored (or found) id;
* a 409 (the order has its seller invoice) is adopted when that invoice has the
  document's number, and is :class:`~allegro_plenty.errors.InvoiceConflictError`
  otherwise; a 422 "still scanning" waits and tries later;
* after the upload the scan status is read back on later runs and recorded; a
  rejected file is :class:`~allegro_plenty.errors.InvoiceFileRejectedError`,
  and is not sent again until an operator releases the execution.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ..._plan import Plan, call
from ...allegro import endpoints as allegro_endpoints
from ...allegro.models import (
    CheckoutForm,
    CheckoutFormStatus,
    FulfillmentProviderId,
    InvoiceScanStatus,
    NewInvoice,
    NewInvoiceFile,
    OrderInvoice,
    OrderInvoices,
)
from ...errors import (
    APIStatusError,
    ConflictError,
    InvoiceConflictError,
    InvoiceFileRejectedError,
    UnprocessableEntityError,
)
from ...ledger import JSON
from ...plenty.models import Document, DocumentType
from ..config import InvoiceOrders
from ..context import ExecutionRun, ProcedureContext, ProcedureOrder, refuse_one_fulfillment
from ..handler import ActionOutcome, Done, EventProcedureHandler, Skipped, Waiting
from ..outcome import ExecutionResult, ExecutionStatus
from ._shared import ABOUT, allegro_refusal

__all__ = ["GENERATE", "INVOICE_KEY", "NO_INVOICE_YET", "InvoiceProcedure", "invoice_file_name"]

INVOICE_KEY = "allegro.upload_invoice"
NO_INVOICE_YET = "no invoice yet"
GENERATE = "generate-invoice"
"""The subject of the execution that asks plentymarkets for the invoice (at most once)."""
CORRECTION_TYPE = "correction_document"
_FILE_REFUSALS = frozenset({400, 404, 413, 422})
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def invoice_file_name(number: str) -> str:
    """The file name an invoice gets on Allegro: its number, made safe, ``.pdf``."""
    return f"{_UNSAFE.sub('_', number).strip('_') or 'invoice'}.pdf"


def _scanning(error: UnprocessableEntityError) -> bool:
    """Whether a 422 says an earlier file is still being scanned (allegro-api #9334)."""
    said = " ".join(f"{e.message or ''} {e.user_message or ''}" for e in error.errors) or str(error)
    return "scan" in said.lower()


class InvoiceProcedure(EventProcedureHandler):
    """Uploads the order's plentymarkets invoice (and correction documents) to Allegro."""

    key = INVOICE_KEY
    names, description = ABOUT[INVOICE_KEY]

    def handle(
        self, context: ProcedureContext, order: ProcedureOrder
    ) -> Plan[Sequence[ExecutionResult]]:
        """One execution per invoice or correction document of the sales order."""
        results: list[ExecutionResult] = []
        documents = yield from self._documents(context, order)
        asked = context.config.generate_invoices and not documents and order.subject is None
        if asked or order.subject == GENERATE:

            def generate(run: ExecutionRun) -> Plan[ActionOutcome]:
                return (yield from self._generate(context, order, run))

            results.append((yield from context.once(order, GENERATE, generate)))
            documents = yield from self._documents(context, order)
        wanted = [d for d in documents if order.wants(str(d.id))]
        if order.subject not in (None, GENERATE) and not wanted:
            # An execution of a document plentymarkets no longer has: end it.
            gone = f"plentymarkets has no invoice or correction document {order.subject}"

            def vanished(run: ExecutionRun) -> Plan[ActionOutcome]:
                yield from ()  # a plan that calls nothing
                return Skipped(gone)

            ended = yield from context.once(order, order.subject, vanished)
            return (ended,)
        if not documents:
            return (*results, ExecutionResult("invoice", ExecutionStatus.NOT_YET, NO_INVOICE_YET))
        for document in wanted:
            if document.status not in (None, "done"):  # plentymarkets is still making it
                results.append(
                    ExecutionResult(str(document.id), ExecutionStatus.NOT_YET, "document not ready")
                )
                continue

            def upload(run: ExecutionRun, document: Document = document) -> Plan[ActionOutcome]:
                return (yield from self._upload(context, order, document, run))

            results.append((yield from context.once(order, str(document.id), upload)))
        return tuple(results)

    # --- plentymarkets ------------------------------------------------------------------------

    def _documents(self, context: ProcedureContext, order: ProcedureOrder) -> Plan[list[Document]]:
        """The sales order's invoices, then its correction documents."""
        types = [DocumentType.INVOICE]
        if context.config.invoice_corrections:
            types.append(DocumentType.CORRECTION)
        found: list[Document] = []
        for kind in types:
            documents: Sequence[Document] = yield from call(
                context.plenty, "order_documents", order.order_id, kind
            )
            found += sorted(documents, key=lambda d: d.id)
        return found

    def _generate(
        self, context: ProcedureContext, order: ProcedureOrder, run: ExecutionRun
    ) -> Plan[ActionOutcome]:
        form: CheckoutForm = yield from call(context.allegro, "get_checkout_form", order.form_id)
        reason = self._refusal(context, form)
        if reason is not None:
            return Skipped(reason)
        existing: Sequence[Document] = yield from call(
            context.plenty, "order_documents", order.order_id, DocumentType.INVOICE
        )
        if existing:
            return Done("plentymarkets has the invoice")
        yield from run.guard()
        yield from call(context.plenty, "generate_invoice", order.order_id)
        return Done("asked plentymarkets for the invoice")

    # --- one attempt ---------------------------------------------------------------------------

    def _upload(
        self,
        context: ProcedureContext,
        order: ProcedureOrder,
        document: Document,
        run: ExecutionRun,
    ) -> Plan[ActionOutcome]:
        correction = document.type == CORRECTION_TYPE
        number = document.label
        form_id = order.form_id
        if not run.data.get("invoice_id"):  # not on Allegro yet: may it go there at all?
            form: CheckoutForm = yield from call(context.allegro, "get_checkout_form", form_id)
            reason = self._refusal(context, form)
            if reason is not None:
                return Skipped(reason)
        listing: OrderInvoices = yield from call(context.allegro, "list_invoices", form_id)
        invoice_id = self._known_invoice(run.data, listing, number)
        invoice = listing.by_id(invoice_id) if invoice_id is not None else None
        if invoice is None or not invoice.uploaded:
            pdf: bytes = yield from call(context.plenty, "download_document", document.id)
            # The client's own check (a PDF of at most 3 MB), before any metadata exists.
            allegro_endpoints.upload_invoice_file(form_id, "-", pdf)
            if invoice_id is None:
                added = yield from self._add(context, form_id, number, correction, run)
                if not isinstance(added, str):
                    return added
                invoice_id = added
            yield from run.save({**run.data, "number": number, "invoice_id": invoice_id})
            # The id is in the ledger: whatever happens to the file, no second metadata.
            try:
                yield from call(context.allegro, "upload_invoice_file", form_id, invoice_id, pdf)
            except ConflictError:
                pass  # the file is there: an earlier upload's answer was lost
            except APIStatusError as refused:
                if refused.status_code not in _FILE_REFUSALS:
                    raise  # not known whether it arrived: the next attempt reads Allegro first
                raise allegro_refusal(self.key, refused) from refused
            listing = yield from call(context.allegro, "list_invoices", form_id)
            invoice = listing.by_id(invoice_id)
        assert invoice_id is not None  # found on Allegro, stored, or just added
        return (yield from self._scanned(form_id, run, invoice_id, invoice, number))

    def _known_invoice(
        self, data: dict[str, Any], listing: OrderInvoices, number: str
    ) -> str | None:
        """The Allegro invoice this document already has: the id stored in the ledger, else
        one Allegro lists under the document's number (not one whose file was rejected)."""
        stored = data.get("invoice_id")
        if isinstance(stored, str) and stored:
            return stored
        rejected = set(data.get("rejected_ids") or ())
        same = [i for i in listing.numbered(number) if i.id not in rejected]
        return same[0].id if same else None

    def _add(
        self,
        context: ProcedureContext,
        form_id: str,
        number: str,
        correction: bool,
        run: ExecutionRun,
    ) -> Plan[str | ActionOutcome]:
        """New metadata; its id, or why there is none (a skip, a wait)."""
        body = NewInvoice(NewInvoiceFile(invoice_file_name(number)), invoice_number=number)
        # Before sending: a later attempt knows the metadata may exist and looks it up.
        yield from run.save({**run.data, "number": number, "metadata_sent": True})
        try:
            invoice_id: str = yield from call(context.allegro, "add_invoice", form_id, body)
        except ConflictError as conflict:  # the order has its seller invoice
            listing: OrderInvoices = yield from call(context.allegro, "list_invoices", form_id)
            adopted = self._known_invoice(run.data, listing, number)
            if adopted is not None:
                return adopted
            if correction:
                return Skipped(
                    f"allegro takes no further invoice on this order ({conflict.status_code})"
                )
            numbers = [i.invoice_number for i in listing.invoices]
            raise InvoiceConflictError(form_id, number, numbers) from conflict
        except UnprocessableEntityError as refused:
            if _scanning(refused):
                return Waiting("allegro is still scanning an earlier invoice file")
            if correction:
                return Skipped(f"allegro takes no correction on this order: {refused.message}")
            raise allegro_refusal(self.key, refused) from refused
        return invoice_id

    def _scanned(
        self,
        form_id: str,
        run: ExecutionRun,
        invoice_id: str,
        invoice: OrderInvoice | None,
        number: str,
    ) -> Plan[ActionOutcome]:
        status = invoice.file.scan_status if invoice is not None and invoice.file else None
        data: dict[str, JSON] = {
            **run.data,
            "number": number,
            "invoice_id": invoice_id,
            "scan": status.value if status is not None else None,
        }
        if status is InvoiceScanStatus.ACCEPTED:
            return Done(f"invoice {number} on Allegro ({invoice_id}), scan ACCEPTED", data)
        if status is InvoiceScanStatus.REJECTED:
            rejected = [*(run.data.get("rejected_ids") or ()), invoice_id]  # type: ignore[misc]
            data = {**data, "invoice_id": None, "rejected_ids": rejected}
            yield from run.save(data)  # a release starts over with new metadata
            raise InvoiceFileRejectedError(form_id, invoice_id, number)
        shown = status.value if status is not None else "not reported"
        return Waiting(f"invoice {number} uploaded ({invoice_id}); scan {shown}", data=data)

    def _refusal(self, context: ProcedureContext, form: CheckoutForm) -> str | None:
        """Why the order gets no invoice from this procedure, or ``None``."""
        if form.status == CheckoutFormStatus.CANCELLED:
            return "allegro order cancelled (payment rejected or withdrawn): no invoice"
        provider = form.fulfillment.provider if form.fulfillment is not None else None
        one_fulfillment = provider is not None and provider.id == FulfillmentProviderId.ALLEGRO
        if one_fulfillment and not context.config.invoice_one_fulfillment:
            refuse_one_fulfillment(form, self.key)
        asked = form.invoice is not None and form.invoice.required
        if context.config.invoice_orders is InvoiceOrders.REQUESTED and not asked:
            return "the buyer asked for no invoice"
        return None
