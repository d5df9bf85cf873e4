"""Issue 10, tried as an attacker would, over real HTTP: the headers an answer depends on, bodies
in every framing, malformed input that used to end in a 500, and methods answered in plain text.
Each test sends the attack and checks the answer a client would see."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json

import httpx
import pytest
from ids import gid
from PIL import Image
from servers import serving

from transparency_portal.schema.http.app import create_app

SUBMIT = """mutation($input: SubmitResponseInput!) { submitResponse(input: $input) { id attachments { url } } }"""
APPROVE = "mutation($id: ID!) { approveResponse(id: $id, version: 1) { state } }"
PUBLIC_URLS = "query($id: ID!) { factory(id: $id) { latestAssessment { responses { attachments { url } } } } }"
LABELS = "{ factories(first: 5, orderBy: {field: NAME}) { edges { node { name complianceStatusLabel } } } }"
A, A2 = gid("Factory", "KH-A"), gid("Assessment", "KH-A-A2")


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (10, 120, 40)).save(out, "PNG")
    return out.getvalue()


async def approved_photo(api, people) -> str:
    """A public response with one photo; the path of the photo."""
    answer = await api.upload(SUBMIT, {"input": {"assessmentId": A2, "text": "Exits unlocked."}}, [("exit.png", png(), "image/png")], people.alpha)
    assert answer.status_code == 200, answer.text
    response = answer.json()["data"]["submitResponse"]
    await api.query(APPROVE, {"id": response["id"]}, people.mod1)
    return response["attachments"][0]["url"]


def gql_error(response: httpx.Response, status: int, code: str = "BAD_USER_INPUT") -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == code, error
    return error


# 1. Headers an answer depends on.


async def test_urls_never_come_from_the_host_header_and_the_cache_is_not_poisoned(api, people, settings):
    await approved_photo(api, people)
    evil = await api.post(PUBLIC_URLS, {"id": A}, headers={"host": "evil.example"})
    [url] = [a["url"] for r in evil.json()["data"]["factory"]["latestAssessment"]["responses"] for a in r["attachments"]]
    assert url.startswith("/attachments/") and "evil" not in evil.text
    honest = await api.post(PUBLIC_URLS, {"id": A})
    assert honest.json() == evil.json() and honest.headers["etag"] == evil.headers["etag"]
    assert (await api.client.get(url)).status_code == 200

    # A configured public URL is the only base of absolute URLs.
    configured = create_app(settings.__class__(**{**settings.__dict__, "public_url": "https://api.portal.example"}))
    async with serving(configured) as base_url, httpx.AsyncClient(base_url=base_url) as client:
        answer = await client.post("/graphql", json={"query": PUBLIC_URLS, "variables": {"id": A}}, headers={"host": "evil.example"})
    assert f"https://api.portal.example{url}" in answer.text and "evil" not in answer.text


async def test_repeated_accept_language_lines_are_one_list_for_every_layer(api, people):
    async def labels(*lines: str, **kwargs) -> tuple[list[str], httpx.Response]:
        headers = [("accept-language", line) for line in lines]
        response = await api.client.post("/graphql", json={"query": LABELS}, headers=headers, **kwargs)
        return [e["node"]["complianceStatusLabel"] for e in response.json()["data"]["factories"]["edges"]], response

    french, _ = await labels("fr")
    spanish, _ = await labels("es")
    vietnamese, _ = await labels("vi")
    assert len({tuple(french), tuple(spanish), tuple(vietnamese)}) == 3
    # Twice each: a miss (strawberry, then the compiled executor) and a cache hit agree.
    for _ in range(3):
        assert (await labels("fr", "es"))[0] == french  # "fr, es": French first
        assert (await labels("vi, es"))[0] == vietnamese  # never a cached French answer
        assert (await labels("es;q=0.5", "fr;q=0.9"))[0] == french
    # The cache keys on the negotiated language: a spelling of the same choice is the same answer.
    _, one = await labels("fr")
    _, other = await labels("fr-CA, en;q=0.1")
    assert one.headers["etag"] == other.headers["etag"]


async def test_repeated_accept_lines_pick_one_media_type_everywhere(api, people):
    headers = [("accept", "application/json;q=0.5"), ("accept", "application/graphql-response+json")]
    for _ in range(3):
        response = await api.client.post("/graphql", json={"query": LABELS}, headers=headers)
        assert response.headers["content-type"].startswith("application/graphql-response+json")
        broken = await api.client.post("/graphql", json={"query": "{ nope }"}, headers=headers)
        assert broken.status_code == 400  # graphql-response+json: a request error is 400


async def test_conflicting_single_value_headers_and_double_framing_are_refused(api, people):
    mixed = [("authorization", f"Bearer {people.alpha}"), ("authorization", "Bearer tp_other")]
    refused = await api.client.post("/graphql", json={"query": "{ __typename }"}, headers=mixed)
    gql_error(refused, 400)
    assert refused.headers["x-request-id"]  # counted and logged like every answer

    host, port = api.base_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    body = b'{"query": "{ __typename }"}'
    writer.write(
        b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + b"Content-Length: %d\r\nTransfer-Encoding: chunked\r\n\r\n" % len(body)
        + b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    )
    await writer.drain()
    status_line = await asyncio.wait_for(reader.readline(), 10)
    writer.close()
    assert status_line.split()[1] in (b"400",), status_line


async def test_a_304_says_what_it_varies_on(api, people):
    first = await api.post(LABELS)
    again = await api.post(LABELS, headers={"if-none-match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.headers["vary"] == first.headers["vary"] and "Accept-Language" in again.headers["vary"]


async def test_public_attachments_are_revalidated_not_kept(api, people):
    url = await approved_photo(api, people)
    served = await api.client.get(url)
    assert served.headers["cache-control"] == "public, no-cache" and served.headers["etag"]
    unchanged = await api.client.get(url, headers={"if-none-match": served.headers["etag"]})
    assert unchanged.status_code == 304 and unchanged.content == b""


# 2. Multipart bodies.


def multipart(fields: list[tuple[str, bytes, str | None]], boundary: str = "portalboundary") -> bytes:
    out = io.BytesIO()
    for name, value, filename in fields:
        out.write(f"--{boundary}\r\n".encode())
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out.write(f"Content-Disposition: {disposition}\r\n\r\n".encode())
        out.write(value + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue()


def chunked(body: bytes, size: int = 64 * 1024):
    async def stream():
        for start in range(0, len(body), size):
            yield body[start : start + size]

    return stream()


TYPENAME_OPS = json.dumps({"query": "{ __typename }"}).encode()
UPLOAD_OPS = json.dumps({"query": SUBMIT, "variables": {"input": {"assessmentId": A2, "text": "x", "attachments": [None]}}}).encode()
MULTIPART = "multipart/form-data; boundary=portalboundary"


async def send_multipart(api, body: bytes, token: str | None = None, content_type: str = MULTIPART, stream: bool = True):
    headers = {"content-type": content_type, **({"authorization": f"Bearer {token}"} if token else {})}
    return await api.client.post("/graphql", content=chunked(body) if stream else body, headers=headers)


async def refusal_before_the_body(base_url: str, head: bytes, token: str | None) -> tuple[int, dict]:
    """Sends a chunked multipart request's headers and only `head` of its body, then reads the
    answer: a server that waited for the whole body (900 fields of 1 MB) would never answer."""
    host, port = base_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    auth = b"Authorization: Bearer %s\r\n" % token.encode() if token else b""
    writer.write(
        b"POST /graphql HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n" + auth
        + b"Content-Type: " + MULTIPART.encode() + b"\r\n\r\n" + b"%x\r\n%s\r\n" % (len(head), head)
    )
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(65536), 30)
    writer.close()
    status = int(answer.split(b" ", 2)[1])
    return status, json.loads(answer.split(b"\r\n\r\n", 1)[1])


async def test_chunked_multipart_without_uploads_is_refused_before_it_is_read(api, people, settings):
    fields = [("operations", TYPENAME_OPS, None), ("map", b"{}", None), ("f0", b"x" * 1024 * 1024, None)]
    head = multipart(fields)[:300]  # `operations`, the start of `map`: 900 MB would follow
    # A refusal reads what the client still sends for PORTAL_BODY_DRAIN_SECONDS (2) at most before
    # it answers; these clients stop sending for good, so each answer would wait all of it.
    impatient = create_app(dataclasses.replace(settings, body_drain_seconds=0.1))
    async with serving(impatient) as base_url:
        # Anonymous: refused before a byte of the body is read.
        status, body = await refusal_before_the_body(base_url, head, None)
        assert status == 401 and body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        # Signed in, an operation that takes no upload: refused once `operations` has been read.
        status, body = await refusal_before_the_body(base_url, head, people.alpha)
        assert status == 400 and "only for an operation that uploads" in body["errors"][0]["message"]
        # An upload operation followed by a field that is not a file: refused at its headers.
        fields = [("operations", UPLOAD_OPS, None), ("map", b'{"0": ["variables.input.attachments.0"]}', None)]
        fields += [("f0", b"x" * 1024 * 1024, None)]
        body_bytes = multipart(fields)
        head = body_bytes[: body_bytes.index(b"xxxx") + 10]
        status, body = await refusal_before_the_body(base_url, head, people.alpha)
    assert status == 400 and "only files that `map` names" in body["errors"][0]["message"]
    # Whole bodies sent by an ordinary client get the same answers.
    gql_error(await send_multipart(api, multipart(fields), people.alpha), 400)


async def test_chunked_uploads_are_counted_as_they_stream(api, people, settings):
    too_big = b"\x89PNG" + b"x" * settings.max_attachment_bytes
    fields = [("operations", UPLOAD_OPS, None), ("map", b'{"0": ["variables.input.attachments.0"]}', None), ("0", too_big, "a.png")]
    gql_error(await send_multipart(api, multipart(fields), people.alpha), 413)
    # The same request framed well but within the limits goes through.
    fields[2] = ("0", png(), "a.png")
    answer = await send_multipart(api, multipart(fields), people.alpha)
    assert answer.status_code == 200 and "errors" not in answer.json(), answer.text


@pytest.mark.parametrize(
    "operations, mapping, files, message",
    [
        (UPLOAD_OPS, b"[1, 2]", [], "`map` must be an object"),
        (UPLOAD_OPS, b'{"0": [1]}', [], "`map` must be an object"),
        (UPLOAD_OPS, b"{not json", [], "`map` must be JSON"),
        (b'"x"', b"{}", [], "only for an operation that uploads"),
        (b"[1]", b"{}", [], "only for an operation that uploads"),
        # A text field where the map promises a file.
        (UPLOAD_OPS, b'{"0": ["variables.input.attachments.0"]}', [("0", b"just text", None)], "only files that `map` names"),
        # A file the map does not name.
        (UPLOAD_OPS, b"{}", [("9", b"\x89PNG", "a.png")], "only files that `map` names"),
    ],
)
async def test_malformed_multipart_requests_are_client_errors(api, people, operations, mapping, files, message):
    body = multipart([("operations", operations, None), ("map", mapping, None), *files])
    error = gql_error(await send_multipart(api, body, people.alpha, stream=False), 400)
    assert message in error["message"]


async def test_multipart_framing_errors_are_json(api, people):
    token = people.alpha
    body = multipart([("operations", UPLOAD_OPS, None), ("map", b"{}", None)])
    gql_error(await send_multipart(api, body, token, content_type="multipart/form-data"), 400)
    gql_error(await send_multipart(api, body, token, content_type="multipart/form-data; boundary=" + "b" * 71), 400)
    gql_error(await send_multipart(api, body, token, content_type="multipart/form-data; boundary=other"), 400)
    long_name = multipart([("operations", UPLOAD_OPS, None), ("map", b'{"0": ["variables.input.attachments.0"]}', None), ("0", png(), "n" * 10_000 + ".png")])
    gql_error(await send_multipart(api, long_name, token), 400)
    many = multipart([("operations", UPLOAD_OPS, None), ("map", b"{}", None), *[(f"f{n}", b"x", None) for n in range(1_100)]])
    gql_error(await send_multipart(api, many, token), 400)


# 7. Malformed input that used to be a 500.


@pytest.mark.parametrize(
    "body",
    [
        b'{"query": "{ __typename }", "variables": {"a": "\xff"}}',
        b'{"query": "{ __typename }", "variables": {"a": ' + b"[" * 5000 + b"]" * 5000 + b"}}",
        b'{"query": "{ __typename }", "variables": {"a": ' + b"9" * 5001 + b"}}",
        b'{"query": "{ factories(filter: {search: \\"\\ud800\\"}) { totalCount } }"}',
        b'{"query": "query($s: String) { factories(filter: {search: $s}) { totalCount } }", "variables": {"s": "\\udc00"}}',
    ],
    ids=["0xFF", "nested-5000", "5001-digits", "lone-surrogate-in-query", "lone-surrogate-in-variables"],
)
async def test_malformed_json_is_a_client_error(api, body):
    response = await api.client.post("/graphql", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400 and response.headers["content-type"].startswith("application/json"), response.text
    assert response.json()["errors"][0]["extensions"]["code"] in ("BAD_USER_INPUT", "GRAPHQL_PARSE_FAILED")


async def test_deep_variables_over_get_are_a_client_error(api):
    variables = '{"a": ' + "[" * 5000 + "]" * 5000 + "}"
    response = await api.client.get("/graphql", params={"query": "{ __typename }", "variables": variables})
    gql_error(response, 400)


async def test_an_overlong_or_broken_search_is_bad_user_input(api, people):
    query = "query($s: String) { factories(filter: {search: $s}) { totalCount } }"
    [error] = await api.errors(query, {"s": "a" * 50_001})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": "search", "max": 200}
    assert (await api.errors(query, {"s": "%_" * 30_000}))[0]["extensions"]["code"] == "BAD_USER_INPUT"
    export = await api.client.get("/export/factories.csv", params={"search": "a" * 50_001})
    gql_error(export, 400)
    assert (await api.query(query, {"s": "Alpha"}))["factories"]["totalCount"] == 1


# 8. Plain-text answers.


@pytest.mark.parametrize("method", ["OPTIONS", "PUT", "DELETE", "PATCH", "TRACE"])
async def test_other_methods_get_a_json_405(api, method):
    response = await api.client.request(method, "/graphql")
    error = gql_error(response, 405)
    assert response.headers["allow"] == "GET, POST" and error["message"]


# Also seen: slow bodies.


async def test_a_body_that_trickles_in_gets_408(settings, engine):
    slow = settings.__class__(**{**settings.__dict__, "body_idle_seconds": 1, "body_total_seconds": 3})
    async with serving(create_app(slow)) as base_url:
        host, port = base_url.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"query\"")
        await writer.drain()  # ... and nothing more
        answer = await asyncio.wait_for(reader.read(65536), 30)
        writer.close()
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
