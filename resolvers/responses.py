"""Responses and moderation: GraphQL arguments in, workflow calls, records out."""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from enum import Enum

from ..domain.access import Principal, require_role
from ..domain.errors import BadUserInput, PortalError
from ..domain.moderation import Action, RemovalReason, Role
from ..domain.response_reports import ReportReason
from ..domain.responses import ResponseRecord
from ..storage import moderation_queue
from ..storage import responses as repo
from ..storage.db import Sessions
from ..storage.event_bus import EventBus
from ..storage.moderation_queue import QueueFilter
from ..workflows import moderation as workflow
from ..storage.objects import ObjectStore
from ..workflows.response_reports import report_response
from ..workflows.responses import Limits, Upload, submit_response
from . import cursors
from .ids import node_key, to_global
from .paging import keyset_page


async def read_uploads(files) -> list[Upload]:
    """Starlette's spooled uploads (already bounded by the upload guard) as bytes."""
    return [Upload(filename=f.filename or "attachment", data=await f.read()) for f in files or ()]


def response_key(global_id: str) -> str:
    return node_key(global_id, "Response")


async def submit(
    sessions: Sessions, store: ObjectStore, limits: Limits, principal: Principal | None, clock: Callable[[], datetime],
    *, assessment_id: str, finding_id: str | None, text: str, files, bus: EventBus | None = None,
    revises: str | None = None,
) -> ResponseRecord:
    assessment = node_key(assessment_id, "Assessment", "assessmentId")
    revised = node_key(revises, "Response", "revises") if revises is not None else None
    question = None
    if finding_id is not None:
        finding_assessment, _, question = node_key(finding_id, "Finding", "findingId").partition("/")
        if finding_assessment != assessment:
            raise BadUserInput("The finding belongs to another assessment.", argument="findingId")
    return await submit_response(
        sessions, store, principal, assessment_id=assessment, question_id=question, text=text,
        uploads=await read_uploads(files), limits=limits, clock=clock, bus=bus, revises=revised,
    )


async def approve(
    sessions: Sessions, principal, response_id: str, version: int, note: str | None, *, bus: EventBus | None = None
) -> ResponseRecord:
    return await workflow.decide_response(
        sessions, principal, response_key(response_id), action=Action.APPROVE, version=version, note=note, bus=bus
    )


async def remove(
    sessions: Sessions, principal, response_id: str, version: int, reason: RemovalReason, note: str | None,
    *, explanation: str | None = None, bus: EventBus | None = None,
) -> ResponseRecord:
    return await workflow.decide_response(
        sessions, principal, response_key(response_id), action=Action.REMOVE, version=version, reason=reason,
        note=note, explanation=explanation, bus=bus,
    )  # fmt: skip


async def withdraw(sessions: Sessions, principal, response_id: str, *, bus: EventBus | None = None) -> ResponseRecord:
    return await workflow.withdraw_response(sessions, principal, response_key(response_id), bus=bus)


async def claim(
    sessions: Sessions, principal, limits: Limits, response_id: str, *, bus: EventBus | None = None
) -> ResponseRecord:
    return await workflow.claim_response(sessions, principal, response_key(response_id), limits=limits, bus=bus)


async def release(sessions: Sessions, principal, response_id: str, *, bus: EventBus | None = None) -> ResponseRecord:
    return await workflow.release_response(sessions, principal, response_key(response_id), bus=bus)


async def note(
    sessions: Sessions, principal, response_id: str, text: str, *, bus: EventBus | None = None
) -> ResponseRecord:
    return await workflow.add_note(sessions, principal, response_key(response_id), text, bus=bus)


async def report(
    sessions: Sessions, principal, client_key: str, limits: Limits, clock: Callable[[], datetime],
    *, response_id: str, reason: ReportReason, text: str | None, bus: EventBus | None = None,
) -> None:  # fmt: skip
    await report_response(
        sessions, principal, client_key, response_key(response_id), reason=reason, text=text,
        per_hour=limits.reports_per_hour, clock=clock, bus=bus,
    )  # fmt: skip


async def dismiss(
    sessions: Sessions, principal, response_id: str, version: int, note: str | None, *, bus: EventBus | None = None
) -> ResponseRecord:
    return await workflow.dismiss_reports(sessions, principal, response_key(response_id), version=version, note=note, bus=bus)


