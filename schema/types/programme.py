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
from .vocabulary import After, Cluster, First, Lang

if TYPE_CHECKING:
    from .factory_list import FactoryConnection, FactoryFilterInput, FactoryOrderInput


@strawberry.type(
    description="A compliance issue: one of the assessment tool's questions (200+) that at least one country "
    "programme reports publicly. Others are not public: `issue(id:)` and `node(id:)` do not show them."
)
class ComplianceIssue(relay.Node):
    question_id: relay.NodeID[str]
    question: strawberry.Private[Question]

    @strawberry.field(description="The question's code in the assessment tool (e.g. OSH-7); the same in every country.")
    def code(self) -> str:
        return self.question.id

    @strawberry.field(description="The question as a short sentence, in the language asked for where a translation exists, else English.")
    def title(self, info: Info, lang: Lang = None) -> str:
        return self.question.title(info.context.language_for(lang))

    @strawberry.field(description="The cluster of questions it belongs to.")
    def cluster(self) -> Cluster:
        return self.question.cluster

    @strawberry.field(description="`cluster` in words, in the language asked for.")
    def cluster_label(self, info: Info, lang: Lang = None) -> str:
        return label(self.question.cluster.value, info.context.language_for(lang))

    @strawberry.field(
        description="What the question checks, in the language asked for where a translation exists, else English; "
        "null when the assessment system gives none."
    )
    def description(self, info: Info, lang: Lang = None) -> str | None:
        return self.question.description(info.context.language_for(lang))

    @strawberry.field(description="The country programmes that report this issue publicly, by code.")
    async def countries(self, info: Info) -> list[Country]:
        programmes = await issue_reads.reporting_countries(info.context.sessions, info.context.loaders, self.question.id)
        return [Country(programme=p) for p in programmes]

    @strawberry.field(
        description="Public factories whose latest published assessment found this issue NON_COMPLIANT, a page at a "
        "time: the same rules, filter and order as `Query.factories`."
    )
    async def non_compliant_factories(
        self,
        info: Info,
        first: First = 20,
        after: After = None,
        filter: Annotated[
            Annotated["FactoryFilterInput", strawberry.lazy("transparency_portal.schema.types.factory_list")] | None,
            strawberry.argument(description="Narrows the list further; none (the default) keeps every such factory."),
        ] = None,
        order_by: Annotated[
            Annotated["FactoryOrderInput", strawberry.lazy("transparency_portal.schema.types.factory_list")] | None,
            strawberry.argument(description="The list's order. Default: by name, ascending."),
        ] = None,
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


@strawberry.type(
    description="A country programme: a country whose factories are assessed. It decides which issues are reported "
    "publicly, and since when."
)
class Country:
    programme: strawberry.Private[CountryProgramme]

    @strawberry.field(description="The country's ISO 3166-1 alpha-2 code, in capitals (e.g. KH).")
    def code(self) -> str:
        return self.programme.code

    @strawberry.field(description="The country's name, in English.")
    def name(self) -> str:
        return self.programme.name

    @strawberry.field(
        description="The day factory-level public reporting began in this country (YYYY-MM-DD); null when it has not begun or the date is not known."
    )
    def public_reporting_since(self) -> date | None:
        return self.programme.public_reporting_since

    @strawberry.field(description="The issues reported publicly in this country (about 21 to 30), in its order.")
    async def issues(self, info: Info) -> list[ComplianceIssue]:
        questions = await info.context.loaders.question.load_many(list(self.programme.public_questions))
        return [ComplianceIssue.of(q) for q in questions if q is not None]
