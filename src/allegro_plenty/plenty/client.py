"""``PlentyClient`` and ``AsyncPlentyClient``: typed access to the plentymarkets REST API.

Both are thin and share one constructor (:class:`._client_base._PlentyClientBase`). Each
method sends one operation from :mod:`.endpoints`, or drives one plan from
:mod:`._plans` (look-ups with exact matching, cached reference data, the
token's refresh-then-login); paging lives in :mod:`.paging`, pacing in
:mod:`.throttle`.
"""

from __future__ import annotations

from .._client import DEFAULT_TIMEOUT
from ..errors import ReferenceDataError
from ._async_client import AsyncPlentyClient
from ._client_base import PLENTY_RETRY
from ._sync_client import PlentyClient

__all__ = [
    "DEFAULT_TIMEOUT",
    "PLENTY_RETRY",
    "AsyncPlentyClient",
    "PlentyClient",
    "ReferenceDataError",
]
