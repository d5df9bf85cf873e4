"""The calendar's changes in the feed: written at the first request or tick of each day (UTC).

An embargo ends and a factory that left disappears at midnight, without any write; the change
feed must say so (storage/public_change_writer.py: `catch_up_calendar`, at the start of that day).
Each server process checks its clock's day before every request (a comparison, no read, once the
day is written) and once a minute in the background; the first process of the day to look writes
the day's changes, the others find them written. A failure (the database is down) is logged and
the write is left alone for `RETRY_SECONDS` (as the rate limit leaves its store alone, backoff.py):
requests that came during the attempt go on once it failed, without one of their own, and those
after it do not wait at all, so a database that is down costs one failed transaction per process
every few seconds, not one per request. Then the next request or tick tries again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import date, datetime

from ...storage.db import Sessions, write_transaction
from ...storage.public_change_writer import catch_up_calendar
from .backoff import Backoff

log = logging.getLogger("transparency_portal.feed")

# The background check's interval: a new day is written within this long without requests.
TICK_SECONDS = 60.0
# Seconds the write is left alone after it failed.
RETRY_SECONDS = 5.0


class FeedCalendar:
    def __init__(self, sessions: Sessions, clock: Callable[[], datetime]) -> None:
        self.sessions = sessions
        self.clock = clock
        self.written: date | None = None
        self.lock = asyncio.Lock()
        self.backoff = Backoff(RETRY_SECONDS)

    async def ensure(self) -> None:
        """The feed holds the calendar's changes up to the clock's day (when the database answers)."""
        if self._nothing_to_do():
            return
        async with self.lock:
            if self._nothing_to_do():
                return
            try:
                async with write_transaction(self.sessions) as session:
                    day = await catch_up_calendar(session, self.clock())
                self.written = day
            except Exception:
                self.backoff.failed()
                log.exception(
                    "the change feed's calendar changes could not be written; trying again in %d s", RETRY_SECONDS
                )

    def _nothing_to_do(self) -> bool:
        """The clock's day is written, or the last attempt failed too recently to try again."""
        day_written = self.written is not None and self.clock().date() <= self.written
        return day_written or self.backoff.waiting()

    async def tick(self) -> None:
        """Forever: `ensure` once a minute (cancel the task to stop)."""
        while True:
            await asyncio.sleep(TICK_SECONDS)
            await self.ensure()


class CalendarLayer:
    """Before anything answers a request (caches included): the day's calendar changes are in the feed."""

    def __init__(self, app, calendar: FeedCalendar) -> None:
        self.app = app
        self.calendar = calendar

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] in ("http", "websocket"):
            await self.calendar.ensure()
        await self.app(scope, receive, send)
