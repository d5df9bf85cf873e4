"""CORS and GraphiQL's own files, over real HTTP (uvicorn on loopback), as a browser sees them:
preflights, which origins may send a token, the headers a page may read (refusals included),
and a GraphiQL page that loads nothing from elsewhere. tests/browser/ runs the same in Chromium.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
from html.parser import HTMLParser

import httpx
import pytest
from ids import gid
from servers import serving
from transparency_portal.config import Settings
from transparency_portal.schema.http.app import create_app
from transparency_portal.schema.http.body_limit import BodyTimeout
from transparency_portal.schema.http.cors import Cors
from transparency_portal.schema.http.first_layers import FirstLayers
from transparency_portal.schema.http.operations import Probes, Readiness
from transparency_portal.schema.http.request_log import RequestLog

LISTED = "https://app.example.org"
ELSEWHERE = "https://elsewhere.example"
EXPOSED = {"etag", "retry-after", "ratelimit", "ratelimit-policy", "x-request-id"}
TYPENAME = {"query": "{ __typename }"}
SUBMIT = """mutation($input: SubmitResponseInput!) { submitResponse(input: $input) { state } }"""
QUEUE = "{ moderationQueue(first: 10) { totalCount } }"
AN_ANSWER = {"input": {"assessmentId": gid("Assessment", "KH-A-A2"), "text": "The emergency exit is now unlocked."}}


@pytest.fixture
def database_url(tmp_path):
    return f"sqlite+aiosqlite:///{tmp_path / 'portal.db'}"  # CORS does not depend on the backend


@pytest.fixture
def settings(settings):
    return dataclasses.replace(settings, cors_origins=(LISTED,))


def listed(header: str | None) -> set[str]:
    return {item.strip().lower() for item in (header or "").split(",") if item.strip()}


async def preflight(client, origin: str, headers: str, path: str = "/graphql") -> httpx.Response:
    return await client.options(
        path,
        headers={"origin": origin, "access-control-request-method": "POST", "access-control-request-headers": headers},
    )


def readable_by_any_page(response: httpx.Response) -> None:
    assert response.headers["access-control-allow-origin"] == "*"
    assert EXPOSED <= listed(response.headers["access-control-expose-headers"])


async def test_a_preflight_from_any_origin_allows_anonymous_requests_only(api):
    for path in ("/graphql", "/schema.graphql", "/export/factories.csv", "/attachments/anything"):
        answer = await preflight(api.client, ELSEWHERE, "Content-Type, X-Request-Id", path)
        assert answer.status_code == 204 and answer.content == b""
        assert answer.headers["access-control-allow-origin"] == "*"
        assert {"get", "post"} <= listed(answer.headers["access-control-allow-methods"])
        assert answer.headers["access-control-max-age"] == "600"
        assert listed(answer.headers["access-control-allow-headers"]) == {"content-type", "x-request-id"}
        assert "origin" in listed(answer.headers["vary"])

    # A page there that asks to send a token gets no permission for it: the browser refuses.
    answer = await preflight(api.client, ELSEWHERE, "authorization, content-type")
    assert listed(answer.headers["access-control-allow-headers"]) == {"content-type"}


async def test_a_preflight_from_a_listed_origin_allows_authorization(api):
    answer = await preflight(api.client, LISTED, "authorization, content-type")
    assert answer.status_code == 204
    assert answer.headers["access-control-allow-origin"] == LISTED
    assert listed(answer.headers["access-control-allow-headers"]) == {"authorization", "content-type"}
    assert "access-control-allow-credentials" not in answer.headers  # tokens, never cookies
    assert "origin" in listed(answer.headers["vary"])

    # A plain OPTIONS (no preflight) still reaches the endpoint, which serves GET and POST.
    assert (await api.client.options("/graphql")).status_code == 405


async def test_anonymous_answers_are_the_same_for_every_origin(api):
    """One public answer for every page, with and without Origin: the answer cache and a CDN keep
    one copy, and a copy made for a request without Origin still serves a browser."""
    answers = [
        await api.client.post("/graphql", json=TYPENAME, headers=headers)
        for headers in ({"origin": ELSEWHERE}, {"origin": LISTED}, {})
    ]
    for answer in answers:
        assert answer.status_code == 200
        readable_by_any_page(answer)
        assert "origin" not in listed(answer.headers["vary"])
    assert len({answer.headers["etag"] for answer in answers}) == 1

    for path in ("/schema.graphql", "/export/factories.csv"):
        answer = await api.client.get(path, headers={"origin": ELSEWHERE})
        assert answer.status_code == 200
        readable_by_any_page(answer)
    # Paths for operators are not for pages.
    assert "access-control-allow-origin" not in (await api.client.get("/metrics", headers={"origin": ELSEWHERE})).headers


async def test_a_supplier_sends_its_token_from_a_listed_origin_only(api, people):
    token = {"authorization": f"Bearer {people.alpha}"}
    body = {"query": SUBMIT, "variables": AN_ANSWER}

    sent = await api.client.post("/graphql", json=body, headers={**token, "origin": LISTED})
    assert sent.json() == {"data": {"submitResponse": {"state": "SUBMITTED"}}}
    assert sent.headers["access-control-allow-origin"] == LISTED
    assert "origin" in listed(sent.headers["vary"])
    assert EXPOSED <= listed(sent.headers["access-control-expose-headers"])

    refused = await api.client.post("/graphql", json=body, headers={**token, "origin": ELSEWHERE})
    assert refused.status_code == 403
    [error] = refused.json()["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    readable_by_any_page(refused)  # the page may read why; it learns nothing else
    assert (await api.query(QUEUE, token=people.mod1))["moderationQueue"]["totalCount"] == 1

    # Clients that are not browsers send no Origin; GraphiQL's page is the API's own origin.
    for headers in ({}, {"origin": api.base_url}):
        sent = await api.client.post("/graphql", json=body, headers={**token, **headers})
        assert sent.json() == {"data": {"submitResponse": {"state": "SUBMITTED"}}}
    assert (await api.query(QUEUE, token=people.mod1))["moderationQueue"]["totalCount"] == 3


async def test_refusals_and_failures_are_readable_by_the_page(settings, engine, tmp_path):
    limited = dataclasses.replace(settings, rate_limit=1, max_body_bytes=1000)
    async with serving(create_app(limited)) as base_url, httpx.AsyncClient(base_url=base_url) as client:
        page = {"origin": ELSEWHERE, "x-forwarded-for": "10.0.0.9"}
        padded = {"query": "{ __typename }", "variables": {"pad": "x" * 2000}}
        too_big = await client.post("/graphql", json=padded, headers={**page, "x-forwarded-for": "10.0.0.8"})
        assert too_big.status_code == 413
        readable_by_any_page(too_big)

        assert (await client.post("/graphql", json=TYPENAME, headers=page)).status_code == 200
        waiting = await client.post("/graphql", json=TYPENAME, headers=page)
        assert waiting.status_code == 429
        readable_by_any_page(waiting)
        assert int(waiting.headers["retry-after"]) >= 1
        assert waiting.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"

        malformed = await client.post(
            "/graphql", content=b"{", headers={**page, "x-forwarded-for": "10.0.0.10", "content-type": "application/json"}
        )
        assert malformed.status_code == 400
        readable_by_any_page(malformed)

    # A database that cannot be read: the failure is an answer in GraphQL's shape a page can read.
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"not a database " * 100)
    broken_settings = dataclasses.replace(settings, database_url=f"sqlite+aiosqlite:///{broken}")
    async with serving(create_app(broken_settings)) as base_url, httpx.AsyncClient(base_url=base_url) as client:
        failed = await client.get("/attachments/anything", headers={"origin": ELSEWHERE})
        assert failed.status_code == 500
        readable_by_any_page(failed)
        [error] = failed.json()["errors"]
        assert error["extensions"] == {"code": "INTERNAL", "requestId": failed.headers["x-request-id"]}


async def test_the_first_layers_answer_a_failure_in_starlettes_place():
    """The application runs without Starlette's error layer (app.py): an application that fails
    before answering gets a 500 from the first layers, in GraphQL's shape where CORS applies and
    in plain text elsewhere, each naming the request, never showing the error."""

    async def failing(scope, receive, send):
        raise RuntimeError("a secret detail")

    layers = FirstLayers(
        failing, log=RequestLog(lines=False), cors=Cors(public_url="http://api.example"),
        probes=Probes(readiness=Readiness([])), body_timeout=BodyTimeout(idle=5, total=30),
    )  # fmt: skip
    async with serving(layers, lifespan="off") as base_url, httpx.AsyncClient(base_url=base_url) as client:
        graphql = await client.post("/graphql", json=TYPENAME, headers={"origin": ELSEWHERE})
        assert graphql.status_code == 500
        readable_by_any_page(graphql)
        [error] = graphql.json()["errors"]
        assert error["extensions"] == {"code": "INTERNAL", "requestId": graphql.headers["x-request-id"]}
        plain = await client.get("/feeds/changes.atom")
        assert plain.status_code == 500 and plain.text == "Internal Server Error"
        assert plain.headers["x-request-id"] and "access-control-allow-origin" not in plain.headers
        assert "secret" not in graphql.text + plain.text


class Assets(HTMLParser):
    """The files a page loads: (url, integrity) of its scripts and style sheets."""

    def __init__(self) -> None:
        super().__init__()
        self.files: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs) -> None:
        attrs = dict(attrs)
        url = attrs.get("src") if tag == "script" else attrs.get("href") if tag == "link" else None
        if url is not None:
            self.files.append((url, attrs.get("integrity")))


async def test_graphiql_loads_every_file_from_this_server(api):
    page = await api.client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    parser = Assets()
    parser.feed(page.text)
    files = [(url, integrity) for url, integrity in parser.files if not url.startswith("data:")]
    assert {url.rsplit("/", 1)[-1] for url, _ in files} == {
        "react.production.min.js", "react-dom.production.min.js", "js.cookie.min.js",
        "graphiql.min.js", "graphiql.min.css", "index.umd.js", "style.css",  # the explorer plugin
    }
    for url, integrity in files:
        assert url.startswith("/graphiql/"), url  # nothing from elsewhere
        served = await api.client.get(url)
        assert served.status_code == 200, url
        assert served.headers["content-type"].startswith(("text/javascript", "text/css"))
        assert "immutable" in served.headers["cache-control"]
        # The very files the page was written for: its integrity hashes hold.
        assert integrity == "sha384-" + base64.b64encode(hashlib.sha384(served.content).digest()).decode()

    missing = await api.client.get("/graphiql/graphiql@3.8.3/LICENSE")  # scripts and styles only
    assert missing.status_code == 404 and missing.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_production_serves_no_graphiql_files(settings, engine):
    production = create_app(dataclasses.replace(settings, production=True))
    async with serving(production) as base_url, httpx.AsyncClient(base_url=base_url) as client:
        assert (await client.get("/graphiql/react@18.2.0/umd/react.production.min.js")).status_code == 404


def test_listed_origins_are_written_as_browsers_send_them(monkeypatch):
    monkeypatch.setenv("PORTAL_CORS_ORIGINS", " https://App.Example.org:443/ , http://127.0.0.1:5173")
    assert Settings.from_env().cors_origins == ("https://app.example.org", "http://127.0.0.1:5173")
    for wrong in ("*", "null", "https://app.example.org/path", "app.example.org"):
        monkeypatch.setenv("PORTAL_CORS_ORIGINS", wrong)
        with pytest.raises(SystemExit, match="PORTAL_CORS_ORIGINS"):
            Settings.from_env()
