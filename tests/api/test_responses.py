"""Supplier responses and moderation through real HTTP: who may do what, every transition,
concurrent decisions, claims, screening, files, and what the public sees at each step."""

from __future__ import annotations

import asyncio
import io
import json
from ids import gid
from datetime import UTC, datetime, timedelta

import pytest
from exports import all_compliant, assessment, merge
from PIL import Image
from sqlalchemy import func, select, update

from transparency_portal.storage.tables.supplier_responses import AttachmentRow, ResponseEventRow, ResponseRow

SUBMIT = """mutation($input: SubmitResponseInput!) { submitResponse(input: $input) {
  id state version text postedAt attachments { url contentType size } finding { id } } }"""
DECIDED = "id state version removalReason"
APPROVE = "mutation($id: ID!, $version: Int!, $note: String) { approveResponse(id: $id, version: $version, note: $note) { %s } }" % DECIDED
REMOVE = "mutation($id: ID!, $version: Int!, $reason: RemovalReason!, $note: String) { removeResponse(id: $id, version: $version, reason: $reason, note: $note) { %s } }" % DECIDED
WITHDRAW = "mutation($id: ID!) { withdrawResponse(id: $id) { %s } }" % DECIDED
CLAIM = "mutation($id: ID!) { claimResponse(id: $id) { id claim { until mine } } }"
RELEASE = "mutation($id: ID!) { releaseResponse(id: $id) { id claim { mine } } }"
NOTE = "mutation($id: ID!, $text: String!) { addModeratorNote(id: $id, text: $text) { id } }"
ONE = """query($id: ID!) { response(id: $id) { id state version text flags { kind source start end match }
  history { kind from to actor { name role } reason note } claim { mine } } }"""
NODE = "query($id: ID!) { node(id: $id) { id } }"
PUBLIC = """query($id: ID!) { factory(id: $id) { latestAssessment { id responses { id text state attachments { url }
  finding { id } } findings { id issue { code } responses { id } } } } }"""
QUEUE = """query($filter: ModerationFilter, $first: Int, $after: String) { moderationQueue(first: $first, after: $after, filter: $filter) {
  totalCount edges { cursor node { id text flags { kind match } } } pageInfo { hasNextPage endCursor } } }"""


A, B = gid("Factory", "KH-A"), gid("Factory", "KH-B")
A2, B2 = gid("Assessment", "KH-A-A2"), gid("Assessment", "KH-B-A2")


@pytest.fixture
async def world(api, people):
    return api, people


async def submit(api, token, text="The emergency exit is now unlocked during working hours.", finding=None, assessment_id=A2):
    variables = {"input": {"assessmentId": assessment_id, "text": text, "findingId": finding}}
    return (await api.query(SUBMIT, variables, token))["submitResponse"]


async def public_view(api, factory=A) -> dict:
    return (await api.query(PUBLIC, {"id": factory}))["factory"]["latestAssessment"]


async def row_counts(sessions) -> tuple[int, int, int]:
    counts = []
    async with sessions() as session:
        for table in (ResponseRow, ResponseEventRow, AttachmentRow):
            counts.append((await session.exec(select(func.count()).select_from(table))).scalar_one())
    return tuple(counts)


