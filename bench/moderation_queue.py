"""Issue 14: a moderation queue page of 20, with flags, attachments and history, at scale.

    /work/devenv/bin/python bench/moderation_queue.py [--factories 20000] [--waiting 10000] [--repeats 200]

A measurement, not a test: it prints figures and asserts nothing. It builds a SQLite database
(migrated, then filled with plain INSERTs: `--factories` factories with one assessment each, a
moderator and a supplier, `--waiting` submitted responses spread over the factories, each with
its submission event, a claim and a note on every third, a screening flag on every fourth and an
attachment row on every fifth), serves the real app in process with uvicorn on loopback, and asks
the queue's first page (and a page further on, by cursor) `--repeats` times from one client, one
request after the other. It prints the median and the 90th percentile of each, and the SQL
statements one page runs (counted with a before_cursor_execute listener).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import uvicorn
from sqlalchemy import event, insert

from transparency_portal.config import Settings
from transparency_portal.domain.moderation import Role
from transparency_portal.schema.http.app import create_app
from transparency_portal.storage.db import make_engine, make_sessions
from transparency_portal.storage.migrate import upgrade
from transparency_portal.storage.tables.programme import CountryRow
from transparency_portal.storage.tables.record import AssessmentRow, FactoryRow
from transparency_portal.storage.tables.supplier_responses import (
    AttachmentRow,
    ResponseEventRow,
    ResponseFlagRow,
    ResponseRow,
)
from transparency_portal.workflows.users import add_user

QUEUE = """query Queue($first: Int, $after: String) { moderationQueue(first: $first, after: $after) { totalCount
  edges { cursor node { id state version text postedAt claim { mine until }
    flags { kind source start end match } attachments { url contentType size }
    history { kind from to actor { name role } at reason note } } }
  pageInfo { hasNextPage endCursor } } }"""
COUNTRIES = ["KH", "VN", "ID", "BD", "HT", "JO", "NI"]


def rows(table, items: list[dict]):
    return insert(table.__table__), items


async def build(url: str, factories: int, waiting: int) -> str:
    """The database, filled; returns a moderator's token."""
    engine = make_engine(url)
    await upgrade(engine)
    sessions = make_sessions(engine)
    now = datetime.now(UTC)
    async with engine.begin() as connection:
        await connection.execute(*rows(CountryRow, [{"code": c, "name": c, "languages": ["en"]} for c in COUNTRIES]))
        await connection.execute(*rows(FactoryRow, [
            {"pk": n, "source_id": f"F-{n}", "name": f"Factory {n}", "factory_type": "GARMENT",
             "country_code": COUNTRIES[n % len(COUNTRIES)]}
            for n in range(1, factories + 1)
        ]))  # fmt: skip
        await connection.execute(*rows(AssessmentRow, [
            {"pk": n, "source_id": f"F-{n}-A1", "factory_pk": n, "cycle_number": 1, "date": now.date(),
             "modality": "ONSITE", "status": "PUBLISHED"}
            for n in range(1, factories + 1)
        ]))  # fmt: skip
    moderator = await add_user(sessions, name="Bench Moderator", role=Role.MODERATOR)
    supplier = await add_user(sessions, name="Bench Supplier", role=Role.SUPPLIER, factory_source_id="F-1")
    responses, events, flags, attachments = [], [], [], []
    for n in range(1, waiting + 1):
        factory = (n * 7919) % factories + 1
        posted = now - timedelta(minutes=waiting - n + 1)
        responses.append({
            "pk": n, "public_id": f"{n:024x}", "factory_pk": factory, "assessment_pk": factory,
            "author_pk": supplier.user_pk, "text": f"Response {n}: the exit is unlocked.", "state": "SUBMITTED",
            "version": 1, "posted_at": posted, "severity": 3 if n % 4 == 0 else 0,
        })  # fmt: skip
        events.append({"response_pk": n, "kind": "SUBMIT", "to_state": "SUBMITTED", "actor_pk": supplier.user_pk,
                       "at": posted, "note": None})
        if n % 3 == 0:
            events.append({"response_pk": n, "kind": "NOTE", "to_state": None, "actor_pk": moderator.user_pk,
                           "at": posted + timedelta(seconds=5), "note": "Asked the union."})
        if n % 4 == 0:
            flags.append({"response_pk": n, "kind": "email", "source": "text", "start": 0, "end": 5, "match": "a@b.c"})
        if n % 5 == 0:
            attachments.append({"public_id": f"a{n:023x}", "response_pk": n, "position": 0, "sha256": "0" * 64,
                                "extension": ".jpg", "content_type": "image/jpeg", "size": 1000, "original_name": "x.jpg"})
    async with engine.begin() as connection:
        for table, items in ((ResponseRow, responses), (ResponseEventRow, events), (ResponseFlagRow, flags),
                             (AttachmentRow, attachments)):
            if items:
                await connection.execute(*rows(table, items))
    await engine.dispose()
    return moderator.token


async def measure(url: str, token: str, repeats: int, storage: Path) -> None:
    settings = Settings(database_url=url, storage_dir=storage, rate_limit=0, rate_limit_points=0)
    app = create_app(settings)
    statements: list[str] = []
    for engine in app.state.hot_reads.sync_engines():
        event.listen(engine, "before_cursor_execute", lambda c, cur, s, *a: statements.append(s))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    headers = {"authorization": f"Bearer {token}"}
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60, headers=headers) as client:

            async def page(after: str | None) -> dict:
                response = await client.post("/graphql", json={"query": QUEUE, "variables": {"first": 20, "after": after}})
                body = response.json()
                if body.get("errors"):
                    raise SystemExit(f"queue: {body['errors']}")
                return body["data"]["moderationQueue"]

            first = await page(None)
            later = first["pageInfo"]["endCursor"]
            for _ in range(10):  # a page some way into the queue
                later = (await page(later))["pageInfo"]["endCursor"]
            for name, after in (("first page", None), ("page 12", later)):
                statements.clear()
                await page(after)
                count = len([s for s in statements if not s.startswith("BEGIN")])
                times = []
                for _ in range(repeats):
                    started = time.perf_counter()
                    await page(after)
                    times.append((time.perf_counter() - started) * 1000)
                times.sort()
                print(f"{name:>10}: p50 {statistics.median(times):6.1f} ms  p90 {times[int(len(times) * 0.9)]:6.1f} ms  "
                      f"({repeats} requests, {count} SQL statements per page, total {first['totalCount']:,})")
    finally:
        server.should_exit = True
        await task


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factories", type=int, default=20_000)
    parser.add_argument("--waiting", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=200)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="queue-bench-") as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'portal.db'}"
        started = time.perf_counter()
        token = await build(url, opts.factories, opts.waiting)
        print(f"built {opts.factories:,} factories and {opts.waiting:,} waiting responses in "
              f"{time.perf_counter() - started:.1f} s (SQLite, {sys.version.split()[0]})")
        await measure(url, token, opts.repeats, Path(folder) / "attachments")


if __name__ == "__main__":
    asyncio.run(main())
