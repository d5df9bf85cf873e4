"""Writing a plan: bulk inserts (COPY for findings on PostgreSQL), updates and deletes, the import
run, the corrections, then the public projection of the affected factories."""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlmodel.ext.asyncio.session import AsyncSession
from tqdm import tqdm

from ..storage.batches import chunks
from ..storage.projection import refresh_public_view
from ..storage.public_change_writer import record_public_changes
from ..storage.public_counts import count_factories
from ..storage.public_filter import FactoryFilter
from .import_plan import Plan
from .import_stored import Stored
from .import_tables import (
    ASSESSMENT,
    CORRECTION,
    COUNTRY,
    COUNTRY_QUESTION,
    CYCLE,
    FACTORY,
    FINDING,
    IMPORT_RUN,
    QUESTION,
    REFUSAL,
)

# Rows per executemany call while writing (also the progress bar's step).
WRITE_BATCH = 10_000


class Progress:
    def __init__(self, total: int, enabled: bool, source: str) -> None:
        self.bar = tqdm(
            total=total, disable=not enabled, file=sys.stderr, unit="row", desc=f"import {source}"
        )

    def __call__(self, n: int) -> None:
        self.bar.update(n)

    def close(self) -> None:
        self.bar.close()


async def _insert_many(session: AsyncSession, table: Table, rows: Sequence[dict], progress: Progress) -> None:
    for part in chunks(rows, WRITE_BATCH):
        await session.exec(insert(table), params=list(part))
        progress(len(part))


async def _insert_findings(session: AsyncSession, rows: Sequence[dict], progress: Progress) -> None:
    """The bulk of an import, in this transaction, past SQLAlchemy's per-row work (a third of an
    import's time): on PostgreSQL through COPY (about 4x executemany), on SQLite through the
    driver's own executemany. The three columns are plain values, nothing to convert."""
    if not rows:
        return
    connection = await session.connection()
    dialect = (connection.dialect.name, connection.dialect.driver)
    if dialect not in (("postgresql", "asyncpg"), ("sqlite", "aiosqlite")):
        await _insert_many(session, FINDING, rows, progress)
        return
    driver = (await connection.get_raw_connection()).driver_connection
    columns = ("assessment_pk", "question_id", "result")
    for part in chunks(rows, WRITE_BATCH * 5):
        records = [(row["assessment_pk"], row["question_id"], row["result"]) for row in part]
        if dialect[0] == "postgresql":
            await driver.copy_records_to_table(FINDING.name, records=records, columns=columns)
        else:
            await driver.executemany(f"INSERT INTO {FINDING.name} ({', '.join(columns)}) VALUES (?, ?, ?)", records)
        progress(len(part))


async def _insert_returning(
    session: AsyncSession, table: Table, rows: Sequence[dict], progress: Progress
) -> dict[str, int]:
    """Insert rows with a `source_id`; returns their new primary keys by source id."""
    pks: dict[str, int] = {}
    for part in chunks(rows, WRITE_BATCH):
        result = await session.exec(insert(table).returning(table.c.source_id, table.c.pk), params=list(part))
        pks.update(result.all())
        progress(len(part))
    return pks


async def _update_many(
    session: AsyncSession, table: Table, keys: Sequence[str], rows: Sequence[dict], progress: Progress
) -> None:
    """Executemany UPDATE of the other columns of each row, matched on `keys`."""
    if not rows:
        return
    groups: dict[tuple[str, ...], list[dict]] = defaultdict(list)
    for row in rows:
        groups[tuple(row)].append(row)
    for columns, group in groups.items():
        statement = (
            update(table)
            .where(*(table.c[k] == bindparam(f"b_{k}", type_=table.c[k].type) for k in keys))
            .values({c: bindparam(f"b_{c}", type_=table.c[c].type) for c in columns if c not in keys})
        )
        for part in chunks(group, WRITE_BATCH):
            await session.exec(statement, params=[{f"b_{c}": v for c, v in row.items()} for row in part])
            progress(len(part))


async def _delete_many(
    session: AsyncSession, table: Table, keys: Sequence[str], rows: Sequence[dict], progress: Progress
) -> None:
    if not rows:
        return
    statement = delete(table).where(*(table.c[k] == bindparam(f"b_{k}", type_=table.c[k].type) for k in keys))
    for part in chunks(rows, WRITE_BATCH):
        await session.exec(statement, params=[{f"b_{c}": v for c, v in row.items()} for row in part])
        progress(len(part))


