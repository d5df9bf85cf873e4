"""Keeps the change feed equal to the public view: every writer of public data calls
`record_public_changes` in its own transaction, and the server calls `catch_up_calendar` at the
first request or tick of a day.

The feed keeps what it last said of each factory (`public_feed_state`). A writer compares each
factory's public record now (`public_records`: the projection's row valid on the day, and the
approved responses to its assessment) with that, and appends the difference
(`domain.public_changes.changes_between`) with `storage.public_changes.append_changes`. So the
feed holds exactly the changes the public could see, whatever caused them, and an import that
changes nothing public writes nothing.

The calendar changes the public view on days nobody writes (an embargo ends on its publication
day; a factory that left disappears the day after its last cycle): the projection already holds
those days' rows (`domain.publication.public_periods`). `catch_up_calendar` writes the changes of
every day since the last one it wrote, day by day with `at` the start of that day, before any
other change of the transaction. Every writer calls it first, so no change is ever described
against a view the calendar has already moved on from.

Serialising writers: every transaction that records changes first holds the `data_version` row
(imports and moderation decisions bump it already; the calendar takes it too), so two writers
never compare with the same feed state at once, and the calendar's day is written once whichever
server or process notices midnight first (the others find the day written and do nothing). The
feed's day never goes back: a writer whose clock is behind the calendar's uses the calendar's day.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time

from sqlalchemy import delete, insert, or_, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from ..domain.public_changes import (
    Change,
    PublicRecord,
    PublicResponse,
    changes_between,
)
from ..domain.responses import PUBLIC_STATE
from .batches import CHUNK, chunks
from .public_changes import append_changes
from .public_factories import factories_by_pk
from .tables.public import DataVersionRow, PublicFactoryRow
from .tables.public_changes import PublicChangeCalendarRow, PublicFeedStateRow
from .tables.record import AssessmentRow
from .tables.supplier_responses import ResponseRow

# Factories compared and written at a time (`_record`).
RECORD_CHUNK = CHUNK


async def record_public_changes(session: AsyncSession, factory_pks: Iterable[int], now: datetime) -> int:
    """Append the changes of these factories' public records since the feed last described them
    (after the calendar's, `catch_up_calendar`); returns how many entries were written."""
    day = await catch_up_calendar(session, now)
    return await _record(session, sorted(set(factory_pks)), day, now)


async def catch_up_calendar(session: AsyncSession, now: datetime) -> date:
    """Write the calendar's changes of every day after the last one written, up to `now`'s day;
    returns the feed's day (that day, or a later one already written by a server whose clock is
    ahead). A new or upgraded feed is first reconciled with the whole public view, at `now`."""
    any_public_data = await _hold_public_writes(session)
    today = now.date()
    done = (await session.exec(select(PublicChangeCalendarRow.day).where(PublicChangeCalendarRow.id == 1))).scalar_one_or_none()
    if done is not None and done >= today:
        return done
    if done is None and any_public_data:  # without any, nothing was ever public to describe
        await _record(session, await _every_factory(session), today, now)
    elif any_public_data:
        for day, pks in await _calendar_days(session, done, today):
            await _record(session, pks, day, datetime.combine(day, time.min, UTC))
    await session.exec(update(PublicChangeCalendarRow).where(PublicChangeCalendarRow.id == 1).values(day=today))
    return today


async def public_records(session: AsyncSession, factory_pks: Sequence[int], day: date) -> dict[int, PublicRecord]:
    """What the public sees of these factories on `day` (from the projection), those public then."""
    views = await factories_by_pk(session, factory_pks, day)
    responses: dict[int, set[PublicResponse]] = defaultdict(set)
    for part in chunks(sorted(views)):
        rows = await session.exec(
            select(ResponseRow.factory_pk, ResponseRow.public_id, ResponseRow.question_id, AssessmentRow.source_id)
            .join(AssessmentRow, AssessmentRow.pk == ResponseRow.assessment_pk)
            .where(ResponseRow.factory_pk.in_(part), ResponseRow.state == PUBLIC_STATE.value)
        )
        for factory_pk, public_id, question_id, assessment in rows:
            # Only responses to the assessment shown are public (they leave with it).
            if views[factory_pk].latest.source_id == assessment:
                responses[factory_pk].add(PublicResponse(public_id, question_id))
    return {pk: PublicRecord(view, frozenset(responses[pk])) for pk, view in views.items()}


async def _record(session: AsyncSession, factory_pks: Sequence[int], day: date, at: datetime) -> int:
    """The changes of these factories (in their order), a chunk at a time: a whole view at once (a
    new feed reconciled at 20,000 factories) held every factory's record in memory together, and
    the process kept the ~100 MB that cost for good."""
    written = 0
    for part in chunks(factory_pks, RECORD_CHUNK):
        written += await _record_part(session, part, day, at)
    return written


async def _record_part(session: AsyncSession, factory_pks: Sequence[int], day: date, at: datetime) -> int:
    now = await public_records(session, factory_pks, day)
    said = await _feed_states(session, factory_pks)
    changes: list[tuple[int, Change]] = []
    moved: list[int] = []
    for pk in factory_pks:
        found = changes_between(said.get(pk), now.get(pk))
        if found:
            changes += [(pk, change) for change in found]
            moved.append(pk)
    await append_changes(session, changes, at)
    for part in chunks(moved):
        await session.exec(delete(PublicFeedStateRow).where(PublicFeedStateRow.factory_pk.in_(part)))
    states = [{"factory_pk": pk, "record": now[pk].to_json()} for pk in moved if pk in now]
    for part in chunks(states):
        await session.exec(insert(PublicFeedStateRow), params=list(part))
    return len(changes)


async def _feed_states(session: AsyncSession, factory_pks: Sequence[int]) -> dict[int, PublicRecord]:
    found: dict[int, PublicRecord] = {}
    for part in chunks(list(factory_pks)):
        rows = await session.exec(select(PublicFeedStateRow).where(PublicFeedStateRow.factory_pk.in_(part)))
        found.update((row.factory_pk, PublicRecord.from_json(row.record)) for row in rows.scalars())
    return found


async def _hold_public_writes(session: AsyncSession) -> bool:
    """Lock the `data_version` row until commit (a no-op when this transaction bumped it already);
    False when there is none: no public data was ever written, and there is no feed to write."""
    result = await session.exec(
        update(DataVersionRow).where(DataVersionRow.id == 1).values(version=DataVersionRow.version)
    )
    return result.rowcount > 0


async def _every_factory(session: AsyncSession) -> list[int]:
    """The factories the public sees or the feed described: everything a reconciliation compares."""
    public = select(PublicFactoryRow.factory_pk)
    described = select(PublicFeedStateRow.factory_pk)
    return sorted(set((await session.exec(public)).scalars()) | set((await session.exec(described)).scalars()))


async def _calendar_days(session: AsyncSession, after: date, through: date) -> list[tuple[date, list[int]]]:
    """The days in (after, through] on which some factory's public view starts or ends, each with
    those factories, in order."""
    r = PublicFactoryRow
    rows = await session.exec(
        select(r.factory_pk, r.valid_from, r.valid_until).where(
            or_(
                (r.valid_from > after) & (r.valid_from <= through),
                (r.valid_until > after) & (r.valid_until <= through),
            )
        )
    )
    days: dict[date, set[int]] = defaultdict(set)
    for factory_pk, start, end in rows:
        for day in (start, end):
            if after < day <= through:
                days[day].add(factory_pk)
    return [(day, sorted(days[day])) for day in sorted(days)]

