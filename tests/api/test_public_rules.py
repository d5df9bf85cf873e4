"""Every publication rule of DOMAIN.md, checked from the public side: real HTTP, every path.

Each test loads a small world through the real import workflow, then asks the running server.
"""

from __future__ import annotations

import json

import pytest
from ids import gid, key
from exports import TODAY, all_compliant, assessment, days_ago
from worlds import world

FACTORY_FIELDS = """
  id name factoryType complianceStatus nonComplianceCount leftProgrammeOn
  country { code name }
  refusals { highlighted unexcused }
  latestAssessment {
    id date modality cycle comprehensive
    nonCompliances { id status issue { id code title cluster } }
    findings { id status issue { code } correction { reason correctedOn previousStatus } }
  }
"""
LIST = "query($filter: FactoryFilter, $first: Int, $after: String, $orderBy: FactoryOrder) { factories(first: $first, after: $after, filter: $filter, orderBy: $orderBy) { totalCount edges { cursor node { %s } } pageInfo { hasNextPage endCursor } } }" % FACTORY_FIELDS
ONE = "query($id: ID!) { factory(id: $id) { %s } }" % FACTORY_FIELDS
NODE = "query($id: ID!) { node(id: $id) { id __typename } }"


@pytest.fixture
async def public(api, load):
    await load(world())
    return api


async def all_factories(api, **variables) -> dict[str, dict]:
    data = await api.query(LIST, {"first": 100, **variables})
    return {edge["node"]["id"]: edge["node"] for edge in data["factories"]["edges"]}


async def listed_ids(api, filter: dict) -> set[str]:
    data = await api.query(LIST, {"first": 100, "filter": filter})
    ids = {key(e["node"]["id"]) for e in data["factories"]["edges"]}
    assert data["factories"]["totalCount"] == len(ids)
    return ids


VISIBLE = {"KH-NC", "KH-GREEN", "KH-DRAFTED", "KH-LEAVING", "KH-REFUSED", "KH-EXCUSED", "KH-VIRTUAL", "VN-1"}


async def test_the_list_shows_exactly_the_public_factories(public):
    assert await listed_ids(public, {}) == VISIBLE


@pytest.mark.parametrize("hidden", ["KH-SINGLE", "KH-GONE", "UNKNOWN"])
async def test_hidden_factories_are_not_found_on_any_path(public, hidden):
    # Rule 1 (one published assessment), rule 5 (left, cycle over) and an unknown id: the same answer.
    errors = await public.errors(ONE, {"id": gid("Factory", hidden)})
    assert errors[0]["extensions"]["code"] == "NOT_FOUND"
    assert (await public.query(NODE, {"id": gid("Factory", hidden)}))["node"] is None
    for search in ("Single", "Departed"):
        assert not await listed_ids(public, {"search": search})


async def test_only_the_latest_published_assessment_is_shown(public):
    factory = (await public.query(ONE, {"id": gid("Factory", "KH-NC")}))["factory"]
    latest = factory["latestAssessment"]
    assert latest["id"] == gid("Assessment", "KH-NC-A2")
    assert latest["date"] == days_ago(100) and latest["modality"] == "ONSITE" and latest["cycle"] == 3
    assert [f["issue"]["code"] for f in latest["nonCompliances"]] == ["COM-2"]
    assert factory["complianceStatus"] == "NON_COMPLIANT" and factory["nonComplianceCount"] == 1
    # Every public issue of the country, and nothing of the non-public WT-4.
    assert [(f["issue"]["code"], f["status"]) for f in latest["findings"]] == [
        ("CHI-1", "COMPLIANT"), ("OSH-7", "COMPLIANT"), ("COM-2", "NON_COMPLIANT"),
    ]


async def test_a_superseded_assessment_is_hidden_on_every_path(public):
    # KH-NC's older assessment found OSH-7 non-compliant; the newer one did not.
    assert (await public.query(NODE, {"id": gid("Assessment", "KH-NC-A1")}))["node"] is None
    assert (await public.query(NODE, {"id": gid("Finding", "KH-NC-A1/OSH-7")}))["node"] is None
    assert "KH-NC" not in await listed_ids(public, {"nonCompliantOn": [gid("ComplianceIssue", "OSH-7")]})
    everything = json.dumps(await public.query(LIST, {"first": 100}))
    assert "KH-NC-A1" not in everything
    # The current ones resolve.
    node = (await public.query(NODE, {"id": gid("Finding", "KH-NC-A2/COM-2")}))["node"]
    assert node == {"id": gid("Finding", "KH-NC-A2/COM-2"), "__typename": "Finding"}


async def test_drafts_and_finalized_reports_are_never_shown(public):
    factory = (await public.query(ONE, {"id": gid("Factory", "KH-DRAFTED")}))["factory"]
    assert factory["latestAssessment"]["id"] == gid("Assessment", "KH-DRAFTED-A2")
    assert (await public.query(NODE, {"id": gid("Assessment", "KH-DRAFTED-A3")}))["node"] is None
    assert "KH-DRAFTED" not in await listed_ids(public, {"nonCompliantOn": [gid("ComplianceIssue", "CHI-1")]})


