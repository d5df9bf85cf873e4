"""The programme's public types: the compliance issues (questions reported publicly) and the
country programmes that report them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from ...domain.labels import label
from ...domain.programme import CountryProgramme, Question
from ...resolvers import issues as issue_reads
from ..context import Info
from .vocabulary import Cluster, Lang

if TYPE_CHECKING:
    from .factory_list import FactoryConnection, FactoryFilterInput, FactoryOrderInput


@strawberry.type(description="One of the assessment tool's compliance questions, reported publicly in some country.")
class ComplianceIssue(relay.Node):
    question_id: relay.NodeID[str]
    question: strawberry.Private[Question]

    @strawberry.field(description="The question's id in the assessment system (e.g. OSH-7).")
    def code(self) -> str:
        return self.question.id

    @strawberry.field(description="In the language asked for where a translation exists, else English.")
    def title(self, info: Info, lang: Lang = None) -> str:
        return self.question.title(info.context.language_for(lang))

    @strawberry.field
    def cluster(self) -> Cluster:
        return self.question.cluster

    @strawberry.field
    def cluster_label(self, info: Info, lang: Lang = None) -> str:
        return label(self.question.cluster.value, info.context.language_for(lang))

    @strawberry.field
    def description(self, info: Info, lang: Lang = None) -> str | None:
        return self.question.description(info.context.language_for(lang))

    @strawberry.field(description="The country programmes that report this issue publicly.")
    async def countries(self, info: Info) -> list[Country]:
        programmes = await issue_reads.reporting_countries(info.context.sessions, info.context.loaders, self.question.id)
        return [Country(programme=p) for p in programmes]

    @strawberry.field(description="Public factories found non-compliant on this issue (same rules and filters as `factories`).")
    async def non_compliant_factories(
        self,
        info: Info,
        first: int | None = 20,
        after: str | None = None,
        filter: Annotated["FactoryFilterInput", strawberry.lazy("transparency_portal.schema.types.factory_list")] | None = None,
        order_by: Annotated["FactoryOrderInput", strawberry.lazy("transparency_portal.schema.types.factory_list")] | None = None,
    ) -> Annotated["FactoryConnection", strawberry.lazy("transparency_portal.schema.types.factory_list")]:
        from .factory_list import factory_connection

        return await factory_connection(info, first, after, filter, order_by, issue=self.question.id)

    @classmethod
    def of(cls, question: Question) -> ComplianceIssue:
        return cls(question_id=question.id, question=question)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        found = await issue_reads.public_issues(info.context.sessions, info.context.loaders, list(node_ids))
        return [cls.of(q) if q else None for q in found]


@strawberry.type(description="A country programme.")
class Country:
    programme: strawberry.Private[CountryProgramme]

    @strawberry.field(description="ISO 3166-1 alpha-2 code.")
    def code(self) -> str:
        return self.programme.code

    @strawberry.field
    def name(self) -> str:
        return self.programme.name

    @strawberry.field(description="When factory-level public reporting began in this country.")
    def public_reporting_since(self) -> date | None:
        return self.programme.public_reporting_since

    @strawberry.field(description="The issues reported publicly in this country, in its order.")
    async def issues(self, info: Info) -> list[ComplianceIssue]:
        questions = await info.context.loaders.question.load_many(list(self.programme.public_questions))
        return [ComplianceIssue.of(q) for q in questions if q is not None]
