"""Worker processes of the token races: kept light, since each spawned process imports this."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from allegro_plenty import AllegroApp, AllegroClient, AllegroEnvironment, JsonFileTokenStore
from allegro_plenty.plenty import PlentyClient
from allegro_plenty.tokens_postgres import PostgresTokenStore


def store_for(kind: str, dsn: str, table: str, folder: str) -> Any:
    if kind == "postgres":
        return PostgresTokenStore(dsn, table=table)
    # The negative control: each "machine" has a token file of its own.
    return JsonFileTokenStore(Path(folder) / "tokens.json")


def worker(
    kind: str, dsn: str, table: str, folder: str, urls: tuple[str, str], app: tuple[str, str],
    seller: str, plenty_user: tuple[str, str], rounds: int, gate: Any, out: Any,
) -> None:  # fmt: skip
    """One worker "machine": each round, one Allegro call and one plentymarkets call."""
    allegro_url, plenty_url = urls
    for _ in range(rounds):
        gate.wait(60)
        store = store_for(kind, dsn, table, folder)
        outcome = []
        try:
            with AllegroClient(
                app=AllegroApp(*app),
                account=seller,
                token_store=store,
                environment=AllegroEnvironment(api_url=allegro_url, oauth_url=allegro_url),
                transport=httpx.HTTPTransport(),
            ) as allegro:
                outcome.append(f"allegro {allegro.get_me().id}")
        except Exception as exc:
            outcome.append(f"allegro {type(exc).__name__}: {exc}")
        try:
            with PlentyClient(
                plenty_url,
                username=plenty_user[0],
                password=plenty_user[1],
                token_store=store,
                transport=httpx.HTTPTransport(),
            ) as plenty:
                plenty.list_referrers(refresh=True)
                outcome.append("plenty ok")
        except Exception as exc:
            outcome.append(f"plenty {type(exc).__name__}: {exc}")
        if kind == "postgres":
            store.close()
        out.put(outcome)
