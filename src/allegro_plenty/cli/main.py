"""The ``allegro-plenty`` command: its parser, and errors turned into exit codes."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

from ..errors import (
    AllegroPlentyError,
    APIConnectionError,
    AuthenticationError,
    BudgetExhaustedError,
    ConfigurationError,
    DeviceFlowError,
    InternalServerError,
    LedgerInputError,
    NotConnectedError,
    NotInLedgerError,
    OAuthError,
    RateLimitError,
    SecretTooShortError,
    TokenStorageError,
    TooManySessionsError,
)
from .config import ENVIRONMENT, CliConfig, load_config
from .connect import connect_allegro, connect_plenty
from .operator import ledger_list, ledger_release, ledger_resolve, status
from .run import FAILED, OK, RECONNECT, UNREACHABLE, USAGE, import_command, procedures_poll
from .runtime import Runtime

__all__ = ["EXIT_CODES", "build_parser", "exit_code_for", "main"]

EXIT_CODES = {
    OK: "all handled (skips count as handled)",
    FAILED: "some orders or executions failed or were quarantined",
    USAGE: "usage or configuration error",
    RECONNECT: "an account needs reconnecting (revoked, invalid_grant, never connected)",
    UNREACHABLE: "a service unreachable, or the budget exhausted",
}
"""Every exit code and what it means."""

Command = Callable[[argparse.Namespace, CliConfig, Runtime], int]


def _epilog() -> str:
    codes = "\n".join(f"  {code}  {meaning}" for code, meaning in EXIT_CODES.items())
    variables = "\n".join(f"  {name:<36} {meaning}" for name, meaning in ENVIRONMENT.items())
    return f"exit codes:\n{codes}\n\nenvironment:\n{variables}"


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors raise instead of exiting the interpreter."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise _UsageError(f"{self.prog}: {message}")


class _UsageError(Exception):
    pass


def _command(
    sub: argparse._SubParsersAction[_Parser], name: str, run: Command, text: str
) -> _Parser:
    parser = sub.add_parser(name, help=text, description=text)
    parser.set_defaults(run=run)
    return parser


def _json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command (``--help`` on each)."""
    parser = _Parser(
        prog="allegro-plenty",
        description="Operator commands for allegro_plenty: connect accounts, import orders "
        "once, run the procedures, see and act on what needs a person.",
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--config", metavar="FILE", help="the TOML config file (default: $ALLEGRO_PLENTY_CONFIG)"
    )
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    connect = commands.add_parser(
        "connect", help="connect an Allegro account or plentymarkets", description="Connect."
    )
    services = connect.add_subparsers(title="services", required=True, metavar="SERVICE")
    allegro = _command(
        services,
        "allegro",
        connect_allegro,
        "Connect an Allegro account by the device flow: open the URL shown, confirm the code; "
        "the token pair goes to the token store and the seller id is printed.",
    )
    allegro.add_argument(
        "--refunds", action="store_true", help="also ask for the payments scopes (refunds)"
    )
    allegro.add_argument(
        "--account", metavar="KEY", help="store the tokens under this key (default: seller id)"
    )
    allegro.add_argument(
        "--timeout", type=float, metavar="SECONDS", help="give up waiting after this long"
    )
    _command(
        services,
        "plenty",
        connect_plenty,
        "Log in to plentymarkets and check the REST user may read what the importer needs.",
    )

    importing = _command(
        commands, "import", import_command, "Import orders: one importer run, for cron."
    )
    importing.add_argument("--once", action="store_true", help="one run (required)")
    which = importing.add_mutually_exclusive_group(required=True)
    which.add_argument("--account", metavar="KEY", help="only this account (its seller id)")
    which.add_argument("--all", action="store_true", help="every configured account")
    importing.add_argument("--dry-run", action="store_true", help="write nothing anywhere")
    _json(importing)

    procedures = commands.add_parser(
        "procedures", help="event procedures", description="Event procedures."
    )
    procedure_commands = procedures.add_subparsers(title="actions", required=True, metavar="ACTION")
    poll = _command(
        procedure_commands,
        "poll",
        procedures_poll,
        "One polling pass of the procedures: run every execution that is due.",
    )
    poll.add_argument("--once", action="store_true", help="one pass (required)")
    poll.add_argument("--account", metavar="KEY", help="only this account")
    _json(poll)

    status_command = _command(
        commands,
        "status",
        status,
        "Per account: the last run, the cursor's age, the token's expiry, quarantined and "
        "failed forms.",
    )
    _json(status_command)

    ledger = commands.add_parser(
        "ledger", help="see and act on what needs a person", description="The ledger."
    )
    actions = ledger.add_subparsers(title="actions", required=True, metavar="ACTION")
    listing = _command(actions, "list", ledger_list, "Failed and quarantined forms and why.")
    state = listing.add_mutually_exclusive_group()
    state.add_argument("--quarantined", action="store_true", help="only quarantined forms")
    state.add_argument("--failed", action="store_true", help="only forms retried later")
    listing.add_argument("--account", metavar="KEY", help="only this account")
    _json(listing)
    release = _command(
        actions, "release", ledger_release, "Retry a failed or quarantined form on the next import."
    )
    release.add_argument("form_id", metavar="ID", help="the Allegro checkout-form id")
    release.add_argument("--account", metavar="KEY", help="its account, if several are configured")
    resolve = _command(
        actions,
        "resolve",
        ledger_resolve,
        "Record that a form was handled by hand as a plentymarkets order; never imported again.",
    )
    resolve.add_argument("form_id", metavar="ID", help="the Allegro checkout-form id")
    resolve.add_argument(
        "--plenty-order", type=int, required=True, metavar="N", help="the plentymarkets order id"
    )
    resolve.add_argument("--account", metavar="KEY", help="its account, if several are configured")
    resolve.add_argument("--note", help="why, for the next person (no personal data)")
    return parser


