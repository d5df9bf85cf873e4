"""The SQL of reports from the public (domain/response_reports.py): adding one once per reporter,
counting a reporter's attempts in the window, closing a response's open reports, reading them
for moderators, and the open ones the REPORTED queue is made of."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel.ext.asyncio.session import AsyncSession

from ..domain.response_reports import ReportFlag, ReportReason, ResponseReport
from .batches import chunks
from .tables.response_reports import ReportAttemptRow, ResponseReportRow
from .tables.supplier_responses import ResponseEventRow, ResponseRow

Report = ResponseReportRow
Attempt = ReportAttemptRow

# The class of the two-key PostgreSQL advisory locks taken per reporter ("rprt"); the two-key
# space never meets the one-key locks of imports.
REPORTER_LOCK_CLASS = 0x72707274


async def lock_reporter(session: AsyncSession, reporter_hash: str) -> None:
    """One reporter's attempts count one after the other, in any process, so that two at once
    cannot both pass the cap: a PostgreSQL advisory lock for the transaction (SQLite's writer
    holds the whole database already). Two reporters may share a lock key: they only wait."""
    if session.bind.dialect.name != "postgresql":
        return
    key = int(reporter_hash[:8], 16) - 2**31  # an int4
    await session.exec(
        text("SELECT pg_advisory_xact_lock(:class, :key)"), params={"class": REPORTER_LOCK_CLASS, "key": key}
    )


async def attempts_since(session: AsyncSession, reporter_hash: str, since: datetime) -> list[datetime]:
    """When the reporter's attempts since `since` were made, oldest first."""
    rows = await session.exec(
        select(Attempt.at).where(Attempt.reporter_hash == reporter_hash, Attempt.at >= since).order_by(Attempt.at)
    )
    return list(rows.scalars())


def add_attempt(session: AsyncSession, reporter_hash: str, at: datetime) -> None:
    session.add(Attempt(reporter_hash=reporter_hash, at=at))


async def forget_attempts_before(session: AsyncSession, before: datetime) -> None:
    """Attempts older than the window count for nobody: the table holds about one window."""
    await session.exec(delete(Attempt).where(Attempt.at < before))


async def lock_response_state(session: AsyncSession, response_pk: int) -> str:
    """The response's state, its row locked for the transaction (PostgreSQL `FOR UPDATE`): a
    removal or dismissal that is committing first is seen, and one that starts later waits, so no
    report stays open on a response whose reports were closed."""
    statement = select(ResponseRow.state).where(ResponseRow.pk == response_pk).with_for_update()
    return (await session.exec(statement)).scalar_one()


async def add_report(
    session: AsyncSession, response_pk: int, *, reason: ReportReason, text: str | None, flags: Sequence[ReportFlag],
    reporter_hash: str, at: datetime,
) -> bool:  # fmt: skip
    """Adds the report unless this reporter has reported this response before (the unique
    constraint decides, whatever the timing); True when it was added."""
    insert = postgresql_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    values = {
        "response_pk": response_pk, "reason": reason.value, "text": text, "reporter_hash": reporter_hash, "at": at,
        "flags": [{"kind": f.kind, "start": f.start, "end": f.end, "match": f.match, "language": f.language} for f in flags],
    }  # fmt: skip
    statement = (
        insert(Report)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[Report.response_pk, Report.reporter_hash])
        .returning(Report.pk)
    )
    return (await session.exec(statement)).first() is not None


async def open_count(session: AsyncSession, response_pk: int) -> int:
    statement = select(func.count()).where(Report.response_pk == response_pk, Report.closed_at.is_(None))
    return (await session.exec(statement)).scalar_one()


async def close_open(session: AsyncSession, response_pk: int, event: ResponseEventRow) -> int:
    """Closes the response's open reports by the step of `event` (at its time); how many."""
    await session.flush()  # the event's pk
    result = await session.exec(
        update(Report)
        .where(Report.response_pk == response_pk, Report.closed_at.is_(None))
        .values(closed_at=event.at, closed_by_event_pk=event.pk)
    )
    return result.rowcount


def open_reports():
    """Per response with open reports: how many (`open_reports`) and since when (`first_at`)."""
    return (
        select(
            Report.response_pk, func.count().label("open_reports"), func.min(Report.at).label("first_at")
        )
        .where(Report.closed_at.is_(None))
        .group_by(Report.response_pk)
        .subquery("open_reports")
    )


def with_open_reports():
    """The responses that have an open report (for `ResponseRow.pk.in_(...)`)."""
    return select(Report.response_pk).where(Report.closed_at.is_(None))


async def reports_of(session: AsyncSession, response_pks: Sequence[int]) -> dict[int, list[ResponseReport]]:
    """Every report of each response, open and closed, oldest first."""
    found: dict[int, list[ResponseReport]] = defaultdict(list)
    for part in chunks(list(response_pks)):
        rows = await session.exec(
            select(Report).where(Report.response_pk.in_(part)).order_by(Report.at, Report.pk)
        )
        for r in rows.scalars():
            found[r.response_pk].append(
                ResponseReport(
                    reason=ReportReason(r.reason), text=r.text, at=r.at, closed_at=r.closed_at,
                    flags=tuple(ReportFlag(**f) for f in r.flags),
                )
            )
    return found
