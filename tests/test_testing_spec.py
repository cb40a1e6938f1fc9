"""A tour of every route the clients use, with answers checked against the official specs.

Every other fake test is spec-checked too (the ``checked`` fixture); this one
makes the claim explicit, fails if a route goes untested, and skips with a
reason where ``../shared`` is absent.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import httpx

from allegro_plenty.allegro.auth import AllegroOAuth
from allegro_plenty.allegro.models import (
    CheckoutFormFilter,
    NewInvoice,
    NewInvoiceFile,
    NewRefund,
    NewShipment,
    RefundLineItem,
    RefundReason,
    RefundReference,
)
from allegro_plenty.plenty.models import (
    AddressRelation,
    NewAddress,
    NewComment,
    NewContact,
    NewOrder,
    NewOrderItem,
    NewPayment,
    NewReferrer,
    OrderItemAmount,
    OrderProperty,
    OrderRelation,
    PaymentProperty,
)
from allegro_plenty.testing import FakeAllegro, FakeClock, FakePlenty, Fault, checkout_form

from .fakes_support import ALLEGRO_HOST, allegro_client, plenty_client, spec_violations
from .specs import ALLEGRO_SPEC, PLENTY_HOST, PLENTY_SPEC, require

NOT_USED_BY_THE_CLIENTS = {
    # Served for hosts' own code; the library's clients do not call them.
    "POST /rest/logout",
    "GET /rest/orders/search",
    "POST /rest/orders/search",
    "GET /rest/accounts/contacts/{contactId}",
    "GET /rest/orders/shipping/presets/{presetId}",
}


def _allegro_tour(allegro: FakeAllegro, clock: FakeClock) -> None:
    form_id = allegro.add_checkout_form(
        checkout_form(country="CZ", seed=1, company=True, deposit=True)
    )
    other = allegro.add_checkout_form(checkout_form(country="HU", seed=2, surcharges=["900"]))
    form = allegro.checkout_form(form_id)
    with allegro_client(allegro, clock, {"transport": allegro.transport()}) as client:
        client.list_checkout_forms(CheckoutFormFilter(status="READY_FOR_PROCESSING"))
        client.list_checkout_forms(CheckoutFormFilter(status="CANCELLED"))
        list(client.iter_checkout_forms(clock.now() - timedelta(days=1)))
        read = client.get_checkout_form(form_id)
        client.set_fulfillment_status(form_id, "PROCESSING", revision=read.revision)
        list(client.iter_order_events())
        client.get_order_event_stats()
        client.list_carriers()
        client.add_shipment(form_id, NewShipment("DHL", "JJD000390007654321"))
        client.list_shipments(form_id)
        invoice_id = client.add_invoice(form_id, NewInvoice(NewInvoiceFile("fv.pdf"), "FV 1"))
        client.upload_invoice_file(form_id, invoice_id, b"%PDF-1.4\n%%EOF\n")
        clock.advance(timedelta(minutes=1))
        client.list_invoices(form_id)
        refund = NewRefund(
            payment=RefundReference(form["payment"]["id"]),
            order=RefundReference(form_id),
            reason=RefundReason.COMPLAINT,
            command_id=str(uuid.uuid4()),
            line_items=(RefundLineItem.units(form["lineItems"][0]["id"], 1),),
        )
        client.create_refund(refund)
        client.list_refunds(order_id=form_id)
        client.list_marketplaces()
        client.get_me()
        allegro.faults.inject(Fault.rate_limited(), route="GET /me")
        allegro.faults.inject(Fault.server_error(500), route="GET /order/checkout-forms/{id}")
        client.get_me()
        client.get_checkout_form(other)
        clock.advance(timedelta(hours=13))
        client.get_checkout_form(other)
    with httpx.Client(transport=allegro.transport()) as http:
        AllegroOAuth(allegro.app, http_client=http).start_device_flow()
    token = allegro.issue_token().access_token
    headers = {
        "Accept": "application/vnd.allegro.public.v1+json",
        "Authorization": f"Bearer {token}",
    }
    with httpx.Client(
        transport=allegro.transport(), base_url=ALLEGRO_HOST, headers=headers
    ) as http:
        http.get("/order/checkout-forms", params={"offset": 9999, "limit": 2})
        http.get("/order/checkout-forms/11111111-1111-4111-8111-111111111111")
        http.put(f"/order/checkout-forms/{form_id}/fulfillment", json={"status": "RETURNED"})
        http.put(
            f"/order/checkout-forms/{form_id}/fulfillment",
            params={"checkoutForm.revision": "stale"},
            json={"status": "SENT"},
        )
        http.post(
            f"/order/checkout-forms/{form_id}/shipments", json={"carrierId": "NOPE", "waybill": "1"}
        )
        http.get("/order/events", params={"from": "x"})
        http.get("/order/events", params={"typo": "1"})
        http.get("/me", headers={"Accept": "application/json"})


def _plenty_tour(plenty: FakePlenty, clock: FakeClock) -> None:
    variation = plenty.add_variation(number="V-1", barcode="5901234123457", skus=[(None, "S-1")])
    with plenty_client(plenty, clock, {"transport": plenty.transport()}) as client:
        referrer = client.create_referrer(NewReferrer(backend_name="Allegro", name="Allegro"))
        client.create_referrer(
            NewReferrer(backend_name="Allegro 1", name="A"), parent_id=int(referrer.id)
        )
        client.find_referrers("Allegro")
        client.order_property_types()
        contact = client.create_contact(NewContact(1, referrer.id, "cs", external_id="b-1"))
        client.find_contacts_by_external_id("b-1")
        address = client.create_address(
            contact.id, NewAddress("Praha", "110 00", 6, "Křižíkova 148"), type_id=1
        )
        vat = client.vat_configurations(country_id=6)[0]
        client.standard_vat_configuration(plenty.plenty_id)
        client.countries()
        client.currencies()
        client.exchange_rate("CZK")
        client.payment_methods()
        client.shipping_profiles()
        client.find_variations_by_number("V-1")
        client.find_variations_by_barcode("5901234123457")
        client.find_variations_by_sku("S-1")
        order = client.create_order(
            NewOrder(
                type_id=1,
                plenty_id=plenty.plenty_id,
                status_id=Decimal(3),
                referrer_id=referrer.id,
                order_items=(
                    NewOrderItem(
                        type_id=1,
                        quantity=Decimal(2),
                        order_item_name="Hrnek",
                        amounts=(OrderItemAmount("CZK", Decimal(145)),),
                        item_variation_id=variation,
                        country_vat_id=vat.id,
                        vat_field=0,
                    ),
                ),
                properties=(OrderProperty(7, "tour-1"),),
                relations=(OrderRelation("contact", contact.id, "receiver"),),
                address_relations=(AddressRelation(1, address.id), AddressRelation(2, address.id)),
            )
        )
        client.find_orders_by_external_id("tour-1")
        client.get_order(order.id)
        list(client.iter_changed_orders(clock.now() - timedelta(hours=1)))
        payment = client.create_payment(
            NewPayment(
                Decimal(290), Decimal(1), 6000, "CZK", properties=(PaymentProperty(1, "p-1"),)
            )
        )
        client.link_payment_to_order(payment.id, order.id)
        client.find_payments_by_transaction_id("p-1")
        client.order_payments(order.id)
        client.create_comment(NewComment.plain(order.id, "Děkuji"))
        client.order_comments(order.id)
        client.update_order_status(order.id, 5)
        client.generate_invoice(order.id)
        plenty.add_document(order.id, "correction")
        (invoice,) = client.order_documents(order.id, "invoice")
        client.order_documents(order.id, "correction", with_content=True)
        client.list_documents("invoice", updated_at_from=clock.now() - timedelta(hours=1))
        client.download_document(invoice.id)
        client.order_status_history(order.id)
        list(client.iter_status_history(clock.now() - timedelta(hours=1)))
        child = plenty.create_delivery_order(order.id)
        plenty.register_package(child, "DPD-1")
        client.delivery_orders(order.id)
        client.package_numbers(child)
        client.shipping_packages(child)
        client.cancel_order(order.id)
        plenty.faults.inject(Fault.rate_limited(retry_after=2), route="GET /rest/orders/{orderId}")
        plenty.faults.inject(Fault.server_error(502), route="GET /rest/orders/{orderId}")
        client.get_order(order.id)
        clock.advance(timedelta(hours=25))
        client.get_order(order.id)
    with httpx.Client(transport=plenty.transport(), base_url=PLENTY_HOST) as http:
        http.get("/rest/vat")
        http.post("/rest/login", json={"username": "nobody", "password": "x"})
        token = http.post(
            "/rest/login", json={"username": plenty.username, "password": plenty.password}
        )
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        http.get("/rest/orders/999", headers=headers)
        http.get("/rest/orders", params={"sortBy": "nope"}, headers=headers)
        http.post("/rest/orders", json={"typeId": 1, "plentyId": 1}, headers=headers)
        http.get("/rest/orders/search", params={"orderProperty_7": "tour-1"}, headers=headers)
        http.post(
            "/rest/orders/search",
            json={
                "conditionType": "or",
                "fields": [{"field": "statusId", "operator": "gte", "value": 8}],
            },
            headers=headers,
        )
        http.get(
            f"/rest/accounts/contacts/{contact.id}", params={"with": "addresses"}, headers=headers
        )
        http.get("/rest/orders/shipping/presets/2", headers=headers)
        http.post("/rest/logout", headers=headers)


def test_every_route_is_toured_and_every_answer_fits_the_spec(fake_clock: FakeClock) -> None:
    require(ALLEGRO_SPEC)
    require(PLENTY_SPEC)
    allegro, plenty = FakeAllegro(clock=fake_clock), FakePlenty(clock=fake_clock)
    _allegro_tour(allegro, fake_clock)
    _plenty_tour(plenty, fake_clock)

    for fake in (allegro, plenty):
        served = {r.name for r in fake.routes}
        toured = {c.route for c in fake.calls() if c.route is not None}
        assert served - toured == set()
        assert spec_violations(fake) == []
    plenty_statuses = {c.status for c in plenty.calls()}
    allegro_statuses = {c.status for c in allegro.calls()}
    assert {200, 400, 401, 404, 422, 429, 502} <= plenty_statuses
    assert {200, 201, 204, 400, 401, 404, 406, 409, 422, 429, 500} <= allegro_statuses

    def by_the_library(fake: FakeAllegro | FakePlenty) -> set[str]:
        return {
            c.route
            for c in fake.calls()
            if c.route and c.request.headers.get("user-agent", "").startswith("allegro-plenty/")
        }

    assert {r.name for r in allegro.routes} - by_the_library(allegro) == set()
    assert {r.name for r in plenty.routes} - by_the_library(plenty) == NOT_USED_BY_THE_CLIENTS
