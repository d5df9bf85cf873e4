"""GET requests a CDN may cache: public answers with `Cache-Control: public, max-age=N`, a strong
ETag and `Vary`; nothing shared for signed-in answers, answers with errors, or mutations."""

from __future__ import annotations

import dataclasses
import hashlib
import json

import httpx
from servers import serving
from transparency_portal.schema.http.app import create_app
from worlds import world

LIST = "{ factories(first: 3) { totalCount edges { node { name } } } }"
VARY = {"accept", "accept-language", "authorization"}


def vary(response: httpx.Response) -> set[str]:
    return {part.strip().lower() for part in response.headers.get("vary", "").split(",")}


async def test_a_public_get_is_cacheable_by_a_cdn_and_revalidates_with_304(api, load):
    await load(world())
    first = await api.client.get("/graphql", params={"query": LIST})
    assert first.status_code == 200 and first.json()["data"]["factories"]["totalCount"] == 8
    assert first.headers["cache-control"] == "public, max-age=60"
    etag = first.headers["etag"]
    assert etag.startswith('"') and not etag.startswith("W/")  # strong: a CDN may serve ranges and compare bytes
    assert VARY <= vary(first)
    again = await api.client.get("/graphql", params={"query": LIST}, headers={"if-none-match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag and again.headers["cache-control"] == "public, max-age=60" and VARY <= vary(again)
    # Another language is another answer, with its own tag.
    french = await api.client.get("/graphql", params={"query": LIST}, headers={"accept-language": "fr"})
    assert french.headers["etag"] != etag
    # POST answers keep what they had: a shared cache does not store them.
    posted = await api.client.post("/graphql", json={"query": LIST})
    assert posted.headers["cache-control"] == "public, max-age=30, must-revalidate"


async def test_apq_over_get_is_cacheable_and_max_age_follows_the_setting(engine, settings, load):
    await load(world())
    digest = hashlib.sha256(LIST.encode()).hexdigest()
    extensions = json.dumps({"persistedQuery": {"version": 1, "sha256Hash": digest}})
    app = create_app(dataclasses.replace(settings, public_max_age=300))
    async with serving(app) as base, httpx.AsyncClient(base_url=base) as client:
        missing = await client.get("/graphql", params={"extensions": extensions})
        assert missing.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
        assert missing.headers["cache-control"] == "no-store" and "etag" not in missing.headers
        registered = await client.get("/graphql", params={"query": LIST, "extensions": extensions})
        assert registered.status_code == 200 and "errors" not in registered.json()
        by_hash = await client.get("/graphql", params={"extensions": extensions})
        assert by_hash.json() == registered.json()
        assert by_hash.headers["cache-control"] == "public, max-age=300" and "etag" in by_hash.headers
        revalidated = await client.get("/graphql", params={"extensions": extensions}, headers={"if-none-match": by_hash.headers["etag"]})
        assert revalidated.status_code == 304


async def test_a_mutation_over_get_is_refused_even_by_hash(api, load):
    await load(world())
    mutation = 'mutation { withdrawResponse(id: "UmVzcG9uc2U6eA==") { id } }'
    refused = await api.client.get("/graphql", params={"query": mutation})
    assert refused.status_code == 405 and refused.headers["allow"] == "POST"
    assert refused.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert refused.headers["cache-control"] == "no-store"
    # Registered over POST (it runs there, and fails: no token), then named by hash over GET.
    digest = hashlib.sha256(mutation.encode()).hexdigest()
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    await api.client.post("/graphql", json={"query": mutation, "extensions": extensions})
    by_hash = await api.client.get("/graphql", params={"extensions": json.dumps(extensions)})
    assert by_hash.status_code == 405 and by_hash.headers["allow"] == "POST"


async def test_signed_in_gets_are_private_and_errors_are_not_stored(api, load, people):
    signed = await api.client.get("/graphql", params={"query": LIST}, headers={"authorization": f"Bearer {people.alpha}"})
    assert signed.status_code == 200 and "errors" not in signed.json()
    assert signed.headers["cache-control"] == "private, no-store" and "etag" not in signed.headers
    assert VARY <= vary(signed)
    # Even a token that is no valid one: the answer went to a request a CDN must not share.
    unknown = await api.client.get("/graphql", params={"query": LIST}, headers={"authorization": "Bearer tp_nope"})
    assert unknown.headers["cache-control"] == "private, no-store"
    for query in ('{ factory(id: "RmFjdG9yeTpOT1BF") { name } }', "{ factories(first: 500) { totalCount } }", "{ nope }"):
        failed = await api.client.get("/graphql", params={"query": query})
        assert failed.json()["errors"]
        assert failed.headers["cache-control"] == "no-store" and "etag" not in failed.headers


def answer_cache(app):
    from transparency_portal.schema.http.answer_cache import ResponseCache

    layer = app.middleware_stack
    while not isinstance(layer, ResponseCache):
        layer = layer.app
    return layer


async def test_a_large_answer_is_kept_once_it_is_asked_for_again(api, load):
    """A large answer (a list page) asked for once, such as a page after a random cursor, is not
    kept; asked for again, it is, and from then on revalidates with 304. Small answers are kept
    at once."""
    await load(world())
    small = await api.client.get("/graphql", params={"query": "{ __typename }"})
    assert (await api.client.get("/graphql", params={"query": "{ __typename }"}, headers={"if-none-match": small.headers["etag"]})).status_code == 304
    cache = answer_cache(api.app)
    first = await api.client.get("/graphql", params={"query": LIST})
    cache.admit_bytes = len(first.content)  # this page is large, for the test's small world
    page = "{ factories(first: 4) { totalCount edges { node { name } } } }"
    once = await api.client.get("/graphql", params={"query": page})
    assert len(once.content) >= cache.admit_bytes and once.headers["cache-control"] == "public, max-age=60"
    etag = once.headers["etag"]
    twice = await api.client.get("/graphql", params={"query": page}, headers={"if-none-match": etag})
    assert twice.status_code == 200 and twice.content == once.content and twice.headers["etag"] == etag
    thrice = await api.client.get("/graphql", params={"query": page}, headers={"if-none-match": etag})
    assert thrice.status_code == 304 and thrice.content == b""
