"""GET /export/factories.csv: the same factories as `Query.factories`, by the same public rules."""

from __future__ import annotations

import csv
import io

import pytest
from ids import gid, key
from exports import days_ago, factory_with_history, merge
from worlds import world

LIST = "query($filter: FactoryFilter) { factories(first: 100, filter: $filter) { edges { node { id } } } }"
COLUMNS = [
    "data_as_of", "factory_id", "name", "factory_type", "country", "compliance_status",
    "non_compliance_count", "latest_assessment_id", "latest_assessment_date", "modality", "cycle",
    "comprehensive", "refusals_unexcused", "refusals_highlighted", "left_programme_on",
    "non_compliant_issues",
]  # fmt: skip
VISIBLE = {"KH-NC", "KH-GREEN", "KH-DRAFTED", "KH-LEAVING", "KH-REFUSED", "KH-EXCUSED", "KH-VIRTUAL", "VN-1"}
# Every assessment was published 30 days after it happened; the latest ones 100 days ago.
DATA_AS_OF = days_ago(70)


@pytest.fixture
async def public(api, load):
    await load(world())
    return api


async def export(api, params=()) -> list[dict]:
    response = await api.client.get("/export/factories.csv", params=list(params))
    assert response.status_code == 200, response.text
    reader = csv.DictReader(io.StringIO(response.text))
    assert reader.fieldnames == COLUMNS
    return list(reader)


# (GraphQL filter, the same as query parameters)
FILTERS = [
    ({}, []),
    ({"country": ["VN"]}, [("country", "VN")]),
    ({"country": ["vn", "KH"]}, [("country", "vn"), ("country", "KH")]),
    ({"factoryType": ["FOOTWEAR"]}, [("factoryType", "FOOTWEAR")]),
    ({"compliance": ["GREEN"]}, [("compliance", "GREEN")]),
    ({"compliance": ["NON_COMPLIANT"]}, [("compliance", "NON_COMPLIANT")]),
    ({"nonCompliantOn": [gid("ComplianceIssue", "FOA-1"), gid("ComplianceIssue", "CHI-1")]},
     [("nonCompliantOn", gid("ComplianceIssue", "FOA-1")), ("nonCompliantOn", gid("ComplianceIssue", "CHI-1"))]),
    ({"nonCompliantOn": [gid("ComplianceIssue", "COM-2")]}, [("nonCompliantOn", gid("ComplianceIssue", "COM-2"))]),
    # OSH-7 was non-compliant only in superseded assessments: nobody.
    ({"nonCompliantOn": [gid("ComplianceIssue", "OSH-7")]}, [("nonCompliantOn", gid("ComplianceIssue", "OSH-7"))]),
    ({"modality": ["VIRTUAL"]}, [("modality", "VIRTUAL")]),
    ({"search": "angkor stitch works"}, [("search", "angkor stitch works")]),
    ({"search": "Sông"}, [("search", "Sông")]),
    ({"search": "%"}, [("search", "%")]),
    ({"assessedSince": days_ago(100)}, [("assessedSince", days_ago(100))]),
    ({"assessedSince": days_ago(99)}, [("assessedSince", days_ago(99))]),
    ({"refusalsHighlighted": True}, [("refusalsHighlighted", "true")]),
    ({"refusalsHighlighted": False}, [("refusalsHighlighted", "false")]),
    ({"country": ["KH"], "compliance": ["NON_COMPLIANT"], "nonCompliantOn": [gid("ComplianceIssue", "COM-2")], "search": "textiles"},
     [("country", "KH"), ("compliance", "NON_COMPLIANT"), ("nonCompliantOn", gid("ComplianceIssue", "COM-2")), ("search", "textiles")]),
]  # fmt: skip


@pytest.mark.parametrize(("graphql", "params"), FILTERS)
async def test_the_export_lists_what_the_api_lists(public, graphql, params):
    listed = [e["node"]["id"] for e in (await public.query(LIST, {"filter": graphql}))["factories"]["edges"]]
    rows = await export(public, params)
    assert [row["factory_id"] for row in rows] == listed
    assert all(row["data_as_of"] == DATA_AS_OF for row in rows)


