"""A per-client rate limit: `requests_per_minute` per client, answered with 429 and Retry-After,
one budget per client across every server process when Redis is configured.

A client is its bearer token (a hash of it, never the token itself) when it sends one, else its
address. Each client may make `requests_per_minute` requests in any 60 seconds (a moving window,
from the `limits` library: a client may burst its whole budget at once, and each request counts
against it for exactly one minute). A request over budget is answered 429 with `Retry-After`
(whole seconds until the oldest request in the window leaves it, at least 1), the IETF
`RateLimit-Policy: "minute";q=N;w=60` and `RateLimit: "minute";r=0;t=<Retry-After>` and
`{"errors": [{"message": ..., "extensions": {"code": "RATE_LIMITED", "retryAfter": N}}]}`;
nothing reaches the application. `/healthz` is never limited; 0 turns the limit off.

Only a valid token is a client of its own: a request with a token this process has not seen valid
in the last minute is taken from its address's budget first (so that a flood of invented tokens
costs no database reads once the address is spent), then the token is checked (`authenticate`,
one indexed read); a valid one gets its own budget and is remembered for a minute, an unknown,
revoked or malformed one stays charged to the address, every time. So rotating invented tokens
from one address gets no more than that address has, while each real token has its own allowance
(users behind one NAT do not share).

The address is the ASGI client address. Behind a reverse proxy, run uvicorn with
`--forwarded-allow-ips` naming the proxy (uvicorn trusts `X-Forwarded-For` from 127.0.0.1 only by
default), or every client is the proxy.

Where the budgets live:
- `redis_url` (PORTAL_REDIS_URL) set: in Redis, shared by every process and host that names the
  same Redis, so a client has one budget however the load balancer spreads its requests. Each
  budget is a list of at most `requests_per_minute` timestamps that Redis expires after a minute
  (the timestamps are the servers' clocks: keep them in NTP sync). Only the "token seen valid"
  memory stays per process: a valid token's first request on each process is also charged to
  its address, once a minute at most.
- Otherwise: in this process's memory (`limits`' memory storage), as in one process before. With
  several processes each then counts alone, and a client gets up to P x `requests_per_minute`.

Memory stays bounded: a budget holds at most `requests_per_minute` timestamps, and one untouched
for a minute is dropped (Redis expires the key; the memory storage drops expired entries and empty
budgets on a pass it runs after requests), so what is kept is at most what was admitted in the last
minute. The valid-token memory holds at most `MAX_VALID_TOKENS` hashes, least recent dropped first.
A restart of Redis (it needs no persistence for this) or, without Redis, of the process forgets
the budgets: at worst every client starts a fresh minute.

The points budget per hour (budget.py) keeps its counters in the same store (`SharedStore`: one
pool, one failure state) and charges the same clients (`client_key`); this per-minute limit stays
in front of it as the guard against bursts, refused requests included.

Redis unreachable (down, refused, slower than `STORE_TIMEOUT`): the request is let through
unlimited (by this limit and the points budget), counted once in `portal_rate_limit_store_errors`,
and a warning is logged at most every `WARN_EVERY` seconds. After a failure the store is left alone for `STORE_RETRY` seconds (requests
pass, counted), so a Redis that does not answer at all costs one short timeout a second, not one
per request; then it is tried again, and limiting resumes by itself once it answers (the client
reconnects on the next command and reloads its scripts into a restarted Redis). We fail open on
purpose: the portal exists to be read, and refusing every public read because the limiter's store
is down would turn a Redis outage into a portal outage (writes pass too; they keep their own
per-user quotas, counted in the database). The limit here protects the database from
one greedy client; the backstop during an outage is the edge limit at the reverse proxy or load
balancer (e.g. nginx `limit_req` keyed on the address and the Authorization header), which we
recommend in any deployment of several servers. Benchmarks on loopback set 0.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from limits import RateLimitItem, RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError

from ...domain.errors import RATE_LIMITED
from . import metrics
from .asgi import bearer_token, send_json_error
from .backoff import Backoff
from .request_state import authenticated, request_state

if TYPE_CHECKING:
    import redis.asyncio

REQUESTS_PER_MINUTE = 600
EXEMPT = ("/healthz",)
# How long a token found valid is charged to its own budget without another check (a revoked
# token keeps its own allowance, no access, this long at most).
VALID_FOR = 60.0
MAX_VALID_TOKENS = 100_000
# Seconds: a Redis that does not answer within this is down, for this request.
STORE_TIMEOUT = 0.25
# Seconds the store is left alone after it failed (requests pass unlimited meanwhile).
STORE_RETRY = 1.0
# Seconds between two warnings about the store.
WARN_EVERY = 60.0
KEY_PREFIX = "portal-rate-limit"

log = logging.getLogger("transparency_portal.rate_limit")

T = TypeVar("T")
# What `SharedStore.guarded` returns when the store did not answer (or is being left alone).
UNAVAILABLE: Any = object()


class Budgets:
    """The limiter alone: `take(key)` spends one request of `key`'s budget under `item`."""

    def __init__(self, item: RateLimitItem, storage: Storage) -> None:
        self.item = item
        self.storage = storage
        self.limiter = MovingWindowRateLimiter(storage)

    async def take(self, key: str) -> float | None:
        """None if the request may go, else the seconds until it may. Raises StorageError when
        the store does not answer."""
        if await self.limiter.hit(self.item, key):
            return None
        reset_at, _remaining = await self.limiter.get_window_stats(self.item, key)
        return max(0.0, reset_at - time.time())


