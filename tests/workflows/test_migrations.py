"""Alembic's migrations build exactly the schema the tables describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from transparency_portal.storage.tables import metadata


async def test_migrations_match_the_tables(engine):
    def diff(connection):
        return compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), metadata)

    async with engine.connect() as connection:
        assert await connection.run_sync(diff) == []