async def test_submit_approve_remove_and_what_the_public_sees_at_each_step(world):
    api, p = world
    finding = gid("Finding", "KH-A-A2/COM-2")
    response = await submit(api, p.alpha, "Overtime is now paid at the legal rate.", finding=finding)
    assert response["state"] == "SUBMITTED" and response["version"] == 1
    assert response["finding"] == {"id": finding}

    # Submitted: invisible to the public on every path, visible to its factory and moderators.
    assert (await public_view(api))["responses"] == []
    assert (await api.query(NODE, {"id": response["id"]}))["node"] is None
    assert (await api.errors(ONE, {"id": response["id"]}))[0]["extensions"]["code"] == "NOT_FOUND"
    assert (await api.query(ONE, {"id": response["id"]}, p.alpha2))["response"]["state"] == "SUBMITTED"
    assert (await api.query(NODE, {"id": response["id"]}, p.beta))["node"] is None

    approved = (await api.query(APPROVE, {"id": response["id"], "version": 1, "note": "about wages"}, p.mod1))["approveResponse"]
    assert approved == {"id": response["id"], "state": "APPROVED", "version": 2, "removalReason": None}
    view = await public_view(api)
    assert [r["text"] for r in view["responses"]] == ["Overtime is now paid at the legal rate."]
    assert view["responses"][0]["finding"] == {"id": finding}
    com2 = next(f for f in view["findings"] if f["issue"]["code"] == "COM-2")
    assert com2["responses"] == [{"id": response["id"]}]
    public_one = (await api.query(ONE, {"id": response["id"]}))["response"]
    # Nobody's name, no flags, no history for the public.
    assert public_one["history"] is None and public_one["flags"] is None
    assert "Alpha Supplier" not in json.dumps(view) and "Moderator One" not in json.dumps(view)

    removed = (await api.query(REMOVE, {"id": response["id"], "version": 2, "reason": "OFF_TOPIC"}, p.mod2))["removeResponse"]
    assert removed == {"id": response["id"], "state": "REMOVED", "version": 3, "removalReason": "OFF_TOPIC"}
    assert (await public_view(api))["responses"] == []

    history = (await api.query(ONE, {"id": response["id"]}, p.mod1))["response"]["history"]
    assert [(e["kind"], e["from"], e["to"], e["actor"]["name"], e["reason"], e["note"]) for e in history] == [
        ("SUBMIT", None, "SUBMITTED", "Alpha Supplier", None, None),
        ("APPROVE", "SUBMITTED", "APPROVED", "Moderator One", None, "about wages"),
        ("REMOVE", "APPROVED", "REMOVED", "Moderator Two", "OFF_TOPIC", None),
    ]


async def test_forbidden_transitions_change_nothing(world, sessions):
    api, p = world
    response = await submit(api, p.alpha)
    rid = response["id"]

    async def code(query, variables, token):
        errors = await api.errors(query, variables, token)
        return errors[0]["extensions"]

    # Wrong actors.
    assert (await code(APPROVE, {"id": rid, "version": 1}, None))["code"] == "UNAUTHENTICATED"
    assert (await code(APPROVE, {"id": rid, "version": 1}, p.alpha))["code"] == "FORBIDDEN"
    assert (await code(APPROVE, {"id": rid, "version": 1}, p.steward))["code"] == "FORBIDDEN"
    assert (await code(WITHDRAW, {"id": rid}, p.mod1))["code"] == "FORBIDDEN"
    assert (await code(WITHDRAW, {"id": rid}, p.alpha2))["code"] == "FORBIDDEN"  # not its author
    # Moderators cannot pretend the author withdrew it.
    assert (await code(REMOVE, {"id": rid, "version": 1, "reason": "WITHDRAWN"}, p.mod1))["code"] == "BAD_USER_INPUT"
    before = await row_counts(sessions)

    withdrawn = (await api.query(WITHDRAW, {"id": rid}, p.alpha))["withdrawResponse"]
    assert withdrawn == {"id": rid, "state": "REMOVED", "version": 2, "removalReason": "WITHDRAWN"}
    # From REMOVED nothing goes anywhere.
    for query, variables, token in [
        (APPROVE, {"id": rid, "version": 2}, p.mod1),
        (REMOVE, {"id": rid, "version": 2, "reason": "UNLAWFUL"}, p.mod1),
        (WITHDRAW, {"id": rid}, p.alpha),
    ]:
        extensions = await code(query, variables, token)
        assert extensions == {"code": "CONFLICT", "state": "REMOVED", "version": 2}
    # An approved response cannot be withdrawn or approved again; a stale version is refused.
    other = await submit(api, p.alpha)
    await api.query(APPROVE, {"id": other["id"], "version": 1}, p.mod1)
    assert (await code(WITHDRAW, {"id": other["id"]}, p.alpha))["code"] == "CONFLICT"
    assert await code(APPROVE, {"id": other["id"], "version": 2}, p.mod1) == {"code": "CONFLICT", "state": "APPROVED", "version": 2}
    assert await code(REMOVE, {"id": other["id"], "version": 1, "reason": "UNLAWFUL"}, p.mod1) == {
        "code": "CONFLICT", "state": "APPROVED", "version": 2,
    }
    after = await row_counts(sessions)
    # Only the withdrawal, the second submission and its approval were written.
    assert after == (before[0] + 1, before[1] + 3, before[2])


