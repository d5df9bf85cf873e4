"""The compiled executor of the factory list (schema/compiled.py).

The test suite runs in golden mode: every answer the executor gives is compared byte for byte
with strawberry's own, and a difference is answered with 500. These tests make sure the executor
does answer the shapes front-ends send (so the comparison happens), that what it cannot answer
still gets strawberry's answer, and that what it keeps never outlives the data it came from.
"""

from __future__ import annotations

import pytest
from exports import all_compliant, assessment, merge
from worlds import world

from transparency_portal.schema.compiled import CompiledExecutor

FACTORY = (
    "id __typename name factoryType factoryTypeLabel country { code name publicReportingSince __typename } "
    "complianceStatus complianceStatusLabel nonComplianceCount leftProgrammeOn refusals { unexcused highlighted } "
    "latestAssessment { id date modality modalityLabel cycle comprehensive "
    "findings { id status statusLabel(lang: \"fr\") correction { reason correctedOn previousStatus } "
    "issue { id code title cluster clusterLabel description fr: title(lang: \"fr\") } } "
    "nonCompliances { id issue { code } } factory { name } }"
)
PAGE = (
    "query Page($first: Int, $after: String, $filter: FactoryFilter, $order: FactoryOrder) { "
    "factories(first: $first, after: $after, filter: $filter, orderBy: $order) { __typename totalCount "
    "edges { cursor node { %s } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }" % FACTORY
)


def executor(app) -> CompiledExecutor:
    layer = app.middleware_stack
    while not isinstance(layer, CompiledExecutor):
        layer = layer.app
    return layer


async def by_plan(api, query: str, variables: dict | None = None, **kwargs) -> dict:
    """The answer, which must have come from the plan (golden mode computes it on first sight,
    once strawberry has answered without errors, and compares)."""
    before = executor(api.app).answered if api.app.middleware_stack else 0
    response = await api.post(query, variables, **kwargs)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    compiled = executor(api.app)
    assert compiled.answered == before + 1 and compiled.mismatches == []
    return body["data"]


@pytest.mark.parametrize(
    "variables",
    [
        {},
        {"first": 3},
        {"first": 0},
        {"filter": {"country": ["VN"]}},
        {"filter": {"compliance": ["GREEN"], "modality": ["ONSITE", "VIRTUAL"]}},
        {"filter": {"nonCompliantOn": ["Q29tcGxpYW5jZUlzc3VlOkNPTS0y"]}},  # ComplianceIssue:COM-2
        {"filter": {"search": "angkor", "refusalsHighlighted": False, "assessedSince": "2000-01-01"}},
        {"filter": {"factoryType": ["FOOTWEAR"]}},
        {"order": {"field": "NAME", "direction": "DESC"}},
        {"order": {"field": "LATEST_ASSESSMENT"}, "first": 4},
        {"order": {"field": "NON_COMPLIANCES", "direction": "DESC"}},
    ],
)
async def test_the_list_is_answered_by_plan_as_strawberry_answers_it(api, load, variables):
    await load(world())
    data = await by_plan(api, PAGE, variables)
    assert data["factories"]["__typename"] == "FactoryConnection"


async def test_paging_by_plan_walks_the_whole_list_once(api, load):
    await load(world())
    everything = await by_plan(api, PAGE, {"first": 100})
    names, after = [], None
    while True:
        page = (await by_plan(api, PAGE, {"first": 2, "after": after}))["factories"]
        names += [edge["node"]["name"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert names == [edge["node"]["name"] for edge in everything["factories"]["edges"]]
    assert len(names) == everything["factories"]["totalCount"] > 5


async def test_aliases_languages_and_nodes_by_plan(api, load):
    await load(world())
    query = (
        "{ __typename all: factories(first: 5) { nodes { id name } } "
        "vn: factories(filter: { country: [\"VN\"] }) { total: totalCount edges { node { label: complianceStatusLabel "
        "latestAssessment { findings { issue { title clusterLabel(lang: \"es\") } } } } } } }"
    )
    english = await by_plan(api, query)
    french = await by_plan(api, query, headers={"accept-language": "fr"})
    assert english["__typename"] == "Query" and len(english["all"]["nodes"]) == 5
    assert english["vn"]["total"] == 1
    label = lambda data: data["vn"]["edges"][0]["node"]["label"]
    assert (label(english), label(french)) == ("Non-compliant", "Non conforme")


async def test_what_the_plan_cannot_answer_gets_strawberrys_answer(api, load):
    await load(world())
    vetted = await api.post(PAGE, {"first": 2})
    assert vetted.status_code == 200
    compiled = executor(api.app)
    compiled_before = compiled.answered
    # Errors of a vetted document: strawberry's, with their codes.
    for variables in ({"after": "not-a-cursor"}, {"first": 101}, {"filter": {"nonCompliantOn": ["bad id"]}}):
        body = (await api.post(PAGE, variables)).json()
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
    wrong_type = await api.post(PAGE, {"first": "many"})
    assert wrong_type.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    # Shapes outside the plan's subset.
    for query in (
        "{ factories(first: 2) { ...F } } fragment F on FactoryConnection { totalCount }",
        "{ factories(first: 2) { facets { country { value count } } } }",
        "{ factories(first: 2) { edges { node { latestAssessment { responses { text } } } } } }",
        "query Q($l: String) { factories(first: 2) { edges { node { complianceStatusLabel(lang: $l) } } } }",
    ):
        response = await api.post(query)
        assert response.status_code == 200 and "errors" not in response.json(), response.text
    assert compiled.answered == compiled_before and compiled.mismatches == []


async def test_kept_renderings_follow_a_newer_assessment(api, load):
    await load(world())
    query = '{ factories(filter: { search: "angkor" }) { edges { node { nonComplianceCount latestAssessment { id findings { id status } } } } } }'
    before = (await by_plan(api, query))["factories"]["edges"][0]["node"]
    assert before["nonComplianceCount"] == 1
    newer = all_compliant(**{"CHI-1": "NON_COMPLIANT", "OSH-7": "NON_COMPLIANT"})
    await load(merge({"assessments": [assessment("KH-NC-A3", "KH-NC", 3, 5, newer)]}))
    after = (await by_plan(api, query))["factories"]["edges"][0]["node"]
    assert after["nonComplianceCount"] == 2
    # The superseded assessment and its findings are gone from the answer, not only renamed.
    old_ids = {before["latestAssessment"]["id"], *(f["id"] for f in before["latestAssessment"]["findings"])}
    new_ids = {after["latestAssessment"]["id"], *(f["id"] for f in after["latestAssessment"]["findings"])}
    assert not old_ids & new_ids


async def test_signed_in_requests_are_not_answered_by_plan(api, load):
    await load(world())
    await api.post(PAGE, {"first": 2})
    compiled = executor(api.app)
    before = compiled.answered
    response = await api.post(PAGE, {"first": 2}, headers={"authorization": "Bearer tp_unknown"})
    assert response.status_code == 200
    assert compiled.answered == before
