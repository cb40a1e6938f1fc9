"""What a command runs with: its configuration, streams, clocks, and the resources it opens."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Mapping
from typing import TextIO

import attrs

from ..accounts import AllegroAccount
from ..allegro import AllegroClient
from ..ledger import SqliteLedger
from ..plenty import PlentyClient
from ..tokens import JsonFileTokenStore
from .config import CliConfig

__all__ = ["Runtime", "Session"]


@attrs.frozen
class Runtime:
    """The outside world a command sees; tests inject their own.

    Attributes:
        environ: The environment variables.
        stdout: Where results go.
        stderr: Where messages, prompts and the progress bar go.
        sleep: How the device flow waits between polls.
        monotonic: The device flow's clock.
    """

    environ: Mapping[str, str] = attrs.field(factory=lambda: dict(os.environ))
    stdout: TextIO = attrs.field(factory=lambda: sys.stdout)
    stderr: TextIO = attrs.field(factory=lambda: sys.stderr)
    sleep: Callable[[float], None] = time.sleep
    monotonic: Callable[[], float] = time.monotonic

    def say(self, text: str = "") -> None:
        """A line of output."""
        print(text, file=self.stdout)

    def note(self, text: str) -> None:
        """A message for the operator (standard error)."""
        print(text, file=self.stderr)


class Session(contextlib.ExitStack):
    """The token store, ledger and clients of one command, closed together."""

    def __init__(self, config: CliConfig) -> None:
        super().__init__()
        self.config = config
        self._tokens: JsonFileTokenStore | None = None

    @property
    def tokens(self) -> JsonFileTokenStore:
        """The token store."""
        if self._tokens is None:
            self.config.require("tokens")
            self._tokens = JsonFileTokenStore(str(self.config.tokens))
        return self._tokens

    def ledger(self) -> SqliteLedger:
        """The ledger, closed with the session."""
        self.config.require("ledger")
        ledger = SqliteLedger(str(self.config.ledger))
        self.callback(ledger.close)
        return ledger

    def plenty(self) -> PlentyClient:
        """The plentymarkets client, its login shared through the token store."""
        self.config.require("plenty_url", "plenty_username", "plenty_password")
        client = PlentyClient(
            str(self.config.plenty_url),
            username=self.config.plenty_username,
            password=self.config.plenty_password,
            token_store=self.tokens,
            budget=self.config.plenty_budget,
        )
        return self.enter_context(client)

    def allegro(self, account: AllegroAccount) -> AllegroClient:
        """The Allegro client acting for ``account``."""
        client = AllegroClient(
            app=self.config.app(),
            account=account.token_key,
            token_store=self.tokens,
            environment=self.config.environment,
        )
        return self.enter_context(client)

    def accounts(self, key: str | None) -> list[tuple[AllegroAccount, AllegroClient]]:
        """Every configured account (``key=None``) or one, each with its client."""
        self.config.require("accounts")
        chosen = self.config.accounts if key is None else (self.config.account(key),)
        return [(account, self.allegro(account)) for account in chosen]
