"""One data set of the benchmark (see run.py's docstring, steps 2-7): the project served on it,
the cases set up and recorded, the ceiling, the warm-up and the interleaved wrk runs."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from cases import build_cases, record, write_lua
from documents import CURSORS, LIST, check_graphql, graphql_body, like_wrk
from measuring import Figures, count_statements, memory_kb, run_seconds, run_wrk, settle
from processes import CEILING, PORTAL, spawn, stop, free_port, portal_env, say, wait_ready


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


def bench_target(target: Target, database_url: str, opts, wrk: str, workdir: Path) -> None:
    folder = workdir / f"{target.backend}-{target.size}-{target.workers}"
    folder.mkdir(parents=True, exist_ok=True)
    env = portal_env(database_url, folder / "attachments")
    log = folder / "server.log"
    port = free_port()
    say(f"[{target.label}] starting the project: portal serve on 127.0.0.1:{port} (log: {log})")
    workers = ["--workers", str(target.workers)] if target.workers > 1 else []
    server = spawn([*PORTAL, "serve", "--host", "127.0.0.1", "--port", str(port), "--no-access-log", *workers], env=env, log=log)
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
        ceiling = spawn([*CEILING, "--recordings", str(recordings), "--port", str(ceiling_port), "--workers", str(target.workers)],
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
            stop(ceiling)
        stop(server)
    counts = asyncio.run(count_statements(env, cases, cursors))
    for key, count in counts.items():
        target.cases[key].statements = count
    say(f"[{target.label}] SQL statements per request: {counts}")
