"""Issue 10, item 3: one anonymous query must not stall the server.

A work cost counted on the document refuses the attacks before anything runs, a time budget
stops what runs too long, and a request's heavy reads queue behind each other instead of in the
connection pool, so /healthz keeps answering while the most expensive allowed query runs.
Everything over real HTTP, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from pathlib import Path

import httpx
import pytest
from exports import PUBLIC, QUESTIONS, base_document, factory_with_history, merge
from graphql import parse
from servers import serving

from transparency_portal.schema.build import schema
from transparency_portal.schema.http.app import create_app
from transparency_portal.schema.extensions.cost import measure
from transparency_portal.schema.extensions.cost_figures import REPORT_COST
from transparency_portal.schema.extensions.limits import MAX_COST

README = Path(__file__).resolve().parents[2] / "README.md"

# 37 more questions, so that Cambodia reports 40 publicly: `issues` is long, as in real data.
EXTRA = [{"id": f"EXT-{n}", "cluster": "WORKING_TIME", "title": {"en": f"Extra question {n}"}} for n in range(1, 38)]


def world() -> dict:
    countries = [
        {"code": "KH", "name": "Cambodia", "languages": ["km", "en"], "publicReportingSince": "2014-01-01",
         "publicQuestions": PUBLIC + [q["id"] for q in EXTRA]},
        {"code": "VN", "name": "Vietnam", "languages": ["vi", "en"], "publicReportingSince": "2015-06-01",
         "publicQuestions": ["OSH-7", "FOA-1"]},
    ]  # fmt: skip
    document = base_document(countries)
    document["questions"] = QUESTIONS + EXTRA
    factories = [
        factory_with_history(f"KH-{n:03d}", f"Garment Factory {n:03d}", country="KH" if n % 3 else "VN") for n in range(12)
    ]
    return merge(document, *factories)


def aliases(count: int, field: str) -> str:
    return "{ " + " ".join(f"a{n}: {field}" for n in range(count)) + " }"


# The attacks of the issue: 30 aliased name searches over every issue, 30 aliased reports.
SEARCHES = "{ " + " ".join(
    f'a{n}: issues {{ nonCompliantFactories(first: 1, filter: {{search: "q{n}x"}}) {{ totalCount }} }}' for n in range(30)
) + " }"  # fmt: skip
REPORTS = aliases(30, 'countryReport(country: "KH") { asOf }')
# The most expensive queries the budget allows: 20 reports, and the counts of every issue twice.
ALLOWED_REPORTS = aliases(MAX_COST // REPORT_COST, 'countryReport(country: "KH") { asOf green { period share } }')
ALLOWED_COUNTS = aliases(2, "issues { code nonCompliantFactories(first: 1) { totalCount } }")


# The cost, on the document alone: the table of schema/extensions/cost_figures.py.
@pytest.mark.parametrize(
    ("query", "variables", "cost"),
    [
        ("{ __typename }", {}, 1),  # at least 1
        ("{ factories(first: 100) { edges { node { name latestAssessment { findings { id } } } } } }", {}, 1),
        ("{ factories { totalCount } }", {}, 2),
        ('{ factories(filter: {search: "x"}) { totalCount facets { issue { count } country { count } } } }', {}, 40),
        ("query($f: FactoryFilter) { factories(filter: $f) { totalCount } }", {"f": {"search": "x"}}, 20),
        ("query($f: FactoryFilter) { factories(filter: $f) { totalCount } }", {"f": {"country": ["KH"]}}, 2),
        ("query($s: String) { factories(filter: {search: $s}) { totalCount } }", {}, 2),
        ("{ issues { nonCompliantFactories { totalCount } } }", {}, 250 * 2),
        ('query($c: String) { issues(country: $c) { nonCompliantFactories { totalCount } } }', {"c": "KH"}, 40 * 2),
        ("{ issues { countries { code } } }", {}, 250),
        ('{ a: countryReport(country: "KH") { asOf } b: countryReport(country: "VN") { asOf } }', {}, 2 * REPORT_COST),
    ],
)
def test_the_work_cost(query, variables, cost):
    assert measure(schema._schema, parse(query), variables=variables).cost == cost


@pytest.fixture
async def loaded(api, load):
    await load(world())
    return api


def heavy_reads(statements: list[str]) -> list[str]:
    return [s for s in statements if re.search(r"\b(public_factory|public_non_compliance|assessment|finding)\b", s)]


@pytest.mark.parametrize(
    ("query", "cost"),
    [(SEARCHES, 30 * 250 * (10 + 10)), (REPORTS, 30 * REPORT_COST), (aliases(21, 'countryReport(country: "KH") { asOf }'), 1050)],
    ids=["30 searches over every issue", "30 reports", "21 reports"],
)
async def test_the_attacks_are_refused_with_their_cost_before_anything_runs(loaded, query, cost):
    statements = loaded.count_statements()
    for accept, status in (("application/json", 200), ("application/graphql-response+json", 400)):
        response = await loaded.post(query, headers={"accept": accept})
        assert response.status_code == status
        body = response.json()
        assert "data" not in body or body["data"] is None
        [error] = body["errors"]
        assert error["extensions"] == {"code": "QUERY_TOO_COMPLEX", "cost": cost, "maxCost": MAX_COST}
        assert f"would cost {cost:,} requests" in error["message"]
    assert heavy_reads(statements) == []  # refused on the document alone


async def test_the_most_expensive_allowed_queries_run(loaded):
    for query in (ALLOWED_REPORTS, ALLOWED_COUNTS):
        assert measure(schema._schema, parse(query)).cost == MAX_COST
        data = await loaded.query(query)
        assert len(data) == len(re.findall(r"\ba\d+:", query))
    counts = (await loaded.query(ALLOWED_COUNTS))["a0"]
    assert len(counts) == 41  # Cambodia's 40 and Vietnam's FOA-1
    # Every factory's latest assessment found COM-2 non-compliant; it is public in Cambodia only.
    assert {c["code"]: c["nonCompliantFactories"]["totalCount"] for c in counts}["COM-2"] == 8


async def test_every_readme_example_fits_the_budget_and_runs(loaded):
    text = README.read_text()
    examples = re.findall(r"```graphql\n(.*?)```", text, re.S)
    assert len(examples) >= 3
    # Also the examples README gives inline: a country report, the per-issue view, facets.
    report = re.search(r'`(countryReport\(country: "KH", from: "\d{4}-\d\d-\d\d", to: "\d{4}-\d\d-\d\d"\))`', text)
    examples.append("{ %s { asOf green { period share suppressed } issues { issue { code } periods { share } } } }" % report[1])
    examples.append(
        "query($id: ID!) { issue(id: $id) { title countries { code } nonCompliantFactories(first: 20, "
        'filter: {search: "garment"}) { totalCount edges { node { name } } } } }'
    )
    examples.append(
        '{ factories(first: 1, filter: {search: "garment"}) { facets { country { value count label } compliance '
        "{ value count label } modality { value count label } factoryType { value count label } issue { value count label } } } }"
    )
    first = await loaded.query(examples[0])
    factory_id = first["factories"]["edges"][0]["node"]["id"]
    issue_id = (await loaded.query('{ issues(country: "KH") { id } }'))["issues"][0]["id"]
    for example in examples:
        variables = {"id": issue_id if "issue(id:" in example else factory_id} if "$id" in example else {}
        assert measure(schema._schema, parse(example), variables=variables).cost <= MAX_COST
        await loaded.query(example, variables)


async def test_an_operation_over_the_time_budget_is_cancelled_with_timeout(settings, engine, load):
    await load(world())
    # A millisecond: twenty reports, each several database reads, cannot fit in it.
    app = create_app(dataclasses.replace(settings, request_seconds=0.001))
    async with serving(app) as base_url, httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        for accept, status in (("application/json", 200), ("application/graphql-response+json", 503)):
            response = await client.post("/graphql", json={"query": ALLOWED_REPORTS}, headers={"accept": accept})
            assert response.status_code == status
            assert response.headers["content-type"].startswith(accept)
            body = response.json()
            assert "data" not in body
            [error] = body["errors"]
            assert error["extensions"] == {"code": "TIMEOUT", "maxSeconds": 0.001}
            assert "longer than the limit of 0.001 seconds" in error["message"]
        # Cancelled, not broken: the server and its connections go on.
        assert (await client.get("/healthz")).json() == {"status": "ok"}
    # With the default budget the same query answers.
    async with serving(create_app(settings)) as base_url, httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        body = (await client.post("/graphql", json={"query": ALLOWED_REPORTS})).json()
        assert "errors" not in body and len(body["data"]) == MAX_COST // REPORT_COST


async def test_healthz_answers_while_the_most_expensive_allowed_query_runs(loaded):
    statements = loaded.count_statements()
    heavy = asyncio.create_task(loaded.post(ALLOWED_COUNTS + " # not from the cache"))
    while not heavy_reads(statements):  # the query's reads have begun
        await asyncio.sleep(0.001)
    health = await loaded.client.get("/healthz")
    reads_before_health = len(heavy_reads(statements))
    assert health.json() == {"status": "ok"}
    assert not heavy.done()  # answered while the expensive query still runs
    response = await heavy
    assert "errors" not in response.json()
    # 82 connections, a page and a count each. /healthz did not wait behind the query's reads
    # in the connection pool's queue: it came in after a few of them, not after every page.
    total = len(heavy_reads(statements))
    assert total >= 164
    assert reads_before_health < total // 4
