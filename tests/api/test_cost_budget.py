"""Issue 13, costs and budgets: what an operation costs (GitHub's points), the client's budget per
hour, and where a client sees both (`rateLimit`, `extensions.cost` of `?cost=1`, the IETF
`RateLimit-Policy` / `RateLimit` headers). Real HTTP through uvicorn; the budget lives in the
process's memory, or in a real Redis where two servers share it.
"""

from __future__ import annotations

import contextlib
import re

import httpx
import pytest
from prometheus_client import REGISTRY
from servers import serving
from sqlalchemy import event
from transparency_portal.config import Settings
from transparency_portal.domain.moderation import Role
from transparency_portal.schema.fastpath.executor import CompiledExecutor
from transparency_portal.schema.http.app import create_app
from transparency_portal.storage.db import make_engine, make_sessions
from transparency_portal.workflows.import_document import import_document
from transparency_portal.workflows.users import add_user
from worlds import world

TYPENAME = "{ __typename }"
BUDGET = "{ rateLimit { limit cost remaining resetAt } }"
# 250 issues (cost_figures.LIST_SIZES) x one page each: 250 requests, 2.5 points, rounded up to 3.
EVERY_ISSUE_PAGE = "{ issues { nonCompliantFactories(first: 10) { edges { node { id } } } } }"
TWENTY_REPORTS = "{ " + " ".join(f'r{n}: countryReport(country: "KH") {{ asOf }}' for n in range(20)) + " }"
LIST = "query List($first: Int) { factories(first: $first) { edges { node { name } } } }"


@pytest.fixture
async def database(sqlite_url) -> str:
    """One migrated SQLite database with public factories: the budget does not depend on the backend."""
    engine = make_engine(sqlite_url)
    await import_document(make_sessions(engine), world(), actor="test-steward")
    await engine.dispose()
    return sqlite_url


def budget_settings(database: str, tmp_path, points: int, **more) -> Settings:
    return Settings(
        database_url=database, storage_dir=tmp_path / "attachments", rate_limit=0, rate_limit_points=points, **more
    )


@contextlib.asynccontextmanager
async def client_of(settings: Settings):
    app = create_app(settings)
    async with serving(app) as base_url, httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        client.app = app
        yield client


def address(ip: str, token: str | None = None) -> dict:
    # uvicorn takes the client address from X-Forwarded-For when the peer is 127.0.0.1, as it is here.
    return {"x-forwarded-for": ip} | ({"authorization": f"Bearer {token}"} if token else {})


async def ask(client, query: str, headers: dict, variables: dict | None = None, path: str = "/graphql", **kwargs):
    return await client.post(path, json={"query": query, "variables": variables or {}}, headers=headers, **kwargs)


def left(response: httpx.Response) -> int:
    """`r` of the RateLimit header: the points left."""
    return int(re.fullmatch(r'"hour";r=(\d+);t=(\d+)', response.headers["ratelimit"])[1])


def counted(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def moderator_token(database: str) -> str:
    engine = make_engine(database)
    try:
        return (await add_user(make_sessions(engine), name="Budget Moderator", role=Role.MODERATOR)).token
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    ("query", "points"),
    [
        ("{ factories(first: 100) { edges { node { name latestAssessment { findings { id } } } } } }", 1),
        ("{ factories { totalCount } }", 1),  # 2 requests: at least 1
        (EVERY_ISSUE_PAGE, 3),
        ("{ issues { nonCompliantFactories { totalCount } } }", 5),  # a page and a count per issue: 500
        (TWENTY_REPORTS, 10),  # 1,000 requests: the most the work budget lets run
        (TYPENAME, 1),
        (BUDGET, 0),  # free to ask
        ("{ __typename ...budget } fragment budget on Query { rateLimit { remaining } }", 0),
        ('mutation { releaseResponse(id: "UmVzcG9uc2U6OTk5OTk=") { id } }', 10),  # a mutation: fixed
    ],
)
async def test_an_operation_costs_its_requests_divided_by_100(database, tmp_path, query, points):
    token = await moderator_token(database)
    async with client_of(budget_settings(database, tmp_path, 100)) as client:
        response = await ask(client, query, address("10.13.0.1", token), path="/graphql?cost=1")
        assert response.status_code == 200
        cost = response.json()["extensions"]["cost"]
        assert cost["cost"] == points
        assert cost["remaining"] == left(response) == 100 - points