async def write_plan(
    session: AsyncSession,
    plan: Plan,
    stored: Stored,
    *,
    source: str,
    sha256: str,
    actor: str,
    correction_reason: str | None,
    progress: Progress,
) -> None:
    summary = plan.summary
    await _insert_many(session, QUESTION, plan.question_inserts, progress)
    await _update_many(session, QUESTION, ["id"], plan.question_updates, progress)
    await _insert_many(session, COUNTRY, plan.country_inserts, progress)
    await _update_many(session, COUNTRY, ["code"], plan.country_updates, progress)
    if plan.public_question_lists:
        codes = sorted(plan.public_question_lists)
        await session.exec(delete(COUNTRY_QUESTION).where(COUNTRY_QUESTION.c.country_code.in_(codes)))
        rows = [
            {"country_code": code, "question_id": qid, "position": position}
            for code in codes
            for position, qid in enumerate(plan.public_question_lists[code], start=1)
        ]
        await _insert_many(session, COUNTRY_QUESTION, rows, progress)

    factory_pks = {fid: row[0] for fid, row in stored.factories.items()}
    factory_pks.update(await _insert_returning(session, FACTORY, plan.factory_inserts, progress))
    await _update_many(session, FACTORY, ["pk"], plan.factory_updates, progress)

    await _insert_many(
        session, CYCLE, [{"factory_pk": factory_pks[fid], **row} for fid, row in plan.cycle_inserts], progress
    )
    await _update_many(session, CYCLE, ["pk"], plan.cycle_updates, progress)

    new_assessments = [{"factory_pk": factory_pks[fid], **row} for fid, row, _ in plan.assessment_inserts]
    assessment_pks = await _insert_returning(session, ASSESSMENT, new_assessments, progress)
    await _update_many(session, ASSESSMENT, ["pk"], plan.assessment_updates, progress)

    await _delete_many(session, FINDING, ["assessment_pk", "question_id"], plan.finding_deletes, progress)
    await _update_many(session, FINDING, ["assessment_pk", "question_id"], plan.finding_updates, progress)
    await _insert_findings(session, plan.finding_inserts, progress)
    batch: list[dict] = []
    for _, row, findings in plan.assessment_inserts:
        pk = assessment_pks[row["source_id"]]
        batch += [{"assessment_pk": pk, "question_id": q, "result": r} for q, r in findings.items()]
        if len(batch) >= WRITE_BATCH:
            await _insert_findings(session, batch, progress)
            batch = []
    await _insert_findings(session, batch, progress)

    await _insert_many(
        session, REFUSAL, [{"factory_pk": factory_pks[fid], **row} for fid, row in plan.refusal_inserts], progress
    )
    await _update_many(session, REFUSAL, ["pk"], plan.refusal_updates, progress)

    now = datetime.now(UTC)
    result = await session.exec(
        insert(IMPORT_RUN).returning(IMPORT_RUN.c.pk),
        params={"source": source, "sha256": sha256, "actor": actor, "imported_at": now, "summary": summary.to_json()},
    )
    summary.import_run_pk = result.scalar_one()
    if plan.corrections:
        await _insert_many(
            session,
            CORRECTION,
            [
                {
                    "assessment_pk": pk,
                    "question_id": change.question,
                    "field": change.field,
                    "old_value": change.old,
                    "new_value": change.new,
                    "reason": correction_reason,
                    "corrected_by": actor,
                    "corrected_at": now,
                    "import_run_pk": summary.import_run_pk,
                }
                for pk, change in plan.corrections
            ],
            progress,
        )

    affected = {factory_pks[fid] for fid in plan.affected_factories}
    for part in chunks(sorted(plan.affected_countries)):
        affected.update(
            (await session.exec(select(FACTORY.c.pk).where(FACTORY.c.country_code.in_(part)))).scalars()
        )
    # Also when no factory is affected: question texts are public, and the data version must move.
    changed = await refresh_public_view(session, affected, today=now.date())
    await record_public_changes(session, changed, now)

    summary.public_factories = await count_factories(session, FactoryFilter(), now.date())
    await session.exec(
        update(IMPORT_RUN).where(IMPORT_RUN.c.pk == summary.import_run_pk).values(summary=summary.to_json())
    )
