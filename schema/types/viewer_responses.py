"""What a factory's own users see of their answers: `viewer { responses }`, every state, newest
first, with what moderators decided (state, removal reason and explanation)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from ...resolvers import moderation_log as reads
from ..context import Info
from .public import PageInfo
from .responses import Response, ResponseState
from .vocabulary import After, First


@strawberry.type(description="One of the factory's responses, with its cursor.")
class ViewerResponseEdge:
    cursor: str = strawberry.field(description="Where this response lies in the list: pass it as `after` for the ones that follow.")
    node: Response = strawberry.field(description="The response, with its state, removal reason and explanation.")


@strawberry.type(description="A page of the factory's own responses, newest first.")
class ViewerResponseConnection:
    page: strawberry.Private[reads.FactoryResponsesPage]

    @strawberry.field(description="The page's responses with their cursors, newest first.")
    def edges(self) -> list[ViewerResponseEdge]:
        return [ViewerResponseEdge(cursor=reads.encode_factory_response(r), node=Response.of(r)) for r in self.page.records]

    @strawberry.field(description="Whether more pages follow, and the cursors to get them.")
    def page_info(self) -> PageInfo:
        positions = [reads.encode_factory_response(r) for r in self.page.records]
        return PageInfo.of(positions, has_next=self.page.has_next, has_previous=self.page.has_previous)

    @strawberry.field(description="How many of the factory's responses there are (in `state`, when given), on every page.")
    async def total_count(self, info: Info) -> int:
        return await reads.factory_responses_count(info.context.sessions, self.page.factory_pk, self.page.state)


async def viewer_responses(
    info: Info,
    first: First = 20,
    after: After = None,
    state: Annotated[
        ResponseState | None,
        strawberry.argument(description="Only the responses in this state; none (the default) lists every state."),
    ] = None,
) -> ViewerResponseConnection | None:
    c = info.context
    page = await reads.factory_responses_page(c.sessions, c.principal, 20 if first is None else first, after, state)
    return ViewerResponseConnection(page=page)


viewer_responses_field = strawberry.field(
    resolver=viewer_responses,
    description="A supplier's factory's responses, by any of its users, newest first, in every state unless `state` "
    "says one: what was submitted, approved or removed, and why (`removalReason`, `explanation`). Suppliers only: "
    "FORBIDDEN for other roles, who act for no factory.",
)
