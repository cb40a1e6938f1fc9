"""Every known defect of the official specs, listed once, each with its source.

A deviation excuses a validation error only for the service, direction,
method and path it names, and only when the error text matches. Requests are
never bent to fit a defect: where the spec is wrong, the client sends what the
real API takes, and the deviation says why.
"""

from __future__ import annotations

import re

import attrs
import httpx


@attrs.frozen
class Deviation:
    """One place where the official spec and the real API disagree.

    Attributes:
        id: A short stable name, used by tests that exercise the deviation.
        service: ``"allegro"`` or ``"plenty"``.
        kind: ``"request"`` (our request breaks the spec) or ``"response"``
            (the real answer, and so the fakes' answer, breaks it).
        method: The HTTP method (a regex: ``"GET|POST"`` for several).
        path: A regex the request path must match in full.
        error: A regex the validation error must contain.
        reality: What the real API does.
        source: Where that is documented (doc page, issue, peer code).
    """

    id: str
    service: str
    kind: str
    method: str
    path: str
    error: str
    reality: str
    source: str

    def explains(self, service: str, kind: str, request: httpx.Request, error: str) -> bool:
        """Whether this deviation excuses ``error`` for ``request``."""
        return (
            service == self.service
            and kind == self.kind
            and re.fullmatch(self.method, request.method) is not None
            and re.fullmatch(self.path, request.url.path) is not None
            and re.search(self.error, error) is not None
        )


