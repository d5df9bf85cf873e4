"""Reads on the path of every public request: the data version, and the compiled executor's pages.

On the embedded SQLite database these run synchronously on the event loop's thread, over one
read-only connection per process. Such a read takes microseconds, while an `AsyncSession` over
aiosqlite hands every statement to a worker thread and back, which cost about 0.2 ms per
request, more than the rest of a cached answer. A connection in autocommit mode starts a fresh
read transaction with each statement, so it sees every commit of any process (WAL lets readers
and the writer go on together). On PostgreSQL the statements run on the async engine as usual,
and so do statements that scan the table (`public_filter.SCANS`: a name search), which would hold
the loop, and every other request, for as long as they run.
"""

from __future__ import annotations

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
        if self.sqlite_file is not None:
            version = sqlite_data_version(self._sqlite().connection.dbapi_connection)
            return version or 0
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
