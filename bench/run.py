#!/usr/bin/env python3
"""The benchmark of issue 7: the real server beside its ceiling, under wrk, on loopback.

    make bench                                   # full run: SQLite 1,700 and 20,000; PostgreSQL 1,700 with 1 and 2 workers
    .venv/bin/python bench/run.py --quick        # smoke run: 200 factories, 1 s runs, 1 repeat, SQLite only
    .venv/bin/python bench/run.py --no-postgres  # SQLite only
    .venv/bin/python bench/run.py --sizes 1700 --duration 10 --repeats 5

What it does, for each data size (and backend):

1. Demo data: `portal demo --factories N --seed S --as-of D` into a SQLite file under the cache
   folder (default `bench/.cache/`), reused while the seed, size, date and the demo generator's
   source are the same (`--fresh` rebuilds). Each run works on a copy, since the run writes
   (users, responses, uploads). With `--postgres` (the default but for `--quick`),
   `tests/support/postgres_server.py` starts a throwaway PostgreSQL and the demo is loaded into it
   for every size of `--postgres-sizes` (1,700), served with each `--workers` count (1 and 2).
2. The project: `portal serve --no-access-log` (uvicorn; no access log, as the ceiling) in a
   subprocess with `PORTAL_RATE_LIMIT=0`, `PORTAL_RATE_LIMIT_POINTS=0` and `PORTAL_RESPONSES_PER_DAY=0`;
   ready once `/healthz` answers 200.
3. Set-up through the API: real edge cursors (walking the whole list), a public factory and
   its current assessment, the issue most factories are non-compliant on; a moderator and a
   supplier (`portal users add`), and a few responses submitted by the supplier so the queue
   is not empty.
4. The ceiling (`bench/ceiling.py`): the project is asked once per distinct request (with the
   very bytes wrk sends: no Accept, Accept-Encoding or User-Agent header) and a bare
   ASGI app (uvicorn, as many workers as the project, no access log) answers each case with those very bytes. For
   the random-page case one page is recorded for every size 51-100 (each after a random
   cursor) and the ceiling answers a request with the recorded page of the size it asks for.
5. Load: wrk, `-t2 -c16 -d5s` by default, project and ceiling interleaved (their order
   alternating), `--repeats` times (3); every case sends its request from a generated Lua
   script whose `done()` prints the figures as JSON. Medians are reported; the ratio is the
   project's median requests/s over the ceiling's. wrk counts only requests that finish
   within the run, so a project run of a slow case is stretched (about three requests per
   connection, at most `--max-duration`, 60 s; the "s/run" column), and after each project
   run the script waits until the server has worked off what was left in flight.
6. Warm-up and memory: before the runs the whole list is walked once with the measured selection
   (a server that has served its list, as the ceiling is measured warm; the walk's time is in
   the memory table, a `--quick` run walks 2 pages). VmRSS of the server process and its workers
   (/proc/PID/status, summed) after it, and its peak (VmHWM, summed) after the load.
7. SQL statements per request: the app in-process (httpx ASGITransport) with a SQLAlchemy
   `before_cursor_execute` listener (BEGIN not counted); each case's request is sent twice and
   both are counted ("first / again": the second shows what the project's caches save).
8. Import: the demo documents of the largest size generated in memory, then timed through
   `import_document` into a fresh SQLite file: findings per second (every finding of every
   document, corrections included).

The cases:
- list:   `factories(first: 100)` with each factory's latest assessment and all its findings,
          the same body every request.
- random: the same selection after a random edge cursor with a random `first` of 51-100, drawn
          per request by wrk's Lua (seeded per thread from /dev/urandom: every run differs).
- detail: `factory(id:)` with its latest assessment, every finding and its issue.
- issue:  `factories(first: 100, filter: {nonCompliantOn: [one issue]})`.
- queue:  a moderator's `moderationQueue(first: 20)` (bearer token).
- upload: `submitResponse` with a 1 MB JPEG (Pillow), one multipart body built once; every
          request writes a response, so its runs are short (`--upload-duration`).

Targets (issue 7) are printed beside the figures as "met" / "not met"; nothing is asserted.
wrk is installed from Debian's packages when missing and we run as root; otherwise the script
stops and says how to install it. Only the standard library, httpx and the project are used.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import importlib.util
import io
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import httpx

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PORTAL = [sys.executable, "-m", "transparency_portal.cli"]
CEILING = [sys.executable, str(BENCH / "ceiling.py")]
TABLE_HEADER = "| data | case | s/run | requests/s | p50 ms | p99 ms | ceiling requests/s | ceiling p50 ms | ratio | SQL first / again | errors |"
DEFAULT_SEED = 20261125
STARTED = time.monotonic()


def say(message: str) -> None:
    print(f"[bench {time.monotonic() - STARTED:7.1f}s] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- the requests

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


# --------------------------------------------------------------------------- processes

_children: list[subprocess.Popen] = []


def _spawn(command: list[str], *, env: dict[str, str], log: Path) -> subprocess.Popen:
    with open(log, "ab") as out:
        process = subprocess.Popen(
            command, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
            start_new_session=True,
        )
    _children.append(process)
    return process


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)  # uvicorn's graceful stop; nothing to wait for
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
    if process in _children:
        _children.remove(process)


def stop_all_children() -> None:
    for process in list(_children):
        with contextlib.suppress(Exception):
            _stop(process)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def wait_ready(process: subprocess.Popen, url: str, log: Path, what: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"bench: {what} exited with code {process.returncode} before it was ready:\n{tail(log)}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    raise SystemExit(f"bench: {what} did not answer {url} within {timeout:.0f} s:\n{tail(log)}")


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of `pid` and its descendants (uvicorn's workers), summed."""
    out = {"VmRSS": 0, "VmHWM": 0}
    for process in [pid, *descendants(pid)]:
        try:
            status = Path(f"/proc/{process}/status").read_text()
        except OSError:  # gone meanwhile
            continue
        for line in status.splitlines():
            name, _, value = line.partition(":")
            if name in out:
                out[name] += int(value.split()[0])
    return out


