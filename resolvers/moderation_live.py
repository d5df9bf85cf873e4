"""The live moderation queue: what the event bus carries (domain/events.py), as the queue events a
moderator subscribes to (`Subscription.moderationEvents`).

A bus event names a response by its key; each subscriber reads the response as it is when the
event arrives (it may have moved on since: the event says what happened, the response what is).
An event is in a queue when the step concerned a response of that queue: ENTERED it (submitted;
its first open report), UPDATED there (claimed, released, noted while submitted; reported again)
or LEFT it (decided, withdrawn; its reports closed by a dismissal or a removal).
When the bus may have lost events (EVERYTHING_CHANGED: its connection dropped, or this
subscriber fell behind), the subscription ends with UNAVAILABLE and `eventsMissed`: the client
subscribes again and reads `moderationQueue`, which is the truth.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from ..domain.access import Principal, require_role
from ..domain.errors import Unavailable
from ..domain.events import BusEvent, BusEventKind
from ..domain.moderation import ResponseState, Role
from ..domain.responses import ResponseRecord
from ..storage import moderation_queue
from ..storage import responses as reads
from ..storage.db import Sessions
from ..storage.event_bus import EventBus
from ..storage.moderation_queue import QueueFilter, QueueName
from ..storage.response_steps import record_by_pk

# A subscriber's token is checked again at its first event after this long: a revoked or expired
# moderator hears nothing more, at most this much later (as the rate limit's VALID_FOR).
RECHECK_AFTER = timedelta(seconds=60)

EVENTS_MISSED = (
    "Some moderation events may have been missed (the server lost its connection to the event bus, "
    "or this subscription fell behind): subscribe again, then read moderationQueue, which is the truth."
)


class QueueEventKind(str, Enum):
    ENTERED = "ENTERED"
    UPDATED = "UPDATED"
    LEFT = "LEFT"


@dataclass(frozen=True)
class QueueEvent:
    kind: QueueEventKind
    queue: QueueName
    record: ResponseRecord
    at: datetime  # when this server heard of it


_KINDS = {
    BusEventKind.RESPONSE_SUBMITTED: QueueEventKind.ENTERED,
    BusEventKind.RESPONSE_CLAIMED: QueueEventKind.UPDATED,
    BusEventKind.RESPONSE_RELEASED: QueueEventKind.UPDATED,
    BusEventKind.RESPONSE_NOTED: QueueEventKind.UPDATED,
    BusEventKind.RESPONSE_DECIDED: QueueEventKind.LEFT,
    BusEventKind.RESPONSE_WITHDRAWN: QueueEventKind.LEFT,
    BusEventKind.RESPONSE_REPORTED: QueueEventKind.ENTERED,
    BusEventKind.REPORT_ADDED: QueueEventKind.UPDATED,
    BusEventKind.REPORTS_CLOSED: QueueEventKind.LEFT,
}
_REPORTED_QUEUE = {BusEventKind.RESPONSE_REPORTED, BusEventKind.REPORT_ADDED, BusEventKind.REPORTS_CLOSED}


async def queue_events(
    sessions: Sessions,
    bus: EventBus | None,
    clock: Callable[[], datetime],
    principal: Callable[[], Awaitable[Principal | None]],
    spec: Callable[[datetime], QueueFilter],
    queues: Collection[QueueName],
) -> AsyncIterator[QueueEvent]:
    """The events of `queues` whose response `spec(now)` selects, for as long as the caller is a
    moderator (`principal()` says who the caller is now; asked again every RECHECK_AFTER).
    Refusals (not a moderator, a bad filter) are raised here, before any event."""
    require_role(await principal(), Role.MODERATOR)
    spec(clock())
    if bus is None:
        raise Unavailable("This server publishes no events.")
    return _queue_events(sessions, bus, clock, principal, spec, queues)


async def _queue_events(
    sessions: Sessions,
    bus: EventBus,
    clock: Callable[[], datetime],
    principal: Callable[[], Awaitable[Principal | None]],
    spec: Callable[[datetime], QueueFilter],
    queues: Collection[QueueName],
) -> AsyncIterator[QueueEvent]:
    checked = clock()
    # Subscribed here, on the first iteration: a stream never iterated leaves nothing registered.
    async with bus.subscribe() as events:
        async for event in events:
            if event.kind is BusEventKind.EVERYTHING_CHANGED:
                raise Unavailable(EVENTS_MISSED, eventsMissed=True)
            kind = _KINDS.get(event.kind)
            if kind is None:
                continue
            now = clock()
            if now - checked >= RECHECK_AFTER:
                require_role(await principal(), Role.MODERATOR)
                checked = now
            found = await _queue_event(sessions, event, kind, spec(now), queues, now)
            if found is not None:
                yield found


async def _queue_event(
    sessions: Sessions, event: BusEvent, kind: QueueEventKind, f: QueueFilter, queues: Collection[QueueName], now: datetime
) -> QueueEvent | None:
    async with sessions() as session:
        record = await record_by_pk(session, event.response_id)
        if record is None:
            return None
        queue = await _queue_of(session, event, record)
        if queue not in queues or not await moderation_queue.passes_filter(session, f, record.pk):
            return None
    return QueueEvent(kind, queue, record, now)


async def _queue_of(session, event: BusEvent, record: ResponseRecord) -> QueueName | None:
    """The queue the step concerned, if any (None: a note on a decided response, say)."""
    if event.kind in _REPORTED_QUEUE:
        return QueueName.REPORTED
    if event.kind is BusEventKind.RESPONSE_DECIDED and event.state is ResponseState.REMOVED:
        # Removed from SUBMITTED (it leaves that queue) or from APPROVED (its REPORTS_CLOSED, when it
        # had open reports, says it left REPORTED): its audit trail says which.
        trail = (await reads.events_of(session, [record.pk])).get(record.pk, [])
        removal = next((e for e in reversed(trail) if e.to_state is ResponseState.REMOVED), None)
        return QueueName.SUBMITTED if removal and removal.from_state is ResponseState.SUBMITTED else None
    if event.kind in (BusEventKind.RESPONSE_DECIDED, BusEventKind.RESPONSE_WITHDRAWN):
        return QueueName.SUBMITTED  # approved or withdrawn: both start from SUBMITTED only
    return QueueName.SUBMITTED if event.state is ResponseState.SUBMITTED else None
