"""The points budget: every client may spend `PORTAL_RATE_LIMIT_POINTS` points an hour (5,000 by
default, GitHub's figure; 0 turns it off), and tells it in every answer of `/graphql`.

What an operation costs is counted on its document before it runs (`extensions/cost.py`:
`points`), and charged where that count is made: the cost extension for what strawberry runs
(`extensions/cost_charge.py`), the compiled executor for the list it answers itself, the answer
cache for an answer it serves. Each request is charged once at most (`Account`), whichever of
them gets there first, so a request the fast path hands back to strawberry is not charged twice.

- Who pays: the client of `rate_limit.client_key`, the same rule as the request limit: a valid
  bearer token has a budget of its own, anything else is charged to its address.
- What is charged: every operation that runs (its answer may still hold errors: it ran), and an
  answer served from the answer cache at the same price as running it. A client's cost does not
  depend on which cache happened to hold its query (the same query costs the same on every
  process, before and after an import), so `rateLimit { cost }` and the headers stay true and a
  client can plan; what a hit saves us is the per-minute guard's business. Free: a `304 Not
  Modified` (the client revalidated instead of asking again: we want that), a query of
  `rateLimit` alone, and what is refused before it runs (parse and validation errors,
  QUERY_TOO_COMPLEX, and a request over budget itself), which the per-minute request limit
  (rate_limit.py) still counts.
- Over budget: the operation does not run; 429 with `Retry-After` and
  `{"errors": [{"message", "extensions": {"code": "RATE_LIMITED", "retryAfter", "cost", "remaining", "limit"}}]}`.
- The window is an hour from the client's first charged operation (`limits`' fixed window: one
  counter per client, in Redis with PORTAL_REDIS_URL so that every process charges one budget);
  when it ends, the whole budget is back, as GitHub's `resetAt` says. A client may so spend two
  budgets around a window's end; the per-minute request limit bounds that burst.
- Told in every answer of `/graphql` (IETF draft-ietf-httpapi-ratelimit-headers, `RateLimit-Policy`
  and `RateLimit`), added by this layer around the answer's bytes, never inside them, so the
  answer cache keeps one answer for everyone:

      RateLimit-Policy: "hour";q=5000;w=3600
      RateLimit: "hour";r=4990;t=1234

  `r` the points left, `t` the seconds until the window ends. Not `RateLimit` on a GET answer
  that shared caches may keep (`Cache-Control: public`): a CDN would hand one client's figures to
  the next; such a client reads `rateLimit`, or asks by POST. The draft's quota units are
  registered names ("requests", ...) and points are none of them: `q` counts points, as
  `rateLimit.limit` does. In the schema: `rateLimit { limit cost remaining resetAt }`, and the
  same object in `extensions.cost` of an answer to `/graphql?cost=1`. Answers that show a
  client's own budget in their body are neither kept by nor served from the answer cache.
- Redis down: as the request limit, fail open (rate_limit.py, `SharedStore`): the operation runs
  uncharged, and the answer has no `RateLimit` (nothing true to say) and `rateLimit` is null.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qs

from limits import RateLimitItemPerHour

from ...domain.errors import RATE_LIMITED, PortalError
from . import metrics
from .rate_limit import UNAVAILABLE, SharedStore
from .request_state import request_state

POLICY = "hour"
WINDOW_SECONDS = 3600


class OverBudget(PortalError):
    code = RATE_LIMITED


@dataclass(frozen=True)
class Charge:
    """The client's budget as this request left it."""

    limit: int
    cost: int
    remaining: int
    # When the window ends and the whole budget is back (epoch seconds).
    reset_at: float
    # The operation was not run: its cost is more than what is left.
    refused: bool = False

    @property
    def reset_in(self) -> int:
        """Whole seconds until the window ends, at least 1."""
        return max(1, math.ceil(self.reset_at - time.time()))

    def header(self) -> bytes:
        return f'"{POLICY}";r={self.remaining};t={self.reset_in}'.encode()

    def as_object(self) -> dict:
        """As `rateLimit` answers it, for `extensions.cost`."""
        return {"limit": self.limit, "cost": self.cost, "remaining": self.remaining, "resetAt": self.reset_time.isoformat()}

    @property
    def reset_time(self) -> datetime:
        return datetime.fromtimestamp(math.ceil(self.reset_at), UTC)

    def refusal(self) -> OverBudget:
        return OverBudget(
            f"This operation costs {self.cost} points, more than the {self.remaining} left of this client's "
            f"{self.limit:,} points an hour. Retry in {self.reset_in} s, when the hour's budget is renewed "
            f"({self.reset_time.isoformat()}); `rateLimit {{ cost }}` tells what a query costs.",
            retryAfter=self.reset_in, cost=self.cost, remaining=self.remaining, limit=self.limit,
        )


