"""`rateLimit`: the client's budget of points, as GitHub's GraphQL API shows it (schema/http/budget.py
charges it; schema/extensions/cost.py says what an operation costs)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from ..context import Info
from ..http.budget import Charge, account_of
from ..http.request_state import request_state


@strawberry.type(
    name="RateLimit",
    description=(
        "This client's budget of points for the current hour. A client is its bearer token when the token is valid, "
        "else its address. Every operation costs points, counted on its document before it runs: a query, the "
        "database reads it may need (one per page of at most 100 nodes, nested connections once per parent node, "
        "plus counts, facets, name searches and reports) divided by 100 and rounded, at least 1; a mutation, 10; a "
        "query of `rateLimit` alone, nothing. Over budget, an operation is refused with RATE_LIMITED (HTTP 429) and "
        "`retryAfter`. The same figures come in the `RateLimit-Policy` and `RateLimit` response headers, and in "
        "`extensions.cost` of an answer to `/graphql?cost=1`."
    ),
)
class RateLimit:
    limit: int = strawberry.field(description="Points this client may spend in an hour (the server's PORTAL_RATE_LIMIT_POINTS).")
    cost: int = strawberry.field(description="Points this operation cost: charged before it ran, answer cached or not.")
    remaining: int = strawberry.field(description="Points left to spend until `resetAt`, after this operation.")
    reset_at: datetime = strawberry.field(
        description="When the hour that began with this client's first charged operation ends and the whole budget is back (UTC)."
    )

    @classmethod
    def of(cls, charge: Charge) -> RateLimit:
        return cls(limit=charge.limit, cost=charge.cost, remaining=charge.remaining, reset_at=charge.reset_time)


async def rate_limit(info: Info) -> RateLimit | None:
    request = info.context.request
    if request is None:
        return None
    # The answer shows this client's own budget: the answer cache must not keep it for others.
    request_state(request.scope).client_specific = True
    account = account_of(request.scope)
    charge = await account.current() if account is not None else None
    return RateLimit.of(charge) if charge is not None else None


RATE_LIMIT_DESCRIPTION = (
    "This client's budget of points and what this operation cost; free to ask (a query of `rateLimit` alone costs "
    "0). Null when the server has no points budget (PORTAL_RATE_LIMIT_POINTS=0) or could not read it."
)
