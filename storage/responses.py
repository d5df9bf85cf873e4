"""Reads of responses: the records with their attachments, screening flags and audit trail, an
attachment with its response, and what submitting checks (recent posts, hashes in use).
The guarded writes are in `response_steps`, the moderation queue in `moderation_queue`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import aliased
from sqlmodel.ext.asyncio.session import AsyncSession

from ..domain.moderation import EventKind, RemovalReason, ResponseState
from ..domain.responses import PUBLIC_STATE, AttachmentInfo, ResponseRecord
from .batches import chunks
from .public_factories import factories_by_pk
from .tables.record import AssessmentRow, FactoryRow
from .tables.supplier_responses import AttachmentRow, ResponseEventRow, ResponseFlagRow, ResponseRow
from .tables.users import UserRow


# The removed response a response revises (`revises_pk`), for its public id.
_Revised = aliased(ResponseRow, name="revised")


def select_records():
    return (
        select(ResponseRow, FactoryRow.source_id, FactoryRow.country_code, AssessmentRow.source_id, _Revised.public_id)
        .join(FactoryRow, FactoryRow.pk == ResponseRow.factory_pk)
        .join(AssessmentRow, AssessmentRow.pk == ResponseRow.assessment_pk)
        .outerjoin(_Revised, _Revised.pk == ResponseRow.revises_pk)
    )


async def read_records(session: AsyncSession, statement) -> list[ResponseRecord]:
    rows = (await session.exec(statement)).all()
    attachments = await _attachments(session, [r.pk for r, *_ in rows])
    return [
        ResponseRecord(
            pk=r.pk,
            public_id=r.public_id,
            factory_pk=r.factory_pk,
            factory_source_id=factory,
            country=country,
            assessment_source_id=assessment,
            question_id=r.question_id,
            author_pk=r.author_pk,
            text=r.text,
            state=ResponseState(r.state),
            version=r.version,
            posted_at=r.posted_at,
            severity=r.severity,
            removal_reason=RemovalReason(r.removal_reason) if r.removal_reason else None,
            claimed_by_pk=r.claimed_by_pk,
            claim_expires_at=r.claim_expires_at,
            attachments=tuple(attachments.get(r.pk, ())),
            explanation=r.explanation,
            revises_public_id=revised,
        )
        for r, factory, country, assessment, revised in rows
    ]


async def _attachments(session: AsyncSession, response_pks: Sequence[int]) -> dict[int, list[AttachmentInfo]]:
    found: dict[int, list[AttachmentInfo]] = defaultdict(list)
    for part in chunks(list(response_pks)):
        rows = await session.exec(
            select(AttachmentRow).where(AttachmentRow.response_pk.in_(part)).order_by(AttachmentRow.position)
        )
        for a in rows.scalars():
            found[a.response_pk].append(
                AttachmentInfo(a.public_id, a.content_type, a.size, a.sha256, a.extension, a.original_name)
            )
    return found


async def records_by_public_id(session: AsyncSession, public_ids: Sequence[str]) -> dict[str, ResponseRecord]:
    found: dict[str, ResponseRecord] = {}
    for part in chunks(list(public_ids)):
        for record in await read_records(session, select_records().where(ResponseRow.public_id.in_(part))):
            found[record.public_id] = record
    return found


async def approved_for_assessments(
    session: AsyncSession, assessment_source_ids: Sequence[str]
) -> dict[str, list[ResponseRecord]]:
    """Approved responses per assessment, oldest first (public only for an assessment that is
    current today: callers pass public assessments)."""
    found: dict[str, list[ResponseRecord]] = defaultdict(list)
    for part in chunks(list(assessment_source_ids)):
        statement = (
            select_records()
            .where(AssessmentRow.source_id.in_(part), ResponseRow.state == PUBLIC_STATE.value)
            .order_by(ResponseRow.posted_at, ResponseRow.pk)
        )
        for record in await read_records(session, statement):
            found[record.assessment_source_id].append(record)
    return found


async def current_assessment_of(session: AsyncSession, factory_pk: int, today: date) -> str | None:
    """The assessment the public sees of this factory today, if the factory is public: what
    `domain.responses.is_public` / `may_see` compare a response's assessment with."""
    public = (await factories_by_pk(session, [factory_pk], today)).get(factory_pk)
    return public.latest.source_id if public is not None else None


@dataclass(frozen=True)
class Flag:
    kind: str
    source: str
    start: int
    end: int
    match: str
    language: str | None


