"""The public factory list: its filter, order, facets and connection (pages by keyset), beside
the `Factory` it lists (public.py); `Query.factories` and `ComplianceIssue.nonCompliantFactories`
both answer with it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from enum import Enum

import strawberry

from ...resolvers import factories as factory_reads
from ...resolvers.factories import Page
from ...resolvers.filters import factory_filter
from ...resolvers.ids import to_global
from ...storage.public_counts import Facet
from ...storage.public_filter import FactoryFilter as FilterSpec
from ...storage.public_pages import FactoryOrder as OrderSpec
from ...storage.public_pages import OrderField
from ..context import Info
from ...domain.labels import label
from .public import Factory, PageInfo
from .vocabulary import ComplianceStatus, FactoryType, Lang, Modality

FactoryOrderField = strawberry.enum(OrderField, name="FactoryOrderField")


@strawberry.enum
class OrderDirection(Enum):
    ASC = "ASC"
    DESC = "DESC"


# "Input" in the Python names only: storage.public_filter has the FactoryFilter the reads take.
@strawberry.input(name="FactoryFilter", description="Every field narrows the list; a list field matches any of its values.")
class FactoryFilterInput:
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
        return factory_filter(
            country=self.country or (),
            factory_type=[t.value for t in self.factory_type or ()],
            compliance=[c.value for c in self.compliance or ()],
            non_compliant_on=self.non_compliant_on or (),
            modality=[m.value for m in self.modality or ()],
            search=self.search,
            assessed_since=self.assessed_since,
            refusals_highlighted=self.refusals_highlighted,
        )


@strawberry.input(name="FactoryOrder")
class FactoryOrderInput:
    field: FactoryOrderField = OrderField.NAME
    direction: OrderDirection = OrderDirection.ASC

    def spec(self) -> OrderSpec:
        return OrderSpec(field=OrderField(self.field), descending=self.direction is OrderDirection.DESC)


@strawberry.type
class FactoryEdge:
    cursor: str
    node: Factory


@strawberry.type
class FacetCount:
    value: str
    count: int
    label: str = strawberry.field(description="The value in words (country name, issue title, label).")


@strawberry.type(description="How many factories each value of a filter would give, with the other filters applied.")
class FactoryFacets:
    filter: strawberry.Private[FilterSpec]

    async def _counts(self, info: Info, facet: Facet, lang: str | None) -> list[FacetCount]:
        counts = await factory_reads.facet_counts(info.context.sessions, info.context.loaders, self.filter, facet)
        language = info.context.language_for(lang)
        if facet is Facet.COUNTRY:
            programmes = await info.context.loaders.country.load_many([v for v, _ in counts])
            names = {p.code: p.name for p in programmes if p}
            return [FacetCount(value=v, count=c, label=names.get(v, v)) for v, c in counts]
        if facet is Facet.ISSUE:
            questions = await info.context.loaders.question.load_many([v for v, _ in counts])
            titles = {q.id: q.title(language) for q in questions if q}
            return [FacetCount(value=to_global("ComplianceIssue", v), count=c, label=titles.get(v, v)) for v, c in counts]
        return [FacetCount(value=v, count=c, label=label(v, language)) for v, c in counts]

    @strawberry.field
    async def country(self, info: Info) -> list[FacetCount]:
        return await self._counts(info, Facet.COUNTRY, None)

    @strawberry.field
    async def factory_type(self, info: Info, lang: Lang = None) -> list[FacetCount]:
        return await self._counts(info, Facet.FACTORY_TYPE, lang)

    @strawberry.field
    async def compliance(self, info: Info, lang: Lang = None) -> list[FacetCount]:
        return await self._counts(info, Facet.COMPLIANCE, lang)

    @strawberry.field
    async def modality(self, info: Info, lang: Lang = None) -> list[FacetCount]:
        return await self._counts(info, Facet.MODALITY, lang)

    @strawberry.field(description="Values are ComplianceIssue ids, for `nonCompliantOn`.")
    async def issue(self, info: Info, lang: Lang = None) -> list[FacetCount]:
        return await self._counts(info, Facet.ISSUE, lang)


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
        cursors = [self.page.cursor(item) for item in self.page.items]
        return PageInfo.of(cursors, has_next=self.page.has_next, has_previous=self.page.has_previous)

    @strawberry.field(description="How many public factories match the filter, on every page.")
    async def total_count(self, info: Info) -> int:
        return await factory_reads.factory_count(info.context.sessions, info.context.loaders, self.filter)

    @strawberry.field(description="Counts beside the filter options.")
    def facets(self) -> FactoryFacets:
        return FactoryFacets(filter=self.filter)


async def factory_connection(
    info: Info,
    first: int | None,
    after: str | None,
    filter: FactoryFilterInput | None,
    order_by: FactoryOrderInput | None,
    issue: str | None = None,
) -> FactoryConnection:
    first, spec, order = list_arguments(first, filter, order_by, issue)
    page = await factory_reads.factory_page(info.context.sessions, info.context.loaders, first, after, spec, order)
    return FactoryConnection(page=page, filter=spec)


def list_arguments(
    first: int | None, filter: FactoryFilterInput | None, order_by: FactoryOrderInput | None, issue: str | None = None
) -> tuple[int, FilterSpec, OrderSpec]:
    """The page size, filter and order a factory list's arguments ask for (also the compiled
    executor's, schema/fastpath/executor.py)."""
    spec = filter.spec() if filter else FilterSpec()
    if issue is not None:
        spec = replace(spec, issue=issue)
    return (20 if first is None else first), spec, (order_by.spec() if order_by else OrderSpec())
