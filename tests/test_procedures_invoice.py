"""*Allegro : Upload invoice* against the fakes, sync and async: every Allegro and
plentymarkets request checked against the official spec (``make_world``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from allegro_plenty.errors import (
    InvalidRequestError,
    InvoiceConflictError,
    InvoiceFileRejectedError,
    OneFulfillmentError,
)
from allegro_plenty.ledger import ExecutionState
from allegro_plenty.procedures import (
    ExecutionStatus,
    InvoiceOrders,
    ProcedureConfig,
    ProcedureRunner,
    ProcedureSettings,
)
from allegro_plenty.procedures.builtins import INVOICE_KEY, NO_INVOICE_YET, InvoiceProcedure
from allegro_plenty.testing import FakeClock, Fault

from .fakes_support import Checked, allegro_client, plenty_client
from .procedures_support import FLAVOURS, Imported, World, concurrently, make_world

POST = "POST /order/checkout-forms/{id}/invoices"
PUT = "PUT /order/checkout-forms/{id}/invoices/{invoiceId}/file"
GENERATE = "POST /rest/orders/{orderId}/documents/invoice/generate"
PDF = b"%PDF-1.7\n% Faktura RE1\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
SCANNED = 60.0
"""Seconds after which the fake's scan is over (its default takes 30)."""


