"""Per-request cost of the fakes: what every request through FakeAllegro / FakePlenty costs.

Each round drives the same requests through ``fake.handle`` (routing, admission,
allow-list checks, the handler, recording), the path every transport and the
loopback server share:

* ``cheap``: routes whose handler does almost nothing (``GET /order/carriers``,
  ``GET /rest/payments/methods``), so the figure is the per-request overhead;
* ``mix``: what an import run sends, against a few dozen forms and orders
  (checkout-form list and reads, events, plenty lookups by external id, SKU
  and order id, order creation, payment, status change).

Printed: microseconds per request, median of the rounds. With ``--against REF``
the same rounds run, alternating, against the library as it was at git ``REF``
(checked out into a temporary directory), and the ratio is printed.

    python benchmarks/fakes.py [--rounds 7] [--requests 2000] [--against HEAD~1]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from io import BytesIO
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MEDIA = "application/vnd.allegro.public.v1+json"


def _requests() -> dict[str, list[Callable[[], Any]]]:
    """Calls to time, by scenario; built against freshly seeded fakes."""
    from allegro_plenty.testing import (
        FakeAllegro,
        FakeClock,
        FakePlenty,
        FakeRequest,
        checkout_form,
    )

    clock = FakeClock(datetime(2025, 3, 14, 9, 0, tzinfo=timezone.utc))
    allegro = FakeAllegro(clock=clock)
    forms = [allegro.add_checkout_form(checkout_form(seed=n)) for n in range(40)]
    token = allegro.issue_token().access_token
    a_headers = (("accept", MEDIA), ("authorization", f"Bearer {token}"))

    def a_get(target: str) -> Callable[[], Any]:
        request = FakeRequest.from_target("GET", target, a_headers, b"")
        return lambda: allegro.handle(request)

    plenty = FakePlenty(clock=clock, plan=None)
    login = plenty.handle(
        FakeRequest.from_target(
            "POST",
            "/rest/login",
            [("content-type", "application/json")],
            json.dumps({"username": plenty.username, "password": plenty.password}).encode(),
        )
    )
    access = json.loads(login.body)["access_token"]  # type: ignore[union-attr]
    p_headers = (("authorization", f"Bearer {access}"), ("content-type", "application/json"))
    vat = plenty.vat_configuration_id("PL")
    variations = [
        plenty.add_variation(number=f"N-{n}", skus=[(None, f"SKU-{n}")]) for n in range(40)
    ]

    def p_call(method: str, target: str, body: Any = None) -> Callable[[], Any]:
        raw = b"" if body is None else json.dumps(body).encode()
        request = FakeRequest.from_target(method, target, p_headers, raw)
        return lambda: plenty.handle(request)

    def order_body(n: int) -> dict[str, Any]:
        return {
            "typeId": 1,
            "plentyId": plenty.plenty_id,
            "referrerId": 1,
            "properties": [{"typeId": 7, "value": f"form-{n}"}],
            "orderItems": [
                {
                    "typeId": 1,
                    "itemVariationId": variations[n % len(variations)],
                    "quantity": 2,
                    "orderItemName": "Item",
                    "countryVatId": vat,
                    "vatField": 0,
                    "amounts": [{"currency": "PLN", "priceOriginalGross": "19.99"}],
                }
            ],
        }

    for n in range(40):
        p_call("POST", "/rest/orders", order_body(n))()
    payment = {
        "amount": "39.98",
        "exchangeRatio": 1,
        "mopId": 6000,
        "currency": "PLN",
        "type": "credit",
        "status": 2,
        "transactionType": 2,
    }
    cheap = [a_get("/order/carriers"), p_call("GET", "/rest/payments/methods")]
    mix = [
        a_get("/order/checkout-forms?status=READY_FOR_PROCESSING&limit=100"),
        a_get(f"/order/checkout-forms/{forms[7]}"),
        a_get("/order/events?limit=100"),
        p_call("GET", "/rest/orders?externalOrderId=form-7"),
        p_call("GET", "/rest/items/variations?sku=SKU-7&with=variationSkus"),
        p_call("GET", "/rest/orders/10"),
        p_call("POST", "/rest/orders", order_body(99)),
        p_call("POST", "/rest/payments", payment),
        p_call("PUT", "/rest/orders/10", {"statusId": 5}),
        p_call("PUT", "/rest/orders/10", {"statusId": 4}),
    ]
    return {"cheap": cheap, "mix": mix}


def one_round(count: int) -> dict[str, float]:
    """Microseconds per request of each scenario, in this process."""
    out = {}
    for name, calls in _requests().items():
        for call in calls:  # warm up
            call()
        started = time.perf_counter_ns()
        done = 0
        while done < count:
            for call in calls:
                call()
            done += len(calls)
        out[name] = (time.perf_counter_ns() - started) / done / 1000
    return out


def _child(src: Path | None, count: int) -> dict[str, float]:
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(src), env.get("PYTHONPATH", "")])
    run = subprocess.run(
        [sys.executable, __file__, "--child", "--requests", str(count)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(run.stdout)
    return result


def _checkout(ref: str, into: Path) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref, "src"], capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=2000, help="per scenario and round")
    parser.add_argument("--against", metavar="REF", help="compare with this git revision")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        import allegro_plenty

        result = one_round(args.requests)
        result["_from"] = allegro_plenty.__file__  # type: ignore[assignment]
        print(json.dumps(result))
        return
    print(f"Python {platform.python_version()} on {platform.machine()}; {args.rounds} rounds")
    with tempfile.TemporaryDirectory() as folder:
        sides: dict[str, Path | None] = {"this tree": None}
        if args.against:
            sides[args.against] = _checkout(args.against, Path(folder))
        figures: dict[str, list[dict[str, float]]] = {side: [] for side in sides}
        for _ in range(args.rounds):
            for side, src in sides.items():  # alternate, so drift hits both sides alike
                figures[side].append(_child(src, args.requests))
    for side, rounds in figures.items():
        print(f"{side} ({rounds[0]['_from']}):")
        for scenario in ("cheap", "mix"):
            median = statistics.median(r[scenario] for r in rounds)
            print(f"  {scenario:<5} {median:8.1f} µs/request")
    if args.against:
        mine, theirs = figures["this tree"], figures[args.against]
        for scenario in ("cheap", "mix"):
            ratio = statistics.median(r[scenario] for r in mine) / statistics.median(
                r[scenario] for r in theirs
            )
            print(f"{scenario}: this tree takes {ratio:.3f}x the time of {args.against}")


if __name__ == "__main__":
    main()
