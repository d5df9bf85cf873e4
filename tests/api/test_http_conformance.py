"""GraphQL over HTTP: the specification's own audit suite against the running server, and the
media types and status codes it checks, in plain Python (so a regression shows without Node).

The audit suite is `serverAudits` of the npm package `graphql-http`, run by
tests/support/graphql_http_audit.mjs. The package is installed once into
~/.cache/transparency-portal/node/ (or $XDG_CACHE_HOME/...), a folder per pinned version.
Node and npm are required: without them the audit test fails, it is not skipped.

HTTP behaviour does not depend on the database, so these tests run on SQLite only.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import httpx
import pytest

from transparency_portal.schema.http.view import negotiate_media_type

GRAPHQL_HTTP_VERSION = "1.23.1"
GRAPHQL_JS_VERSION = "16.15.0"  # the audit package's peer dependency

AUDIT_SCRIPT = Path(__file__).resolve().parents[1] / "support" / "graphql_http_audit.mjs"

GR = "application/graphql-response+json"
JSON = "application/json"

sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(
            f"`{tool}` is not on PATH: the GraphQL-over-HTTP audit needs Node.js (node and npm). "
            "Install Node.js 18 or later; CI installs it before `make test`.",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="session")
def graphql_http_modules() -> Path:
    """The node_modules folder holding the pinned graphql-http, installed on first use."""
    npm = _require("npm")
    _require("node")
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "transparency-portal" / "node"
    target = cache / f"graphql-http-{GRAPHQL_HTTP_VERSION}-graphql-{GRAPHQL_JS_VERSION}"
    modules = target / "node_modules"
    marker = modules / "graphql-http" / "package.json"
    if marker.is_file() and json.loads(marker.read_text())["version"] == GRAPHQL_HTTP_VERSION:
        return modules
    cache.mkdir(parents=True, exist_ok=True)
    # Install beside the target and rename: a run that is interrupted, or another run installing
    # at the same time, never leaves a half-installed folder in place.
    staging = Path(tempfile.mkdtemp(prefix="install-", dir=cache))
    try:
        completed = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--loglevel=error", "--prefix", str(staging),
             f"graphql-http@{GRAPHQL_HTTP_VERSION}", f"graphql@{GRAPHQL_JS_VERSION}"],
            capture_output=True, text=True, timeout=300, check=False,
        )
        if completed.returncode != 0:
            pytest.fail(f"npm install graphql-http@{GRAPHQL_HTTP_VERSION} failed:\n{completed.stdout}{completed.stderr}")
        try:
            staging.rename(target)
        except OSError:
            if not marker.is_file():  # not another run that got there first
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return modules


@sqlite_only
async def test_graphql_over_http_audit_suite_passes(graphql_http_modules, api):
    # Asynchronously: the server under test runs in this event loop.
    process = await asyncio.create_subprocess_exec(
        _require("node"), str(AUDIT_SCRIPT), str(graphql_http_modules), f"{api.base_url}/graphql",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    except TimeoutError:
        process.kill()
        await process.wait()
        pytest.fail("the graphql-http audit did not finish within 120 s")
    assert process.returncode == 0, stderr.decode()
    results = json.loads(stdout)
    assert len(results) >= 61, results  # 1.23.1 has 61 audits; fewer means the run went wrong
    failures = [result for result in results if result["status"] != "ok"]
    report = "\n".join(
        f"{r['id']} [{r['status']}] {r['name']}: {r.get('reason')}\n    got {json.dumps(r.get('response'))}"
        for r in failures
    )
    assert not failures, f"{len(failures)} of {len(results)} GraphQL-over-HTTP audits failed:\n{report}"


# --- Content negotiation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, JSON),
        ("", JSON),
        ("*/*", JSON),
        ("application/*", JSON),
        (JSON, JSON),
        (GR, GR),
        (f"{GR}; charset=utf-8, {JSON}; charset=utf-8", GR),
        (f"{JSON}, {GR}", GR),
        (f"{GR};q=0.5, {JSON}", JSON),
        (f"{GR}, */*;q=0.1", GR),
        (f"{JSON};q=0, */*", GR),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", JSON),
        ("APPLICATION/GRAPHQL-RESPONSE+JSON", GR),
        ("text/html", None),
        ("multipart/mixed", None),
        (f"{GR};q=0, {JSON};q=0", None),
    ],
)
def test_negotiate(accept, expected):
    assert negotiate_media_type(accept) == expected


async def _post(api, body, accept: str | None, content_type: str | None = JSON) -> httpx.Response:
    content = body if isinstance(body, (str, bytes)) else json.dumps(body)
    request = api.client.build_request("POST", "/graphql", content=content)
    _set(request, "accept", accept)
    _set(request, "content-type", content_type)
    return await api.client.send(request)


def _set(request: httpx.Request, name: str, value: str | None) -> None:
    if value is None:
        request.headers.pop(name, None)
    else:
        request.headers[name] = value


def _media_type(response: httpx.Response) -> str:
    return response.headers["content-type"].split(";")[0].strip()


def _codes(response: httpx.Response) -> list[str]:
    return [error["extensions"]["code"] for error in response.json()["errors"]]


@sqlite_only
@pytest.mark.parametrize(
    ("accept", "media_type"),
    [(GR, GR), (JSON, JSON), ("*/*", JSON), (None, JSON), (f"{JSON}, {GR}", GR), (f"{GR};q=0.5, {JSON}", JSON)],
)
async def test_success_uses_the_negotiated_media_type(api, accept, media_type):
    response = await _post(api, {"query": "{ __typename }"}, accept)
    assert response.status_code == 200
    assert _media_type(response) == media_type
    assert "charset=utf-8" in response.headers["content-type"]
    assert "accept" in response.headers["vary"].lower()
    assert response.json() == {"data": {"__typename": "Query"}}


@sqlite_only
async def test_unacceptable_media_type_is_406(api):
    response = await _post(api, {"query": "{ __typename }"}, "text/html")
    assert response.status_code == 406
    assert _media_type(response) == JSON
    assert _codes(response) == ["BAD_USER_INPUT"]


@sqlite_only
async def test_graphiql_still_answers_browsers(api):
    page = await api.client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()


# --- GraphQL request errors: 400 with graphql-response+json, 200 with json, never a data entry ---

REQUEST_ERRORS = [
    pytest.param({"query": "{ __typename "}, "GRAPHQL_PARSE_FAILED", id="parse"),
    pytest.param({"query": "{ noSuchField }"}, "GRAPHQL_VALIDATION_FAILED", id="validation"),
    pytest.param(
        {"query": "query Q { __typename }", "operationName": "Other"},
        "GRAPHQL_VALIDATION_FAILED",
        id="unknown-operation",
    ),
    pytest.param(
        {"query": "query($name: String!) { __type(name: $name) { name } }", "variables": {"name": None}},
        "BAD_USER_INPUT",
        id="variable-null",
    ),
    pytest.param(
        {"query": "query($name: String!) { __type(name: $name) { name } }", "variables": {"name": 5}},
        "BAD_USER_INPUT",
        id="variable-type",
    ),
    pytest.param(
        {"query": "query($name: String!) { __type(name: $name) { name } }"}, "BAD_USER_INPUT", id="variable-missing"
    ),
]


@sqlite_only
@pytest.mark.parametrize(("body", "code"), REQUEST_ERRORS)
@pytest.mark.parametrize(("accept", "status"), [(GR, 400), (JSON, 200)])
async def test_request_errors(api, body, code, accept, status):
    response = await _post(api, body, accept)
    assert response.status_code == status, response.text
    assert _media_type(response) == accept
    payload = response.json()
    assert "data" not in payload, payload
    assert _codes(response) == [code]
    assert all("path" not in error for error in payload["errors"])


@sqlite_only
@pytest.mark.parametrize("accept", [GR, JSON])
@pytest.mark.parametrize(
    ("query", "variables", "code"),
    [
        ("query($id: ID!) { node(id: $id) { id } }", {"id": "%%%not-base64"}, "BAD_USER_INPUT"),
        ('{ country(code: "ZZ") { name } }', {}, "NOT_FOUND"),
    ],
)
async def test_field_errors_are_200_with_data(api, accept, query, variables, code):
    response = await _post(api, {"query": query, "variables": variables}, accept)
    assert response.status_code == 200, response.text
    assert _media_type(response) == accept
    payload = response.json()
    assert "data" in payload
    assert _codes(response) == [code] and payload["errors"][0]["path"]


@sqlite_only
@pytest.mark.parametrize(("accept", "status"), [(GR, 400), (JSON, 200)])
async def test_request_errors_over_get(api, accept, status):
    response = await api.client.get("/graphql", params={"query": "{ noSuchField }"}, headers={"accept": accept})
    assert response.status_code == status
    assert _media_type(response) == accept
    assert "data" not in response.json() and _codes(response) == ["GRAPHQL_VALIDATION_FAILED"]


# --- Requests that are not well-formed: 4xx under both media types, JSON errors with a code ------

MALFORMED = [
    pytest.param('{ "not json', JSON, 400, id="bad-json"),
    pytest.param("", JSON, 400, id="empty-body"),
    pytest.param('"a string"', JSON, 400, id="body-not-an-object"),
    pytest.param("[]", JSON, 400, id="batch"),
    pytest.param({"notquery": "{ __typename }"}, JSON, 400, id="missing-query"),
    pytest.param({"query": None}, JSON, 400, id="null-query"),
    pytest.param({"query": ["{ __typename }"]}, JSON, 400, id="query-not-a-string"),
    pytest.param({"query": "{ __typename }", "variables": [7]}, JSON, 400, id="variables-not-an-object"),
    pytest.param({"query": "{ __typename }", "variables": "{}"}, JSON, 400, id="variables-a-string"),
    pytest.param({"query": "{ __typename }", "extensions": 0}, JSON, 400, id="extensions-not-an-object"),
    pytest.param({"query": "{ __typename }", "operationName": {"obj": "ect"}}, JSON, 400, id="operation-name-object"),
    pytest.param({"query": "{ __typename }", "operationName": False}, JSON, 400, id="operation-name-false"),
    pytest.param({"query": "{ __typename }"}, None, 415, id="no-content-type"),
    pytest.param({"query": "{ __typename }"}, "text/plain", 415, id="text-plain"),
    pytest.param({"query": "{ __typename }"}, "application/graphql", 415, id="application-graphql"),
]


@sqlite_only
@pytest.mark.parametrize(("body", "content_type", "status"), MALFORMED)
@pytest.mark.parametrize("accept", [GR, JSON, None])
async def test_malformed_requests(api, body, content_type, status, accept):
    response = await _post(api, body, accept, content_type)
    assert response.status_code == status, response.text
    assert _media_type(response) == (accept or JSON)
    assert "data" not in response.json()
    assert _codes(response) == ["BAD_USER_INPUT"]


@sqlite_only
@pytest.mark.parametrize("accept", [GR, JSON])
async def test_malformed_get_requests(api, accept):
    headers = {"accept": accept}
    missing = await api.client.get("/graphql", headers=headers)
    bad_variables = await api.client.get("/graphql", params={"query": "{ __typename }", "variables": "{nope"}, headers=headers)
    list_variables = await api.client.get("/graphql", params={"query": "{ __typename }", "variables": "[1]"}, headers=headers)
    for response in (missing, bad_variables, list_variables):
        assert response.status_code == 400, response.text
        assert _media_type(response) == accept
        assert _codes(response) == ["BAD_USER_INPUT"]


@sqlite_only
@pytest.mark.parametrize("accept", [GR, JSON])
async def test_mutation_over_get_is_405_with_allow(api, accept):
    response = await api.client.get("/graphql", params={"query": "mutation { __typename }"}, headers={"accept": accept})
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert _media_type(response) == accept
    assert _codes(response) == ["BAD_USER_INPUT"]


@sqlite_only
@pytest.mark.parametrize("accept", [GR, JSON])
async def test_get_queries_and_variables(api, accept):
    response = await api.client.get(
        "/graphql",
        params={"query": "query T($name: String!) { __type(name: $name) { name } }", "variables": '{"name": "Query"}',
                "operationName": ""},
        headers={"accept": accept},
    )
    assert response.status_code == 200, response.text
    assert _media_type(response) == accept
    assert response.json() == {"data": {"__type": {"name": "Query"}}}


@sqlite_only
async def test_multipart_operations_must_be_an_object(api, sessions):
    from transparency_portal.domain.moderation import Role
    from transparency_portal.workflows.users import add_user

    token = (await add_user(sessions, name="Moderator", role=Role.MODERATOR)).token
    response = await api.client.post(
        "/graphql", data={"operations": '"a string"', "map": "{}"}, files={"0": ("a.txt", b"x", "text/plain")},
        headers={"accept": GR, "authorization": f"Bearer {token}"},
    )
    assert response.status_code == 400, response.text
    assert _media_type(response) == GR and _codes(response) == ["BAD_USER_INPUT"]
