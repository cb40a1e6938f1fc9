"""The import ledger's errors."""

from __future__ import annotations

from ._base import AllegroPlentyError


class LedgerError(AllegroPlentyError):
    """Base class of the import ledger's errors."""


class LedgerInputError(LedgerError, ValueError):
    """A ledger call got a value it cannot store (empty key, non-positive lease ...)."""


class LedgerBusyError(LedgerError):
    """The ledger stayed locked by other writers for longer than its busy timeout.

    Raised only after bounded retries with backoff; nothing was written.
    """


class LedgerStorageError(LedgerError):
    """The ledger's storage failed (file missing, disk full, corrupt database).

    Attributes:
        location: Where the ledger lives (a file path), without credentials.
    """

    def __init__(self, message: str, *, location: str) -> None:
        super().__init__(message)
        self.location = location


class LedgerSchemaError(LedgerError):
    """The stored schema is not the one this release uses and cannot be migrated to it.

    Attributes:
        found: The schema version in the store.
        supported: The newest schema version this release knows.
    """

    def __init__(self, message: str, *, found: int, supported: int) -> None:
        super().__init__(message)
        self.found = found
        self.supported = supported


class ClaimLostError(LedgerError):
    """The claim is no longer the caller's: its lease ran out and another worker took it,
    or it was released. The caller must stop working on the key without writing.

    Attributes:
        account: The account key.
        key: The claimed key (a checkout-form id).
        owner: The owner that lost it.
    """

    def __init__(self, *, account: str, key: str, owner: str) -> None:
        super().__init__(f"claim on {key!r} of account {account!r} is no longer held by {owner!r}")
        self.account = account
        self.key = key
        self.owner = owner


class BindingConflictError(LedgerError):
    """The form, or the plentymarkets order, is already bound to something else.

    Attributes:
        existing: The binding that is already in the ledger
            (an :class:`~allegro_plenty.ledger.Binding`).
    """

    def __init__(self, message: str, *, existing: object) -> None:
        super().__init__(message)
        self.existing = existing


class CursorConflictError(LedgerError):
    """A cursor save was based on a version that is no longer the stored one.

    Another worker moved the cursor since the caller read it; re-read and decide again.

    Attributes:
        account: The account key.
        name: The cursor's name.
        expected: The version the caller based its save on.
        found: The version in the ledger.
    """

    def __init__(self, *, account: str, name: str, expected: int, found: int) -> None:
        super().__init__(
            f"cursor {name!r} of account {account!r} is at version {found}, "
            f"the save expected version {expected}"
        )
        self.account = account
        self.name = name
        self.expected = expected
        self.found = found


class NotInLedgerError(LedgerError, LookupError):
    """The ledger holds no record of what the call names (an unbound form, no failure)."""
