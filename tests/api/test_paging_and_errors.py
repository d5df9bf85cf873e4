"""Keyset paging, the statement budget of a page, and the error codes clients get."""

from __future__ import annotations

import base64

import pytest
from exports import all_compliant, base_document, factory_with_history, merge


PAGE = """query($first: Int, $after: String, $orderBy: FactoryOrder) {
  factories(first: $first, after: $after, orderBy: $orderBy) {
    totalCount
    edges { cursor node { id name complianceStatus nonComplianceCount country { code name issues { code } }
      refusals { highlighted } latestAssessment { id date nonCompliances { issue { code title cluster } }
      findings { id status correction { reason } issue { id code title cluster description } } } } }
    pageInfo { hasNextPage hasPreviousPage endCursor }
  }
}"""


def many_factories(count: int) -> dict:
    parts = [base_document()]
    for n in range(count):
        latest = all_compliant(**({"COM-2": "NON_COMPLIANT"} if n % 3 else {}), **({"OSH-7": "NON_COMPLIANT"} if n % 5 == 0 else {}))
        parts.append(factory_with_history(f"KH-{n:04d}", f"Factory {n:04d} (test)", latest=latest, country="KH" if n % 2 else "VN"))
    return merge(*parts)


@pytest.fixture
async def hundred_and_twenty(api, load):
    await load(many_factories(120))
    return api


async def walk(api, first: int, order: dict | None = None) -> list[str]:
    names, after = [], None
    while True:
        data = (await api.query(PAGE, {"first": first, "after": after, "orderBy": order}))["factories"]
        assert data["totalCount"] == 120
        names += [e["node"]["name"] for e in data["edges"]]
        assert data["pageInfo"]["hasPreviousPage"] == (after is not None)
        if not data["pageInfo"]["hasNextPage"]:
            return names
        after = data["pageInfo"]["endCursor"]
        assert after == data["edges"][-1]["cursor"]


async def test_keyset_pages_cover_every_factory_once_in_order(hundred_and_twenty):
    names = await walk(hundred_and_twenty, 7)
    assert names == sorted(f"Factory {n:04d} (test)" for n in range(120))
    by_count = await walk(hundred_and_twenty, 11, {"field": "NON_COMPLIANCES", "direction": "DESC"})
    assert sorted(by_count) == names and len(set(by_count)) == 120
    data = (await hundred_and_twenty.query(PAGE, {"first": 100, "orderBy": {"field": "NON_COMPLIANCES", "direction": "DESC"}}))
    counts = [e["node"]["nonComplianceCount"] for e in data["factories"]["edges"]]
    assert counts == sorted(counts, reverse=True) and counts[0] == 2


async def test_a_page_costs_the_same_few_statements_for_10_or_100_factories(hundred_and_twenty):
    api = hundred_and_twenty
    costs = {}
    for first in (10, 100):
        statements = api.count_statements()
        data = await api.query(PAGE, {"first": first})
        assert len(data["factories"]["edges"]) == first
        costs[first] = len(statements)
        statements.clear()
    # The data version (response cache), the page, its count, the issues of its findings, the
    # countries (and a country's issues).
    assert costs[10] == costs[100] <= 6, costs


async def test_first_is_capped_at_100(hundred_and_twenty):
    errors = await hundred_and_twenty.errors(PAGE, {"first": 101})
    assert errors[0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": "first", "max": 100}
    errors = await hundred_and_twenty.errors(PAGE, {"first": -1})
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize(
    "after",
    ["garbage", base64.b64encode(b"factories:v1:[1,2]").decode(), base64.b64encode(b'factories:v1:["NAME",false,7,"x"]').decode()],
)
async def test_malformed_cursors_are_bad_user_input(hundred_and_twenty, after):
    errors = await hundred_and_twenty.errors(PAGE, {"first": 5, "after": after})
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert errors[0]["extensions"]["argument"] == "after"


async def test_a_cursor_of_another_order_is_refused(hundred_and_twenty):
    data = await hundred_and_twenty.query(PAGE, {"first": 5})
    cursor = data["factories"]["pageInfo"]["endCursor"]
    errors = await hundred_and_twenty.errors(PAGE, {"first": 5, "after": cursor, "orderBy": {"field": "LATEST_ASSESSMENT"}})
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "order" in errors[0]["message"]


@pytest.mark.parametrize(
    ("query", "variables", "code"),
    [
        ("{ factories { totalCount ", {}, "GRAPHQL_PARSE_FAILED"),
        ("{ factories { nope } }", {}, "GRAPHQL_VALIDATION_FAILED"),
        ("query($id: ID!) { node(id: $id) { id } }", {"id": "%%%not-base64"}, "BAD_USER_INPUT"),
        ("query($id: ID!) { factory(id: $id) { id } }", {"id": "bm90aGluZw=="}, "BAD_USER_INPUT"),
        ("query($id: ID!) { factory(id: $id) { id } }", {"id": base64.b64encode(b"Country:KH").decode()}, "BAD_USER_INPUT"),
        ("query($d: Date) { factories(filter: {assessedSince: $d}) { totalCount } }", {"d": "2024-13-45"}, "BAD_USER_INPUT"),
        ("query($m: [Modality!]) { factories(filter: {modality: $m}) { totalCount } }", {"m": ["BY_PIGEON"]}, "BAD_USER_INPUT"),
        ("query($c: [String!]) { factories(filter: {country: $c}) { totalCount } }", {"c": ["Cambodia"]}, "BAD_USER_INPUT"),
        ("query($i: [ID!]) { factories(filter: {nonCompliantOn: $i}) { totalCount } }", {"i": ["OSH-7"]}, "BAD_USER_INPUT"),
        ('{ country(code: "ZZ") { name } }', {}, "NOT_FOUND"),
        ('{ issues(country: "ZZ") { code } }', {}, "NOT_FOUND"),
    ],
)
async def test_client_mistakes_get_a_documented_code_and_no_internals(hundred_and_twenty, query, variables, code):
    response = await hundred_and_twenty.post(query, variables)
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] == code, body
    text = response.text.lower()
    for leak in ("traceback", "select ", "sqlalchemy", ".py", "site-packages"):
        assert leak not in text


async def test_health_and_sdl(hundred_and_twenty):
    api = hundred_and_twenty
    health = await api.client.get("/healthz")
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    sdl = await api.client.get("/schema.graphql")
    assert sdl.status_code == 200 and "type Factory implements Node" in sdl.text
    graphiql = await api.client.get("/graphql", headers={"accept": "text/html"})
    assert graphiql.status_code == 200 and "graphiql" in graphiql.text.lower()
    get = await api.client.get("/graphql", params={"query": "{ countries { code } }"})
    assert get.status_code == 200 and {"code": "KH"} in get.json()["data"]["countries"]
