"""The benchmark's measurements (see run.py's docstring): wrk runs and their figures, how long a
run lasts, medians, the server's memory, SQL statements per request, and the import."""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from cases import Case
from documents import check_graphql, like_wrk, random_page_body
from processes import say


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


def run_seconds(alone: float, base: int, opts) -> int:
    """wrk counts only the requests that finish within its run. One worker interleaves the
    requests of all connections, so with c connections a request takes about c times as long
    as alone: a run is stretched to let each connection finish about three requests, up to
    --max-duration, and never shorter than the asked duration."""
    needed = int(3 * opts.connections * alone) + 1
    return max(base, min(needed, opts.max_duration))


@dataclass
class Figures:
    project: list[Run] = field(default_factory=list)
    ceiling: list[Run] = field(default_factory=list)
    statements: tuple[int, int] | None = None  # first request, same request again


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


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
