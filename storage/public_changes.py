"""The change feed's entries: `append_changes`, the single place an entry is written, and the reads
of the feed (a page after a position, the newest entries).

Order without gaps. On PostgreSQL, transactions commit in another order than the one in which
they took ids from a sequence, so a reader paging by id could read id 8 while id 7 is still
uncommitted, and never see 7. Entries are therefore placed by `position`, taken from one counter
row (`public_change_sequence`) by an UPDATE that is the last statement of the transaction (a
`before_commit` hook, whatever the writer): the row stays locked until the commit, so the next
transaction takes its positions only once this one has committed, and positions follow commit
order. A reader that sees position p sees every position below p; it reads up to the counter's
value (`changes_after`), so even a page with no match tells the client where to go on from. Only
transactions that write entries wait on the row, and only for each other's commit. (Today's
writers, imports, moderation decisions and the calendar, also hold the `data_version` row from
their projection's bump to their commit, so they serialise anyway; the sequence keeps the order
right for any writer, without depending on that.) On SQLite every writer holds the database's
write lock to its commit.

A later webhook outbox belongs here too: rows written by `append_changes` beside the entries, in
the same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import bindparam, event, select, update
from sqlalchemy.orm import Session
from sqlmodel.ext.asyncio.session import AsyncSession

from ..domain.public_changes import Change
from .tables.public import DataVersionRow
from .tables.public_changes import PublicChangeRow, PublicChangeSequenceRow
from .webhook_outbox import enqueue as enqueue_webhooks

# session.info key: ids of the entries this transaction wrote, waiting for their positions.
_PENDING = "public_changes.pending"


@dataclass(frozen=True)
class FeedFilter:
    """Entries of any of these countries, and of any of these factories (source ids); empty: any."""

    countries: tuple[str, ...] = ()
    factories: tuple[str, ...] = ()


async def append_changes(
    session: AsyncSession, changes: Sequence[tuple[int, Change]], at: datetime
) -> list[PublicChangeRow]:
    """Write these entries of the feed ((factory pk, change) pairs), in this order, in the caller's
    transaction; they get their positions as it commits. The only function that writes
    `public_change`: whatever must be written with each change (a webhook outbox) goes here."""
    if not changes:
        return []
    rows = [
        PublicChangeRow(
            uuid=str(uuid.uuid4()), kind=c.kind.value, at=at, factory_pk=pk, factory_source_id=c.factory_id, country_code=c.country,
            factory_name=c.name, non_compliances=c.non_compliances, assessment_source_id=c.assessment_id,
            question_id=c.question_id, response_public_id=c.response_id,
        )
        for pk, c in changes
    ]
    session.add_all(rows)
    await session.flush()
    session.info.setdefault(_PENDING, []).extend(row.id for row in rows)
    await enqueue_webhooks(session, rows)
    return rows


@event.listens_for(Session, "before_commit")
def _place_pending(session: Session) -> None:
    """Gives this transaction's entries their positions, as its last statements (see the module)."""
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    now = datetime.now(UTC)
    # The feed is public data: answers cached under the data version must not outlive it. (Taken
    # before the sequence, in the order of every writer that bumped it earlier in its transaction.)
    session.execute(
        update(DataVersionRow).where(DataVersionRow.id == 1).values(version=DataVersionRow.version + 1, changed_at=now)
    )
    sequence = PublicChangeSequenceRow
    last, recorded = session.execute(
        select(sequence.last_position, sequence.recorded_at).where(sequence.id == 1).with_for_update()
    ).one()
    # Never before an earlier entry's: Atom's Last-Modified must not go back when clocks differ.
    recorded = max(now, recorded) if recorded else now
    session.execute(
        update(sequence).where(sequence.id == 1).values(last_position=last + len(pending), recorded_at=recorded)
    )
    table = PublicChangeRow.__table__
    session.execute(
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values(position=bindparam("b_position"), recorded_at=bindparam("b_recorded")),
        [{"b_id": pk, "b_position": last + n, "b_recorded": recorded} for n, pk in enumerate(pending, start=1)],
    )


@event.listens_for(Session, "after_rollback")
def _forget_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


async def changes_after(
    session: AsyncSession, position: int, limit: int, feed: FeedFilter
) -> tuple[list[PublicChangeRow], int]:
    """Up to `limit` entries after `position`, in feed order, and the feed's last position when
    read: every entry up to it that matches the filter and is not in the list lies beyond the list's
    last (so a short page may move the client on to it)."""
    last = (await session.exec(select(PublicChangeSequenceRow.last_position))).scalar_one_or_none() or 0
    statement = (
        _filtered(select(PublicChangeRow), feed)
        .where(PublicChangeRow.position > position, PublicChangeRow.position <= last)
        .order_by(PublicChangeRow.position)
        .limit(limit)
    )
    return list((await session.exec(statement)).scalars()), last


async def newest_changes(session: AsyncSession, limit: int, feed: FeedFilter) -> list[PublicChangeRow]:
    """The newest `limit` entries that match, newest first."""
    statement = (
        _filtered(select(PublicChangeRow), feed)
        .where(PublicChangeRow.position.is_not(None))
        .order_by(PublicChangeRow.position.desc())
        .limit(limit)
    )
    return list((await session.exec(statement)).scalars())


def _filtered(statement, feed: FeedFilter):
    if feed.countries:
        statement = statement.where(PublicChangeRow.country_code.in_(feed.countries))
    if feed.factories:
        statement = statement.where(PublicChangeRow.factory_source_id.in_(feed.factories))
    return statement


