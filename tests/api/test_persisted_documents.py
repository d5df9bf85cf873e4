"""Persisted documents over real HTTP: automatic persisted queries (Apollo's protocol), shared by
every server over one database and bounded, and the trusted-documents mode."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os

import httpx
import pytest
from processes import free_port, portal
from servers import serving
from transparency_portal.schema.fastpath.executor import CompiledExecutor
from transparency_portal.schema.http.app import create_app
from worlds import world

LIST = "query List($first: Int) { factories(first: $first) { totalCount edges { node { name country { code } } } } }"
COUNTRIES = "{ countries { code name } }"
GRAPHQL_RESPONSE = "application/graphql-response+json"


def sha256(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def apq(document: str, version: int = 1) -> dict:
    return {"persistedQuery": {"version": version, "sha256Hash": sha256(document)}}


def code(response: httpx.Response) -> str:
    body = response.json()
    assert "data" not in body, body
    return body["errors"][0]["extensions"]["code"]


async def by_hash(client: httpx.AsyncClient, document: str, variables: dict | None = None, **kwargs) -> httpx.Response:
    return await client.post("/graphql", json={"extensions": apq(document), "variables": variables or {}}, **kwargs)


async def register(client: httpx.AsyncClient, document: str, variables: dict | None = None, **kwargs) -> httpx.Response:
    payload = {"query": document, "extensions": apq(document), "variables": variables or {}}
    return await client.post("/graphql", json=payload, **kwargs)


def executor(app) -> CompiledExecutor:
    layer = app.middleware_stack
    while not isinstance(layer, CompiledExecutor):
        layer = layer.app
    return layer


async def test_a_document_registered_on_one_server_runs_by_hash_on_another(api, load, settings):
    await load(world())
    missing = await by_hash(api.client, LIST, {"first": 3})
    assert missing.status_code == 200 and code(missing) == "PERSISTED_QUERY_NOT_FOUND"
    assert missing.json()["errors"][0]["message"] == "PersistedQueryNotFound"  # what Apollo's clients look for
    assert "no-store" in missing.headers["cache-control"]
    strict = await by_hash(api.client, LIST, {"first": 3}, headers={"accept": GRAPHQL_RESPONSE})
    assert strict.status_code == 400 and code(strict) == "PERSISTED_QUERY_NOT_FOUND"

    registered = await register(api.client, LIST, {"first": 3})
    assert registered.status_code == 200 and "errors" not in registered.json()
    data = registered.json()["data"]
    assert len(data["factories"]["edges"]) == 3
    assert (await by_hash(api.client, LIST, {"first": 3})).json() == {"data": data}

    # Another server process over the same database: it has never seen the document.
    async with serving(create_app(settings)) as base, httpx.AsyncClient(base_url=base) as other:
        assert (await by_hash(other, LIST, {"first": 3})).json() == {"data": data}
        params = {"extensions": json.dumps(apq(LIST)), "variables": json.dumps({"first": 3}), "operationName": "List"}
        over_get = await other.get("/graphql", params=params)
        assert over_get.status_code == 200 and over_get.json() == {"data": data}


async def test_a_list_named_by_hash_takes_the_fast_path(api, load):
    await load(world())
    assert (await register(api.client, LIST, {"first": 2})).status_code == 200
    compiled = executor(api.app)
    for send in (
        lambda: by_hash(api.client, LIST, {"first": 4}),
        lambda: api.client.get("/graphql", params={"extensions": json.dumps(apq(LIST)), "variables": '{"first": 5}'}),
    ):
        before = compiled.answered
        response = await send()
        assert response.status_code == 200 and "errors" not in response.json()
        # Answered by plan, and (golden mode) the same bytes as strawberry's.
        assert compiled.answered == before + 1 and compiled.mismatches == []


async def test_a_hash_that_is_not_the_documents_runs_nothing_and_keeps_nothing(api, load):
    await load(world())
    hijack = {"query": COUNTRIES, "extensions": apq(LIST)}
    for accept, status in (("application/json", 200), (GRAPHQL_RESPONSE, 400)):
        response = await api.client.post("/graphql", json=hijack, headers={"accept": accept})
        assert response.status_code == status and code(response) == "PERSISTED_QUERY_HASH_MISMATCH"
        assert response.json()["errors"][0]["message"] == "provided sha does not match query"
    assert code(await by_hash(api.client, LIST)) == "PERSISTED_QUERY_NOT_FOUND"
    # A version of the protocol we do not speak, or a hash that is no SHA-256.
    for extensions in (apq(LIST, version=2), {"persistedQuery": {"version": 1, "sha256Hash": "abc"}}):
        response = await api.client.post("/graphql", json={"query": LIST, "extensions": extensions})
        assert code(response) == "BAD_USER_INPUT"


async def test_document_ids_of_graphql_over_http_and_relay(api, load):
    await load(world())
    expected = (await register(api.client, COUNTRIES)).json()
    assert expected["data"]["countries"]
    for payload in ({"documentId": f"sha256:{sha256(COUNTRIES)}"}, {"doc_id": sha256(COUNTRIES)}):
        assert (await api.client.post("/graphql", json=payload)).json() == expected
    assert (await api.client.get("/graphql", params={"documentId": f"sha256:{sha256(COUNTRIES)}"})).json() == expected
    unknown = await api.client.post("/graphql", json={"doc_id": sha256(LIST)})
    assert code(unknown) == "PERSISTED_QUERY_NOT_FOUND"


async def test_registered_documents_are_bounded_in_size_and_number(engine, settings, load):
    await load(world())
    bounded = dataclasses.replace(settings, max_body_bytes=4096, persisted_max_documents=3)
    large = "# " + "x" * 5000 + "\n" + COUNTRIES
    async with serving(create_app(bounded)) as base, httpx.AsyncClient(base_url=base) as client:
        # Past the body limit over POST, and as a query parameter over GET: refused, not kept.
        assert (await register(client, large)).status_code == 413
        over_get = await client.get("/graphql", params={"query": large, "extensions": json.dumps(apq(large))})
        assert over_get.status_code == 413 and code(over_get) == "BAD_USER_INPUT"
        assert code(await by_hash(client, large)) == "PERSISTED_QUERY_NOT_FOUND"
        # At most 3 documents: registering a fourth and fifth drops the least recently used.
        documents = [f"{{ n{i}: countries {{ code }} }}" for i in range(5)]
        for document in documents:
            assert "errors" not in (await register(client, document)).json()
    async with serving(create_app(bounded)) as base, httpx.AsyncClient(base_url=base) as fresh:
        codes = [(await by_hash(fresh, document)).json().get("errors", [{}])[0].get("extensions", {}).get("code") for document in documents]
    assert codes == ["PERSISTED_QUERY_NOT_FOUND", "PERSISTED_QUERY_NOT_FOUND", None, None, None]


async def test_a_document_that_does_not_validate_is_answered_but_not_kept(api, load):
    await load(world())
    invalid = "{ countries { nope } }"
    assert code(await register(api.client, invalid)) == "GRAPHQL_VALIDATION_FAILED"
    assert code(await by_hash(api.client, invalid)) == "PERSISTED_QUERY_NOT_FOUND"


@pytest.fixture
def manifest(tmp_path):
    path = tmp_path / "persisted-documents.json"
    path.write_text(json.dumps({sha256(LIST): LIST, f"sha256:{sha256(COUNTRIES)}": COUNTRIES}))
    return str(path)


async def test_trusted_documents_only_for_anonymous_clients(api, settings, manifest, people):
    trusted = dataclasses.replace(settings, trusted_documents=manifest)
    unlisted = "{ countries { code } }"
    async with serving(create_app(trusted)) as base, httpx.AsyncClient(base_url=base) as client:
        # Listed: by hash (Apollo's extension, documentId, doc_id) and by its exact text.
        listed = (await by_hash(client, LIST, {"first": 1})).json()
        assert listed["data"]["factories"]["totalCount"] == 2
        assert (await client.post("/graphql", json={"query": LIST, "variables": {"first": 1}})).json() == listed
        for payload in ({"documentId": f"sha256:{sha256(COUNTRIES)}"}, {"doc_id": sha256(COUNTRIES)}):
            assert "errors" not in (await client.post("/graphql", json=payload)).json()
        get = await client.get("/graphql", params={"query": COUNTRIES})
        assert get.status_code == 200 and "errors" not in get.json()

        # Anything else, for an anonymous client (or one whose token is no valid one): refused.
        for token in (None, "tp_not-a-token"):
            headers = {"authorization": f"Bearer {token}"} if token else {}
            refused = await client.post("/graphql", json={"query": unlisted}, headers=headers)
            assert code(refused) == "DOCUMENT_NOT_TRUSTED" and "trusted documents" in refused.json()["errors"][0]["message"]
        assert code(await client.get("/graphql", params={"query": unlisted})) == "DOCUMENT_NOT_TRUSTED"
        assert code(await by_hash(client, unlisted)) == "PERSISTED_QUERY_NOT_FOUND"
        # No registration in this mode: the manifest is the list.
        assert code(await register(client, unlisted)) == "DOCUMENT_NOT_TRUSTED"
        assert code(await by_hash(client, unlisted)) == "PERSISTED_QUERY_NOT_FOUND"

        # A signed-in client (a supplier's or moderator's tool) runs what it needs.
        signed = await client.post("/graphql", json={"query": unlisted}, headers={"authorization": f"Bearer {people.alpha}"})
        assert signed.status_code == 200 and "errors" not in signed.json()
        viewer = await client.post("/graphql", json={"query": "{ viewer { name } }"}, headers={"authorization": f"Bearer {people.mod1}"})
        assert viewer.json() == {"data": {"viewer": {"name": "Moderator One"}}}


def test_a_bad_manifest_refuses_to_start(tmp_path):
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({sha256(LIST): COUNTRIES}))  # a key that is another document's hash
    env = {**os.environ, "PORTAL_DATABASE_URL": f"sqlite:///{tmp_path / 'portal.db'}", "PORTAL_TRUSTED_DOCUMENTS": str(path)}
    result = portal(env, "serve", "--port", str(free_port()), timeout=60)
    assert result.returncode != 0
    assert "is not the SHA-256 of its document" in result.stderr and str(path) in result.stderr
    path.write_text("[1, 2]")
    result = portal(env, "serve", "--port", str(free_port()), timeout=60)
    assert result.returncode != 0 and "PORTAL_TRUSTED_DOCUMENTS" in result.stderr
