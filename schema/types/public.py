"""The public object types: thin wrappers over the domain's public view."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from ...domain import vocabulary
from ...domain.labels import label
from ...domain.programme import CountryProgramme, Question
from ...domain.publication import PublicAssessment, PublicCorrection, PublicFactory, PublicFinding
from ...resolvers import issues as issue_reads
from ..context import Info

if TYPE_CHECKING:
    from .factory_list import FactoryConnection, FactoryFilterInput, FactoryOrderInput
    from .responses import Response

# Responses live in their own module, which needs these types too.
LazyResponse = Annotated["Response", strawberry.lazy("transparency_portal.schema.types.responses")]
Lang = Annotated[str | None, strawberry.argument(description="A language code (en, fr, es, vi, id, km, ar, bn); default: Accept-Language, else English.")]

Cluster = strawberry.enum(vocabulary.Cluster, description="A cluster of the assessment tool's questions.")
FactoryType = strawberry.enum(vocabulary.FactoryType, description="What a factory makes.")
Modality = strawberry.enum(
    vocabulary.Modality,
    description="How an assessment was done. A VIRTUAL check asks a subset of questions: its findings may not be comprehensive.",
)
FindingStatus = strawberry.enum(vocabulary.FindingResult, name="FindingStatus")
ComplianceStatus = strawberry.enum(
    vocabulary.ComplianceStatus,
    description="GREEN: no publicly reported issue found non-compliant in the latest published assessment.",
)


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None

    @classmethod
    def of(cls, cursors: list[str], *, has_next: bool, has_previous: bool) -> PageInfo:
        return cls(
            has_next_page=has_next,
            has_previous_page=has_previous,
            start_cursor=cursors[0] if cursors else None,
            end_cursor=cursors[-1] if cursors else None,
        )


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


@strawberry.type(description="A finding was changed because it was inaccurate at the time of collection.")
class Correction:
    correction: strawberry.Private[PublicCorrection]

    @strawberry.field
    def reason(self) -> str:
        return self.correction.reason

    @strawberry.field
    def corrected_on(self) -> date:
        return self.correction.corrected_on

    @strawberry.field(description="What the finding said before the correction.")
    def previous_status(self) -> FindingStatus:
        return self.correction.previous_status


@strawberry.type(description="The answer of a factory's current assessment to one publicly reported issue.")
class Finding(relay.Node):
    finding_id: relay.NodeID[str]
    finding: strawberry.Private[PublicFinding]

    @strawberry.field
    async def issue(self, info: Info) -> ComplianceIssue:
        question = await info.context.loaders.question.load(self.finding.question_id)
        return ComplianceIssue.of(question)

    @strawberry.field
    def status(self) -> FindingStatus:
        return self.finding.status

    @strawberry.field
    def status_label(self, info: Info, lang: Lang = None) -> str:
        return label(self.finding.status.value, info.context.language_for(lang))

    @strawberry.field
    def correction(self) -> Correction | None:
        return Correction(correction=self.finding.correction) if self.finding.correction else None

    @strawberry.field(description="The factory's approved responses to this finding.")
    async def responses(self, info: Info) -> list[LazyResponse]:
        from .responses import Response

        assessment_id = self.finding_id.partition("/")[0]
        approved = await info.context.loaders.approved_responses.load(assessment_id) or []
        return [Response.of(r) for r in approved if r.question_id == self.finding.question_id]

    @classmethod
    def of(cls, assessment: PublicAssessment, finding: PublicFinding) -> Finding:
        return cls(finding_id=f"{assessment.source_id}/{finding.question_id}", finding=finding)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        nodes = []
        for node_id in node_ids:
            assessment_id, _, question_id = node_id.partition("/")
            factory = await info.context.loaders.factory_by_assessment.load(assessment_id)
            found = [f for f in factory.latest.findings if f.question_id == question_id] if factory else []
            nodes.append(cls.of(factory.latest, found[0]) if found else None)
        return nodes


@strawberry.type(description="A factory's most recent published assessment: the only one the public sees.")
class Assessment(relay.Node):
    assessment_id: relay.NodeID[str]
    factory_view: strawberry.Private[PublicFactory]

    @property
    def assessment(self) -> PublicAssessment:
        return self.factory_view.latest

    @strawberry.field
    def date(self) -> date:
        return self.assessment.date

    @strawberry.field
    def modality(self) -> Modality:
        return self.assessment.modality

    @strawberry.field
    def modality_label(self, info: Info, lang: Lang = None) -> str:
        return label(self.assessment.modality.value, info.context.language_for(lang))

    @strawberry.field(description="The number of the factory's cycle (a one-year service period) it belongs to.")
    def cycle(self) -> int:
        return self.assessment.cycle

    @strawberry.field(description="False for a virtual check: its findings may not be comprehensive.")
    def comprehensive(self) -> bool:
        return self.assessment.comprehensive

    @strawberry.field(description="Every publicly reported issue of the factory's country, with its status.")
    def findings(self) -> list[Finding]:
        return [Finding.of(self.assessment, f) for f in self.assessment.findings]

    @strawberry.field(description="The publicly reported issues found non-compliant.")
    def non_compliances(self) -> list[Finding]:
        return [Finding.of(self.assessment, f) for f in self.assessment.non_compliances]

    @strawberry.field
    def factory(self) -> Factory:
        return Factory.of(self.factory_view)

    @strawberry.field(description="The factory's approved responses to this assessment and to its findings.")
    async def responses(self, info: Info) -> list[LazyResponse]:
        from .responses import Response

        approved = await info.context.loaders.approved_responses.load(self.assessment.source_id) or []
        return [Response.of(r) for r in approved]

    @classmethod
    def of(cls, factory: PublicFactory) -> Assessment:
        return cls(assessment_id=factory.latest.source_id, factory_view=factory)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        found = await info.context.loaders.factory_by_assessment.load_many(list(node_ids))
        return [cls.of(f) if f else None for f in found]


@strawberry.type(description="Refusals to let an assessment happen, since the latest published assessment.")
class Refusals:
    unexcused: int = strawberry.field(description="Refusals without force majeure or other audits the same day.")
    highlighted: bool = strawberry.field(description="True from two unexcused refusals on.")


@strawberry.type(description="A factory with at least two published assessments, as the public may see it.")
class Factory(relay.Node):
    factory_id: relay.NodeID[str]
    view: strawberry.Private[PublicFactory]

    @strawberry.field(description="As registered, in its own script and accents.")
    def name(self) -> str:
        return self.view.name

    @strawberry.field
    def factory_type(self) -> FactoryType:
        return vocabulary.FactoryType(self.view.factory_type)

    @strawberry.field
    def factory_type_label(self, info: Info, lang: Lang = None) -> str:
        return label(self.view.factory_type, info.context.language_for(lang))

    @strawberry.field
    async def country(self, info: Info) -> Country:
        return Country(programme=await info.context.loaders.country.load(self.view.country))

    @strawberry.field
    def compliance_status(self) -> ComplianceStatus:
        return self.view.compliance_status

    @strawberry.field
    def compliance_status_label(self, info: Info, lang: Lang = None) -> str:
        return label(self.view.compliance_status.value, info.context.language_for(lang))

    @strawberry.field(description="How many publicly reported issues the latest published assessment found non-compliant.")
    def non_compliance_count(self) -> int:
        return self.view.non_compliance_count

    @strawberry.field
    def latest_assessment(self) -> Assessment:
        return Assessment.of(self.view)

    @strawberry.field
    def refusals(self) -> Refusals:
        return Refusals(unexcused=self.view.unexcused_refusals, highlighted=self.view.refusals_highlighted)

    @strawberry.field(description="When the factory left the programme; it stays listed until that cycle ends.")
    def left_programme_on(self) -> date | None:
        return self.view.left_programme_on

    @classmethod
    def of(cls, view: PublicFactory) -> Factory:
        return cls(factory_id=view.source_id, view=view)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        found = await info.context.loaders.factory.load_many(list(node_ids))
        return [cls.of(f) if f else None for f in found]