@pytest.fixture(params=FLAVOURS)
def flavour(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def world(checked: Checked, fake_clock: FakeClock) -> Iterator[World]:
    yield from make_world(checked, fake_clock)


@pytest.fixture
def several(checked: Checked, fake_clock: FakeClock) -> Iterator[World]:
    """Allegro taking several invoices per order (allegro-api #9919, #12784)."""
    yield from make_world(checked, fake_clock, invoice_limit=None)


def _invoiced(world: World, pdf: bytes = PDF, **options: Any) -> tuple[Imported, int]:
    """An order whose buyer asked for an invoice, and its plentymarkets invoice."""
    options.setdefault("company", True)
    imported = world.import_form(**options)
    return imported, world.plenty.add_document(imported.order_id, "invoice", pdf=pdf)


def _number(world: World, document_id: int) -> str:
    return str(world.plenty.document(document_id)["numberWithPrefix"])


def _later(world: World, runner: Any, seconds: float = 901.0) -> Any:
    """Let time pass (past the waiting poll), then run what is due."""
    world.clock.advance(seconds)
    return runner.retry_due()


def _state(world: World, imported: Imported, subject: int | str) -> Any:
    return world.ledger.execution(world.account, INVOICE_KEY, imported.order_id, str(subject))


# --- the way it should go ---------------------------------------------------------------------


def test_an_invoice_document_becomes_one_allegro_invoice_same_number_same_bytes(
    world: World, flavour: str
) -> None:
    imported, document = _invoiced(world)
    runner = world.runner(flavour)
    (result,) = runner.dispatch(INVOICE_KEY, imported.order_id).results
    assert (result.subject, result.status) == (str(document), ExecutionStatus.WAITING)
    assert "scan WAITING" in (result.reason or "")
    (invoice,) = world.allegro.invoices(imported.form_id)
    assert invoice["invoiceNumber"] == _number(world, document)
    assert invoice["file"]["name"] == f"{_number(world, document)}.pdf"
    assert world.allegro.invoice_file(imported.form_id, invoice["id"]) == PDF
    # The scan is read back on a later run and recorded.
    report = _later(world, runner)
    assert [r.status for _, r in report.results()] == [ExecutionStatus.DONE]
    stored = _state(world, imported, document)
    assert stored.state is ExecutionState.DONE
    assert (stored.data["invoice_id"], stored.data["scan"]) == (invoice["id"], "ACCEPTED")
    # Dispatched again: nothing more.
    (again,) = runner.dispatch(INVOICE_KEY, imported.order_id).results
    assert again.status is ExecutionStatus.ALREADY_FINAL
    assert (world.allegro_calls(POST), world.allegro_calls(PUT)) == (1, 1)


def test_no_invoice_document_is_not_yet_and_is_picked_up_once_it_appears(
    world: World, flavour: str
) -> None:
    imported = world.import_form(company=True)
    runner = world.runner(flavour)
    (result,) = runner.dispatch(INVOICE_KEY, imported.order_id).results
    assert (result.status, result.reason) == (ExecutionStatus.NOT_YET, NO_INVOICE_YET)
    assert world.allegro_writes() == []
    assert world.ledger.executions(world.account) == []
    document = world.plenty.add_document(imported.order_id, "invoice", pdf=PDF)
    (result,) = runner.dispatch(INVOICE_KEY, imported.order_id).results
    assert (result.subject, result.status) == (str(document), ExecutionStatus.WAITING)
    assert len(world.allegro.invoices(imported.form_id)) == 1


# --- which orders -------------------------------------------------------------------------------


def test_only_orders_whose_buyer_asked_by_default_all_when_configured(world: World) -> None:
    imported, _ = _invoiced(world, company=False)
    (result,) = world.runner("sync").dispatch(INVOICE_KEY, imported.order_id).results
    assert (result.status, result.reason) == (
        ExecutionStatus.SKIPPED,
        "the buyer asked for no invoice",
    )
    assert world.allegro_writes() == []
    other, _ = _invoiced(world, company=False)
    everyone = world.runner("sync", config=ProcedureConfig(invoice_orders=InvoiceOrders.ALL))
    (result,) = everyone.dispatch(INVOICE_KEY, other.order_id).results
    assert result.status is ExecutionStatus.WAITING
    assert world.allegro_calls(POST) == 1


def test_one_fulfillment_as_configured_and_a_rejected_payment_never(world: World) -> None:
    fulfilled, _ = _invoiced(world, provider="ALLEGRO")
    runner = world.runner("sync")
    (result,) = runner.dispatch(INVOICE_KEY, fulfilled.order_id).results
    assert result.status is ExecutionStatus.WAITING  # the seller still invoices it
    refused, _ = _invoiced(world, provider="ALLEGRO")
    config = ProcedureConfig(invoice_one_fulfillment=False)
    (result,) = world.runner("sync", config=config).dispatch(INVOICE_KEY, refused.order_id).results
    assert result.status is ExecutionStatus.SKIPPED
    assert isinstance(result.error, OneFulfillmentError)
    cancelled, _ = _invoiced(world)
    world.allegro.cancel(cancelled.form_id)
    (result,) = runner.dispatch(INVOICE_KEY, cancelled.order_id).results
    assert result.status is ExecutionStatus.SKIPPED
    assert "cancelled" in (result.reason or "")
    assert world.allegro_calls(POST) == 1  # the first order's only


# --- exactly once ---------------------------------------------------------------------------------


class Killed(BaseException):
    """The worker process dies (SIGKILL): nothing after this point runs or is recorded."""


class DieAfter(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """A fake's transport whose worker dies once ``when`` matches an exchange (after the
    fake has committed it, so the write is on Allegro and its answer never read)."""

    def __init__(self, inner: Any, when: Callable[[httpx.Request], bool]) -> None:
        self.inner, self.when, self.died = inner, when, False

    def _maybe_die(self, request: httpx.Request) -> None:
        if not self.died and self.when(request):
            self.died = True
            raise Killed

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response: httpx.Response = self.inner.handle_request(request)
        self._maybe_die(request)
        return response

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response: httpx.Response = await self.inner.handle_async_request(request)
        self._maybe_die(request)
        return response


def _is_metadata(request: httpx.Request) -> bool:
    return request.method == "POST" and request.url.path.endswith("/invoices")


def _is_file(request: httpx.Request) -> bool:
    return request.method == "PUT"


def _crash_then_rerun(world: World, flavour: str, when: Callable[[httpx.Request], bool]) -> Any:
    """Dispatch on a worker that dies at ``when``; after the lease runs out a fresh worker runs
    what is due. Returns the order."""
    imported, _ = _invoiced(world)
    allegro = allegro_client(
        world.allegro, world.clock, {"transport": DieAfter(world.allegro.transport(), when)}
    )
    dying = ProcedureRunner(
        plenty=plenty_client(world.plenty, world.clock, {"transport": world.plenty.transport()}),
        ledger=world.ledger,
        accounts=[(world.account, allegro)],
        settings=ProcedureSettings(owner="dying"),
    )
    with pytest.raises(Killed):
        dying.dispatch(INVOICE_KEY, imported.order_id)
    world.clock.advance(ProcedureSettings().lease + 1)
    world.runner(flavour).retry_due()
    return imported


@pytest.mark.parametrize("when", [_is_metadata, _is_file], ids=["after-metadata", "after-file"])
def test_a_worker_killed_between_metadata_and_file_resumes_one_metadata_one_file(
    several: World, flavour: str, when: Callable[[httpx.Request], bool]
) -> None:
    imported = _crash_then_rerun(several, flavour, when)
    (invoice,) = several.allegro.invoices(imported.form_id)
    assert several.allegro.invoice_file(imported.form_id, invoice["id"]) == PDF
    assert several.allegro_calls(POST) == 1
    assert several.allegro_calls(PUT) <= 2  # re-sent only to an invoice without its file


def test_negative_control_ignoring_the_stored_and_listed_invoice_makes_two_metadata(
    several: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(InvoiceProcedure, "_known_invoice", lambda *args: None)
    imported = _crash_then_rerun(several, "sync", _is_metadata)
    assert several.allegro_calls(POST) == 2
    assert len(several.allegro.invoices(imported.form_id)) == 2


def test_a_lost_metadata_answer_is_looked_up_not_re_sent(several: World, flavour: str) -> None:
    imported, _ = _invoiced(several)
    several.allegro.faults.inject(Fault.response_lost("timeout"), route=POST, times=1)
    runner = several.runner(flavour)
    (result,) = runner.dispatch(INVOICE_KEY, imported.order_id).results
    assert result.status is ExecutionStatus.FAILED
    assert _state(several, imported, result.subject).data["metadata_sent"] is True
    _later(several, runner, 3600)
    assert several.allegro_calls(POST) == 1
    (invoice,) = several.allegro.invoices(imported.form_id)
    assert several.allegro.invoice_file(imported.form_id, invoice["id"]) == PDF


def test_a_lost_file_answer_is_read_back_not_re_sent(world: World, flavour: str) -> None:
    imported, document = _invoiced(world)
    world.allegro.faults.inject(Fault.response_lost("reset"), route=PUT, times=1)
    runner = world.runner(flavour)
    (result,) = runner.dispatch(INVOICE_KEY, imported.order_id).results
    assert result.status is ExecutionStatus.FAILED
    report = _later(world, runner, 3600)
    assert [r.status for _, r in report.results()] == [ExecutionStatus.DONE]
    assert (world.allegro_calls(POST), world.allegro_calls(PUT)) == (1, 1)
    assert _state(world, imported, document).data["scan"] == "ACCEPTED"


def test_eight_concurrent_dispatches_make_one_metadata(several: World, flavour: str) -> None:
    imported, _ = _invoiced(several)
    runner = several.runner(flavour)
    outcomes = concurrently(runner, 8, INVOICE_KEY, imported.order_id)
    statuses = sorted(o.results[0].status.value for o in outcomes)
    assert statuses.count(ExecutionStatus.WAITING.value) == 1
    assert (several.allegro_calls(POST), several.allegro_calls(PUT)) == (1, 1)


# --- conflicts, scans, corrections ----------------------------------------------------------


def test_a_409_with_our_number_on_allegro_is_adopted(world: World) -> None:
    imported, document = _invoiced(world)
    number = _number(world, document)

    def added_meanwhile(request: httpx.Request) -> None:
        """Someone adds the same invoice between our read of Allegro and our metadata."""
        if _is_metadata(request) and not world.allegro.invoices(imported.form_id):
            world.allegro.add_invoice(imported.form_id, number)

    runner = world.runner("sync", before=added_meanwhile)
    (result,) = runner.dispatch(INVOICE_KEY, imported.order_id).results
    assert result.status is ExecutionStatus.WAITING
    assert [c.status for c in world.allegro.calls(POST)] == [409]
    (invoice,) = world.allegro.invoices(imported.form_id)
    assert world.allegro.invoice_file(imported.form_id, invoice["id"]) == PDF


def test_an_invoice_under_our_number_is_adopted_without_metadata(world: World) -> None:
    imported, document = _invoiced(world)
    world.allegro.add_invoice(imported.form_id, _number(world, document))
    (result,) = world.runner("sync").dispatch(INVOICE_KEY, imported.order_id).results
    assert result.status is ExecutionStatus.WAITING
    assert (world.allegro_calls(POST), world.allegro_calls(PUT)) == (0, 1)


def test_a_409_with_another_number_is_a_typed_conflict(world: World, flavour: str) -> None:
    imported, _ = _invoiced(world)
    world.allegro.add_invoice(imported.form_id, "FV 9/2026", PDF)
    (result,) = world.runner(flavour).dispatch(INVOICE_KEY, imported.order_id).results
    assert result.status is ExecutionStatus.QUARANTINED
    assert isinstance(result.error, InvoiceConflictError)
    assert result.error.found_numbers == ("FV 9/2026",)
    assert world.allegro_calls(PUT) == 0


def test_a_file_the_scan_rejects_is_reported_not_re_sent(world: World, flavour: str) -> None:
    imported, document = _invoiced(world, pdf=PDF + EICAR)
    runner = world.runner(flavour)
    runner.dispatch(INVOICE_KEY, imported.order_id)
    report = _later(world, runner)
    ((_, result),) = report.results()
    assert result.status is ExecutionStatus.QUARANTINED
    assert isinstance(result.error, InvoiceFileRejectedError)
    for _ in range(3):
        _later(world, runner, 3600)
        (again,) = runner.dispatch(INVOICE_KEY, imported.order_id).results
        assert again.status is ExecutionStatus.ON_HOLD
    assert (world.allegro_calls(POST), world.allegro_calls(PUT)) == (1, 1)
    stored = _state(world, imported, document)
    assert (stored.state, stored.quarantined) == (ExecutionState.FAILED, True)


def test_still_scanning_waits_and_is_not_a_second_upload(several: World, flavour: str) -> None:
    imported, invoice = _invoiced(several)
    correction = several.plenty.add_document(imported.order_id, "correction")
    runner = several.runner(flavour)
    first, second = runner.dispatch(INVOICE_KEY, imported.order_id).results
    assert (first.subject, first.status) == (str(invoice), ExecutionStatus.WAITING)
    assert (second.subject, second.status) == (str(correction), ExecutionStatus.WAITING)
    assert "scanning" in (second.reason or "")
    assert [c.status for c in several.allegro.calls(POST)] == [201, 422]
    _later(several, runner)  # the invoice's scan is over; the correction goes now
    _later(several, runner)
    numbers = [i["invoiceNumber"] for i in several.allegro.invoices(imported.form_id)]
    assert numbers == [_number(several, invoice), _number(several, correction)]
    assert [c.status for c in several.allegro.calls(POST)] == [201, 422, 201]
    assert several.allegro_calls(PUT) == 2
    assert _state(several, imported, correction).state is ExecutionState.DONE


def test_a_correction_allegro_takes_no_more_invoices_for_is_skipped(world: World) -> None:
    imported, _ = _invoiced(world)
    correction = world.plenty.add_document(imported.order_id, "correction")
    runner = world.runner("sync")
    runner.dispatch(INVOICE_KEY, imported.order_id)
    _later(world, runner)
    stored = _state(world, imported, correction)
    assert stored.state is ExecutionState.SKIPPED
    assert stored.reason == "allegro takes no further invoice on this order (409)"
    assert len(world.allegro.invoices(imported.form_id)) == 1


def test_the_invoice_is_generated_in_plentymarkets_once_when_configured(world: World) -> None:
    imported = world.import_form(company=True)
    runner = world.runner("sync", config=ProcedureConfig(generate_invoices=True))
    generated, uploaded = runner.dispatch(INVOICE_KEY, imported.order_id).results
    assert generated.status is ExecutionStatus.DONE
    assert uploaded.status is ExecutionStatus.WAITING
    runner.dispatch(INVOICE_KEY, imported.order_id)
    assert world.plenty.call_count(GENERATE) == 1
    (invoice,) = world.allegro.invoices(imported.form_id)
    (document,) = world.plenty.documents(imported.order_id)
    assert invoice["invoiceNumber"] == document["numberWithPrefix"]


def test_a_document_plentymarkets_does_not_have_ends_skipped_not_due_forever(
    world: World,
) -> None:
    imported, _ = _invoiced(world)
    runner = world.runner("sync")
    (result,) = runner.dispatch(INVOICE_KEY, imported.order_id, "99999").results
    assert result.status is ExecutionStatus.SKIPPED
    assert result.reason == "plentymarkets has no invoice or correction document 99999"
    assert world.allegro_writes() == []
    assert _later(world, runner).outcomes == ()


def test_a_document_that_is_no_pdf_waits_for_a_person_before_any_metadata(world: World) -> None:
    imported, _ = _invoiced(world, pdf=b"<html>not a pdf</html>")
    (result,) = world.runner("sync").dispatch(INVOICE_KEY, imported.order_id).results
    assert result.status is ExecutionStatus.QUARANTINED
    assert isinstance(result.error, InvalidRequestError)
    assert world.allegro_writes() == []
