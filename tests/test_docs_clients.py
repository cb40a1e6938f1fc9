"""docs/clients.md states each write's retry class; the code must agree with it."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

from allegro_plenty import Retry
from allegro_plenty.allegro import endpoints as allegro
from allegro_plenty.allegro.models import (
    NewRefund,
    NewShipment,
    RefundReason,
    RefundReference,
)
from allegro_plenty.plenty import endpoints as plenty
from allegro_plenty.plenty.models import (
    NewAddress,
    NewComment,
    NewContact,
    NewOrder,
    NewPayment,
    NewReferrer,
)

DOC = Path(__file__).resolve().parents[1] / "docs" / "clients.md"
CLASSES = {
    "always": Retry.ALWAYS,
    "connect errors only": Retry.CONNECT_ERRORS_ONLY,
    "never": Retry.NEVER,
}
FORM = "29738e61-7f6a-11e8-ac45-09db60ede9d6"


def documented() -> dict[str, Retry]:
    rows = re.findall(r"^\| `(\w+)\.(\w+)` \| ([a-z ]+) \|", DOC.read_text(), re.MULTILINE)
    return {f"{client}.{method}": CLASSES[kind] for client, method, kind in rows}


def actual() -> dict[str, Retry]:
    reference = RefundReference(FORM)
    operations: dict[str, Any] = {
        "AllegroClient.set_fulfillment_status": allegro.set_fulfillment_status(FORM, "SENT"),
        "AllegroClient.add_shipment": allegro.add_shipment(FORM, NewShipment("DPD", "123")),
        "AllegroClient.create_refund": allegro.create_refund(
            NewRefund(reference, reference, RefundReason.REFUND, str(uuid.uuid4()))
        ),
        "PlentyClient.create_order": plenty.create_order(
            NewOrder(1, 1, Decimal(3), Decimal(1), (), ())
        ),
        "PlentyClient.create_payment": plenty.create_payment(
            NewPayment(Decimal(1), Decimal(1), 1, "PLN")
        ),
        "PlentyClient.create_contact": plenty.create_contact(NewContact(1, Decimal(1), "pl")),
        "PlentyClient.create_referrer": plenty.create_referrer(NewReferrer("Allegro", "Allegro")),
        "PlentyClient.create_comment": plenty.create_comment(NewComment("order", 1, "x")),
        "PlentyClient.link_payment_to_order": plenty.link_payment_to_order(1, 2),
        "PlentyClient.cancel_order": plenty.cancel_order(1),
        "PlentyClient.create_address": plenty.create_address(
            1, NewAddress("Town", "00-001", 23, "Street"), type_id=2
        ),
        "PlentyClient.update_order_status": plenty.update_order_status(1, Decimal(5)),
    }
    return {name: operation.retry for name, operation in operations.items()}


def test_the_documented_retry_classes_are_the_real_ones() -> None:
    table = documented()
    assert len(table) == 12
    assert table == actual()
