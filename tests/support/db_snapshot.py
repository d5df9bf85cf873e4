"""Every row of every table of a SQLite database file, to show that a failed operation changed nothing.

Read through a separate stdlib connection: between two operations nothing is in flight, so it
sees exactly what was committed (WAL mode lets it read beside the application's connections).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path


def sqlite_snapshot(path: Path) -> dict[str, list[tuple]]:
    """{table: its rows, sorted}; every table in sqlite_master, so a table added later counts too
    (sqlite_sequence included, when AUTOINCREMENT is in use)."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        names = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {
            name: sorted((tuple(row) for row in connection.execute(f'SELECT * FROM "{name}"')), key=repr)
            for name in names
        }
    finally:
        connection.close()


def snapshot_difference(before: dict[str, list[tuple]], after: dict[str, list[tuple]]) -> str:
    """A short description of what differs ("" when nothing does)."""
    lines = []
    for table in sorted(before.keys() | after.keys()):
        old, new = before.get(table, []), after.get(table, [])
        if old == new:
            continue
        gone = [r for r in old if r not in new]
        added = [r for r in new if r not in old]
        lines.append(f"{table}: -{gone[:3]} +{added[:3]}")
    return "\n".join(lines)


async def table_snapshot(engine) -> dict[str, list[tuple]]:
    """The same for any backend: every table the migrations created (alembic_version included)."""
    from sqlalchemy import MetaData

    async with engine.connect() as connection:
        metadata = MetaData()
        await connection.run_sync(lambda sync: metadata.reflect(sync))
        snapshot = {}
        for table in metadata.sorted_tables:
            rows = (await connection.execute(table.select())).all()
            snapshot[table.name] = sorted((tuple(row) for row in rows), key=repr)
    return snapshot
