"""The sync and the async twin of each client offer the same methods with the same signatures.

Plans (the importer, the procedures) call whole clients by method name and are
driven sync or async, so a method that exists on one twin only, or takes other
arguments there, breaks one of the two drivers. Sync returns ``T`` where async
returns an awaitable of ``T``; iterators are the one exception (``Iterator``
and ``AsyncIterator``), closing is ``close`` / ``aclose``, and a method without
I/O is one and the same function on both.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest

from allegro_plenty import (
    AllegroClient,
    AllegroOAuth,
    AsyncAllegroClient,
    AsyncAllegroOAuth,
    AsyncPlentyClient,
    PlentyClient,
)

TWINS = [
    (AllegroClient, AsyncAllegroClient),
    (PlentyClient, AsyncPlentyClient),
    (AllegroOAuth, AsyncAllegroOAuth),
]
CLOSING = {"close", "__enter__", "__exit__", "aclose", "__aenter__", "__aexit__"}


def public_methods(cls: type) -> dict[str, Callable[..., Any]]:
    return {
        name: member
        for name, member in inspect.getmembers(cls, callable)
        if not name.startswith("_") and name not in CLOSING and not isinstance(member, type)
    }


def without_return(function: Callable[..., Any]) -> inspect.Signature:
    return inspect.signature(function).replace(return_annotation=inspect.Signature.empty)


@pytest.mark.parametrize(("sync", "async_"), TWINS, ids=lambda cls: cls.__name__)
def test_twins_have_the_same_public_methods(sync: type, async_: type) -> None:
    assert sorted(public_methods(sync)) == sorted(public_methods(async_))
    assert callable(sync.close)
    assert callable(async_.aclose)


@pytest.mark.parametrize(("sync", "async_"), TWINS, ids=lambda cls: cls.__name__)
def test_twins_take_the_same_arguments(sync: type, async_: type) -> None:
    async_methods = public_methods(async_)
    for name, method in public_methods(sync).items():
        assert without_return(method) == without_return(async_methods[name]), name


@pytest.mark.parametrize(("sync", "async_"), TWINS, ids=lambda cls: cls.__name__)
def test_async_twins_return_awaitables_except_iterators(sync: type, async_: type) -> None:
    async_methods = public_methods(async_)
    for name, method in public_methods(sync).items():
        returns = str(inspect.signature(method).return_annotation)
        twin = async_methods[name]
        twin_returns = str(inspect.signature(twin).return_annotation)
        if twin is method:  # shared and free of I/O (authorization_url)
            continue
        if returns.startswith("Iterator["):
            assert twin_returns == "Async" + returns, name
            assert not inspect.iscoroutinefunction(twin), name
        else:
            assert twin_returns == returns, name
            assert inspect.iscoroutinefunction(twin), name


@pytest.mark.parametrize(("sync", "async_"), TWINS, ids=lambda cls: cls.__name__)
def test_twins_are_built_alike(sync: type, async_: type) -> None:
    # One constructor per client pair; the I/O types differ, the keywords do not.
    names = list(inspect.signature(sync).parameters)
    assert names == list(inspect.signature(async_).parameters)
    assert {"http_client", "transport", "sleep", "timeout", "retry"} <= set(names)


def test_the_negative_control_sees_a_drifted_twin() -> None:
    """The comparison notices one argument that differs between twins."""

    class Sync:
        def get(self, order_id: int, *, relations: tuple[str, ...] = ()) -> int:
            return order_id

    class Async:
        async def get(self, order_id: int, *, relations: tuple[str, ...] = ("x",)) -> int:
            return order_id

    assert without_return(Sync.get) != without_return(Async.get)
