"""The public factory graph: `Factory`, its latest `Assessment` with its `Finding`s and their
`Correction`s, refusals, and the `PageInfo` of its connections; thin wrappers over the domain's
public view. Issues and countries are in `programme`, the list's connection in `factory_list`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from ...domain import vocabulary
from ...domain.labels import label
from ...domain.publication import PublicAssessment, PublicCorrection, PublicFactory, PublicFinding
from ..context import Info
from .programme import ComplianceIssue, Country
from .vocabulary import ComplianceStatus, FactoryType, FindingStatus, Lang, Modality

if TYPE_CHECKING:
    from .responses import Response

# Responses live in their own module, which needs these types too.
LazyResponse = Annotated["Response", strawberry.lazy("transparency_portal.schema.types.responses")]


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
