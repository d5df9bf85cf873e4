"""Rule 2's embargo: an assessment is public from its publication day, not before, on every
public path; then public on that day without another import. Real HTTP, a clock the test moves.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta

import httpx
import pytest
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
from ids import gid, key
from PIL import Image
from servers import serving
from sqlalchemy import select
from transparency_portal.domain.moderation import Role
from transparency_portal.schema.http.app import create_app
from transparency_portal.storage.tables.public import PublicFactoryRow
from transparency_portal.workflows.users import add_user

PUBLICATION_DAY = TODAY + timedelta(days=10)
EMBARGOED = ["KH-NEXT-A3", "KH-FIRST-A2", "KH-NEW-A1"]

FACTORY = """id name latestAssessment { id date findings { id status issue { code } }
  responses { id text attachments { url } } }"""
LIST = """query($first: Int, $after: String, $filter: FactoryFilter) { factories(first: $first, after: $after, filter: $filter) {
  totalCount edges { cursor node { %s } } pageInfo { hasNextPage endCursor } } }""" % FACTORY
FACETS = """{ factories(first: 1) { totalCount facets { compliance { value count } issue { value count } } } }"""
ONE = "query($id: ID!) { factory(id: $id) { %s } }" % FACTORY
NODE = "query($id: ID!) { node(id: $id) { id } }"
ISSUE = """query($id: ID!) { issue(id: $id) { nonCompliantFactories(first: 10) { totalCount edges { node { id } } } } }"""
REPORT = """query { countryReport(country: "KH") { asOf green { period assessed } } }"""
SUBMIT = """mutation($input: SubmitResponseInput!) { submitResponse(input: $input) { id attachments { url } } }"""
APPROVE = "mutation($id: ID!, $version: Int!) { approveResponse(id: $id, version: $version) { state } }"


def embargoed(id: str, factory: str, results: dict[str, str]) -> dict:
    """Assessed 10 days ago, published (to be made public) 10 days from now."""
    return assessment(id, factory, 3, 10, results) | {"publishedOn": PUBLICATION_DAY.isoformat()}


def embargo_world() -> dict:
    chi = all_compliant(**{"CHI-1": "NON_COMPLIANT"})
    # Public today with A2 (COM-2); from the publication day with A3 (CHI-1 only).
    following = factory_with_history("KH-NEXT", "Next Day Garments (test)")
    following["assessments"].append(embargoed("KH-NEXT-A3", "KH-NEXT", chi))
    # One assessment public today: not public until its second one is.
    first = {
        "factories": [{"id": "KH-FIRST", "name": "First Light Apparel (test)", "type": "APPAREL", "country": "KH"}],
        "cycles": cycles("KH-FIRST"),
        "assessments": [
            assessment("KH-FIRST-A1", "KH-FIRST", 3, 100, all_compliant()),
            embargoed("KH-FIRST-A2", "KH-FIRST", chi),
        ],
    }
    # Its only assessment is embargoed: never public, but counted by country reports from its day.
    new = {
        "factories": [{"id": "KH-NEW", "name": "New Dawn Knits (test)", "type": "APPAREL", "country": "KH"}],
        "cycles": cycles("KH-NEW"),
        "assessments": [embargoed("KH-NEW-A1", "KH-NEW", chi)],
    }
    return merge(base_document(), factory_with_history("KH-BASE", "Base Line Apparel (test)"), following, first, new)


class Client:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def post(self, query: str, variables: dict | None = None, token: str | None = None) -> dict:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        response = await self.client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()

    async def query(self, query: str, variables: dict | None = None, token: str | None = None) -> dict:
        body = await self.post(query, variables, token)
        assert "errors" not in body, body["errors"]
        return body["data"]

    async def error_code(self, query: str, variables: dict, token: str | None = None) -> str:
        body = await self.post(query, variables, token)
        return body["errors"][0]["extensions"]["code"]

    async def csv(self, path: str, params=()) -> list[dict]:
        response = await self.client.get(path, params=list(params))
        assert response.status_code == 200, response.text
        return list(csv.DictReader(io.StringIO(response.text)))


@pytest.fixture
async def embargo(settings, engine, load, sessions):
    await load(embargo_world())
    clock = Clock()
    async with serving(create_app(settings, clock=clock)) as base_url, httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        yield Client(http), clock, sessions


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (20, 120, 40)).save(buffer, "PNG")
    return buffer.getvalue()


async def approved_response_with_a_file(api: Client, sessions) -> tuple[str, str, str]:
    """A response of KH-NEXT to its assessment public today, approved; (its id, file path, moderator token)."""
    supplier = (await add_user(sessions, name="Next Day HR desk", role=Role.SUPPLIER, factory_source_id="KH-NEXT")).token
    moderator = (await add_user(sessions, name="Moderator Embargo", role=Role.MODERATOR)).token
    operations = json.dumps({"query": SUBMIT, "variables": {"input": {
        "assessmentId": gid("Assessment", "KH-NEXT-A2"), "text": "Wages are now paid on time.", "attachments": [None]}}})
    uploaded = await api.client.post(
        "/graphql",
        data={"operations": operations, "map": json.dumps({"0": ["variables.input.attachments.0"]})},
        files={"0": ("payslips.png", png(), "image/png")},
        headers={"authorization": f"Bearer {supplier}"},
    )  # fmt: skip
    response = uploaded.json()["data"]["submitResponse"]
    assert (await api.query(APPROVE, {"id": response["id"], "version": 1}, moderator))["approveResponse"]["state"] == "APPROVED"
    path = "/attachments/" + response["attachments"][0]["url"].rsplit("/attachments/", 1)[1]

    # Nobody may answer an assessment before its publication day: it is not the current one.
    for finding in (None, gid("Finding", "KH-NEXT-A3/CHI-1")):
        variables = {"input": {"assessmentId": gid("Assessment", "KH-NEXT-A3"), "findingId": finding, "text": "early"}}
        assert await api.error_code(SUBMIT, variables, supplier) == "CONFLICT"
    return response["id"], path, moderator


async def listed(api: Client, **filter) -> dict[str, dict]:
    """Every factory of the list, a page of two at a time (keyset cursors), by factory key."""
    out, after = {}, None
    while True:
        page = (await api.query(LIST, {"first": 2, "after": after, "filter": filter}))["factories"]
        out.update({key(e["node"]["id"]): e["node"] for e in page["edges"]})
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    whole = (await api.query(LIST, {"first": 100, "filter": filter}))["factories"]
    assert {key(e["node"]["id"]) for e in whole["edges"]} == set(out) and whole["totalCount"] == len(out)
    return out


def green_cell(report: dict, year: str) -> int:
    return next(cell["assessed"] for cell in report["green"] if cell["period"].startswith(year))


async def walk_public_paths(api: Client, day: date) -> dict:
    """What every public path says on `day`, in one shape."""
    factories = await listed(api)
    facets = (await api.query(FACETS))["factories"]
    report = (await api.query(REPORT))["countryReport"]
    rows = await api.csv("/export/factories.csv")
    report_rows = await api.csv("/export/country-report.csv", [("country", "KH")])
    seen = {
        "list": {fid: f["latestAssessment"]["id"] for fid, f in factories.items()},
        "chi-1 filter": set(await listed(api, nonCompliantOn=[gid("ComplianceIssue", "CHI-1")])),
        "chi-1 issue": (await api.query(ISSUE, {"id": gid("ComplianceIssue", "CHI-1")}))["issue"]["nonCompliantFactories"],
        "total": facets["totalCount"],
        "issue facet": {key(f["value"]): f["count"] for f in facets["facets"]["issue"]},
        "csv": {key(r["factory_id"]): r["latest_assessment_id"] for r in rows},
        "report asOf": report["asOf"],
        "report csv asOf": {r["data_as_of"] for r in report_rows},
        "green assessed": green_cell(report, days_ago(10)[:4]),
        "everything": json.dumps([factories, facets, rows]),
    }
    # Nothing names a day the public may not know yet.
    for as_of in [report["asOf"], *seen["report csv asOf"], *(r["data_as_of"] for r in rows)]:
        assert as_of <= day.isoformat()
    seen["factory"] = {}
    for fid in ("KH-NEXT", "KH-FIRST", "KH-NEW"):
        body = await api.post(ONE, {"id": gid("Factory", fid)})
        seen["factory"][fid] = body["data"]["factory"]["latestAssessment"]["id"] if body.get("data", {}).get("factory") else body["errors"][0]["extensions"]["code"]
    nodes = [gid("Factory", "KH-FIRST"), gid("Assessment", "KH-NEXT-A3"), gid("Finding", "KH-NEXT-A3/CHI-1"), gid("Assessment", "KH-FIRST-A2")]
    seen["nodes"] = [(await api.query(NODE, {"id": node}))["node"] is not None for node in nodes]
    return seen


async def test_an_embargoed_assessment_is_hidden_everywhere_until_its_day_then_public_without_an_import(embargo):
    api, clock, sessions = embargo
    response_id, file_path, moderator = await approved_response_with_a_file(api, sessions)
    a2, a3 = gid("Assessment", "KH-NEXT-A2"), gid("Assessment", "KH-NEXT-A3")

    before = await walk_public_paths(api, TODAY)
    assert before["list"] == {"KH-BASE": gid("Assessment", "KH-BASE-A2"), "KH-NEXT": a2}
    assert before["total"] == 2 and before["csv"] == before["list"]
    assert before["chi-1 filter"] == set() and before["chi-1 issue"] == {"totalCount": 0, "edges": []}
    assert "CHI-1" not in before["issue facet"]
    assert before["factory"] == {"KH-NEXT": a2, "KH-FIRST": "NOT_FOUND", "KH-NEW": "NOT_FOUND"}
    assert before["nodes"] == [False, False, False, False]
    for hidden in EMBARGOED:
        assert gid("Assessment", hidden) not in before["everything"]
    assert "First Light" not in before["everything"] and "New Dawn" not in before["everything"]
    # The latest publication the public may know of: 70 days ago, not the coming publication day.
    assert before["report asOf"] == days_ago(70) and before["report csv asOf"] == {days_ago(70)}
    # The approved response to the current assessment, and its file, are public.
    next_day = (await api.query(ONE, {"id": gid("Factory", "KH-NEXT")}))["factory"]["latestAssessment"]
    assert [r["id"] for r in next_day["responses"]] == [response_id]
    assert (await api.query(NODE, {"id": response_id}))["node"] == {"id": response_id}
    assert (await api.client.get(file_path)).status_code == 200

    clock.move_to(PUBLICATION_DAY)
    after = await walk_public_paths(api, PUBLICATION_DAY)
    assert after["list"] == {
        "KH-BASE": gid("Assessment", "KH-BASE-A2"), "KH-NEXT": a3, "KH-FIRST": gid("Assessment", "KH-FIRST-A2"),
    }  # fmt: skip
    assert after["total"] == 3 and after["csv"] == after["list"]
    assert after["chi-1 filter"] == {"KH-NEXT", "KH-FIRST"} and after["chi-1 issue"]["totalCount"] == 2
    assert after["issue facet"]["CHI-1"] == 2
    assert after["factory"] == {"KH-NEXT": a3, "KH-FIRST": gid("Assessment", "KH-FIRST-A2"), "KH-NEW": "NOT_FOUND"}
    assert after["nodes"] == [True, True, True, True]
    assert after["report asOf"] == PUBLICATION_DAY.isoformat()
    assert after["report csv asOf"] == {PUBLICATION_DAY.isoformat()}
    # Each factory counts once a year by its latest assessment: KH-NEW joins the year of the
    # embargoed assessments, and KH-NEXT and KH-FIRST too when their older ones fell in another.
    joined = 1 if days_ago(100)[:4] == days_ago(10)[:4] else 3
    assert after["green assessed"] == before["green assessed"] + joined
    # A newer assessment takes the old one's responses and files out of view with it.
    next_day = (await api.query(ONE, {"id": gid("Factory", "KH-NEXT")}))["factory"]["latestAssessment"]
    assert next_day["responses"] == []
    assert (await api.query(NODE, {"id": response_id}))["node"] is None
    assert (await api.client.get(file_path)).status_code == 404
    assert (await api.client.get(file_path, headers={"authorization": f"Bearer {moderator}"})).status_code == 200


async def test_the_day_before_still_shows_the_older_view(embargo):
    api, clock, _ = embargo
    clock.move_to(PUBLICATION_DAY - timedelta(days=1))
    seen = await walk_public_paths(api, PUBLICATION_DAY - timedelta(days=1))
    assert seen["list"] == {"KH-BASE": gid("Assessment", "KH-BASE-A2"), "KH-NEXT": gid("Assessment", "KH-NEXT-A2")}
    assert seen["report asOf"] == days_ago(70)


async def row_versions(sessions) -> dict[str, set[int]]:
    async with sessions() as session:
        rows = (await session.exec(select(PublicFactoryRow.source_id, PublicFactoryRow.row_version))).all()
    found: dict[str, set[int]] = {}
    for source_id, version in rows:
        found.setdefault(source_id, set()).add(version)
    return found


async def test_a_factory_row_version_moves_only_when_its_public_document_does(embargo, load):
    """For caches kept per factory: one version per factory (on each of its periods' rows)."""
    api, _, sessions = embargo
    first = await row_versions(sessions)
    assert set(first) == {"KH-BASE", "KH-NEXT", "KH-FIRST"} and all(len(v) == 1 for v in first.values())

    # A refusal of KH-BASE changes KH-BASE's document only.
    await load(merge({"refusals": [{"factory": "KH-BASE", "date": days_ago(5)}]}))
    second = await row_versions(sessions)
    assert second["KH-BASE"] != first["KH-BASE"]
    assert {f: second[f] for f in ("KH-NEXT", "KH-FIRST")} == {f: first[f] for f in ("KH-NEXT", "KH-FIRST")}

    # Approving a response changes what the public sees of KH-NEXT (its responses): its version moves.
    await approved_response_with_a_file(api, sessions)
    third = await row_versions(sessions)
    assert third["KH-NEXT"] != second["KH-NEXT"] and third["KH-BASE"] == second["KH-BASE"]
