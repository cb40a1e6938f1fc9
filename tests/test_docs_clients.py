"""docs/clients.md states each write's retry class; the code must agree with it."""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

from allegro_plenty import Retry
from allegro_plenty.allegro import endpoints as allegro
from allegro_plenty.allegro.models import (
    NewInvoice,
    NewInvoiceFile,
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
        "AllegroClient.add_invoice": allegro.add_invoice(
            FORM, NewInvoice(NewInvoiceFile("a.pdf"), "A1")
        ),
        "AllegroClient.upload_invoice_file": allegro.upload_invoice_file(FORM, "i", b"%PDF-1"),
        "PlentyClient.generate_invoice": plenty.generate_invoice(1),
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
        "PlentyClient.set_order_address": plenty.set_order_address(1, 2, type_id=2),
    }
    return {name: operation.retry for name, operation in operations.items()}


def test_the_documented_retry_classes_are_the_real_ones() -> None:
    table = documented()
    assert len(table) == 16
    assert table == actual()


RUNNABLE = re.compile(r"<!-- runnable: (\S+) -->\n```python\n(.*?)\n```", re.DOTALL)


def test_the_resume_example_runs_as_printed(tmp_path: Path) -> None:
    examples = dict(RUNNABLE.findall(DOC.read_text(encoding="utf-8")))
    assert list(examples) == ["resume_a_walk.py"]
    (tmp_path / "resume_a_walk.py").write_text(examples["resume_a_walk.py"], encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-W", "error", "resume_a_walk.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "6 forms, each once"
