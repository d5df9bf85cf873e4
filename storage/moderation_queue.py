"""The moderation queue: submitted responses, most severe first, then the longest waiting, by
keyset; its count and the per-country waiting figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ..domain.moderation import ResponseState
from ..domain.responses import ResponseRecord
from .responses import read_records, select_records
from .tables.record import FactoryRow
from .tables.supplier_responses import ResponseFlagRow, ResponseRow


@dataclass(frozen=True)
class QueueFilter:
    countries: tuple[str, ...] = ()
    factory_source_ids: tuple[str, ...] = ()
    flag_kinds: tuple[str, ...] = ()
    posted_before: datetime | None = None  # "waiting at least this long"


# Position in the queue: severity (descending), posted_at, pk (ascending).
QueuePosition = tuple[int, datetime, int]


def _queue_conditions(f: QueueFilter) -> list[ColumnElement[bool]]:
    conditions = [ResponseRow.state == ResponseState.SUBMITTED.value]
    if f.countries:
        conditions.append(FactoryRow.country_code.in_(f.countries))
    if f.factory_source_ids:
        conditions.append(FactoryRow.source_id.in_(f.factory_source_ids))
    if f.flag_kinds:
        conditions.append(
            ResponseRow.pk.in_(select(ResponseFlagRow.response_pk).where(ResponseFlagRow.kind.in_(f.flag_kinds)))
        )
    if f.posted_before is not None:
        conditions.append(ResponseRow.posted_at <= f.posted_before)
    return conditions


async def queue_page(
    session: AsyncSession, f: QueueFilter, after: QueuePosition | None, limit: int
) -> list[tuple[QueuePosition, ResponseRecord]]:
    conditions = _queue_conditions(f)
    if after is not None:
        severity, posted_at, pk = after
        conditions.append(
            or_(
                ResponseRow.severity < severity,
                and_(
                    ResponseRow.severity == severity,
                    or_(
                        ResponseRow.posted_at > posted_at,
                        and_(ResponseRow.posted_at == posted_at, ResponseRow.pk > pk),
                    ),
                ),
            )
        )
    statement = (
        select_records()
        .where(*conditions)
        .order_by(ResponseRow.severity.desc(), ResponseRow.posted_at, ResponseRow.pk)
        .limit(limit)
    )
    return [((r.severity, r.posted_at, r.pk), r) for r in await read_records(session, statement)]


async def queue_count(session: AsyncSession, f: QueueFilter) -> int:
    statement = (
        select(func.count())
        .select_from(ResponseRow)
        .join(FactoryRow, FactoryRow.pk == ResponseRow.factory_pk)
        .where(*_queue_conditions(f))
    )
    return (await session.exec(statement)).scalar_one()


async def queue_stats(session: AsyncSession) -> list[tuple[str, int, datetime]]:
    """Per country: how many responses wait, and since when the oldest does."""
    statement = (
        select(FactoryRow.country_code, func.count(), func.min(ResponseRow.posted_at))
        .join(FactoryRow, FactoryRow.pk == ResponseRow.factory_pk)
        .where(ResponseRow.state == ResponseState.SUBMITTED.value)
        .group_by(FactoryRow.country_code)
        .order_by(FactoryRow.country_code)
    )
    return [(country, count, oldest) for country, count, oldest in (await session.exec(statement)).all()]
