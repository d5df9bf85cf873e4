"""The moderators' queries: the queue, its statistics, one response with its audit trail."""

from __future__ import annotations

from datetime import datetime

import strawberry

from ...domain.errors import NotFound
from ...resolvers import cursors
from ...resolvers import responses as actions
from ...resolvers.ids import node_key
from ...resolvers.issues import normalise_country_code
from ...storage.moderation_queue import QueueFilter
from ..context import Info
from .responses import FlagKind, Response
from .public import PageInfo


@strawberry.input
class ModerationFilter:
    country: list[str] | None = strawberry.field(default=None, description="ISO 3166-1 alpha-2 codes.")
    factory: list[strawberry.ID] | None = strawberry.field(default=None, description="Factory ids.")
    flag: list[FlagKind] | None = strawberry.field(default=None, description="Responses with any of these flags.")
    waiting_hours: float | None = strawberry.field(default=None, description="Waiting at least this long.")

    def spec(self, now: datetime) -> QueueFilter:
        return QueueFilter(
            countries=tuple(normalise_country_code(c) for c in self.country or ()),
            factory_source_ids=tuple(node_key(f, "Factory", "factory") for f in self.factory or ()),
            flag_kinds=tuple(k.value for k in self.flag or ()),
            posted_before=actions.waiting_since(now, self.waiting_hours),
        )


@strawberry.type
class ModerationEdge:
    cursor: str
    node: Response


@strawberry.type(description="Submitted responses: the most severe screening first, then the longest waiting.")
class ModerationQueue:
    page: strawberry.Private[actions.QueuePage]

    @strawberry.field
    def edges(self) -> list[ModerationEdge]:
        return [ModerationEdge(cursor=cursors.encode_queue(p), node=Response.of(r)) for p, r in self.page.items]

    @strawberry.field
    def page_info(self) -> PageInfo:
        positions = [cursors.encode_queue(p) for p, _ in self.page.items]
        return PageInfo.of(positions, has_next=self.page.has_next, has_previous=self.page.has_previous)

    @strawberry.field
    async def total_count(self, info: Info) -> int:
        return await actions.queue_count(info.context.sessions, self.page.filter)


@strawberry.type
class QueueStats:
    country: str
    waiting: int
    oldest_posted_at: datetime
    oldest_waiting_hours: float


@strawberry.type
class Viewer:
    name: str
    role: str
    factory_id: strawberry.ID | None


@strawberry.type
class ModerationQuery:
    @strawberry.field(description="Moderators only: the submitted responses to decide.")
    async def moderation_queue(
        self, info: Info, first: int | None = 20, after: str | None = None, filter: ModerationFilter | None = None
    ) -> ModerationQueue:
        c = info.context
        spec = filter.spec(c.now) if filter else QueueFilter()
        page = await actions.queue_page(c.sessions, c.principal, 20 if first is None else first, after, spec)
        return ModerationQueue(page=page)

    @strawberry.field(description="Moderators only: per country, how many responses wait and for how long.")
    async def moderation_stats(self, info: Info) -> list[QueueStats]:
        c = info.context
        return [
            QueueStats(
                country=country, waiting=waiting, oldest_posted_at=oldest,
                oldest_waiting_hours=round((c.now - oldest).total_seconds() / 3600, 2),
            )
            for country, waiting, oldest in await actions.queue_stats(c.sessions, c.principal)
        ]

    @strawberry.field(description="One response, if you may see it: approved and current ones are public.")
    async def response(self, info: Info, id: strawberry.ID) -> Response | None:
        found = await Response.resolve_nodes(info=info, node_ids=[actions.response_key(id)])
        if found[0] is None:
            raise NotFound("No response you may see has this id.", id=id)
        return found[0]

    @strawberry.field(description="Who the bearer token belongs to; null when anonymous.")
    async def viewer(self, info: Info) -> Viewer | None:
        principal = info.context.principal
        if principal is None:
            return None
        factory = await actions.factory_id_of(info.context.sessions, principal)
        return Viewer(name=principal.name, role=principal.role.value, factory_id=factory)
