"""OAuth, connection and token-storage errors."""

from __future__ import annotations

from ._base import AllegroPlentyError, _is_client_error


class OAuthError(AllegroPlentyError):
    """An OAuth token or device endpoint refused a grant.

    Attributes:
        error: The OAuth error code (``invalid_grant``, ``access_denied`` ...).
        description: The server's description, with any token scrubbed.
        status_code: The HTTP status.
        earlier_attempt_may_have_taken_effect: As for :class:`APIError`.
    """

    def __init__(self, error: str, description: str | None, status_code: int) -> None:
        text = f"{error}: {description}" if description else error
        super().__init__(f"OAuth error {status_code} {text}")
        self.error = error
        self.description = description
        self.status_code = status_code
        self.earlier_attempt_may_have_taken_effect = False

    @property
    def may_have_taken_effect(self) -> bool:
        """``False`` for the 4xx refusals OAuth errors are (see the base class)."""
        return self.earlier_attempt_may_have_taken_effect or not _is_client_error(self.status_code)


class DeviceFlowError(OAuthError):
    """The device flow ended without a token: denied, expired or already used."""


class NotConnectedError(AllegroPlentyError):
    """No refreshable token is stored for the account: connect it (device flow) first."""


class SecretTooShortError(AllegroPlentyError, ValueError):
    """A configured secret is too short to be kept out of error texts.

    Error bodies that echo a secret are scrubbed of every configured secret;
    one of a few characters cannot be masked without mangling ordinary text,
    so a client refuses it when it is built. The message names the setting,
    never its value.

    Attributes:
        setting: The constructor argument at fault (``password``, ``client_secret`` ...).
        minimum: The shortest length accepted.
    """

    def __init__(self, setting: str, minimum: int) -> None:
        super().__init__(
            f"{setting} is shorter than {minimum} characters; secrets that short cannot be "
            "kept out of error messages and are refused"
        )
        self.setting = setting
        self.minimum = minimum


class LockTimeoutError(AllegroPlentyError):
    """A token lock was not acquired in time (another worker holds it)."""


class TokenStorageError(AllegroPlentyError):
    """A token store cannot be read or written (a missing folder, a read-only or
    full disk, no file descriptors left).

    The message names the place and the problem, never a token. When this is
    raised before a renewal, nothing was spent: the stored refresh token is
    still the valid one.

    Attributes:
        path: The file or folder at fault, or a description of the store.
    """

    def __init__(self, message: str, *, path: str) -> None:
        super().__init__(message)
        self.path = path


class DamagedTokenFileError(TokenStorageError, ValueError):
    """A token file holds something that is not a token store (truncated JSON, a
    list where an object belongs, a timestamp without a timezone).

    The file is left as it is, for a person to repair or restore. Also a
    ``ValueError``, as the store raised before this class existed.
    """


class TokenSaveError(TokenStorageError):
    """A renewed token could not be saved.

    The renewal already happened, so the stored refresh token is dead: the
    client keeps the new pair in memory for the life of the process, uses it,
    and saves it on every later use until a save succeeds. Fix the storage
    while the process runs and the account keeps working without reconnecting.
    """
