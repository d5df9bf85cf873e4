"""The delivery worker.

It runs in every `portal serve` process; one at a time delivers, the holder of a lease row in the
database (`storage/webhooks.py`), renewed while it works, released when the server stops, taken
over by another process once it has expired (a crashed holder). It reads the outbox every
`poll_seconds` and whenever the event bus says public data changed, and sends each due delivery
in a task of its own: at most `concurrency` at once and one per endpoint, with a deadline per
attempt, so a slow or dead receiver only ever holds its own slot, and never a public request (the
worker shares nothing with them but the database).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import httpx

from ...domain.events import BusEventKind
from ...storage import webhooks as store
from ...storage.db import Sessions, make_engine, make_sessions, write_transaction
from ...storage.event_bus import EventBus
from .delivery import ATTEMPT_SECONDS, attempt
from .signing import render

log = logging.getLogger("transparency_portal.webhooks")


class WebhookWorker:
    """Delivers the outbox while this process holds the lease (see the module)."""

    def __init__(
        self,
        database_url: str,
        bus: EventBus | None,
        *,
        retries: Sequence[float],
        allow_private: bool,
        concurrency: int = 8,
        attempt_seconds: float = ATTEMPT_SECONDS,
        poll_seconds: float = 2.0,
        lease_seconds: float = 10.0,
    ) -> None:
        self.database_url = database_url
        self.bus = bus
        self.retries = tuple(retries)
        self.allow_private = allow_private
        self.concurrency = concurrency
        self.attempt_seconds = attempt_seconds
        self.poll_seconds = poll_seconds
        self.lease = timedelta(seconds=lease_seconds)
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        # Attempts this process made (tests and logs: which server delivered).
        self.attempts = 0
        self._wake = asyncio.Event()
        # Subscription pk -> the delivery being sent to it, and its task.
        self._in_flight: dict[int, tuple[int, asyncio.Task]] = {}
        self._holding_until: datetime | None = None
        self._tasks: list[asyncio.Task] = []
        self._client: httpx.AsyncClient | None = None
        self._engine = None
        self.sessions: Sessions | None = None

    async def start(self) -> None:
        # An engine of its own: the worker never waits for, nor holds, a connection that public
        # requests need (and its statements are not theirs).
        self._engine = make_engine(self.database_url)
        self.sessions = make_sessions(self._engine)
        # No pooled connections: each is opened to one checked address with one name's SNI.
        self._client = httpx.AsyncClient(
            follow_redirects=False, trust_env=False, timeout=self.attempt_seconds,
            limits=httpx.Limits(max_connections=self.concurrency, max_keepalive_connections=0),
        )  # fmt: skip
        self._tasks = [asyncio.create_task(self._run(), name="webhook-worker")]
        if self.bus is not None:
            self._tasks.append(asyncio.create_task(self._listen(self.bus.subscribe()), name="webhook-wake"))

    async def stop(self) -> None:
        """Stop sending; what was in flight is due again at once, for whoever holds the lease next."""
        interrupted = [pk for pk, _task in self._in_flight.values()]
        tasks = [*self._tasks, *(task for _pk, task in self._in_flight.values())]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._in_flight.clear()
        if self._holding_until is not None:
            try:
                async with write_transaction(self.sessions) as session:
                    await store.release_lease(session, self.holder)
                    await store.due_now(session, interrupted, datetime.now(UTC))
            except Exception:  # the lease then expires on its own
                log.exception("could not release the webhook lease")
        if self._client is not None:
            await self._client.aclose()
        if self._engine is not None:
            await self._engine.dispose()

    async def _listen(self, events) -> None:
        async with events:
            async for event in events:
                if event.kind in (BusEventKind.PUBLIC_DATA_CHANGED, BusEventKind.EVERYTHING_CHANGED):
                    self._wake.set()

    async def _run(self) -> None:
        while True:
            self._wake.clear()  # before the work: a wake-up during it makes the wait below return at once
            try:
                if await self._hold_lease():
                    await self._dispatch()
            except Exception:
                log.exception("webhook delivery loop failed; trying again")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_seconds):
                    await self._wake.wait()

    async def _hold_lease(self) -> bool:
        now = datetime.now(UTC)
        # Renewed once a third of it has passed; taken every poll while another holds it.
        if self._holding_until is not None and now < self._holding_until - self.lease * 2 / 3:
            return True
        if self._holding_until is None:
            async with self.sessions() as session:  # a read: another's live lease needs no write
                holder = await store.lease_holder(session, now)
            if holder not in (None, self.holder):
                return False
        async with write_transaction(self.sessions) as session:
            held = await store.take_lease(session, self.holder, now, self.lease)
        if held and self._holding_until is None:
            log.info("this process delivers webhooks now (%s)", self.holder)
        self._holding_until = now + self.lease if held else None
        return held

    async def _dispatch(self) -> None:
        if len(self._in_flight) >= self.concurrency:
            return
        async with self.sessions() as session:  # a read first: most polls find nothing to do
            if not await store.any_due(session, datetime.now(UTC), busy=set(self._in_flight)):
                return
        async with write_transaction(self.sessions) as session:
            due = await store.claim_due(
                session, datetime.now(UTC), limit=self.concurrency - len(self._in_flight), busy=set(self._in_flight),
                hold=timedelta(seconds=3 * self.attempt_seconds), render=render,
            )  # fmt: skip
        for one in due:
            self._in_flight[one.subscription_pk] = (one.pk, asyncio.create_task(self._deliver(one), name=f"webhook-{one.pk}"))

    async def _deliver(self, due: store.Due) -> None:
        try:
            outcome = await attempt(self._client, due, allow_private=self.allow_private, seconds=self.attempt_seconds)
            self.attempts += 1
            done = due.attempts + 1
            retry = self.retries[done - 1] if not outcome.delivered and not outcome.gone and done <= len(self.retries) else None
            async with write_transaction(self.sessions) as session:
                await store.record_attempt(
                    session, due, datetime.now(UTC), delivered=outcome.delivered, status_code=outcome.status_code,
                    error=outcome.error, retry_after=retry,
                )  # fmt: skip
                if outcome.gone:
                    await store.disable_subscription(
                        session, due.subscription_pk, datetime.now(UTC), "the endpoint answered 410 Gone"
                    )
            if not outcome.delivered:
                log.warning("webhook delivery %s to %s failed: %s", due.pk, due.url, outcome.error)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("webhook delivery %s could not be recorded", due.pk)
        finally:
            if self._in_flight.get(due.subscription_pk, (None,))[0] == due.pk:
                del self._in_flight[due.subscription_pk]
            self._wake.set()  # the endpoint's next delivery may go now
