"""The operator CLI's configuration: a TOML file, then the environment.

Secrets (the Allegro client secret, the plentymarkets password) come only from
the environment; a config file that holds one is refused, and no command takes
one as an argument, so they never reach shell history or ``ps``. Tokens live in
the token store.

The file (``--config``, else ``$ALLEGRO_PLENTY_CONFIG``)::

    [allegro]
    client_id = "…"                 # secret: $ALLEGRO_PLENTY_CLIENT_SECRET
    environment = "production"      # or "sandbox"; api_url / oauth_url override

    [plenty]
    url = "https://your-shop.plentymarkets-cloud01.com"
    username = "rest-api-user"      # password: $ALLEGRO_PLENTY_PLENTY_PASSWORD
    budget = { share = 0.5, long_period_reserve = 0.2 }   # PlentyBudget

    [storage]
    tokens = "/var/lib/allegro-plenty/tokens.json"
    ledger = "/var/lib/allegro-plenty/ledger.db"

    [import]                        # ImportSettings, by field name
    backfill = 604800

    [procedures]                    # ProcedureConfig
    carriers = { 6 = "DPD", 7 = "INPOST" }
    refund_reasons = { "9.1" = "REFUND" }

    [[procedures.rules]]            # what ``procedures poll`` watches: a StatusRule ...
    procedure = "allegro.status.sent"
    statuses = [7]                  # and/or from_status = 5, below = 6; order_types = [3]
    [[procedures.rules]]            # ... or the CreatedRule
    procedure = "allegro.status.processing"
    created = true
    [procedures.tracking]           # TrackingSweep; tracking_window in seconds
    from_status = 5
    below = 8
    [procedures.invoices]           # InvoiceDocumentsRule: upload new invoice documents
    corrections = false
    [procedures.poll]               # PollSettings; overlap in seconds
    name = "default"

    [[accounts]]
    key = "46968690"                # the seller id (``connect allegro`` prints it)
    [accounts.mapping]              # MappingConfig, by field name
    plenty_id = 1000
    status_id = 5
    payment_method_ids = { ONLINE = 6000, CASH_ON_DELIVERY = 1 }
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import attrs
import cattrs

from ..accounts import AllegroAccount
from ..allegro import PRODUCTION, SANDBOX, AllegroApp, AllegroEnvironment
from ..errors import ConfigurationError
from ..importer import ImportSettings
from ..mapping import MappingConfig
from ..plenty import PlentyBudget
from ..procedures import (
    CarrierMap,
    CreatedRule,
    InvoiceDocumentsRule,
    PollSettings,
    ProcedureConfig,
    RefundReasonMap,
    StatusRule,
    TrackingSweep,
    UnmappedCarrier,
    builtin_registry,
)

__all__ = ["ENVIRONMENT", "SECRETS", "CliConfig", "PollerConfig", "load_config"]

ENVIRONMENT: Mapping[str, str] = {
    "ALLEGRO_PLENTY_CONFIG": "the TOML config file (instead of --config)",
    "ALLEGRO_PLENTY_CLIENT_ID": "the Allegro application's client id ([allegro] client_id)",
    "ALLEGRO_PLENTY_CLIENT_SECRET": "the Allegro application's client secret (secret)",
    "ALLEGRO_PLENTY_ALLEGRO_ENVIRONMENT": "production or sandbox ([allegro] environment)",
    "ALLEGRO_PLENTY_ALLEGRO_API_URL": "the Allegro REST API base URL ([allegro] api_url)",
    "ALLEGRO_PLENTY_ALLEGRO_OAUTH_URL": "the Allegro OAuth host ([allegro] oauth_url)",
    "ALLEGRO_PLENTY_PLENTY_URL": "the plentymarkets system URL ([plenty] url)",
    "ALLEGRO_PLENTY_PLENTY_USERNAME": "the plentymarkets REST user ([plenty] username)",
    "ALLEGRO_PLENTY_PLENTY_PASSWORD": "the plentymarkets REST user's password (secret)",
    "ALLEGRO_PLENTY_TOKENS": "the JSON token file ([storage] tokens)",
    "ALLEGRO_PLENTY_LEDGER": "the SQLite ledger file ([storage] ledger)",
    "ALLEGRO_PLENTY_ACCOUNT": "one account's seller id, for a setup without [[accounts]]",
    "ALLEGRO_PLENTY_MAPPING": "that account's mapping, as JSON (MappingConfig fields)",
}
"""Every environment variable the CLI reads, and what it holds."""

SECRETS = ("ALLEGRO_PLENTY_CLIENT_SECRET", "ALLEGRO_PLENTY_PLENTY_PASSWORD")
"""The variables holding secrets: read from the environment only, never printed."""

T = TypeVar("T")

_SECRET_KEYS = frozenset({"client_secret", "password", "secret", "access_token", "refresh_token"})

# Environment variable -> (section, key) of the file it overrides.
_OVERRIDES = {
    "ALLEGRO_PLENTY_CLIENT_ID": ("allegro", "client_id"),
    "ALLEGRO_PLENTY_ALLEGRO_ENVIRONMENT": ("allegro", "environment"),
    "ALLEGRO_PLENTY_ALLEGRO_API_URL": ("allegro", "api_url"),
    "ALLEGRO_PLENTY_ALLEGRO_OAUTH_URL": ("allegro", "oauth_url"),
    "ALLEGRO_PLENTY_PLENTY_URL": ("plenty", "url"),
    "ALLEGRO_PLENTY_PLENTY_USERNAME": ("plenty", "username"),
    "ALLEGRO_PLENTY_TOKENS": ("storage", "tokens"),
    "ALLEGRO_PLENTY_LEDGER": ("storage", "ledger"),
}

_KEYS = {
    "allegro": frozenset({"client_id", "environment", "api_url", "oauth_url"}),
    "plenty": frozenset({"url", "username", "budget"}),
    "storage": frozenset({"tokens", "ledger"}),
}

_POLLER_KEYS = frozenset({"rules", "tracking", "invoices", "poll"})
"""The keys of ``[procedures]`` that describe the poller rather than ProcedureConfig."""

_SECTIONS = frozenset({"allegro", "plenty", "storage", "import", "procedures", "accounts"})


def _converter() -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=True)
    # TOML has no decimal: status ids come as 5 or "9.1"; never through float.
    converter.register_structure_hook(
        Decimal, lambda value, _: Decimal(value if isinstance(value, str) else int(value))
    )
    return converter


_CONVERT = _converter()


@attrs.frozen
class PollerConfig:
    """What ``procedures poll`` watches: the arguments of a
    :class:`~allegro_plenty.procedures.ProcedurePoller`.

    Attributes:
        rules: ``[[procedures.rules]]``: status rules and the created rule; then the
            invoice documents rule of ``[procedures.invoices]``, if configured.
        tracking: ``[procedures.tracking]``: the tracking sweep, if configured.
        settings: ``[procedures.poll]``: the overlap, the poller's name, page sizes.
    """

    rules: tuple[StatusRule | CreatedRule | InvoiceDocumentsRule, ...] = ()
    tracking: TrackingSweep | None = None
    settings: PollSettings = attrs.field(factory=PollSettings)

    @property
    def watches(self) -> bool:
        """Whether anything is configured for the poller to watch."""
        return bool(self.rules) or self.tracking is not None


@attrs.frozen
class CliConfig:
    """Everything a command may need; each command checks only what it uses.

    Attributes:
        client_id: The Allegro application's client id.
        client_secret: Its secret (from the environment; never shown in ``repr``).
        environment: Where Allegro lives.
        plenty_url: The plentymarkets system URL.
        plenty_username: The plentymarkets REST user.
        plenty_password: Its password (from the environment; never shown in ``repr``).
        plenty_budget: This integration's share of the shop's plentymarkets limits.
        tokens: The JSON token file.
        ledger: The SQLite ledger file.
        accounts: The Allegro accounts to import from.
        import_settings: How the importer runs.
        procedures: The procedures' maps (carriers, refund reasons).
        poller: What ``procedures poll`` watches.
        source: Where the configuration was read from (for messages).
    """

    client_id: str | None = None
    client_secret: str | None = attrs.field(default=None, repr=False)
    environment: AllegroEnvironment = PRODUCTION
    plenty_url: str | None = None
    plenty_username: str | None = None
    plenty_password: str | None = attrs.field(default=None, repr=False)
    plenty_budget: PlentyBudget | None = None
    tokens: Path | None = None
    ledger: Path | None = None
    accounts: tuple[AllegroAccount, ...] = ()
    import_settings: ImportSettings = attrs.field(factory=ImportSettings)
    procedures: ProcedureConfig = attrs.field(factory=ProcedureConfig)
    poller: PollerConfig = attrs.field(factory=PollerConfig)
    source: str = "the environment"

    def require(self, *names: str) -> None:
        """Raise :class:`ConfigurationError` naming every setting of ``names`` that is missing."""
        where = {
            "client_id": "[allegro] client_id or $ALLEGRO_PLENTY_CLIENT_ID",
            "client_secret": "$ALLEGRO_PLENTY_CLIENT_SECRET",
            "plenty_url": "[plenty] url or $ALLEGRO_PLENTY_PLENTY_URL",
            "plenty_username": "[plenty] username or $ALLEGRO_PLENTY_PLENTY_USERNAME",
            "plenty_password": "$ALLEGRO_PLENTY_PLENTY_PASSWORD",
            "tokens": "[storage] tokens or $ALLEGRO_PLENTY_TOKENS",
            "ledger": "[storage] ledger or $ALLEGRO_PLENTY_LEDGER",
            "accounts": "[[accounts]] or $ALLEGRO_PLENTY_ACCOUNT",
        }
        missing = [where[name] for name in names if not getattr(self, name)]
        if missing:
            raise ConfigurationError(
                f"missing setting{'s' if len(missing) > 1 else ''} (config: {self.source}): "
                + "; ".join(missing)
            )

    def app(self) -> AllegroApp:
        """The Allegro application."""
        self.require("client_id", "client_secret")
        return AllegroApp(client_id=str(self.client_id), client_secret=str(self.client_secret))

    def account(self, key: str) -> AllegroAccount:
        """The configured account ``key``."""
        for account in self.accounts:
            if account.key == key:
                return account
        known = ", ".join(a.key for a in self.accounts) or "none"
        raise ConfigurationError(f"no account {key!r} in the configuration (accounts: {known})")


def _read_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        try:
            import tomli as tomllib
        except ImportError:
            raise ConfigurationError(
                "reading a TOML config on Python 3.10 needs the cli extra: "
                "pip install 'allegro-plenty[cli]'"
            ) from None
    try:
        with path.open("rb") as file:
            data: dict[str, Any] = tomllib.load(file)
            return data
    except FileNotFoundError:
        raise ConfigurationError(f"config file {str(path)!r} does not exist") from None
    except OSError as error:
        raise ConfigurationError(f"config file {str(path)!r}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigurationError(f"config file {str(path)!r} is not valid TOML: {error}") from None


def _refuse_secrets(data: object, where: str) -> None:
    if isinstance(data, dict):
        for key, value in data.items():
            if key in _SECRET_KEYS:
                raise ConfigurationError(
                    f"{where}: {key!r} is a secret; give it in the environment "
                    f"({' or '.join(SECRETS)}), never in a file"
                )
            _refuse_secrets(value, f"{where} [{key}]")
    elif isinstance(data, list):
        for item in data:
            _refuse_secrets(item, where)


def _url(value: object, name: str) -> str:
    text = str(value).rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigurationError(f"{name} must be an http(s) URL like https://host, got {text!r}")
    return text


def _structure(data: object, kind: type[Any], where: str) -> Any:
    try:
        return _CONVERT.structure(data, kind)
    except cattrs.BaseValidationError as error:
        raise ConfigurationError(f"{where}: {'; '.join(cattrs.transform_error(error))}") from None
    except (TypeError, ValueError) as error:
        raise ConfigurationError(f"{where}: {error}") from None


def _table(data: Mapping[str, Any], name: str) -> dict[str, Any]:
    table = data.get(name, {})
    if not isinstance(table, dict):
        raise ConfigurationError(f"[{name}] must be a table")
    return dict(table)


def _environment(allegro: Mapping[str, Any]) -> AllegroEnvironment:
    name = allegro.get("environment", "production")
    environments = {"production": PRODUCTION, "sandbox": SANDBOX}
    if name not in environments:
        raise ConfigurationError(
            f"[allegro] environment must be 'production' or 'sandbox', got {name!r}"
        )
    base = environments[name]
    if "api_url" in allegro or "oauth_url" in allegro:
        api = _url(allegro.get("api_url", base.api_url), "[allegro] api_url")
        oauth = _url(allegro.get("oauth_url", base.oauth_url), "[allegro] oauth_url")
        return base.with_base_url(api, oauth)
    return base


def _accounts(data: Mapping[str, Any], environ: Mapping[str, str]) -> tuple[AllegroAccount, ...]:
    tables = data.get("accounts", [])
    if not isinstance(tables, list):
        raise ConfigurationError("accounts must be an array of tables: [[accounts]]")
    if environ.get("ALLEGRO_PLENTY_ACCOUNT"):
        try:
            mapping = json.loads(environ.get("ALLEGRO_PLENTY_MAPPING", "null"))
        except json.JSONDecodeError as error:
            raise ConfigurationError(f"$ALLEGRO_PLENTY_MAPPING is not JSON: {error}") from None
        if mapping is None:
            raise ConfigurationError("$ALLEGRO_PLENTY_ACCOUNT needs $ALLEGRO_PLENTY_MAPPING")
        tables = [*tables, {"key": environ["ALLEGRO_PLENTY_ACCOUNT"], "mapping": mapping}]
    accounts = []
    for index, table in enumerate(tables):
        if not isinstance(table, dict) or "mapping" not in table or "key" not in table:
            raise ConfigurationError(f"accounts[{index}] needs a key and a mapping table")
        unknown = set(table) - {"key", "mapping", "token_key", "name"}
        if unknown:
            raise ConfigurationError(f"accounts[{index}]: unknown settings {sorted(unknown)}")
        mapping = _structure(table["mapping"], MappingConfig, f"accounts[{index}].mapping")
        key = str(table["key"])
        accounts.append(
            AllegroAccount(
                key=key,
                mapping=mapping,
                token_key=str(table.get("token_key", key)),
                name=None if table.get("name") is None else str(table["name"]),
            )
        )
    return tuple(accounts)


_RULE_KEYS = frozenset({"procedure", "statuses", "from_status", "below", "order_types"})
_TRACKING_KEYS = frozenset({"from_status", "below", "tracking_window", "procedure"})
_INVOICE_KEYS = frozenset({"procedure", "corrections"})
_POLL_KEYS = frozenset({"overlap", "name", "page_size", "bindings_batch"})
_BUILTINS = frozenset(builtin_registry().keys())  # the CLI's runner has only the built-ins


def _made(kind: Callable[..., T], table: object, keys: frozenset[str], where: str) -> T:
    """``kind(**table)``, its errors naming ``where`` and every unknown key."""
    if not isinstance(table, dict):
        raise ConfigurationError(f"{where} must be a table")
    unknown = set(table) - keys
    if unknown:
        raise ConfigurationError(
            f"{where}: unknown settings {sorted(unknown)} (known: {', '.join(sorted(keys))})"
        )
    try:
        made = kind(**table)
    except (ConfigurationError, TypeError, ValueError) as error:
        raise ConfigurationError(f"{where}: {error}") from None
    procedure = getattr(made, "procedure", None)
    if isinstance(procedure, str) and procedure not in _BUILTINS:
        raise ConfigurationError(
            f"{where}: procedure {procedure!r} is no built-in procedure "
            f"(known: {', '.join(sorted(_BUILTINS))})"
        )
    return made


def _rule(table: object, where: str) -> StatusRule | CreatedRule:
    if isinstance(table, dict) and "created" in table:
        rest = {k: v for k, v in table.items() if k != "created"}
        if table["created"] is not True:
            raise ConfigurationError(f"{where}: created must be true (or left out)")
        return _made(CreatedRule, rest, frozenset({"procedure"}), f"{where} (created)")
    return _made(StatusRule, table, _RULE_KEYS, where)


def _poller(table: Mapping[str, Any]) -> PollerConfig:
    rules = table.get("rules", [])
    if not isinstance(rules, list):
        raise ConfigurationError("procedures.rules must be an array of tables [[procedures.rules]]")
    invoices = (
        (_made(InvoiceDocumentsRule, table["invoices"], _INVOICE_KEYS, "[procedures.invoices]"),)
        if "invoices" in table
        else ()
    )
    return PollerConfig(
        rules=(
            *(_rule(rule, f"procedures.rules[{i}]") for i, rule in enumerate(rules)),
            *invoices,
        ),
        tracking=(
            _made(TrackingSweep, table["tracking"], _TRACKING_KEYS, "[procedures.tracking]")
            if "tracking" in table
            else None
        ),
        settings=_made(PollSettings, table.get("poll", {}), _POLL_KEYS, "[procedures.poll]"),
    )


def _procedures(table: Mapping[str, Any]) -> ProcedureConfig:
    unknown = set(table) - {"carriers", "refund_reasons", "unmapped_carrier", *_POLLER_KEYS}
    if unknown:
        raise ConfigurationError(f"[procedures]: unknown settings {sorted(unknown)}")
    try:
        carriers = CarrierMap({int(k): v for k, v in table.get("carriers", {}).items()})
        return ProcedureConfig(
            carriers=carriers,
            refund_reasons=RefundReasonMap(dict(table.get("refund_reasons", {}))),
            unmapped_carrier=UnmappedCarrier(table.get("unmapped_carrier", "other")),
        )
    except (TypeError, ValueError, AttributeError) as error:
        raise ConfigurationError(f"[procedures]: {error}") from None


def load_config(path: str | os.PathLike[str] | None, environ: Mapping[str, str]) -> CliConfig:
    """Read the configuration: ``path`` (or ``$ALLEGRO_PLENTY_CONFIG``), then the environment.

    Raises:
        ConfigurationError: The file is missing or not TOML, holds a secret, an
            unknown section or setting, or a value of the wrong kind.
    """
    chosen = path if path is not None else environ.get("ALLEGRO_PLENTY_CONFIG")
    data: dict[str, Any] = {}
    source = "the environment"
    if chosen:
        data = _read_toml(Path(chosen))
        source = str(chosen)
        _refuse_secrets(data, source)
        unknown = set(data) - _SECTIONS
        if unknown:
            raise ConfigurationError(f"{source}: unknown sections {sorted(unknown)}")
    sections = {name: _table(data, name) for name in ("allegro", "plenty", "storage", "import")}
    for name, keys in _KEYS.items():
        unknown = set(sections[name]) - keys
        if unknown:
            raise ConfigurationError(f"[{name}]: unknown settings {sorted(unknown)}")
    for variable, (section, key) in _OVERRIDES.items():
        if environ.get(variable):
            sections[section][key] = environ[variable]
    allegro, plenty, storage = sections["allegro"], sections["plenty"], sections["storage"]
    try:
        import_settings = ImportSettings(**sections["import"])
    except (TypeError, ValueError) as error:
        raise ConfigurationError(f"[import]: {error}") from None
    return CliConfig(
        client_id=allegro.get("client_id"),
        client_secret=environ.get("ALLEGRO_PLENTY_CLIENT_SECRET") or None,
        environment=_environment(allegro),
        plenty_url=_url(plenty["url"], "[plenty] url") if plenty.get("url") else None,
        plenty_username=plenty.get("username"),
        plenty_password=environ.get("ALLEGRO_PLENTY_PLENTY_PASSWORD") or None,
        plenty_budget=(
            _structure(plenty["budget"], PlentyBudget, "[plenty] budget")
            if "budget" in plenty
            else None
        ),
        tokens=Path(storage["tokens"]) if storage.get("tokens") else None,
        ledger=Path(storage["ledger"]) if storage.get("ledger") else None,
        accounts=_accounts(data, environ),
        import_settings=import_settings,
        procedures=_procedures(_table(data, "procedures")),
        poller=_poller(_table(data, "procedures")),
        source=source,
    )
