"""For the people who run moderation: the moderation log (every audit event, newest first) and
each moderator's figures of the last 7 days. Moderators and stewards only."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from ...resolvers import moderation_log as reads
from ...resolvers.ids import user_id
from ...storage.moderation_log import ModeratorFigures
from ..context import Info
from .public import PageInfo
from .responses import Actor, EventKind, ResponseEvent
from .vocabulary import After, First


@strawberry.input(description="Which events of the moderation log. Every field given narrows it (AND); a list matches any of its values (OR).")
class ModerationLogFilter:
    moderator: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="Events taken by these users (`Actor.id`, as the log and `moderatorStats` give it); BAD_USER_INPUT "
        "for anything else.",
    )
    kind: list[EventKind] | None = strawberry.field(default=None, description="Events of these kinds.")
    since: datetime | None = strawberry.field(
        default=None, description="Events at or after this moment (with its offset; BAD_USER_INPUT without one)."
    )

    def spec(self):
        return reads.log_filter(self.moderator, self.kind, self.since)


@strawberry.type(description="One event of the moderation log, with its cursor.")
class ModerationLogEdge:
    cursor: str = strawberry.field(description="Where this event lies in the log: pass it as `after` for the ones that follow.")
    node: ResponseEvent = strawberry.field(description="The event, with its response (`response { id }`).")


@strawberry.type(description="A page of the moderation log: every step of every response, newest first.")
class ModerationLogConnection:
    page: strawberry.Private[reads.LogPage]

    @strawberry.field(description="The page's events with their cursors, newest first.")
    def edges(self) -> list[ModerationLogEdge]:
        return [ModerationLogEdge(cursor=reads.encode_log(e), node=ResponseEvent.of(e)) for e in self.page.events]

    @strawberry.field(description="Whether more pages follow, and the cursors to get them.")
    def page_info(self) -> PageInfo:
        positions = [reads.encode_log(e) for e in self.page.events]
        return PageInfo.of(positions, has_next=self.page.has_next, has_previous=self.page.has_previous)

    @strawberry.field(description="How many events match the filter, on every page.")
    async def total_count(self, info: Info) -> int:
        return await reads.log_count(info.context.sessions, self.page.filter)


@strawberry.type(description="One moderator's decisions of the last 7 days.")
class ModeratorStats:
    figures: strawberry.Private[ModeratorFigures]

    @strawberry.field(description="The moderator (their `id` filters the moderation log).")
    def moderator(self) -> Actor:
        f = self.figures
        return Actor(name=f.name, role=f.role, id=user_id(f.user_pk))

    @strawberry.field(description="Their decisions in the last 7 days: approvals, removals and dismissals of reports.")
    def decisions(self) -> int:
        return self.figures.decisions

    @strawberry.field(description="Of those, approvals.")
    def approvals(self) -> int:
        return self.figures.approvals

    @strawberry.field(description="Of those, removals (of submitted and of approved responses).")
    def removals(self) -> int:
        return self.figures.removals

    @strawberry.field(description="Of those, dismissals of reports.")
    def dismissals(self) -> int:
        return self.figures.dismissals

    @strawberry.field(
        description="The median time, in hours (two decimals), from a response's submission to this moderator's "
        "decision on it, over their approvals and removals of submitted responses in the last 7 days; null when they "
        "made none."
    )
    def median_hours_to_decision(self) -> float | None:
        seconds = self.figures.median_to_decision_seconds
        return None if seconds is None else round(seconds / 3600, 2)


async def moderation_log(
    info: Info,
    first: First = 20,
    after: After = None,
    filter: Annotated[
        ModerationLogFilter | None, strawberry.argument(description="Narrows the log; none (the default) lists every event.")
    ] = None,
) -> ModerationLogConnection:
    c = info.context
    spec = filter.spec() if filter else reads.LogFilter()
    return ModerationLogConnection(
        page=await reads.log_page(c.sessions, c.principal, 20 if first is None else first, after, spec)
    )


async def moderator_stats(info: Info) -> list[ModeratorStats]:
    c = info.context
    return [ModeratorStats(figures=f) for f in await reads.moderator_figures(c.sessions, c.principal, c.now)]


moderation_log_field = strawberry.field(
    resolver=moderation_log,
    description="Moderators and stewards only: every step of every response (submissions, claims, releases, notes, "
    "decisions, withdrawals, reports, dismissals), newest first, with who took it and on which response.",
)
moderator_stats_field = strawberry.field(
    resolver=moderator_stats,
    description="Moderators and stewards only: per moderator who decided anything in the last 7 days, their decisions "
    "and the median time from submission to decision, by name. (Per country figures: moderationStats.)",
)
