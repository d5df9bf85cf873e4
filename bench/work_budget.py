#!/usr/bin/env python3
"""Issue 10, item 3: what the work budget lets one query do, and whether /healthz keeps answering.

    .venv/bin/python bench/work_budget.py                  # the 1,700-factory demo
    .venv/bin/python bench/work_budget.py --factories 20000

A measurement, not a test: it prints figures and asserts nothing. The demo database comes from
bench/run.py's cache (`bench/.cache/`, built with `portal demo` when missing), copied for the run;
the server is `portal serve --no-access-log` with `PORTAL_RATE_LIMIT=0`, one worker, on loopback.

For each query it sends the query once from one client and, while that request runs, asks
`/healthz` (one request after the other) and a small factory page (the same way, from another
connection), and prints the query's time and answer beside the latencies of the others: how
many answered during it, their median and their worst.

The queries: the two attacks of issue 10 (30 aliased searches over every issue, 30 aliased
country reports), which the budget refuses before they run, and the most expensive queries it
allows (each at or just under `PORTAL_MAX_QUERY_COST`, 1,000 requests): twenty country reports,
per-issue counts of every issue twice, per-issue counts of one country's issues under a search,
and thirty aliased name searches with counts on the factory list.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import string
import tempfile
import time
from datetime import date
from pathlib import Path

import httpx

# bench/'s own modules (a script's folder comes first on its path).
from demo import DEFAULT_SEED, demo_sqlite
from processes import BENCH, PORTAL, free_port, portal_env, spawn, stop_all_children, wait_ready


def word(rng: random.Random) -> str:
    return "".join(rng.choices(string.ascii_lowercase, k=6))


def aliases(count: int, field) -> str:
    """`count` aliases of `field()`, each built anew (each search its own word)."""
    return "{ " + " ".join(f"a{n}: {field()}" for n in range(count)) + " }"


def cases(rng: random.Random) -> list[tuple[str, str]]:
    def search() -> str:
        return f'filter: {{search: "{word(rng)}"}}'

    report = 'countryReport(country: "KH") { asOf green { period share } issues { periods { share } } }'
    return [
        (
            "attack: 30 x issues { nonCompliantFactories(search) { totalCount } }",
            aliases(30, lambda: f"issues {{ nonCompliantFactories(first: 1, {search()}) {{ totalCount }} }}"),
        ),
        ("attack: 30 x countryReport", aliases(30, lambda: 'countryReport(country: "KH") { asOf }')),
        ("allowed: 20 x countryReport (cost 1,000)", aliases(20, lambda: report)),
        (
            "allowed: 2 x issues { nonCompliantFactories { totalCount } } (cost 1,000)",
            aliases(2, lambda: "issues { nonCompliantFactories(first: 1) { totalCount edges { node { name } } } }"),
        ),
        (
            'allowed: issues(country: "KH") { nonCompliantFactories(search) { totalCount } } (cost 800)',
            f'{{ issues(country: "KH") {{ nonCompliantFactories(first: 1, {search()}) {{ totalCount }} }} }}',
        ),
        (
            "allowed: 30 x factories(search) { totalCount } (cost 600)",
            aliases(30, lambda: f"factories(first: 1, {search()}) {{ totalCount }}"),
        ),
    ]


PAGE = {"query": "query($n: Int) { factories(first: $n) { edges { node { id name } } } }", "variables": {"n": 5}}


async def poll(client: httpx.AsyncClient, method: str, path: str, body, running: asyncio.Task) -> list[float]:
    latencies = []
    while not running.done():
        started = time.perf_counter()
        response = await (client.post(path, json=body) if method == "POST" else client.get(path))
        response.raise_for_status()
        latencies.append(time.perf_counter() - started)
    return latencies


def figures(latencies: list[float]) -> str:
    if not latencies:
        return "none answered during it"
    return (
        f"{len(latencies)} answered during it, median {statistics.median(latencies) * 1000:.1f} ms, "
        f"worst {max(latencies) * 1000:.1f} ms"
    )


async def measure(base: str, name: str, query: str) -> None:
    limits = httpx.Limits(max_connections=1)
    async with (
        httpx.AsyncClient(base_url=base, timeout=120) as heavy,
        httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as health,
        httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as other,
    ):
        await health.get("/healthz")
        await other.post("/graphql", json=PAGE)

        async def send():
            started = time.perf_counter()
            response = await heavy.post("/graphql", json={"query": query})
            return time.perf_counter() - started, response

        running = asyncio.create_task(send())
        healthz, pages = await asyncio.gather(
            poll(health, "GET", "/healthz", None, running), poll(other, "POST", "/graphql", PAGE, running)
        )
        took, response = await running
        errors = response.json().get("errors")
        answer = "data" if not errors else f"{errors[0]['extensions']}"
        print(f"- {name}\n    {took * 1000:,.0f} ms, HTTP {response.status_code}, {answer[:160]}")
        print(f"    /healthz: {figures(healthz)}")
        print(f"    a page of 5 factories: {figures(pages)}")


async def main_async(base: str, seed: int) -> None:
    rng = random.Random(seed)
    for name, query in cases(rng):
        await measure(base, name, query)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--factories", type=int, default=1700)
    parser.add_argument("--seed", type=int, default=None, help="the demo's seed (default: bench/run.py's)")
    parser.add_argument("--as-of", type=date.fromisoformat, default=date.today())
    parser.add_argument("--cache-dir", type=Path, default=BENCH / ".cache")
    parser.add_argument("--fresh", action="store_true", help="rebuild the cached demo database")
    opts = parser.parse_args()
    opts.seed = opts.seed if opts.seed is not None else DEFAULT_SEED
    opts.cache_dir = opts.cache_dir.resolve()
    cached = demo_sqlite(opts.factories, opts)

    with tempfile.TemporaryDirectory(prefix="work-budget-") as folder:
        database = Path(folder) / "portal.db"
        shutil.copy(cached, database)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = portal_env(f"sqlite+aiosqlite:///{database}", Path(folder) / "attachments")
        log = Path(folder) / "server.log"
        server = spawn([*PORTAL, "serve", "--port", str(port), "--no-access-log"], env=env, log=log)
        try:
            wait_ready(server, f"{base}/healthz", log, "portal serve")
            print(f"work budget on the {opts.factories:,}-factory demo (SQLite, one uvicorn worker, os.cpu_count() = {os.cpu_count()})")
            asyncio.run(main_async(base, opts.seed))
        finally:
            stop_all_children()


if __name__ == "__main__":
    main()
