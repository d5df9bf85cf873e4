"""The benchmark's GraphQL documents and request bodies (see run.py's docstring for the cases),
and how its clients send them and read the answers."""

from __future__ import annotations

import hashlib
import io
import json
import os

import httpx


LIST_SELECTION = (
    "totalCount edges { cursor node { id name factoryType country { code name } complianceStatus nonComplianceCount "
    "refusals { highlighted unexcused } latestAssessment { id date modality cycle comprehensive "
    "findings { id status issue { code title cluster } correction { reason correctedOn previousStatus } } } } } "
    "pageInfo { hasNextPage endCursor }"
)
LIST = "query Page($first: Int!, $after: String) { factories(first: $first, after: $after) { %s } }" % LIST_SELECTION
CURSORS = (
    "query Cursors($after: String) { factories(first: 100, after: $after) { "
    "edges { cursor node { id latestAssessment { id } } } pageInfo { hasNextPage endCursor } } }"
)
DETAIL = (
    "query Detail($id: ID!) { factory(id: $id) { id name factoryType leftProgrammeOn country { code name } "
    "complianceStatus nonComplianceCount refusals { highlighted unexcused } "
    "latestAssessment { id date modality cycle comprehensive "
    "findings { id status issue { id code title cluster } correction { reason correctedOn previousStatus } } } } }"
)
BY_ISSUE = (
    "query ByIssue($issue: ID!) { factories(first: 100, filter: { nonCompliantOn: [$issue] }) { totalCount "
    "edges { cursor node { id name country { code } complianceStatus nonComplianceCount "
    "latestAssessment { date modality nonCompliances { issue { code title } } } } } pageInfo { hasNextPage endCursor } } }"
)
ISSUE_FACETS = "{ factories(first: 1) { facets { issue { value count } } } }"
QUEUE = (
    "query Queue($first: Int) { moderationQueue(first: $first) { totalCount "
    "edges { cursor node { id state version text postedAt flags { kind match } attachments { url contentType size } } } "
    "pageInfo { hasNextPage endCursor } } }"
)
SUBMIT = (
    "mutation Submit($input: SubmitResponseInput!) { submitResponse(input: $input) { "
    "id state version text postedAt attachments { url contentType size } finding { id } } }"
)
RESPONSE_TEXTS = [
    "The emergency exit is now unlocked during working hours; the key box was removed.",
    "Please contact hr.desk@example.com or +855 23 880 880 for the payroll records.",
    "Overtime is now recorded electronically, see www.example.com/overtime for the policy.",
    "All supervisors were trained on the new grievance procedure in March.",
    "Mr Sok Dara from the HR office confirmed the repair of the fire doors.",
    "The canteen was renovated and inspected again by the local authority.",
]


def graphql_body(query: str, variables: dict) -> bytes:
    return json.dumps({"query": query, "variables": variables}, separators=(", ", ": ")).encode()


def random_page_prefix() -> str:
    """The random-page body up to `first`'s value; Lua and Python complete it the same way."""
    return '{"query": ' + json.dumps(LIST) + ', "variables": {"first": '


def random_page_body(first: int, cursor: str) -> bytes:
    return (random_page_prefix() + f'{first}, "after": "{cursor}"}}}}').encode()


def jpeg_of_about(target: int = 1_000_000) -> bytes:
    """A real JPEG near `target` bytes: a 1600x1200 photo-like picture (gradients and noise)."""
    from PIL import Image, ImageChops

    width, height = 1600, 1200
    gradient = Image.linear_gradient("L").resize((width, height))
    radial = Image.radial_gradient("L").resize((width, height))
    noise = Image.effect_noise((width, height), 60)
    picture = Image.merge("RGB", (gradient, ImageChops.add(radial, noise), ImageChops.blend(gradient, noise, 0.5)))
    best = b""
    low, high = 40, 98
    while low <= high:
        quality = (low + high) // 2
        out = io.BytesIO()
        picture.save(out, "JPEG", quality=quality)
        data = out.getvalue()
        if not best or abs(len(data) - target) < abs(len(best) - target):
            best = data
        if len(data) < target:
            low = quality + 1
        else:
            high = quality - 1
    return best


def multipart(fields: list[tuple[str, str]], files: list[tuple[str, str, str, bytes]]) -> tuple[bytes, str]:
    boundary = "portal-bench-" + hashlib.sha256(os.urandom(16)).hexdigest()[:24]
    out = io.BytesIO()
    for name, value in fields:
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        out.write(value.encode() + b"\r\n")
    for name, filename, content_type, data in files:
        out.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n".encode()
        )
        out.write(data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def like_wrk(client):
    """httpx adds Accept, Accept-Encoding and User-Agent; wrk sends none of them. Requests must
    be the same bytes for the project (its caches may key on Accept) as under wrk."""
    for name in ("accept", "accept-encoding", "user-agent"):
        client.headers.pop(name, None)
    return client


def check_graphql(response: httpx.Response, what: str) -> dict:
    if response.status_code != 200:
        raise SystemExit(f"bench: {what}: HTTP {response.status_code}: {response.text[:2000]}")
    body = response.json()
    if body.get("errors"):
        raise SystemExit(f"bench: {what}: {json.dumps(body['errors'])[:2000]}")
    return body["data"]
