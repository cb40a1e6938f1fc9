"""``connect allegro`` (the device flow in a terminal) and ``connect plenty`` (login and rights)."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from ..allegro import AllegroClient, AllegroOAuth
from ..allegro.auth import order_scopes
from ..errors import PermissionDeniedError
from ..plenty import PlentyClient
from .config import CliConfig
from .output import table
from .runtime import Runtime, Session

__all__ = ["PLENTY_READS", "connect_allegro", "connect_plenty"]

PLENTY_READS: dict[str, Callable[[PlentyClient], object]] = {
    "orders (read)": lambda plenty: plenty.list_orders(items_per_page=1),
    "referrers": lambda plenty: plenty.list_referrers(refresh=True),
    "payment methods": lambda plenty: plenty.payment_methods(),
    "shipping profiles": lambda plenty: plenty.shipping_profiles(),
    "order property types": lambda plenty: plenty.order_property_types(),
    "countries": lambda plenty: plenty.countries(),
    "VAT configurations": lambda plenty: plenty.vat_configurations(),
    "currencies": lambda plenty: plenty.currencies(),
}
"""What ``connect plenty`` reads to check the REST user's rights: the importer needs each."""


def connect_allegro(options: argparse.Namespace, config: CliConfig, runtime: Runtime) -> int:
    """Run the device flow, store the new token pair, print the seller id."""
    app = config.app()
    with Session(config) as session:
        tokens = session.tokens
        oauth = session.enter_context(
            AllegroOAuth(
                app,
                environment=config.environment,
                sleep=runtime.sleep,
                monotonic=runtime.monotonic,
            )
        )
        authorization = oauth.start_device_flow(order_scopes(refunds=options.refunds))
        link = authorization.verification_uri_complete or authorization.verification_uri
        runtime.note(f"Open {link}")
        runtime.note(f"and confirm the code {authorization.user_code} (it is valid for ")
        runtime.note(f"{authorization.expires_in // 60} minutes). Waiting ...")
        token = oauth.wait_for_device_token(authorization, timeout=options.timeout)
        with AllegroClient(
            access_token=token.access_token, environment=config.environment
        ) as client:
            me = client.get_me()
        key = options.account or me.id
        tokens.save("allegro", key, token)
    runtime.say(f"connected Allegro seller {me.id} (login {me.login or '?'})")
    runtime.say(f"token stored in {config.tokens} under {key!r}; expires {token.expires_at:%c} UTC")
    if not any(account.key == me.id for account in config.accounts):
        runtime.note(f"add [[accounts]] key = {me.id!r} with its mapping to import its orders")
    return 0


def _allowed(plenty: PlentyClient, read: Callable[[PlentyClient], object]) -> bool:
    try:
        read(plenty)
    except PermissionDeniedError:
        return False
    return True


def connect_plenty(options: argparse.Namespace, config: CliConfig, runtime: Runtime) -> int:
    """Log in to plentymarkets and read what the importer needs; report each right."""
    with Session(config) as session:
        plenty = session.plenty()
        rows, denied = [], []
        for what, read in PLENTY_READS.items():
            allowed = _allowed(plenty, read)
            rows.append((what, "ok" if allowed else "DENIED"))
            if not allowed:
                denied.append(what)
    runtime.say(f"logged in to {config.plenty_url} as {config.plenty_username}")
    runtime.say(table(["right", "status"], rows))
    runtime.say("writes (orders, contacts, payments, comments) are not tried: nothing is written")
    if denied:
        runtime.note(f"the REST user lacks: {', '.join(denied)}; grant them in plentymarkets")
        return 2
    return 0
