"""The Allegro accounts a host imports from, and how each maps into plentymarkets."""

from __future__ import annotations

from typing import Any

import attrs

from .errors import ConfigurationError
from .mapping import MappingConfig

__all__ = ["AllegroAccount"]


def _name(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not value.strip() or value != value.strip():
        raise ConfigurationError(
            f"AllegroAccount.{attribute.name} must be a non-empty string without surrounding "
            f"spaces, got {value!r}"
        )


def _optional_name(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        _name(instance, attribute, value)


@attrs.frozen(kw_only=True)
class AllegroAccount:
    """One connected Allegro seller account.

    Attributes:
        key: The seller id (``GET /me``'s ``id``). The ledger keys every record by
            it, so it must never change for an account.
        mapping: How this account's orders map into plentymarkets.
        token_key: The account's key in the :class:`~allegro_plenty.tokens.TokenStore`;
            by default the seller id.
        plenty_id: The plentymarkets client (``plentyId``) its orders belong to;
            by default, and necessarily, ``mapping.plenty_id``.
        name: A display name for logs and operators (never personal data).
    """

    key: str = attrs.field(validator=_name)
    mapping: MappingConfig = attrs.field()
    token_key: str = attrs.field(
        default=attrs.Factory(lambda self: self.key, takes_self=True), validator=_name
    )
    plenty_id: int = attrs.field(
        default=attrs.Factory(
            lambda self: getattr(self.mapping, "plenty_id", None), takes_self=True
        )
    )
    name: str | None = attrs.field(default=None, validator=_optional_name)

    @mapping.validator
    def _check_mapping(self, _: object, value: object) -> None:
        if not isinstance(value, MappingConfig):
            raise ConfigurationError(
                f"AllegroAccount {self.key!r}: mapping must be a MappingConfig, got {value!r}"
            )

    @plenty_id.validator
    def _check_plenty_id(self, _: object, value: object) -> None:
        if value != self.mapping.plenty_id:
            raise ConfigurationError(
                f"AllegroAccount {self.key!r}: plenty_id {value!r} differs from "
                f"mapping.plenty_id {self.mapping.plenty_id!r}; orders would be mapped for one "
                "plentyId and filed under another"
            )
