"""For the people who run moderation, through real HTTP on SQLite and PostgreSQL: the moderation
log (every audit event, newest first, filtered, paged; moderators and stewards only), the
figures per country and per moderator (decisions of the last 7 days, median time to decision),
and a queue page whose SQL statement count does not grow with the page."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from ids import gid
from PIL import Image
from sqlalchemy import update

from transparency_portal.storage.tables.supplier_responses import ResponseEventRow, ResponseRow

A2, B2 = gid("Assessment", "KH-A-A2"), gid("Assessment", "KH-B-A2")
SUBMIT = "mutation($input: SubmitResponseInput!) { submitResponse(input: $input) { id } }"
APPROVE = "mutation($id: ID!) { approveResponse(id: $id, version: 1) { id } }"
REMOVE = "mutation($id: ID!) { removeResponse(id: $id, version: 1, reason: OFF_TOPIC, note: \"not about work\") { id } }"
CLAIM = "mutation($id: ID!) { claimResponse(id: $id) { id } }"
NOTE = "mutation($id: ID!, $text: String!) { addModeratorNote(id: $id, text: $text) { id } }"
REPORT = "mutation($id: ID!) { reportResponse(input: {responseId: $id, reason: OFF_TOPIC}) { received } }"
LOG = """query($first: Int, $after: String, $filter: ModerationLogFilter) { moderationLog(first: $first, after: $after, filter: $filter) {
  totalCount edges { cursor node { kind from to at reason note actor { id name role } response { id } } }
  pageInfo { hasNextPage hasPreviousPage endCursor } } }"""
STATS = """{ moderationStats { country waiting reported oldestPostedAt oldestReportedAt oldestWaitingHours }
  moderatorStats { moderator { id name role } decisions approvals removals dismissals medianHoursToDecision } }"""
QUEUE = """query($first: Int) { moderationQueue(first: $first) { totalCount edges { node { id state version text
  claim { mine } flags { kind match } attachments { url contentType size } history { kind actor { name } note }
  explanation revises { id } } } } }"""


async def submit(api, token: str, text: str, assessment: str = A2) -> str:
    return (await api.query(SUBMIT, {"input": {"assessmentId": assessment, "text": text}}, token))["submitResponse"]["id"]


async def log(api, token: str, **variables) -> dict:
    return (await api.query(LOG, variables, token))["moderationLog"]


async def test_the_log_lists_every_step_newest_first_with_its_response(api, people):
    approved = await submit(api, people.alpha, "Exits unlocked.")
    removed = await submit(api, people.beta, "Off topic.", B2)
    await api.query(CLAIM, {"id": approved}, people.mod1)
    await api.query(NOTE, {"id": approved, "text": "checked with the union"}, people.mod1)
    await api.query(APPROVE, {"id": approved}, people.mod1)
    await api.query(REMOVE, {"id": removed}, people.mod2)
    await api.query(REPORT, {"id": approved})

    for token in (people.mod1, people.steward):  # moderators and stewards alike
        page = await log(api, token)
        steps = [(e["node"]["kind"], e["node"]["response"]["id"]) for e in page["edges"]]
        assert steps == [
            ("REPORT", approved), ("REMOVE", removed), ("APPROVE", approved), ("NOTE", approved),
            ("CLAIM", approved), ("SUBMIT", removed), ("SUBMIT", approved),
        ]  # fmt: skip
        assert page["totalCount"] == 7
    edges = (await log(api, people.mod1))["edges"]
    assert edges[0]["node"]["actor"] == {"id": None, "name": "The public", "role": "public"}
    assert edges[1]["node"] | {"at": None, "actor": None} == {
        "kind": "REMOVE", "from": "SUBMITTED", "to": "REMOVED", "at": None, "reason": "OFF_TOPIC",
        "note": "not about work", "actor": None, "response": {"id": removed},
    }  # fmt: skip
    assert edges[1]["node"]["actor"]["name"] == "Moderator Two"

    # Paged by cursor, newest first throughout.
    first = await log(api, people.mod1, first=3)
    rest = await log(api, people.mod1, first=10, after=first["pageInfo"]["endCursor"])
    assert [e["cursor"] for e in first["edges"] + rest["edges"]] == [e["cursor"] for e in edges]
    assert first["pageInfo"]["hasNextPage"] and not rest["pageInfo"]["hasNextPage"] and rest["pageInfo"]["hasPreviousPage"]

    # Filtered by moderator (the id the log gives), by kind, and since a moment.
    mod1 = edges[2]["node"]["actor"]["id"]
    mine = await log(api, people.mod1, filter={"moderator": [mod1]})
    assert [e["node"]["kind"] for e in mine["edges"]] == ["APPROVE", "NOTE", "CLAIM"] and mine["totalCount"] == 3
    decisions = await log(api, people.mod1, filter={"kind": ["APPROVE", "REMOVE"]})
    assert [e["node"]["kind"] for e in decisions["edges"]] == ["REMOVE", "APPROVE"]
    since = edges[2]["node"]["at"]
    recent = await log(api, people.mod1, filter={"since": since, "kind": ["APPROVE", "REMOVE", "SUBMIT"]})
    assert [e["node"]["kind"] for e in recent["edges"]] == ["REMOVE", "APPROVE"]


@pytest.mark.parametrize(
    "who, code", [("alpha", "FORBIDDEN"), (None, "UNAUTHENTICATED")]
)  # fmt: skip
async def test_only_moderators_and_stewards_read_the_log_and_the_figures(api, people, who, code):
    await submit(api, people.alpha, "Exits unlocked.")
    token = getattr(people, who) if who else None
    for query in (LOG, "{ moderatorStats { decisions } }", "{ moderationStats { country } }"):
        [error] = await api.errors(query, {}, token)
        assert error["extensions"]["code"] == code


async def test_malformed_log_filters_and_cursors_are_the_clients_mistake(api, people):
    for variables, argument in (
        ({"filter": {"moderator": ["not an id"]}}, "moderator"),
        ({"filter": {"moderator": [gid("Factory", "KH-A")]}}, "moderator"),
        ({"filter": {"since": "2026-12-01T00:00:00"}}, "since"),
        ({"after": "bm90IGEgY3Vyc29y"}, "after"),
    ):
        [error] = await api.errors(LOG, variables, people.mod1)
        assert error["extensions"]["code"] == "BAD_USER_INPUT" and error["extensions"]["argument"] == argument, variables


async def test_figures_per_country_and_per_moderator(api, people, sessions):
    now = datetime.now(UTC)
    # Three responses decided by Moderator One, 1, 3 and 10 hours after they were posted; one
    # decided by Moderator Two 9 days ago (outside the window); one still waiting; one reported.
    decided = [await submit(api, people.alpha, f"Decided {n}.") for n in range(3)]
    old = await submit(api, people.alpha, "Decided long ago.")
    waiting = await submit(api, people.beta, "Still waiting.", B2)
    reported = await submit(api, people.beta, "Reported later.", B2)
    await api.query(APPROVE, {"id": reported}, people.mod2)
    await api.query(REPORT, {"id": reported})
    async with sessions.begin() as session:
        for response_id, hours in zip(decided, (1, 3, 10), strict=True):
            await session.exec(
                update(ResponseRow).where(ResponseRow.public_id == _key(response_id)).values(posted_at=now - timedelta(hours=hours))
            )
    await api.query(APPROVE, {"id": decided[0]}, people.mod1)
    await api.query(REMOVE, {"id": decided[1]}, people.mod1)
    await api.query(APPROVE, {"id": decided[2]}, people.mod1)
    await api.query(REMOVE, {"id": old}, people.mod2)
    async with sessions.begin() as session:
        old_pk = (await session.exec(ResponseRow.__table__.select().where(ResponseRow.public_id == _key(old)))).first().pk
        await session.exec(
            update(ResponseEventRow).where(ResponseEventRow.response_pk == old_pk, ResponseEventRow.kind == "REMOVE")
            .values(at=now - timedelta(days=9))
        )  # fmt: skip

    stats = await api.query(STATS, {}, people.steward)
    [kh] = stats["moderationStats"]
    assert (kh["country"], kh["waiting"], kh["reported"]) == ("KH", 1, 1)
    assert kh["oldestPostedAt"] is not None and kh["oldestReportedAt"] is not None
    assert kh["oldestPostedAt"] < kh["oldestReportedAt"]  # the waiting one was posted before the report came

    by_name = {m["moderator"]["name"]: m for m in stats["moderatorStats"]}
    one, two = by_name["Moderator One"], by_name["Moderator Two"]
    assert (one["decisions"], one["approvals"], one["removals"], one["dismissals"]) == (3, 2, 1, 0)
    assert one["medianHoursToDecision"] == pytest.approx(3, abs=0.05)
    # Moderator Two's approval in the window counts; the removal 9 days ago does not.
    assert (two["decisions"], two["approvals"], two["removals"]) == (1, 1, 0)
    assert one["moderator"]["role"] == "moderator"
    # The id filters the log to their steps.
    theirs = await log(api, people.mod1, filter={"moderator": [one["moderator"]["id"]]})
    assert {e["node"]["actor"]["name"] for e in theirs["edges"]} == {"Moderator One"} and theirs["totalCount"] == 3
    assert waiting


def _key(global_id: str) -> str:
    from transparency_portal.resolvers.ids import node_key

    return node_key(global_id, "Response")


def small_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 120, 30)).save(buffer, "PNG")
    return buffer.getvalue()


async def test_a_queue_page_runs_as_many_statements_for_5_responses_as_for_20(api, people):
    upload = """mutation($input: SubmitResponseInput!) { submitResponse(input: $input) { id } }"""
    for n in range(24):
        token, assessment = (people.alpha, A2) if n % 2 else (people.beta, B2)
        text = f"Response {n}: write to hr{n}@example.com" if n % 3 == 0 else f"Response {n}: exits unlocked."
        if n % 4 == 0:
            sent = await api.upload(upload, {"input": {"assessmentId": assessment, "text": text}},
                                    [(f"exit-{n}.png", small_png(), "image/png")], token)  # fmt: skip
            response_id = sent.json()["data"]["submitResponse"]["id"]
        else:
            response_id = await submit(api, token, text, assessment)
        if n % 2 == 0:
            await api.query(NOTE, {"id": response_id, "text": f"note {n}"}, people.mod1)

    counts = {}
    for first in (5, 20):
        statements = api.count_statements()
        page = (await api.query(QUEUE, {"first": first}, people.mod1))["moderationQueue"]
        counts[first] = len(statements)
        statements.clear()
        nodes = [e["node"] for e in page["edges"]]
        assert len(nodes) == first and page["totalCount"] == 24
        assert any(n["flags"] for n in nodes) and any(n["attachments"] for n in nodes)
        assert all(n["history"] for n in nodes) and any(len(n["history"]) > 1 for n in nodes)
    assert counts[5] == counts[20], counts