DEVIATIONS: tuple[Deviation, ...] = (
    Deviation(
        id="allegro-empty-checkout-forms-page",
        service="allegro",
        kind="response",
        method="GET",
        path=r"/order/checkout-forms",
        error=r"0 is less than the minimum of 1",
        reality=(
            "A page past the last match, or a filter matching nothing, answers "
            '{"checkoutForms": [], "count": 0, "totalCount": 0}; the spec declares '
            "count with minimum: 1."
        ),
        source=(
            "allegro/allegro-api#2360 (maintainer PawelTaberski: an account without orders "
            'should receive {"checkoutForms": [], "count": 0, "totalCount": 0}); the same '
            "body is quoted from production in #905 and #3304"
        ),
    ),
    Deviation(
        id="plenty-payment-property-value-string",
        service="plenty",
        kind="request",
        method="GET",
        path=r"/rest/payments/property/\d+/[^/]+",
        error=r"Path parameter error: propertyValue \| Failed to cast value to integer",
        reality=(
            "The property value is any string (an Allegro payment id is a UUID); the "
            "client sends it URL-encoded. The spec's integer type is a generator artefact."
        ),
        source=(
            "plentymarkets/plugin-interface @ 6927a12b Modules/Payment/Contracts/"
            "PaymentRepositoryContract.php: getPaymentsByPropertyTypeAndValue(int "
            '$propertyTypeId = 0, $propertyValue = "", ...) (untyped, string default); '
            "plentymarkets/plentymarkets-shopware-connector @ 887a6d21 "
            "HandlePaymentCommandHandler.php calls payments/property/1/<alphanumeric PSP ref>"
        ),
    ),
    Deviation(
        id="plenty-contact-external-id-string",
        service="plenty",
        kind="request",
        method="GET",
        path=r"/rest/accounts/contacts",
        error=r"Query parameter error: externalId \| Failed to cast value to integer",
        reality=(
            "Contact externalId is a string; the client filters by the Allegro buyer id "
            "and keeps only exact matches. The same spec types phone, town and address "
            "filters as integers too."
        ),
        source=(
            "plentymarkets spec's own Contact schema (externalId: string); "
            "plentymarkets/plugin-interface Modules/Account/Contact/Models/Contact.php; "
            'plentymarkets/api-doc docs contact-data.adoc example "externalId": "102030"'
        ),
    ),
    Deviation(
        id="plenty-referrer-create-without-parent",
        service="plenty",
        kind="request",
        method="POST",
        path=r"/rest/orders/referrers",
        error=r"Operation post not found|no path in the spec matches",
        reality=(
            "The route is POST /rest/orders/referrers/{parentReferrerId?} with an optional "
            "last segment, which OpenAPI cannot express; without it plenty creates a main "
            "referrer with the next free id."
        ),
        source=(
            "the V3 spec's own path /rest/orders/referrers/{parentReferrerId?} and its text "
            '("if no ID is specified, a referrer ID will be assigned automatically"); '
            "plentymarkets/plugin-interface @ 6927a12b Modules/Order/Referrer/Contracts/"
            "OrderReferrerRepositoryContract.php: create(array $data, float "
            "$parentReferrerId = null)"
        ),
    ),
    Deviation(
        id="plenty-referrer-create-data-body",
        service="plenty",
        kind="request",
        method="POST",
        path=r"/rest/orders/referrers(/\d+)?",
        error=r"Missing required query parameter: data",
        reality=(
            "The referrer's attributes travel as the JSON body, as for every plenty create "
            "route; the required 'data' query parameter is the repository method's "
            "'array $data' argument turned into a parameter by the spec generator."
        ),
        source=(
            "OrderReferrerRepositoryContract.php create(array $data, ...) (plugin-interface "
            "@ 6927a12b); Dariusch/plenty_client @ a63111eb lib/plenty_client/order/"
            "referrer.rb posts the attributes as the request body"
        ),
    ),
    Deviation(
        id="plenty-status-history-paging",
        service="plenty",
        kind="request",
        method="GET",
        path=r"/rest/orders/status-history",
        error=r"undeclared query parameter '(page|itemsPerPage)'",
        reality=(
            "The route answers the paged wrapper (page, isLastPage, itemsPerPage ...) and "
            "takes page and itemsPerPage like every paged plenty list; the spec forgot to "
            "declare them."
        ),
        source=(
            "the spec's own 200 response of GET /rest/orders/status-history (the paged "
            "wrapper, example itemsPerPage 25); Gemma-Analytics/ewah @ 349c4b7c "
            "ewah/hooks/plentymarkets.py polls it with createdAtFrom/To and itemsPerPage 250"
        ),
    ),
    Deviation(
        id="plenty-currency-iso-string",
        service="plenty",
        kind="request",
        method="GET",
        path=r"/rest/orders/currencies/[A-Z]{3}/exchangeRate",
        error=r"Path parameter error: currencyIso \| Failed to cast value to integer",
        reality="currencyIso is an ISO 4217 code such as PLN, a string.",
        source=(
            "the route's own description (\"The ISO 4271 [sic] code of the currency must be "
            'specified"); the sibling route /rest/orders/currencies/{currencyIso} types it '
            "as a string; plentymarkets/plugin-interface Modules/Order/Currency/Contracts/"
            "CurrencyRepositoryContract.php getExchangeRate(string $currencyIso)"
        ),
    ),
    # --- answers of the fakes (allegro_plenty.testing) -------------------------------
    Deviation(
        id="allegro-429-undeclared",
        service="allegro",
        kind="response",
        method=r"GET|POST|PUT",
        path=r"/.*",
        error=r"Unknown response http status: 429",
        reality=(
            "Any resource answers 429 with an ErrorsHolder when the application (9000 "
            "requests a minute) or the user is over a limit; the spec declares 429 nowhere "
            "on the order resources."
        ),
        source=(
            "developer.allegro.pl/en/faq (the per-Client-ID limit and its one-minute 429 "
            "block); allegro/allegro-api#4630 (RateLimitExceedException body), #4798 "
            "(TooManyRequestsException), #3454 and #6754 (calling during a block lengthens it)"
        ),
    ),
    Deviation(
        id="allegro-5xx-undeclared",
        service="allegro",
        kind="response",
        method=r"GET|POST|PUT",
        path=r"/.*",
        error=r"Unknown response http status: 5\d\d",
        reality=(
            'Allegro answers 500 {"errors": [{"code": "INTERNAL_SERVER_ERROR", ...}]} with '
            "a trace-id during incidents; the spec declares no 5xx."
        ),
        source=(
            "allegro/allegro-api#4166 and #4167 (production, GET /order/checkout-forms and "
            "/{id}, maintainer PrzemyslawLukanowski confirms the incident), #2360, #4889"
        ),
    ),
    Deviation(
        id="allegro-fake-allow-list-400",
        service="allegro",
        kind="response",
        method=r"GET|POST|PUT",
        path=r"/(order|payments|me|marketplaces).*",
        error=r"Unknown response http status: 400",
        reality=(
            "Deliberately stricter than Allegro: the fake answers 400 VALIDATION_ERROR to a "
            "query parameter or body key outside its allow-list for the route (and to an "
            "unparseable date), so a misspelt filter fails a test instead of matching every "
            "order. Allegro answers a malformed parameter with 400 or 422 where the spec "
            "declares it, and ignores unknown ones."
        ),
        source=(
            "issue 5 of this project (strict input); allegro/allegro-api#2948 and #2347 "
            "(a date with an unencoded '+' or without zone is refused); docs/fakes.md"
        ),
    ),
    Deviation(
        id="allegro-fake-errors-undeclared",
        service="allegro",
        kind="response",
        method=r"GET|POST|PUT",
        path=r"/(order|payments|me|marketplaces).*",
        error=r"Unknown response http status: (401|403|404|406|422)",
        reality=(
            "Every resource answers 401 for a missing or expired token, 403 for a missing "
            "scope or an application token where a user is needed, 404 for an order of "
            "another seller and 406 without the vendor Accept header; the spec lists these "
            "statuses on some order resources and not on their siblings."
        ),
        source=(
            "allegro/allegro-api#10246, #11561, #9077 (406 NotAcceptableException on any "
            "resource); #10619 (401 invalid_token 'Access token expired'); the spec's own "
            "declarations of 401/406/422 on GET /order/checkout-forms"
        ),
    ),
    Deviation(
        id="plenty-error-statuses-undeclared",
        service="plenty",
        kind="response",
        method=r"GET|POST|PUT|DELETE",
        path=r"/rest/.*",
        error=r"Unknown response http status: (400|401|403|404|409|422|429|5\d\d)",
        reality=(
            "plentymarkets answers 400, 404, 422 (with validation_errors), 429 (rate limit "
            "with Retry-After, or too_many_concurrent_sessions on login) and 5xx; the spec "
            "declares only 200 and 401, and for /rest/login only 200."
        ),
        source=(
            "plentymarkets/api-doc docs ROOT/pages/limits.adoc (429, Retry-After, "
            "X-Plenty-*-Calls-Reset) and ROOT/pages/authentication.adoc (429 "
            "too_many_concurrent_sessions); plentymarkets/plentymarkets-shopware-connector "
            "issue #126 (a 500 from POST /rest/payments)"
        ),
    ),
    Deviation(
        id="plenty-referrer-create-without-parent-response",
        service="plenty",
        kind="response",
        method="POST",
        path=r"/rest/orders/referrers",
        error=r"Operation post not found|no path in the spec matches",
        reality="The answer to the parent-less referrer create (see the request deviation).",
        source="as plenty-referrer-create-without-parent",
    ),
    Deviation(
        id="plenty-shipping-countries-array",
        service="plenty",
        kind="response",
        method="GET",
        path=r"/rest/orders/shipping/countries",
        error=r"not valid for schema of type object",
        reality=(
            "The countries come as a JSON array of Country objects; the spec's schema "
            "'Collection' names the PHP collection class, which serialises as an array."
        ),
        source=(
            "plentymarkets/plentymarkets-shopware-connector Adapter/PlentymarketsAdapter/"
            "ServiceBus/QueryHandler/Country/FetchAllCountriesQueryHandler.php iterates the "
            "answer of GET orders/shipping/countries as a list of countries"
        ),
    ),
    Deviation(
        id="plenty-package-numbers-strings",
        service="plenty",
        kind="response",
        method="GET",
        path=r"/rest/orders/\d+/packagenumbers",
        error=r"is not of type 'object'",
        reality=(
            "The package numbers are plain strings; the spec's items schema "
            "#/components/schemas/string is an empty object schema (a generator artefact)."
        ),
        source=(
            "the OpenAPI 2 file of plentymarkets/api-doc @ 8cd2bdfa, whose example answer for "
            'this route is ["J92356732176", "003478943219912"]'
        ),
    ),
    Deviation(
        id="plenty-order-documents-optional-type",
        service="plenty",
        kind="request",
        method="GET",
        path=r"/rest/orders/\d+/documents/[A-Za-z]+",
        error=(
            r"Missing required path parameter: type"
            r"|undeclared query parameter '(with|withContent)'"
        ),
        reality=(
            "GET /rest/orders/{orderId}/documents/invoice lists the order's invoices. The spec "
            "writes the path as /rest/orders/{orderId}/documents/{type?} (Laravel's optional "
            "route parameter), so no validator can bind 'type' to the template, and the path "
            "matches the POST-only item /rest/orders/{orderId}/documents/{type}, whose GET "
            "declares none of the query parameters ('with', 'withContent') the {type?} item does."
        ),
        source=(
            "the spec itself: paths '/rest/orders/{orderId}/documents/{type?}' (GET, with "
            "parameters type, with, withContent ...) and '/rest/orders/{orderId}/documents/{type}' "
            "(POST only)"
        ),
    ),
    Deviation(
        id="plenty-documents-type-or-id",
        service="plenty",
        kind="request",
        method="GET",
        path=r"/rest/orders/documents/[A-Za-z]+",
        error=(
            r"Path parameter error: documentId \| Failed to cast value to integer"
            r"|undeclared query parameter '(page|itemsPerPage|updatedAtFrom|updatedAtTo|with)'"
        ),
        reality=(
            "GET /rest/orders/documents/invoice lists invoices of every order (the path item "
            "/rest/orders/documents/{type}). The spec also has GET "
            "/rest/orders/documents/{documentId} with the same shape, so a validator binds "
            "'invoice' to documentId and reads the query against that item, which declares "
            "none of the list's parameters."
        ),
        source=(
            "the spec itself: '/rest/orders/documents/{type}' (GET: page, itemsPerPage, "
            "updatedAtFrom, with ...) and '/rest/orders/documents/{documentId}' (GET, integer)"
        ),
    ),
    Deviation(
        id="plenty-document-download-binary",
        service="plenty",
        kind="response",
        method="GET",
        path=r"/rest/documents/\d+",
        error=r"Failed to deserialize value with \*/\* mimetype",
        reality=(
            "The route answers the document's file itself (a PDF), not JSON; the spec gives "
            "the generic SimpleRestResponse object as its answer."
        ),
        source=(
            "the spec's own summary of GET /rest/documents/{documentId}: 'Download the content "
            "of a document'; the order documents route offers the same file base64-encoded "
            "under 'content' (withContent), which is what the download returns raw"
        ),
    ),
)