def descendants(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
        for child in children:
            found += [child, *descendants(child)]
    return found


def portal_env(database_url: str, storage_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(
        PORTAL_DATABASE_URL=database_url,
        PORTAL_STORAGE_DIR=str(storage_dir),
        PORTAL_RATE_LIMIT="0",
        PORTAL_RATE_LIMIT_POINTS="0",  # the benchmark measures the server, not a client's budget
        PORTAL_RESPONSES_PER_DAY="0",  # the upload case writes a response per request
        PORTAL_ACTOR="bench",
        PYTHONUNBUFFERED="1",
    )
    return env


def run_portal(args: list[str], env: dict[str, str], log: Path, timeout: float = 3600) -> str:
    result = subprocess.run(
        [*PORTAL, *args], env=env, cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout
    )
    with open(log, "a") as out:
        out.write(f"$ portal {' '.join(args)}\n{result.stdout}{result.stderr}\n")
    if result.returncode != 0:
        raise SystemExit(f"bench: `portal {' '.join(args)}` failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return result.stdout


# --------------------------------------------------------------------------- wrk

WRK_INSTALL_HINT = (
    "bench: wrk is not installed and this is not root, so the benchmark cannot install it.\n"
    "Install it (Debian/Ubuntu: sudo apt-get install -y wrk; elsewhere see https://github.com/wg/wrk)\n"
    "or run as root, and the benchmark installs Debian's package itself."
)


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise SystemExit(WRK_INSTALL_HINT)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    install = ["apt-get", "install", "-y", "--no-install-recommends", "wrk"]
    for attempt in ([install], [["apt-get", "update"], install]):
        for command in attempt:
            say("wrk is missing; running: " + " ".join(command))
            subprocess.run(command, env=env, stdin=subprocess.DEVNULL, stdout=sys.stderr, stderr=sys.stderr)
        found = shutil.which("wrk")
        if found:
            return found
    raise SystemExit("bench: `apt-get install -y wrk` did not provide wrk; install it by hand.\n" + WRK_INSTALL_HINT)


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


@dataclass
class Run:
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    seconds: int


def run_wrk(wrk: str, url: str, script: Path, duration: int, threads: int, connections: int) -> Run:
    command = [wrk, f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "30s", "-s", str(script), url]
    result = subprocess.run(command, capture_output=True, text=True, timeout=duration + 120, stdin=subprocess.DEVNULL)
    line = next((l for l in result.stdout.splitlines() if l.startswith("BENCHJSON ")), None)
    if result.returncode != 0 or line is None:
        raise SystemExit(f"bench: wrk failed ({result.returncode}): {' '.join(command)}\n{result.stdout}\n{result.stderr}")
    figures = json.loads(line[len("BENCHJSON ") :])
    seconds = figures["duration_us"] / 1e6
    errors = sum(figures[k] for k in ("connect", "read", "write", "status", "timeout"))
    return Run(figures["requests"], figures["requests"] / seconds, figures["p50_us"] / 1000, figures["p99_us"] / 1000,
               errors, duration)


def settle(base: str, timeout: float = 180) -> None:
    """Wait until the project has worked off what wrk left in flight (wrk stops sending, but
    the server finishes the requests it has): /healthz answering quickly twice in a row."""
    deadline = time.monotonic() + timeout
    quiet = 0
    with httpx.Client(base_url=base, timeout=timeout) as client:  # one client: no set-up in the timing
        while time.monotonic() < deadline and quiet < 2:
            started = time.perf_counter()
            with contextlib.suppress(httpx.HTTPError):
                client.get("/healthz")
            quiet = quiet + 1 if time.perf_counter() - started < 0.05 else 0
            time.sleep(0.02)


# --------------------------------------------------------------------------- data


def demo_digest() -> str:
    import transparency_portal.workflows.demo_data as demo_data

    return hashlib.sha256(Path(demo_data.__file__).read_bytes()).hexdigest()[:10]


def demo_sqlite(size: int, opts: argparse.Namespace) -> Path:
    """The cached demo database of `size` factories, built when missing or stale."""
    cache: Path = opts.cache_dir
    cache.mkdir(parents=True, exist_ok=True)
    key = f"demo-{opts.seed}-{size}-{opts.as_of.isoformat()}-{demo_digest()}"
    path = cache / f"{key}.db"
    if path.exists() and not opts.fresh:
        say(f"reusing cached demo data: {path}")
        return path
    building = cache / f"{key}.building.db"
    for leftover in cache.glob(f"{key}.building.db*"):
        leftover.unlink()
    say(f"generating demo data: {size} factories (seed {opts.seed}, as of {opts.as_of}) into {path}")
    started = time.monotonic()
    env = portal_env(f"sqlite+aiosqlite:///{building}", cache / "attachments-unused")
    run_portal(
        ["demo", "--factories", str(size), "--seed", str(opts.seed), "--as-of", opts.as_of.isoformat()],
        env, cache / "demo.log",
    )
    with contextlib.closing(sqlite3.connect(building)) as connection:  # fold the WAL into the file
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    os.replace(building, path)
    for stale in cache.glob(f"demo-{opts.seed}-{size}-*.db"):
        if stale != path:
            stale.unlink()
    say(f"demo data ready in {time.monotonic() - started:.0f} s")
    return path


def load_postgres_server_module():
    spec = importlib.util.spec_from_file_location("bench_postgres_server", ROOT / "tests" / "support" / "postgres_server.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


async def _reset_postgres(url: str) -> None:
    from sqlalchemy import text

    from transparency_portal.storage.db import make_engine

    engine = make_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


def demo_postgres(url: str, size: int, opts: argparse.Namespace, workdir: Path) -> None:
    say(f"loading demo data into PostgreSQL: {size} factories")
    asyncio.run(_reset_postgres(url))
    env = portal_env(url, workdir / "attachments-unused")
    run_portal(
        ["demo", "--factories", str(size), "--seed", str(opts.seed), "--as-of", opts.as_of.isoformat()],
        env, workdir / "demo.log",
    )


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


# --------------------------------------------------------------------------- one data set


@dataclass
class Figures:
    project: list[Run] = field(default_factory=list)
    ceiling: list[Run] = field(default_factory=list)
    statements: tuple[int, int] | None = None  # first request, same request again


@dataclass
class Target:
    label: str  # e.g. "sqlite 1,700"
    backend: str
    size: int
    workers: int = 1  # `portal serve --workers`; the ceiling runs as many
    cases: dict[str, Figures] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    rss_warm_kb: int | None = None
    rss_peak_kb: int | None = None
    warmup_seconds: float | None = None  # the first walk of the whole list (every factory rendered)
    public_factories: int | None = None


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


def walk_cursors(client: httpx.Client) -> tuple[list[str], list[dict]]:
    cursors, nodes, after = [], [], None
    while True:
        data = check_graphql(client.post("/graphql", content=graphql_body(CURSORS, {"after": after}),
                                         headers={"content-type": "application/json"}), "walking the list")
        page = data["factories"]
        cursors += [edge["cursor"] for edge in page["edges"]]
        nodes += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return cursors, nodes
        after = page["pageInfo"]["endCursor"]


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
        (folder / name).write_bytes(response.content)
        return {"status": response.status_code, "content_type": response.headers["content-type"], "body_file": name}

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


def run_seconds(alone: float, base: int, opts) -> int:
    """wrk counts only the requests that finish within its run. One worker interleaves the
    requests of all connections, so with c connections a request takes about c times as long
    as alone: a run is stretched to let each connection finish about three requests, up to
    --max-duration, and never shorter than the asked duration."""
    needed = int(3 * opts.connections * alone) + 1
    return max(base, min(needed, opts.max_duration))


async def count_statements(env: dict[str, str], cases: list[Case], cursors: list[str]) -> dict[str, tuple[int, int]]:
    """SQL statements per request of each case, in process: the first request (nothing cached
    in this process) and the same request again (for the random case: another random page)."""
    from sqlalchemy import event

    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        from transparency_portal.config import Settings
        from transparency_portal.schema.http.app import create_app

        app = create_app(Settings.from_env())
    finally:
        os.environ.clear()
        os.environ.update(saved)
    statements: list[str] = []

    def collect(_conn, _cursor, statement, *_args):
        if not statement.lstrip().upper().startswith("BEGIN"):
            statements.append(statement)

    counts = {}
    engines = app.state.hot_reads.sync_engines()
    try:
        async with like_wrk(httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench", timeout=120)) as client:
            for case in cases:
                def body() -> bytes:
                    return case.body if case.body is not None else random_page_body(random.randint(51, 100), random.choice(cursors))

                seen = []
                for content in (body(), body()):
                    statements.clear()
                    for engine in engines:
                        event.listen(engine, "before_cursor_execute", collect)
                    try:
                        response = await client.post("/graphql", content=content, headers=case.request_headers())
                    finally:
                        for engine in engines:
                            event.remove(engine, "before_cursor_execute", collect)
                    check_graphql(response, case.key)
                    seen.append(len(statements))
                counts[case.key] = (seen[0], seen[1])
    finally:
        app.state.hot_reads.close()
        await app.state.engine.dispose()
    return counts


def bench_target(target: Target, database_url: str, opts, wrk: str, workdir: Path) -> None:
    folder = workdir / f"{target.backend}-{target.size}-{target.workers}"
    folder.mkdir(parents=True, exist_ok=True)
    env = portal_env(database_url, folder / "attachments")
    log = folder / "server.log"
    port = free_port()
    say(f"[{target.label}] starting the project: portal serve on 127.0.0.1:{port} (log: {log})")
    workers = ["--workers", str(target.workers)] if target.workers > 1 else []
    server = _spawn([*PORTAL, "serve", "--host", "127.0.0.1", "--port", str(port), "--no-access-log", *workers], env=env, log=log)
    ceiling = None
    try:
        base = f"http://127.0.0.1:{port}"
        wait_ready(server, base + "/healthz", log, "portal serve")
        with like_wrk(httpx.Client(base_url=base, timeout=300)) as client:
            cursors, nodes = walk_cursors(client)
            target.public_factories = len(cursors)
            if not cursors:
                raise SystemExit(f"bench: [{target.label}] the demo data has no public factory")
            say(f"[{target.label}] {len(cursors)} public factories; cursors collected")
            cases = build_cases(client, env, folder, opts, nodes)
            recordings, alone = record(client, cases, cursors, folder / "recordings", opts.random_sizes)
            say(f"[{target.label}] responses recorded for the ceiling; one request alone: "
                + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in alone.items()))
            # Warm-up: the whole list once with the measured selection, as a server that has served
            # its list has rendered it (the runs measure that server, as the ceiling is measured
            # warm); how long the first walk takes is said here, the memory it costs is in the RSS.
            started = time.perf_counter()
            after, pages = None, 0
            while True:
                page = check_graphql(client.post("/graphql", content=graphql_body(LIST, {"first": 100, "after": after}),
                                                 headers={"Content-Type": "application/json"}), "warm-up")["factories"]
                pages += 1
                if not page["pageInfo"]["hasNextPage"] or (opts.quick and pages >= opts.warmup):
                    break
                after = page["pageInfo"]["endCursor"]
            target.warmup_seconds = time.perf_counter() - started
            say(f"[{target.label}] warm-up: {pages} list pages of 100 in {target.warmup_seconds:.1f} s (every factory rendered once)")
        target.rss_warm_kb = memory_kb(server.pid)["VmRSS"]
        say(f"[{target.label}] server RSS after warm-up: {target.rss_warm_kb / 1024:.0f} MB")

        ceiling_port = free_port()
        ceiling_log = folder / "ceiling.log"
        ceiling = _spawn([*CEILING, "--recordings", str(recordings), "--port", str(ceiling_port), "--workers", str(target.workers)],
                         env=env, log=ceiling_log)
        wait_ready(ceiling, f"http://127.0.0.1:{ceiling_port}/", ceiling_log, "the ceiling")

        scripts = {case.key: write_lua(case, folder, cursors) for case in cases}
        urls = {"project": base + "/graphql", "ceiling": f"http://127.0.0.1:{ceiling_port}/graphql"}
        for case in cases:
            target.cases[case.key] = Figures()
            target.labels[case.key] = case.label
        for repeat in range(opts.repeats):
            order = ("project", "ceiling") if repeat % 2 == 0 else ("ceiling", "project")
            for case in cases:
                base_seconds = case.duration or opts.duration
                for side in order:
                    # Only the project's runs are stretched: the ceiling finishes thousands in any run.
                    duration = run_seconds(alone[case.key], base_seconds, opts) if side == "project" else base_seconds
                    run = run_wrk(wrk, urls[side], scripts[case.key], duration, opts.threads, opts.connections)
                    if side == "project":
                        settle(base)
                    getattr(target.cases[case.key], side).append(run)
                    say(f"[{target.label}] repeat {repeat + 1}/{opts.repeats} {case.key:<7} {side:<8} {duration:3d} s "
                        f"{run.requests:7d} requests {run.rps:9.1f} req/s  p50 {run.p50_ms:8.2f} ms  p99 {run.p99_ms:8.2f} ms  errors {run.errors}")
        target.rss_peak_kb = memory_kb(server.pid)["VmHWM"]
    finally:
        if ceiling is not None:
            _stop(ceiling)
        _stop(server)
    counts = asyncio.run(count_statements(env, cases, cursors))
    for key, count in counts.items():
        target.cases[key].statements = count
    say(f"[{target.label}] SQL statements per request: {counts}")


# --------------------------------------------------------------------------- import


async def measure_import(size: int, opts, workdir: Path) -> dict:
    from transparency_portal.storage.db import make_engine, make_sessions
    from transparency_portal.storage.migrate import upgrade
    from transparency_portal.workflows.demo_data import generate_demo
    from transparency_portal.workflows.import_document import import_document

    database = workdir / "import.db"
    engine = make_engine(f"sqlite+aiosqlite:///{database}")
    try:
        await upgrade(engine)
        sessions = make_sessions(engine)
        exports = generate_demo(factories=size, seed=opts.seed, as_of=opts.as_of)
        findings = sum(len(a.get("findings") or []) for e in exports for a in e.document.get("assessments") or [])
        say(f"import: {len(exports)} documents, {findings:,} findings; importing into a fresh SQLite")
        started = time.perf_counter()
        for number, export in enumerate(exports, start=1):
            await import_document(
                sessions, export.document, source=f"bench:{number}", actor="bench", correction_reason=export.correction_reason
            )
        seconds = time.perf_counter() - started
    finally:
        await engine.dispose()
    return {"size": size, "findings": findings, "seconds": seconds, "rate": findings / seconds}


# --------------------------------------------------------------------------- report


def fmt_size(n: int) -> str:
    return f"{n:,}"


def table(rows: list[list[str]], header: str) -> str:
    head = [h.strip() for h in header.strip("|").split("|")]
    widths = [max(len(head[i]), *(len(r[i]) for r in rows)) if rows else len(head[i]) for i in range(len(head))]

    def line(cells: list[str], numeric: bool) -> str:
        out = []
        for i, cell in enumerate(cells):
            out.append(cell.rjust(widths[i]) if numeric and i >= 2 else cell.ljust(widths[i]))
        return "| " + " | ".join(out) + " |"

    rule = "|" + "|".join("-" * (w + 2) if i < 2 else "-" * (w + 1) + ":" for i, w in enumerate(widths)) + "|"
    return "\n".join([header, rule, *(line(r, True) for r in rows)])


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def report(targets: list[Target], imported: dict | None, opts, elapsed: float) -> tuple[str, bool]:
    rows = []
    ratios: dict[tuple[str, str], float] = {}
    for target in targets:
        for key, figures in target.cases.items():
            project_rps = median([r.rps for r in figures.project])
            ceiling_rps = median([r.rps for r in figures.ceiling])
            ratio = project_rps / ceiling_rps if ceiling_rps else float("nan")
            ratios[(target.label, key)] = ratio
            errors = sum(r.errors for r in figures.project)
            ceiling_errors = sum(r.errors for r in figures.ceiling)
            served = any(r.requests for r in figures.project)
            rows.append([
                target.label,
                target.labels[key],
                str(figures.project[0].seconds) if figures.project else "-",
                f"{project_rps:,.1f}",
                f"{median([r.p50_ms for r in figures.project]):,.2f}" if served else "-",
                f"{median([r.p99_ms for r in figures.project]):,.2f}" if served else "-",
                f"{ceiling_rps:,.1f}",
                f"{median([r.p50_ms for r in figures.ceiling]):,.2f}",
                f"{ratio:.3f}",
                "-" if figures.statements is None else "%d / %d" % figures.statements,
                str(errors) if not ceiling_errors else f"{errors} (ceiling {ceiling_errors})",
            ])
    lines = [
        "",
        f"## Benchmark (issue 7): {platform.node()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
        f"wrk -t{opts.threads} -c{opts.connections}, runs of {opts.duration} s (upload {min(opts.upload_duration, opts.duration)} s) "
        f"the project's stretched for slow cases up to {opts.max_duration} s (s/run), {opts.repeats} repeat(s), medians; "
        "ceiling: a bare ASGI app answering with the recorded bytes",
        "",
        table(rows, TABLE_HEADER),
        "",
    ]
    memory_rows = []
    for target in targets:
        if target.rss_warm_kb is not None:
            memory_rows.append([
                target.label, f"{target.public_factories:,}", f"{target.warmup_seconds or 0:.1f}",
                f"{target.rss_warm_kb / 1024:,.0f}", f"{(target.rss_peak_kb or 0) / 1024:,.0f}",
            ])
    lines += [table(memory_rows, "| data | public factories | warm-up s | RSS after warm-up MB | peak RSS under load MB |"), ""]
    if imported:
        lines += [
            f"Import into a fresh SQLite ({fmt_size(imported['size'])}-factory demo documents): "
            f"{imported['findings']:,} findings in {imported['seconds']:.1f} s = {imported['rate']:,.0f} findings/s",
            "",
        ]

    checks = []

    def check(label: str, measured: str, met: bool | None) -> None:
        checks.append([label, measured, "not measured" if met is None else ("met" if met else "not met")])

    for target in targets:
        for key, goal in (("list", 0.8), ("random", 0.3)):
            if (target.label, key) in ratios:
                ratio = ratios[(target.label, key)]
                what = "list page, repeated" if key == "list" else "list pages, every request different"
                check(f"{what}: >= {goal} of the ceiling ({target.label})", f"{ratio:.3f}", ratio >= goal)
    if imported:
        check("import: >= 100,000 findings/s into SQLite", f"{imported['rate']:,.0f}/s", imported["rate"] >= 100_000)
    else:
        check("import: >= 100,000 findings/s into SQLite", "-", None)
    big = [t for t in targets if t.size >= 20_000 and t.rss_warm_kb is not None]
    if big:
        for t in big:
            mb = t.rss_warm_kb / 1024
            check(f"memory: 20,000 factories served in < 300 MB RSS ({t.label}; peak under load "
                  f"{(t.rss_peak_kb or 0) / 1024:,.0f} MB)", f"{mb:,.0f} MB", mb < 300)
    else:
        check("memory: 20,000 factories served in < 300 MB RSS", "no 20,000-factory run", None)
    lines += [table(checks, "| target | measured | |"), "", f"Took {elapsed / 60:.1f} min."]
    any_errors = any(r.errors for t in targets for f in t.cases.values() for r in f.project + f.ceiling)
    if any_errors:
        lines.append("Warning: some requests failed (non-2xx, timeouts or socket errors): see the errors column.")
    idle = [f"{t.label} {t.labels[k]}" for t in targets for k, f in t.cases.items() if not any(r.requests for r in f.project)]
    if idle:
        lines.append("Warning: no request finished within the run for: " + "; ".join(idle)
                     + " (raise --max-duration or lower --connections).")
    return "\n".join(lines), any_errors


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="The benchmark of issue 7 (see the module docstring).")
    parser.add_argument("--quick", action="store_true", help="smoke run: 200 factories, 1 s runs, 1 repeat, no 20,000")
    parser.add_argument("--sizes", help="comma-separated factory counts (default 1700,20000; quick: 200)")
    parser.add_argument("--duration", help="seconds per wrk run (default 5; quick: 1); '5s' works too")
    parser.add_argument("--max-duration", type=int, help="longest a slow case's run is stretched to (default 60; quick: 2)")
    parser.add_argument("--upload-duration", type=int, default=2, help="seconds per submitResponse run (default 2)")
    parser.add_argument("--repeats", type=int, help="project/ceiling pairs per case (default 3; quick: 1)")
    parser.add_argument("--threads", type=int, help="wrk -t (default 2; quick: 1)")
    parser.add_argument("--connections", type=int, help="wrk -c (default 16; quick: 2)")
    parser.add_argument("--postgres", action=argparse.BooleanOptionalAction, default=None,
                        help="also on a throwaway PostgreSQL server (default: yes, but not with --quick)")
    parser.add_argument("--postgres-sizes", help="comma-separated factory counts on PostgreSQL (default 1700)")
    parser.add_argument("--workers", default="1,2", help="on PostgreSQL, `portal serve --workers` for each row (default 1,2)")
    parser.add_argument("--no-sqlite", action="store_true", help="with --postgres: PostgreSQL only")
    parser.add_argument("--no-import", action="store_true", help="skip the import measurement")
    parser.add_argument("--import-size", type=int, help="factories of the import measurement (default: the largest size)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--as-of", type=date.fromisoformat, default=None, help="the demo's 'today' (default: today)")
    parser.add_argument("--cache-dir", type=Path, default=BENCH / ".cache", help="demo databases (default bench/.cache)")
    parser.add_argument("--fresh", action="store_true", help="rebuild the cached demo databases")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs, recordings, Lua scripts)")
    opts = parser.parse_args(argv)
    quick = opts.quick
    opts.sizes = [int(s.replace("_", "")) for s in opts.sizes.split(",")] if opts.sizes else ([200] if quick else [1700, 20000])
    opts.postgres = (not quick) if opts.postgres is None else opts.postgres
    opts.postgres_sizes = [int(s.replace("_", "")) for s in opts.postgres_sizes.split(",")] if opts.postgres_sizes else [1700]
    opts.workers = [int(w) for w in opts.workers.split(",")]
    raw = opts.duration or ("1" if quick else "5")
    match = re.fullmatch(r"(\d+)\s*s?", raw.strip())
    if not match or int(match.group(1)) < 1:
        parser.error(f"--duration: whole seconds, e.g. 5 or 5s, not {raw!r}")
    opts.duration = int(match.group(1))
    if quick:
        opts.upload_duration = min(opts.upload_duration, 1)
    opts.threads = opts.threads or (1 if quick else 2)
    opts.connections = max(opts.connections or (2 if quick else 16), opts.threads)
    opts.max_duration = max(opts.max_duration or (2 if quick else 60), opts.duration)
    opts.repeats = opts.repeats or (1 if quick else 3)
    # The random-page case's recordings for the ceiling: every size 51-100; a few in quick runs.
    opts.random_sizes = [51, 63, 75, 88, 100] if quick else list(range(51, 101))
    opts.warmup = 2  # pages of the warm-up in a quick run (else the whole list)
    opts.as_of = opts.as_of or date.today()
    opts.cache_dir = opts.cache_dir.resolve()
    return opts


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    wrk = ensure_wrk()
    say(f"wrk: {wrk}; sizes {opts.sizes}; {opts.repeats} repeat(s) of {opts.duration} s; "
        f"-t{opts.threads} -c{opts.connections}")
    workdir = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    targets: list[Target] = []
    imported = None
    try:
        if not opts.no_sqlite:
            for size in opts.sizes:
                cached = demo_sqlite(size, opts)
                copy = workdir / f"sqlite-{size}.db"
                shutil.copyfile(cached, copy)
                target = Target(f"sqlite {fmt_size(size)}", "sqlite", size)
                bench_target(target, f"sqlite+aiosqlite:///{copy}", opts, wrk, workdir)
                targets.append(target)
                copy.unlink()
        if opts.postgres:
            postgres_server = load_postgres_server_module()
            with postgres_server.running_postgres() as url:
                for size in opts.postgres_sizes:
                    demo_postgres(url, size, opts, workdir)
                    for workers in opts.workers:
                        label = f"postgresql {fmt_size(size)}" + (f", {workers} workers" if workers > 1 else "")
                        target = Target(label, "postgresql", size, workers)
                        bench_target(target, url, opts, wrk, workdir)
                        targets.append(target)
        if not opts.no_import:
            imported = asyncio.run(measure_import(opts.import_size or max(opts.sizes), opts, workdir))
    finally:
        stop_all_children()
        if opts.keep:
            say(f"work folder kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    text, _ = report(targets, imported, opts, time.monotonic() - STARTED)
    print(text, flush=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        stop_all_children()
        sys.exit(130)
