"""AllegroAccount: one seller account and its mapping, validated when built."""

from __future__ import annotations

from decimal import Decimal

import attrs
import pytest

from allegro_plenty.accounts import AllegroAccount
from allegro_plenty.errors import AllegroPlentyError, ConfigurationError
from allegro_plenty.mapping import MappingConfig

MAPPING = MappingConfig(plenty_id=1000, status_id=Decimal("5"))


def test_the_token_key_and_plenty_id_default_to_the_seller_id_and_the_mapping() -> None:
    account = AllegroAccount(key="12345678", mapping=MAPPING)
    assert (account.key, account.token_key, account.plenty_id) == ("12345678", "12345678", 1000)
    assert account.name is None
    named = AllegroAccount(key="12345678", mapping=MAPPING, token_key="shop-a", name="Shop A")
    assert (named.token_key, named.name) == ("shop-a", "Shop A")


def test_an_account_is_immutable_and_comparable() -> None:
    account = AllegroAccount(key="12345678", mapping=MAPPING)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        account.key = "other"  # type: ignore[misc]
    assert account == AllegroAccount(key="12345678", mapping=MAPPING, plenty_id=1000)


@pytest.mark.parametrize(
    ("changes", "complaint"),
    [
        ({"key": ""}, "key"),
        ({"key": " 123"}, "key"),
        ({"key": 123}, "key"),
        ({"token_key": ""}, "token_key"),
        ({"name": "  "}, "name"),
        ({"mapping": {"plenty_id": 1000}}, "mapping must be a MappingConfig"),
        ({"plenty_id": 2000}, "plenty_id 2000 differs from mapping.plenty_id 1000"),
    ],
)
def test_a_bad_account_is_a_configuration_error_naming_the_field(
    changes: dict[str, object], complaint: str
) -> None:
    arguments: dict[str, object] = {"key": "12345678", "mapping": MAPPING, **changes}
    with pytest.raises(ConfigurationError, match=complaint) as refused:
        AllegroAccount(**arguments)  # type: ignore[arg-type]
    assert isinstance(refused.value, AllegroPlentyError)
    assert isinstance(refused.value, ValueError)
