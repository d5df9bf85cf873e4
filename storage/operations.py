"""What operators read from the database: readiness (it answers, its schema is at the latest
migration) and the figures `/metrics` reports at each scrape (the moderation queue, imports).

Every read here is cheap on purpose, since probes and scrapes come every few seconds from every
load balancer and Prometheus server: `SELECT 1`, the one row of `alembic_version`, the submitted
responses through the queue's index (`ix_response_queue` starts with `state`), and `import_run`,
which holds one row per import.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from ..domain.moderation import ResponseState
from .db import Sessions
from .migrate import alembic_config
from .tables.record import ImportRunRow
from .tables.supplier_responses import ResponseRow


async def database_answers(engine: AsyncEngine) -> None:
    """Raises when the database cannot be reached or cannot run a statement."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


@cache
def latest_revisions() -> frozenset[str]:
    """The heads of the migration scripts this code ships with."""
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


async def schema_revisions(engine: AsyncEngine) -> frozenset[str]:
    """The revisions the database is at (empty before the first migration)."""
    async with engine.connect() as connection:
        return await connection.run_sync(lambda sync: frozenset(MigrationContext.configure(sync).get_current_heads()))


async def schema_at_latest(engine: AsyncEngine) -> bool:
    return await schema_revisions(engine) == latest_revisions()


@dataclass(frozen=True)
class Backlog:
    """The moderation queue and the imports, as the database holds them now."""

    waiting: int  # responses submitted and not yet decided (or withdrawn)
    oldest_waiting_at: datetime | None
    imports: int  # committed imports, ever
    last_import_at: datetime | None


async def backlog(sessions: Sessions) -> Backlog:
    async with sessions() as session:
        waiting, oldest = (
            await session.exec(
                select(func.count(), func.min(ResponseRow.posted_at)).where(ResponseRow.state == ResponseState.SUBMITTED.value)
            )
        ).one()
        imports, last = (await session.exec(select(func.count(), func.max(ImportRunRow.imported_at)))).one()
    return Backlog(waiting, oldest, imports, last)
