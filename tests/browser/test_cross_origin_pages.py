"""Pages on other origins, in headless Chromium: a page served from one loopback origin calls the
API on another. Anonymous reads work from any page; a supplier's token works from a listed
origin only (elsewhere the browser's preflight gets no permission, and nothing is sent); the
headers a client needs are readable. The page writes what it saw into its DOM; the test reads
the DOM Chromium dumps.
"""

from __future__ import annotations

import dataclasses
import html
import json
import re
from urllib.parse import urlencode

import pytest
from ids import gid
from servers import serving
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

PAGE = """<!doctype html>
<html><body><pre id="results">running</pre><script>
const params = new URLSearchParams(location.search);
const api = params.get("api");

async function call(path, init) {
  try {
    const response = await fetch(api + path, init);
    return {
      status: response.status,
      body: await response.text(),
      requestId: response.headers.get("x-request-id"),
      etag: response.headers.get("etag"),
      rateLimitPolicy: response.headers.get("ratelimit-policy"),
    };
  } catch (error) {
    return {failed: error.name};  // the browser refused: a CORS failure shows as a TypeError
  }
}

function post(body, headers) {
  return call("/graphql", {method: "POST", headers: {"content-type": "application/json", ...headers}, body: JSON.stringify(body)});
}

(async () => {
  const results = {
    anonymous: await post({query: "{ factories(first: 5) { totalCount } }"}, {"x-request-id": "page-" + location.port}),
    schema: await call("/schema.graphql", {}),
    signedIn: await post(
      {query: params.get("mutation"), variables: JSON.parse(params.get("variables"))},
      {authorization: "Bearer " + params.get("token")},
    ),
  };
  document.getElementById("results").textContent = JSON.stringify(results);
})();
</script></body></html>
"""
SUBMIT = "mutation($input: SubmitResponseInput!) { submitResponse(input: $input) { state } }"
QUEUE = "{ moderationQueue(first: 10) { totalCount } }"


@pytest.fixture
def database_url(tmp_path):
    return f"sqlite+aiosqlite:///{tmp_path / 'portal.db'}"  # what a browser sees does not depend on the backend


@pytest.fixture
async def pages():
    """Two origins serving the page: (listed, elsewhere)."""
    app = Starlette(routes=[Route("/", lambda _request: HTMLResponse(PAGE))])
    async with serving(app) as listed, serving(app) as elsewhere:
        yield listed, elsewhere


@pytest.fixture
def settings(settings, pages):
    return dataclasses.replace(settings, cors_origins=(pages[0],), rate_limit_points=5000)


async def what_the_page_saw(load_page, page: str, api, token: str, answer: str) -> dict:
    variables = {"input": {"assessmentId": gid("Assessment", "KH-A-A2"), "text": answer}}
    query = {"api": api.base_url, "token": token, "mutation": SUBMIT, "variables": json.dumps(variables)}
    dom = await load_page(page + "/?" + urlencode(query))
    found = re.search(r'<pre id="results">(.*?)</pre>', dom, re.DOTALL)
    assert found is not None, dom[-2000:]
    return json.loads(html.unescape(found.group(1)))


async def test_pages_read_anonymously_from_anywhere_and_sign_in_from_listed_origins_only(load_page, pages, api, people):
    listed, elsewhere = pages

    seen = await what_the_page_saw(load_page, listed, api, people.alpha, "Fixed, as the listed page reports.")
    assert seen["anonymous"]["status"] == 200
    assert json.loads(seen["anonymous"]["body"]) == {"data": {"factories": {"totalCount": 2}}}
    # Exposed headers are readable: the request id the page sent, the answer's ETag, its budget.
    assert seen["anonymous"]["requestId"] == "page-" + listed.rsplit(":", 1)[1]
    assert seen["anonymous"]["etag"]
    assert seen["anonymous"]["rateLimitPolicy"] == '"hour";q=5000;w=3600'
    assert seen["schema"]["status"] == 200 and "type Query" in seen["schema"]["body"]
    assert seen["signedIn"]["status"] == 200
    assert json.loads(seen["signedIn"]["body"]) == {"data": {"submitResponse": {"state": "SUBMITTED"}}}

    seen = await what_the_page_saw(load_page, elsewhere, api, people.alpha, "Sent from a page nobody listed.")
    assert seen["anonymous"]["status"] == 200
    assert seen["schema"]["status"] == 200
    assert seen["signedIn"] == {"failed": "TypeError"}
    # The browser never sent it: one response waits for moderation, the listed page's.
    assert (await api.query(QUEUE, token=people.mod1))["moderationQueue"]["totalCount"] == 1