def exit_code_for(error: BaseException) -> int:
    """The exit code of an error a command raised."""
    if isinstance(
        error, ConfigurationError | LedgerInputError | NotInLedgerError | SecretTooShortError
    ):
        return USAGE
    if isinstance(error, NotConnectedError | DeviceFlowError):
        return RECONNECT
    if isinstance(error, OAuthError):
        return RECONNECT if error.error == "invalid_grant" else USAGE
    if isinstance(error, AuthenticationError):
        # Allegro refusing a token: the account was revoked; plentymarkets refusing the
        # login: the user name or password is wrong.
        return RECONNECT if error.service == "allegro" else USAGE
    if isinstance(
        error,
        APIConnectionError
        | BudgetExhaustedError
        | RateLimitError
        | TooManySessionsError
        | InternalServerError,
    ):
        return UNREACHABLE
    if isinstance(error, TokenStorageError):
        return USAGE
    return FAILED


def main(argv: Sequence[str] | None = None, *, runtime: Runtime | None = None) -> int:
    """Run one command; return its exit code (see :data:`EXIT_CODES`)."""
    runtime = runtime or Runtime()
    parser = build_parser()
    try:
        options = parser.parse_args(argv)
        needs_once = getattr(options, "run", None) in (import_command, procedures_poll)
        if needs_once and not options.once:
            raise _UsageError(
                "allegro-plenty: one pass per call: pass --once and let your scheduler repeat it"
            )
        config = load_config(options.config, runtime.environ)
        code: int = options.run(options, config, runtime)
    except _UsageError as error:
        runtime.note(parser.format_usage().rstrip())
        runtime.note(str(error))
        return USAGE
    except SystemExit as exit_:  # --help
        return exit_.code if isinstance(exit_.code, int) else USAGE
    except AllegroPlentyError as error:
        code = exit_code_for(error)
        runtime.note(f"error: {type(error).__name__}: {error}")
        if code == RECONNECT and not isinstance(error, DeviceFlowError):
            runtime.note("reconnect the account: allegro-plenty connect allegro")
    return code
