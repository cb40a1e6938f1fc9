"""What every part of the order mapper shares: its configuration and small helpers.

:class:`~allegro_plenty.mapping.OrderMapper` is assembled from one class per
concern (``parties``, ``items``, ``payments``, ``comments``), each a
:class:`MapperBase`; users subclass ``OrderMapper`` itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from ..allegro.models import PaymentType, PickupPointAddress
from .config import MappingConfig
from .context import MappingRun
from .text import TEXT_LIMITS, TextField, TextLimit, clean_text

# TextField members read once: on CPython 3.11 every enum member lookup is a
# descriptor call, and the mapper asks for some thirty text limits per form.
NAME = TextField.NAME
STREET = TextField.STREET
HOUSE_NUMBER = TextField.HOUSE_NUMBER
ADDITIONAL = TextField.ADDITIONAL
TOWN = TextField.TOWN
POSTAL_CODE = TextField.POSTAL_CODE
PHONE = TextField.PHONE
EMAIL = TextField.EMAIL
VAT_NUMBER = TextField.VAT_NUMBER
ITEM_NAME = TextField.ITEM_NAME
COMMENT_DETAIL = TextField.COMMENT_DETAIL
BUYER_MESSAGE = TextField.BUYER_MESSAGE
SELLER_NOTE = TextField.SELLER_NOTE

MAX_QUANTITY = 1_000_000


class MapperBase:
    """The state every concern of the mapper reads: the seller's configuration.

    Attributes:
        config: The seller's configuration.
        text_limits: The length of each kind of text field (:data:`TEXT_LIMITS`);
            a subclass may set stricter ones.
    """

    text_limits: ClassVar[Mapping[TextField, TextLimit]] = TEXT_LIMITS

    def __init__(self, config: MappingConfig) -> None:
        self.config = config

    def payment_method_id(self, run: MappingRun, payment_type: PaymentType, path: str) -> int:
        """The configured method of payment for ``payment_type`` (``path`` is where the
        type is in the form); none configured is an error."""
        mop = self.config.payment_method_id(str(payment_type))
        if mop is None:
            raise run.error(f"no method of payment configured for {payment_type}", path)
        return mop


def text_or_none(value: str | None) -> str | None:
    """``value`` stripped, or ``None`` when blank."""
    if value is None:
        return None
    stripped = value.strip()
    return stripped or None


def required(run: MappingRun, value: str | None, path: str) -> str:
    """``value`` stripped; blank is an error at ``path``."""
    text = text_or_none(value)
    if text is None:
        raise run.error(f"{path.rsplit('.', 1)[-1]} is empty", path)
    return text


def quantity(run: MappingRun, value: int, path: str) -> int:
    """``value`` if it is a sane quantity; ``path`` is its object's (errors add ``.quantity``)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_QUANTITY:
        raise run.error(
            f"quantity {value!r} is not a whole number from 1 to {MAX_QUANTITY}",
            f"{path}.quantity",
        )
    return value


def shown_id(ident: str | None) -> str:
    """An id as it goes into warnings and errors; an id this odd is quoted, briefly."""
    text = clean_text(ident or "")
    return text if text and len(text) <= 40 and text.isalnum() else repr(text[:40])


def complete(place: PickupPointAddress | None) -> PickupPointAddress | None:
    """``place`` if it has a street, city and postal code, else ``None``."""
    if (
        place is not None
        and place.street
        and clean_text(place.street)
        and place.city
        and clean_text(place.city)
        and place.zip_code
        and clean_text(place.zip_code)
    ):
        return place
    return None
