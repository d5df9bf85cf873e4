"""The steps after submission: moderators claim, release, note, approve, remove and dismiss
reports; the author withdraws (the public's reports: workflows/response_reports.py). Each step
owns its transaction.

Who may take a step from which state is `domain.moderation.step` (the table); the role is
checked before anything is read, so that a refused caller learns nothing about the response.
Every state change is an `UPDATE ... WHERE version = <the version the actor saw>`
(`storage/response_steps.py`), with its audit event in the same transaction: two moderators can
never both decide one response. Each step publishes its events (`domain/events.py`) on the event
bus in that transaction too: subscribers hear of it once it has committed.
"""

from __future__ import annotations

from ..domain.access import Principal, require_role, require_user
from ..domain.errors import BadUserInput, Conflict, Forbidden, NotFound
from ..domain.events import reports_closed, step_events
from ..domain.moderation import (
    NOT_YOURS,
    Action,
    RemovalReason,
    ResponseState,
    Role,
    Transition,
    check_role,
    removal_reason,
    step,
)
from ..domain.responses import ResponseRecord
from ..storage import response_reports
from ..storage import response_steps as steps
from ..storage.db import Sessions, write_transaction
from ..storage.event_bus import EventBus, publish
from ..storage.moderation_queue import QueueFilter
from ..storage.projection import bump_factory_version
from ..storage.public_change_writer import record_public_changes
from .responses import Limits, reload, utc_now

MAX_NOTE = 2000
# What a removal tells the factory (`explanation`): a few paragraphs.
MAX_EXPLANATION = 2000
# The decisions that close a response's open reports from the public.
CLOSES_REPORTS = (Action.REMOVE, Action.DISMISS_REPORTS)
# Decisions in one decideResponses call: each is its own transaction, all within one request's
# time budget.
MAX_DECISIONS = 50


async def decide_response(
    sessions: Sessions,
    principal: Principal | None,
    public_id: str,
    *,
    action: Action,
    version: int,
    reason: RemovalReason | None = None,
    note: str | None = None,
    explanation: str | None = None,
    bus: EventBus | None = None,
) -> ResponseRecord:
    """A moderator approves, removes or dismisses the reports of the version of a response they
    saw. A removal or dismissal closes the response's open reports, by its audit event. A
    removal may tell the factory what to change (`explanation`, stored on the response: for the
    factory's users, never the public; the `note` stays in the audit trail)."""
    principal = _may_attempt(principal, action)
    note = _check_note(note)
    explanation = _check_explanation(action, explanation)
    now = utc_now()
    async with write_transaction(sessions) as session:
        record = await _existing_record(session, public_id)
        if record.version != version:
            raise _conflict(record, "The response changed since you saw it: look again before deciding.")
        if record.claimed_by_other(principal.user_pk, now):
            raise _conflict(
                record, "Another moderator has claimed this response.", claimedUntil=record.claim_expires_at.isoformat()
            )
        if action is Action.DISMISS_REPORTS and not await response_reports.open_count(session, record.pk):
            raise _conflict(record, "This response has no open report to dismiss.")
        transition = _step(record, action, principal)
        reason = removal_reason(action, reason)
        if not await steps.move(
            session, record.pk, seen_version=version, target=transition.target, reason=reason,
            unless_claimed_by_other=(principal.user_pk, now), explanation=explanation,
        ):  # fmt: skip
            # Another decision committed between our read and our write.
            raise _conflict(
                await steps.record_by_public_id(session, public_id), "Another moderator decided this response first."
            )
        event = steps.add_step_event(session, record.pk, transition, principal.user_pk, now, reason=reason, note=note)
        events = step_events(transition, record.pk, record.factory_pk)
        closed = await response_reports.close_open(session, record.pk, event) if action in CLOSES_REPORTS else 0
        if closed and action is Action.REMOVE:  # a dismissal's own step event says it
            events.append(reports_closed(record.pk, record.factory_pk, transition.target))
        if transition.changes_public:
            await bump_factory_version(session, record.factory_pk)
            await record_public_changes(session, [record.factory_pk], now)
        await publish(bus, session, events)
    return await reload(sessions, public_id)