async def test_the_budget_is_told_in_headers_and_in_rate_limit_and_a_cache_hit_costs_the_same(database, tmp_path):
    async with client_of(budget_settings(database, tmp_path, 20)) as client:
        alice = address("10.13.1.1")
        first = await ask(client, EVERY_ISSUE_PAGE, alice)
        assert first.status_code == 200 and "errors" not in first.json()
        assert first.headers["ratelimit-policy"] == '"hour";q=20;w=3600'
        assert left(first) == 17
        assert 3590 <= int(first.headers["ratelimit"].rsplit("=", 1)[1]) <= 3600

        # Checking the budget is free, and says what the headers say.
        budget = await ask(client, BUDGET, alice)
        limit = budget.json()["data"]["rateLimit"]
        assert (limit["limit"], limit["cost"], limit["remaining"]) == (20, 0, 17)
        assert limit["resetAt"].endswith("+00:00") and left(budget) == 17

        # The same query again is a hit of the answer cache, charged as if it ran.
        hits = counted("portal_cache_hits_total", cache="answer")
        again = await ask(client, EVERY_ISSUE_PAGE, alice)
        assert counted("portal_cache_hits_total", cache="answer") == hits + 1
        assert again.content == first.content and left(again) == 14
        # Revalidating is free.
        revalidated = await ask(client, EVERY_ISSUE_PAGE, alice | {"if-none-match": again.headers["etag"]})
        assert revalidated.status_code == 304 and left(revalidated) == 14

        # Another address has a budget of its own.
        assert left(await ask(client, EVERY_ISSUE_PAGE, address("10.13.1.2"))) == 17


async def test_over_budget_an_operation_is_refused_with_429_before_it_runs(database, tmp_path):
    async with client_of(budget_settings(database, tmp_path, 5)) as client:
        bob = address("10.13.2.1")
        statements: list[str] = []
        for engine in client.app.state.hot_reads.sync_engines():
            event.listen(engine, "before_cursor_execute", lambda *args, **_: statements.append(args[2]))
        for accept in ("application/json", "application/graphql-response+json"):
            refused = await ask(client, TWENTY_REPORTS, bob | {"accept": accept})
            assert refused.status_code == 429
            retry_after = int(refused.headers["retry-after"])
            assert 3590 <= retry_after <= 3600
            body = refused.json()
            assert "data" not in body
            [error] = body["errors"]
            assert error["extensions"] == {
                "code": "RATE_LIMITED", "retryAfter": retry_after, "cost": 10, "remaining": 5, "limit": 5,
            }
            assert "costs 10 points, more than the 5 left" in error["message"]
            assert not [s for s in statements if "assessment" in s]  # no report was read
            assert left(refused) == 5  # a refusal takes nothing
        # What is left is left: a cheaper query runs.
        cheap = await ask(client, "{ factories(first: 1) { totalCount } }", bob)
        assert cheap.status_code == 200 and left(cheap) == 4


async def test_a_valid_token_has_its_own_budget_and_an_invented_one_pays_from_its_address(database, tmp_path):
    token = await moderator_token(database)
    async with client_of(budget_settings(database, tmp_path, 3)) as client:
        signed_in = address("10.13.3.1", token)
        assert [left(await ask(client, TYPENAME, signed_in)) for _ in range(3)] == [2, 1, 0]
        refused = await ask(client, TYPENAME, signed_in)
        assert refused.status_code == 429 and refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        # The address behind it has its own three; an invented token spends them.
        assert left(await ask(client, TYPENAME, address("10.13.3.1"))) == 2
        assert left(await ask(client, TYPENAME, address("10.13.3.1", "ptk_made_up"))) == 1


