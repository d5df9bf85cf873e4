"""Reports from the public through real HTTP, on SQLite and PostgreSQL: anyone reports a response
the public sees (and nothing else: one NOT_FOUND for every other id), once per client, within an
hourly cap that counts refused reports too; moderators read the reports (never who sent them) in
the REPORTED queue, dismiss them or remove the response, and every step is in the audit trail
and on the event bus."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import timedelta
from types import SimpleNamespace

import httpx
import pytest
from exports import all_compliant, assessment, merge
from ids import gid, key
from sqlalchemy import select
from transparency_portal.domain.events import BusEvent
from transparency_portal.domain.events import BusEventKind as K
from transparency_portal.domain.moderation import ResponseState
from transparency_portal.storage.tables.response_reports import (
    ReportAttemptRow,
    ResponseReportRow,
)
from transparency_portal.storage.tables.supplier_responses import ResponseRow

SUBMIT = "mutation($input: SubmitResponseInput!) { submitResponse(input: $input) { id version } }"
APPROVE = "mutation($id: ID!, $version: Int!) { approveResponse(id: $id, version: $version) { id version } }"
REMOVE = """mutation($id: ID!, $version: Int!) { removeResponse(id: $id, version: $version, reason: OFF_TOPIC) {
  id state version } }"""
WITHDRAW = "mutation($id: ID!) { withdrawResponse(id: $id) { id } }"
REPORT = "mutation($input: ReportResponseInput!) { reportResponse(input: $input) { received } }"
DISMISS = """mutation($id: ID!, $version: Int!, $note: String) { dismissReports(id: $id, version: $version, note: $note) {
  id state version } }"""
DECIDE = """mutation($decisions: [DecisionInput!]!) { decideResponses(decisions: $decisions) {
  id ok response { state version } error { code } } }"""
ONE = """query($id: ID!) { response(id: $id) { id state version
  reports { reason text at closedAt flags { kind source start end match } }
  history { kind from to actor { name role } note } } }"""
QUEUE = """query($filter: ModerationFilter, $first: Int, $after: String) {
  moderationQueue(first: $first, after: $after, filter: $filter) {
    totalCount edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }"""
PUBLIC = "query($id: ID!) { factory(id: $id) { latestAssessment { responses { id version } } } }"

A2 = gid("Assessment", "KH-A-A2")


def client(address: str, token: str | None = None) -> dict:
    # uvicorn takes the client address from X-Forwarded-For when the peer is 127.0.0.1, as it is here.
    return {"x-forwarded-for": address} | ({"authorization": f"Bearer {token}"} if token else {})


async def report(api, response_id: str, headers: dict, reason: str = "IDENTIFIES_PERSON", text: str | None = None):
    """The answer's JSON body to a report sent with `headers`."""
    variables = {"input": {"responseId": response_id, "reason": reason, "text": text}}
    answer = await api.client.post("/graphql", json={"query": REPORT, "variables": variables}, headers=headers)
    return answer.json()


def received(body: dict) -> bool:
    assert "errors" not in body, body
    return body["data"]["reportResponse"]["received"]


def error_of(body: dict) -> dict:
    [error] = body["errors"]
    return error


async def submit(api, people, text: str) -> str:
    return (await api.query(SUBMIT, {"input": {"assessmentId": A2, "text": text}}, people.alpha))["submitResponse"]["id"]


async def approved(api, people, text: str = "Overtime is now paid at the legal rate.") -> str:
    """A response the public sees, at version 2."""
    response = await submit(api, people, text)
    await api.query(APPROVE, {"id": response, "version": 1}, people.mod1)
    return response


async def seen_by(api, response_id: str, token: str | None) -> dict:
    return (await api.query(ONE, {"id": response_id}, token))["response"]


async def reported_queue(api, token: str, **variables) -> dict:
    return (await api.query(QUEUE, {"filter": {"queue": "REPORTED"}, **variables}, token))["moderationQueue"]


async def stored_reports(sessions) -> list[ResponseReportRow]:
    async with sessions() as session:
        return list((await session.exec(select(ResponseReportRow))).scalars())


# --- Reporting --------------------------------------------------------------------------------


async def test_anyone_reports_a_public_response_and_only_moderators_read_it_without_the_reporter(api, people, sessions):
    response = await approved(api, people)
    body = await report(api, response, client("10.1.2.3"), "PROFANE_OR_ABUSIVE", "  This insults the workers' union.  ")
    assert received(body)

    reports = (await seen_by(api, response, people.mod1))["reports"]
    assert len(reports) == 1
    [seen] = reports
    assert (seen["reason"], seen["text"], seen["closedAt"], seen["flags"]) == (
        "PROFANE_OR_ABUSIVE", "This insults the workers' union.", None, []
    )
    # Nothing about who reported: not in the answer, not in the database (a hash of the client).
    assert set(seen) == {"reason", "text", "at", "closedAt", "flags"}
    [row] = await stored_reports(sessions)
    assert "10.1.2.3" not in json.dumps(row.model_dump(mode="json")) and len(row.reporter_hash) == 64

    # The public and the factory's own users see no reports.
    assert (await seen_by(api, response, None))["reports"] is None
    assert (await seen_by(api, response, people.alpha))["reports"] is None

    # The audit trail has the report, by the public; the response did not change.
    after = await seen_by(api, response, people.mod1)
    assert (after["state"], after["version"]) == ("APPROVED", 2)
    assert [(e["kind"], e["from"], e["to"], e["actor"]) for e in after["history"]][-1] == (
        "REPORT", None, None, {"name": "The public", "role": "public"}
    )


async def test_a_signed_in_users_report_does_not_name_them_either(api, people):
    response = await approved(api, people)
    assert received(await report(api, response, client("10.1.2.3", people.beta)))
    shown = await seen_by(api, response, people.mod1)
    assert "Beta Supplier" not in json.dumps(shown)
    assert shown["history"][-1]["actor"] == {"name": "The public", "role": "public"}


async def test_only_a_response_the_public_sees_now_can_be_reported_with_one_answer_for_every_other_id(
    api, people, load, sessions
):
    submitted = await submit(api, people, "Still waiting for a moderator.")
    withdrawn = await submit(api, people, "Sent too early.")
    await api.query(WITHDRAW, {"id": withdrawn}, people.alpha)
    removed = await approved(api, people, "Removed later.")
    await api.query(REMOVE, {"id": removed, "version": 2}, people.mod1)
    superseded = await approved(api, people, "About an assessment a newer one replaces.")
    never = gid("Response", "0" * 24)
    # A newer published assessment takes the approved response out of public view.
    await load(merge({"assessments": [assessment("KH-A-A3", "KH-A", 3, 10, all_compliant())]}))
    assert (await api.query(PUBLIC, {"id": gid("Factory", "KH-A")}))["factory"]["latestAssessment"]["responses"] == []

    answers = []
    for n, response in enumerate((submitted, withdrawn, removed, superseded, never)):
        for token in (None, people.alpha, people.mod1):  # the factory and moderators see some of them
            answers.append(error_of(await report(api, response, client(f"10.2.0.{n}", token))))
    assert {(e["message"], e["extensions"]["code"]) for e in answers} == {
        ("There is no public response with this id.", "NOT_FOUND")
    }
    assert await stored_reports(sessions) == []


async def test_a_client_counts_once_per_response_whoever_else_reports(api, people, sessions):
    response = await approved(api, people)
    # The same address twice, without a token: received both times, counted once.
    assert received(await report(api, response, client("10.3.0.1"), "OFF_TOPIC"))
    assert received(await report(api, response, client("10.3.0.1"), "UNLAWFUL", "Again, with more to say."))
    # A valid token is a client of its own, from any address; an invalid one is its address.
    assert received(await report(api, response, client("10.3.0.1", people.beta)))
    assert received(await report(api, response, client("10.3.0.9", people.beta)))
    assert received(await report(api, response, client("10.3.0.1", "not-a-token")))
    assert received(await report(api, response, client("10.3.0.2")))

    reports = (await seen_by(api, response, people.mod1))["reports"]
    assert [r["reason"] for r in reports] == ["OFF_TOPIC", "IDENTIFIES_PERSON", "IDENTIFIES_PERSON"]
    assert len(await stored_reports(sessions)) == 3
    history = (await seen_by(api, response, people.mod1))["history"]
    assert [e["kind"] for e in history].count("REPORT") == 3


async def test_one_client_reporting_at_once_is_still_counted_once(api, people, sessions):
    response = await approved(api, people)
    bodies = await asyncio.gather(*(report(api, response, client("10.4.0.1")) for _ in range(8)))
    assert all(received(b) for b in bodies)
    assert len(await stored_reports(sessions)) == 1


CAP = 4


@pytest.fixture
async def capped(settings, engine):
    """A second server on the same database, whose clients may report CAP times an hour."""
    from servers import serving
    from transparency_portal.schema.http.app import create_app

    app = create_app(replace(settings, reports_per_hour=CAP))
    async with serving(app) as base_url, httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        yield SimpleNamespace(client=http)


async def test_the_hourly_cap_counts_refused_reports_too(api, capped, people, sessions):
    responses = [await approved(api, people, f"Response {n}.") for n in range(3)]
    never = gid("Response", "f" * 24)
    me = client("10.5.0.1")
    assert error_of(await report(capped, never, me))["extensions"]["code"] == "NOT_FOUND"  # 1
    assert received(await report(capped, responses[0], me))  # 2
    assert received(await report(capped, responses[0], me))  # 3: a repeat, counted
    assert received(await report(capped, responses[1], me))  # 4
    refused = error_of(await report(capped, responses[2], me))
    assert refused["extensions"]["code"] == "RATE_LIMITED"
    assert refused["extensions"]["limit"] == 4 and 1 <= refused["extensions"]["retryAfter"] <= 3600
    assert "4 reports in the last hour" in refused["message"]
    # The refusal stored nothing; another client is not concerned.
    assert len(await stored_reports(sessions)) == 2
    assert received(await report(capped, responses[2], client("10.5.0.2")))

    # An hour later the window has moved on.
    async with sessions() as session:
        for attempt in (await session.exec(select(ReportAttemptRow))).scalars():
            attempt.at -= timedelta(hours=1, seconds=1)
        await session.commit()
    assert received(await report(capped, responses[2], me))
    assert len(await stored_reports(sessions)) == 4


async def test_the_cap_holds_for_reports_sent_at_once(api, capped, people, sessions):
    responses = [await approved(api, people, f"Response {n}.") for n in range(7)]
    bodies = await asyncio.gather(*(report(capped, r, client("10.6.0.1")) for r in responses))
    codes = sorted("ok" if "errors" not in b else error_of(b)["extensions"]["code"] for b in bodies)
    assert codes == ["RATE_LIMITED"] * 3 + ["ok"] * 4
    assert len(await stored_reports(sessions)) == 4


async def test_report_text_is_screened_for_moderators_and_bounded(api, people):
    response = await approved(api, people)
    text = "The manager wrote to me at boss [at] example [dot] com about it."
    assert received(await report(api, response, client("10.7.0.1"), "OTHER", text))
    [seen] = (await seen_by(api, response, people.mod1))["reports"]
    [flag] = seen["flags"]
    assert (flag["kind"], flag["source"], flag["match"]) == ("EMAIL", "text", "boss [at] example [dot] com")
    assert text[flag["start"] : flag["end"]] == flag["match"]

    refused = error_of(await report(api, response, client("10.7.0.2"), "OTHER", "x" * 1001))
    assert refused["extensions"]["code"] == "BAD_USER_INPUT" and refused["extensions"]["argument"] == "text"


# --- The REPORTED queue ----------------------------------------------------------------------


async def test_the_reported_queue_lists_approved_responses_with_open_reports_most_reported_first(api, people):
    once, thrice, twice, tied = [await approved(api, people, f"Response {n}.") for n in range(4)]
    waiting = await submit(api, people, "Not decided yet.")
    for n, (response, count) in enumerate(((once, 1), (thrice, 3), (twice, 2), (tied, 2))):
        for c in range(count):
            assert received(await report(api, response, client(f"10.8.{n}.{c}")))

    queue = await reported_queue(api, people.mod1)
    # Two reports each: the one reported first comes first.
    assert [e["node"]["id"] for e in queue["edges"]] == [thrice, twice, tied, once]
    assert queue["totalCount"] == 4
    first = await reported_queue(api, people.mod1, first=2)
    rest = await reported_queue(api, people.mod1, first=2, after=first["pageInfo"]["endCursor"])
    assert [e["node"]["id"] for e in first["edges"] + rest["edges"]] == [thrice, twice, tied, once]
    assert first["pageInfo"]["hasNextPage"] and not rest["pageInfo"]["hasNextPage"]

    # The SUBMITTED queue, still the default, is as before.
    submitted = (await api.query(QUEUE, {}, people.mod1))["moderationQueue"]
    assert [e["node"]["id"] for e in submitted["edges"]] == [waiting]
    # Moderators only.
    errors = await api.errors(QUEUE, {"filter": {"queue": "REPORTED"}}, people.alpha)
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"


# --- Dismissal and removal --------------------------------------------------------------------


async def test_dismissing_keeps_the_response_public_closes_its_reports_and_moves_its_version(api, people):
    response = await approved(api, people)
    for c in range(2):
        assert received(await report(api, response, client(f"10.9.0.{c}")))

    # Its version is the one every decision names; an old one is refused.
    stale = (await api.errors(DISMISS, {"id": response, "version": 1}, people.mod1))[0]
    assert stale["extensions"] | {"code": "CONFLICT", "state": "APPROVED", "version": 2} == stale["extensions"]
    assert (await api.errors(DISMISS, {"id": response, "version": 2}, people.alpha))[0]["extensions"]["code"] == "FORBIDDEN"
    assert (await api.errors(DISMISS, {"id": response, "version": 2}))[0]["extensions"]["code"] == "UNAUTHENTICATED"

    public = lambda: api.query(PUBLIC, {"id": gid("Factory", "KH-A")})
    assert (await public())["factory"]["latestAssessment"]["responses"] == [{"id": response, "version": 2}]
    dismissed = (await api.query(DISMISS, {"id": response, "version": 2, "note": "Fair comment."}, people.mod2))
    assert dismissed["dismissReports"] == {"id": response, "state": "APPROVED", "version": 3}
    # The public sees the version it moved to at once (not an answer kept from before).
    assert (await public())["factory"]["latestAssessment"]["responses"] == [{"id": response, "version": 3}]
    seen = await seen_by(api, response, people.mod1)
    assert all(r["closedAt"] is not None for r in seen["reports"]) and len(seen["reports"]) == 2
    assert [(e["kind"], e["from"], e["to"], e["note"]) for e in seen["history"]] == [
        ("SUBMIT", None, "SUBMITTED", None), ("APPROVE", "SUBMITTED", "APPROVED", None),
        ("REPORT", None, None, None), ("REPORT", None, None, None), ("DISMISS_REPORTS", None, None, "Fair comment."),
    ]  # fmt: skip
    assert seen["history"][-1]["actor"]["name"] == "Moderator Two"
    assert (await reported_queue(api, people.mod1))["totalCount"] == 0

    # Nothing left to dismiss.
    again = (await api.errors(DISMISS, {"id": response, "version": 3}, people.mod1))[0]
    assert again["extensions"]["code"] == "CONFLICT" and "no open report" in again["message"]
    # A client that reported before still counts once; a new one opens the reports again.
    assert received(await report(api, response, client("10.9.0.0")))
    assert (await reported_queue(api, people.mod1))["totalCount"] == 0
    assert received(await report(api, response, client("10.9.0.7")))
    assert (await reported_queue(api, people.mod1))["totalCount"] == 1


async def test_dismissal_in_bulk_and_responses_without_open_reports(api, people):
    reported = await approved(api, people)
    quiet = await approved(api, people, "Nobody reported this one.")
    assert received(await report(api, reported, client("10.10.0.1")))
    results = (await api.query(DECIDE, {"decisions": [
        {"id": reported, "version": 2, "action": "DISMISS_REPORTS"},
        {"id": quiet, "version": 2, "action": "DISMISS_REPORTS"},
    ]}, people.mod1))["decideResponses"]  # fmt: skip
    assert [(r["ok"], r["response"], r["error"]) for r in results] == [
        (True, {"state": "APPROVED", "version": 3}, None),
        (False, {"state": "APPROVED", "version": 2}, {"code": "CONFLICT"}),
    ]


async def test_removing_a_reported_response_closes_its_reports(api, people):
    response = await approved(api, people)
    assert received(await report(api, response, client("10.11.0.1")))
    removed = (await api.query(REMOVE, {"id": response, "version": 2}, people.mod1))["removeResponse"]
    assert (removed["state"], removed["version"]) == ("REMOVED", 3)
    seen = await seen_by(api, response, people.mod1)
    [closed] = seen["reports"]
    assert closed["closedAt"] is not None
    assert [e["kind"] for e in seen["history"]] == ["SUBMIT", "APPROVE", "REPORT", "REMOVE"]
    assert (await reported_queue(api, people.mod1))["totalCount"] == 0


# --- Events -----------------------------------------------------------------------------------


async def test_reports_and_their_closing_are_published_on_the_bus_once_committed(api, people, sessions):
    bus = api.app.state.event_bus
    first, second = await approved(api, people), await approved(api, people, "Another one.")
    async with sessions() as session:
        rows = (await session.exec(select(ResponseRow.public_id, ResponseRow.pk, ResponseRow.factory_pk))).all()
    pk = {public_id: pk for public_id, pk, _ in rows}
    pk = {first: pk[key(first)], second: pk[key(second)]}
    factory = rows[0][2]
    A = ResponseState.APPROVED

    async with bus.subscribe() as events:
        assert received(await report(api, first, client("10.12.0.1")))
        assert received(await report(api, first, client("10.12.0.1")))  # a repeat: nothing new
        assert received(await report(api, first, client("10.12.0.2")))
        await api.query(DISMISS, {"id": first, "version": 2}, people.mod1)
        assert received(await report(api, second, client("10.12.0.1")))
        await api.query(REMOVE, {"id": second, "version": 2}, people.mod1)
        seen = []
        async with asyncio.timeout(10):
            async for event in events:
                if event.kind is not K.PUBLIC_DATA_CHANGED:
                    seen.append(event)
                if event.kind is K.REPORTS_CLOSED and event.state is ResponseState.REMOVED:
                    break
    assert seen == [
        BusEvent(K.RESPONSE_REPORTED, pk[first], factory, A),
        BusEvent(K.REPORT_ADDED, pk[first], factory, A),
        BusEvent(K.REPORTS_CLOSED, pk[first], factory, A),
        BusEvent(K.RESPONSE_REPORTED, pk[second], factory, A),
        BusEvent(K.RESPONSE_DECIDED, pk[second], factory, ResponseState.REMOVED),
        BusEvent(K.REPORTS_CLOSED, pk[second], factory, ResponseState.REMOVED),
    ]
