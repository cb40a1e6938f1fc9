"""Order documents: PlentyClient against FakePlenty (requests and answers checked against
the official spec), sync and async."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta

import pytest

from allegro_plenty.errors import InvalidRequestError
from allegro_plenty.plenty.endpoints import generate_invoice, order_documents
from allegro_plenty.testing import FakeClock, Fault

from .fakes_support import Checked, async_plenty_client
from .procedures_support import World, make_world

PDF = b"%PDF-1.4\nan invoice\n%%EOF\n"


@pytest.fixture
def world(checked: Checked, fake_clock: FakeClock) -> Iterator[World]:
    yield from make_world(checked, fake_clock)


def test_an_orders_invoices_and_corrections_with_number_date_and_file(world: World) -> None:
    order_id = world.import_form(company=True).order_id
    other = world.import_form(company=True).order_id
    invoice = world.plenty.add_document(order_id, "invoice", pdf=PDF, number=42)
    world.plenty.add_document(other, "invoice")
    correction = world.plenty.add_document(order_id, "correction")
    client = world.seller
    (found,) = client.order_documents(order_id, "invoice")
    assert (found.id, found.type, found.number, found.label) == (invoice, "invoice", 42, "RE42")
    assert found.display_date is not None
    assert found.order_ids() == [order_id]
    (fixed,) = client.order_documents(order_id, "correction")
    assert (fixed.id, fixed.type) == (correction, "correction_document")
    assert client.download_document(invoice) == PDF
    assert client.download_document(correction).startswith(b"%PDF-")


def test_documents_across_orders_since_a_cursor_one_call_per_page(
    world: World, fake_clock: FakeClock
) -> None:
    first = world.import_form().order_id
    second = world.import_form().order_id
    world.plenty.add_document(first, "invoice")
    cursor = fake_clock.now()
    fake_clock.advance(60)
    late = world.plenty.add_document(second, "invoice")
    world.plenty.clear_calls()
    page = world.seller.list_documents("invoice", updated_at_from=cursor + timedelta(seconds=1))
    assert [d.id for d in page.entries] == [late]
    assert page.entries[0].order_ids() == [second]
    assert world.plenty_reads() == 1


def test_generating_an_invoice_is_never_retried(world: World) -> None:
    order_id = world.import_form().order_id
    world.seller.generate_invoice(order_id)
    (made,) = world.seller.order_documents(order_id)
    assert made.type == "invoice"
    world.plenty.faults.inject(
        Fault.response_lost("server_error", status=502),
        route="POST /rest/orders/{orderId}/documents/invoice/generate",
        times=1,
    )
    with pytest.raises(Exception, match="502"):
        world.seller.generate_invoice(order_id)
    assert len(world.seller.order_documents(order_id)) == 2  # made once more, not twice


def test_async_client_and_bad_input(world: World, fake_clock: FakeClock) -> None:
    order_id = world.import_form().order_id
    document = world.plenty.add_document(order_id, pdf=PDF)

    async def go() -> bytes:
        client = async_plenty_client(
            world.plenty, fake_clock, {"transport": world.plenty.async_transport()}
        )
        (found,) = await client.order_documents(order_id, "invoice")
        return await client.download_document(found.id)

    assert asyncio.run(go()) == PDF
    assert world.plenty.document(document)["file"] == PDF
    with pytest.raises(InvalidRequestError, match="must be one of"):
        order_documents(order_id, "invoices")
    with pytest.raises(ValueError, match="positive"):
        generate_invoice(0)
