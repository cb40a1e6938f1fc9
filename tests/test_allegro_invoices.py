"""The order invoice resource: AllegroClient against FakeAllegro, every request and answer
checked against the official spec, and the fake's documented invoice behaviour."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from allegro_plenty.allegro.endpoints import INVOICE_FILE_LIMIT, add_invoice, upload_invoice_file
from allegro_plenty.allegro.models import InvoiceScanStatus, NewInvoice, NewInvoiceFile
from allegro_plenty.errors import (
    APIError,
    ConflictError,
    InvalidRequestError,
    UnprocessableEntityError,
)
from allegro_plenty.testing import FakeAllegro, FakeClock, Fault
from allegro_plenty.testing.factories import checkout_form

from .fakes_support import ALLEGRO_HOST, Checked, allegro_client, async_allegro_client
from .procedures_support import request_violations
from .specs import ALLEGRO_SPEC, request_errors, require

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
POST = "POST /order/checkout-forms/{id}/invoices"
PUT = "PUT /order/checkout-forms/{id}/invoices/{invoiceId}/file"


@pytest.fixture
def fake(checked: Checked, fake_clock: FakeClock) -> Iterator[FakeAllegro]:
    allegro = checked(FakeAllegro(clock=fake_clock))
    yield allegro
    assert request_violations(allegro) == []


def _form(fake: FakeAllegro, seed: int = 1) -> str:
    return fake.add_checkout_form(checkout_form(company=True, seed=seed))


def test_metadata_then_pdf_then_the_scan_read_back(
    fake: FakeAllegro, fake_clock: FakeClock
) -> None:
    client = allegro_client(fake, fake_clock, {"transport": fake.transport()})
    form_id = _form(fake)
    assert client.list_invoices(form_id).invoices == ()
    invoice_id = client.add_invoice(
        form_id, NewInvoice(NewInvoiceFile("FV-1-2026.pdf"), invoice_number="FV 1/2026")
    )
    listed = client.list_invoices(form_id)
    (invoice,) = listed.invoices
    assert (invoice.id, invoice.invoice_number) == (invoice_id, "FV 1/2026")
    assert not invoice.uploaded
    assert listed.has_external_invoices is False
    client.upload_invoice_file(form_id, invoice_id, PDF)
    (call,) = fake.calls(PUT)
    assert call.request.headers["content-type"] == "application/pdf"
    assert fake.invoice_file(form_id, invoice_id) == PDF
    file = client.list_invoices(form_id).invoices[0].file
    assert file is not None
    assert file.scan_status is InvoiceScanStatus.WAITING
    fake_clock.advance(31)
    file = client.list_invoices(form_id).invoices[0].file
    assert file is not None
    assert file.scan_status is InvoiceScanStatus.ACCEPTED


def test_the_async_client_does_the_same(fake: FakeAllegro, fake_clock: FakeClock) -> None:
    form_id = _form(fake)

    async def go() -> bytes | None:
        client = async_allegro_client(fake, fake_clock, {"transport": fake.async_transport()})
        invoice_id = await client.add_invoice(form_id, NewInvoice(NewInvoiceFile("a.pdf"), "A1"))
        await client.upload_invoice_file(form_id, invoice_id, PDF)
        listed = await client.list_invoices(form_id)
        assert listed.numbered("A1")[0].uploaded
        return fake.invoice_file(form_id, invoice_id)

    assert asyncio.run(go()) == PDF


def test_documented_refusals(fake: FakeAllegro, fake_clock: FakeClock) -> None:
    client = allegro_client(fake, fake_clock, {"transport": fake.transport()})
    form_id = _form(fake)
    first = client.add_invoice(form_id, NewInvoice(NewInvoiceFile("a.pdf"), "A1"))
    with pytest.raises(ConflictError):  # the order has its seller invoice (limit 1)
        client.add_invoice(form_id, NewInvoice(NewInvoiceFile("b.pdf"), "B1"))
    fake.invoice_limit = None
    # Metadata again before a file or a pause: 429, retried after a back-off (nothing
    # was created), and then taken.
    client.add_invoice(form_id, NewInvoice(NewInvoiceFile("b.pdf"), "B1"))
    assert [c.status for c in fake.calls(POST)] == [201, 409, 429, 201]
    client.upload_invoice_file(form_id, first, PDF)
    with pytest.raises(ConflictError):  # a file twice
        client.upload_invoice_file(form_id, first, PDF)
    with pytest.raises(UnprocessableEntityError, match="in progress"):  # scanning
        client.add_invoice(form_id, NewInvoice(NewInvoiceFile("c.pdf"), "C1"))
    fake_clock.advance(60)
    client.add_invoice(form_id, NewInvoice(NewInvoiceFile("c.pdf"), "C1"))
    assert len(fake.invoices(form_id)) == 3
    refused = _form(fake, seed=2)
    fake.refuse_invoices(refused)
    with pytest.raises(UnprocessableEntityError, match="does not allow"):
        client.add_invoice(refused, NewInvoice(NewInvoiceFile("a.pdf"), "A1"))


def test_a_lost_metadata_answer_is_not_re_sent(fake: FakeAllegro, fake_clock: FakeClock) -> None:
    client = allegro_client(fake, fake_clock, {"transport": fake.transport()})
    form_id = _form(fake)
    fake.faults.inject(Fault.response_lost("server_error", status=503), route=POST, times=1)
    with pytest.raises(APIError) as lost:
        client.add_invoice(form_id, NewInvoice(NewInvoiceFile("a.pdf"), "A1"))
    assert lost.value.may_have_taken_effect
    assert len(fake.calls(POST)) == 1  # one try: the metadata exists, a retry would double it
    assert len(fake.invoices(form_id)) == 1


def test_a_rejected_file_and_bad_files(fake: FakeAllegro, fake_clock: FakeClock) -> None:
    client = allegro_client(fake, fake_clock, {"transport": fake.transport()})
    form_id = _form(fake)
    invoice_id = client.add_invoice(form_id, NewInvoice(NewInvoiceFile("a.pdf"), "A1"))
    client.upload_invoice_file(form_id, invoice_id, PDF + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE")
    fake_clock.advance(31)
    file = client.list_invoices(form_id).invoices[0].file
    assert file is not None
    assert file.scan_status is InvoiceScanStatus.REJECTED
    with pytest.raises(InvalidRequestError, match="PDF"):
        upload_invoice_file(form_id, invoice_id, b"<html>")
    with pytest.raises(InvalidRequestError, match="at most"):
        upload_invoice_file(form_id, invoice_id, b"%PDF-" + b"0" * INVOICE_FILE_LIMIT)
    with pytest.raises(InvalidRequestError, match="file name"):
        add_invoice(form_id, NewInvoice(NewInvoiceFile(" ")))


def test_the_spec_check_of_the_pdf_upload_is_live() -> None:
    """The request check would catch an upload that is not ``application/pdf``."""
    require(ALLEGRO_SPEC)
    operation = upload_invoice_file("f-1", "i-1", PDF)
    url = f"{ALLEGRO_HOST}/order/checkout-forms/f-1/invoices/i-1/file"
    headers = {"Authorization": "Bearer t", **operation.headers}
    good = httpx.Request("PUT", url, headers=headers, content=operation.content)
    assert request_errors("allegro", good) == []
    wrong = httpx.Request(
        "PUT", url, headers={**headers, "Content-Type": "application/json"}, content=b"{}"
    )
    assert request_errors("allegro", wrong) != []
