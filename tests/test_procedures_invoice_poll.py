"""Polling for invoices: the invoice-documents rule and the status-rule form.

Driven through ProcedurePoller / AsyncProcedurePoller against both fakes
(``make_world``: every request checked against the official specs). Reads are
counted with the fakes' call records.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from allegro_plenty.errors import ConfigurationError
from allegro_plenty.procedures import (
    InvoiceDocumentsRule,
    PollReport,
    PollSettings,
    ProcedureConfig,
    ProcedurePoller,
    StatusRule,
)
from allegro_plenty.procedures import poll as poll_module
from allegro_plenty.procedures.builtins import INVOICE_KEY
from allegro_plenty.testing import FakeClock

from .fakes_support import Checked
from .procedures_support import FLAVOURS, Imported, World, make_world, poller

POST = "POST /order/checkout-forms/{id}/invoices"
DOCUMENTS = "GET /rest/orders/documents/{type}"
HISTORY = "GET /rest/orders/status-history"


@pytest.fixture
def world(checked: Checked, fake_clock: FakeClock) -> Iterator[World]:
    yield from make_world(checked, fake_clock)


@pytest.fixture(params=FLAVOURS)
def flavour(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def ran(report: PollReport) -> list[tuple[str, int, str | None, str]]:
    """(procedure, order, subject, status) of every execution the poll ran."""
    return [
        (outcome.procedure, outcome.plenty_order_id, result.subject, result.status.value)
        for outcome, result in report.procedures.results()
    ]


def document_reads(world: World) -> list[str]:
    """The document types of the ``GET /rest/orders/documents/{type}`` reads, in order."""
    return [c.request.path.rsplit("/", 1)[-1] for c in world.plenty.calls() if c.route == DOCUMENTS]


def other_plenty_reads(world: World) -> list[str]:
    """Routes of plentymarkets reads other than the status history and the document lists."""
    return [
        str(c.route)
        for c in world.plenty.calls()
        if c.request.method == "GET"
        and c.route not in (None, DOCUMENTS, HISTORY)
        and "login" not in str(c.route)
    ]


def foreign_orders(world: World, count: int) -> list[Imported]:
    shop = world.plenty.add_referrer("Shop", referrer_id="1")
    return [world.import_form(bind=False, referrer=shop, status=5) for _ in range(count)]


# --- the invoice-documents rule --------------------------------------------------------------


def test_a_new_invoice_of_an_imported_order_is_uploaded_once_by_one_poll(
    world: World, flavour: str
) -> None:
    imported = world.import_form(company=True)
    poll = poller(world, flavour, rules=[InvoiceDocumentsRule()])
    first = poll()
    assert (ran(first), first.documents) == ([], 0)  # notes where the documents stand
    world.clock.advance(60)
    document = world.plenty.add_document(imported.order_id, "invoice")
    report = poll()
    assert ran(report) == [(INVOICE_KEY, imported.order_id, str(document), "waiting")]
    assert report.documents == 1
    (invoice,) = world.allegro.invoices(imported.form_id)
    assert invoice["invoiceNumber"] == world.plenty.document(document)["numberWithPrefix"]
    # Within the overlap the document is read again, and recognised.
    world.clock.advance(30)
    again = poll()
    assert (ran(again), again.documents) == ([], 0)
    world.clock.advance(3600)
    assert ran(poll()) == []
    assert world.allegro_calls(POST) == 1


def test_negative_control_forgetting_the_documents_seen_dispatches_the_document_again(
    world: World, flavour: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    imported = world.import_form(company=True)
    poll = poller(world, flavour, rules=[InvoiceDocumentsRule()])
    poll()
    world.clock.advance(60)
    document = world.plenty.add_document(imported.order_id, "invoice")
    assert [r[2] for r in ran(poll())] == [str(document)]
    monkeypatch.setattr(poll_module, "_ids", lambda value, what: set())
    world.clock.advance(30)  # within the overlap: the document is read again
    again = poll()
    assert [r[2] for r in ran(again)] == [str(document)]
    assert again.documents == 1


def test_documents_of_foreign_orders_cost_no_plentymarkets_call(world: World, flavour: str) -> None:
    foreign = foreign_orders(world, 30)
    poll = poller(world, flavour, rules=[InvoiceDocumentsRule(corrections=False)])
    poll()
    world.clock.advance(60)
    for imported in foreign:
        world.plenty.add_document(imported.order_id, "invoice")
    world.plenty.clear_calls()
    report = poll()
    assert (ran(report), report.documents) == ([], 30)
    assert document_reads(world) == ["invoice"]  # 30 documents, one page
    assert other_plenty_reads(world) == []  # no order looked up
    assert world.allegro_writes() == []


def test_many_documents_over_several_pages_cost_one_read_per_page(
    world: World, flavour: str
) -> None:
    ours = world.import_form(company=True)
    foreign = foreign_orders(world, 12)
    poll = poller(
        world,
        flavour,
        rules=[InvoiceDocumentsRule()],
        settings=PollSettings(page_size=10),
        config=ProcedureConfig(invoice_corrections=True),
    )
    poll()
    world.clock.advance(60)
    for imported in foreign:  # 36 invoices and 12 corrections of orders not ours
        for _ in range(3):
            world.plenty.add_document(imported.order_id, "invoice")
        world.plenty.add_document(imported.order_id, "correction")
    mine = world.plenty.add_document(ours.order_id, "invoice")
    world.plenty.clear_calls()
    report = poll()
    assert ran(report) == [(INVOICE_KEY, ours.order_id, str(mine), "waiting")]
    assert report.documents == 37 + 12
    # 37 invoices in 4 pages of 10, 12 corrections in 2: one read a page, none per order.
    assert document_reads(world) == ["invoice"] * 4 + ["correction"] * 2
    # Only the dispatched procedure read anything else (its own order's documents).
    reads = other_plenty_reads(world)
    assert all("{orderId}" in route or "{documentId}" in route for route in reads), reads


def test_a_correction_document_is_watched_only_when_configured(world: World, flavour: str) -> None:
    imported = world.import_form(company=True)
    poll = poller(world, flavour, rules=[InvoiceDocumentsRule(corrections=False)])
    poll()
    world.clock.advance(60)
    world.plenty.add_document(imported.order_id, "correction")
    world.plenty.clear_calls()
    assert ran(poll()) == []
    assert document_reads(world) == ["invoice"]


# --- the status-rule form ----------------------------------------------------------------------


def test_the_status_rule_form_uploads_the_invoice_when_the_order_reaches_7(
    world: World, flavour: str
) -> None:
    imported = world.import_form(company=True, status=5)
    poll = poller(world, flavour, rules=[StatusRule(INVOICE_KEY, from_status=7)])
    poll()
    document = world.plenty.add_document(imported.order_id, "invoice")
    world.clock.advance(60)
    assert ran(poll()) == []  # the invoice alone fires nothing under this rule
    world.plenty.set_status(imported.order_id, 7)
    report = poll()
    # Dispatched on the order (no subject): the procedure found its invoice itself.
    assert ran(report) == [(INVOICE_KEY, imported.order_id, str(document), "waiting")]
    (invoice,) = world.allegro.invoices(imported.form_id)
    assert invoice["invoiceNumber"] == world.plenty.document(document)["numberWithPrefix"]
    world.clock.advance(30)
    assert ran(poll()) == []
    assert world.allegro_calls(POST) == 1


def test_an_order_at_7_without_an_invoice_waits_for_the_document_rule(
    world: World, flavour: str
) -> None:
    imported = world.import_form(company=True, status=5)
    poll = poller(
        world, flavour, rules=[StatusRule(INVOICE_KEY, from_status=7), InvoiceDocumentsRule()]
    )
    poll()
    world.clock.advance(60)
    world.plenty.set_status(imported.order_id, 7)
    assert ran(poll()) == [(INVOICE_KEY, imported.order_id, "invoice", "not_yet")]
    assert world.allegro_writes() == []
    world.clock.advance(60)
    document = world.plenty.add_document(imported.order_id, "invoice")
    assert ran(poll()) == [(INVOICE_KEY, imported.order_id, str(document), "waiting")]
    assert world.allegro_calls(POST) == 1


# --- configuration -----------------------------------------------------------------------------


def test_the_rule_is_checked_when_the_poller_is_built(world: World) -> None:
    runner = world.runner("sync")
    with pytest.raises(ConfigurationError, match="one InvoiceDocumentsRule"):
        ProcedurePoller(runner, rules=[InvoiceDocumentsRule(), InvoiceDocumentsRule()])
    with pytest.raises(ConfigurationError, match="corrections"):
        InvoiceDocumentsRule(corrections="yes")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="procedure"):
        InvoiceDocumentsRule(procedure="")
    rule = InvoiceDocumentsRule()
    assert rule.document_types(True) == ("invoice", "correction")
    assert rule.document_types(False) == ("invoice",)
    assert InvoiceDocumentsRule(corrections=False).document_types(True) == ("invoice",)
