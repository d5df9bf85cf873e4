"""Alembic migrations, applied from code (`portal db upgrade`, `portal serve`, the tests)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from .db import Sessions, make_engine, make_sessions
from .projection import refresh_public_view

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url:
        config.set_main_option("sqlalchemy.url", url)
    return config


# Upgrading a database from a revision before this one to it or past it rebuilds the public
# projection, which that migration leaves empty (0003: rows per period of days, embargoes).
REPROJECT_AT = "0003"


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the database to `revision` on the caller's engine (works inside a running loop)."""

    def run(connection) -> tuple[str | None, str | None]:
        before = MigrationContext.configure(connection).get_current_revision()
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        return before, MigrationContext.configure(connection).get_current_revision()

    async with engine.begin() as connection:
        before, after = await connection.run_sync(run)
        if before is not None and after is not None and before < REPROJECT_AT <= after:
            # In the migration's transaction: nobody ever reads the empty projection.
            session = AsyncSession(bind=connection)
            await refresh_public_view(session)
            await session.flush()


@asynccontextmanager
async def migrated(url: str) -> AsyncIterator[Sessions]:
    """Sessions on the database at `url`, brought to the latest schema first (the commands, a
    restored backup); its engine is disposed of when the block ends."""
    engine = make_engine(url)
    try:
        await upgrade(engine)
        yield make_sessions(engine)
    finally:
        await engine.dispose()
