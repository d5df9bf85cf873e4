"""The public queries: the factory list, single factories and nodes, countries and issues."""

from __future__ import annotations

import strawberry
from strawberry import relay

from ...domain.errors import NotFound
from ...resolvers import issues as issue_reads
from ...resolvers.ids import node_key
from ..context import Info
from .factory_list import FactoryConnection, FactoryFilterInput, FactoryOrderInput, factory_connection
from .programme import ComplianceIssue, Country
from .public import Factory


@strawberry.type
class Query:
    node: relay.Node | None = relay.node(description="Any public object by its id; null when it is not public.")

    @strawberry.field(description="Public factories, a page at a time (first: at most 100).")
    async def factories(
        self,
        info: Info,
        first: int | None = 20,
        after: str | None = None,
        filter: FactoryFilterInput | None = None,
        order_by: FactoryOrderInput | None = None,
    ) -> FactoryConnection:
        return await factory_connection(info, first, after, filter, order_by)

    @strawberry.field(description="One public factory; NOT_FOUND when there is none with this id or it is not public.")
    async def factory(self, info: Info, id: strawberry.ID) -> Factory | None:
        view = await info.context.loaders.factory.load(node_key(id, "Factory"))
        if view is None:
            raise NotFound("No public factory has this id.", id=id)
        return Factory.of(view)

    @strawberry.field(description="One publicly reported issue; NOT_FOUND for others.")
    async def issue(self, info: Info, id: strawberry.ID) -> ComplianceIssue | None:
        question = await issue_reads.public_issue(info.context.sessions, info.context.loaders, node_key(id, "ComplianceIssue"))
        return ComplianceIssue.of(question)

    @strawberry.field
    async def countries(self, info: Info) -> list[Country]:
        return [Country(programme=p) for p in await issue_reads.country_programmes(info.context.sessions)]

    @strawberry.field
    async def country(self, info: Info, code: str) -> Country | None:
        return Country(programme=await issue_reads.country_programme(info.context.loaders, code))

    @strawberry.field(description="Publicly reported issues: of one country, or of any country.")
    async def issues(self, info: Info, country: str | None = None) -> list[ComplianceIssue]:
        questions = await issue_reads.issues(info.context.sessions, info.context.loaders, country)
        return [ComplianceIssue.of(q) for q in questions]
