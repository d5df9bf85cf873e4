"""The change feed as GraphQL: `changes(first, after, filter)`, a connection of `PublicChange`s in
the order they became public (storage/public_changes.py says how that order has no gaps)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from ...domain.errors import BadUserInput
from ...domain.public_changes import ChangeKind
from ...resolvers.cursors import pack, unpack
from ...resolvers.paging import check_first
from ...resolvers.ids import change_ids, node_key
from ...resolvers.issues import normalise_country_code
from ...storage.public_changes import FeedFilter, changes_after
from ...storage.tables.public_changes import PublicChangeRow
from ..context import Info
from .public import Factory
from .vocabulary import After, First, described_enum

PublicChangeKind = described_enum(
    ChangeKind,
    name="PublicChangeKind",
    description="What changed in a factory's public record.",
    values={
        "FACTORY_PUBLISHED": "The factory became public (its second published assessment reached its publication day).",
        "ASSESSMENT_PUBLISHED": "A newer assessment became the factory's latest published one (`assessmentId`); the "
        "previous one's findings and responses left public view.",
        "FINDING_CORRECTED": "A finding of the latest assessment was corrected (`findingId`): see its `correction`.",
        "FACTORY_UPDATED": "Anything else of the factory's public record changed: its name, type, exit date, refusals "
        "highlighted, or findings changed without a correction.",
        "RESPONSE_PUBLISHED": "A moderator approved a response of the factory (`responseId`) to its latest assessment.",
        "RESPONSE_UNPUBLISHED": "A public response (`responseId`) left public view: removed by a moderator, or gone with "
        "its assessment (a newer one was published) or with the factory.",
        "FACTORY_UNPUBLISHED": "The factory left public view (after the end of the cycle in which it left the programme). "
        "Its responses' RESPONSE_UNPUBLISHED come just before.",
    },
)


@strawberry.input(
    description="Which changes to list. Each field given narrows the list (AND); a list matches any of its values (OR)."
)
class ChangeFilter:
    country: list[str] | None = strawberry.field(
        default=None, description="ISO 3166-1 alpha-2 codes (any case): changes of factories of these countries."
    )
    factory: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Factory ids (`Factory.id`): changes of these factories, public now or not."
    )

    def spec(self) -> FeedFilter:
        return FeedFilter(
            countries=tuple(sorted({normalise_country_code(c) for c in self.country or ()})),
            factories=tuple(sorted({node_key(f, "Factory", "factory") for f in self.factory or ()})),
        )


@strawberry.type(
    description="One change of a factory's public record, as the public saw it then: ids only, never more than the "
    "public view showed at that time."
)
class PublicChange:
    row: strawberry.Private[PublicChangeRow]

    @strawberry.field(description="The change's id: the same in every list and on every server, for good.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(change_ids(self.row).change)

    @strawberry.field(description="What changed.")
    def kind(self) -> PublicChangeKind:
        return ChangeKind(self.row.kind)

    @strawberry.field(
        description="When the change became public (date and time, UTC). A change the calendar makes (an embargo "
        "ending, a factory leaving public view) is at the start (00:00 UTC) of its day."
    )
    def at(self) -> datetime:
        return self.row.at

    @strawberry.field(description="The factory whose public record changed (a `Factory` id), public now or not.")
    def factory_id(self) -> strawberry.ID:
        return strawberry.ID(change_ids(self.row).factory)

    @strawberry.field(description="The factory as the public sees it now; null when it is not public now.")
    async def factory(self, info: Info) -> Factory | None:
        view = await info.context.loaders.factory.load(self.row.factory_source_id)
        return Factory.of(view) if view is not None else None

    @strawberry.field(
        description="The assessment concerned (an `Assessment` id): the latest published one at the time, or the one a "
        "response answered; null for FACTORY_UNPUBLISHED. `node` gives it while it is the latest."
    )
    def assessment_id(self) -> strawberry.ID | None:
        return change_ids(self.row).assessment

    @strawberry.field(
        description="The finding concerned (a `Finding` id): the corrected one, or the one a response answers; null "
        "otherwise."
    )
    def finding_id(self) -> strawberry.ID | None:
        return change_ids(self.row).finding

    @strawberry.field(description="The response concerned (a `Response` id), for RESPONSE_PUBLISHED and RESPONSE_UNPUBLISHED.")
    def response_id(self) -> strawberry.ID | None:
        return change_ids(self.row).response


@strawberry.type(description="One change of a page of `changes`, with its cursor.")
class PublicChangeEdge:
    cursor: str = strawberry.field(description="Where this change lies in the feed: pass it as `after` for the ones after it.")
    node: PublicChange = strawberry.field(description="The change.")


@strawberry.type(description="Where a page of `changes` lies in the feed, and where to go on from.")
class PublicChangePageInfo:
    has_next_page: bool = strawberry.field(
        description="True when more changes (matching the filter) were already there: ask again with `endCursor`."
    )
    has_previous_page: bool = strawberry.field(description="True when the page was asked for with `after`.")
    start_cursor: str | None = strawberry.field(description="The cursor of the page's first change; null for an empty page.")
    end_cursor: str = strawberry.field(
        description="Where to go on from, as the next request's `after`: set on every page, an empty one too (also "
        "before the first change), so a client polls from where it stopped. It stays valid across restarts and a "
        "backup restored."
    )


@strawberry.type(
    description="A page of the change feed (a Relay cursor connection), oldest first, in the order the changes became "
    "public. Polling with `after: pageInfo.endCursor` never skips a change, also while changes are being written."
)
class PublicChangeConnection:
    edges: list[PublicChangeEdge] = strawberry.field(description="The page's changes with their cursors, in feed order.")
    page_info: PublicChangePageInfo = strawberry.field(description="Whether more changes follow, and the cursors to get them.")

    @strawberry.field(description="The page's changes, as in `edges` without cursors.")
    def nodes(self) -> list[PublicChange]:
        return [edge.node for edge in self.edges]


def encode_position(position: int) -> str:
    return pack("changes", [position])


def decode_position(cursor: str | None) -> int:
    """The feed position a `changes` cursor names (0: before the first change)."""
    if cursor is None:
        return 0
    values = unpack(cursor, "changes")
    if len(values) != 1 or type(values[0]) is not int or values[0] < 0:
        raise BadUserInput("The cursor is malformed.", argument="after")
    return values[0]


async def change_page(info: Info, first: int | None, after: str | None, filter: ChangeFilter | None) -> PublicChangeConnection:
    first = check_first(20 if first is None else first)
    position = decode_position(after)
    feed = filter.spec() if filter else FeedFilter()
    async with info.context.sessions() as session:
        rows, last = await changes_after(session, position, first + 1, feed)
    has_next = len(rows) > first
    rows = rows[:first]
    if has_next:
        end = rows[-1].position if rows else position
    else:
        # Nothing matching lies between the page and the feed's last position, and every position
        # up to that one has committed: the client goes on from there.
        end = max(position, last)
    edges = [PublicChangeEdge(cursor=encode_position(r.position), node=PublicChange(row=r)) for r in rows]
    return PublicChangeConnection(
        edges=edges,
        page_info=PublicChangePageInfo(
            has_next_page=has_next, has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None, end_cursor=encode_position(end),
        ),
    )


async def _changes(
    info: Info,
    first: First = 20,
    after: After = None,
    filter: Annotated[
        ChangeFilter | None, strawberry.argument(description="Which changes; none (the default) lists every change.")
    ] = None,
) -> PublicChangeConnection:
    return await change_page(info, first, after, filter)


changes_field = strawberry.field(
    resolver=_changes,
    description="The change feed: every change of the public factories' records, oldest first, in the order they became "
    "public. Read it from the start, then poll with `after: pageInfo.endCursor`; a factory whose last change is not "
    "FACTORY_UNPUBLISHED is public now. Also as Atom: /feeds/changes.atom.",
)
