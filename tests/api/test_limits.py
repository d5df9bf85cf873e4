"""Bounded queries: the node budget, the per-client rate limit and the request body cap.

Each limit is tested through real HTTP (uvicorn on loopback) around the real application.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import json

import httpx
import pytest
from exports import all_compliant, base_document, factory_with_history, merge
from graphql import get_introspection_query, parse
from servers import serving
from sqlalchemy import event

from transparency_portal.config import Settings
from transparency_portal.resolvers import factories as factory_reads
from transparency_portal.schema.http import app as app_module
from transparency_portal.schema.http.body_limit import BodyLimit
from transparency_portal.schema.extensions.cost import count_nodes
from transparency_portal.schema.extensions.limits import MAX_NODES, NodeBudget
from transparency_portal.schema.http.rate_limit import RateLimit
from transparency_portal.domain.moderation import Role
from transparency_portal.storage.db import make_engine, make_sessions
from transparency_portal.workflows.users import add_user, authenticate

GRAPHQL = app_module.schema._schema

# 100 + 100 x 40 findings + 4,000 x 50 responses.
DEEP = "{ factories(first: 100) { edges { node { latestAssessment { findings { responses { id } } } } } } }"
DEEP_NODES = 204_100

DEEP_WITH_FRAGMENT = """
query Deep($n: Int = 100) { factories(first: $n) { ...Page } }
fragment Page on FactoryConnection { edges { node { latestAssessment { ...Findings } } } }
fragment Findings on Assessment { findings { responses { id } } }
"""

PAGE = """query($first: Int) {
  factories(first: $first) {
    totalCount
    edges { cursor node { id name complianceStatus country { code name issues { code } }
      latestAssessment { id date nonCompliances { issue { code title } }
      findings { id status correction { reason } issue { id code title cluster } } } } }
    pageInfo { hasNextPage endCursor }
  }
}"""


# The count, on the document alone.


@pytest.mark.parametrize(
    ("query", "variables", "nodes"),
    [
        ("{ factories { totalCount } }", {}, 0),
        ("{ factories { nodes { name } } }", {}, 20),  # `first` absent: 20
        ("{ factories(first: null) { nodes { name } } }", {}, 20),
        ("{ factories(first: 7) { nodes { name } edges { cursor } } }", {}, 14),  # each list counts
        ("{ factories(first: 500) { nodes { name } } }", {}, 100),  # counted as the cap
        (DEEP, {}, DEEP_NODES),
        (DEEP_WITH_FRAGMENT, {}, DEEP_NODES),  # the variable's default
        (DEEP_WITH_FRAGMENT, {"n": 10}, 10 + 400 + 20_000),
        (DEEP_WITH_FRAGMENT, {"n": None}, 20 + 800 + 40_000),
        ("query($n: Int) { factories(first: $n) { nodes { name } } }", {}, 20),
        ("{ factories(first: 3) { nodes { ... on Factory { latestAssessment { findings { id } } } } } }", {}, 3 + 120),
        ("{ countries { issues { code } } }", {}, 100 + 100 * 40),  # unknown list: 100
        ('{ node(id: "x") { ... on Assessment { responses { attachments { url } } } } }', {}, 50 + 50 * 5),
        ("{ moderationQueue(first: 30) { edges { node { history { at } } } } }", {}, 30 + 30 * 100),
    ],
)
def test_the_worst_case_count(query, variables, nodes):
    assert count_nodes(GRAPHQL, parse(query), variables=variables) == nodes


def test_the_operation_named_is_the_one_counted():
    document = parse("query Small { factories(first: 1) { nodes { id } } } query Big { factories(first: 90) { nodes { id } } }")
    assert count_nodes(GRAPHQL, document, "Small") == 1
    assert count_nodes(GRAPHQL, document, "Big") == 90


def test_introspection_is_bounded_by_the_schema_and_fits():
    nodes = count_nodes(GRAPHQL, parse(get_introspection_query(descriptions=True)))
    assert 0 < nodes < MAX_NODES
    nested = "{ __schema { types { fields { type { fields { type { fields { type { fields { name } } } } } } } } } }"
    assert count_nodes(GRAPHQL, parse(nested)) > MAX_NODES


# The budget over HTTP.


def many_factories(count: int) -> dict:
    parts = [base_document()]
    for n in range(count):
        latest = all_compliant(**({"COM-2": "NON_COMPLIANT"} if n % 3 else {}))
        parts.append(factory_with_history(f"KH-{n:04d}", f"Factory {n:04d} (test)", latest=latest, country="KH" if n % 2 else "VN"))
    return merge(*parts)


@pytest.fixture
async def budget_api(settings, engine, monkeypatch):
    """The application with the node budget (MAX_NODES) among its schema's extensions, and a
    record of the factory pages its resolvers read and of the SQL they ran."""
    # The same schema (it cannot be built twice: relay fields keep state), with one more extension.
    schema = copy.copy(app_module.schema)
    schema.extensions = (*schema.extensions, lambda: NodeBudget(max_nodes=MAX_NODES))
    monkeypatch.setattr(app_module, "schema", schema)
    pages = []
    factory_page = factory_reads.factory_page

    async def recorded(*args, **kwargs):
        pages.append(args)
        return await factory_page(*args, **kwargs)

    monkeypatch.setattr(factory_reads, "factory_page", recorded)
    app = app_module.create_app(settings)
    statements = []
    for engine in app.state.hot_reads.sync_engines():
        event.listen(engine, "before_cursor_execute", lambda c, cur, statement, *a: statements.append(statement))
    async with serving(app) as base_url, httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        client.pages = pages
        client.statements = statements
        yield client


async def post(client, query: str, variables: dict | None = None, **kwargs) -> httpx.Response:
    return await client.post("/graphql", json={"query": query, "variables": variables or {}}, **kwargs)


async def test_a_query_over_the_node_budget_is_refused_before_it_runs(budget_api, load):
    await load(many_factories(3))
    for query in (DEEP, DEEP_WITH_FRAGMENT):
        response = await post(budget_api, query)
        body = response.json()
        assert response.status_code == 200, response.text  # application/json: every GraphQL result is 200
        assert body.get("data") is None
        [error] = body["errors"]
        assert error["extensions"] == {"code": "QUERY_TOO_COMPLEX", "nodes": DEEP_NODES, "maxNodes": MAX_NODES}
        assert "204,100 nodes" in error["message"] and "154,100 more than the limit of 50,000" in error["message"]
    # No resolver ran: no page was read, the public projection was not queried.
    assert budget_api.pages == [] and not [s for s in budget_api.statements if "public_factory" in s]

    strict = await post(budget_api, DEEP, headers={"accept": "application/graphql-response+json"})
    assert strict.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert budget_api.pages == []

    # The same document with a smaller page runs.
    response = await post(budget_api, DEEP_WITH_FRAGMENT, {"n": 2})
    body = response.json()
    assert "errors" not in body, body
    assert len(body["data"]["factories"]["edges"]) == 2 and len(budget_api.pages) == 1
    assert [s for s in budget_api.statements if "public_factory" in s]


async def test_a_page_of_100_factories_with_findings_passes(budget_api, load):
    await load(many_factories(100))
    assert count_nodes(GRAPHQL, parse(PAGE), variables={"first": 100}) == 12_100
    response = await post(budget_api, PAGE, {"first": 100})
    body = response.json()
    assert "errors" not in body, body
    edges = body["data"]["factories"]["edges"]
    assert len(edges) == 100 and all(e["node"]["latestAssessment"]["findings"] for e in edges)
    introspection = await post(budget_api, get_introspection_query(descriptions=True))
    assert "errors" not in introspection.json()


# The rate limit.


@pytest.fixture
def plain_settings(tmp_path, sqlite_url):
    """An empty, migrated SQLite database: the middlewares do not depend on the backend."""
    return Settings(database_url=sqlite_url, storage_dir=tmp_path / "attachments")


TYPENAME = {"query": "{ __typename }"}


def as_client(token: str | None = None, address: str | None = None) -> dict:
    # uvicorn takes the client address from X-Forwarded-For when the peer is 127.0.0.1, as it is here.
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return headers | ({"x-forwarded-for": address} if address else {})


async def statuses(client, count: int, path: str = "/graphql", **headers) -> list[int]:
    out = []
    for _ in range(count):
        if path == "/graphql":
            response = await client.post(path, json=TYPENAME, headers=headers)
        else:
            response = await client.get(path, headers=headers)
        out.append(response.status_code)
    return out


async def real_tokens(settings, *names: str) -> list[str]:
    engine = make_engine(settings.database_url)
    sessions = make_sessions(engine)
    try:
        return [(await add_user(sessions, name=name, role=Role.MODERATOR)).token for name in names]
    finally:
        await engine.dispose()


def limited(settings, requests_per_minute: int):
    sessions = make_sessions(make_engine(settings.database_url))
    return RateLimit(
        app_module.create_app(settings), requests_per_minute=requests_per_minute,
        authenticate=functools.partial(authenticate, sessions),
    )


async def test_the_sixth_request_in_a_minute_is_429_with_retry_after(plain_settings):
    alice_token, bob_token = await real_tokens(plain_settings, "Alice", "Bob")
    app = limited(plain_settings, 5)
    async with serving(app) as base_url, httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        alice = as_client(token=alice_token, address="10.0.0.1")
        assert await statuses(client, 5, **alice) == [200] * 5
        refused = await client.post("/graphql", json=TYPENAME, headers=alice)
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/json"
        retry_after = int(refused.headers["retry-after"])
        assert 1 <= retry_after <= 60  # the oldest of the five leaves the minute's window
        # Told as the points budget tells its own (IETF RateLimit headers), for this minute.
        assert refused.headers["ratelimit-policy"] == '"minute";q=5;w=60'
        assert refused.headers["ratelimit"] == f'"minute";r=0;t={retry_after}'
        [error] = refused.json()["errors"]
        assert error["extensions"] == {"code": "RATE_LIMITED", "retryAfter": retry_after}
        assert "at most 5 a minute" in error["message"]

        # Another token from the same address has its own allowance.
        assert await statuses(client, 5, **as_client(token=bob_token, address="10.0.0.1")) == [200] * 5
        # /healthz is never limited.
        assert await statuses(client, 12, "/healthz", **alice) == [200] * 12

        # Without a token, the address is the client.
        assert await statuses(client, 6, **as_client(address="10.0.0.2")) == [200] * 5 + [429]
        assert await statuses(client, 1, **as_client(address="10.0.0.3")) == [200]
        # A new token is a new client only as far as its address allows: alice and bob's first
        # requests came from 10.0.0.1, so made-up tokens get the 3 requests left there.
        made_up = [
            (await client.post("/graphql", json=TYPENAME, headers=as_client(token=f"ptk_{n}", address="10.0.0.1"))).status_code
            for n in range(5)
        ]
        assert made_up == [200] * 3 + [429] * 2


async def test_invented_tokens_are_charged_to_the_address_every_time(plain_settings):
    """One address rotating invented tokens gets the address's allowance, not one per token;
    a repeated invented token is no client of its own either."""
    [real] = await real_tokens(plain_settings, "Real")
    app = limited(plain_settings, 5)
    async with serving(app) as base_url, httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        fresh = [
            (await client.post("/graphql", json=TYPENAME, headers=as_client(token=f"ptk_x{n}", address="10.0.1.1"))).status_code
            for n in range(8)
        ]
        assert fresh == [200] * 5 + [429] * 3
        # Two invented tokens, each used again and again: no bucket of their own.
        alternating = [
            (await client.post("/graphql", json=TYPENAME, headers=as_client(token=f"ptk_{n % 2}", address="10.0.1.2"))).status_code
            for n in range(10)
        ]
        assert alternating == [200] * 5 + [429] * 5
        # A real token from the spent address still has its own allowance (its first request
        # is also taken from the address: from a fresh one here).
        assert await statuses(client, 5, **as_client(token=real, address="10.0.1.3")) == [200] * 5


async def test_zero_turns_the_rate_limit_off(plain_settings):
    app = limited(plain_settings, 0)
    async with serving(app) as base_url, httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        assert await statuses(client, 30) == [200] * 30


# The body cap.


def body_client(plain_settings, max_body_bytes: int = 256 * 1024):
    app = BodyLimit(app_module.create_app(plain_settings), max_body_bytes=max_body_bytes)
    return serving(app)


def json_body(size: int) -> bytes:
    """A `{ __typename }` request of about `size` bytes (an unused variable pads it)."""
    return json.dumps({"query": "{ __typename }", "variables": {"pad": "x" * size}}).encode()


async def chunks(body: bytes, size: int = 16 * 1024):
    for start in range(0, len(body), size):
        yield body[start : start + size]
        await asyncio.sleep(0)


async def test_request_bodies_over_the_cap_are_413(plain_settings):
    async with body_client(plain_settings) as base_url, httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        json_type = {"content-type": "application/json"}
        small = await client.post("/graphql", content=json_body(200_000), headers=json_type)
        assert small.status_code == 200 and small.json() == {"data": {"__typename": "Query"}}

        large = await client.post("/graphql", content=json_body(300_000), headers=json_type)
        assert large.status_code == 413
        [error] = large.json()["errors"]
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "maxBodyBytes": 256 * 1024}

        # Chunked, without Content-Length: counted as it streams.
        streamed = await client.post("/graphql", content=chunks(json_body(200_000)), headers=json_type)
        assert "content-length" not in streamed.request.headers
        assert streamed.status_code == 200 and streamed.json() == {"data": {"__typename": "Query"}}
        streamed = await client.post("/graphql", content=chunks(json_body(300_000)), headers=json_type)
        assert streamed.status_code == 413
        assert streamed.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"

        # A Content-Length that says little while the body goes on is not believed (httpx
        # would not send more than it declared: this one talks to the ASGI app directly).
        app = BodyLimit(_echo_length, max_body_bytes=1000)
        sent = await _call(app, [b"x" * 600, b"x" * 600], headers=[(b"content-length", b"10")])
        assert sent[0]["status"] == 413

        # Multipart bodies are left to the upload guard (which refuses anonymous ones: 401, not 413).
        multipart = await client.post(
            "/graphql",
            data={"operations": json.dumps({"query": "{ __typename }"}), "map": "{}"},
            files={"0": ("big.bin", b"x" * 280_000, "application/octet-stream")},
        )
        assert multipart.status_code == 401 and multipart.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def _echo_length(scope, receive, send):
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": str(len(body)).encode()})


async def _call(app, pieces: list[bytes], headers: list) -> list[dict]:
    messages = [{"type": "http.request", "body": p, "more_body": i < len(pieces) - 1} for i, p in enumerate(pieces)]
    sent = []

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    await app({"type": "http", "method": "POST", "path": "/graphql", "headers": headers}, receive, send)
    return sent
