"""The public queries: the factory list, single factories and nodes, countries and issues."""

from __future__ import annotations

from datetime import date
from enum import Enum

import strawberry
from strawberry import relay

from ..domain import vocabulary
from ..domain.errors import NotFound
from ..resolvers import factories as factory_reads
from ..resolvers import issues as issue_reads
from ..resolvers.factories import Page
from ..resolvers.ids import node_key
from ..resolvers.issues import normalise_country_code
from ..storage.public_reads import FactoryFilter as FilterSpec
from ..storage.public_reads import FactoryOrder as OrderSpec
from ..storage.public_reads import OrderField
from .context import Info
from .types import ComplianceIssue, ComplianceStatus, Country, Factory, FactoryType, Modality, PageInfo

FactoryOrderField = strawberry.enum(OrderField, name="FactoryOrderField")


@strawberry.enum
class OrderDirection(Enum):
    ASC = "ASC"
    DESC = "DESC"


@strawberry.input(description="Every field narrows the list; a list field matches any of its values.")
class FactoryFilter:
    country: list[str] | None = strawberry.field(default=None, description="ISO 3166-1 alpha-2 codes.")
    factory_type: list[FactoryType] | None = None
    compliance: list[ComplianceStatus] | None = None
    non_compliant_on: list[strawberry.ID] | None = strawberry.field(
        default=None, description="ComplianceIssue ids: factories non-compliant on any of them."
    )
    modality: list[Modality] | None = strawberry.field(default=None, description="Of the latest assessment.")
    search: str | None = strawberry.field(default=None, description="Part of the name; case and accents ignored.")
    assessed_since: date | None = strawberry.field(default=None, description="Latest assessment on or after.")
    refusals_highlighted: bool | None = None

    def spec(self) -> FilterSpec:
        return FilterSpec(
            countries=tuple(normalise_country_code(c) for c in self.country or ()),
            factory_types=tuple(t.value for t in self.factory_type or ()),
            compliance=tuple(vocabulary.ComplianceStatus(c) for c in self.compliance or ()),
            non_compliant_on=tuple(node_key(i, "ComplianceIssue", "nonCompliantOn") for i in self.non_compliant_on or ()),
            modalities=tuple(m.value for m in self.modality or ()),
            search=self.search,
            assessed_since=self.assessed_since,
            refusals_highlighted=self.refusals_highlighted,
        )


@strawberry.input
class FactoryOrder:
    field: FactoryOrderField = OrderField.NAME
    direction: OrderDirection = OrderDirection.ASC

    def spec(self) -> OrderSpec:
        return OrderSpec(field=OrderField(self.field), descending=self.direction is OrderDirection.DESC)


@strawberry.type
class FactoryEdge:
    cursor: str
    node: Factory


@strawberry.type(description="A page of public factories, by keyset: cursors stay valid as data changes.")
class FactoryConnection:
    page: strawberry.Private[Page]
    filter: strawberry.Private[FilterSpec]

    @strawberry.field
    def edges(self) -> list[FactoryEdge]:
        return [FactoryEdge(cursor=self.page.cursor(item), node=Factory.of(item.factory)) for item in self.page.items]

    @strawberry.field
    def nodes(self) -> list[Factory]:
        return [Factory.of(item.factory) for item in self.page.items]

    @strawberry.field
    def page_info(self) -> PageInfo:
        items = self.page.items
        return PageInfo(
            has_next_page=self.page.has_next,
            has_previous_page=self.page.has_previous,
            start_cursor=self.page.cursor(items[0]) if items else None,
            end_cursor=self.page.cursor(items[-1]) if items else None,
        )

    @strawberry.field(description="How many public factories match the filter, on every page.")
    async def total_count(self, info: Info) -> int:
        return await factory_reads.factory_count(info.context.sessions, info.context.loaders, self.filter)


@strawberry.type
class Query:
    node: relay.Node | None = relay.node(description="Any public object by its id; null when it is not public.")

    @strawberry.field(description="Public factories, a page at a time (first: at most 100).")
    async def factories(
        self,
        info: Info,
        first: int | None = 20,
        after: str | None = None,
        filter: FactoryFilter | None = None,
        order_by: FactoryOrder | None = None,
    ) -> FactoryConnection:
        spec = filter.spec() if filter else FilterSpec()
        order = order_by.spec() if order_by else OrderSpec()
        page = await factory_reads.factory_page(
            info.context.sessions, info.context.loaders, 20 if first is None else first, after, spec, order
        )
        return FactoryConnection(page=page, filter=spec)

    @strawberry.field(description="One public factory; NOT_FOUND when there is none with this id or it is not public.")
    async def factory(self, info: Info, id: strawberry.ID) -> Factory | None:
        view = await info.context.loaders.factory.load(node_key(id, "Factory"))
        if view is None:
            raise NotFound("No public factory has this id.", id=id)
        return Factory.of(view)

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
