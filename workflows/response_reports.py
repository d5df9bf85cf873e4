"""Reports from the public: anyone reports a response the public sees now (domain/response_reports.py).

One transaction per call. The reporter's attempts are counted first (every call that gets that
far counts, refused ones too, so that probing ids costs the same as reporting), under a lock per
reporter so that two calls at once cannot both pass the cap; then the response is checked and
the report added once per reporter, with its audit event (kind REPORT, no actor) and bus events.
A refusal after the count is raised once the count has committed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from ..domain.access import Principal
from ..domain.errors import RATE_LIMITED, BadUserInput, NotFound, PortalError
from ..domain.events import report_events
from ..domain.moderation import Action, ResponseState, check_role, step
from ..domain.response_reports import (
    MAX_REPORT_TEXT,
    NOT_REPORTABLE,
    REPORT_WINDOW,
    ReportFlag,
    ReportReason,
    reporter_hash,
)
from ..domain.responses import is_public
from ..storage import response_reports as reports
from ..storage import response_steps as steps
from ..storage import responses as reads
from ..storage.db import Sessions, write_transaction
from ..storage.event_bus import EventBus, publish
from .responses import utc_now
from .screening import screen


class TooManyReports(PortalError):
    """A reporter has made as many reports in the window as the cap allows."""

    code = RATE_LIMITED


async def report_response(
    sessions: Sessions,
    principal: Principal | None,
    client_key: str,
    public_id: str,
    *,
    reason: ReportReason,
    text: str | None,
    per_hour: int,
    clock: Callable[[], datetime] = utc_now,
    bus: EventBus | None = None,
) -> None:
    """Report the response `public_id` for `reason`, as the client `client_key` (the request
    limit's key: a valid token's hash, else the address). Returns when the report is received:
    added, or already made by this client before (nothing new then: a client counts once per
    response, and learns nothing about other reporters either way). NOT_FOUND, with one message,
    for anything but a response the public sees now; RATE_LIMITED past `per_hour` attempts in
    the last hour (0: no cap)."""
    role = principal.role if principal is not None else None
    check_role(Action.REPORT, role)
    reporter = reporter_hash(client_key)
    now = clock()
    async with write_transaction(sessions) as session:
        await reports.lock_reporter(session, reporter)
        if per_hour:
            await _count_attempt(session, reporter, now, per_hour)
        refusal = await _report(session, public_id, role, reporter, reason, text, now, bus)
    if refusal is not None:
        raise refusal


async def _count_attempt(session, reporter: str, now: datetime, per_hour: int) -> None:
    """Counts this attempt, or raises RATE_LIMITED (not counted: the window moves on by itself)
    saying when the oldest attempt of the window leaves it."""
    since = now - REPORT_WINDOW
    await reports.forget_attempts_before(session, since)
    made = await reports.attempts_since(session, reporter, since)
    if len(made) >= per_hour:
        retry_at = made[len(made) - per_hour] + REPORT_WINDOW
        raise TooManyReports(
            f"You have sent {len(made)} reports in the last hour, the most allowed ({per_hour}); you can report "
            f"again from {retry_at:%Y-%m-%d %H:%M:%S} UTC.",
            limit=per_hour,
            retryAt=retry_at.isoformat(),
            retryAfter=max(1, math.ceil((retry_at - now).total_seconds())),
        )
    reports.add_attempt(session, reporter, now)


async def _report(
    session, public_id: str, role, reporter: str, reason: ReportReason, text: str | None, now: datetime,
    bus: EventBus | None,
) -> PortalError | None:  # fmt: skip
    """Adds the report (or finds this reporter's earlier one); the error that refuses it, if any."""
    text = (text or "").strip() or None
    if text is not None and len(text) > MAX_REPORT_TEXT:
        return BadUserInput(
            f"A report's text may have at most {MAX_REPORT_TEXT} characters.", argument="text", max=MAX_REPORT_TEXT
        )
    record = await steps.record_by_public_id(session, public_id)
    if record is None:
        return NotFound(NOT_REPORTABLE, id=public_id)
    record = replace(record, state=ResponseState(await reports.lock_response_state(session, record.pk)))
    if not is_public(record, await reads.current_assessment_of(session, record.factory_pk, now.date())):
        return NotFound(NOT_REPORTABLE, id=public_id)
    transition = step(Action.REPORT, record.state, role)
    first = not await reports.open_count(session, record.pk)
    added = await reports.add_report(
        session, record.pk, reason=reason, text=text, flags=await _screened(session, text, record.country),
        reporter_hash=reporter, at=now,
    )  # fmt: skip
    if added:
        # Who reported is not kept in the audit trail either: the event has no actor.
        steps.add_step_event(session, record.pk, transition, None, now)
        await publish(bus, session, report_events(transition, record.pk, record.factory_pk, first=first))
    return None


async def _screened(session, text: str | None, country: str) -> list[ReportFlag]:
    """What screening finds in a report's text, as it screens responses (the factory's country
    and languages): for moderators, who read reports too."""
    if text is None:
        return []
    languages = await steps.country_languages(session, country)
    return [
        ReportFlag(f.kind.value, f.start, f.end, f.match, f.language)
        for f in screen(text, [], country=country, languages=languages)
    ]
