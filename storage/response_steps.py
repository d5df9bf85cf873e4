"""The SQL of the steps a response takes: what submitting reads and inserts
(workflows/responses.py), and the guarded updates of deciding, withdrawing and claims
(workflows/moderation.py).

Every update names what the actor saw (`version`, state, claim) in its WHERE clause and says
whether the row still matched, so two actors can never both win (optimistic concurrency).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, or_, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from ..domain.moderation import EventKind, RemovalReason, ResponseState, Transition
from ..domain.responses import ResponseRecord
from .moderation_queue import QUEUE_ORDER, QueueFilter, queue_conditions
from .public_factories import visible
from .responses import Flag, read_records, records_by_public_id, select_records
from .tables.programme import CountryRow
from .tables.public import PublicFactoryRow
from .tables.record import AssessmentRow, FactoryRow
from .tables.supplier_responses import AttachmentRow, ResponseEventRow, ResponseFlagRow, ResponseRow


def new_public_id() -> str:
    """What ids and URLs show: random, so they say nothing about how many rows exist."""
    return secrets.token_hex(12)


async def record_by_public_id(session: AsyncSession, public_id: str) -> ResponseRecord | None:
    return (await records_by_public_id(session, [public_id])).get(public_id)


async def record_by_pk(session: AsyncSession, pk: int) -> ResponseRecord | None:
    found = await read_records(session, select_records().where(ResponseRow.pk == pk))
    return found[0] if found else None


async def assessment_by_source_id(session: AsyncSession, source_id: str) -> AssessmentRow | None:
    return (await session.exec(select(AssessmentRow).where(AssessmentRow.source_id == source_id))).scalar_one_or_none()


async def current_public_factory(session: AsyncSession, factory_pk: int, today: date) -> PublicFactoryRow | None:
    """The factory's public row, if the factory is public today: its `latest_assessment` is
    the one assessment that can be answered."""
    statement = select(PublicFactoryRow).where(PublicFactoryRow.factory_pk == factory_pk, visible(today))
    return (await session.exec(statement)).scalar_one_or_none()


async def country_languages(session: AsyncSession, country_code: str) -> list[str]:
    return (await session.exec(select(CountryRow.languages).where(CountryRow.code == country_code))).scalar_one()


async def add_response(
    session: AsyncSession,
    *,
    factory_pk: int,
    assessment_pk: int,
    question_id: str | None,
    author_pk: int,
    text: str,
    state: ResponseState,
    posted_at: datetime,
    severity: int,
    revises_pk: int | None = None,
) -> ResponseRow:
    """A new response at version 1, flushed so that its `pk` can be referenced."""
    response = ResponseRow(
        public_id=new_public_id(), factory_pk=factory_pk, assessment_pk=assessment_pk, question_id=question_id,
        author_pk=author_pk, text=text, state=state.value, version=1, posted_at=posted_at, severity=severity,
        revises_pk=revises_pk,
    )  # fmt: skip
    session.add(response)
    await session.flush()
    return response


def add_flags(session: AsyncSession, response_pk: int, flags: Iterable[Flag]) -> None:
    for f in flags:
        session.add(
            ResponseFlagRow(
                response_pk=response_pk, kind=f.kind, source=f.source, start=f.start, end=f.end, match=f.match,
                language=f.language,
            )
        )


def add_attachment(
    session: AsyncSession, response_pk: int, position: int, *,
    sha256: str, extension: str, content_type: str, size: int, original_name: str,
) -> None:  # fmt: skip
    session.add(
        AttachmentRow(
            public_id=new_public_id(), response_pk=response_pk, position=position, sha256=sha256,
            extension=extension, content_type=content_type, size=size, original_name=original_name,
        )
    )


def add_step_event(
    session: AsyncSession, response_pk: int, transition: Transition, actor_pk: int | None, at: datetime,
    *, reason: RemovalReason | None = None, note: str | None = None,
) -> ResponseEventRow:  # fmt: skip
    """The audit event of a step; its from/to only when the step changes the state. `actor_pk`
    None: the public (a report)."""
    moved = transition.changes_state
    return add_event(
        session, response_pk, transition.event, actor_pk, at,
        from_state=transition.source if moved else None, to_state=transition.target if moved else None,
        reason=reason, note=note,
    )  # fmt: skip


def add_event(
    session: AsyncSession,
    response_pk: int,
    kind: EventKind,
    actor_pk: int | None,
    at: datetime,
    *,
    from_state: ResponseState | None = None,
    to_state: ResponseState | None = None,
    reason: RemovalReason | None = None,
    note: str | None = None,
) -> ResponseEventRow:
    event = ResponseEventRow(
        response_pk=response_pk,
        kind=kind.value,
        from_state=from_state.value if from_state else None,
        to_state=to_state.value if to_state else None,
        actor_pk=actor_pk,
        at=at,
        reason=reason.value if reason else None,
        note=note,
    )
    session.add(event)
    return event


def unclaimed_or_mine(user_pk: int, now: datetime) -> ColumnElement[bool]:
    return or_(
        ResponseRow.claimed_by_pk.is_(None),
        ResponseRow.claimed_by_pk == user_pk,
        ResponseRow.claim_expires_at <= now,
    )


async def guarded_update(session: AsyncSession, pk: int, conditions: Sequence[ColumnElement[bool]], **values: Any) -> bool:
    """UPDATE ... WHERE pk AND conditions: True when the row still matched (optimistic concurrency)."""
    result = await session.exec(update(ResponseRow).where(ResponseRow.pk == pk, *conditions).values(**values))
    return result.rowcount == 1


async def move(
    session: AsyncSession, pk: int, *, seen_version: int, target: ResponseState, reason: RemovalReason | None,
    unless_claimed_by_other: tuple[int, datetime] | None = None, explanation: str | None = None,
) -> bool:  # fmt: skip
    """Move the response to `target` if it is still at the version the actor saw (and, given a
    moderator and the time, claimed by nobody else); the claim ends with it. False when another
    step got there first."""
    conditions = [ResponseRow.version == seen_version]
    if unless_claimed_by_other is not None:
        conditions.append(unclaimed_or_mine(*unless_claimed_by_other))
    return await guarded_update(
        session, pk, conditions, state=target.value, version=seen_version + 1,
        removal_reason=reason.value if reason else None, claimed_by_pk=None, claim_expires_at=None,
        explanation=explanation,
    )  # fmt: skip


async def claim(
    session: AsyncSession, pk: int, *, in_state: ResponseState, user_pk: int, now: datetime, until: datetime
) -> bool:
    """Claim the response for `user_pk` until `until`, if it is still `in_state` and nobody
    else holds a live claim on it."""
    return await guarded_update(
        session, pk, [ResponseRow.state == in_state.value, unclaimed_or_mine(user_pk, now)],
        claimed_by_pk=user_pk, claim_expires_at=until,
    )  # fmt: skip


async def release(session: AsyncSession, pk: int, user_pk: int) -> bool:
    """End `user_pk`'s claim on the response; False when they hold none."""
    return await guarded_update(
        session, pk, [ResponseRow.claimed_by_pk == user_pk], claimed_by_pk=None, claim_expires_at=None
    )


