"""The benchmark's demo databases (see run.py's docstring, step 1): SQLite files built by
`portal demo` and cached under the cache folder, and the demo loaded into PostgreSQL."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import os
import sqlite3
import time
from pathlib import Path

from processes import portal_env, run_portal, say

# The demo every bench script measures, unless told otherwise (`--seed`).
DEFAULT_SEED = 20261125


def demo_digest() -> str:
    import transparency_portal.workflows.demo_data as demo_data

    digest = hashlib.sha256()
    # A change to any module of the generator makes a new key; sorted, so the key is stable.
    for path in sorted(Path(demo_data.__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:10]


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