def redis_storage(redis_url: str) -> tuple[Storage, redis.asyncio.ConnectionPool]:
    """`limits`' Redis storage on a pool we own (to close it), with short timeouts and no retry
    (a retry would multiply the wait of every request while Redis is down)."""
    # Loaded here, by a server that names a Redis (7 MB in a process that does not).
    import redis.asyncio
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    pool = redis.asyncio.ConnectionPool.from_url(
        redis_url, socket_timeout=STORE_TIMEOUT, socket_connect_timeout=STORE_TIMEOUT, retry=Retry(NoBackoff(), 0)
    )
    # `limits` picks its storage by scheme; unix:// sockets are spelled redis+unix:// there.
    scheme = "async+redis+" if redis_url.startswith("unix:") else "async+"
    storage = RedisStorage(
        scheme + redis_url, implementation="redispy", connection_pool=pool, key_prefix=KEY_PREFIX, wrap_exceptions=True
    )
    return storage, pool


class SharedStore:
    """Where every budget of one application lives (Redis with `redis_url`, else this process's
    memory), and the guard that lets requests through while Redis does not answer: the request
    limit here and the points budget (budget.py) share one pool, one failure state, one warning."""

    def __init__(self, redis_url: str = "") -> None:
        self.pool: redis.asyncio.ConnectionPool | None = None
        if redis_url:
            self.storage, self.pool = redis_storage(redis_url)
        else:
            self.storage = MemoryStorage()
        self.backoff = Backoff(STORE_RETRY)
        self.next_warning = 0.0
        self.failing = False

    async def guarded(self, scope, operation: Callable[[], Awaitable[T]]) -> T:
        """`operation()`'s result, or UNAVAILABLE when the store fails or is being left alone
        (the request is then counted in portal_rate_limit_store_errors, once)."""
        now = time.monotonic()
        if self.backoff.waiting(now):
            _count_store_failure(scope)
            return UNAVAILABLE
        try:
            result = await operation()
        except StorageError as error:
            _count_store_failure(scope)
            self._failed(error, now)
            return UNAVAILABLE
        if self.failing:
            self.failing = False
            log.warning("Rate-limit store answers again: requests are limited again.")
        return result

    def _failed(self, error: StorageError, now: float) -> None:
        self.failing = True
        self.backoff.failed(now)
        if now >= self.next_warning:
            self.next_warning = now + WARN_EVERY
            log.warning(
                "Rate-limit store unreachable (%s): requests pass unlimited until it answers "
                "(counted in portal_rate_limit_store_errors; this warning repeats at most every %d s).",
                error.storage_error,
                WARN_EVERY,
            )

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.aclose()


def _count_store_failure(scope) -> None:
    state = request_state(scope)
    if not state.store_failed:
        state.store_failed = True
        metrics.RATE_LIMIT_STORE_ERRORS.inc()


