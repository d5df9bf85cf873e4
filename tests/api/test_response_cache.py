"""The whole-response cache: fast repeats, ETags, and never a stale public answer."""

from __future__ import annotations

import base64

import httpx
from exports import all_compliant, assessment, merge
from servers import serving
from worlds import world

QUERY = '{ factory(id: "%s") { name nonComplianceCount latestAssessment { id } } }' % base64.b64encode(b"Factory:KH-NC").decode()


async def test_repeats_are_served_with_an_etag_and_304(api, load):
    await load(world())
    first = await api.client.post("/graphql", json={"query": QUERY})
    second = await api.client.post("/graphql", json={"query": QUERY})
    assert first.status_code == second.status_code == 200
    assert first.content == second.content and first.headers["etag"] == second.headers["etag"]
    assert "public" in second.headers["cache-control"]
    again = await api.client.post("/graphql", json={"query": QUERY}, headers={"if-none-match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    # Another language or media type is another answer.
    french = await api.client.post("/graphql", json={"query": QUERY}, headers={"accept-language": "fr"})
    assert french.headers["etag"] != first.headers["etag"]


async def test_a_write_through_another_process_is_seen_at_once(api, load, settings):
    await load(world())
    before = (await api.client.post("/graphql", json={"query": QUERY})).json()["data"]["factory"]
    assert before["nonComplianceCount"] == 1
    from transparency_portal.schema.http.app import create_app

    async with serving(create_app(settings)) as base, httpx.AsyncClient(base_url=base) as other:
        # Both servers have cached the answer ...
        assert (await other.post("/graphql", json={"query": QUERY})).json()["data"]["factory"] == before
        # ... then a newer assessment is published (the importer is a third party to both).
        await load(merge({"assessments": [assessment("KH-NC-A3", "KH-NC", 3, 5, all_compliant(**{"CHI-1": "NON_COMPLIANT", "OSH-7": "NON_COMPLIANT"}))]}))
        for client in (api.client, other):
            after = (await client.post("/graphql", json={"query": QUERY})).json()["data"]["factory"]
            assert after["nonComplianceCount"] == 2 and after["latestAssessment"]["id"] != before["latestAssessment"]["id"]


async def test_signed_in_requests_and_mutations_are_not_cached(api, load):
    await load(world())
    signed = await api.client.post("/graphql", json={"query": QUERY}, headers={"authorization": "Bearer tp_unknown"})
    assert signed.status_code == 200 and "etag" not in signed.headers
    mutation = 'mutation { withdrawResponse(id: "UmVzcG9uc2U6eA==") { id } }'
    first = await api.client.post("/graphql", json={"query": mutation})
    assert "etag" not in first.headers


async def test_answers_with_errors_are_not_kept(api, load):
    await load(world())
    missing = '{ factory(id: "%s") { name } }' % base64.b64encode(b"Factory:NOPE").decode()
    for query in (missing, "{ factories(first: 500) { totalCount } }"):
        answers = [await api.client.post("/graphql", json={"query": query}) for _ in range(2)]
        assert all(a.json()["errors"] for a in answers)
        assert all("etag" not in a.headers for a in answers)
        # An unexpected error would carry its own request id: never a copy of another's answer.
        assert answers[0].status_code == answers[1].status_code == 200
