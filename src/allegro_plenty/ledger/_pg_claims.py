"""PostgreSQL ledger plans of the claims (see :mod:`._pg_plans`)."""

from __future__ import annotations

import attrs

from ..errors import ClaimLostError
from . import _rules as rules
from ._pg_sql import Plan, Sql, _at, _sql
from .records import Claim

# The compare-and-set: one statement takes a free or expired key, renews the
# owner's own claim, and leaves anyone else's alone. "now" is read once, so the
# epoch rule and the takeover rule agree on whether the lease ran out.
_CLAIM = _sql(
    """WITH clock AS MATERIALIZED (SELECT {now} AS now)
    INSERT INTO {s}.claims AS held (account, key, owner, epoch, lease_until)
    SELECT %(account)s, %(key)s, %(owner)s, 1, now + make_interval(secs => %(lease)s) FROM clock
    ON CONFLICT (account, key) DO UPDATE SET
        epoch = CASE WHEN held.owner = excluded.owner AND held.lease_until > (SELECT now FROM clock)
                     THEN held.epoch ELSE held.epoch + 1 END,
        owner = excluded.owner,
        lease_until = excluded.lease_until
    WHERE held.owner IS NULL OR held.owner = excluded.owner
        OR held.lease_until <= (SELECT now FROM clock)
    RETURNING epoch, lease_until"""
)


def claim(account: str, key: str, owner: str, *, lease: float) -> Plan[Claim | None]:
    """See :meth:`ImportLedger.claim`."""
    rules.text("account", account)
    rules.text("key", key)
    rules.text("owner", owner)
    seconds = rules.duration("lease", lease)
    rows = yield Sql(_CLAIM, {"account": account, "key": key, "owner": owner, "lease": seconds})
    return Claim(account, key, owner, rows[0][0], _at(rows[0][1])) if rows else None


def _held(claim: Claim) -> dict[str, object]:
    claim = rules.claim(claim)
    return {"account": claim.account, "key": claim.key, "owner": claim.owner, "epoch": claim.epoch}


def _lost(claim: Claim) -> ClaimLostError:
    return ClaimLostError(account=claim.account, key=claim.key, owner=claim.owner)


def renew(claim: Claim, *, lease: float) -> Plan[Claim]:
    """See :meth:`ImportLedger.renew`."""
    held = _held(claim)
    seconds = rules.duration("lease", lease)
    rows = yield Sql(
        _sql(
            """UPDATE {s}.claims SET lease_until = {now} + make_interval(secs => %(lease)s)
            WHERE account = %(account)s AND key = %(key)s AND owner = %(owner)s
            AND epoch = %(epoch)s RETURNING lease_until"""
        ),
        {**held, "lease": seconds},
    )
    if not rows:
        raise _lost(claim)
    return attrs.evolve(claim, lease_until=_at(rows[0][0]))


def confirm(claim: Claim) -> Plan[None]:
    """See :meth:`ImportLedger.confirm`."""
    rows = yield Sql(
        _sql(
            """SELECT 1 FROM {s}.claims WHERE account = %(account)s AND key = %(key)s
            AND owner = %(owner)s AND epoch = %(epoch)s AND lease_until > {now}"""
        ),
        _held(claim),
    )
    if not rows:
        raise _lost(claim)


def release_claim(claim: Claim) -> Plan[bool]:
    """See :meth:`ImportLedger.release_claim`."""
    # The row stays, ownerless, so the key's epoch only ever grows.
    rows = yield Sql(
        """UPDATE {s}.claims SET owner = NULL, lease_until = to_timestamp(0)
        WHERE account = %(account)s AND key = %(key)s AND owner = %(owner)s
        AND epoch = %(epoch)s RETURNING 1""",
        _held(claim),
    )
    return bool(rows)