async def test_green_factories_have_no_public_non_compliance(public):
    green = await listed_ids(public, {"compliance": ["GREEN"]})
    # KH-GREEN's only non-compliance is on a question Cambodia does not report publicly.
    assert green == {"KH-GREEN", "KH-VIRTUAL"}
    factories = await all_factories(public)
    for factory in factories.values():
        assert (factory["complianceStatus"] == "GREEN") == (factory["nonComplianceCount"] == 0)
        assert factory["nonComplianceCount"] == len(factory["latestAssessment"]["nonCompliances"])
    assert await listed_ids(public, {"compliance": ["NON_COMPLIANT"]}) == VISIBLE - green
    assert await listed_ids(public, {"compliance": ["GREEN", "NON_COMPLIANT"]}) == VISIBLE


async def test_refusals_are_highlighted_from_two_unexcused_since_the_latest_assessment(public):
    factories = await all_factories(public)
    assert factories[gid("Factory", "KH-REFUSED")]["refusals"] == {"highlighted": True, "unexcused": 2}
    assert factories[gid("Factory", "KH-EXCUSED")]["refusals"] == {"highlighted": False, "unexcused": 1}
    assert await listed_ids(public, {"refusalsHighlighted": True}) == {"KH-REFUSED"}


async def test_a_factory_that_left_stays_until_its_cycle_ends(public):
    factory = (await public.query(ONE, {"id": gid("Factory", "KH-LEAVING")}))["factory"]
    assert factory["leftProgrammeOn"] == days_ago(5)


async def test_a_virtual_check_says_it_is_not_comprehensive(public):
    latest = (await public.query(ONE, {"id": gid("Factory", "KH-VIRTUAL")}))["factory"]["latestAssessment"]
    assert latest["modality"] == "VIRTUAL" and latest["comprehensive"] is False
    assert [f["status"] for f in latest["findings"]] == ["NOT_ASSESSED", "COMPLIANT", "NOT_ASSESSED"]
    assert await listed_ids(public, {"modality": ["VIRTUAL"]}) == {"KH-VIRTUAL"}


async def test_each_country_shows_its_own_public_issues(public):
    factory = (await public.query(ONE, {"id": gid("Factory", "VN-1")}))["factory"]
    assert [f["issue"]["code"] for f in factory["latestAssessment"]["findings"]] == ["OSH-7", "FOA-1"]
    # COM-2 is non-compliant but not reported publicly in Vietnam.
    assert [f["issue"]["code"] for f in factory["latestAssessment"]["nonCompliances"]] == ["FOA-1"]
    assert factory["country"] == {"code": "VN", "name": "Vietnam"} and factory["factoryType"] == "FOOTWEAR"


async def test_a_correction_is_public_and_names_nobody(public, load):
    corrected = world()
    corrected["assessments"] = [
        assessment("KH-NC-A2", "KH-NC", 3, 100, all_compliant())  # COM-2 was NON_COMPLIANT
    ]
    for section in ("factories", "cycles", "refusals", "questions", "countries"):
        corrected.pop(section, None)
    await load(corrected, correction_reason="Payroll re-examined: inaccurate at collection", actor="Jane Steward")
    factory = (await public.query(ONE, {"id": gid("Factory", "KH-NC")}))["factory"]
    com2 = next(f for f in factory["latestAssessment"]["findings"] if f["issue"]["code"] == "COM-2")
    assert com2["status"] == "COMPLIANT"
    assert com2["correction"] == {
        "reason": "Payroll re-examined: inaccurate at collection",
        "correctedOn": TODAY.isoformat(),
        "previousStatus": "NON_COMPLIANT",
    }
    assert factory["complianceStatus"] == "GREEN"
    everything = json.dumps(await public.query(LIST, {"first": 100}))
    assert "Jane" not in everything and "Steward" not in everything


async def test_filters(public):
    assert await listed_ids(public, {"country": ["VN"]}) == {"VN-1"}
    assert await listed_ids(public, {"country": ["vn", "KH"]}) == VISIBLE
    assert await listed_ids(public, {"factoryType": ["FOOTWEAR"]}) == {"VN-1"}
    assert await listed_ids(public, {"nonCompliantOn": [gid("ComplianceIssue", "FOA-1"), gid("ComplianceIssue", "CHI-1")]}) == {"VN-1"}
    # Case- and accent-insensitive, both ways.
    assert await listed_ids(public, {"search": "angkor stitch works"}) == {"KH-NC"}
    assert await listed_ids(public, {"search": "SONG XANH"}) == {"VN-1"}
    assert await listed_ids(public, {"search": "Sông"}) == {"VN-1"}
    assert await listed_ids(public, {"search": "%"}) == set()
    assert await listed_ids(public, {"assessedSince": days_ago(99)}) == set()
    assert await listed_ids(public, {"assessedSince": days_ago(100)}) == VISIBLE
