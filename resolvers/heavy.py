"""Heavy reads (pages, counts, facets, reports): a few at a time per request.

graphql-core starts every field of a list at once: 30 aliases of `issues { nonCompliantFactories
{ totalCount } }` started about 3,000 reads together. Each waited for a connection of the
engine's pool (5 + 10 on SQLite and PostgreSQL alike), which hands connections out in the order
they were asked for, so whatever came next, `/healthz` or another client's page, waited behind all
of them (5.6 s on the 1,700-factory demo, bench/work_budget.py). The SQL itself is short
(0.06 ms for one issue's count, 0.6 ms for a name search at 1,700 factories): the queue was the
stall, not SQLite.

Within `request_slots(n)` (the GraphQL view opens it around each operation) a request runs at
most `n` heavy reads at once and queues the rest behind itself, so the pool always has
connections for others and its queue holds at most `n` waiters per request. Outside of it (the
CSV export, the command line, tests of the resolvers) reads are not bounded.

Only leaf reads take a slot: a read holding one never waits for another (no DataLoader inside),
so a request cannot deadlock on its own slots.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from contextvars import ContextVar

from sqlmodel.ext.asyncio.session import AsyncSession

from ..storage.db import Sessions

# Heavy reads one GraphQL operation runs at once: under the pool's 5 connections, so that a
# few requests side by side still leave one for everybody else.
SLOTS_PER_REQUEST = 4

# The request's slots; resolver tasks inherit it from the task that runs the operation.
_slots: ContextVar[asyncio.Semaphore | None] = ContextVar("portal_heavy_read_slots", default=None)


@contextlib.contextmanager
def request_slots(slots: int = SLOTS_PER_REQUEST) -> Iterator[None]:
    token = _slots.set(asyncio.Semaphore(slots))
    try:
        yield
    finally:
        _slots.reset(token)


@contextlib.asynccontextmanager
async def heavy_session(sessions: Sessions) -> AsyncIterator[AsyncSession]:
    """A session for one heavy read, once the request has a slot free for it."""
    slots = _slots.get()
    async with slots if slots is not None else contextlib.nullcontext():
        async with sessions() as session:
            yield session
