"""The referrers of imported orders: "Allegro" (found or created) and one sub-referrer per account.

Written once as plans. Creating one happens under a ledger claim, and the list
is read again after the claim is taken, so racing workers create each at most
once. A configured ``referrer_id`` wins over all of it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from decimal import ROUND_FLOOR, Decimal

from .._plan import Plan, bound, call
from ..errors import (
    AllegroPlentyError,
    APIStatusError,
    ConfigurationError,
    CursorConflictError,
    ReferenceDataError,
)
from ..plenty.models import NewReferrer, Referrer
from ._state import SHARED_ACCOUNT, AccountRun, Referrers

__all__ = ["PLACEHOLDER", "REFERRER_CURSOR", "referrers", "sub_referrer_name"]

PLACEHOLDER = Decimal(0)
"""What a dry run maps with while the referrer it would create does not exist yet."""

REFERRER_CURSOR = "referrer"
"""The ledger record (a cursor by name) holding an account's referrer ids:
``{"parent_id": "17", "referrer_id": "17.01"}``. The procedures read it to tell
this library's orders from others."""


def sub_referrer_name(run: AccountRun) -> str:
    """The account's sub-referrer's back-end name: ``"Allegro <seller id>"``.

    It is found by this name, so it is built from what never changes for an
    account (the seller id), not from its display name.
    """
    return f"{run.settings.referrer_name} {run.key}"


def _main_of(referrer: Decimal) -> Decimal:
    return referrer.to_integral_value(rounding=ROUND_FLOOR)


def _main_named(every: Sequence[Referrer], name: str) -> list[Referrer]:
    return [r for r in every if name in (r.backend_name, r.name) and r.id == _main_of(r.id)]


def _subs_named(every: Sequence[Referrer], main: Decimal, name: str) -> list[Referrer]:
    return [
        r
        for r in every
        if _main_of(r.id) == main and r.id != main and name in (r.backend_name, r.name)
    ]


def _one(found: list[Referrer], what: str) -> Decimal | None:
    if len(found) > 1:
        ids = ", ".join(str(r.id) for r in found)
        raise ConfigurationError(
            f"several plentymarkets referrers are {what} (ids {ids}): delete the extra ones "
            "or set ImportSettings.referrer_id"
        )
    return found[0].id if found else None


def referrers(run: AccountRun) -> Plan[Referrers]:
    """The account's referrers, found (or created) once per importer object."""
    known = run.shared.referrers.get(run.key)
    if known is not None:
        return known
    settings = run.settings
    if settings.referrer_id is not None:
        found = Referrers(settings.referrer_id, settings.referrer_id)
    else:
        name = settings.referrer_name
        every = yield from call("plenty", "list_referrers")
        main = _one(_main_named(every, name), f"named {name!r}")
        if main is None:
            main = yield from _create(run, f"referrer:{name}", name, None)
        if main is None:  # a dry run: nothing is created
            return Referrers(PLACEHOLDER, PLACEHOLDER)
        sub = sub_referrer_name(run)
        own = _one(_subs_named(every, main, sub), f"sub-referrers of {main} named {sub!r}")
        if own is None:
            own = yield from _create(run, f"referrer:{main}:{sub}", sub, main)
        if own is None:
            return Referrers(main, PLACEHOLDER)
        found = Referrers(main, own)
    if not run.dry_run:
        yield from _record(run, found)
    run.shared.referrers[run.key] = found
    return found


def _record(run: AccountRun, found: Referrers) -> Plan[None]:
    """Keep the ids in the ledger, where the procedures look for them."""
    value = {"parent_id": str(found.main), "referrer_id": str(found.own)}
    stored = yield from call("ledger", "cursor", run.key, REFERRER_CURSOR)
    if stored is not None and stored.value == value:
        return
    version = 0 if stored is None else stored.version
    with contextlib.suppress(CursorConflictError):  # another worker recorded them meanwhile
        yield from call(
            "ledger", "save_cursor", run.key, REFERRER_CURSOR, value, expected_version=version
        )


def _create(run: AccountRun, key: str, name: str, parent: Decimal | None) -> Plan[Decimal | None]:
    """Create a referrer (a sub-referrer of ``parent``) under a claim; ``None`` in a dry run."""
    if run.dry_run:
        message = f"a dry run would create referrer {name!r}"
        if all(warning.message != message for warning in run.result.warnings):
            run.warn("would_create_referrer", message)
        return None
    account = SHARED_ACCOUNT if parent is None else run.key
    claim = yield from call("ledger", "claim", account, key, run.owner, lease=run.settings.lease)
    if claim is None:
        raise ReferenceDataError(
            f"another worker is creating referrer {name!r}; it is used from the next run on"
        )
    try:
        made = yield from _create_claimed(run, name, parent, claim)
    except Exception:
        yield from call("ledger", "release_claim", claim)
        raise
    yield from call("ledger", "release_claim", claim)
    return made


def _find(every: Sequence[Referrer], name: str, parent: Decimal | None) -> Decimal | None:
    found = _main_named(every, name) if parent is None else _subs_named(every, parent, name)
    return _one(found, f"named {name!r}")


def _create_claimed(
    run: AccountRun, name: str, parent: Decimal | None, claim: object
) -> Plan[Decimal]:
    # A racing worker may have made it before this one took the claim.
    every = yield from call("plenty", "list_referrers", refresh=True)
    existing = _find(every, name, parent)
    if existing is not None:
        return existing
    renew = yield from bound("ledger", "renew", claim, lease=run.settings.lease)
    parent_id = None if parent is None else int(parent)
    try:
        made = yield from call(
            "plenty",
            "create_referrer",
            NewReferrer(backend_name=name, name=name),
            parent_id=parent_id,
            precondition=renew,
        )
    except AllegroPlentyError as failed:
        if failed.may_have_taken_effect:
            every = yield from call("plenty", "list_referrers", refresh=True)
            existing = _find(every, name, parent)
            if existing is not None:
                return existing
        elif (
            parent is not None
            and isinstance(failed, APIStatusError)
            and failed.status_code in (400, 422)
        ):
            raise ConfigurationError(
                f"plentymarkets refuses a sub-referrer of referrer {parent} "
                f"({failed}); set ImportSettings.referrer_id"
            ) from failed
        raise
    referrer: Referrer = made
    return referrer.id
