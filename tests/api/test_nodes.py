"""`nodes(ids:)`, as Relay clients use it: each id answered as `node(id:)` answers it, in the
order asked, read in one batch per type, at most 100 ids, and counted by the query budgets by
its number of ids. Real HTTP through the running server."""

from __future__ import annotations

import pytest
from exports import base_document, factory_with_history, merge
from graphql import parse
from ids import gid
from transparency_portal.schema.build import schema
from transparency_portal.schema.extensions.cost import measure

NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }"
SELECTION = "__typename id ... on Factory { name } ... on Assessment { date } ... on Finding { status issue { code } }"
NODES_WITH_FIELDS = "query($ids: [ID!]!) { nodes(ids: $ids) { %s } }" % SELECTION
SUBMIT = "mutation($input: SubmitResponseInput!) { submitResponse(input: $input) { id } }"


def node_by_node(ids: list[str]) -> str:
    """One `node(id:)` per id, aliased: what `nodes` must answer, id by id."""
    return "{ %s }" % " ".join(f'n{i}: node(id: "{id}") {{ {SELECTION} }}' for i, id in enumerate(ids))


async def test_each_id_is_answered_as_node_answers_it_in_the_order_asked(api, people):
    response = (await api.query(SUBMIT, {"input": {"assessmentId": gid("Assessment", "KH-A-A2"), "text": "Fixed."}}, people.alpha))
    submitted = response["submitResponse"]["id"]
    ids = [
        gid("Finding", "KH-A-A2/COM-2"),
        gid("Factory", "KH-B"),
        gid("Assessment", "KH-A-A1"),  # superseded: not public
        gid("ComplianceIssue", "CHI-1"),
        gid("Factory", "KH-NEVER"),  # never existed
        gid("ComplianceIssue", "WT-4"),  # reported publicly nowhere
        gid("Assessment", "KH-A-A2"),
        gid("Finding", "KH-A-A1/OSH-7"),  # of a superseded assessment
        submitted,  # submitted, not approved: its factory's users see it, the public does not
        gid("Factory", "KH-B"),  # twice
    ]
    for token in (None, people.alpha):
        answer = (await api.query(NODES_WITH_FIELDS, {"ids": ids}, token))["nodes"]
        one_by_one = await api.query(node_by_node(ids), token=token)
        assert answer == [one_by_one[f"n{i}"] for i in range(len(ids))]

    anonymous = (await api.query(NODES, {"ids": ids}))["nodes"]
    assert [n and n["__typename"] for n in anonymous] == [
        "Finding", "Factory", None, "ComplianceIssue", None, None, "Assessment", None, None, "Factory"
    ]
    assert [n and n["id"] for n in anonymous] == [id if n else None for id, n in zip(ids, anonymous)]
    assert (await api.query(NODES, {"ids": [submitted]}, people.alpha))["nodes"] == [{"__typename": "Response", "id": submitted}]
    assert (await api.query(NODES, {"ids": []}))["nodes"] == []


def forty_factories() -> dict:
    return merge(base_document(), *(factory_with_history(f"KH-{n:03d}", f"Factory {n:03d} (test)") for n in range(40)))


def hundred_ids() -> list[str]:
    """The 40 factories, the latest assessments of the first 20, and 40 findings of the other 20's
    latest assessments (so that no assessment is asked for twice: each one is a read of its own)."""
    factories = [gid("Factory", f"KH-{n:03d}") for n in range(40)]
    assessments = [gid("Assessment", f"KH-{n:03d}-A2") for n in range(20)]
    findings = [gid("Finding", f"KH-{n:03d}-A2/{q}") for n in range(20, 40) for q in ("CHI-1", "COM-2")]
    return factories + assessments + findings


async def test_a_hundred_ids_take_as_many_reads_as_three(api, load):
    await load(forty_factories())
    ids = hundred_ids()
    assert len(ids) == 100
    few = [ids[0], ids[40], ids[60]]  # one factory, one assessment, one finding

    statements = api.count_statements()
    answer = (await api.query(NODES_WITH_FIELDS, {"ids": few}))["nodes"]
    assert [n["__typename"] for n in answer] == ["Factory", "Assessment", "Finding"]
    reads_for_three = len(statements)

    statements.clear()
    answer = (await api.query(NODES_WITH_FIELDS, {"ids": ids}))["nodes"]
    assert [n["id"] for n in answer] == ids
    assert {n["__typename"] for n in answer[60:]} == {"Finding"} and answer[99]["issue"] == {"code": "COM-2"}
    # Reads by type, not by id: a hundred ids of three types cost what three ids of them cost.
    assert len(statements) == reads_for_three, statements
    assert reads_for_three <= 6, statements


async def test_more_than_a_hundred_ids_are_refused_before_any_read(api, load):
    await load(forty_factories())
    statements = api.count_statements()
    ids = [gid("Factory", f"KH-{n % 40:03d}") for n in range(101)]
    body = (await api.post(NODES, {"ids": ids})).json()
    [error] = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": "ids", "max": 100}
    assert "at most 100 ids" in error["message"]
    assert body["data"] is None
    assert not [s for s in statements if "public_factory" in s]
    assert len((await api.query(NODES, {"ids": ids[:100]}))["nodes"]) == 100


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_malformed_id_is_bad_user_input(api):
    for ids in (["not an id"], [gid("Nothing", "1")]):
        [error] = await api.errors(NODES, {"ids": ids})
        assert error["extensions"]["code"] == "BAD_USER_INPUT", error


# The query budgets count `nodes` by its ids: one item each, at most 100.

PER_ISSUE = "nodes(ids: %s) { ... on ComplianceIssue { nonCompliantFactories(first: 100, filter: {search: \"a\"}) { totalCount } } }"


@pytest.mark.parametrize(
    ("query", "variables", "nodes", "cost"),
    [
        ('{ nodes(ids: ["a", "b", "c"]) { id } }', {}, 3, 1),
        ('{ nodes(ids: "a") { id } }', {}, 1, 1),  # one id, coerced to a list of one
        ("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ["a"] * 7}, 7, 1),
        ("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ["a"] * 500}, 100, 1),  # refused above 100 anyway
        ('{ %s }' % (PER_ISSUE % '["a", "b", "c"]'), {}, 3, 3 * (10 + 10)),
        ("query($ids: [ID!]!) { %s }" % (PER_ISSUE % "$ids"), {"ids": ["a"] * 100}, 100, 100 * (10 + 10)),
    ],
)
def test_the_budgets_count_one_item_per_id(query, variables, nodes, cost):
    assert tuple(measure(schema._schema, parse(query), variables=variables)) == (nodes, cost)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_costly_selection_on_many_ids_is_refused_and_on_few_runs(api, load):
    await load(forty_factories())
    query = "query($ids: [ID!]!) { %s }" % (PER_ISSUE % "$ids")
    [error] = await api.errors(query, {"ids": [gid("ComplianceIssue", "CHI-1")] * 100})
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX" and error["extensions"]["cost"] == 2000, error
    few = await api.query(query, {"ids": [gid("ComplianceIssue", "CHI-1"), gid("ComplianceIssue", "COM-2")]})
    assert few["nodes"] == [{"nonCompliantFactories": {"totalCount": 0}}, {"nonCompliantFactories": {"totalCount": 40}}]
