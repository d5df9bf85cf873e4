#!/usr/bin/env python3
"""What the list's fast path costs when its node renderings are not kept: the warm-up after a
start or a change of data, where every page meets factories for the first time.

    .venv/bin/python bench/render_miss.py DEMO.db [--pages 40] [--first 100]

The app runs in process (httpx's ASGI transport, no network, no golden mode) on a copy of a demo
database (`portal demo --factories N`, or one of bench/.cache/). The list's pages of `first`
factories, each after another real cursor (so the whole-answer cache never answers), are asked
three ways: with no rendering kept (`PORTAL_RENDER_CACHE_MB=0`: every node rendered), with the
renderings kept on the first pass over the pages (each factory rendered once), and on a second
pass (every node a kept one: a byte join). Prints milliseconds a page and a factory; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from transparency_portal.config import Settings
from transparency_portal.schema.http.app import create_app

SELECTION = (
    "totalCount edges { cursor node { id name factoryType country { code name } complianceStatus nonComplianceCount "
    "refusals { highlighted unexcused } latestAssessment { id date modality cycle comprehensive "
    "findings { id status issue { code title cluster } correction { reason correctedOn previousStatus } } } } } "
    "pageInfo { hasNextPage endCursor }"
)  # bench/run.py's list page
LIST = "query Page($first: Int!, $after: String) { factories(first: $first, after: $after) { " + SELECTION + " } }"
CURSORS = "query Cursors($after: String) { factories(first: 100, after: $after) { edges { cursor } pageInfo { hasNextPage endCursor } } }"


async def post(client: httpx.AsyncClient, query: str, variables: dict) -> dict:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, response.text[:500]
    return body["data"]


async def cursors(client: httpx.AsyncClient, first: int) -> list[str]:
    found, after = [], None
    while True:
        page = (await post(client, CURSORS, {"after": after}))["factories"]
        found += [edge["cursor"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return found[first - 1 :: first]  # pages that do not overlap
        after = page["pageInfo"]["endCursor"]


async def timed_pages(client: httpx.AsyncClient, afters: list[str], first: int) -> list[float]:
    times = []
    for after in afters:
        started = time.perf_counter()
        await post(client, LIST, {"first": first, "after": after})
        times.append(time.perf_counter() - started)
    return times


async def measure(database: Path, render_cache_mb: int, pages: int, first: int) -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "portal.db"
        shutil.copy(database, copy)
        settings = Settings(
            database_url=f"sqlite+aiosqlite:///{copy}", storage_dir=Path(folder) / "attachments", rate_limit=0, rate_limit_points=0,
            render_cache_mb=render_cache_mb,
        )
        app = create_app(settings)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench", timeout=600) as client:
            afters = (await cursors(client, first))[:pages]
            await post(client, LIST, {"first": first, "after": None})  # strawberry answers a document first
            first_pass = await timed_pages(client, afters, first)
            # The same pages again, each asked a little differently (the whole-answer cache keys
            # on the request's bytes): only the kept renderings differ from the first pass.
            second_pass = await timed_pages(client, afters, first - 1)
        await app.state.engine.dispose()
        app.state.hot_reads.close()
    return {"first pass": first_pass, "second pass": second_pass}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", type=Path, help="a demo SQLite database")
    parser.add_argument("--pages", type=int, default=40)
    parser.add_argument("--first", type=int, default=100)
    opts = parser.parse_args()
    print("| renderings kept | pass | pages | ms a page (median) | ms a factory |")
    print("|---|---|---:|---:|---:|")
    for cache_mb, label in ((0, "none (every node rendered)"), (128, "yes")):
        for name, times in asyncio.run(measure(opts.database, cache_mb, opts.pages, opts.first)).items():
            median = statistics.median(times) * 1000
            print(f"| {label} | {name} | {len(times)} | {median:.1f} | {median / opts.first:.3f} |")


if __name__ == "__main__":
    main()
