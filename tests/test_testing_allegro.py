"""FakeAllegro driven through the real AllegroClient, over the transport and over loopback HTTP."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from allegro_plenty._convert import make_converter
from allegro_plenty.allegro.auth import AllegroOAuth, PkcePair, order_scopes
from allegro_plenty.allegro.models import (
    CheckoutForm,
    CheckoutFormFilter,
    Money,
    NewRefund,
    NewShipment,
    RefundLineItem,
    RefundReason,
    RefundReference,
)
from allegro_plenty.errors import (
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    OAuthError,
    PermissionDeniedError,
    StaleRevisionError,
    UnprocessableEntityError,
)
from allegro_plenty.mapping import MappingContext, OrderDraft, OrderMapper
from allegro_plenty.testing import FakeAllegro, FakeClock, checkout_form
from allegro_plenty.tokens import MemoryTokenStore

from .fakes_support import (
    ALLEGRO_HOST,
    MODES,
    Checked,
    allegro_client,
    async_allegro_client,
    reach,
    reach_async,
)
from .mapping_support import CONFIG, COUNTRY_IDS, RATES, REFERRER, VAT

MEDIA = "application/vnd.allegro.public.v1+json"


@pytest.fixture
def allegro(checked: Checked, fake_clock: FakeClock) -> FakeAllegro:
    fake: FakeAllegro = checked(FakeAllegro(clock=fake_clock))
    return fake


def _raw(allegro: FakeAllegro, token: str | None = None) -> httpx.Client:
    headers = {"Accept": MEDIA}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.Client(transport=allegro.transport(), base_url=ALLEGRO_HOST, headers=headers)


def _seed(allegro: FakeAllegro, fake_clock: FakeClock) -> dict[str, str]:
    forms = {
        "pl": checkout_form(country="PL", seed=1, company=True, deposit=True),
        "cz": checkout_form(country="CZ", seed=2, delivery="parcel_locker", items=3),
        "sk": checkout_form(country="SK", seed=3, provider="ALLEGRO"),
        "hu": checkout_form(country="HU", seed=4, surcharges=["1500"], additional_service=True),
        "unpaid": checkout_form(country="PL", seed=5, status="FILLED_IN"),
    }
    ids = {}
    for name, form in forms.items():
        ids[name] = allegro.add_checkout_form(form)
        fake_clock.advance(60)
    return ids


# --- checkout forms ------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_checkout_form_filters_and_sorting(
    allegro: FakeAllegro, fake_clock: FakeClock, mode: str
) -> None:
    ids = _seed(allegro, fake_clock)
    pl = allegro.checkout_form(ids["pl"])
    with (
        reach(allegro, mode) as via,
        allegro_client(allegro, fake_clock, via, strict=True) as client,
    ):

        def found(**filters: Any) -> list[str]:
            return [
                f.id
                for f in client.list_checkout_forms(CheckoutFormFilter(**filters)).checkout_forms
            ]

        paid = found(status="READY_FOR_PROCESSING", sort="updatedAt")
        assert paid == [ids[k] for k in ("pl", "cz", "sk", "hu")]
        assert found(status="READY_FOR_PROCESSING", sort="-updatedAt") == paid[::-1]
        assert found(fulfillment_provider_id="ALLEGRO") == [ids["sk"]]
        assert sorted(found(fulfillment_provider_id="SELLER")) == sorted(
            ids[k] for k in ("pl", "cz", "hu", "unpaid")
        )
        assert found(marketplace_id="allegro-hu") == [ids["hu"]]
        assert found(buyer_login=pl["buyer"]["login"]) == [ids["pl"]]
        assert found(payment_id=pl["payment"]["id"]) == [ids["pl"]]
        assert found(delivery_method_id=pl["delivery"]["method"]["id"]) == [ids["pl"]]
        surcharge = allegro.checkout_form(ids["hu"])["surcharges"][0]["id"]
        assert found(surcharges_id=surcharge) == [ids["hu"]]
        assert found(fulfillment_status="PROCESSING") == []
        assert found(line_items_sent="NONE", status="FILLED_IN") == [ids["unpaid"]]
        updated = fake_clock.now() - timedelta(seconds=150)
        assert found(updated_at_gte=updated, sort="updatedAt") == [ids["hu"], ids["unpaid"]]
        assert found(updated_at_lte=updated, sort="updatedAt") == [ids["pl"], ids["cz"], ids["sk"]]
        form = client.get_checkout_form(ids["cz"])
        assert form.delivery is not None
        assert form.delivery.pickup_point is not None
        page = client.list_checkout_forms(CheckoutFormFilter(status="CANCELLED"))
        assert (page.count, page.total_count) == (0, 0)


def test_offset_cap_and_limit_are_enforced(allegro: FakeAllegro) -> None:
    token = allegro.issue_token().access_token
    with _raw(allegro, token) as http:
        capped = http.get("/order/checkout-forms", params={"offset": 9950, "limit": 100})
        edge = http.get("/order/checkout-forms", params={"offset": 9900, "limit": 100})
        too_big = http.get("/order/checkout-forms", params={"limit": 101})
        bad_date = http.get(
            "/order/checkout-forms", params={"updatedAt.gte": "2025-03-01T10:00:00"}
        )
    assert capped.status_code == 422
    assert "10000" in capped.json()["errors"][0]["message"]
    assert edge.status_code == 200
    assert too_big.status_code == 422
    assert bad_date.status_code == 400


def test_keyset_walk_over_many_forms(allegro: FakeAllegro, fake_clock: FakeClock) -> None:
    start = fake_clock.now()
    made = []
    for seed in range(230):
        made.append(allegro.add_checkout_form(checkout_form(seed=seed, items=1), emit_events=False))
        if seed % 7 == 0:
            fake_clock.advance(0.001)
    with allegro_client(allegro, fake_clock, {"transport": allegro.transport()}) as client:
        walked = [f.id for f in client.iter_checkout_forms(start - timedelta(seconds=1))]
    assert sorted(walked) == sorted(made)
    assert len(walked) == len(set(walked))


@pytest.mark.parametrize("mode", MODES)
def test_buyer_edit_changes_the_revision_and_a_stale_put_is_refused(
    allegro: FakeAllegro, fake_clock: FakeClock, mode: str
) -> None:
    form_id = allegro.add_checkout_form(checkout_form(seed=7))
    with reach(allegro, mode) as via, allegro_client(allegro, fake_clock, via) as client:
        before = client.get_checkout_form(form_id)
        fake_clock.advance(30)
        allegro.modify_delivery_address(form_id, street="ul. Nowa 1", zipCode="00-001")
        after = client.get_checkout_form(form_id)
        assert after.revision != before.revision
        assert after.delivery is not None
        assert after.delivery.address is not None
        assert after.delivery.address.modified_at == fake_clock.now()
        with pytest.raises(StaleRevisionError) as stale:
            client.set_fulfillment_status(form_id, "PROCESSING", revision=before.revision)
        client.set_fulfillment_status(form_id, "PROCESSING", revision=after.revision)
        # A seller-side change keeps the revision.
        assert client.get_checkout_form(form_id).revision == after.revision
    assert stale.value.request_id is not None
    assert allegro.fulfillment_changes(form_id) == 1
    with pytest.raises(ValueError, match="PROCESSING"):
        allegro.modify_delivery_address(form_id, street="too late")


def test_fulfillment_returned_and_the_per_order_change_limit(
    checked: Checked, fake_clock: FakeClock
) -> None:
    allegro: FakeAllegro = checked(FakeAllegro(clock=fake_clock, fulfillment_change_limit=5))
    form_id = allegro.add_checkout_form(checkout_form(seed=8))
    # The client refuses RETURNED before sending; the fake answers it as Allegro does.
    with _raw(allegro, allegro.issue_token().access_token) as http:
        returned = http.put(
            f"/order/checkout-forms/{form_id}/fulfillment",
            content=b'{"status":"RETURNED"}',
            headers={"Content-Type": MEDIA},
        )
    with allegro_client(allegro, fake_clock, {"transport": allegro.transport()}) as client:
        with pytest.raises(InvalidRequestError):
            client.set_fulfillment_status(form_id, "RETURNED")
        for _ in range(5):
            client.set_fulfillment_status(form_id, "PROCESSING")  # re-setting counts too
        with pytest.raises(UnprocessableEntityError) as limit:
            client.set_fulfillment_status(form_id, "READY_FOR_SHIPMENT")
    assert returned.status_code == 422
    assert returned.json()["errors"][0]["code"] == "SellerOrdersStoreUnprocessableEntityException"
    assert "Failed to set status READY_FOR_SHIPMENT" in str(limit.value.errors[0])
    assert allegro.fulfillment_changes(form_id) == 5
    assert allegro.checkout_form(form_id)["fulfillment"]["status"] == "PROCESSING"


def test_sellers_see_only_their_forms_and_merged_forms_disappear(
    allegro: FakeAllegro, fake_clock: FakeClock
) -> None:
    other = allegro.add_seller("1000002", "second-shop")
    theirs = allegro.add_checkout_form(checkout_form(seed=9), seller_id=other.id)
    parts = [allegro.add_checkout_form(checkout_form(seed=s, status="FILLED_IN")) for s in (10, 11)]
    merged = allegro.merge(parts)
    with allegro_client(allegro, fake_clock, {"transport": allegro.transport()}) as client:
        with pytest.raises(NotFoundError) as foreign:
            client.get_checkout_form(theirs)
        with pytest.raises(NotFoundError):
            client.get_checkout_form(parts[0])
        whole = client.get_checkout_form(merged)
        me = client.get_me()
    assert foreign.value.codes == ("CheckoutFormNotFoundException",)
    assert len(whole.line_items) == 4
    assert me.id == allegro.default_seller.id


# --- events --------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_events_from_is_exclusive_duplicates_and_out_of_order_on_demand(
    allegro: FakeAllegro, fake_clock: FakeClock, mode: str
) -> None:
    form_id = allegro.add_checkout_form(checkout_form(seed=12))
    fake_clock.advance(60)
    allegro.add_surcharge(form_id, "10.00")
    rfp = [e for e in allegro.events(form_id) if e["type"] == "READY_FOR_PROCESSING"]
    duplicate = allegro.duplicate_event(rfp[0]["id"])
    late = allegro.emit_event(
        form_id, "FILLED_IN", occurred_at=fake_clock.now() - timedelta(hours=1)
    )
    with (
        reach(allegro, mode) as via,
        allegro_client(allegro, fake_clock, via, strict=True) as client,
    ):
        everything = list(client.iter_order_events())
        stats = client.get_order_event_stats()
        assert stats.latest_event is not None
        assert client.list_order_events(from_=stats.latest_event.id) == ()
        after_first = client.list_order_events(from_=everything[0].id, limit=2)
        only_rfp = client.list_order_events(types=["READY_FOR_PROCESSING"])
    assert [e.type for e in everything] == [
        "BOUGHT", "FILLED_IN", "READY_FOR_PROCESSING", "READY_FOR_PROCESSING",
        "READY_FOR_PROCESSING", "FILLED_IN",
    ]  # fmt: skip
    assert [e.id for e in after_first] == [everything[1].id, everything[2].id]
    assert stats.latest_event.id == late == everything[-1].id
    assert everything[-1].occurred_at < everything[-2].occurred_at  # out of order
    assert everything[4].id == duplicate
    assert everything[4].occurred_at == everything[2].occurred_at
    assert len(only_rfp) == 3
    form = allegro.checkout_form(form_id)
    paid = Decimal(form["payment"]["paidAmount"]["amount"]) + sum(
        Decimal(s["paidAmount"]["amount"]) for s in form["surcharges"]
    )
    assert Decimal(form["summary"]["totalToPay"]["amount"]) == paid


def test_events_expire_after_sixty_days(allegro: FakeAllegro, fake_clock: FakeClock) -> None:
    allegro.add_checkout_form(checkout_form(seed=13))
    fake_clock.advance(timedelta(days=61))
    allegro.add_checkout_form(checkout_form(seed=14, status="BOUGHT"))
    with allegro_client(allegro, fake_clock, {"transport": allegro.transport()}) as client:
        events = list(client.iter_order_events())
    assert [e.type for e in events] == ["BOUGHT"]


# --- shipments and carriers ----------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_shipments_duplicates_overused_waybills_and_carriers(
    checked: Checked, fake_clock: FakeClock, mode: str
) -> None:
    allegro: FakeAllegro = checked(
        FakeAllegro(clock=fake_clock, max_orders_per_waybill=2, auto_sent_on_waybill=True)
    )
    forms = [allegro.add_checkout_form(checkout_form(seed=s, items=2)) for s in (20, 21, 22)]
    lines = [i["id"] for i in allegro.checkout_form(forms[0])["lineItems"]]
    with reach(allegro, mode) as via, allegro_client(allegro, fake_clock, via) as client:
        carriers = client.list_carriers()
        client.list_carriers()
        first = client.add_shipment(
            forms[0], NewShipment("DPD", "0034043416109", line_items=[lines[0]])
        )
        assert (
            client.get_checkout_form(forms[0]).fulfillment.shipment_summary.line_items_sent
            == "SOME"
        )  # type: ignore[union-attr]
        client.add_shipment(forms[0], NewShipment("DPD", "0034043416109", line_items=[lines[0]]))
        listed = client.list_shipments(forms[0])
        client.add_shipment(
            forms[1], NewShipment("OTHER", "0034043416109", carrier_name="Kurier X")
        )
        with pytest.raises(ConflictError):
            client.add_shipment(forms[2], NewShipment("DPD", "0034043416109"))
        with pytest.raises(BadRequestError) as unknown:
            client.add_shipment(forms[2], NewShipment("NO_SUCH_CARRIER", "X1"))
        with pytest.raises(UnprocessableEntityError):
            client.add_shipment(forms[2], NewShipment("DPD", "X2", line_items=[str(uuid.uuid4())]))
        done = client.get_checkout_form(forms[1])
    assert "INPOST" in {c.id for c in carriers}
    assert len(allegro.calls("GET /order/carriers")) == 1
    assert first.id == "RFBEOjAwMzQwNDM0MTYxMDk="  # base64("DPD:0034043416109")
    assert [s.id for s in listed] == [first.id, first.id]  # Allegro does not refuse the repeat
    assert unknown.value.codes == ("CarrierWaybillValidationException",)
    assert done.fulfillment is not None
    assert done.fulfillment.status == "SENT"
    assert len(allegro.shipments(forms[0])) == 2


# --- refunds, marketplaces, /me ------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_refunds_are_idempotent_by_command_id(
    allegro: FakeAllegro, fake_clock: FakeClock, mode: str
) -> None:
    form_id = allegro.add_checkout_form(checkout_form(seed=30, items=2))
    cod = allegro.add_checkout_form(checkout_form(seed=31, payment_type="CASH_ON_DELIVERY"))
    form = allegro.checkout_form(form_id)
    line = form["lineItems"][0]

    def refund(command: str, quantity: int = 1, order: dict[str, Any] = form) -> NewRefund:
        return NewRefund(
            payment=RefundReference(order["payment"]["id"]),
            order=RefundReference(order["id"]),
            reason=RefundReason.PRODUCT_NOT_AVAILABLE,
            command_id=command,
            line_items=(RefundLineItem.units(order["lineItems"][0]["id"], quantity),),
        )

    command = str(uuid.uuid4())
    with reach(allegro, mode) as via, allegro_client(allegro, fake_clock, via) as client:
        made = client.create_refund(refund(command))
        again = client.create_refund(refund(command))
        with pytest.raises(UnprocessableEntityError):
            client.create_refund(refund(command, quantity=line["quantity"]))
        with pytest.raises(UnprocessableEntityError):
            client.create_refund(refund(str(uuid.uuid4()), quantity=line["quantity"]))
        with pytest.raises(BadRequestError) as cod_refused:
            client.create_refund(refund(str(uuid.uuid4()), order=allegro.checkout_form(cod)))
        listed = client.list_refunds(order_id=form_id)
        markets = client.list_marketplaces()
    assert again.id == made.id
    assert made.total_value == Money(Decimal(line["price"]["amount"]), line["price"]["currency"])
    assert cod_refused.value.codes == ("COD_MARKETPLACE_NOT_SUPPORTED",)
    assert [r.id for r in listed.refunds] == [made.id]
    assert len(allegro.refunds(form_id)) == 1
    assert {m.id for m in markets} == {"allegro-pl", "allegro-cz", "allegro-sk", "allegro-hu"}


def test_scopes_are_checked_per_endpoint(allegro: FakeAllegro, fake_clock: FakeClock) -> None:
    store = MemoryTokenStore()
    seller = allegro.default_seller.id
    store.save("allegro", seller, allegro.issue_token(scopes=order_scopes()))
    with allegro_client(
        allegro, fake_clock, {"transport": allegro.transport()}, token_store=store
    ) as client:
        client.get_me()
        with pytest.raises(PermissionDeniedError) as denied:
            client.list_refunds(order_id=str(uuid.uuid4()))
    assert denied.value.missing_scope == "allegro:api:payments:read"


# --- conventions: Accept, trace-id, strict input -------------------------------------------------


def test_406_without_the_vendor_accept_header_and_trace_id_everywhere(allegro: FakeAllegro) -> None:
    token = allegro.issue_token().access_token
    with httpx.Client(transport=allegro.transport(), base_url=ALLEGRO_HOST) as http:
        plain = http.get("/order/checkout-forms", headers={"Authorization": f"Bearer {token}"})
        beta = http.get(
            "/order/checkout-forms",
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.allegro.beta.v1+json",
            },
        )
        anonymous = http.get("/order/checkout-forms", headers={"Accept": MEDIA})
        public = http.get("/marketplaces", headers={"Accept": MEDIA})
    assert plain.status_code == beta.status_code == 406
    assert plain.json()["errors"][0]["code"] == "NotAcceptableException"
    assert anonymous.status_code == 401
    assert public.status_code == 200
    api_answers = [c for c in allegro.calls() if c.route and not c.route.startswith("POST /auth")]
    assert api_answers
    assert all(c.response and c.response.header("trace-id") for c in api_answers)
    assert len({c.response.header("trace-id") for c in api_answers if c.response}) == len(
        api_answers
    )


@pytest.mark.parametrize("mode", MODES)
def test_unknown_query_parameter_is_refused_through_the_client(
    allegro: FakeAllegro, fake_clock: FakeClock, mode: str
) -> None:
    def misspell(request: httpx.Request) -> None:
        if request.url.path == "/order/checkout-forms":
            request.url = request.url.copy_add_param("fulfilment.status", "NEW")

    with reach(allegro, mode) as via:
        http = httpx.Client(transport=via.get("transport"), event_hooks={"request": [misspell]})
        endpoint = {"base_url": via["base_url"]} if "base_url" in via else {}
        with http, allegro_client(allegro, fake_clock, endpoint, http_client=http) as client:
            with pytest.raises(BadRequestError) as refused:
                client.list_checkout_forms()
            body = {"status": "PROCESSING", "statusNote": "x"}
            token = allegro.issue_token().access_token
            form_id = allegro.add_checkout_form(checkout_form(seed=40))
            put = http.put(
                f"{via.get('base_url', ALLEGRO_HOST)}/order/checkout-forms/{form_id}/fulfillment",
                json=body,
                headers={
                    "Accept": MEDIA,
                    "Authorization": f"Bearer {token}",
                    "Content-Type": MEDIA,
                },
            )
    assert refused.value.errors[0].path == "fulfilment.status"
    assert put.status_code == 400
    assert put.json()["errors"][0]["path"] == "statusNote"
    assert allegro.fulfillment_changes(form_id) == 0


# --- OAuth ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_refresh_tokens_rotate_and_a_replay_is_invalid_grant(
    allegro: FakeAllegro, fake_clock: FakeClock, mode: str
) -> None:
    pair = allegro.issue_token()
    with reach(allegro, mode) as via:
        environment = allegro_environment(via)
        with httpx.Client(transport=via.get("transport")) as http:
            oauth = AllegroOAuth(
                allegro.app, environment=environment, http_client=http, sleep=fake_clock.sleep
            )
            rotated = oauth.refresh(pair.refresh_token or "")
            with pytest.raises(OAuthError) as replay:
                oauth.refresh(pair.refresh_token or "")
            with httpx.Client(transport=via.get("transport"), base_url=environment.api_url) as api:
                old = api.get(
                    "/me", headers={"Accept": MEDIA, "Authorization": f"Bearer {pair.access_token}"}
                )
                new = api.get(
                    "/me",
                    headers={"Accept": MEDIA, "Authorization": f"Bearer {rotated.access_token}"},
                )
    assert rotated.refresh_token != pair.refresh_token
    assert replay.value.error == "invalid_grant"
    assert replay.value.status_code == 400
    assert pair.refresh_token not in str(replay.value)
    assert old.status_code == 401  # a refresh kills the previous access token
    assert new.status_code == 200
    assert allegro.refresh_count() == 2


def allegro_environment(via: dict[str, Any]) -> Any:
    from allegro_plenty.allegro.auth import PRODUCTION

    url = via.get("base_url")
    return PRODUCTION if url is None else PRODUCTION.with_base_url(url, url)


def test_expired_access_token_is_refreshed_once(
    allegro: FakeAllegro, fake_clock: FakeClock
) -> None:
    form_id = allegro.add_checkout_form(checkout_form(seed=41))
    with allegro_client(allegro, fake_clock, {"transport": allegro.transport()}) as client:
        client.get_checkout_form(form_id)
        fake_clock.advance(timedelta(hours=12, seconds=1))
        client.get_checkout_form(form_id)
        client.get_checkout_form(form_id)
        allegro.revoke_tokens()
        with pytest.raises((AuthenticationError, OAuthError)):
            client.get_checkout_form(form_id)
    assert allegro.refresh_count() == 2
    statuses = [c.status for c in allegro.calls("GET /order/checkout-forms/{id}")]
    assert statuses == [200, 401, 200, 200, 401]


def test_device_flow_and_authorization_code_with_pkce(
    allegro: FakeAllegro, fake_clock: FakeClock
) -> None:
    with httpx.Client(transport=allegro.transport()) as http:
        polls: list[float] = []

        def sleep(seconds: float) -> None:
            polls.append(seconds)
            fake_clock.sleep(seconds)
            if len(polls) == 2:
                allegro.approve_device(started.user_code)

        oauth = AllegroOAuth(
            allegro.app, http_client=http, sleep=sleep, monotonic=fake_clock.monotonic
        )
        started = oauth.start_device_flow()
        token = oauth.wait_for_device_token(started)
        with pytest.raises(OAuthError) as used:
            AllegroOAuth(
                allegro.app, http_client=http, sleep=fake_clock.sleep
            ).wait_for_device_token(started)

        pkce = PkcePair.generate()
        code = allegro.authorization_code(code_challenge=pkce.challenge)
        app_with_redirect = type(allegro.app)(
            allegro.client_id, allegro.client_secret, "https://shop/cb"
        )
        coded = AllegroOAuth(app_with_redirect, http_client=http).exchange_code(code, pkce=pkce)
        with pytest.raises(OAuthError) as replayed:
            AllegroOAuth(app_with_redirect, http_client=http).exchange_code(code, pkce=pkce)
    assert token.refresh_token
    assert len(polls) == 2
    assert used.value.error == "invalid_request"
    assert coded.access_token
    assert replayed.value.error == "invalid_grant"


# --- async ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_async_client_against_the_fake(
    allegro: FakeAllegro, fake_clock: FakeClock, mode: str
) -> None:
    form_id = allegro.add_checkout_form(checkout_form(country="SK", seed=50))

    async def scenario(via: dict[str, Any]) -> tuple[str, int, int]:
        async with async_allegro_client(allegro, fake_clock, via, strict=True) as client:
            form = await client.get_checkout_form(form_id)
            await client.set_fulfillment_status(form_id, "PROCESSING", revision=form.revision)
            events = [e async for e in client.iter_order_events()]
            shipment = await client.add_shipment(
                form_id, NewShipment("INPOST", "620000000000000000000001")
            )
            shipments = await client.list_shipments(form_id)
            return str(shipment.waybill), len(events), len(shipments)

    with reach_async(allegro, mode) as via:
        waybill, events, shipments = asyncio.run(scenario(via))
    assert waybill == "620000000000000000000001"
    assert events == 4  # BOUGHT, FILLED_IN, READY_FOR_PROCESSING, FULFILLMENT_STATUS_CHANGED
    assert shipments == 1
    assert allegro.checkout_form(form_id)["fulfillment"]["status"] == "PROCESSING"


def test_token_endpoint_authenticates_the_application(allegro: FakeAllegro) -> None:
    pair = allegro.issue_token()
    form = {"grant_type": "refresh_token", "refresh_token": pair.refresh_token or ""}
    good = allegro.app.basic_auth
    with httpx.Client(transport=allegro.transport(), base_url="https://allegro.pl") as http:
        anonymous = http.post("/auth/oauth/token", data=form)
        wrong = http.post(
            "/auth/oauth/token",
            data=form,
            headers={"Authorization": type(allegro.app)(allegro.client_id, "wrong").basic_auth},
        )
        as_json = http.post("/auth/oauth/token", json=form, headers={"Authorization": good})
        unknown = http.post(
            "/auth/oauth/token", data={"grant_type": "password"}, headers={"Authorization": good}
        )
        app_token = http.post(
            "/auth/oauth/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": good},
        )
    assert (anonymous.status_code, anonymous.json()["error"]) == (401, "unauthorized")
    assert wrong.json() == {"error": "Unauthorized", "error_description": "Unauthorized"}
    assert (as_json.status_code, as_json.json()["error"]) == (400, "invalid_request")
    assert unknown.json()["error"] == "unsupported_grant_type"
    assert "trace-id" not in anonymous.headers  # the token endpoint sends none
    headers = {"Accept": MEDIA, "Authorization": f"Bearer {app_token.json()['access_token']}"}
    with httpx.Client(transport=allegro.transport(), base_url=ALLEGRO_HOST, headers=headers) as api:
        assert api.get("/order/carriers").status_code == 200
        assert api.get("/order/checkout-forms").status_code == 403  # needs a user
    # The refused attempts did not spend the refresh token.
    assert allegro.refresh_count() == 0
    with httpx.Client(transport=allegro.transport()) as http:
        assert (
            AllegroOAuth(allegro.app, http_client=http)
            .refresh(pair.refresh_token or "")
            .access_token
        )
    assert allegro.refresh_count() == 1


def test_device_flow_denied_and_polled_too_fast(
    allegro: FakeAllegro, fake_clock: FakeClock
) -> None:
    from allegro_plenty.errors import DeviceFlowError

    with httpx.Client(transport=allegro.transport()) as http:
        impatient = AllegroOAuth(allegro.app, http_client=http, sleep=lambda _: None)
        started = impatient.start_device_flow()
        allegro.deny_device(started.user_code)
        with pytest.raises(DeviceFlowError) as denied:
            impatient.wait_for_device_token(started)
        second = impatient.start_device_flow()
        with pytest.raises(DeviceFlowError):
            # No time passes between polls: slow_down, then again, until the code expires.
            AllegroOAuth(
                allegro.app, http_client=http, sleep=lambda _: None, monotonic=fake_clock.monotonic
            ).wait_for_device_token(second, timeout=60)
    assert denied.value.error == "access_denied"
    answers = [
        c.response.json().get("error")
        for c in allegro.calls("POST /auth/oauth/token")
        if c.response
    ]
    assert "slow_down" in answers


def test_application_budget_blocks_for_a_minute_and_calls_lengthen_it(
    checked: Checked, fake_clock: FakeClock
) -> None:
    allegro: FakeAllegro = checked(FakeAllegro(clock=fake_clock, requests_per_minute=3))
    token = allegro.issue_token().access_token
    headers = {"Accept": MEDIA, "Authorization": f"Bearer {token}"}
    with httpx.Client(
        transport=allegro.transport(), base_url=ALLEGRO_HOST, headers=headers
    ) as http:
        statuses = [http.get("/order/carriers").status_code for _ in range(4)]
        fake_clock.advance(50)
        during = http.get("/order/carriers").status_code  # lengthens the block by a minute
        fake_clock.advance(50)
        still = http.get("/order/carriers").status_code
        fake_clock.advance(61)
        after = http.get("/order/carriers").status_code
    assert statuses == [200, 200, 200, 429]
    assert (during, still, after) == (429, 429, 200)


def test_a_surcharge_keeps_the_form_consistent_for_the_mapper(allegro: FakeAllegro) -> None:
    form_id = allegro.add_checkout_form(checkout_form(seed=15))
    before = allegro.checkout_form(form_id)
    allegro.add_surcharge(form_id, "10.00")
    after = allegro.checkout_form(form_id)
    cost = Decimal(before["delivery"]["cost"]["amount"]) + Decimal("10.00")
    assert Decimal(after["delivery"]["cost"]["amount"]) == cost
    form = make_converter(strict=True).structure(after, CheckoutForm)
    context = MappingContext(
        referrer_id=REFERRER,
        country_ids=COUNTRY_IDS,
        vat_configurations=VAT,
        variation_ids={line.id: 1000 for line in form.line_items},
        exchange_rates=RATES,
    )
    draft = OrderMapper(CONFIG).map(form, context)
    assert isinstance(draft, OrderDraft)
    assert [p.amount for p in draft.payments][1:] == [Decimal("10.00")]
    assert draft.warnings == ()
