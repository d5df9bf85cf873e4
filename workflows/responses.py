"""Use-cases of supplier responses and their moderation; each owns its transaction.

Every state change goes through `domain.moderation.decide` (the transition table) and an
`UPDATE ... WHERE version = <the version the actor saw>`, with its audit event in the same
transaction: two moderators can never both decide one response.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from ..domain.access import NOT_YOURS, Principal, require_factory, require_role
from ..domain.errors import RATE_LIMITED, BadUserInput, Conflict, Forbidden, NotFound, PortalError
from ..domain.moderation import (
    EVENT_OF_ACTION,
    Action,
    Actor,
    EventKind,
    RemovalReason,
    ResponseState,
    Role,
    decide,
)
from ..domain.publication import PublicFactory
from ..domain.responses import MAX_TEXT, ResponseRecord
from ..storage import responses as repo
from ..storage.db import Sessions, write_transaction
from ..storage.projection import bump_data_version
from ..storage.public_reads import visible
from ..storage.tables import AssessmentRow, AttachmentRow, CountryRow, PublicFactoryRow, ResponseFlagRow, ResponseRow
from .attachments import CleanFile, FileStore, clean_in_turn
from .screening import screen, severity

MAX_NOTE = 2000


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


@dataclass(frozen=True)
class Limits:
    max_files: int = 5
    max_file_bytes: int = 10 * 1024 * 1024
    claim: timedelta = timedelta(minutes=15)
    # Files cleaned at once in this process (workflows/attachments.py: clean_in_turn).
    max_decodes: int = 2
    # Responses one factory may submit in any 24 hours; 0: no quota.
    responses_per_day: int = 20


QUOTA_WINDOW = timedelta(hours=24)


class QuotaExceeded(PortalError):
    """A factory has submitted as many responses as its quota allows in the window."""

    code = RATE_LIMITED


def _now() -> datetime:
    return datetime.now(UTC)


def _new_public_id() -> str:
    return secrets.token_hex(12)


async def submit_response(
    sessions: Sessions,
    store: FileStore,
    principal: Principal | None,
    *,
    assessment_id: str,
    question_id: str | None,
    text: str,
    uploads: Sequence[Upload],
    limits: Limits,
) -> ResponseRecord:
    """A supplier answers its factory's current published assessment, or one finding of it.

    Files are decoded only once the supplier is known to own the assessment (and within its
    quota): the checks run on a read first, then the files are cleaned, then the write
    transaction checks everything again, since anything may have changed meanwhile.
    """
    principal = require_role(principal, Role.SUPPLIER)
    text = text.strip()
    if len(text) > MAX_TEXT:
        raise BadUserInput(f"The text may have at most {MAX_TEXT} characters.", argument="text", max=MAX_TEXT)
    if not text and not uploads:
        raise BadUserInput("A response needs a text or an attachment.", argument="text")
    if len(uploads) > limits.max_files:
        raise BadUserInput(f"At most {limits.max_files} attachments.", argument="attachments", max=limits.max_files)
    for upload in uploads:
        if len(upload.data) > limits.max_file_bytes:
            raise BadUserInput(
                f"{upload.filename!r} is larger than {limits.max_file_bytes} bytes.",
                argument="attachments", max=limits.max_file_bytes,
            )
    if uploads:
        async with sessions() as session:
            now = _now()
            assessment, _public = await _answerable(session, principal, assessment_id, question_id, now)
            await _within_quota(session, assessment.factory_pk, now, limits.responses_per_day)
    # A refused file stops everything before anything is written.
    files = [await clean_in_turn(u.data, u.filename, at_once=limits.max_decodes) for u in uploads]

    now = _now()  # cleaning may have waited its turn
    created: list[Path] = []
    try:
        async with write_transaction(sessions) as session:
            assessment, public = await _answerable(session, principal, assessment_id, question_id, now)
            await _within_quota(session, assessment.factory_pk, now, limits.responses_per_day, lock=True)
            languages = (
                await session.exec(select(CountryRow.languages).where(CountryRow.code == public.country_code))
            ).scalar_one()
            flags = screen(text, [f.original_name for f in files], country=public.country_code, languages=languages)
            response = ResponseRow(
                public_id=_new_public_id(),
                factory_pk=assessment.factory_pk,
                assessment_pk=assessment.pk,
                question_id=question_id,
                author_pk=principal.user_pk,
                text=text,
                state=ResponseState.SUBMITTED.value,
                version=1,
                posted_at=now,
                severity=severity(flags),
            )
            session.add(response)
            await session.flush()
            repo.add_event(session, response.pk, EventKind.SUBMIT, principal.user_pk, now, to_state=ResponseState.SUBMITTED)
            for flag in flags:
                session.add(
                    ResponseFlagRow(
                        response_pk=response.pk, kind=flag.kind.value, source=flag.source, start=flag.start,
                        end=flag.end, match=flag.match, language=flag.language,
                    )
                )
            for position, file in enumerate(files):
                path, is_new = await store.put(file)
                if is_new:
                    created.append(path)
                session.add(_attachment_row(response.pk, position, file))
            public_id = response.public_id
    except BaseException:
        # Files go with their rows: whatever this request wrote, it takes back, unless a
        # request that committed meanwhile stored the same content (files are shared by hash).
        await _discard_unreferenced(sessions, store, created, files)
        raise
    async with sessions() as session:
        return (await repo.records_by_public_id(session, [public_id]))[public_id]


async def _answerable(
    session, principal: Principal, assessment_id: str, question_id: str | None, now: datetime
) -> tuple[AssessmentRow, PublicFactoryRow]:
    """The assessment, if it is the principal's factory's current one (and the finding one of
    its public findings); FORBIDDEN for another factory's or an unknown id, else CONFLICT."""
    assessment = (
        await session.exec(select(AssessmentRow).where(AssessmentRow.source_id == assessment_id))
    ).scalar_one_or_none()
    require_factory(principal, assessment.factory_pk if assessment else None)
    current = await session.exec(
        select(PublicFactoryRow).where(PublicFactoryRow.factory_pk == assessment.factory_pk, visible(now.date()))
    )
    public = current.scalar_one_or_none()
    if public is None or public.latest_assessment != assessment_id:
        raise Conflict("Only the factory's current published assessment can be answered.", argument="assessmentId")
    if question_id is not None:
        findings = PublicFactory.assessment_from_document(public.document).findings
        if question_id not in {f.question_id for f in findings}:
            raise BadUserInput("That finding is not one of this assessment's public findings.", argument="findingId")
    return assessment, public


