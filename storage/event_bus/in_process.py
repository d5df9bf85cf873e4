"""The bus's interface and subscriptions, and the in-process bus of SQLite (one process): the
session's after-commit hook hands its events to the subscribers; a rollback drops them."""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Iterable

from sqlalchemy import event
from sqlmodel.ext.asyncio.session import AsyncSession

from ...domain.events import EVERYTHING_CHANGED, BusEvent

log = logging.getLogger("transparency_portal.events")

QUEUE_LIMIT = 1000


class Subscription:
    """The events of one subscriber, in commit order: `async with bus.subscribe() as events:
    async for event in events: ...`. Registered from the moment `subscribe()` returns; iteration
    ends when the subscription or its bus is closed."""

    def __init__(self, bus: EventBus, limit: int) -> None:
        self._bus = bus
        self._limit = limit
        self._pending: deque[BusEvent] = deque()
        self._wake = asyncio.Event()
        self._ended = False

    def deliver(self, event: BusEvent) -> None:
        if self._ended:
            return
        if len(self._pending) >= self._limit:
            log.warning("an event subscriber fell %d events behind: it gets EVERYTHING_CHANGED", self._limit)
            self._pending.clear()
            event = EVERYTHING_CHANGED
        self._pending.append(event)
        self._wake.set()

    def end(self) -> None:
        """No more events: iteration stops once those already queued are read."""
        self._ended = True
        self._wake.set()

    def close(self) -> None:
        self._bus._subscriptions.discard(self)
        self._pending.clear()
        self.end()

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> BusEvent:
        while not self._pending:
            if self._ended:
                raise StopAsyncIteration
            self._wake.clear()
            await self._wake.wait()
        return self._pending.popleft()

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(self, *_exc) -> None:
        self.close()


class EventBus(ABC):
    def __init__(self, queue_limit: int = QUEUE_LIMIT) -> None:
        self._queue_limit = queue_limit
        self._subscriptions: set[Subscription] = set()
        self._closed = False

    @abstractmethod
    async def publish(self, session: AsyncSession, events: Iterable[BusEvent]) -> None:
        """Publish `events` as part of `session`'s current transaction: delivered after it
        commits, never if it rolls back."""

    @property
    def listening(self) -> bool:
        """Whether this process hears what commits now (readiness checks)."""
        return not self._closed

    def subscribe(self) -> Subscription:
        subscription = Subscription(self, self._queue_limit)
        if self._closed:
            subscription.end()
        else:
            self._subscriptions.add(subscription)
        return subscription

    async def start(self) -> None:
        """Start listening (nothing to do in process)."""

    async def close(self) -> None:
        """Stop listening and end every subscription (their iterations stop)."""
        self._closed = True
        for subscription in list(self._subscriptions):
            subscription.end()
        self._subscriptions.clear()

    def _fan_out(self, events: Iterable[BusEvent]) -> None:
        for one in events:
            for subscription in list(self._subscriptions):
                subscription.deliver(one)


_PENDING = "portal_bus_events"


class InProcessBus(EventBus):
    """SQLite: one process, so the session's own commit hook delivers."""

    async def publish(self, session: AsyncSession, events: Iterable[BusEvent]) -> None:
        info = session.sync_session.info
        if _PENDING not in info:
            info[_PENDING] = []
            # Once per session: every later transaction of it is covered too.
            event.listen(session.sync_session, "after_commit", self._after_commit)
            event.listen(session.sync_session, "after_transaction_end", _after_transaction_end)
        info[_PENDING].extend(events)

    def _after_commit(self, session) -> None:
        events, session.info[_PENDING] = session.info[_PENDING], []
        self._fan_out(events)


def _after_transaction_end(session, transaction) -> None:
    if transaction.parent is None:  # the outer transaction: committed events are gone already
        session.info[_PENDING] = []
