"""The benchmark's cases (see run.py's docstring): set up through the API, recorded for the
ceiling, and the wrk Lua script each case's requests are sent from."""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from documents import (
    BY_ISSUE,
    DETAIL,
    ISSUE_FACETS,
    LIST,
    QUEUE,
    RESPONSE_TEXTS,
    SUBMIT,
    check_graphql,
    graphql_body,
    jpeg_of_about,
    multipart,
    random_page_body,
    random_page_prefix,
)
from processes import run_portal, say


@dataclass
class Case:
    key: str  # also the X-Bench-Case header the ceiling routes by
    label: str
    headers: dict[str, str]
    body: bytes | None = None  # a fixed body; None: the random-page case
    duration: int | None = None  # seconds, when shorter than the others'
    writes: bool = False

    def request_headers(self) -> dict[str, str]:
        return {**self.headers, "X-Bench-Case": self.key}


def add_user(env: dict[str, str], log: Path, role: str, factory: str | None = None) -> str:
    args = ["users", "add", "--role", role, "--name", "Bench" if role == "moderator" else "Bench Supplier"]
    if factory:
        args += ["--factory", factory]
    return run_portal(args, env, log).strip().splitlines()[-1].strip()


def build_cases(client: httpx.Client, env: dict[str, str], workdir: Path, opts, nodes: list[dict]) -> list[Case]:
    json_headers = {"Content-Type": "application/json"}
    factory = nodes[0]
    detail = check_graphql(client.post("/graphql", content=graphql_body(DETAIL, {"id": factory["id"]}), headers=json_headers), "detail")
    findings = detail["factory"]["latestAssessment"]["findings"]
    assessment_id = detail["factory"]["latestAssessment"]["id"]

    facets = check_graphql(client.post("/graphql", content=graphql_body(ISSUE_FACETS, {}), headers=json_headers), "facets")
    issue_counts = facets["factories"]["facets"]["issue"]
    issue = max(issue_counts, key=lambda c: c["count"])["value"] if issue_counts else findings[0]["issue"]["id"]

    moderator = add_user(env, workdir / "portal.log", "moderator")
    supplier = add_user(env, workdir / "portal.log", "supplier", factory["id"])
    supplier_headers = {"Authorization": f"Bearer {supplier}"}
    for n, text in enumerate(RESPONSE_TEXTS):
        variables = {"input": {"assessmentId": assessment_id, "text": text,
                               "findingId": findings[n % len(findings)]["id"] if n % 2 else None}}
        check_graphql(client.post("/graphql", content=graphql_body(SUBMIT, variables),
                                  headers={**json_headers, **supplier_headers}), "submitting a response")

    photo = jpeg_of_about(1_000_000)
    (workdir / "photo.jpg").write_bytes(photo)
    operations = json.dumps({"query": SUBMIT, "variables": {"input": {
        "assessmentId": assessment_id, "text": "Photo of the repaired fire exit, taken this week.", "attachments": [None]}}})
    body, content_type = multipart(
        [("operations", operations), ("map", json.dumps({"0": ["variables.input.attachments.0"]}))],
        [("0", "fire-exit.jpg", "image/jpeg", photo)],
    )
    say(f"upload body: a {len(photo):,}-byte JPEG in a {len(body):,}-byte multipart request")
    return [
        Case("list", "list page of 100, repeated", json_headers, graphql_body(LIST, {"first": 100})),
        Case("random", "list page after a random cursor, 51-100", json_headers, None),
        Case("detail", "factory detail", json_headers, graphql_body(DETAIL, {"id": factory["id"]})),
        Case("issue", "nonCompliantOn one issue, 100", json_headers, graphql_body(BY_ISSUE, {"issue": issue})),
        Case("queue", "moderation queue page of 20", {**json_headers, "Authorization": f"Bearer {moderator}"},
             graphql_body(QUEUE, {"first": 20})),
        Case("upload", "submitResponse with a 1 MB photo", {"Content-Type": content_type, **supplier_headers}, body,
             duration=min(opts.upload_duration, opts.duration), writes=True),
    ]


# Header lines uvicorn writes itself, for the project and the ceiling alike.
SERVER_HEADERS = frozenset({b"date", b"server", b"connection", b"transfer-encoding"})


