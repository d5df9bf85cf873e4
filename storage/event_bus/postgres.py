"""The PostgreSQL bus (any number of processes): `pg_notify` inside the publishing transaction
(PostgreSQL delivers a NOTIFY at commit, only if it commits), and one dedicated asyncpg
connection per process that LISTENs and fans out to the local subscribers, so a process's own
events arrive the same way as everyone else's. A lost connection is reopened with backoff, then
every subscriber receives EVERYTHING_CHANGED: what committed meanwhile was not heard."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

import asyncpg
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from ...domain.events import EVERYTHING_CHANGED, BusEvent
from .in_process import QUEUE_LIMIT, EventBus

log = logging.getLogger("transparency_portal.events")

CHANNEL = "portal_events"
# How the listening connection shows in pg_stat_activity.
LISTENER_NAME = "portal-event-bus"

# One statement whatever the number of events; NOTIFYs are delivered in the order sent.
_NOTIFY = text("SELECT pg_notify(:channel, payload) FROM unnest(CAST(:payloads AS text[])) AS payload")


class PostgresBus(EventBus):
    """PostgreSQL: NOTIFY in the transaction, one LISTEN connection per process."""

    def __init__(
        self, dsn: str, *, queue_limit: int = QUEUE_LIMIT, check_seconds: float = 15.0, max_backoff: float = 5.0
    ) -> None:
        super().__init__(queue_limit)
        self._dsn = dsn
        self._check_seconds = check_seconds
        self._max_backoff = max_backoff
        self._task: asyncio.Task | None = None
        self._connection: asyncpg.Connection | None = None

    @property
    def listening(self) -> bool:
        """Whether the LISTEN connection is up now."""
        return self._connection is not None and not self._connection.is_closed()

    async def publish(self, session: AsyncSession, events: Iterable[BusEvent]) -> None:
        await notify(session, events)

    async def start(self) -> None:
        """Returns once LISTEN is in place, or after the first attempt failed (logged; the
        bus keeps trying in the background and says EVERYTHING_CHANGED once it hears again)."""
        if self._task is not None or self._closed:
            return
        first_attempt = asyncio.Event()
        self._task = asyncio.create_task(self._listen(first_attempt), name="event-bus-listener")
        await first_attempt.wait()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        await super().close()

    async def _listen(self, first_attempt: asyncio.Event) -> None:
        backoff, missed = 0.0, False
        try:
            while True:
                if backoff:
                    await asyncio.sleep(backoff)
                backoff = min(max(2 * backoff, 0.1), self._max_backoff)
                try:
                    connection = await asyncpg.connect(
                        self._dsn, timeout=10, server_settings={"application_name": LISTENER_NAME}
                    )
                except Exception as error:  # refused, timed out, authentication: all are retried
                    log.warning("event bus: cannot connect to listen (%s); retrying in %.1f s", error, backoff)
                    missed = True
                    first_attempt.set()
                    continue
                try:
                    lost = asyncio.Event()
                    connection.add_termination_listener(lambda _connection, lost=lost: lost.set())
                    await connection.add_listener(CHANNEL, self._on_notify)
                    self._connection, backoff = connection, 0.1
                    if missed:
                        # Only now that LISTEN is back: whatever subscribers read from here on
                        # is either in that fresh read or in a later event.
                        log.warning("event bus: listening again; subscribers treat everything as changed")
                        self._fan_out([EVERYTHING_CHANGED])
                    first_attempt.set()
                    await self._until_lost(connection, lost)
                    log.warning("event bus: lost the listening connection; reconnecting")
                except Exception as error:  # whatever broke, the listener must live on
                    log.warning("event bus: listening failed (%s); reconnecting", error)
                finally:
                    self._connection = None
                    await _close_quietly(connection)
                missed = True
        finally:
            first_attempt.set()

    async def _until_lost(self, connection: asyncpg.Connection, lost: asyncio.Event) -> None:
        """Returns when the connection closes, or fails a periodic check (a silent network
        drop closes nothing)."""
        while True:
            try:
                async with asyncio.timeout(self._check_seconds):
                    await lost.wait()
                return
            except TimeoutError:
                pass
            try:
                async with asyncio.timeout(self._check_seconds):
                    await connection.execute("SELECT 1")
            except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                return

    def _on_notify(self, _connection, _pid: int, _channel: str, payload: str) -> None:
        try:
            event = BusEvent.from_payload(payload)
        except ValueError:
            log.warning("event bus: ignored a notification that is no event: %.200r", payload)
            return
        self._fan_out([event])


async def _close_quietly(connection: asyncpg.Connection) -> None:
    try:
        await connection.close(timeout=2)
    except Exception:
        connection.terminate()


async def notify(session: AsyncSession, events: Iterable[BusEvent]) -> None:
    """NOTIFY every listening process, at the commit of `session`'s transaction."""
    payloads = [e.to_payload() for e in events]
    if payloads:
        await session.exec(_NOTIFY, params={"channel": CHANNEL, "payloads": payloads})