async def claim_next(
    sessions: Sessions, principal, limits: Limits, f: QueueFilter, *, bus: EventBus | None = None
) -> ResponseRecord | None:
    return await workflow.claim_next(sessions, principal, f, limits=limits, bus=bus)


class DecisionAction(Enum):
    APPROVE = "APPROVE"
    REMOVE = "REMOVE"
    DISMISS_REPORTS = "DISMISS_REPORTS"


@dataclass(frozen=True)
class Decision:
    """One item of decideResponses, as the client sent it."""

    id: str  # the response's global id
    version: int
    action: DecisionAction
    reason: RemovalReason | None = None
    note: str | None = None
    explanation: str | None = None


@dataclass(frozen=True)
class DecisionOutcome:
    """The response after the decision; or the error that refused it, with the response as it
    is now when the id names one."""

    decision: Decision
    record: ResponseRecord | None
    error: PortalError | None = None


async def decide_many(
    sessions: Sessions, principal, decisions: Sequence[Decision], *, bus: EventBus | None = None
) -> list[DecisionOutcome]:
    """Each decision in turn, in input order, each in its own transaction: a refused one changes
    nothing and stops nothing."""
    workflow.check_decisions(principal, len(decisions))
    return [await _decide_one(sessions, principal, d, bus) for d in decisions]


async def _decide_one(sessions: Sessions, principal, d: Decision, bus: EventBus | None) -> DecisionOutcome:
    key = None
    try:
        key = response_key(d.id)
        if d.reason is not None and d.action is not DecisionAction.REMOVE:
            raise BadUserInput("A `reason` goes with REMOVE only.", argument="reason")
        if d.explanation is not None and d.action is not DecisionAction.REMOVE:
            raise BadUserInput("An `explanation` goes with REMOVE only.", argument="explanation")
        if d.action is DecisionAction.DISMISS_REPORTS:
            record = await workflow.dismiss_reports(sessions, principal, key, version=d.version, note=d.note, bus=bus)
        else:
            action = Action.APPROVE if d.action is DecisionAction.APPROVE else Action.REMOVE
            record = await workflow.decide_response(
                sessions, principal, key, action=action, version=d.version, reason=d.reason, note=d.note,
                explanation=d.explanation, bus=bus,
            )  # fmt: skip
    except PortalError as error:
        return DecisionOutcome(d, await workflow.current_record(sessions, key) if key else None, error)
    return DecisionOutcome(d, record)


@dataclass(frozen=True)
class QueuePage:
    items: list[tuple[moderation_queue.QueuePosition, ResponseRecord]]
    has_next: bool
    has_previous: bool
    filter: QueueFilter


async def queue_page(
    sessions: Sessions, principal: Principal | None, first: int, after: str | None, f: QueueFilter
) -> QueuePage:
    require_role(principal, Role.MODERATOR)
    page = await keyset_page(
        sessions, first, after, cursors.decode_queue, lambda s, at, limit: moderation_queue.queue_page(s, f, at, limit)
    )
    return QueuePage(*page, f)


async def queue_count(sessions: Sessions, f: QueueFilter) -> int:
    async with sessions() as session:
        return await moderation_queue.queue_count(session, f)


async def queue_stats(sessions: Sessions, principal: Principal | None) -> list[tuple[str, int, datetime]]:
    require_role(principal, Role.MODERATOR)
    async with sessions() as session:
        return await moderation_queue.queue_stats(session)


async def factory_id_of(sessions: Sessions, principal: Principal) -> str | None:
    """The global id of the factory a supplier acts for."""
    if principal.factory_pk is None:
        return None
    async with sessions() as session:
        source_id = await repo.factory_source_id(session, principal.factory_pk)
    return to_global("Factory", source_id) if source_id else None


# A century: anything longer is no age a response can have, and past it dates overflow.
MAX_WAITING_HOURS = 24 * 366 * 100


def waiting_since(now: datetime, hours: float | None) -> datetime | None:
    if hours is None:
        return None
    if not 0 <= hours <= MAX_WAITING_HOURS:
        raise BadUserInput(
            f"`waitingHours` must be between 0 and {MAX_WAITING_HOURS}.", argument="waitingHours", max=MAX_WAITING_HOURS
        )
    return now - timedelta(hours=hours)
