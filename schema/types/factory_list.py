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
from .vocabulary import ComplianceStatus, FactoryType, Lang, Modality, described_enum

FactoryOrderField = described_enum(
    OrderField,
    name="FactoryOrderField",
    description="What the factory list is sorted by; factories that tie keep a fixed order among themselves.",
    values={
        "NAME": "The name, ignoring case and accents.",
        "LATEST_ASSESSMENT": "The date of the latest published assessment.",
        "NON_COMPLIANCES": "`nonComplianceCount`.",
    },
)


@strawberry.enum(description="The direction of a sort.")
class OrderDirection(Enum):
    ASC = strawberry.enum_value("ASC", description="Ascending: A to Z, oldest first, fewest first.")
    DESC = strawberry.enum_value("DESC", description="Descending: Z to A, newest first, most first.")


# "Input" in the Python names only: storage.public_filter has the FactoryFilter the reads take.
@strawberry.input(
    name="FactoryFilter",
    description="Which factories to list. Every field given narrows the list (they combine with AND); a list field "
    "matches any of its values (OR). A field left out or null does not filter.",
)
class FactoryFilterInput:
    country: list[str] | None = strawberry.field(
        default=None, description="ISO 3166-1 alpha-2 country codes (any case); BAD_USER_INPUT for anything else."
    )
    factory_type: list[FactoryType] | None = strawberry.field(default=None, description="What the factory makes.")
    compliance: list[ComplianceStatus] | None = strawberry.field(
        default=None, description="GREEN or NON_COMPLIANT, by the latest published assessment."
    )
    non_compliant_on: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="ComplianceIssue ids: factories whose latest published assessment found any of them NON_COMPLIANT.",
    )
    modality: list[Modality] | None = strawberry.field(default=None, description="How the latest published assessment was done.")
    search: str | None = strawberry.field(
        default=None,
        description="Part of the name, at most 200 characters (BAD_USER_INPUT beyond); case and accents ignored. "
        "It scans every public factory, so it costs more of the query budget (see `QUERY_TOO_COMPLEX`).",
    )
    assessed_since: date | None = strawberry.field(
        default=None, description="Factories whose latest published assessment is dated on or after this day (YYYY-MM-DD)."
    )
    refusals_highlighted: bool | None = strawberry.field(
        default=None, description="true: only factories with highlighted refusals; false: only those without."
    )

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


@strawberry.input(name="FactoryOrder", description="The order of a factory list.")
class FactoryOrderInput:
    field: FactoryOrderField = strawberry.field(default=OrderField.NAME, description="What to sort by. Default: NAME.")
    direction: OrderDirection = strawberry.field(default=OrderDirection.ASC, description="Default: ASC.")

    def spec(self) -> OrderSpec:
        return OrderSpec(field=OrderField(self.field), descending=self.direction is OrderDirection.DESC)


@strawberry.type(description="One factory of a page, with its cursor.")
class FactoryEdge:
    cursor: str = strawberry.field(description="Where this factory lies in the list: pass it as `after` for the factories that follow.")
    node: Factory = strawberry.field(description="The factory.")


@strawberry.type(description="One option of a filter, and how many factories it would give.")
class FacetCount:
    value: str = strawberry.field(
        description="The option as the filter takes it: a country code, an enum value, or a ComplianceIssue id."
    )
    count: int = strawberry.field(description="How many public factories this option would give, with the other filters applied.")
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

    @strawberry.field(description="Per country (values are country codes; labels the countries' English names).")
    async def country(self, info: Info) -> list[FacetCount]:
        return await self._counts(info, Facet.COUNTRY, None)

    @strawberry.field(description="Per factory type.")
    async def factory_type(self, info: Info, lang: Lang = None) -> list[FacetCount]:
        return await self._counts(info, Facet.FACTORY_TYPE, lang)

    @strawberry.field(description="Per compliance status.")
    async def compliance(self, info: Info, lang: Lang = None) -> list[FacetCount]:
        return await self._counts(info, Facet.COMPLIANCE, lang)

    @strawberry.field(description="Per modality of the latest published assessment.")
    async def modality(self, info: Info, lang: Lang = None) -> list[FacetCount]:
        return await self._counts(info, Facet.MODALITY, lang)

    @strawberry.field(
        description="Per issue found non-compliant: values are ComplianceIssue ids, for `nonCompliantOn`; labels their titles."
    )
    async def issue(self, info: Info, lang: Lang = None) -> list[FacetCount]:
        return await self._counts(info, Facet.ISSUE, lang)


@strawberry.type(
    description="A page of public factories (a Relay cursor connection), by keyset: a cursor stays valid as data changes."
)
class FactoryConnection:
    page: strawberry.Private[Page]
    filter: strawberry.Private[FilterSpec]

    @strawberry.field(description="The page's factories with their cursors, in the list's order.")
    def edges(self) -> list[FactoryEdge]:
        return [FactoryEdge(cursor=self.page.cursor(item), node=Factory.of(item.factory)) for item in self.page.items]

    @strawberry.field(description="The page's factories, as in `edges` without cursors.")
    def nodes(self) -> list[Factory]:
        return [Factory.of(item.factory) for item in self.page.items]

    @strawberry.field(description="Whether more pages follow, and the cursors to get them.")
    def page_info(self) -> PageInfo:
        cursors = [self.page.cursor(item) for item in self.page.items]
        return PageInfo.of(cursors, has_next=self.page.has_next, has_previous=self.page.has_previous)

    @strawberry.field(description="How many public factories match the filter, on every page.")
    async def total_count(self, info: Info) -> int:
        return await factory_reads.factory_count(info.context.sessions, info.context.loaders, self.filter)

    @strawberry.field(description="How many factories each option of a filter would give, to show beside the filter's options.")
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