async def test_a_moderator_removes_a_submitted_response_on_a_ground(world):
    api, p = world
    response = await submit(api, p.alpha, "Mr Dupont is to blame.")
    removed = (await api.query(REMOVE, {"id": response["id"], "version": 1, "reason": "IDENTIFIES_PERSON", "note": "names a person"}, p.mod1))
    assert removed["removeResponse"] == {"id": response["id"], "state": "REMOVED", "version": 2, "removalReason": "IDENTIFIES_PERSON"}
    assert (await public_view(api))["responses"] == []
    # The author still sees it, and why it went.
    mine = (await api.query(ONE, {"id": response["id"]}, p.alpha))["response"]
    assert mine["state"] == "REMOVED" and mine["history"] is None
    assert (await api.query(QUEUE, {}, p.mod1))["moderationQueue"]["totalCount"] == 0


async def test_a_supplier_cannot_act_for_another_factory(world, sessions):
    api, p = world
    alpha_response = await submit(api, p.alpha)
    before = await row_counts(sessions)

    attempts = [
        (SUBMIT, {"input": {"assessmentId": A2, "text": "We are fine."}}),  # another factory's assessment
        (SUBMIT, {"input": {"assessmentId": gid("Assessment", "NO-SUCH"), "text": "We are fine."}}),
        (WITHDRAW, {"id": alpha_response["id"]}),
        (WITHDRAW, {"id": gid("Response", "no-such-response")}),
    ]
    messages = set()
    for query, variables in attempts:
        errors = await api.errors(query, variables, p.beta)
        assert errors[0]["extensions"]["code"] == "FORBIDDEN", errors
        messages.add(errors[0]["message"])
    assert len(messages) == 1  # the same answer for "not yours" and "does not exist"
    # Beta's finding id on Alpha's assessment, and A's finding on B's assessment.
    errors = await api.errors(SUBMIT, {"input": {"assessmentId": B2, "text": "x", "findingId": gid("Finding", "KH-A-A2/COM-2")}}, p.beta)
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert (await api.query(NODE, {"id": alpha_response["id"]}, p.beta))["node"] is None
    assert (await api.errors(QUEUE, {}, p.beta))[0]["extensions"]["code"] == "FORBIDDEN"
    assert (await api.errors(QUEUE, {}))[0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await row_counts(sessions) == before


async def test_only_the_current_assessment_can_be_answered(world, load):
    api, p = world
    errors = await api.errors(SUBMIT, {"input": {"assessmentId": gid("Assessment", "KH-A-A1"), "text": "old"}}, p.alpha)
    assert errors[0]["extensions"]["code"] == "CONFLICT"


async def test_concurrent_decisions_exactly_one_wins(world):
    api, p = world
    for round_ in range(4):
        response = await submit(api, p.alpha, f"Round {round_}: exits unlocked.")
        approve = api.post(APPROVE, {"id": response["id"], "version": 1}, p.mod1)
        remove = api.post(REMOVE, {"id": response["id"], "version": 1, "reason": "OFF_TOPIC"}, p.mod2)
        bodies = [r.json() for r in await asyncio.gather(approve, remove)]
        winners = [b for b in bodies if "errors" not in b]
        losers = [b for b in bodies if "errors" in b]
        assert len(winners) == 1 and len(losers) == 1, bodies
        decided = next(iter(winners[0]["data"].values()))
        extensions = losers[0]["errors"][0]["extensions"]
        assert extensions == {"code": "CONFLICT", "state": decided["state"], "version": 2}
        history = (await api.query(ONE, {"id": response["id"]}, p.mod1))["response"]["history"]
        assert [e["kind"] for e in history] == ["SUBMIT", decided["state"].replace("APPROVED", "APPROVE").replace("REMOVED", "REMOVE")]


async def test_claims_keep_other_moderators_off_until_released_or_expired(world, sessions):
    api, p = world
    response = await submit(api, p.alpha)
    rid = response["id"]
    claimed = (await api.query(CLAIM, {"id": rid}, p.mod1))["claimResponse"]
    assert claimed["claim"]["mine"] is True
    until = datetime.fromisoformat(claimed["claim"]["until"])
    assert timedelta(minutes=14) < until - datetime.now(UTC) <= timedelta(minutes=15)
    assert (await api.query(ONE, {"id": rid}, p.mod2))["response"]["claim"] == {"mine": False}

    errors = await api.errors(APPROVE, {"id": rid, "version": 1}, p.mod2)
    assert errors[0]["extensions"]["code"] == "CONFLICT" and "claimedUntil" in errors[0]["extensions"]
    assert (await api.errors(CLAIM, {"id": rid}, p.mod2))[0]["extensions"]["code"] == "CONFLICT"
    assert (await api.errors(RELEASE, {"id": rid}, p.mod2))[0]["extensions"]["code"] == "CONFLICT"

    await api.query(RELEASE, {"id": rid}, p.mod1)
    await api.query(CLAIM, {"id": rid}, p.mod2)
    # The claim runs out (moved into the past here rather than waiting 15 minutes).
    async with sessions() as session:
        await session.exec(update(ResponseRow).values(claim_expires_at=datetime.now(UTC) - timedelta(seconds=1)))
        await session.commit()
    approved = (await api.query(APPROVE, {"id": rid, "version": 1}, p.mod1))["approveResponse"]
    assert approved["state"] == "APPROVED"
    await api.query(NOTE, {"id": rid, "text": "Checked the photo against the finding."}, p.mod2)
    kinds = [e["kind"] for e in (await api.query(ONE, {"id": rid}, p.mod1))["response"]["history"]]
    assert kinds == ["SUBMIT", "CLAIM", "RELEASE", "CLAIM", "APPROVE", "NOTE"]


async def test_screening_flags_order_the_queue_and_decide_nothing(world):
    api, p = world
    calm = await submit(api, p.alpha, "Fire drills now happen every six months.")
    await asyncio.sleep(0.01)
    contact = await submit(api, p.alpha, "Call 012 345 678 or write to hr.manager@example.com, see www.example.org")
    await asyncio.sleep(0.01)
    second_calm = await submit(api, p.alpha, "Drinking water stations were added on each floor.")

    edges = (await api.query(QUEUE, {"first": 10}, p.mod1))["moderationQueue"]["edges"]
    ids = [e["node"]["id"] for e in edges]
    assert ids == [contact["id"], calm["id"], second_calm["id"]]
    flags = {f["kind"]: f["match"] for f in edges[0]["node"]["flags"]}
    assert flags["EMAIL"] == "hr.manager@example.com"
    assert "PHONE" in flags and "LINK" in flags
    assert edges[1]["node"]["flags"] == []
    # Flags never decide: the flagged one is still submitted and can be approved.
    assert (await api.query(ONE, {"id": contact["id"]}, p.mod1))["response"]["state"] == "SUBMITTED"

    only_email = (await api.query(QUEUE, {"filter": {"flag": ["EMAIL"]}}, p.mod1))["moderationQueue"]
    assert only_email["totalCount"] == 1
    assert (await api.query(QUEUE, {"filter": {"country": ["VN"]}}, p.mod1))["moderationQueue"]["totalCount"] == 0
    assert (await api.query(QUEUE, {"filter": {"waitingHours": 1}}, p.mod1))["moderationQueue"]["totalCount"] == 0
    page = (await api.query(QUEUE, {"first": 2}, p.mod1))["moderationQueue"]
    rest = (await api.query(QUEUE, {"first": 2, "after": page["pageInfo"]["endCursor"]}, p.mod1))["moderationQueue"]
    assert [e["node"]["id"] for e in page["edges"] + rest["edges"]] == ids
    stats = (await api.query("{ moderationStats { country waiting } }", {}, p.mod1))["moderationStats"]
    assert stats == [{"country": "KH", "waiting": 3}]


def photo_with_metadata() -> bytes:
    image = Image.new("RGB", (64, 32), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Model X"  # Model
    exif[0x0112] = 6  # orientation: rotated
    gps = {1: "N", 2: (11.0, 33.0, 15.0), 3: "E", 4: (104.0, 55.0, 2.0)}
    exif[0x8825] = gps
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif, comment=b"taken by Jane at home")
    return buffer.getvalue()


async def test_photos_lose_their_metadata_and_files_follow_the_response(world, load, settings):
    api, p = world
    original = photo_with_metadata()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # the test photo really has GPS
    uploaded = await api.upload(
        SUBMIT, {"input": {"assessmentId": A2, "text": "The exit, now clear."}}, [("exit.jpg", original, "image/jpeg")], p.alpha
    )
    response = uploaded.json()["data"]["submitResponse"]
    (attachment,) = response["attachments"]
    assert attachment["contentType"] == "image/jpeg"
    path = "/attachments/" + attachment["url"].rsplit("/attachments/", 1)[1]

    # Before approval: the author's factory and moderators only.
    assert (await api.client.get(path)).status_code == 404
    assert (await api.client.get(path, headers={"authorization": f"Bearer {p.beta}"})).status_code == 404
    fetched = await api.client.get(path, headers={"authorization": f"Bearer {p.mod1}"})
    assert fetched.status_code == 200
    cleaned = Image.open(io.BytesIO(fetched.content))
    assert not cleaned.getexif() and "comment" not in cleaned.info
    assert b"Jane" not in fetched.content and b"PhoneMaker" not in fetched.content
    assert cleaned.size == (32, 64)  # the orientation was applied, then dropped

    await api.query(APPROVE, {"id": response["id"], "version": 1}, p.mod1)
    public = await api.client.get(path)
    assert public.status_code == 200 and public.content == fetched.content
    assert public.headers["x-content-type-options"] == "nosniff"
    assert public.headers["content-type"] == "image/jpeg"
    assert public.headers["content-disposition"].startswith("inline; filename=\"attachment-")

    # A newer published assessment supersedes the old one: its responses and files leave the public view.
    await load(merge({"assessments": [assessment("KH-A-A3", "KH-A", 3, 10, all_compliant())]}))
    assert (await public_view(api))["responses"] == []
    assert (await api.client.get(path)).status_code == 404
    assert (await api.query(NODE, {"id": response["id"]}))["node"] is None
    assert (await api.client.get(path, headers={"authorization": f"Bearer {p.mod1}"})).status_code == 200


def stored_files(settings) -> list:
    root = settings.attachments_dir
    return [f for f in root.rglob("*") if f.is_file()] if root.exists() else []


async def test_oversized_disguised_and_too_many_files_are_refused_with_nothing_written(world, sessions, settings):
    api, p = world
    before = await row_counts(sessions)
    variables = {"input": {"assessmentId": A2, "text": "See the attached."}}

    big = await api.upload(SUBMIT, variables, [("big.png", b"\x89PNG\r\n\x1a\n" + b"0" * 400_000, "image/png")], p.alpha)
    assert big.status_code == 413 and big.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"

    disguised = await api.upload(SUBMIT, variables, [("photo.jpg", b"<html><script>alert(1)</script></html>", "image/jpeg")], p.alpha)
    errors = disguised.json()["errors"]
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT", errors

    small = photo_with_metadata()
    many = await api.upload(SUBMIT, variables, [(f"p{i}.jpg", small, "image/jpeg") for i in range(6)], p.alpha)
    assert many.status_code == 413

    # One good file and one bad one: the good one is not kept either.
    mixed = await api.upload(
        SUBMIT, variables, [("ok.jpg", small, "image/jpeg"), ("bad.pdf", b"%PDF-1.4 truncated", "application/pdf")], p.alpha
    )
    assert mixed.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert await row_counts(sessions) == before
    assert stored_files(settings) == []
