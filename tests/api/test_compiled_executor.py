"""The compiled executor of the factory list (schema/fastpath/executor.py).

The test suite runs in golden mode: every answer the executor gives is compared byte for byte
with strawberry's own, and a difference is answered with 500. These tests make sure the executor
does answer the shapes front-ends send (so the comparison happens), that what it cannot answer
still gets strawberry's answer, and that what it keeps never outlives the data it came from.
"""

from __future__ import annotations

import dataclasses

import httpx
import pytest
import strawberry
from exports import all_compliant, assessment, merge
from servers import serving
from worlds import world

from transparency_portal.schema.fastpath.executor import CompiledExecutor, passed_arguments

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


async def walk(api, variables: dict, size: int = 1) -> list[tuple[str, int]]:
    """Every factory of the list, page by page after each page's end cursor: (name, count)."""
    seen, after = [], None
    while True:
        page = (await by_plan(api, PAGE, {**variables, "first": size, "after": after}))["factories"]
        seen += [(edge["node"]["name"], edge["node"]["nonComplianceCount"]) for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return seen
        after = page["pageInfo"]["endCursor"]


async def test_a_list_paged_through_again_and_again_follows_each_change(api, load):
    """A list asked for page after page is kept in memory (storage/page_index.py): its pages,
    each compared with strawberry's, stay the list's, and a change reorders them at once."""
    await load(world())
    order = {"order": {"field": "NON_COMPLIANCES", "direction": "DESC"}}
    first_walk = await walk(api, order)
    # Pages of another size (the same pages would be whole answers kept): from the kept list.
    assert await walk(api, order, size=2) == first_walk
    assert executor(api.app).pages.page_index.lists, "the list was never kept: this test shows nothing"
    counts = [count for _, count in first_walk]
    assert counts == sorted(counts, reverse=True) and len({name for name, _ in first_walk}) == len(first_walk)
    # Angkor (one non-compliance) gets a newer assessment with two: it moves up the list.
    newer = all_compliant(**{"CHI-1": "NON_COMPLIANT", "OSH-7": "NON_COMPLIANT"})
    await load(merge({"assessments": [assessment("KH-NC-A3", "KH-NC", 3, 5, newer)]}))
    after_change = await walk(api, order, size=2)
    changed = [(name, count) for name, count in after_change if (name, count) not in first_walk]
    assert len(changed) == 1 and changed[0][1] == 2
    assert [count for _, count in after_change] == sorted((count for _, count in after_change), reverse=True)
    assert sorted(name for name, _ in after_change) == sorted(name for name, _ in first_walk)


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


async def test_a_change_re_renders_only_the_factory_it_changed(api, load):
    """Renderings are kept per factory row version: an import that changes one factory's public
    record re-renders that factory only, however many the page holds."""
    await load(world())
    before = await by_plan(api, PAGE, {"first": 100})
    total = before["factories"]["totalCount"]
    compiled = executor(api.app)
    assert compiled.pages.rendered == total > 5  # the first page rendered every factory once
    newer = all_compliant(**{"CHI-1": "NON_COMPLIANT", "OSH-7": "NON_COMPLIANT"})
    await load(merge({"assessments": [assessment("KH-NC-A3", "KH-NC", 3, 5, newer)]}))
    page = (await by_plan(api, PAGE, {"first": 100}))["factories"]
    assert compiled.pages.rendered == total + 1
    assert sorted(e["node"]["nonComplianceCount"] for e in page["edges"]) != sorted(
        e["node"]["nonComplianceCount"] for e in before["factories"]["edges"]
    )  # the one re-rendered node is the changed one
    # The same page again is all kept renderings (a new language would render anew).
    await by_plan(api, PAGE, {"first": 100}, headers={"accept-language": "fr"})
    assert compiled.pages.rendered == 2 * total + 1


async def test_signed_in_requests_are_not_answered_by_plan(api, load):
    await load(world())
    await api.post(PAGE, {"first": 2})
    compiled = executor(api.app)
    before = compiled.answered
    response = await api.post(PAGE, {"first": 2}, headers={"authorization": "Bearer tp_unknown"})
    assert response.status_code == 200
    assert compiled.answered == before


async def test_fragments_directives_and_more_fields_in_a_node_by_plan(api, load):
    """Strawberry renders the nodes: a node's selection may use fragments, literal directives and
    any field of the public graph it stays in."""
    await load(world())
    query = (
        "query Fragments { factories(first: 4) { edges { cursor node { ...Card ... on Node { id } "
        "refusals @include(if: true) { highlighted } leftProgrammeOn @skip(if: true) } } "
        "nodes { __typename ... on Factory { name } } } } "
        "fragment Card on Factory { name country { code publicReportingSince } "
        "latestAssessment { ...Findings } } "
        "fragment Findings on Assessment { findings { status issue { ...Issue } } } "
        "fragment Issue on ComplianceIssue { code clusterLabel title(lang: \"vi\") description }"
    )
    data = await by_plan(api, query)
    node = data["factories"]["edges"][0]["node"]
    assert node["id"] and node["latestAssessment"]["findings"] and "leftProgrammeOn" not in node
    assert [n["name"] for n in data["factories"]["nodes"]] == [e["node"]["name"] for e in data["factories"]["edges"]]


async def test_what_a_node_may_not_keep_gets_strawberrys_answer(api, load):
    """Responses (moderated on their own), factory lists and the catalogue's lists inside a node
    are not kept renderings, however they are spelt."""
    await load(world())
    for query in (
        "{ factories(first: 2) { nodes { ...R } } } fragment R on Factory { latestAssessment { responses { text } } }",
        "{ factories(first: 2) { nodes { latestAssessment { findings { issue { nonCompliantFactories { totalCount } } } } } } }",
        "{ factories(first: 2) { nodes { ... on Factory @include(if: true) { latestAssessment { findings { responses { text } } } } } } }",
        "{ factories(first: 2) { nodes { country { issues { code } } } } }",
    ):
        for _ in range(2):  # the second time the document is vetted
            response = await api.post(query)
            assert response.status_code == 200 and "errors" not in response.json(), response.text
    compiled = executor(api.app)
    assert compiled.answered == 0 and compiled.mismatches == []


@pytest.fixture
async def unchecked_api(api, settings):
    """Beside `api`, on the same database: the app as production runs it, without golden mode,
    so the executor's answers stand alone."""
    from transparency_portal.schema.http.app import create_app

    app = create_app(dataclasses.replace(settings, compiled_check=False))
    async with serving(app) as base_url, httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        yield type(api)(client, base_url, app)


async def test_anonymous_and_signed_in_answers_are_the_same_data(unchecked_api, people):
    api = unchecked_api
    vetting = await api.post(PAGE, {"first": 1})  # strawberry answers a document first
    assert vetting.status_code == 200 and "errors" not in vetting.json()
    compiled = executor(api.app)
    # A size per token: the whole-answer cache has never seen these, so the executor answers.
    for first, token in ((5, people.alpha), (4, people.mod1), (3, people.steward)):
        before = compiled.answered
        anonymous = await api.post(PAGE, {"first": first}, headers={"accept-language": "km"})
        signed_in = await api.post(PAGE, {"first": first}, token=token, headers={"accept-language": "km"})
        assert compiled.answered == before + 1  # the anonymous one, by plan
        assert anonymous.status_code == signed_in.status_code == 200
        assert anonymous.json()["data"] == signed_in.json()["data"]
        assert len(anonymous.json()["data"]["factories"]["edges"]) == 2


def test_an_argument_the_fast_path_would_drop_turns_it_off():
    from transparency_portal.schema.build import schema

    assert passed_arguments(schema._schema.query_type.fields["factories"]) == {"first", "after", "filter", "orderBy"}

    @strawberry.type
    class Query:
        @strawberry.field
        def factories(self, first: int | None = 20, after: str | None = None, region: str | None = None) -> int:
            return 0

    widened = strawberry.Schema(query=Query)
    assert passed_arguments(widened._schema.query_type.fields["factories"]) is None
