"""A per-client rate limit: `requests_per_minute` per client, answered with 429 and Retry-After.

A client is its bearer token (a hash of it, never the token itself) when it sends one, else its
address. Each client has a token bucket: it holds up to `requests_per_minute` requests (so a
client may burst that many at once), refills continuously at `requests_per_minute` a minute, and
every request takes one. An empty bucket answers 429 with `Retry-After` (whole seconds until the
next request is allowed, at least 1) and
`{"errors": [{"message": ..., "extensions": {"code": "RATE_LIMITED", "retryAfter": N}}]}`;
nothing reaches the application. `/healthz` is never limited; 0 turns the limit off.

Only a valid token is a client of its own: a request with a token the limiter has not seen
valid in the last minute is taken from its address's bucket first (so that a flood of invented
tokens costs no database reads once the address is spent), then the token is checked
(`authenticate`, one indexed read); a valid one gets its own bucket and is remembered for a
minute, an unknown, revoked or malformed one stays charged to the address, every time. So
rotating invented tokens from one address gets no more than that address has, while each real
token has its own allowance (users behind one NAT do not share).

The address is the ASGI client address. Behind a reverse proxy, run uvicorn with
`--forwarded-allow-ips` naming the proxy (uvicorn trusts `X-Forwarded-For` from 127.0.0.1 only by
default), or every client is the proxy.

Memory stays bounded: a bucket untouched for a minute is full again, which is the same as having
none, so it is dropped (buckets are kept in least-recently-used order and dropped from the old
end as requests come); beyond `max_clients` buckets the least recently used is dropped early, which
at worst gives that client a fresh allowance.

Several server processes: the buckets live in each process's memory. With P processes (uvicorn
`--workers P`, or several hosts) each counts alone, so a client whose connections are spread over
them gets up to P x `requests_per_minute`; one whose keep-alive connection stays with one process
gets the limit of that process. A restart forgets every bucket. A limit across processes needs a
shared store (Redis, or the database at the cost of a write per request), which we do not
implement. We recommend one process per host (the server is asynchronous; one process is enough
for our load), and with several processes or hosts, the global limit at the edge (the reverse
proxy or load balancer, e.g. nginx `limit_req` keyed on the address and the Authorization header),
keeping this one as a per-process backstop: set PORTAL_RATE_LIMIT to the per-client limit divided
by the number of processes, or 0 to leave limiting to the edge. Benchmarks on loopback set 0.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from ...domain.errors import RATE_LIMITED
from .asgi import bearer_token, send_json_error

REQUESTS_PER_MINUTE = 600
MAX_CLIENTS = 100_000
EXEMPT = ("/healthz",)
# How long a token found valid is charged to its own bucket without another check (a revoked
# token keeps its own allowance, no access, this long at most).
VALID_FOR = 60.0


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    """The limiter alone: `take(key)` spends one request of `key`'s bucket."""

    def __init__(self, per_minute: int, *, max_clients: int = MAX_CLIENTS, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0  # requests a second
        self.refill_seconds = 60.0  # from empty to full
        self.max_clients = max_clients
        self.clock = clock
        self.buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def knows(self, key: str) -> bool:
        return key in self.buckets

    def take(self, key: str) -> float | None:
        """None if the request may go, else the seconds until it may."""
        now = self.clock()
        self._forget_idle(now)
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = _Bucket(self.capacity, now)
            if len(self.buckets) > self.max_clients:
                self.buckets.popitem(last=False)
        else:
            bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
            self.buckets.move_to_end(key)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return None
        return (1 - bucket.tokens) / self.rate

    def _forget_idle(self, now: float) -> None:
        # Least recently updated first: stop at the first bucket still refilling.
        while self.buckets:
            key, oldest = next(iter(self.buckets.items()))
            if now - oldest.updated < self.refill_seconds:
                return
            del self.buckets[key]


class RateLimit:
    """ASGI middleware. `requests_per_minute`: per client; 0 turns the limit off."""

    def __init__(
        self,
        app,
        requests_per_minute: int = REQUESTS_PER_MINUTE,
        *,
        authenticate: Callable[[str], Awaitable[object | None]],
        exempt: Iterable[str] = EXEMPT,
        max_clients: int = MAX_CLIENTS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.requests_per_minute = requests_per_minute
        self.exempt = frozenset(exempt)
        self.buckets = TokenBuckets(requests_per_minute, max_clients=max_clients, clock=clock) if requests_per_minute > 0 else None
        self.authenticate = authenticate
        self.clock = clock
        # Hashes of tokens found valid -> when; trusted for VALID_FOR seconds, least recent dropped first.
        self.valid: OrderedDict[str, float] = OrderedDict()
        self.max_clients = max_clients

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or self.buckets is None or scope.get("path") in self.exempt:
            return await self.app(scope, receive, send)
        wait = await self._admit(scope)
        if wait is None:
            return await self.app(scope, receive, send)
        retry_after = max(1, math.ceil(wait))
        await send_json_error(
            scope,
            send,
            429,
            f"Too many requests: at most {self.requests_per_minute} a minute per client. Retry in {retry_after} s.",
            {"code": RATE_LIMITED, "retryAfter": retry_after},
            [(b"retry-after", str(retry_after).encode())],
        )

    async def _admit(self, scope) -> float | None:
        address = client_address(scope)
        token = bearer_token(scope)
        if token is None:
            return self.buckets.take(address)
        key = "token:" + hashlib.sha256(token.encode()).hexdigest()
        if not self._known_valid(key):
            wait = self.buckets.take(address)
            if wait is not None or await self.authenticate(token) is None:
                return wait
            self._remember(key)
        return self.buckets.take(key)

    def _known_valid(self, key: str) -> bool:
        seen = self.valid.get(key)
        if seen is None or self.clock() - seen > VALID_FOR:
            self.valid.pop(key, None)
            return False
        return True

    def _remember(self, key: str) -> None:
        self.valid[key] = self.clock()
        self.valid.move_to_end(key)
        while len(self.valid) > self.max_clients:
            self.valid.popitem(last=False)


def client_address(scope) -> str:
    client = scope.get("client")
    return "address:" + (client[0] if client else "unknown")
