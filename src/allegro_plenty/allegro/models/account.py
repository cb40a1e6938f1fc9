"""The marketplaces and the account behind a token (``/marketplaces``, ``/me``)."""

from __future__ import annotations

import attrs

from .checkout_forms import Marketplace

__all__ = [
    "Code",
    "MarketplaceCurrencies",
    "MarketplaceDetails",
    "MarketplaceLanguages",
    "Marketplaces",
    "Me",
    "MeCompany",
]


@attrs.define
class Code:
    """A language, currency or country code."""

    code: str | None = None


@attrs.define
class MarketplaceCurrencies:
    """The currencies of a marketplace."""

    base: Code | None = None
    additional: tuple[Code, ...] | None = None


@attrs.define
class MarketplaceLanguages:
    """The languages of a marketplace."""

    offer_creation: tuple[Code, ...] | None = None
    offer_display: tuple[Code, ...] | None = None


@attrs.define
class MarketplaceDetails:
    """A marketplace (``allegro-pl``, ``allegro-cz`` ...) and what it supports."""

    id: str
    currencies: MarketplaceCurrencies | None = None
    languages: MarketplaceLanguages | None = None
    shipping_countries: tuple[Code, ...] | None = None


@attrs.define
class Marketplaces:
    """The marketplaces list (required: an answer without it is an error, not "none")."""

    marketplaces: tuple[MarketplaceDetails, ...]


@attrs.define
class MeCompany:
    """The seller's company."""

    name: str | None = None
    tax_id: str | None = None


@attrs.define
class Me:
    """The account behind a token (``GET /me``). ``id`` is the seller id."""

    id: str
    login: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    base_marketplace: Marketplace | None = None
    company: MeCompany | None = None
    features: tuple[str, ...] | None = None
