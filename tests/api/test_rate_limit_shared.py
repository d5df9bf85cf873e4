"""The rate limit shared through Redis: two servers (two applications on two ports, one database,
one Redis) give each client one budget, and a Redis that stops answering lets reads through.

Real HTTP through uvicorn; Redis is a real redis-server (tests/support/redis_server.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import httpx
import pytest
from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage
from prometheus_client import REGISTRY
from redis_server import running_redis
from servers import serving

from transparency_portal.config import Settings
from transparency_portal.domain.moderation import Role
from transparency_portal.schema.http.app import create_app
from transparency_portal.schema.http.rate_limit import Budgets
from transparency_portal.storage.db import make_engine, make_sessions
from transparency_portal.workflows.users import add_user

LIMIT = 5
TYPENAME = {"query": "{ __typename }"}


@pytest.fixture
def database(sqlite_url) -> str:
    """One migrated SQLite database for both servers: the limit does not depend on the backend."""
    return sqlite_url


def limited_settings(database: str, tmp_path, redis_url: str) -> Settings:
    return Settings(database_url=database, storage_dir=tmp_path / "attachments", rate_limit=LIMIT, redis_url=redis_url)


@contextlib.asynccontextmanager
async def two_servers(settings: Settings):
    """Two applications on two ports, as two `portal serve` processes would be: clients of each."""
    async with contextlib.AsyncExitStack() as stack:
        clients = []
        for _ in range(2):
            base_url = await stack.enter_async_context(serving(create_app(settings)))
            clients.append(await stack.enter_async_context(httpx.AsyncClient(base_url=base_url, timeout=30)))
        yield clients


def as_client(address: str, token: str | None = None) -> dict:
    # uvicorn takes the client address from X-Forwarded-For when the peer is 127.0.0.1, as it is here.
    return {"x-forwarded-for": address} | ({"authorization": f"Bearer {token}"} if token else {})


async def status(client: httpx.AsyncClient, headers: dict) -> int:
    return (await client.post("/graphql", json=TYPENAME, headers=headers)).status_code


def counted(name: str) -> float:
    return REGISTRY.get_sample_value(f"{name}_total") or 0.0


async def real_token(database: str, name: str) -> str:
    engine = make_engine(database)
    try:
        return (await add_user(make_sessions(engine), name=name, role=Role.MODERATOR)).token
    finally:
        await engine.dispose()


async def test_one_address_has_one_budget_across_two_servers(database, tmp_path, redis_url):
    async with two_servers(limited_settings(database, tmp_path, redis_url)) as (a, b):
        refused_before = counted("portal_rate_limited")
        spread = as_client("10.7.0.1")
        assert [await status(server, spread) for server in (a, b, a, b, a)] == [200] * 5
        assert [await status(server, spread) for server in (b, a)] == [429, 429]

        # Limited on one, limited on the other, which never saw this address before.
        one_sided = as_client("10.7.0.2")
        assert [await status(a, one_sided) for _ in range(LIMIT)] == [200] * LIMIT
        refused = await b.post("/graphql", json=TYPENAME, headers=one_sided)
        assert refused.status_code == 429
        retry_after = int(refused.headers["retry-after"])
        assert 1 <= retry_after <= 60
        [error] = refused.json()["errors"]
        assert error["extensions"] == {"code": "RATE_LIMITED", "retryAfter": retry_after}
        assert counted("portal_rate_limited") - refused_before == 3

        # Other addresses are untouched, and /healthz is never limited.
        assert await status(b, as_client("10.7.0.3")) == 200
        assert {(await b.get("/healthz", headers=one_sided)).status_code for _ in range(3)} == {200}


async def test_a_valid_token_has_one_budget_of_its_own_across_two_servers(database, tmp_path, redis_url):
    token = await real_token(database, "Shared Moderator")
    async with two_servers(limited_settings(database, tmp_path, redis_url)) as (a, b):
        moderator = as_client("10.7.1.1", token)
        assert [await status(server, moderator) for server in (a, b, a, b, b)] == [200] * 5
        assert [await status(server, moderator) for server in (a, b)] == [429, 429]
        # The token's first request on each server was also charged to its address (each server
        # checks the token once): the address keeps the rest of its own budget.
        anonymous = as_client("10.7.1.1")
        assert [await status(server, anonymous) for server in (a, b, a, b)] == [200, 200, 200, 429]

        # Invented tokens are no clients of their own, on either server.
        invented = [await status(server, as_client("10.7.1.2", f"ptk_made_up_{n}")) for n, server in enumerate((a, b) * 4)]
        assert invented == [200] * 5 + [429] * 3


async def test_with_redis_stopped_reads_are_answered_and_limiting_resumes_when_it_is_back(database, tmp_path, caplog):
    with running_redis() as redis:
        async with two_servers(limited_settings(database, tmp_path, redis.url)) as (a, b):
            client = as_client("10.7.2.1")
            assert [await status(server, client) for server in (a, b) * 3] == [200] * 5 + [429]

            redis.stop()
            errors_before = counted("portal_rate_limit_store_errors")
            with caplog.at_level(logging.WARNING, logger="transparency_portal.rate_limit"):
                answered = [await status(server, client) for server in (a, b) * 3]
            assert answered == [200] * 6  # fail open: the reads are answered
            assert counted("portal_rate_limit_store_errors") - errors_before == 6
            # One warning per server, not one per request.
            warnings = [r for r in caplog.records if "Rate-limit store unreachable" in r.getMessage()]
            assert len(warnings) == 2

            redis.start()  # a fresh Redis: the budgets start again from nothing
            # Each server leaves the store alone for a moment after a failure, then limits again.
            seen = []
            for _ in range(400):
                seen.append(await status(a, client))
                if seen[-1] == 429:
                    break
                await asyncio.sleep(0.02)
            assert seen[-1] == 429, "limiting did not resume after Redis came back"
            assert await status(b, client) == 429


async def test_without_redis_a_budget_comes_back_as_its_window_moves():
    budgets = Budgets(RateLimitItemPerSecond(3), MemoryStorage())
    assert [await budgets.take("a") for _ in range(3)] == [None] * 3
    wait = await budgets.take("a")
    assert 0 < wait <= 1
    assert await budgets.take("b") is None  # another client has its own budget
    await asyncio.sleep(wait + 0.05)
    assert await budgets.take("a") is None