class RateLimit:
    """ASGI middleware. `requests_per_minute`: per client; 0 turns the limit off. `redis_url`:
    share the budgets through that Redis; empty keeps them in this process. `store`: the
    application's `SharedStore` (then `redis_url` is not read, and the application closes it)."""

    def __init__(
        self,
        app,
        requests_per_minute: int = REQUESTS_PER_MINUTE,
        *,
        authenticate: Callable[[str], Awaitable[object | None]],
        redis_url: str = "",
        exempt: Iterable[str] = EXEMPT,
        store: SharedStore | None = None,
    ) -> None:
        self.app = app
        self.requests_per_minute = requests_per_minute
        self.exempt = frozenset(exempt)
        self.authenticate = authenticate
        self.store: SharedStore | None = None
        self.owns_store = False
        self.budgets: Budgets | None = None
        if requests_per_minute > 0:
            self.owns_store = store is None
            self.store = store if store is not None else SharedStore(redis_url)
            self.budgets = Budgets(RateLimitItemPerMinute(requests_per_minute), self.store.storage)
        # Hashes of tokens found valid -> when (monotonic); least recent first.
        self.valid: OrderedDict[str, float] = OrderedDict()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan" and self.owns_store and self.store.pool is not None:
            return await self.app(scope, self._closing_pool_on_shutdown(receive), send)
        # A WebSocket upgrade is one request of its client (refused like any other; the messages
        # it then carries are subscriptions of a moderator, http/subscriptions.py, not counted).
        if scope["type"] not in ("http", "websocket") or self.budgets is None or scope.get("path") in self.exempt:
            return await self.app(scope, receive, send)
        wait = await self.store.guarded(scope, lambda: self._admit(scope))
        if wait is None or wait is UNAVAILABLE:  # fail open: see the module's docstring
            return await self.app(scope, receive, send)
        metrics.RATE_LIMITED.inc()
        retry_after = max(1, math.ceil(wait))
        await send_json_error(
            scope,
            send,
            429,
            f"Too many requests: at most {self.requests_per_minute} a minute per client. Retry in {retry_after} s.",
            {"code": RATE_LIMITED, "retryAfter": retry_after},
            [
                (b"retry-after", str(retry_after).encode()),
                # The same words as the points budget's headers (budget.py), for this limit's minute.
                (b"ratelimit-policy", f'"minute";q={self.requests_per_minute};w=60'.encode()),
                (b"ratelimit", f'"minute";r=0;t={retry_after}'.encode()),
            ],
        )

    async def _admit(self, scope) -> float | None:
        address = client_address(scope)
        token = bearer_token(scope)
        if token is None:
            return await self.budgets.take(address)
        key = token_key(token)
        if not self._known_valid(key):
            wait = await self.budgets.take(address)
            if wait is not None or await authenticated(scope, token, self.authenticate) is None:
                return wait
            self._remember(key)
        return await self.budgets.take(key)

    def _known_valid(self, key: str) -> bool:
        seen = self.valid.get(key)
        if seen is None or time.monotonic() - seen > VALID_FOR:
            self.valid.pop(key, None)
            return False
        return True

    def _remember(self, key: str) -> None:
        self.valid[key] = time.monotonic()
        self.valid.move_to_end(key)
        while len(self.valid) > MAX_VALID_TOKENS:
            self.valid.popitem(last=False)

    def _closing_pool_on_shutdown(self, receive):
        # The pool is this middleware's own: closed when the server says it stops.
        async def receive_then_close():
            message = await receive()
            if message["type"] == "lifespan.shutdown":
                await self.store.close()
            return message

        return receive_then_close


def client_address(scope) -> str:
    client = scope.get("client")
    return "address:" + (client[0] if client else "unknown")


def token_key(token: str) -> str:
    """A token's budget key: a hash of it, never the token itself."""
    return "token:" + hashlib.sha256(token.encode()).hexdigest()


def client_key(scope, token_is_valid: bool) -> str:
    """The client a request is charged to, once its token has been checked: a valid token is a
    client of its own, anything else (no token, an unknown, revoked or malformed one) its address."""
    token = bearer_token(scope)
    return token_key(token) if token_is_valid and token is not None else client_address(scope)