class PointsBudget:
    """ASGI middleware on `/graphql`: gives each request an `Account` (in its state) that the
    layers within charge, and adds `RateLimit-Policy` / `RateLimit` to the answer."""

    def __init__(self, app, points_per_hour: int, *, store: SharedStore, path: str = "/graphql") -> None:
        self.app = app
        self.limit = points_per_hour
        self.item = RateLimitItemPerHour(points_per_hour)
        self.store = store
        self.path = path
        self.policy = (b"ratelimit-policy", f'"{POLICY}";q={points_per_hour};w={WINDOW_SECONDS}'.encode())

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path:
            return await self.app(scope, receive, send)
        account = Account(self, scope)
        request_state(scope).account = account

        async def send_with_budget(message) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", [])
                charge = await account.current()
                told = [self.policy]
                if charge is not None and not _shared_cacheable(scope, headers):
                    told.append((b"ratelimit", charge.header()))
                message = {**message, "headers": [*headers, *told]}
            await send(message)

        await self.app(scope, receive, send_with_budget)

    async def spend(self, key: str, cost: int) -> Charge:
        """Takes `cost` points from `key`'s budget, or none when they are more than it has left.
        One INCRBY tells both whether they fit and what is left (`limits`' fixed-window counter)."""
        storage, counter = self.store.storage, self.item.key_for(key)
        if cost == 0:
            used = await storage.get(counter)
        else:
            used = await storage.incr(counter, self.item.get_expiry(), amount=cost)
            if used > self.limit:
                # A refused operation costs nothing: give the points back, so that what we said
                # is left stays left for a cheaper one.
                await storage.incr(counter, self.item.get_expiry(), amount=-cost)
                return Charge(self.limit, cost, max(0, self.limit - (used - cost)), await self._reset_at(counter, used), True)
        return Charge(self.limit, cost, max(0, self.limit - used), await self._reset_at(counter, used))

    async def _reset_at(self, counter: str, used: int) -> float:
        # No window yet: the whole budget holds for at least an hour from now.
        return await self.store.storage.get_expiry(counter) if used > 0 else time.time() + WINDOW_SECONDS


class Account:
    """One request's dealings with its client's budget: charged once at most, by whichever layer
    counts its operation first; the others get the same `Charge`."""

    def __init__(self, budget: PointsBudget, scope) -> None:
        self.budget = budget
        self.scope = scope
        # The client, once a layer knows who it is (rate_limit.client_key).
        self.key: str | None = None
        # This request's operation's price, once counted (whether or not it could be charged).
        self.points: int | None = None
        self.charge: Charge | None = None
        self.charged = False

    async def charge_for(self, key: str, points: int) -> Charge | None:
        """Charges `points` to `key` unless this request has been charged already; the charge
        (refused or not), or None when the store does not answer (the operation runs uncharged)."""
        if not self.charged:
            self.key, self.points = key, points
            await self._spend(points)
            if self.charge is not None and self.charge.refused:
                metrics.RATE_LIMITED.inc()
        return self.charge

    async def current(self) -> Charge | None:
        """The budget as this request leaves it: its charge, else (nothing was charged) a look
        at the client's budget when the client is known."""
        if not self.charged and self.key is not None:
            await self._spend(0)
        return self.charge

    async def _spend(self, points: int) -> None:
        self.charged = True  # once, whatever the store answers
        key = self.key
        charge = await self.budget.store.guarded(self.scope, lambda: self.budget.spend(key, points))
        self.charge = None if charge is UNAVAILABLE else charge


def _shared_cacheable(scope, headers: list[tuple[bytes, bytes]]) -> bool:
    """A GET answer that a CDN may keep (`public`, answer_cache.py) and hand to other clients:
    it gets no `RateLimit` of one client (the policy, the same for all, it does get)."""
    return scope["method"] == "GET" and any(k.lower() == b"cache-control" and b"public" in v for k, v in headers)


def account_of(scope) -> Account | None:
    """The request's `Account`; None when no points budget is configured."""
    return request_state(scope).account


def asks_cost(scope) -> bool:
    """Whether the request asks for its budget in the answer's `extensions.cost` (`?cost=1`)."""
    return b"cost=" in scope.get("query_string", b"") and parse_qs(scope["query_string"].decode("latin-1")).get("cost") == ["1"]
