"""GET /feeds/changes.atom: the newest 100 changes as Atom 1.0, parsed as a feed reader would
(feedparser), with the filters of `changes`, links to the factories and conditional requests.
Real HTTP, both databases."""

from __future__ import annotations

import dataclasses
from urllib.parse import quote

import feedparser
import httpx
from exports import (
    all_compliant,
    assessment,
    base_document,
    factory_with_history,
    merge,
)
from ids import gid
from servers import serving
from transparency_portal.schema.http.app import create_app

FEED = "/feeds/changes.atom"
CHANGES = "{ changes(first: 100) { edges { node { kind at factoryId } } } }"


def world() -> dict:
    return merge(
        base_document(),
        factory_with_history("KH-A", "Alpha Garments (test)"),
        factory_with_history("KH-B", 'Beta <Knits> & "Sons"\x01 (test)'),
        factory_with_history("VN-C", "Gamma Shoes (test)", country="VN"),
    )


def parsed(response: httpx.Response) -> feedparser.FeedParserDict:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


async def test_each_change_is_an_entry_titled_in_words_newest_first(api, load):
    await load(world())
    await load(merge({"assessments": [assessment("KH-A-A3", "KH-A", 3, 20, all_compliant(**{"CHI-1": "NON_COMPLIANT", "OSH-7": "NON_COMPLIANT"}))]}))
    feed = parsed(await api.client.get(FEED))

    assert [e.title for e in feed.entries] == [
        "Alpha Garments (test): new assessment published, 2 non-compliances",
        "Gamma Shoes (test): now public, no non-compliance",
        'Beta <Knits> & "Sons" (test): now public, 1 non-compliance',
        "Alpha Garments (test): now public, 1 non-compliance",
    ]
    changes = [e["node"] for e in (await api.query(CHANGES))["changes"]["edges"]][::-1]
    for entry, change in zip(feed.entries, changes, strict=True):
        assert entry.id.startswith("urn:uuid:")
        assert entry.updated == change["at"].replace("+00:00", "Z")
        assert entry.tags[0].term == change["kind"]
        assert change["factoryId"] in entry.summary
    assert len({e.id for e in feed.entries}) == 4
    assert feed.feed.id.startswith("urn:uuid:") and feed.feed.title and feed.feed.updated

    # The link is the factory's node over GET /graphql: following it gives the factory.
    link = feed.entries[0].link
    assert link.startswith("/graphql?")
    answer = (await api.client.get(link)).json()
    assert answer["data"]["node"]["name"] == "Alpha Garments (test)"
    # The same entry ids on every reading.
    assert [e.id for e in parsed(await api.client.get(FEED)).entries] == [e.id for e in feed.entries]


async def test_a_factory_url_template_makes_the_links(settings, engine, load):
    await load(world())
    app = create_app(dataclasses.replace(settings, factory_url="https://portal.example/f/{id}"))
    async with serving(app) as base_url, httpx.AsyncClient(base_url=base_url) as client:
        feed = parsed(await client.get(FEED))
    assert feed.entries[-1].link == "https://portal.example/f/" + quote(gid("Factory", "KH-A"), safe="")


async def test_the_filters_of_changes_as_query_parameters(api, load):
    await load(world())
    titles = lambda response: [e.title.split(":")[0] for e in parsed(response).entries]
    assert titles(await api.client.get(FEED, params={"country": "vn"})) == ["Gamma Shoes (test)"]
    both = await api.client.get(FEED, params=[("factory", gid("Factory", "KH-A")), ("factory", gid("Factory", "VN-C"))])
    assert titles(both) == ["Gamma Shoes (test)", "Alpha Garments (test)"]
    assert titles(await api.client.get(FEED, params={"country": "KH", "factory": gid("Factory", "VN-C")})) == []

    unknown = await api.client.get(FEED, params={"country": "ZZ"})
    assert unknown.status_code == 404 and unknown.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    for params in ({"country": "Cambodia"}, {"colour": "red"}, {"factory": "not an id"}):
        refused = await api.client.get(FEED, params=params)
        assert refused.status_code == 400, params
        assert refused.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_etag_and_last_modified_answer_304_until_the_next_change(api, load):
    await load(world())
    first = await api.client.get(FEED)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert etag.startswith('"') and first.headers["cache-control"] == "public, no-cache"

    same = await api.client.get(FEED, headers={"if-none-match": etag})
    assert same.status_code == 304 and same.content == b"" and same.headers["etag"] == etag
    assert (await api.client.get(FEED, headers={"if-modified-since": modified})).status_code == 304
    # If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2).
    assert (await api.client.get(FEED, headers={"if-none-match": '"other"', "if-modified-since": modified})).status_code == 200

    # A correction of an answer Cambodia does not report publicly changes nothing public.
    unreported = all_compliant(**{"COM-2": "NON_COMPLIANT", "WT-4": "NON_COMPLIANT"})
    await load(merge({"assessments": [assessment("KH-A-A2", "KH-A", 3, 100, unreported)]}), correction_reason="Re-counted")
    assert (await api.client.get(FEED, headers={"if-none-match": etag})).status_code == 304

    await load(merge({"assessments": [assessment("KH-A-A3", "KH-A", 3, 20, all_compliant())]}))
    changed = await api.client.get(FEED, headers={"if-none-match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert len(parsed(changed).entries) == 4


async def test_the_feed_holds_the_newest_hundred_changes(api, load):
    factories = [factory_with_history(f"KH-{n:03d}", f"Factory {n:03d} (test)") for n in range(105)]
    await load(merge(base_document(), *factories))
    entries = parsed(await api.client.get(FEED)).entries
    assert len(entries) == 100
    assert {e.title.split(":")[0] for e in entries} == {f"Factory {n:03d} (test)" for n in range(5, 105)}
