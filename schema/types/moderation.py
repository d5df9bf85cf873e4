"""The moderators' queries: the queue, its statistics, one response with its audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from ...domain.errors import NotFound
from ...resolvers import cursors
from ...resolvers import responses as actions
from ...resolvers.ids import node_key
from ...resolvers.moderation_log import country_figures
from ...resolvers.issues import normalise_country_code
from ...storage.moderation_queue import QueueFilter, QueueName
from ..context import Info
from .responses import FlagKind, Response
from .public import PageInfo
from .viewer_responses import viewer_responses_field
from .vocabulary import After, First, described_enum

ModerationQueueName = described_enum(
    QueueName,
    name="ModerationQueueName",
    description="The moderation queues.",
    values={
        "SUBMITTED": "Responses waiting for their first decision (moderationQueue's default).",
        "REPORTED": "Approved responses with open reports from the public (reportResponse), the most reported first, "
        "then the longest reported, until a moderator removes them or dismisses their reports (dismissReports).",
    },
)


@strawberry.input(
    description="Which responses of a moderation queue to list. Every field given narrows it (AND); a list field "
    "matches any of its values (OR)."
)
class ModerationFilter:
    country: list[str] | None = strawberry.field(
        default=None, description="ISO 3166-1 alpha-2 codes of the factories' countries (any case)."
    )
    factory: list[strawberry.ID] | None = strawberry.field(default=None, description="Factory ids.")
    flag: list[FlagKind] | None = strawberry.field(default=None, description="Responses with any of these flags.")
    waiting_hours: float | None = strawberry.field(
        default=None,
        description=f"Responses posted at least this many hours ago (0 to {actions.MAX_WAITING_HOURS:,}; BAD_USER_INPUT outside).",
    )
    queue: ModerationQueueName | None = strawberry.field(
        default=None,
        description="Which queue: SUBMITTED when left out, for moderationQueue and claimNextResponse; "
        "both queues when left out, for moderationEvents.",
    )

    def spec(self, now: datetime) -> QueueFilter:
        return QueueFilter(
            queue=self.queue or QueueName.SUBMITTED,
            countries=tuple(normalise_country_code(c) for c in self.country or ()),
            factory_source_ids=tuple(node_key(f, "Factory", "factory") for f in self.factory or ()),
            flag_kinds=tuple(k.value for k in self.flag or ()),
            posted_before=actions.waiting_since(now, self.waiting_hours),
        )


@strawberry.type(description="One response of a moderation queue's page, with its cursor.")
class ModerationEdge:
    cursor: str = strawberry.field(description="Where this response lies in the queue: pass it as `after` for the ones that follow.")
    node: Response = strawberry.field(description="The response.")


@strawberry.type(
    description="A page of a moderation queue: submitted responses, the most severe screening first, then the longest "
    "waiting; or reported ones, the most open reports first, then the longest reported."
)
class ModerationQueue:
    page: strawberry.Private[actions.QueuePage]

    @strawberry.field(description="The page's responses with their cursors, in the queue's order.")
    def edges(self) -> list[ModerationEdge]:
        return [ModerationEdge(cursor=cursors.encode_queue(p), node=Response.of(r)) for p, r in self.page.items]

    @strawberry.field(description="Whether more pages follow, and the cursors to get them.")
    def page_info(self) -> PageInfo:
        positions = [cursors.encode_queue(p) for p, _ in self.page.items]
        return PageInfo.of(positions, has_next=self.page.has_next, has_previous=self.page.has_previous)

    @strawberry.field(description="How many responses match the filter, on every page.")
    async def total_count(self, info: Info) -> int:
        return await actions.queue_count(info.context.sessions, self.page.filter)


@strawberry.type(
    description="How many responses of one country's factories wait for a moderator, in each queue, and for how long."
)
class QueueStats:
    country: str = strawberry.field(description="The country's ISO 3166-1 alpha-2 code.")
    waiting: int = strawberry.field(description="How many submitted responses wait for a decision (the SUBMITTED queue).")
    oldest_posted_at: datetime = strawberry.field(
        description="When the one waiting longest was posted (date and time, UTC); when none is submitted, when the "
        "oldest open report came (`oldestReportedAt`)."
    )
    oldest_waiting_hours: float = strawberry.field(description="How long that one has waited, in hours (two decimals).")
    reported: int = strawberry.field(
        description="How many approved responses have open reports from the public (the REPORTED queue)."
    )
    oldest_reported_at: datetime | None = strawberry.field(
        description="When the oldest of their open reports came (date and time, UTC); null when none is reported."
    )


@strawberry.type(description="The user a bearer token belongs to.")
class Viewer:
    name: str = strawberry.field(description="The user's name as registered.")
    role: str = strawberry.field(description="supplier (a factory's own user), moderator or steward.")
    factory_id: strawberry.ID | None = strawberry.field(description="A supplier's factory (a Factory id); null for other roles.")
    responses = viewer_responses_field


@strawberry.type
class ModerationQuery:
    @strawberry.field(
        description="Moderators only: the responses to decide, of the SUBMITTED queue unless `filter.queue` says REPORTED."
    )
    async def moderation_queue(
        self,
        info: Info,
        first: First = 20,
        after: After = None,
        filter: Annotated[
            ModerationFilter | None, strawberry.argument(description="Narrows the queue; none (the default) lists it whole.")
        ] = None,
    ) -> ModerationQueue:
        c = info.context
        spec = filter.spec(c.now) if filter else QueueFilter()
        page = await actions.queue_page(c.sessions, c.principal, 20 if first is None else first, after, spec)
        return ModerationQueue(page=page)

    @strawberry.field(
        description="Moderators and stewards: per country with anything waiting, how many responses wait in each "
        "queue and for how long. (Per moderator figures: moderatorStats.)"
    )
    async def moderation_stats(self, info: Info) -> list[QueueStats]:
        c = info.context
        stats = []
        for f in await country_figures(c.sessions, c.principal):
            oldest = f.oldest_posted_at or f.oldest_reported_at
            stats.append(
                QueueStats(
                    country=f.country, waiting=f.waiting, oldest_posted_at=oldest,
                    oldest_waiting_hours=round((c.now - oldest).total_seconds() / 3600, 2),
                    reported=f.reported, oldest_reported_at=f.oldest_reported_at,
                )  # fmt: skip
            )
        return stats

    @strawberry.field(
        description="One response, if you may see it (approved and current ones are public; the factory's users and "
        "moderators see the others); NOT_FOUND otherwise."
    )
    async def response(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The response's id.")]
    ) -> Response | None:
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
