"""The change feed (`changes`): what each change of a public record writes, the filters, the
cursors, and the replay property (reading the feed from its start gives today's public factories),
on demo data and with the server's clock moved past an embargo and an exit. Real HTTP, both
databases."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, time, timedelta

import httpx
import pytest
from api_client import Api
from clocks import Clock
from exports import (
    TODAY,
    all_compliant,
    assessment,
    base_document,
    cycles,
    days_ago,
    factory_with_history,
    merge,
)
from graphql import parse
from ids import gid, key
from processes import free_port
from servers import serving
from transparency_portal.domain.moderation import Role
from transparency_portal.schema.build import schema
from transparency_portal.schema.extensions.cost import measure
from transparency_portal.schema.http.app import create_app
from transparency_portal.storage import public_change_writer
from transparency_portal.storage.public_change_writer import RECORD_CHUNK
from transparency_portal.workflows.users import add_user

CHANGES = """query($first: Int, $after: String, $filter: ChangeFilter) {
  changes(first: $first, after: $after, filter: $filter) {
    edges { cursor node { id kind at factoryId assessmentId findingId responseId factory { id name } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""
PUBLIC_LIST = """query($after: String) { factories(first: 100, after: $after) {
  edges { node { id } } pageInfo { hasNextPage endCursor } } }"""
SUBMIT = """mutation($input: SubmitResponseInput!) { submitResponse(input: $input) { id version } }"""
APPROVE = "mutation($id: ID!, $version: Int!) { approveResponse(id: $id, version: $version) { state version } }"
REMOVE = """mutation($id: ID!, $version: Int!) {
  removeResponse(id: $id, version: $version, reason: OFF_TOPIC) { state version } }"""


async def read_feed(api, after: str | None = None, filter: dict | None = None, first: int = 7) -> tuple[list[dict], str]:
    """Every change after `after`, a page at a time, and the cursor to poll from next."""
    changes = []
    while True:
        page = (await api.query(CHANGES, {"first": first, "after": after, "filter": filter}))["changes"]
        changes += [edge["node"] for edge in page["edges"]]
        assert page["pageInfo"]["endCursor"], "every page says where to go on from"
        after = page["pageInfo"]["endCursor"]
        if not page["pageInfo"]["hasNextPage"]:
            return changes, after


def summary(changes: list[dict]) -> list[tuple]:
    """(kind, factory key, assessment key, finding key, response id) of each change."""
    return [
        (
            c["kind"], key(c["factoryId"]), c["assessmentId"] and key(c["assessmentId"]),
            c["findingId"] and key(c["findingId"]), c["responseId"],
        )
        for c in changes
    ]


def replayed(changes: list[dict]) -> set[str]:
    """The factories whose last change is not FACTORY_UNPUBLISHED: public, by the feed."""
    last = {}
    for change in changes:
        last[key(change["factoryId"])] = change["kind"]
    return {factory for factory, kind in last.items() if kind != "FACTORY_UNPUBLISHED"}


async def public_now(api) -> set[str]:
    found, after = set(), None
    while True:
        page = (await api.query(PUBLIC_LIST, {"after": after}))["factories"]
        found |= {key(e["node"]["id"]) for e in page["edges"]}
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


async def respond(api, sessions, factory: str, assessment_id: str, finding: str | None = None) -> dict:
    supplier = (await add_user(sessions, name=f"{factory} desk", role=Role.SUPPLIER, factory_source_id=factory)).token
    variables = {"input": {"assessmentId": gid("Assessment", assessment_id), "text": "Fans were installed in March."}}
    if finding:
        variables["input"]["findingId"] = gid("Finding", f"{assessment_id}/{finding}")
    return (await api.query(SUBMIT, variables, supplier))["submitResponse"]


async def moderator(sessions) -> str:
    return (await add_user(sessions, name="Feed Moderator", role=Role.MODERATOR)).token


async def test_an_empty_feed_still_says_where_to_poll_from(api):
    page = (await api.query(CHANGES, {"first": 5}))["changes"]
    assert page["edges"] == []
    assert page["pageInfo"]["endCursor"] and page["pageInfo"]["startCursor"] is None
    assert page["pageInfo"]["hasNextPage"] is False and page["pageInfo"]["hasPreviousPage"] is False
    again = (await api.query(CHANGES, {"first": 5, "after": page["pageInfo"]["endCursor"]}))["changes"]
    assert again["edges"] == [] and again["pageInfo"]["hasPreviousPage"] is True


async def test_imports_corrections_refusals_and_decisions_each_write_what_the_public_sees_change(api, load, sessions):
    world = merge(
        base_document(),
        factory_with_history("KH-A", "Alpha Garments (test)"),
        factory_with_history("KH-B", "Beta Garments (test)"),
        factory_with_history("VN-C", "Gamma Shoes (test)", country="VN", type="FOOTWEAR"),
    )
    await load(world)
    changes, cursor = await read_feed(api)
    assert summary(changes) == [
        ("FACTORY_PUBLISHED", f, f"{f}-A2", None, None) for f in ("KH-A", "KH-B", "VN-C")
    ]
    assert changes[0]["factory"]["name"] == "Alpha Garments (test)"

    # The same export again changes nothing: nothing is written.
    await load(world)
    assert (await read_feed(api, cursor))[0] == []

    # A new published assessment, for KH-A only.
    await load(merge({"assessments": [assessment("KH-A-A3", "KH-A", 3, 20, all_compliant(**{"CHI-1": "NON_COMPLIANT"}))]}))
    changes, cursor = await read_feed(api, cursor)
    assert summary(changes) == [("ASSESSMENT_PUBLISHED", "KH-A", "KH-A-A3", None, None)]

    # A correction of a public finding: FINDING_CORRECTED, naming the finding and nothing more.
    corrected = assessment("KH-A-A3", "KH-A", 3, 20, all_compliant())
    await load(merge({"assessments": [corrected]}), correction_reason="Child labour finding entered on the wrong factory")
    changes, cursor = await read_feed(api, cursor)
    assert summary(changes) == [("FINDING_CORRECTED", "KH-A", "KH-A-A3", "KH-A-A3/CHI-1", None)]
    assert set(changes[0]) == {"id", "kind", "at", "factoryId", "assessmentId", "findingId", "responseId", "factory"}

    # A correction of an answer Cambodia does not report publicly shows nowhere: nothing is written.
    await load(
        merge({"assessments": [assessment("KH-A-A3", "KH-A", 3, 20, all_compliant(**{"WT-4": "NON_COMPLIANT"}))]}),
        correction_reason="Working time re-counted",
    )
    assert (await read_feed(api, cursor))[0] == []

    # Two unexcused refusals since the latest assessment are highlighted: FACTORY_UPDATED.
    await load(merge({"refusals": [{"factory": "KH-B", "date": days_ago(10)}, {"factory": "KH-B", "date": days_ago(5)}]}))
    changes, cursor = await read_feed(api, cursor)
    assert summary(changes) == [("FACTORY_UPDATED", "KH-B", "KH-B-A2", None, None)]

    # A response: nothing while submitted, RESPONSE_PUBLISHED when approved, RESPONSE_UNPUBLISHED when removed.
    mod = await moderator(sessions)
    whole = await respond(api, sessions, "KH-B", "KH-B-A2")
    on_finding = await respond(api, sessions, "KH-B", "KH-B-A2", finding="COM-2")
    assert (await read_feed(api, cursor))[0] == []
    await api.query(APPROVE, {"id": whole["id"], "version": 1}, mod)
    await api.query(APPROVE, {"id": on_finding["id"], "version": 1}, mod)
    changes, cursor = await read_feed(api, cursor)
    assert summary(changes) == [
        ("RESPONSE_PUBLISHED", "KH-B", "KH-B-A2", None, whole["id"]),
        ("RESPONSE_PUBLISHED", "KH-B", "KH-B-A2", "KH-B-A2/COM-2", on_finding["id"]),
    ]
    await api.query(REMOVE, {"id": whole["id"], "version": 2}, mod)
    changes, cursor = await read_feed(api, cursor)
    assert summary(changes) == [("RESPONSE_UNPUBLISHED", "KH-B", "KH-B-A2", None, whole["id"])]

    # A newer assessment takes the approved response out of view with the old findings.
    await load(merge({"assessments": [assessment("KH-B-A3", "KH-B", 3, 15, all_compliant())]}))
    changes, cursor = await read_feed(api, cursor)
    assert summary(changes) == [
        ("RESPONSE_UNPUBLISHED", "KH-B", "KH-B-A2", "KH-B-A2/COM-2", on_finding["id"]),
        ("ASSESSMENT_PUBLISHED", "KH-B", "KH-B-A3", None, None),
    ]

    # Filters: by country, by factory (AND across fields, OR within one).
    everything, _ = await read_feed(api)
    assert {key(c["factoryId"]) for c in (await read_feed(api, filter={"country": ["vn"]}))[0]} == {"VN-C"}
    by_factory, _ = await read_feed(api, filter={"factory": [gid("Factory", "KH-A"), gid("Factory", "VN-C")]})
    assert by_factory == [c for c in everything if key(c["factoryId"]) in ("KH-A", "VN-C")]
    assert (await read_feed(api, filter={"country": ["KH"], "factory": [gid("Factory", "VN-C")]}))[0] == []
    # Ids are the API's: each resolves while it is public.
    assert len({c["id"] for c in everything}) == len(everything)
    assert replayed(everything) == await public_now(api) == {"KH-A", "KH-B", "VN-C"}


async def test_a_filtered_poll_moves_on_past_changes_it_does_not_want(api, load):
    await load(merge(base_document(), factory_with_history("KH-A", "Alpha Garments (test)")))
    page = (await api.query(CHANGES, {"filter": {"country": ["VN"]}}))["changes"]
    assert page["edges"] == []
    await load(merge(factory_with_history("VN-C", "Gamma Shoes (test)", country="VN")))
    page = (await api.query(CHANGES, {"after": page["pageInfo"]["endCursor"], "filter": {"country": ["VN"]}}))["changes"]
    assert [key(e["node"]["factoryId"]) for e in page["edges"]] == ["VN-C"]


async def test_page_size_and_cursors_are_checked(api):
    errors = await api.errors(CHANGES, {"first": 101})
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT" and errors[0]["extensions"]["argument"] == "first"
    for cursor in ("nonsense", "ZmFjdG9yaWVzOnYxOlsxXQ"):  # garbage, and another list's cursor
        errors = await api.errors(CHANGES, {"after": cursor})
        assert errors[0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": "after"}
    errors = await api.errors(CHANGES, {"filter": {"country": ["Cambodia"]}})
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_the_feed_is_counted_like_any_connection():
    deep = "{ changes(first: 100) { edges { node { id factory { latestAssessment { findings { id } } } } } } }"
    assert measure(schema._schema, parse(deep)) == (100 + 100 * 40, 1)


async def test_a_query_of_too_many_feed_pages_is_refused_before_it_runs(api):
    page = "changes(first: 100) { nodes { factory { latestAssessment { findings { id } } } } }"
    errors = await api.errors("{ " + " ".join(f"a{n}: {page}" for n in range(30)) + " }")
    assert errors[0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"


async def test_replaying_the_feed_of_the_demo_gives_todays_public_factories_on_every_day(settings, engine, sessions):
    from transparency_portal.workflows.demo import load_demo

    await load_demo(sessions, factories=150)
    clock = Clock()
    async with serving(create_app(settings, clock=clock)) as base_url, httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        api = Api(http)
        changes, cursor = await read_feed(api, first=100)
        public = await public_now(api)
        assert len(public) > 50 and replayed(changes) == public
        assert {"FACTORY_PUBLISHED", "FINDING_CORRECTED"} <= {c["kind"] for c in changes}
        # Four hundred days on, the factories that left have gone at the end of their cycles.
        clock.move_to(TODAY + timedelta(days=400))
        later, _ = await read_feed(api, cursor, first=100)
        assert "FACTORY_UNPUBLISHED" in {c["kind"] for c in later}
        assert replayed(changes + later) == await public_now(api) < public


PUBLICATION_DAY = TODAY + timedelta(days=10)
LAST_DAY = TODAY + timedelta(days=4)  # the end of the leaving factory's last cycle


def calendar_world() -> dict:
    """KH-NEXT: a newer assessment embargoed until PUBLICATION_DAY; KH-FIRST: public from then
    (its second assessment); KH-GONE: left the programme, public until LAST_DAY."""
    embargoed = lambda id, factory: assessment(id, factory, 3, 10, all_compliant(**{"CHI-1": "NON_COMPLIANT"})) | {
        "publishedOn": PUBLICATION_DAY.isoformat()
    }
    following = factory_with_history("KH-NEXT", "Next Day Garments (test)")
    following["assessments"].append(embargoed("KH-NEXT-A3", "KH-NEXT"))
    first = {
        "factories": [{"id": "KH-FIRST", "name": "First Light Apparel (test)", "type": "APPAREL", "country": "KH"}],
        "cycles": cycles("KH-FIRST"),
        "assessments": [assessment("KH-FIRST-A1", "KH-FIRST", 3, 100, all_compliant()), embargoed("KH-FIRST-A2", "KH-FIRST")],
    }
    gone = factory_with_history("KH-GONE", "Gone Knits (test)", left_on=days_ago(30), last_cycle_end_in_days=4)
    return merge(base_document(), factory_with_history("KH-BASE", "Base Line Apparel (test)"), following, first, gone)


@pytest.fixture
async def calendar(settings, engine, load, sessions):
    await load(calendar_world())
    clock = Clock()
    async with serving(create_app(settings, clock=clock)) as base_url, httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        yield Api(http), clock, sessions


def start_of(day) -> str:
    return datetime.combine(day, time.min, UTC).isoformat()


async def test_the_calendar_writes_embargoes_ending_and_factories_leaving_at_the_start_of_their_day(calendar):
    api, clock, sessions = calendar
    mod = await moderator(sessions)
    staying = await respond(api, sessions, "KH-NEXT", "KH-NEXT-A2")
    leaving = await respond(api, sessions, "KH-GONE", "KH-GONE-A2", finding="COM-2")
    for response in (staying, leaving):
        await api.query(APPROVE, {"id": response["id"], "version": 1}, mod)

    changes, cursor = await read_feed(api)
    assert replayed(changes) == await public_now(api) == {"KH-BASE", "KH-NEXT", "KH-GONE"}
    # Nothing of an embargoed assessment before its day.
    assert not [c for c in changes if c["assessmentId"] in (gid("Assessment", "KH-NEXT-A3"), gid("Assessment", "KH-FIRST-A2"))]
    assert "KH-FIRST" not in {key(c["factoryId"]) for c in changes}

    clock.move_to(LAST_DAY)  # still public on its last day
    assert (await read_feed(api, cursor))[0] == []

    clock.move_to(PUBLICATION_DAY)
    changes, cursor = await read_feed(api, cursor)
    # The exit's day first (its response before the factory), then the publication day's, each
    # factory's in its own order.
    assert summary(changes[:2]) == [
        ("RESPONSE_UNPUBLISHED", "KH-GONE", "KH-GONE-A2", "KH-GONE-A2/COM-2", leaving["id"]),
        ("FACTORY_UNPUBLISHED", "KH-GONE", None, None, None),
    ]
    assert summary([c for c in changes if key(c["factoryId"]) == "KH-FIRST"]) == [
        ("FACTORY_PUBLISHED", "KH-FIRST", "KH-FIRST-A2", None, None)
    ]
    assert summary([c for c in changes if key(c["factoryId"]) == "KH-NEXT"]) == [
        ("RESPONSE_UNPUBLISHED", "KH-NEXT", "KH-NEXT-A2", None, staying["id"]),
        ("ASSESSMENT_PUBLISHED", "KH-NEXT", "KH-NEXT-A3", None, None),
    ]
    assert len(changes) == 5
    gone_day, publication_day = start_of(LAST_DAY + timedelta(days=1)), start_of(PUBLICATION_DAY)
    assert [c["at"] for c in changes] == [gone_day, gone_day, publication_day, publication_day, publication_day]
    assert changes[1]["factory"] is None
    assert [c["factory"]["name"] for c in changes if key(c["factoryId"]) == "KH-FIRST"] == ["First Light Apparel (test)"]

    everything, _ = await read_feed(api)
    assert replayed(everything) == await public_now(api) == {"KH-BASE", "KH-NEXT", "KH-FIRST"}
    # Written once: a later request of the same day, or of a day before it, adds nothing.
    assert (await read_feed(api, cursor))[0] == []
    clock.move_to(TODAY)
    assert (await read_feed(api, cursor))[0] == []


async def test_several_servers_noticing_the_same_new_day_write_its_changes_once(settings, engine, load, sessions):
    await load(calendar_world())
    clock = Clock()
    async with (
        serving(create_app(settings, clock=clock)) as one,
        serving(create_app(settings, clock=clock)) as two,
        httpx.AsyncClient(base_url=one, timeout=30) as first,
        httpx.AsyncClient(base_url=two, timeout=30) as second,
    ):
        clock.move_to(PUBLICATION_DAY)
        await asyncio.gather(*(Api(c).query("{ changes(first: 1) { edges { cursor } } }") for c in [first, second] * 4))
        changes, _ = await read_feed(Api(first), first=100)
    day = [c for c in changes if c["at"] == start_of(PUBLICATION_DAY)]
    assert sorted(summary(day)) == sorted([
        ("FACTORY_PUBLISHED", "KH-FIRST", "KH-FIRST-A2", None, None),
        ("ASSESSMENT_PUBLISHED", "KH-NEXT", "KH-NEXT-A3", None, None),
    ])


async def test_with_the_database_down_requests_are_answered_and_the_calendar_write_is_tried_once(tmp_path, caplog):
    from transparency_portal.config import Settings
    from transparency_portal.domain.errors import ERROR_CODES
    from transparency_portal.schema.http.feed_calendar import RETRY_SECONDS

    down = f"postgresql+asyncpg://portal:secret@127.0.0.1:{free_port()}/portal"  # nothing listens there
    settings = Settings(database_url=down, storage_dir=tmp_path / "attachments", rate_limit=0, rate_limit_points=0)
    with caplog.at_level(logging.ERROR, logger="transparency_portal.feed"):
        async with serving(create_app(settings)) as base_url, httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            # Each request passes the calendar's check; the first try (at start-up) failed moments ago.
            answers = [await http.get("/schema.graphql") for _ in range(5)]
            answers += [await http.post("/graphql", json={"query": "{ changes(first: 1) { edges { cursor } } }"})]
    assert [a.status_code for a in answers[:5]] == [200] * 5 and "type PublicChange" in answers[0].text
    assert answers[5].json()["errors"][0]["extensions"]["code"] in ERROR_CODES  # a GraphQL error, not a hang
    attempts = [r for r in caplog.records if "calendar changes could not be written" in r.getMessage()]
    assert len(attempts) == 1, f"{len(attempts)} write attempts for 6 requests within {RETRY_SECONDS} s"


@pytest.mark.parametrize("chunk", [RECORD_CHUNK, 1], ids=["one chunk", "a factory at a time"])
async def test_a_database_upgraded_from_before_the_feed_starts_it_with_every_public_factory(settings, engine, load, chunk, monkeypatch):
    from alembic import command
    from transparency_portal.storage.migrate import alembic_config, upgrade

    monkeypatch.setattr(public_change_writer, "RECORD_CHUNK", chunk)  # the whole view is written in parts

    await load(merge(calendar_world(), factory_with_history("KH-A", "Alpha Garments (test)")))

    def downgrade(connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0008")

    async with engine.begin() as connection:
        await connection.run_sync(downgrade)
    await upgrade(engine)
    async with serving(create_app(settings)) as base_url, httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        api = Api(http)
        changes, _ = await read_feed(api)
        assert {c["kind"] for c in changes} == {"FACTORY_PUBLISHED"}
        assert replayed(changes) == await public_now(api) == {"KH-A", "KH-BASE", "KH-NEXT", "KH-GONE"}