async def withdraw_response(
    sessions: Sessions, principal: Principal | None, public_id: str, *, bus: EventBus | None = None
) -> ResponseRecord:
    """The author takes back a response nobody has decided yet."""
    principal = _may_attempt(principal, Action.WITHDRAW)
    now = utc_now()
    async with write_transaction(sessions) as session:
        record = await steps.record_by_public_id(session, public_id)
        if record is None:
            raise Forbidden(NOT_YOURS)
        transition = _step(record, Action.WITHDRAW, principal)
        reason = removal_reason(Action.WITHDRAW, None)
        if not await steps.move(session, record.pk, seen_version=record.version, target=transition.target, reason=reason):
            raise _conflict(await steps.record_by_public_id(session, public_id), "The response was decided meanwhile.")
        steps.add_step_event(session, record.pk, transition, principal.user_pk, now, reason=reason)
        await publish(bus, session, step_events(transition, record.pk, record.factory_pk))
    return await reload(sessions, public_id)


async def claim_response(
    sessions: Sessions, principal: Principal | None, public_id: str, *, limits: Limits, bus: EventBus | None = None
) -> ResponseRecord:
    """Hold a submitted response for `limits.claim`, so other moderators leave it alone."""
    principal = _may_attempt(principal, Action.CLAIM)
    now = utc_now()
    async with write_transaction(sessions) as session:
        record = await _existing_record(session, public_id)
        transition = _step(record, Action.CLAIM, principal)
        if not await steps.claim(
            session, record.pk, in_state=transition.source, user_pk=principal.user_pk, now=now, until=now + limits.claim
        ):
            current = await steps.record_by_public_id(session, public_id)
            raise _conflict(
                current, "Another moderator has claimed this response.",
                claimedUntil=current.claim_expires_at.isoformat() if current.claim_expires_at else None,
            )  # fmt: skip
        steps.add_step_event(session, record.pk, transition, principal.user_pk, now)
        await publish(bus, session, step_events(transition, record.pk, record.factory_pk))
    return await reload(sessions, public_id)


async def claim_next(
    sessions: Sessions, principal: Principal | None, queue: QueueFilter, *, limits: Limits, bus: EventBus | None = None
) -> ResponseRecord | None:
    """Claim the first response of the queue (in its order, under its filter) that nobody holds,
    in one statement (`steps.claim_first`): concurrent callers each get a different one. None
    when none is left. A moderator may hold several claims."""
    principal = _may_attempt(principal, Action.CLAIM)
    now = utc_now()
    async with write_transaction(sessions) as session:
        claimed = await steps.claim_first(session, queue, user_pk=principal.user_pk, now=now, until=now + limits.claim)
        if claimed is None:
            return None
        pk, public_id, factory_pk = claimed
        transition = step(Action.CLAIM, ResponseState.SUBMITTED, principal.role)
        steps.add_step_event(session, pk, transition, principal.user_pk, now)
        await publish(bus, session, step_events(transition, pk, factory_pk))
    return await reload(sessions, public_id)


async def release_response(
    sessions: Sessions, principal: Principal | None, public_id: str, *, bus: EventBus | None = None
) -> ResponseRecord:
    principal = _may_attempt(principal, Action.RELEASE)
    now = utc_now()
    async with write_transaction(sessions) as session:
        record = await _existing_record(session, public_id)
        transition = _step(record, Action.RELEASE, principal)
        if not await steps.release(session, record.pk, principal.user_pk):
            raise _conflict(record, "You hold no claim on this response.")
        steps.add_step_event(session, record.pk, transition, principal.user_pk, now)
        await publish(bus, session, step_events(transition, record.pk, record.factory_pk))
    return await reload(sessions, public_id)