async def test_rows_carry_only_the_current_public_findings(public):
    response = await public.client.get("/export/factories.csv")
    rows = {key(row["factory_id"]): row for row in csv.DictReader(io.StringIO(response.text))}
    # One published assessment, left with its cycle over: not there, on any field.
    assert set(rows) == VISIBLE
    for hidden in ("KH-SINGLE", "KH-GONE", "Single Assessment", "Departed"):
        assert hidden not in response.text
    # KH-NC's superseded assessment found OSH-7 and WT-4 non-compliant; only the latest shows.
    assert rows["KH-NC"] == {
        "data_as_of": DATA_AS_OF,
        "factory_id": gid("Factory", "KH-NC"),
        "name": "Ângkor Stitch Wörks (test)",
        "factory_type": "APPAREL",
        "country": "KH",
        "compliance_status": "NON_COMPLIANT",
        "non_compliance_count": "1",
        "latest_assessment_id": gid("Assessment", "KH-NC-A2"),
        "latest_assessment_date": days_ago(100),
        "modality": "ONSITE",
        "cycle": "3",
        "comprehensive": "true",
        "refusals_unexcused": "0",
        "refusals_highlighted": "false",
        "left_programme_on": "",
        "non_compliant_issues": "COM-2",
    }
    assert gid("Assessment", "KH-NC-A1") not in response.text
    # Drafts and finalized reports never; a non-public question never; a virtual check says so.
    assert rows["KH-DRAFTED"]["latest_assessment_id"] == gid("Assessment", "KH-DRAFTED-A2")
    assert rows["KH-GREEN"]["compliance_status"] == "GREEN" and rows["KH-GREEN"]["non_compliant_issues"] == ""
    assert rows["VN-1"]["non_compliant_issues"] == "FOA-1"
    assert rows["KH-VIRTUAL"]["comprehensive"] == "false"
    assert rows["KH-REFUSED"]["refusals_highlighted"] == "true" and rows["KH-REFUSED"]["refusals_unexcused"] == "2"
    assert rows["KH-LEAVING"]["left_programme_on"] == days_ago(5)


async def test_headers(public):
    response = await public.client.get("/export/factories.csv", params={"country": "KH"})
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == f'attachment; filename="factories-{DATA_AS_OF}.csv"'


async def test_the_export_streams_page_after_page(public, load, monkeypatch):
    from transparency_portal.resolvers import exports

    await load(merge(*(factory_with_history(f"KH-P{n}", f"Paged Mill {n:02} (test)") for n in range(7))))
    whole = await export(public)
    monkeypatch.setattr(exports, "PAGE", 3)
    paged = await export(public)
    assert paged == whole and len(whole) == len(VISIBLE) + 7
    assert len({row["factory_id"] for row in paged}) == len(paged)
    # A page boundary falls exactly on the end too (9 Paged/Mill rows: 3 full pages).
    await load(merge(*(factory_with_history(f"KH-P{n}", f"Paged Mill {n:02} (test)") for n in range(7, 9))))
    assert [r["name"] for r in await export(public, [("search", "paged")])] == [f"Paged Mill {n:02} (test)" for n in range(9)]


async def test_a_name_cannot_become_a_spreadsheet_formula(public, load):
    await load(merge(factory_with_history("KH-FORMULA", '=HYPERLINK("http://example.com","x")')))
    rows = await export(public, [("search", "hyperlink")])
    assert [r["name"] for r in rows] == ['\'=HYPERLINK("http://example.com","x")']


@pytest.mark.parametrize(
    ("params", "argument"),
    [
        ([("contry", "KH")], "contry"),
        ([("country", "Cambodia")], "country"),
        ([("factoryType", "SHOES")], "factoryType"),
        ([("compliance", "RED")], "compliance"),
        ([("nonCompliantOn", "not-an-id")], "nonCompliantOn"),
        ([("nonCompliantOn", gid("Factory", "KH-NC"))], "nonCompliantOn"),
        ([("modality", "onsite")], "modality"),
        ([("assessedSince", "last week")], "assessedSince"),
        ([("refusalsHighlighted", "yes")], "refusalsHighlighted"),
        ([("search", "a"), ("search", "b")], "search"),
    ],
)
async def test_bad_parameters_are_refused_before_anything_is_sent(public, params, argument):
    response = await public.client.get("/export/factories.csv", params=params)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["errors"][0]["extensions"] == {**body["errors"][0]["extensions"], "code": "BAD_USER_INPUT", "argument": argument}
    assert body["errors"][0]["message"]
