"""Contacts and their addresses: search by external id and e-mail; identical addresses reused."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from .._resources import route
from .._transport import Exchange, FakeResponse, Refusal
from ._data import (
    ADDRESS_BODY,
    ADDRESS_OPTION_TYPES,
    CONTACT_BODY,
    CONTACT_OPTION_TYPES,
    PAGING,
    WITH,
)
from ._model import decimal_value, integer_value, iso
from ._state import PlentyState, Resource, ok, page, wanted_relations

CONTACT_RELATIONS = frozenset({"options", "addresses"})


class Contacts(Resource):
    """``/rest/accounts/contacts`` and a contact's ``addresses``."""

    @route(
        "GET",
        "/rest/accounts/contacts",
        query=("externalId", "email", "contactEmail", "number", "referrerId", *PAGING, *WITH),
    )
    def list_contacts(self, exchange: Exchange) -> FakeResponse:
        request = exchange.request
        relations = wanted_relations(exchange, CONTACT_RELATIONS)
        external, email, fuzzy = (
            request.param("externalId"),
            request.param("email"),
            request.param("contactEmail"),
        )
        number, referrer = request.param("number"), request.param("referrerId")

        def emails(contact: Mapping[str, Any]) -> list[str]:
            found = [o["value"] for o in contact["options"] if o["typeId"] == 2]
            return found + ([contact["email"]] if contact.get("email") else [])

        matches = [
            render_contact(self.state, c, relations)
            for c in self.state.contacts_to_search(external)
            if (external is None or self.state.external_match(c.get("externalId") or "", external))
            and (email is None or email in emails(c))
            and (fuzzy is None or any(fuzzy in e for e in emails(c)))
            and (number is None or c.get("number") == number)
            and (referrer is None or c["referrerId"] == decimal_value(referrer, "referrerId"))
        ]
        return page(exchange, matches)

    @route("POST", "/rest/accounts/contacts", body=CONTACT_BODY)
    def create_contact(self, exchange: Exchange) -> FakeResponse:
        body = exchange.json() or {}
        type_id = integer_value(body.get("typeId"), "typeId")
        if not 1 <= type_id <= 6:
            raise Refusal(422, "422", "typeId must be 1 to 6", path="typeId")
        referrer = decimal_value(body.get("referrerId"), "referrerId")
        if referrer not in self.state.referrers:
            raise Refusal(422, "422", f"Unknown referrer {referrer}", path="referrerId")
        lang = body.get("lang", "de")
        if not isinstance(lang, str) or len(lang) != 2:
            raise Refusal(422, "422", "lang must be a two-letter language code", path="lang")
        external = body.get("externalId")
        if external is not None and not isinstance(external, str):
            raise Refusal(422, "422", "externalId must be a string", path="externalId")
        contact_id = self.state.next_id("contact")
        now = iso(self.state.clock.now())
        options = []
        for i, raw in enumerate(body.get("options") or []):
            where = f"options[{i}]"
            option_type = integer_value(raw.get("typeId"), f"{where}.typeId")
            if option_type not in CONTACT_OPTION_TYPES:
                raise Refusal(422, "422", f"Unknown contact option type {option_type}", path=where)
            options.append(
                {
                    "id": self.state.next_id("option"),
                    "contactId": contact_id,
                    "typeId": option_type,
                    "subTypeId": integer_value(raw.get("subTypeId"), f"{where}.subTypeId"),
                    "value": str(raw.get("value", "")),
                    "priority": integer_value(raw.get("priority", 0), f"{where}.priority"),
                    "createdAt": now,
                    "updatedAt": now,
                }
            )
        first, last = body.get("firstName") or "", body.get("lastName") or ""
        contact: dict[str, Any] = {
            "id": contact_id,
            "externalId": external or "",
            "number": body.get("number") or str(contact_id),
            "typeId": type_id,
            "firstName": first,
            "lastName": last,
            "fullName": f"{first} {last}".strip(),
            "gender": body.get("gender") or "",
            "lang": lang,
            "referrerId": referrer,
            "plentyId": integer_value(body.get("plentyId", self.state.plenty_id), "plentyId"),
            "singleAccess": str(body.get("singleAccess") or ""),
            "classId": integer_value(body.get("classId", 0), "classId"),
            "createdAt": now,
            "updatedAt": now,
            "options": options,
        }
        email = next((o["value"] for o in options if o["typeId"] == 2), None)
        if email is not None:
            contact["email"] = email
        self.state.contacts[contact_id] = contact
        self.state.contact_ids_by_external_id.setdefault(contact["externalId"], set()).add(
            contact_id
        )
        return ok(render_contact(self.state, contact, set()))

    @route("GET", "/rest/accounts/contacts/{contactId}", query=WITH)
    def get_contact(self, exchange: Exchange) -> FakeResponse:
        contact = self.state.contacts.get(
            integer_value(exchange.path_params["contactId"], "contactId")
        )
        if contact is None:
            raise Refusal(404, "404", "Contact not found")
        return ok(
            render_contact(self.state, contact, wanted_relations(exchange, CONTACT_RELATIONS))
        )

    @route(
        "POST",
        "/rest/accounts/contacts/{contactId}/addresses",
        query=("typeId", "isPrimary"),
        body=ADDRESS_BODY,
    )
    def create_address(self, exchange: Exchange) -> FakeResponse:
        contact_id = integer_value(exchange.path_params["contactId"], "contactId")
        if contact_id not in self.state.contacts:
            raise Refusal(404, "404", f"Contact {contact_id} not found")
        type_id = integer_value(exchange.param("typeId") or 0, "typeId")
        if type_id not in (1, 2):
            raise Refusal(422, "422", "typeId must be 1 (invoice) or 2 (delivery)", path="typeId")
        body = exchange.json() or {}
        if not body.get("town"):
            raise Refusal(422, "422", "town is required", path="town")
        country = integer_value(body.get("countryId"), "countryId")
        if country not in {c["id"] for c in self.state.countries}:
            raise Refusal(422, "422", f"Unknown country {country}", path="countryId")
        fields = {k: body[k] for k in ADDRESS_BODY if k in body and k != "options"}
        fields["countryId"] = country
        options = sorted(
            (integer_value(o.get("typeId"), "options.typeId"), str(o.get("value", "")))
            for o in body.get("options") or []
        )
        for option_type, _ in options:
            if option_type not in ADDRESS_OPTION_TYPES:
                raise Refusal(
                    422, "422", f"Unknown address option type {option_type}", path="options"
                )
        links = self.state.contact_addresses.setdefault(contact_id, [])
        for address_id, _ in links:
            existing = self.state.addresses[address_id]
            same = {k: existing.get(k) for k in fields} == fields and all(
                existing.get(k) in (None, "")
                for k in ADDRESS_BODY
                if k not in fields and k != "options"
            )
            if same and sorted((o["typeId"], o["value"]) for o in existing["options"]) == options:
                # The route's spec text: "If the system finds a duplicate, this address
                # will be assigned."
                if (address_id, type_id) not in links:
                    links.append((address_id, type_id))
                return ok(render_address(existing))
        address_id = self.state.next_id("address")
        now = iso(self.state.clock.now())
        address: dict[str, Any] = {
            "id": address_id,
            **fields,
            "createdAt": now,
            "updatedAt": now,
            "options": [
                {
                    "id": self.state.next_id("option"),
                    "addressId": address_id,
                    "typeId": option_type,
                    "value": value,
                    "position": position,
                    "createdAt": now,
                    "updatedAt": now,
                }
                for position, (option_type, value) in enumerate(options)
            ],
        }
        self.state.addresses[address_id] = address
        links.append((address_id, type_id))
        return ok(render_address(address))


def render_contact(
    state: PlentyState, contact: Mapping[str, Any], relations: set[str]
) -> dict[str, Any]:
    """A contact as the API renders it, with the ``relations`` asked for."""
    data = {k: copy.deepcopy(v) for k, v in contact.items() if k != "options"}
    if "options" in relations:
        data["options"] = copy.deepcopy(contact["options"])
    if "addresses" in relations:
        data["addresses"] = [
            render_address(state.addresses[aid])
            for aid, _ in state.contact_addresses.get(contact["id"], [])
        ]
    return data


def render_address(address: Mapping[str, Any]) -> dict[str, Any]:
    """An address as the API renders it (a copy)."""
    return copy.deepcopy(dict(address))
