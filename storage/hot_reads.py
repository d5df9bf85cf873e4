"""Reads on the path of every public request: the data version, and the compiled executor's pages.

On the embedded SQLite database these run synchronously on the event loop's thread, over one
read-only connection per process. Such a read takes microseconds, while an `AsyncSession` over
aiosqlite hands every statement to a worker thread and back, which cost about 0.2 ms per
request, more than the rest of a cached answer. A connection in autocommit mode starts a fresh
read transaction with each statement, so it sees every commit of any process (WAL lets readers
and the writer go on together). On PostgreSQL the statements run on the async engine as usual,
and so do statements that scan the table (`public_filter.SCANS`: a name search), which would hold
the loop, and every other request, for as long as they run.

The data version is read once for the requests that wait together. A request must be answered
from data as of some moment after it arrived (every commit it could know of is then in): requests
the event loop has queued arrived before any of them runs, so a read made while one of them runs
serves them all. The loop runs its queue in the order things were put into it, so a callback put
in at the read (`call_soon`) runs after everything queued before the read and before anything
queued after it (a request that arrived later; a task woken by a commit or a message that came
later, even from a driver's thread): until it runs, the read is shared; after it, the next asker
reads again. The task that read never shares its own read: it may go on to another request
without the loop running in between (an in-process client does), and that request may follow a
commit. On PostgreSQL the read is a round trip: the requests queued when it starts share it.
Under load this is one read for several requests; a lone request reads as before.
"""

from __future__ import annotations

import asyncio
import contextvars
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, Executable, Row, create_engine, event, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import StaticPool

from .public_filter import SCANS
from .tables.public import DataVersionRow

# `_unshare` reads no context variable: scheduled in this one, not in a copy of the caller's.
_NO_CONTEXT = contextvars.Context()

DATA_VERSION_SQL = "SELECT version FROM data_version WHERE id = 1"


def sqlite_data_version(connection: sqlite3.Connection) -> int | None:
    """The version on a plain sqlite3 connection; None when it is not (yet) a portal database."""
    try:
        row = connection.execute(DATA_VERSION_SQL).fetchone()
    except sqlite3.DatabaseError:
        return None
    return row[0] if row else 0


class HotReads:
    def __init__(self, engine: AsyncEngine, sqlite_file: Path | None) -> None:
        self.engine = engine
        self.sqlite_file = sqlite_file
        self._sync: Engine | None = None
        # The data version read in this turn of the loop (an int, or the task reading it on
        # PostgreSQL), and the task that read it (`data_version`).
        self._shared: int | asyncio.Task | None = None
        self._reader: asyncio.Task | None = None
        self._connection: Connection | None = None
        if sqlite_file is not None:
            self._sync = create_engine(
                f"sqlite:///file:{sqlite_file}?mode=ro&uri=true",
                poolclass=StaticPool,
                connect_args={"check_same_thread": False},
                json_deserializer=orjson.loads,  # the projection's documents, several times faster
            )
            event.listen(self._sync, "connect", _autocommit)

    def sync_engines(self) -> list[Engine]:
        """Every engine statements go through (for counting them: `before_cursor_execute`)."""
        return [self.engine.sync_engine, *([self._sync] if self._sync is not None else [])]

    def _sqlite(self) -> Connection:
        # Connected on first use: the file exists only once the server has migrated it.
        if self._connection is None:
            self._connection = self._sync.connect()
        return self._connection

    async def data_version(self) -> int:
        """The data version as of some moment after the asking request arrived: read now, or
        the read of a request that was waiting in the same turn of the event loop (below)."""
        task = asyncio.current_task()
        shared = self._shared
        if shared is not None and self._reader is not task:
            return shared if type(shared) is int else await asyncio.shield(shared)
        # Shared until the loop has run what was queued before this read (`_unshare`).
        self._reader = task
        loop = asyncio.get_running_loop()
        loop.call_soon(self._unshare, context=_NO_CONTEXT)
        if self.sqlite_file is not None:
            self._shared = sqlite_data_version(self._sqlite().connection.dbapi_connection) or 0
            return self._shared
        # Its own task: a reader that is cancelled does not fail the requests sharing its read.
        shared = self._shared = loop.create_task(self._postgres_version())
        return await asyncio.shield(shared)

    def _unshare(self) -> None:
        self._shared = self._reader = None

    async def _postgres_version(self) -> int:
        async with self.engine.connect() as connection:
            version = (await connection.execute(select(DataVersionRow.version).where(DataVersionRow.id == 1))).scalar()
        return version or 0

    async def rows(self, statement: Executable, parameters: dict[str, Any] | None = None) -> Sequence[Row[Any]]:
        # A scan (a name search: milliseconds at 20,000 factories, for every alias of a query)
        # would stop the loop, and every other request with it: it goes through the driver's thread.
        if self.sqlite_file is not None and not statement.get_execution_options().get(SCANS):
            return self._sqlite().execute(statement, parameters).all()
        async with self.engine.connect() as connection:
            return (await connection.execute(statement, parameters)).all()

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        if self._sync is not None:
            self._sync.dispose()


def _autocommit(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None