async def add_note(
    sessions: Sessions, principal: Principal | None, public_id: str, text: str, *, bus: EventBus | None = None
) -> ResponseRecord:
    principal = _may_attempt(principal, Action.NOTE)
    note = _check_note(text)
    if not note:
        raise BadUserInput("A note needs text.", argument="text")
    async with write_transaction(sessions) as session:
        record = await _existing_record(session, public_id)
        transition = _step(record, Action.NOTE, principal)
        steps.add_step_event(session, record.pk, transition, principal.user_pk, utc_now(), note=note)
        await publish(bus, session, step_events(transition, record.pk, record.factory_pk))
    return await reload(sessions, public_id)


def check_decisions(principal: Principal | None, count: int) -> None:
    """Before any of a batch of decisions: the caller is a moderator, the batch not too long."""
    require_role(principal, Role.MODERATOR)
    if count > MAX_DECISIONS:
        raise BadUserInput(f"At most {MAX_DECISIONS} decisions at once.", argument="decisions", max=MAX_DECISIONS)


async def dismiss_reports(
    sessions: Sessions, principal: Principal | None, public_id: str, *, version: int, note: str | None = None,
    bus: EventBus | None = None,
) -> ResponseRecord:  # fmt: skip
    """A moderator keeps an approved response and closes its open reports, on the version they
    saw (CONFLICT when it has none, or changed since). Its version moves like every decision's;
    what the public sees does not change. A report that came between the moderator's look and
    this closes with the others (reports do not move the version: the public would see them)."""
    return await decide_response(
        sessions, principal, public_id, action=Action.DISMISS_REPORTS, version=version, note=note, bus=bus
    )


async def current_record(sessions: Sessions, public_id: str) -> ResponseRecord | None:
    """The response as it is now (for a moderator, who may see every one), if it exists."""
    async with sessions() as session:
        return await steps.record_by_public_id(session, public_id)


def _may_attempt(principal: Principal | None, action: Action) -> Principal:
    """UNAUTHENTICATED without a user, FORBIDDEN for a role that never takes `action`."""
    principal = require_user(principal)
    check_role(action, principal.role)
    return principal


def _step(record: ResponseRecord, action: Action, principal: Principal) -> Transition:
    """The table's transition for this principal on this response; a refusal on its state says
    the current state and version."""
    is_author = record.author_pk == principal.user_pk and record.factory_pk == principal.factory_pk
    try:
        return step(action, record.state, principal.role, is_author)
    except Conflict as refused:
        raise _conflict(record, refused.message) from None


async def _existing_record(session, public_id: str) -> ResponseRecord:
    """For moderators, who may see every response: an unknown id is simply not found."""
    record = await steps.record_by_public_id(session, public_id)
    if record is None:
        raise NotFound("There is no response with this id.", id=public_id)
    return record


def _conflict(record: ResponseRecord, message: str, **details) -> Conflict:
    return Conflict(message, state=record.state.value, version=record.version, **details)


def _check_explanation(action: Action, explanation: str | None) -> str | None:
    """A removal's explanation, trimmed (blank: none); BAD_USER_INPUT when too long or given
    with another decision."""
    if explanation is None:
        return None
    if action is not Action.REMOVE:
        raise BadUserInput("An `explanation` goes with a removal only.", argument="explanation")
    explanation = explanation.strip()
    if len(explanation) > MAX_EXPLANATION:
        raise BadUserInput(
            f"An explanation may have at most {MAX_EXPLANATION} characters.", argument="explanation",
            max=MAX_EXPLANATION,
        )  # fmt: skip
    return explanation or None


def _check_note(note: str | None) -> str | None:
    if note is None:
        return None
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise BadUserInput(f"A note may have at most {MAX_NOTE} characters.", argument="note", max=MAX_NOTE)
    return note or None
