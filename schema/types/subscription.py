"""Subscriptions (graphql-transport-ws on /graphql, schema/http/endpoint.py): the live moderation
queue (resolvers/moderation_live.py)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from datetime import datetime
from typing import Annotated

import strawberry

from ...resolvers import moderation_live as live
from ...resolvers.loaders import Loaders
from ...storage.moderation_queue import QueueName
from ...workflows.users import authenticate
from ..context import Context, Info
from .moderation import ModerationFilter, ModerationQueueName
from .responses import Response
from .vocabulary import described_enum

ModerationEventKind = described_enum(
    live.QueueEventKind,
    name="ModerationEventKind",
    description="What happened to a response in a moderation queue.",
    values={
        "ENTERED": "It entered the queue: submitted (SUBMITTED); its first open report (REPORTED).",
        "UPDATED": "It changed and stays in the queue: claimed, released or noted (SUBMITTED); reported again "
        "(REPORTED).",
        "LEFT": "It left the queue: decided or withdrawn by its author (SUBMITTED); its reports dismissed, or it "
        "was removed (REPORTED).",
    },
)


@strawberry.type(description="A change to a moderation queue, as it happens.")
class ModerationEvent:
    kind: ModerationEventKind = strawberry.field(description="What happened.")
    queue: ModerationQueueName = strawberry.field(description="The queue concerned.")
    response: Response = strawberry.field(
        description="The response as it is when this server reads it, which may be later than the event "
        "(an UPDATED may show a response decided meanwhile: a LEFT follows)."
    )
    at: datetime = strawberry.field(description="When this server heard of it, just after it was committed.")

    @classmethod
    def of(cls, event: live.QueueEvent) -> ModerationEvent:
        return cls(kind=event.kind, queue=event.queue, response=Response.of(event.record), at=event.at)


@strawberry.type(description="What a client can follow as it happens, over WebSocket (graphql-transport-ws on /graphql).")
class Subscription:
    @strawberry.subscription(
        description="Moderators only: the moderation queues as they change, from every server of the service. "
        "Over WebSocket (graphql-transport-ws on /graphql), the token in connection_init's payload "
        '({"Authorization": "Bearer <token>"}) or in the upgrade request\'s Authorization header. Events that '
        "were committed while no subscription listened are not replayed: subscribe, then read moderationQueue. "
        "When events may have been missed (the server lost its event bus connection, or the subscription fell "
        "behind), the subscription ends with an UNAVAILABLE error whose extensions say `eventsMissed`: "
        "subscribe again, then read moderationQueue again."
    )
    async def moderation_events(
        self,
        info: Info,
        filter: Annotated[
            ModerationFilter | None,
            strawberry.argument(
                description="Which responses, as for moderationQueue (`waitingHours` counts at each event); "
                "without `queue`, the events of every queue."
            ),
        ] = None,
    ) -> AsyncGenerator[ModerationEvent, None]:
        c = info.context
        f = filter or ModerationFilter()

        async def principal():
            c.principal = await authenticate(c.sessions, c.token)
            return c.principal

        # Refusals come here, before the stream: the protocol's `error` message, not an event.
        events = await live.queue_events(
            c.sessions, c.bus, c.clock, principal, f.spec, (f.queue,) if f.queue else tuple(QueueName)
        )
        return _moderation_events(c, events)


async def _moderation_events(context: Context, events) -> AsyncGenerator[ModerationEvent, None]:
    async with aclosing(events):
        async for event in events:
            _renew(context, event.at)
            yield ModerationEvent.of(event)


def _renew(context: Context, now: datetime) -> None:
    """A subscription's context lives as long as its connection: each event is read at its own
    time, with loaders of its own (a loader caches what it read)."""
    context.now = now
    context.loaders = Loaders(context.sessions, now.date())
