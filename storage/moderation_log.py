"""What the people who run moderation read: every audit event newest first (the moderation log),
and each moderator's decisions of the last days with the time they took."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ..domain.moderation import EventKind, ResponseState
from .responses import Event, event_of, select_events
from .tables.supplier_responses import ResponseEventRow, ResponseRow
from .tables.users import UserRow

# Position in the log: the event's time and key, both descending.
LogPosition = tuple[datetime, int]

# A moderator's decisions: what counts in their figures.
DECISIONS = (EventKind.APPROVE, EventKind.REMOVE, EventKind.DISMISS_REPORTS)


@dataclass(frozen=True)
class LogFilter:
    actor_pks: tuple[int, ...] = ()
    kinds: tuple[EventKind, ...] = ()
    since: datetime | None = None


def newest_first_after(moment, pk, position: tuple[datetime, int]) -> ColumnElement[bool]:
    """After `position` in an order of (moment, pk), both descending: the keyset."""
    at, at_pk = position
    return or_(moment < at, and_(moment == at, pk < at_pk))


def _conditions(f: LogFilter) -> list[ColumnElement[bool]]:
    conditions = []
    if f.actor_pks:
        conditions.append(ResponseEventRow.actor_pk.in_(f.actor_pks))
    if f.kinds:
        conditions.append(ResponseEventRow.kind.in_([k.value for k in f.kinds]))
    if f.since is not None:
        conditions.append(ResponseEventRow.at >= f.since)
    return conditions


async def log_page(session: AsyncSession, f: LogFilter, after: LogPosition | None, limit: int) -> list[Event]:
    """Up to `limit` events under `f`, newest first (by time, then key), after `after`."""
    conditions = _conditions(f)
    if after is not None:
        conditions.append(newest_first_after(ResponseEventRow.at, ResponseEventRow.pk, after))
    statement = (
        select_events()
        .where(*conditions)
        .order_by(ResponseEventRow.at.desc(), ResponseEventRow.pk.desc())
        .limit(limit)
    )
    return [event_of(row) for row in (await session.exec(statement)).all()]


async def log_count(session: AsyncSession, f: LogFilter) -> int:
    statement = select(func.count()).select_from(ResponseEventRow).where(*_conditions(f))
    return (await session.exec(statement)).scalar_one()


@dataclass(frozen=True)
class ModeratorFigures:
    user_pk: int
    name: str
    role: str
    approvals: int
    removals: int
    dismissals: int
    # The median time from a response's submission to its first decision (an approval or
    # removal of a submitted response); None when they made none in the window.
    median_to_decision_seconds: float | None

    @property
    def decisions(self) -> int:
        return self.approvals + self.removals + self.dismissals


async def moderator_figures(session: AsyncSession, since: datetime) -> list[ModeratorFigures]:
    """Per moderator who decided anything since `since`: their decisions by kind and the median
    time from submission to their first decisions, by name.

    The median is computed here, in Python, over one read of the window's decisions (bounded by
    the window: a few days of human decisions), so that SQLite and PostgreSQL give the same
    figure without percentile_cont, which SQLite lacks."""
    statement = (
        select(
            ResponseEventRow.actor_pk, UserRow.name, UserRow.role, ResponseEventRow.kind,
            ResponseEventRow.from_state, ResponseEventRow.at, ResponseRow.posted_at,
        )
        .join(UserRow, UserRow.pk == ResponseEventRow.actor_pk)
        .join(ResponseRow, ResponseRow.pk == ResponseEventRow.response_pk)
        .where(ResponseEventRow.kind.in_([k.value for k in DECISIONS]), ResponseEventRow.at >= since)
    )
    counts: dict[int, dict[str, int]] = {}
    waits: dict[int, list[float]] = {}
    people: dict[int, tuple[str, str]] = {}
    for actor_pk, name, role, kind, from_state, at, posted_at in (await session.exec(statement)).all():
        people[actor_pk] = (name, role)
        by_kind = counts.setdefault(actor_pk, {k.value: 0 for k in DECISIONS})
        by_kind[kind] += 1
        if from_state == ResponseState.SUBMITTED.value:
            waits.setdefault(actor_pk, []).append((at - posted_at).total_seconds())
    figures = [
        ModeratorFigures(
            user_pk=pk, name=people[pk][0], role=people[pk][1], approvals=c[EventKind.APPROVE.value],
            removals=c[EventKind.REMOVE.value], dismissals=c[EventKind.DISMISS_REPORTS.value],
            median_to_decision_seconds=statistics.median(waits[pk]) if pk in waits else None,
        )
        for pk, c in counts.items()
    ]
    return sorted(figures, key=lambda m: (m.name, m.user_pk))