async def _within_quota(session, factory_pk: int, now: datetime, per_day: int, *, lock: bool = False) -> None:
    """RATE_LIMITED when the factory has posted `per_day` responses in the last 24 hours,
    saying when the oldest of those leaves the window."""
    if not per_day:
        return
    posted = await repo.posted_since(session, factory_pk, now - QUOTA_WINDOW, lock=lock)
    if len(posted) < per_day:
        return
    # The moment enough of them have left the window for one more.
    retry_at = posted[len(posted) - per_day] + QUOTA_WINDOW
    raise QuotaExceeded(
        f"This factory has submitted {len(posted)} responses in the last 24 hours, the most allowed "
        f"({per_day}); it can submit again from {retry_at:%Y-%m-%d %H:%M:%S} UTC.",
        limit=per_day,
        retryAt=retry_at.isoformat(),
        retryAfter=max(1, math.ceil((retry_at - now).total_seconds())),
    )


async def _discard_unreferenced(sessions: Sessions, store: FileStore, created: list[Path], files: list[CleanFile]) -> None:
    if not created:
        return
    async with sessions() as session:
        in_use = await repo.hashes_in_use(session, [f.sha256 for f in files])
    keep = {store.path_for(f.sha256, f.extension) for f in files if f.sha256 in in_use}
    await store.discard([path for path in created if path not in keep])


def _attachment_row(response_pk: int, position: int, file: CleanFile) -> AttachmentRow:
    return AttachmentRow(
        public_id=_new_public_id(),
        response_pk=response_pk,
        position=position,
        sha256=file.sha256,
        extension=file.extension,
        content_type=file.content_type,
        size=file.size,
        original_name=file.original_name,
    )


async def _record(session, public_id: str) -> ResponseRecord | None:
    return (await repo.records_by_public_id(session, [public_id])).get(public_id)


async def _existing_record(session, public_id: str) -> ResponseRecord:
    """For moderators, who may see every response: an unknown id is simply not found."""
    record = await _record(session, public_id)
    if record is None:
        raise NotFound("There is no response with this id.", id=public_id)
    return record


async def _reload(sessions: Sessions, public_id: str) -> ResponseRecord:
    async with sessions() as session:
        return (await repo.records_by_public_id(session, [public_id]))[public_id]


def _conflict(record: ResponseRecord, message: str, **details) -> Conflict:
    return Conflict(message, state=record.state.value, version=record.version, **details)


