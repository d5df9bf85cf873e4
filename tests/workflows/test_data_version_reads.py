"""The data version on the path of every public request (storage/hot_reads.py): read once for the
requests queued together, and never from before a request arrived, so a cached answer is never
older than the commits its client could know of."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from sqlalchemy import event

from transparency_portal.config import sqlite_path
from transparency_portal.storage.db import make_sessions, write_transaction
from transparency_portal.storage.hot_reads import HotReads
from transparency_portal.storage.projection import bump_data_version


async def bump(engine) -> None:
    async with write_transaction(make_sessions(engine)) as session:
        await bump_data_version(session)


def bump_at_once(path) -> None:
    """A commit by another connection that does not let the event loop run (another process's, as
    the loop sees it)."""
    with sqlite3.connect(path) as connection:
        connection.execute(
            "INSERT INTO data_version (id, version, changed_at) VALUES (1, 1, CURRENT_TIMESTAMP) "
            "ON CONFLICT (id) DO UPDATE SET version = version + 1"
        )
    connection.close()


@pytest.fixture
async def hot(engine, database_url):
    reads = HotReads(engine, sqlite_path(database_url))
    yield reads
    reads.close()


async def test_each_commit_is_seen_by_the_next_request(hot, engine):
    await bump(engine)
    first = await hot.data_version()
    await bump(engine)
    assert await hot.data_version() == first + 1
    assert await asyncio.create_task(hot.data_version()) == first + 1


async def test_requests_queued_together_share_a_read_and_later_ones_read_again(hot, database_url):
    path = sqlite_path(database_url)
    if path is None:
        pytest.skip("a commit that does not let the loop run needs SQLite's own driver")
    bump_at_once(path)

    async def first_then_commit() -> int:
        version = await hot.data_version()
        bump_at_once(path)  # after the read, before the loop runs again
        return version

    # Both tasks are queued before either runs: the second's request came before the commit.
    read, shared = await asyncio.gather(asyncio.create_task(first_then_commit()), asyncio.create_task(hot.data_version()))
    assert shared == read
    # Queued after the commit: it reads again.
    assert await asyncio.create_task(hot.data_version()) == read + 1


async def test_the_reader_itself_reads_again_after_a_commit(hot, database_url):
    """An in-process client sends its next request from the same task without the loop running
    in between: after a commit it must see the new version, not its own last read."""
    path = sqlite_path(database_url)
    if path is None:
        pytest.skip("a commit that does not let the loop run needs SQLite's own driver")
    bump_at_once(path)
    before = await hot.data_version()
    bump_at_once(path)
    assert await hot.data_version() == before + 1


async def test_on_postgresql_requests_queued_together_share_one_round_trip(hot, engine, database_url):
    if sqlite_path(database_url) is not None:
        pytest.skip("SQLite reads on the loop's thread (the test above)")
    await bump(engine)
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        if "data_version" in statement:
            statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        versions = await asyncio.gather(*(asyncio.create_task(hot.data_version()) for _ in range(5)))
        assert len(set(versions)) == 1 and len(statements) == 1
        await bump(engine)
        statements.clear()
        assert await asyncio.create_task(hot.data_version()) == versions[0] + 1
        assert len(statements) == 1
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)