@pytest.mark.parametrize("golden", [False, True], ids=["fast path", "golden mode"])
async def test_the_fast_path_charges_what_strawberry_charges_once(database, tmp_path, golden):
    async with client_of(budget_settings(database, tmp_path, 4, compiled_check=golden)) as client:
        executor = client.app.middleware_stack
        carol = address("10.13.4.1")
        # Variables differ, so that no answer comes from the answer cache; the first vets the document.
        answers = [await ask(client, LIST, carol, {"first": n}) for n in (1, 2, 3, 4)]
        while not isinstance(executor, CompiledExecutor):
            executor = executor.app
        # Golden mode runs both on first sight (strawberry, then the plan); otherwise the plan answers after vetting.
        by_plan = 4 if golden else 3
        assert executor.answered == by_plan and executor.mismatches == []
        assert [left(a) for a in answers] == [3, 2, 1, 0]
        refused = await ask(client, LIST, carol, {"first": 5})
        assert refused.status_code == 429 and executor.answered == by_plan


async def test_cost_in_extensions_is_the_clients_own_and_never_cached(database, tmp_path):
    async with client_of(budget_settings(database, tmp_path, 50)) as client:
        query = "{ factories(first: 5) { totalCount } rateLimit { remaining } }"
        dave, erin = address("10.13.5.1"), address("10.13.5.2")
        await ask(client, EVERY_ISSUE_PAGE, dave)  # dave has spent 3
        seen = []
        for who in (dave, erin, dave):
            response = await ask(client, query, who, path="/graphql?cost=1")
            body = response.json()
            assert body["extensions"]["cost"]["remaining"] == body["data"]["rateLimit"]["remaining"] == left(response)
            seen.append(left(response))
        assert seen == [46, 49, 45]
        # Without `cost=1` too, an answer showing `rateLimit` is each client's own.
        assert [(await ask(client, query, who)).json()["data"]["rateLimit"]["remaining"] for who in (dave, erin)] == [44, 48]


async def test_with_no_budget_nothing_is_charged_or_told(database, tmp_path):
    async with client_of(budget_settings(database, tmp_path, 0)) as client:
        response = await ask(client, BUDGET, address("10.13.6.1"), path="/graphql?cost=1")
        assert response.json() == {"data": {"rateLimit": None}, "extensions": {"cost": None}}
        assert "ratelimit" not in response.headers and "ratelimit-policy" not in response.headers


async def test_two_servers_charge_one_budget_through_redis(database, tmp_path, redis_url):
    settings = budget_settings(database, tmp_path, 6, redis_url=redis_url)
    async with client_of(settings) as a, client_of(settings) as b:
        frank = address("10.13.7.1")
        assert [left(await ask(server, EVERY_ISSUE_PAGE + f" # {n}", frank)) for n, server in enumerate((a, b))] == [3, 0]
        refused = await ask(a, TYPENAME, frank)
        assert refused.status_code == 429 and left(refused) == 0


async def test_an_answer_a_cdn_may_keep_tells_no_clients_figures(database, tmp_path):
    async with client_of(budget_settings(database, tmp_path, 10)) as client:
        params = {"query": "{ factories(first: 2) { totalCount } }"}
        shared = await client.get("/graphql", params=params, headers=address("10.13.8.1"))
        assert shared.status_code == 200 and "public" in shared.headers["cache-control"]
        # The policy is everyone's; what is left is this client's, and a CDN would hand it to the next.
        assert shared.headers["ratelimit-policy"] == '"hour";q=10;w=3600' and "ratelimit" not in shared.headers
        own = await client.get("/graphql", params=params | {"cost": "1"}, headers=address("10.13.8.1"))
        assert own.headers["cache-control"] == "private, no-store"
        assert left(own) == own.json()["extensions"]["cost"]["remaining"] == 8  # the GET before it was charged
