#!/usr/bin/env python3
"""What rendering one node of the public list costs: strawberry's execution against the node plan.

    /work/devenv/bin/python bench/render_nodes.py [--size 1700] [--batches 100,10] [--repeats 7]

The list's fast path renders the nodes a page misses (schema/fastpath/render.py) either by the
node selection's plan (node_plan.py: the schema's own resolvers, called without graphql-core)
or by strawberry executing the selection. This renders bench/run.py's list page selection for
a batch of factories both ways, in process, on a copy of the cached demo database
(bench/run.py's `demo_sqlite`, under bench/.cache/, built when missing), and prints milliseconds
per factory:

- cold: a selection neither has seen (a new alias each round): the plan is compiled, strawberry
  parses and validates, then one batch is rendered;
- warm: the same batch again, `--repeats` times (median), with everything compiled.

The two paths alternate in every round, so that a machine shared with other work slows both
alike: compare the figures of one run. The bytes of both must be the same (printed). Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import shutil
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

import httpx
from transparency_portal.config import Settings
from transparency_portal.resolvers import factories as factory_reads
from transparency_portal.resolvers.issues import catalogue
from transparency_portal.schema.build import schema
from transparency_portal.schema.fastpath.executor import CompiledExecutor
from transparency_portal.schema.fastpath.plan import compile_plan
from transparency_portal.schema.fastpath.render import render_nodes
from transparency_portal.schema.http.app import create_app, utc_now
from transparency_portal.schema.types.factory_list import list_arguments

# bench/'s own modules (a script's folder comes first on its path).
from demo import DEFAULT_SEED, demo_sqlite
from processes import BENCH
NODE = (
    "id name factoryType country { code name } complianceStatus nonComplianceCount "
    "refusals { highlighted unexcused } latestAssessment { id date modality cycle comprehensive "
    "findings { id status issue { code title cluster } correction { reason correctedOn previousStatus } } }"
)  # bench/run.py's list page (bench/render_miss.py: SELECTION)
ARGUMENTS = frozenset({"first", "after", "filter", "orderBy"})


def node_selection(extra: str = ""):
    """The node selection of a list query, as the fast path compiles it (with its plan)."""
    plan = compile_plan(schema, ARGUMENTS, f"{{ factories {{ nodes {{ {NODE} {extra} }} }} }}", None)
    return plan.roots[0][1].selection[0][2]


async def timed(selection, views, shared: dict) -> tuple[float, object]:
    started = time.perf_counter()
    rendered = await render_nodes(selection, views, now=utc_now(), **shared)
    return time.perf_counter() - started, rendered


async def measure(database: Path, batches: list[int], repeats: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "portal.db"
        shutil.copy(database, copy)
        settings = Settings(database_url=f"sqlite+aiosqlite:///{copy}", storage_dir=Path(folder) / "attachments", rate_limit=0, rate_limit_points=0)
        app = create_app(settings)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
            await client.post("/graphql", json={"query": "{ factories(first: 1) { totalCount } }"})  # builds the layers
        layer = app.middleware_stack
        while not isinstance(layer, CompiledExecutor):
            layer = layer.app
        hot, sessions = layer.hot, app.state.sessions
        today = utc_now().date()
        first, spec, order = list_arguments(max(batches), None, None)
        page = await factory_reads.key_page(hot, first, None, spec, order, today)
        views_by_pk = await factory_reads.factories_by_pk(hot, page.keys)
        views = list(views_by_pk.values())
        shared = {"sessions": sessions, "clock": utc_now, "language": "en", "catalogue": await catalogue(sessions)}
        print(f"demo: {database.name}; {len(views)} factories read; "
              f"{sum(len(v.latest.findings) for v in views) / len(views):.1f} findings a factory")
        print("| batch | path | cold ms/factory | warm ms/factory (median) | warm min | same bytes |")
        print("|---:|---|---:|---:|---:|---|")
        for batch in batches:
            await render_batch(views[:batch], repeats, shared)
        await app.state.engine.dispose()
        hot.close()


async def render_batch(views, repeats: int, shared: dict) -> None:
    cold = {"plan": [], "strawberry": []}
    warm = {"plan": [], "strawberry": []}
    same = True
    for round_ in range(repeats):
        started = time.perf_counter()
        fresh = node_selection(f"round{round_}x{len(views)}: name")  # new text: compiled, parsed, validated anew
        compiled = time.perf_counter() - started
        selections = {"plan": fresh, "strawberry": dataclasses.replace(fresh, plan=None)}
        order = ("plan", "strawberry") if round_ % 2 == 0 else ("strawberry", "plan")
        outputs = {}
        for path in order:
            seconds, rendered = await timed(selections[path], views, shared)
            assert rendered.by_plan == (path == "plan")
            cold[path].append(seconds + (compiled if path == "plan" else 0))
            seconds, outputs[path] = await timed(selections[path], views, shared)
            warm[path].append(seconds)
        same = same and outputs["plan"].nodes == outputs["strawberry"].nodes
    for path in ("strawberry", "plan"):
        per = lambda seconds: seconds * 1000 / len(views)
        print(f"| {len(views)} | {path} | {per(statistics.median(cold[path])):.3f} | "
              f"{per(statistics.median(warm[path])):.3f} | {per(min(warm[path])):.3f} | {'yes' if same else 'NO'} |")
    ratio = statistics.median(warm["strawberry"]) / statistics.median(warm["plan"])
    print(f"| {len(views)} | warm: strawberry / plan | | {ratio:.1f}x | | |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1700, help="factories of the demo data (default 1700)")
    parser.add_argument("--batches", default="100,10", help="factories rendered at once (default 100,10)")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--seed", type=int, default=None)
    opts = parser.parse_args()
    demo = argparse.Namespace(cache_dir=BENCH / ".cache", seed=opts.seed or DEFAULT_SEED, as_of=date.today(), fresh=False)
    database = demo_sqlite(opts.size, demo)
    asyncio.run(measure(database, [int(b) for b in opts.batches.split(",")], opts.repeats))


if __name__ == "__main__":
    main()