@dataclass(frozen=True)
class Event:
    kind: EventKind
    from_state: ResponseState | None
    to_state: ResponseState | None
    # None: the public (a report, whose reporter is not kept).
    actor_name: str | None
    actor_role: str | None
    at: datetime
    reason: RemovalReason | None
    note: str | None
    # The event's key and its response's public id (the moderation log pages and links by them).
    pk: int | None = None
    response_public_id: str | None = None
    actor_pk: int | None = None


async def flags_of(session: AsyncSession, response_pks: Sequence[int]) -> dict[int, list[Flag]]:
    found: dict[int, list[Flag]] = defaultdict(list)
    for part in chunks(list(response_pks)):
        rows = await session.exec(
            select(ResponseFlagRow).where(ResponseFlagRow.response_pk.in_(part)).order_by(ResponseFlagRow.pk)
        )
        for f in rows.scalars():
            found[f.response_pk].append(Flag(f.kind, f.source, f.start, f.end, f.match, f.language))
    return found


async def events_of(session: AsyncSession, response_pks: Sequence[int]) -> dict[int, list[Event]]:
    found: dict[int, list[Event]] = defaultdict(list)
    for part in chunks(list(response_pks)):
        rows = await session.exec(
            select_events()
            .where(ResponseEventRow.response_pk.in_(part))
            .order_by(ResponseEventRow.at, ResponseEventRow.pk)
        )
        for row in rows.all():
            found[row[0].response_pk].append(event_of(row))
    return found


def select_events():
    """Audit events with their actor's name and role and their response's public id."""
    return (
        select(ResponseEventRow, UserRow.name, UserRow.role, ResponseRow.public_id)
        .join(ResponseRow, ResponseRow.pk == ResponseEventRow.response_pk)
        .outerjoin(UserRow, UserRow.pk == ResponseEventRow.actor_pk)
    )


def event_of(row) -> Event:
    """An `Event` from a row of `select_events()`."""
    e, name, role, response_public_id = row
    return Event(
        kind=EventKind(e.kind),
        from_state=ResponseState(e.from_state) if e.from_state else None,
        to_state=ResponseState(e.to_state) if e.to_state else None,
        actor_name=name,
        actor_role=role,
        at=e.at,
        reason=RemovalReason(e.reason) if e.reason else None,
        note=e.note,
        pk=e.pk,
        response_public_id=response_public_id,
        actor_pk=e.actor_pk,
    )


async def factory_source_id(session: AsyncSession, factory_pk: int) -> str | None:
    return (await session.exec(select(FactoryRow.source_id).where(FactoryRow.pk == factory_pk))).scalar_one_or_none()


async def attachment_and_response(
    session: AsyncSession, attachment_public_id: str
) -> tuple[AttachmentInfo, ResponseRecord] | None:
    row = (
        await session.exec(
            select(AttachmentRow, ResponseRow.public_id)
            .join(ResponseRow, ResponseRow.pk == AttachmentRow.response_pk)
            .where(AttachmentRow.public_id == attachment_public_id)
        )
    ).first()
    if row is None:
        return None
    attachment, response_id = row
    record = (await records_by_public_id(session, [response_id]))[response_id]
    info = next(a for a in record.attachments if a.public_id == attachment.public_id)
    return info, record


async def hashes_in_use(session: AsyncSession, sha256s: Sequence[str]) -> set[str]:
    rows = await session.exec(select(AttachmentRow.sha256).where(AttachmentRow.sha256.in_(list(sha256s))).distinct())
    return set(rows.scalars())


async def posted_since(session: AsyncSession, factory_pk: int, since: datetime, *, lock: bool = False) -> list[datetime]:
    """When the factory's responses posted since `since` were posted, oldest first.

    `lock` (in a write transaction): the factory's row is locked first, so that concurrent
    submissions of one factory, in any process, count one after the other (PostgreSQL's
    `FOR UPDATE`; SQLite's writer holds the whole database already, and SQLAlchemy leaves the
    clause out there).
    """
    if lock:
        await session.exec(select(FactoryRow.pk).where(FactoryRow.pk == factory_pk).with_for_update())
    rows = await session.exec(
        select(ResponseRow.posted_at)
        .where(ResponseRow.factory_pk == factory_pk, ResponseRow.posted_at >= since)
        .order_by(ResponseRow.posted_at)
    )
    return list(rows.scalars())
