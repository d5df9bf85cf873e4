"""The public queries: the factory list, single factories and nodes, countries and issues."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry import relay

from ...domain.errors import NotFound
from ...resolvers import issues as issue_reads
from ...resolvers.ids import node_key
from ..context import Info
from .budget import RATE_LIMIT_DESCRIPTION, RateLimit, rate_limit
from .changes import changes_field
from .moderation_log import moderation_log_field, moderator_stats_field
from .factory_list import FactoryConnection, FactoryFilterInput, FactoryOrderInput, factory_connection
from .nodes import nodes_field
from .programme import ComplianceIssue, Country
from .public import Factory
from .vocabulary import After, First


@strawberry.type(description="The root of every query: the public data, and what signed-in users may see besides.")
class Query:
    node: relay.Node | None = relay.node(
        description="Any object by its global id (Factory, Assessment, Finding, ComplianceIssue, Response); null when "
        "it does not exist or you may not see it (anything not public, for anonymous clients)."
    )
    nodes: list[relay.Node | None] = nodes_field(
        "Several objects by their global ids, in the order asked, each as `node(id:)` would give it: null where that "
        "gives null. Read in one batch per type, not one read per id."
    )

    @strawberry.field(
        description="Public factories, a page at a time, filtered and ordered; by name unless `orderBy` says otherwise."
    )
    async def factories(
        self,
        info: Info,
        first: First = 20,
        after: After = None,
        filter: Annotated[
            FactoryFilterInput | None, strawberry.argument(description="Which factories; none (the default) lists every public factory.")
        ] = None,
        order_by: Annotated[
            FactoryOrderInput | None, strawberry.argument(description="The list's order. Default: by name, ascending.")
        ] = None,
    ) -> FactoryConnection:
        return await factory_connection(info, first, after, filter, order_by)

    @strawberry.field(description="One public factory; NOT_FOUND when there is none with this id or it is not public.")
    async def factory(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The factory's id (`Factory.id`).")]
    ) -> Factory | None:
        view = await info.context.loaders.factory.load(node_key(id, "Factory"))
        if view is None:
            raise NotFound("No public factory has this id.", id=id)
        return Factory.of(view)

    @strawberry.field(description="One publicly reported issue; NOT_FOUND for other questions and unknown ids.")
    async def issue(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The issue's id (`ComplianceIssue.id`).")]
    ) -> ComplianceIssue | None:
        question = await issue_reads.public_issue(info.context.sessions, info.context.loaders, node_key(id, "ComplianceIssue"))
        return ComplianceIssue.of(question)

    @strawberry.field(description="Every country programme.")
    async def countries(self, info: Info) -> list[Country]:
        return [Country(programme=p) for p in await issue_reads.country_programmes(info.context.sessions)]

    @strawberry.field(description="One country programme; NOT_FOUND for a country without one.")
    async def country(
        self,
        info: Info,
        code: Annotated[
            str, strawberry.argument(description="The country's ISO 3166-1 alpha-2 code (any case); BAD_USER_INPUT for anything else.")
        ],
    ) -> Country | None:
        return Country(programme=await issue_reads.country_programme(info.context.loaders, code))

    @strawberry.field(description="Publicly reported issues: of one country, or of any country.")
    async def issues(
        self,
        info: Info,
        country: Annotated[
            str | None,
            strawberry.argument(
                description="An ISO 3166-1 alpha-2 code: that country's issues, in its order. Default: none, every "
                "country's (each issue once)."
            ),
        ] = None,
    ) -> list[ComplianceIssue]:
        questions = await issue_reads.issues(info.context.sessions, info.context.loaders, country)
        return [ComplianceIssue.of(q) for q in questions]

    rate_limit: RateLimit | None = strawberry.field(resolver=rate_limit, description=RATE_LIMIT_DESCRIPTION)
    # The change feed (schema/types/changes.py).
    changes = changes_field
    # For the people who run moderation (schema/types/moderation_log.py).
    moderation_log = moderation_log_field
    moderator_stats = moderator_stats_field
