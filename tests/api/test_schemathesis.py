"""A bounded schemathesis run in GraphQL mode against the running server (issue 5).

Schemathesis (4.x) loads the schema by introspection and generates queries and mutations for
every root field but `submitResponse` (its `Upload` scalar has no strategy), positive (valid
for the schema) and negative (not), as an anonymous client, a moderator and a supplier. Its
`ID` strategy is seeded with real global ids of the loaded world, so that generated queries
reach real factories, assessments, findings, issues and one real response, not only
BAD_USER_INPUT for garbage ids.

Each answer is checked with `graphql_conformance.response_problems` rather than schemathesis'
own `not_a_server_error`, which counts every error it cannot tell is the client's (such as our
UNAUTHENTICATED or NOT_FOUND) as a server error:
- no 5xx, and a JSON body that is a GraphQL response;
- every error has an `extensions.code` of `domain.errors.ERROR_CODES` (read at run time), never
  INTERNAL, and no stack trace, SQL or file path;
- `data` has exactly the shape and types the schema and the query promise;
- and schemathesis' own response conformance (malformed JSON, null in a non-null field).

Fixed seed and example counts: about 1,700 requests, well under a minute on SQLite.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import contextlib
import json

import pytest
from graphql_conformance import response_problems
from worlds import world

from transparency_portal.domain import errors as error_module
from transparency_portal.domain.moderation import Role
from transparency_portal.workflows.users import add_user

SEED = 20261125
# (identity, generation mode, examples per operation)
PLAN = [
    ("anonymous", "positive", 30),
    ("anonymous", "negative", 30),
    ("moderator", "positive", 15),
    ("supplier", "positive", 15),
]
EXCLUDED = "Mutation.submitResponse"

IDS = """{ countries { issues { id } }
  factories(first: 100) { edges { node { id latestAssessment { id findings { id } } } } } }"""
SUBMIT = """mutation($input: SubmitResponseInput!) { submitResponse(input: $input) { id } }"""


async def real_ids(api, supplier: str) -> list[str]:
    data = await api.query(IDS)
    ids = {issue["id"] for country in data["countries"] for issue in country["issues"]}
    for edge in data["factories"]["edges"]:
        node = edge["node"]
        ids.add(node["id"])
        latest = node["latestAssessment"]
        ids.add(latest["id"])
        ids.update(f["id"] for f in latest["findings"])
    # One real response, submitted by the supplier of KH-NC to its current assessment.
    factory = next(e["node"] for e in data["factories"]["edges"] if base64.b64decode(e["node"]["id"]) == b"Factory:KH-NC")
    submitted = await api.query(
        SUBMIT, {"input": {"assessmentId": factory["latestAssessment"]["id"], "text": "The exit doors are unlocked now."}}, supplier
    )
    ids.add(submitted["submitResponse"]["id"])
    return sorted(ids)


def fuzz(base_url: str, ids: list[str], tokens: dict[str, str | None], error_codes: tuple[str, ...]) -> tuple[dict, collections.Counter]:
    """The schemathesis run (blocking: the caller runs it in a thread beside the server)."""
    import requests
    import schemathesis
    from hypothesis import HealthCheck, given, seed, settings
    from hypothesis import strategies as st
    from schemathesis import GenerationMode
    from schemathesis.core.failures import Failure
    from schemathesis.graphql import nodes
    from schemathesis.specs.graphql import scalars

    found: dict[tuple[str, str], dict] = {}
    stats: collections.Counter = collections.Counter()
    saved = dict(scalars.CUSTOM_SCALARS)
    # Real ids most of the time, and some garbage: both must be answered properly.
    scalars.CUSTOM_SCALARS["ID"] = st.one_of(st.sampled_from(ids), st.sampled_from(ids), st.text(max_size=12)).map(nodes.String)
    stack = contextlib.ExitStack()
    try:
        schema = schemathesis.graphql.from_url(f"{base_url}/graphql", timeout=30).exclude(name=EXCLUDED)
        client_schema = schema.client_schema
        operations = [result.ok() for result in schema.get_all_operations()]
        assert operations and all(op.label != EXCLUDED for op in operations)
        for number, (who, mode, examples) in enumerate(PLAN):
            headers = {"Authorization": f"Bearer {tokens[who]}"} if tokens[who] else {}
            # One kept-alive connection per identity, as a client has (the server sets no cookie);
            # a new one per request cost about a fifth of the run.
            http = stack.enter_context(requests.Session())
            for operation in operations:

                @seed(SEED + number)
                @settings(
                    max_examples=examples, database=None, deadline=None, derandomize=False,
                    suppress_health_check=list(HealthCheck),
                )  # fmt: skip
                @given(case=operation.as_strategy(generation_mode=GenerationMode(mode)))
                def one(case):  # run at once, inside this iteration: the loop variables are current
                    response = case.call(session=http, headers=headers, timeout=30)
                    body = case.body if isinstance(case.body, dict) else {"query": case.body}
                    problems = response_problems(
                        client_schema, response.status_code, response.content, body.get("query") or "",
                        body.get("variables"), error_codes,
                    )  # fmt: skip
                    # Schemathesis' Response keeps each header as a list of values.
                    content_type = next((v[0] for k, v in response.headers.items() if k.lower() == "content-type"), "")
                    if not content_type.startswith(("application/json", "application/graphql-response+json")):
                        problems.append(f"content type {content_type!r}")
                    try:
                        operation.schema.validate_response(operation, response, case=case)
                    except Failure as failure:
                        problems.append(f"schemathesis: {failure.title}: {failure.message}")
                    stats["requests"] += 1
                    try:
                        payload = response.json()
                        codes = [(e.get("extensions") or {}).get("code") for e in payload.get("errors") or []]
                    except (ValueError, AttributeError):
                        codes = ["<not JSON>"]
                    stats[f"{who}/{mode}: " + (",".join(sorted(set(map(str, codes)))) or "data")] += 1
                    for problem in problems:
                        found.setdefault(
                            (operation.label, problem.split(":")[0]),
                            {"problem": problem, "who": who, "mode": mode, "query": body, "status": response.status_code,
                             "response": response.text[:1000]},
                        )  # fmt: skip

                one()
    finally:
        stack.close()
        scalars.CUSTOM_SCALARS.clear()
        scalars.CUSTOM_SCALARS.update(saved)
    return found, stats


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_fuzzing_the_api_finds_no_server_error_and_no_response_that_breaks_the_schema(api, load, sessions):
    await load(world())
    moderator = (await add_user(sessions, name="Fuzzing Moderator", role=Role.MODERATOR)).token
    supplier = (await add_user(sessions, name="Fuzzing Supplier", role=Role.SUPPLIER, factory_source_id="KH-NC")).token
    ids = await real_ids(api, supplier)
    tokens = {"anonymous": None, "moderator": moderator, "supplier": supplier}
    # Read now: others may be adding codes (QUERY_TOO_COMPLEX, RATE_LIMITED) to the documented set.
    error_codes = tuple(error_module.ERROR_CODES)

    found, stats = await asyncio.to_thread(fuzz, api.base_url, ids, tokens, error_codes)

    print(f"{stats['requests']} requests")
    for label, count in sorted(stats.items()):
        if label != "requests":
            print(f"{count:6d}  {label}")
    assert stats["requests"] >= 1000, stats
    report = "\n\n".join(
        f"{operation} [{f['who']}, {f['mode']}]: {f['problem']}\n  query: {json.dumps(f['query'])[:800]}\n"
        f"  HTTP {f['status']}: {f['response']}"
        for (operation, _), f in sorted(found.items())
    )
    assert not found, f"{len(found)} kinds of broken answers:\n\n{report}"
