"""Bulk and next through real HTTP: `decideResponses` (each decision its own transaction, stale
versions and other moderators' claims refused item by item, in input order) and
`claimNextResponse` (the queue's first unclaimed response, one per caller even when ten
moderators ask at once), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest
from ids import gid
from sqlalchemy import select

from transparency_portal.domain.moderation import Role
from transparency_portal.storage.tables.supplier_responses import ResponseEventRow, ResponseRow
from transparency_portal.workflows.users import add_user

A2, B2 = gid("Assessment", "KH-A-A2"), gid("Assessment", "KH-B-A2")
SUBMIT = "mutation($input: SubmitResponseInput!) { submitResponse(input: $input) { id version } }"
CLAIM = "mutation($id: ID!) { claimResponse(id: $id) { id } }"
ONE = "query($id: ID!) { response(id: $id) { state version removalReason history { kind note } claim { mine } } }"
DECIDE = """mutation($decisions: [DecisionInput!]!) { decideResponses(decisions: $decisions) {
  id ok response { id state version removalReason } error { code message } } }"""
NEXT = """mutation($filter: ModerationFilter) { claimNextResponse(filter: $filter) {
  id text state claim { mine until } history { kind } } }"""
QUEUE = "{ moderationQueue(first: 50) { edges { node { id claim { mine } } } } }"


async def submit(api, token: str, text: str, assessment: str = A2) -> dict:
    return (await api.query(SUBMIT, {"input": {"assessmentId": assessment, "text": text}}, token))["submitResponse"]


async def state_of(api, people, response_id: str) -> dict:
    return (await api.query(ONE, {"id": response_id}, people.mod1))["response"]


async def decide(api, token: str, decisions: list[dict]) -> list[dict]:
    return (await api.query(DECIDE, {"decisions": decisions}, token))["decideResponses"]


# --- decideResponses -----------------------------------------------------------------------


async def test_decisions_are_made_one_by_one_with_refusals_item_by_item_in_input_order(api, people):
    approve, remove, stale, claimed, dismiss, explained, unreasoned = [
        (await submit(api, people.alpha, f"Response number {n}."))["id"] for n in range(7)
    ]
    await api.query(CLAIM, {"id": claimed}, people.mod2)
    await decide(api, people.mod2, [{"id": stale, "version": 1, "action": "APPROVE"}])  # stale is now version 2
    missing = gid("Response", "0" * 24)
    decisions = [
        {"id": approve, "version": 1, "action": "APPROVE", "note": "checked with the union"},
        {"id": stale, "version": 1, "action": "REMOVE", "reason": "OFF_TOPIC"},
        {"id": remove, "version": 1, "action": "REMOVE", "reason": "IDENTIFIES_PERSON"},
        {"id": claimed, "version": 1, "action": "APPROVE"},
        {"id": missing, "version": 1, "action": "APPROVE"},
        {"id": dismiss, "version": 1, "action": "DISMISS_REPORTS"},
        # An explanation goes with a removal only (tests/api/test_factory_hears_back.py: with one).
        {"id": explained, "version": 1, "action": "APPROVE", "explanation": "Say what changed."},
        {"id": unreasoned, "version": 1, "action": "REMOVE"},
        {"id": approve, "version": 1, "action": "REMOVE", "reason": "OFF_TOPIC"},  # the first one made it version 2
        {"id": "not an id", "version": 1, "action": "APPROVE"},
    ]
    results = await decide(api, people.mod1, decisions)

    assert [r["id"] for r in results] == [d["id"] for d in decisions]
    summary = [(r["ok"], r["error"] and r["error"]["code"]) for r in results]
    assert summary == [
        (True, None), (False, "CONFLICT"), (True, None), (False, "CONFLICT"), (False, "NOT_FOUND"),
        (False, "CONFLICT"), (False, "BAD_USER_INPUT"), (False, "BAD_USER_INPUT"), (False, "CONFLICT"),
        (False, "BAD_USER_INPUT"),
    ]  # fmt: skip
    assert results[0]["response"] == {"id": approve, "state": "APPROVED", "version": 2, "removalReason": None}
    assert results[2]["response"]["removalReason"] == "IDENTIFIES_PERSON"
    # A refusal shows the response as it is now, so the moderator can look again.
    assert results[1]["response"] == {"id": stale, "state": "APPROVED", "version": 2, "removalReason": None}
    assert "changed since you saw it" in results[1]["error"]["message"]
    assert "Another moderator has claimed" in results[3]["error"]["message"]
    assert "no open report" in results[5]["error"]["message"]
    assert "explanation" in results[6]["error"]["message"]
    assert results[4]["response"] is None and results[9]["response"] is None

    # What was refused changed nothing; what was decided is in the audit trail with its note.
    assert await state_of(api, people, approve) == {
        "state": "APPROVED", "version": 2, "removalReason": None,
        "history": [{"kind": "SUBMIT", "note": None}, {"kind": "APPROVE", "note": "checked with the union"}],
        "claim": None,
    }  # fmt: skip
    for untouched in (claimed, dismiss, explained, unreasoned):
        assert (await state_of(api, people, untouched))["version"] == 1


async def test_two_moderators_deciding_the_same_responses_at_once_each_decide_each_once(api, people, sessions):
    responses = [(await submit(api, people.alpha, f"Response {n} of a busy morning."))["id"] for n in range(8)]
    batch = [{"id": r, "version": 1, "action": "APPROVE"} for r in responses]
    first, second = await asyncio.gather(decide(api, people.mod1, batch), decide(api, people.mod2, batch[::-1]))

    by_id = {r: [] for r in responses}
    for result in first + second[::-1]:
        by_id[result["id"]].append(result)
    for response_id, results in by_id.items():
        assert sorted(r["ok"] for r in results) == [False, True], results  # exactly one won
        [refused] = [r for r in results if not r["ok"]]
        assert refused["error"]["code"] == "CONFLICT" and refused["response"]["version"] == 2
    async with sessions() as session:
        approvals = (await session.exec(select(ResponseEventRow).where(ResponseEventRow.kind == "APPROVE"))).all()
    assert len(approvals) == len(responses)


async def test_more_than_fifty_decisions_are_refused_whole(api, people):
    response = await submit(api, people.alpha, "Decide me once.")
    decisions = [{"id": response["id"], "version": 1, "action": "APPROVE"}] * 51
    [error] = await api.errors(DECIDE, {"decisions": decisions}, people.mod1)
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and error["extensions"]["argument"] == "decisions"
    assert (await state_of(api, people, response["id"]))["state"] == "SUBMITTED"


@pytest.mark.parametrize("who", ["supplier", "steward", "nobody"])
async def test_only_moderators_decide_in_bulk(api, people, who):
    response = await submit(api, people.alpha, "Not yours to decide.")
    token = {"supplier": people.alpha, "steward": people.steward, "nobody": None}[who]
    [error] = await api.errors(DECIDE, {"decisions": [{"id": response["id"], "version": 1, "action": "APPROVE"}]}, token)
    assert error["extensions"]["code"] == ("UNAUTHENTICATED" if who == "nobody" else "FORBIDDEN")
    assert (await state_of(api, people, response["id"]))["state"] == "SUBMITTED"


# --- claimNextResponse ---------------------------------------------------------------------


async def test_claim_next_takes_the_queues_first_unclaimed_response_and_audits_the_claim(api, people):
    first = await submit(api, people.alpha, "Waiting longest.")
    second = await submit(api, people.beta, "Waiting less long.", B2)
    third = await submit(api, people.alpha, "Just in.")
    await api.query(CLAIM, {"id": second["id"]}, people.mod2)

    claimed = (await api.query(NEXT, {}, people.mod1))["claimNextResponse"]
    assert claimed["id"] == first["id"] and claimed["claim"]["mine"] is True
    assert [e["kind"] for e in claimed["history"]] == ["SUBMIT", "CLAIM"]
    # A moderator may hold several: the next one skips their own claim and mod2's.
    assert (await api.query(NEXT, {}, people.mod1))["claimNextResponse"]["id"] == third["id"]
    assert (await api.query(NEXT, {}, people.mod1))["claimNextResponse"] is None
    mine = [e["node"]["id"] for e in (await api.query(QUEUE, {}, people.mod1))["moderationQueue"]["edges"] if e["node"]["claim"]["mine"]]
    assert sorted(mine) == sorted([first["id"], third["id"]])


async def test_claim_next_follows_the_filter(api, people):
    await submit(api, people.alpha, "Factory A.")
    b = await submit(api, people.beta, "Factory B.", B2)
    only_b = {"filter": {"factory": [gid("Factory", "KH-B")]}}
    assert (await api.query(NEXT, only_b, people.mod1))["claimNextResponse"]["id"] == b["id"]
    assert (await api.query(NEXT, only_b, people.mod1))["claimNextResponse"] is None
    # The reported queue is empty until the public can report responses.
    assert (await api.query(NEXT, {"filter": {"queue": "REPORTED"}}, people.mod1))["claimNextResponse"] is None
    reported = "{ moderationQueue(filter: {queue: REPORTED}) { totalCount edges { cursor } } }"
    assert (await api.query(reported, {}, people.mod1))["moderationQueue"] == {"totalCount": 0, "edges": []}


async def test_ten_moderators_claiming_next_at_once_get_ten_different_responses(api, people, sessions):
    submitted = {(await submit(api, people.alpha, f"Response {n}, one of twelve."))["id"] for n in range(12)}
    moderators = [
        (await add_user(sessions, name=f"Moderator {n}", role=Role.MODERATOR)).token for n in range(10)
    ]
    results = await asyncio.gather(*(api.query(NEXT, {}, token) for token in moderators))
    claimed = [r["claimNextResponse"]["id"] for r in results]
    assert len(set(claimed)) == 10 and set(claimed) <= submitted
    async with sessions() as session:
        holders = (await session.exec(select(ResponseRow.claimed_by_pk).where(ResponseRow.claimed_by_pk.is_not(None)))).all()
        claims = (await session.exec(select(ResponseEventRow).where(ResponseEventRow.kind == "CLAIM"))).all()
    assert len(set(holders)) == 10 and len(claims) == 10
    # Two are left, then none.
    rest = [(await api.query(NEXT, {}, moderators[0]))["claimNextResponse"] for _ in range(3)]
    assert rest[2] is None and {r["id"] for r in rest[:2]} == submitted - set(claimed)


@pytest.mark.parametrize("who", ["supplier", "steward", "nobody"])
async def test_only_moderators_claim_next(api, people, who):
    await submit(api, people.alpha, "Not yours to claim.")
    token = {"supplier": people.alpha, "steward": people.steward, "nobody": None}[who]
    [error] = await api.errors(NEXT, {}, token)
    assert error["extensions"]["code"] == ("UNAUTHENTICATED" if who == "nobody" else "FORBIDDEN")
