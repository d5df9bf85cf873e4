"""Per-issue views, facets beside the filters, and languages (issue 6), from the public side."""

from __future__ import annotations


import pytest
from ids import gid, key
from worlds import world


@pytest.fixture
async def public(api, load):
    await load(world())
    return api


ISSUE = """query($id: ID!, $filter: FactoryFilter) { issue(id: $id) { code title cluster clusterLabel
  countries { code } nonCompliantFactories(first: 50, filter: $filter) { totalCount edges { node { id } } } } }"""


async def test_an_issue_lists_the_public_factories_non_compliant_on_it(public):
    data = (await public.query(ISSUE, {"id": gid("ComplianceIssue", "COM-2")}))["issue"]
    assert data["code"] == "COM-2" and data["cluster"] == "COMPENSATION" and data["clusterLabel"] == "Compensation"
    assert [c["code"] for c in data["countries"]] == ["KH"]
    ids = {key(e["node"]["id"]) for e in data["nonCompliantFactories"]["edges"]}
    # Not KH-SINGLE (one assessment) nor KH-GONE (left, cycle over); VN-1 is non-compliant on
    # COM-2 too, but Vietnam does not report it publicly.
    assert ids == {"KH-NC", "KH-DRAFTED", "KH-LEAVING", "KH-REFUSED", "KH-EXCUSED"}
    assert data["nonCompliantFactories"]["totalCount"] == 5
    narrowed = (await public.query(ISSUE, {"id": gid("ComplianceIssue", "COM-2"), "filter": {"refusalsHighlighted": True}}))
    assert [key(e["node"]["id"]) for e in narrowed["issue"]["nonCompliantFactories"]["edges"]] == ["KH-REFUSED"]
    # A superseded finding does not count: OSH-7 was non-compliant only in older assessments.
    osh = (await public.query(ISSUE, {"id": gid("ComplianceIssue", "OSH-7")}))["issue"]
    assert osh["nonCompliantFactories"]["totalCount"] == 0
    assert {c["code"] for c in osh["countries"]} == {"KH", "VN"}
    # WT-4 is asked everywhere but reported nowhere: not a public issue.
    errors = await public.errors(ISSUE, {"id": gid("ComplianceIssue", "WT-4")})
    assert errors[0]["extensions"]["code"] == "NOT_FOUND"


FACETS = """query($filter: FactoryFilter) { factories(first: 1, filter: $filter) { totalCount facets {
  country { value count label } compliance { value count label } modality { value count }
  factoryType { value count } issue { value count label } } } }"""


async def test_facets_count_each_option_with_the_other_filters_applied(public):
    facets = (await public.query(FACETS))["factories"]["facets"]
    assert facets["country"] == [{"value": "KH", "count": 7, "label": "Cambodia"}, {"value": "VN", "count": 1, "label": "Vietnam"}]
    assert {f["value"]: f["count"] for f in facets["compliance"]} == {"NON_COMPLIANT": 6, "GREEN": 2}
    assert {f["value"]: f["count"] for f in facets["modality"]} == {"ONSITE": 7, "VIRTUAL": 1}
    assert {f["value"]: f["count"] for f in facets["factoryType"]} == {"APPAREL": 7, "FOOTWEAR": 1}
    issues = {key(f["value"]): (f["count"], f["label"]) for f in facets["issue"]}
    assert issues == {"COM-2": (5, "Correctly paid overtime wages"), "FOA-1": (1, "Workers join and form unions freely")}

    # Choosing Vietnam narrows the other facets, not the country facet itself.
    narrowed = (await public.query(FACETS, {"filter": {"country": ["VN"]}}))["factories"]
    assert narrowed["totalCount"] == 1
    assert [f["value"] for f in narrowed["facets"]["country"]] == ["KH", "VN"]
    assert narrowed["facets"]["compliance"] == [{"value": "NON_COMPLIANT", "count": 1, "label": "Non-compliant"}]
    # Each facet's counts add up to what its value would list.
    for option in facets["country"]:
        listed = (await public.query(FACETS, {"filter": {"country": [option["value"]]}}))["factories"]["totalCount"]
        assert listed == option["count"]


LABELS = """query($lang: String) { issues(country: "KH") { code title(lang: $lang) clusterLabel(lang: $lang) }
  factories(first: 1, filter: {country: ["VN"]}) { edges { node { name complianceStatusLabel(lang: $lang)
    factoryTypeLabel(lang: $lang) latestAssessment { modalityLabel(lang: $lang) findings { statusLabel(lang: $lang) } } } } } }"""


async def test_labels_follow_lang_then_accept_language_then_english(public):
    french = await public.query(LABELS, {"lang": "fr"})
    titles = {i["code"]: i["title"] for i in french["issues"]}
    assert titles["CHI-1"] == "Pas de travail des enfants non corrigé"  # translated in the export
    assert titles["OSH-7"] == "Emergency exit doors are unlocked during working hours"  # no translation: English
    assert {i["clusterLabel"] for i in french["issues"]} >= {"Travail des enfants", "Rémunération"}
    node = french["factories"]["edges"][0]["node"]
    assert node["name"] == "Sông Xanh Footwear (test)"  # names keep their script and accents
    assert node["complianceStatusLabel"] == "Non conforme" and node["factoryTypeLabel"] == "Chaussures"
    assert node["latestAssessment"]["modalityLabel"] == "Évaluation sur site"

    # Accept-Language when no `lang` is given; weights decide; unknown languages fall back to English.
    response = await public.client.post(
        "/graphql", json={"query": LABELS}, headers={"accept-language": "de;q=1.0, es-NI;q=0.8, fr;q=0.5"}
    )
    spanish = response.json()["data"]
    assert spanish["factories"]["edges"][0]["node"]["latestAssessment"]["modalityLabel"] == "Evaluación presencial"
    english = await public.query(LABELS, {"lang": "xx"})
    assert english["factories"]["edges"][0]["node"]["factoryTypeLabel"] == "Footwear"
