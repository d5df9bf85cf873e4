"""The moderation queues: submitted responses, most severe first, then the longest waiting, by
keyset; their counts and the per-country waiting figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ..domain.moderation import ResponseState
from ..domain.responses import ResponseRecord
from . import response_reports
from .responses import read_records, select_records
from .tables.record import FactoryRow
from .tables.supplier_responses import ResponseFlagRow, ResponseRow


class QueueName(str, Enum):
    # Responses waiting for their first decision.
    SUBMITTED = "SUBMITTED"
    # Approved responses with open reports from the public (storage/response_reports.py), the
    # most reported first, then the longest reported.
    REPORTED = "REPORTED"


@dataclass(frozen=True)
class QueueFilter:
    queue: QueueName = QueueName.SUBMITTED
    countries: tuple[str, ...] = ()
    factory_source_ids: tuple[str, ...] = ()
    flag_kinds: tuple[str, ...] = ()
    posted_before: datetime | None = None  # "waiting at least this long"


# Position in the queue: severity (descending), posted_at, pk (ascending); in the REPORTED
# queue, open reports (descending), the first open one's time, pk.
QueuePosition = tuple[int, datetime, int]


# The queue's order, for its pages and for claimNextResponse (storage/response_steps.py).
QUEUE_ORDER = (ResponseRow.severity.desc(), ResponseRow.posted_at, ResponseRow.pk)


def queue_conditions(f: QueueFilter) -> list[ColumnElement[bool]]:
    """What puts a response in the queue, under `f` (FactoryRow joined)."""
    if f.queue is QueueName.REPORTED:
        return [
            ResponseRow.state == ResponseState.APPROVED.value,
            ResponseRow.pk.in_(response_reports.with_open_reports()),
            *filter_conditions(f),
        ]
    return [ResponseRow.state == ResponseState.SUBMITTED.value, *filter_conditions(f)]


def filter_conditions(f: QueueFilter) -> list[ColumnElement[bool]]:
    """What `f` asks of a response besides its queue (FactoryRow joined)."""
    conditions = []
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


async def passes_filter(session: AsyncSession, f: QueueFilter, response_pk: int) -> bool:
    """Whether the response is one `f` selects, whatever its state (the live queue's events)."""
    conditions = filter_conditions(f)
    if not conditions:
        return True
    statement = (
        select(ResponseRow.pk)
        .join(FactoryRow, FactoryRow.pk == ResponseRow.factory_pk)
        .where(ResponseRow.pk == response_pk, *conditions)
    )
    return (await session.exec(statement)).first() is not None


async def queue_page(
    session: AsyncSession, f: QueueFilter, after: QueuePosition | None, limit: int
) -> list[tuple[QueuePosition, ResponseRecord]]:
    if f.queue is QueueName.REPORTED:
        return await _reported_page(session, f, after, limit)
    conditions = queue_conditions(f)
    if after is not None:
        conditions.append(_after((ResponseRow.severity, ResponseRow.posted_at, ResponseRow.pk), after))
    statement = (
        select_records()
        .where(*conditions)
        .order_by(*QUEUE_ORDER)
        .limit(limit)
    )
    return [((r.severity, r.posted_at, r.pk), r) for r in await read_records(session, statement)]


async def _reported_page(
    session: AsyncSession, f: QueueFilter, after: QueuePosition | None, limit: int
) -> list[tuple[QueuePosition, ResponseRecord]]:
    """The REPORTED queue: the page's positions in one statement, their records in another."""
    counts = response_reports.open_reports()
    order = (counts.c.open_reports, counts.c.first_at, ResponseRow.pk)
    conditions = [ResponseRow.state == ResponseState.APPROVED.value, *filter_conditions(f)]
    if after is not None:
        conditions.append(_after(order, after))
    statement = (
        select(*order)
        .join(counts, counts.c.response_pk == ResponseRow.pk)
        .join(FactoryRow, FactoryRow.pk == ResponseRow.factory_pk)
        .where(*conditions)
        .order_by(order[0].desc(), *order[1:])
        .limit(limit)
    )
    positions = [tuple(row) for row in (await session.exec(statement)).all()]
    found = await read_records(session, select_records().where(ResponseRow.pk.in_([p[2] for p in positions])))
    records = {r.pk: r for r in found}
    return [(p, records[p[2]]) for p in positions if p[2] in records]


def _after(order, position: QueuePosition) -> ColumnElement[bool]:
    """After `position` in an order of (a descending, b ascending, pk ascending): the keyset."""
    first, second, pk = order
    at_first, at_second, at_pk = position
    return or_(
        first < at_first,
        and_(first == at_first, or_(second > at_second, and_(second == at_second, pk > at_pk))),
    )


async def queue_count(session: AsyncSession, f: QueueFilter) -> int:
    statement = select(func.count()).select_from(ResponseRow).where(*queue_conditions(f))
    if f.countries or f.factory_source_ids:
        # Only these conditions read the factory; without them the count reads the queue's index alone.
        statement = statement.join(FactoryRow, FactoryRow.pk == ResponseRow.factory_pk)
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


async def reported_stats(session: AsyncSession) -> list[tuple[str, int, datetime]]:
    """Per country: how many approved responses have open reports, and since when the oldest
    open report is waiting."""
    counts = response_reports.open_reports()
    statement = (
        select(FactoryRow.country_code, func.count(), func.min(counts.c.first_at))
        .select_from(ResponseRow)
        .join(counts, counts.c.response_pk == ResponseRow.pk)
        .join(FactoryRow, FactoryRow.pk == ResponseRow.factory_pk)
        .where(ResponseRow.state == ResponseState.APPROVED.value)
        .group_by(FactoryRow.country_code)
        .order_by(FactoryRow.country_code)
    )
    return [(country, count, oldest) for country, count, oldest in (await session.exec(statement)).all()]