# Allegro spec defects that weaken validation without producing an error (so
# there is nothing above to excuse; the strict models check these fields):
# * CheckoutFormAddWaybillCreated.lineItems (the shipments GET and POST answers)
#   declares ``items`` but no ``type: array``, so any value validates. Source: the
#   spec itself, components/schemas/CheckoutFormAddWaybillCreated.


# --- response fields the spec leaves optional and the library requires -------------------------


@attrs.frozen
class RequiredByUs:
    """A list field the spec marks optional that the library's response model requires.

    A look-up that guards a write (is the order, contact, payment, waybill or
    refund there already?) must not read an answer without its list as "none
    found": that creates a duplicate. So the model has no default for the
    field, and an answer that lacks it, or holds no list in it, is a
    ``ResponseValidationError``. The real API always sends the field; the
    spec's ``required`` just leaves it out. ``tests/test_fail_closed.py``
    checks each entry against the spec and the model.

    Attributes:
        id: A short stable name.
        service: ``"allegro"`` or ``"plenty"``.
        operations: ``(method, spec path)`` of every route whose 200 answer has the field.
        fields: The JSON keys required by us.
        model: The dotted name of the attrs model that requires them.
        reason: Why the library cannot do without them.
        source: Where the real answer is shown to carry them.
    """

    id: str
    service: str
    operations: tuple[tuple[str, str], ...]
    fields: tuple[str, ...]
    model: str
    reason: str
    source: str

    def model_class(self) -> type:
        """The model class named by :attr:`model`."""
        import importlib

        module, _, name = self.model.rpartition(".")
        found: type = getattr(importlib.import_module(module), name)
        return found


