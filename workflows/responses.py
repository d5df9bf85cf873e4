"""Submitting a response, and what every use-case of responses shares (limits, time, errors).

The moderation steps after submission are in `workflows/moderation.py`. Each use-case owns its
transaction; who may take which step is `domain.moderation.step` (the table), and the SQL is in
`storage/response_steps.py`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ..domain.access import Principal, require_factory, require_user
from ..domain.errors import RATE_LIMITED, BadUserInput, Conflict, PortalError
from ..domain.events import step_events
from ..domain.moderation import Action, ResponseState, check_role, step
from ..domain.publication import PublicFactory
from ..domain.responses import MAX_TEXT, ResponseRecord
from ..storage import response_steps as steps
from ..storage import responses as repo
from ..storage.db import Sessions, write_transaction
from ..storage.event_bus import EventBus, publish
from ..storage.objects import ObjectStore, object_key
from ..storage.tables.public import PublicFactoryRow
from ..storage.tables.record import AssessmentRow
from .attachments import clean_in_turn
from .screening import screen, severity


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


@dataclass(frozen=True)
class Limits:
    max_files: int = 5
    max_file_bytes: int = 10 * 1024 * 1024
    claim: timedelta = timedelta(minutes=15)
    # Files cleaned at once in this process (workflows/attachments/cleaning.py: clean_in_turn).
    max_decodes: int = 2
    # Responses one factory may submit in any 24 hours; 0: no quota.
    responses_per_day: int = 20
    # Reports from the public one client may send in any hour, refused ones included; 0: no cap.
    reports_per_hour: int = 20


QUOTA_WINDOW = timedelta(hours=24)


class QuotaExceeded(PortalError):
    """A factory has submitted as many responses as its quota allows in the window."""

    code = RATE_LIMITED


def utc_now() -> datetime:
    return datetime.now(UTC)


async def reload(sessions: Sessions, public_id: str) -> ResponseRecord:
    """The response as committed, read in a fresh session after the use-case's transaction."""
    async with sessions() as session:
        return (await repo.records_by_public_id(session, [public_id]))[public_id]


async def submit_response(
    sessions: Sessions,
    store: ObjectStore,
    principal: Principal | None,
    *,
    assessment_id: str,
    question_id: str | None,
    text: str,
    uploads: Sequence[Upload],
    limits: Limits,
    clock: Callable[[], datetime] = utc_now,
    bus: EventBus | None = None,
    revises: str | None = None,
) -> ResponseRecord:
    """A supplier answers its factory's current published assessment, or one finding of it;
    `revises` (a response's public id) links it to a removed response of the factory to the
    same assessment, which it replaces in the factory's eyes (BAD_USER_INPUT otherwise).

    Files are decoded only once the supplier is known to own the assessment (and within its
    quota): the checks run on a read first, then the files are cleaned, then the write
    transaction checks everything again, since anything may have changed meanwhile.
    """
    principal = require_user(principal)
    check_role(Action.SUBMIT, principal.role)
    text = text.strip()
    _check_input(text, uploads, limits)
    if uploads:
        async with sessions() as session:
            now = clock()
            assessment, _public = await _answerable(session, principal, assessment_id, question_id, now)
            await _revised(session, assessment, revises)
            await _within_quota(session, assessment.factory_pk, now, limits.responses_per_day)
    # A refused file stops everything before anything is written.
    files = [await clean_in_turn(u.data, u.filename, at_once=limits.max_decodes) for u in uploads]

    # The cleaned files are stored before any row refers to them, outside the transaction (a
    # slow store holds no database lock). Whatever fails from here, they stay: another request
    # may commit a row for the same content meanwhile, so only the sweep, which asks the
    # database, removes objects no row refers to (storage/objects/__init__.py).
    for file in files:
        await store.put(object_key(file.sha256, file.extension), file.content)

    now = clock()  # cleaning may have waited its turn
    async with write_transaction(sessions) as session:
        assessment, public = await _answerable(session, principal, assessment_id, question_id, now)
        revises_pk = await _revised(session, assessment, revises)
        await _within_quota(session, assessment.factory_pk, now, limits.responses_per_day, lock=True)
        languages = await steps.country_languages(session, public.country_code)
        flags = screen(text, [f.original_name for f in files], country=public.country_code, languages=languages)
        transition = step(Action.SUBMIT, None, principal.role)
        response = await steps.add_response(
            session, factory_pk=assessment.factory_pk, assessment_pk=assessment.pk, question_id=question_id,
            author_pk=principal.user_pk, text=text, state=transition.target, posted_at=now,
            severity=severity(flags), revises_pk=revises_pk,
        )  # fmt: skip
        steps.add_step_event(session, response.pk, transition, principal.user_pk, now)
        await publish(bus, session, step_events(transition, response.pk, assessment.factory_pk))
        steps.add_flags(
            session, response.pk,
            (repo.Flag(f.kind.value, f.source, f.start, f.end, f.match, f.language) for f in flags),
        )  # fmt: skip
        for position, file in enumerate(files):
            steps.add_attachment(
                session, response.pk, position, sha256=file.sha256, extension=file.extension,
                content_type=file.content_type, size=file.size, original_name=file.original_name,
            )  # fmt: skip
        public_id = response.public_id
    return await reload(sessions, public_id)


def _check_input(text: str, uploads: Sequence[Upload], limits: Limits) -> None:
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


async def _answerable(
    session, principal: Principal, assessment_id: str, question_id: str | None, now: datetime
) -> tuple[AssessmentRow, PublicFactoryRow]:
    """The assessment, if it is the principal's factory's current one (and the finding one of
    its public findings); FORBIDDEN for another factory's or an unknown id, else CONFLICT."""
    assessment = await steps.assessment_by_source_id(session, assessment_id)
    require_factory(principal, assessment.factory_pk if assessment else None)
    public = await steps.current_public_factory(session, assessment.factory_pk, now.date())
    if public is None or public.latest_assessment != assessment_id:
        raise Conflict("Only the factory's current published assessment can be answered.", argument="assessmentId")
    if question_id is not None:
        findings = PublicFactory.assessment_from_document(public.document).findings
        if question_id not in {f.question_id for f in findings}:
            raise BadUserInput("That finding is not one of this assessment's public findings.", argument="findingId")
    return assessment, public


async def _revised(session, assessment: AssessmentRow, revises: str | None) -> int | None:
    """The key of the response `revises` names: a removed response of the same factory to the
    same assessment. BAD_USER_INPUT (argument `revises`) otherwise; another factory's id gets
    the answer of an id that never existed."""
    if revises is None:
        return None
    record = await steps.record_by_public_id(session, revises)
    if record is None or record.factory_pk != assessment.factory_pk:
        raise BadUserInput("No response of your factory has this id.", argument="revises")
    if record.state is not ResponseState.REMOVED or record.assessment_source_id != assessment.source_id:
        raise BadUserInput(
            "A response can revise only a removed response to the same assessment.", argument="revises"
        )
    return record.pk


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