def unclaimed(now: datetime) -> ColumnElement[bool]:
    return or_(ResponseRow.claimed_by_pk.is_(None), ResponseRow.claim_expires_at <= now)


async def claim_first(
    session: AsyncSession, f: QueueFilter, *, user_pk: int, now: datetime, until: datetime
) -> tuple[int, str, int] | None:
    """Claim the first response of the queue under `f` that nobody holds a live claim on, in one
    statement; its (pk, public_id, factory_pk), or None when there is none.

    PostgreSQL: the subquery locks the row it picks and skips rows other transactions have
    locked (FOR UPDATE SKIP LOCKED), so concurrent callers each get a different response instead
    of queueing on the first; the outer WHERE repeats the conditions, which PostgreSQL checks
    again on the row as committed. SQLite serialises writers (BEGIN IMMEDIATE), so the one
    statement is atomic there; SQLAlchemy leaves FOR UPDATE out.
    """
    first = (
        select(ResponseRow.pk)
        .join(FactoryRow, FactoryRow.pk == ResponseRow.factory_pk)
        .where(*queue_conditions(f), unclaimed(now))
        .order_by(*QUEUE_ORDER)
        .limit(1)
        .with_for_update(of=ResponseRow, skip_locked=True)
        .scalar_subquery()
    )
    statement = (
        update(ResponseRow)
        .where(ResponseRow.pk == first, ResponseRow.state == ResponseState.SUBMITTED.value, unclaimed(now))
        .values(claimed_by_pk=user_pk, claim_expires_at=until)
        .returning(ResponseRow.pk, ResponseRow.public_id, ResponseRow.factory_pk)
    )
    row = (await session.exec(statement)).first()
    return tuple(row) if row is not None else None