_GUARD = (
    "required by us: read before {what}; an answer without the list must not pass for "
    '"none there" (issue 8 of this project, fail closed).'
)

REQUIRED_BY_US: tuple[RequiredByUs, ...] = (
    RequiredByUs(
        id="allegro-shipments-list",
        service="allegro",
        operations=(("GET", "/order/checkout-forms/{id}/shipments"),),
        fields=("shipments",),
        model="allegro_plenty.allegro.models.Shipments",
        reason=_GUARD.format(what="adding a waybill (Allegro accepts the same one twice)"),
        source=(
            "allegro/allegro-api#9668: production answers an order without parcels with "
            '{"shipments":[]} (maintainer MaciejFrackowiak: "there is no added shipment for '
            "that order\"); the spec's CheckoutFormOrderWaybillResponse declares the list"
        ),
    ),
    RequiredByUs(
        id="allegro-carriers-list",
        service="allegro",
        operations=(("GET", "/order/carriers"),),
        fields=("carriers",),
        model="allegro_plenty.allegro.models.Carriers",
        reason=_GUARD.format(what="choosing the carrier id of a waybill"),
        source="the spec's OrdersShippingCarriersResponse and its example list of carriers",
    ),
    RequiredByUs(
        id="allegro-refunds-list",
        service="allegro",
        operations=(("GET", "/payments/refunds"),),
        fields=("refunds",),
        model="allegro_plenty.allegro.models.Refunds",
        reason=_GUARD.format(what="initiating a refund"),
        source=(
            "the spec's 200 answer of GET /payments/refunds declares {refunds, count, "
            "totalCount} (the shape the project's facts record for the order.id look-up)"
        ),
    ),
    RequiredByUs(
        id="allegro-marketplaces-list",
        service="allegro",
        operations=(("GET", "/marketplaces"),),
        fields=("marketplaces",),
        model="allegro_plenty.allegro.models.Marketplaces",
        reason=(
            "required by us: an answer without the list would read as 'no marketplace' "
            "and drop every currency and language (issue 8 of this project)."
        ),
        source=(
            "allegro/allegro-api#6462 (the news announcing GET /marketplaces, sample answer "
            '{"marketplaces": [{"id": "allegro-pl", ...}]}); the spec\'s AllegroMarketplaces'
        ),
    ),
    RequiredByUs(
        id="plenty-page-entries",
        service="plenty",
        operations=(
            ("GET", "/rest/orders"),
            ("GET", "/rest/accounts/contacts"),
            ("GET", "/rest/items/variations"),
            ("GET", "/rest/orders/status-history"),
            ("GET", "/rest/vat"),
            ("GET", "/rest/orders/{orderId}/documents/{type?}"),
            ("GET", "/rest/orders/documents/{type}"),
        ),
        fields=("entries", "isLastPage"),
        model="allegro_plenty.plenty.models.Page",
        reason=_GUARD.format(
            what="creating an order, a contact or a variation mapping; without isLastPage "
            "a walk cannot tell the first page from the whole list"
        ),
        source=(
            "the spec's 200 answer of each route (the paged wrapper {page, totalsCount, "
            "isLastPage, lastPageNumber, firstOnPage, lastOnPage, itemsPerPage, entries}); "
            "initBasti/python_plentymarkets_api (PyPI plenty-api) pages until isLastPage"
        ),
    ),
)