async def decide_response(
    sessions: Sessions,
    principal: Principal | None,
    public_id: str,
    *,
    action: Action,
    version: int,
    reason: RemovalReason | None = None,
    note: str | None = None,
) -> ResponseRecord:
    """A moderator approves or removes the version of a response they saw."""
    principal = require_role(principal, Role.MODERATOR)
    note = _check_note(note)
    now = _now()
    async with write_transaction(sessions) as session:
        record = await _existing_record(session, public_id)
        if record.version != version:
            raise _conflict(record, "The response changed since you saw it: look again before deciding.")
        if record.claimed_by_other(principal.user_pk, now):
            raise _conflict(
                record, "Another moderator has claimed this response.", claimedUntil=record.claim_expires_at.isoformat()
            )
        try:
            decision = decide(action, record.state, Actor.MODERATOR, reason)
        except Conflict as refused:
            raise _conflict(record, refused.message) from None
        target = decision.transition.target
        if not await repo.guarded_update(
            session,
            record.pk,
            [ResponseRow.version == version, repo.unclaimed_or_mine(principal.user_pk, now)],
            state=target.value,
            version=version + 1,
            removal_reason=decision.reason.value if decision.reason else None,
            claimed_by_pk=None,
            claim_expires_at=None,
        ):
            # Another decision committed between our read and our write.
            raise _conflict(await _record(session, public_id), "Another moderator decided this response first.")
        repo.add_event(
            session, record.pk, EVENT_OF_ACTION[action], principal.user_pk, now,
            from_state=record.state, to_state=target, reason=decision.reason, note=note,
        )
        if ResponseState.APPROVED in (record.state, target):
            await bump_data_version(session)
    return await _reload(sessions, public_id)


async def withdraw_response(sessions: Sessions, principal: Principal | None, public_id: str) -> ResponseRecord:
    """The author takes back a response nobody has decided yet."""
    principal = require_role(principal, Role.SUPPLIER)
    now = _now()
    async with write_transaction(sessions) as session:
        record = await _record(session, public_id)
        if record is None or record.author_pk != principal.user_pk or record.factory_pk != principal.factory_pk:
            raise Forbidden(NOT_YOURS)
        try:
            decision = decide(Action.WITHDRAW, record.state, Actor.AUTHOR)
        except Conflict as refused:
            raise _conflict(record, refused.message) from None
        if not await repo.guarded_update(
            session, record.pk, [ResponseRow.version == record.version],
            state=decision.transition.target.value, version=record.version + 1,
            removal_reason=decision.reason.value, claimed_by_pk=None, claim_expires_at=None,
        ):
            raise _conflict(await _record(session, public_id), "The response was decided meanwhile.")
        repo.add_event(
            session, record.pk, EventKind.WITHDRAW, principal.user_pk, now,
            from_state=record.state, to_state=decision.transition.target, reason=decision.reason,
        )
    return await _reload(sessions, public_id)


async def claim_response(
    sessions: Sessions, principal: Principal | None, public_id: str, *, limits: Limits
) -> ResponseRecord:
    """Hold a submitted response for `limits.claim`, so other moderators leave it alone."""
    principal = require_role(principal, Role.MODERATOR)
    now = _now()
    async with write_transaction(sessions) as session:
        record = await _existing_record(session, public_id)
        if record.state is not ResponseState.SUBMITTED:
            raise _conflict(record, "Only a submitted response can be claimed.")
        if not await repo.guarded_update(
            session, record.pk,
            [ResponseRow.state == ResponseState.SUBMITTED.value, repo.unclaimed_or_mine(principal.user_pk, now)],
            claimed_by_pk=principal.user_pk, claim_expires_at=now + limits.claim,
        ):
            current = await _record(session, public_id)
            raise _conflict(
                current, "Another moderator has claimed this response.",
                claimedUntil=current.claim_expires_at.isoformat() if current.claim_expires_at else None,
            )
        repo.add_event(session, record.pk, EventKind.CLAIM, principal.user_pk, now)
    return await _reload(sessions, public_id)


async def release_response(sessions: Sessions, principal: Principal | None, public_id: str) -> ResponseRecord:
    principal = require_role(principal, Role.MODERATOR)
    now = _now()
    async with write_transaction(sessions) as session:
        record = await _existing_record(session, public_id)
        if not await repo.guarded_update(
            session, record.pk, [ResponseRow.claimed_by_pk == principal.user_pk],
            claimed_by_pk=None, claim_expires_at=None,
        ):
            raise _conflict(record, "You hold no claim on this response.")
        repo.add_event(session, record.pk, EventKind.RELEASE, principal.user_pk, now)
    return await _reload(sessions, public_id)


async def add_note(sessions: Sessions, principal: Principal | None, public_id: str, text: str) -> ResponseRecord:
    principal = require_role(principal, Role.MODERATOR)
    note = _check_note(text)
    if not note:
        raise BadUserInput("A note needs text.", argument="text")
    async with write_transaction(sessions) as session:
        record = await _existing_record(session, public_id)
        repo.add_event(session, record.pk, EventKind.NOTE, principal.user_pk, _now(), note=note)
    return await _reload(sessions, public_id)


def _check_note(note: str | None) -> str | None:
    if note is None:
        return None
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise BadUserInput(f"A note may have at most {MAX_NOTE} characters.", argument="note", max=MAX_NOTE)
    return note or None