def record(client: httpx.Client, cases: list[Case], cursors: list[str], folder: Path, sizes: list[int]) -> tuple[Path, dict[str, float]]:
    """Ask the project once per distinct request; write what it said for the ceiling.

    Returns the recordings' index and each case's time for one request alone, from which the
    length of its wrk runs is chosen: for a fixed request, the time of asking it a second time
    (what wrk mostly sees, when the project caches it); for the random pages the slowest."""
    folder.mkdir(parents=True, exist_ok=True)
    index: dict[str, dict] = {}
    alone: dict[str, float] = {}
    rng = random.Random()

    def keep(case: Case, name: str, body: bytes) -> dict:
        started = time.perf_counter()
        response = client.post("/graphql", content=body, headers=case.request_headers())
        alone[case.key] = max(alone.get(case.key, 0.0), time.perf_counter() - started)
        check_graphql(response, f"recording {name}")
        if "content-encoding" in response.headers:  # httpx hands the body decoded: not the bytes that were sent
            raise SystemExit(f"recording {name}: a compressed answer cannot be replayed as recorded")
        (folder / name).write_bytes(response.content)
        return {
            "status": response.status_code, "body_file": name,
            # The whole answer is replayed, its header lines included (the server adds its own to both).
            "headers": [
                [k.decode("latin-1"), v.decode("latin-1")] for k, v in response.headers.raw if k.lower() not in SERVER_HEADERS
            ],
        }

    for case in cases:
        if case.body is not None:
            index[case.key] = keep(case, f"{case.key}.out", case.body)
            started = time.perf_counter()
            check_graphql(client.post("/graphql", content=case.body, headers=case.request_headers()), f"timing {case.key}")
            alone[case.key] = time.perf_counter() - started
        else:
            index[case.key] = {"by_first": {
                str(n): keep(case, f"{case.key}-{n}.out", random_page_body(n, rng.choice(cursors))) for n in sizes
            }}
    path = folder / "recordings.json"
    path.write_text(json.dumps(index, indent=1))
    return path, alone


def lua_string(value: str) -> str:
    out = []
    for ch in value:
        code = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif 32 <= code < 127:
            out.append(ch)
        else:
            out.extend(f"\\{byte}" for byte in ch.encode())
    return '"' + "".join(out) + '"'


LUA_DONE = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %.1f, "p90_us": %.1f, "p99_us": %.1f, '
    .. '"max_us": %.1f, "connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
"""

LUA_SEED = r"""
init = function(args)
  -- wrk's math.random starts from the same seed in every run: seed each thread from the kernel.
  local f = assert(io.open("/dev/urandom", "rb"))
  local bytes = f:read(6)
  f:close()
  local seed = 0
  for i = 1, #bytes do seed = seed * 256 + bytes:byte(i) end
  math.randomseed(seed)
  math.random(); math.random()
end
"""


def write_lua(case: Case, folder: Path, cursors: list[str]) -> Path:
    lines = ['wrk.method = "POST"', 'wrk.path = "/graphql"']
    for name, value in case.request_headers().items():
        lines.append(f"wrk.headers[{lua_string(name)}] = {lua_string(value)}")
    if case.body is not None:
        body_file = folder / f"{case.key}.body"
        body_file.write_bytes(case.body)
        lines += [
            f'local body_file = assert(io.open({lua_string(str(body_file))}, "rb"))',
            'wrk.body = body_file:read("*a")',
            "body_file:close()",
        ]
    else:
        lines.append("local cursors = {")
        lines += [f"  {lua_string(c)}," for c in cursors]
        lines.append("}")
        lines.append(f"local prefix = {lua_string(random_page_prefix())}")
        lines.append(LUA_SEED)
        lines.append(
            "request = function()\n"
            "  local first = math.random(51, 100)\n"
            "  local cursor = cursors[math.random(1, #cursors)]\n"
            "  return wrk.format(nil, nil, nil, prefix .. first .. ', \"after\": \"' .. cursor .. '\"}}')\n"
            "end"
        )
    lines.append(LUA_DONE)
    script = folder / f"{case.key}.lua"
    script.write_text("\n".join(lines) + "\n")
    return script
