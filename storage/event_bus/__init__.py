"""The event bus: what committed, delivered to every subscriber of every process.

Workflows publish inside their write transaction (`publish(bus, session, events)`); subscribers
receive the events only once that transaction has committed, never when it rolled back:

- SQLite (one process): `InProcessBus` keeps the session's events and hands them to the
  subscribers from the session's after-commit hook; a rollback drops them.
- PostgreSQL (any number of processes): `PostgresBus` sends `pg_notify('portal_events', ...)` in
  the transaction itself (PostgreSQL delivers a NOTIFY at commit, only if it commits), and one
  dedicated asyncpg connection per process LISTENs and fans out to the local subscribers, so a
  process's own events arrive the same way as everyone else's. When that connection is lost the
  bus reconnects with backoff, then delivers EVERYTHING_CHANGED: what committed meanwhile was
  not heard.

Each subscriber has its own bounded queue: one that falls `queue_limit` events behind loses them
and receives EVERYTHING_CHANGED instead, so a slow subscriber never holds unbounded memory nor
slows the others.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.engine import make_url
from sqlmodel.ext.asyncio.session import AsyncSession

from ...domain.events import BusEvent
from ..db import is_sqlite
from .in_process import QUEUE_LIMIT, EventBus, InProcessBus, Subscription

__all__ = [
    "CHANNEL", "LISTENER_NAME", "EventBus", "InProcessBus", "PostgresBus", "Subscription", "make_event_bus", "publish",
]


async def publish(bus: EventBus | None, session: AsyncSession, events: Iterable[BusEvent]) -> None:
    """What workflows call. Without a bus (the command line, tests that call a workflow
    directly), PostgreSQL still NOTIFYs, so running servers learn of an import; on SQLite
    nothing is sent, as no other process could hear it."""
    if bus is not None:
        await bus.publish(session, events)
    elif session.bind.dialect.name == "postgresql":
        from .postgres import notify

        await notify(session, events)


def make_event_bus(database_url: str, *, queue_limit: int = QUEUE_LIMIT) -> EventBus:
    """In process for SQLite, LISTEN/NOTIFY for PostgreSQL."""
    if is_sqlite(database_url):
        return InProcessBus(queue_limit)
    from .postgres import PostgresBus

    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    return PostgresBus(dsn, queue_limit=queue_limit)


def __getattr__(name: str):
    """PostgreSQL's bus and its names, loaded when first asked for: they load asyncpg (9 MB),
    which a server on SQLite never needs."""
    if name in ("CHANNEL", "LISTENER_NAME", "PostgresBus", "notify"):
        from . import postgres

        return getattr(postgres, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
