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


@strawberry.type(description="Where a page of a connection lies in the whole list (Relay's cursor connections).")
class PageInfo:
    has_next_page: bool = strawberry.field(description="True when more items follow: pass `endCursor` as `after` to get them.")
    has_previous_page: bool = strawberry.field(
        description="True when the page was asked for with `after` (items come before it); paging runs forward only."
    )
    start_cursor: str | None = strawberry.field(description="The cursor of the page's first item; null for an empty page.")
    end_cursor: str | None = strawberry.field(
        description="The cursor of the page's last item, for the next page's `after`; null for an empty page."
    )

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

    @strawberry.field(description="Why the finding was corrected, as the programme recorded it.")
    def reason(self) -> str:
        return self.correction.reason

    @strawberry.field(description="The day of the correction (a calendar date, YYYY-MM-DD).")
    def corrected_on(self) -> date:
        return self.correction.corrected_on

    @strawberry.field(description="What the finding said before the correction.")
    def previous_status(self) -> FindingStatus:
        return self.correction.previous_status


@strawberry.type(
    description="The answer of a factory's latest published assessment to one publicly reported issue of its country."
)
class Finding(relay.Node):
    finding_id: relay.NodeID[str]
    finding: strawberry.Private[PublicFinding]

    @strawberry.field(description="The publicly reported issue (compliance question) this finding answers.")
    async def issue(self, info: Info) -> ComplianceIssue:
        question = await info.context.loaders.question.load(self.finding.question_id)
        return ComplianceIssue.of(question)

    @strawberry.field(description="What the assessment found, with any correction applied.")
    def status(self) -> FindingStatus:
        return self.finding.status

    @strawberry.field(description="`status` in words, in the language asked for.")
    def status_label(self, info: Info, lang: Lang = None) -> str:
        return label(self.finding.status.value, info.context.language_for(lang))

    @strawberry.field(description="The latest correction of this finding; null when it was never corrected.")
    def correction(self) -> Correction | None:
        return Correction(correction=self.finding.correction) if self.finding.correction else None

    @strawberry.field(
        description="The factory's approved responses to this finding, while its assessment is the latest published one; "
        "oldest first."
    )
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
        keys = [node_id.partition("/")[::2] for node_id in node_ids]  # (assessment, question)
        # load_many: one read for every id (awaiting `load` in turn would read once per id).
        factories = await info.context.loaders.factory_by_assessment.load_many([a for a, _ in keys])
        nodes = []
        for (_, question_id), factory in zip(keys, factories):
            found = [f for f in factory.latest.findings if f.question_id == question_id] if factory else []
            nodes.append(cls.of(factory.latest, found[0]) if found else None)
        return nodes


@strawberry.type(
    description="A factory's most recent published assessment: the only one the public sees. Older ones, drafts and "
    "reports not yet published (or embargoed until their publication day) are never shown."
)
class Assessment(relay.Node):
    assessment_id: relay.NodeID[str]
    factory_view: strawberry.Private[PublicFactory]

    @property
    def assessment(self) -> PublicAssessment:
        return self.factory_view.latest

    @strawberry.field(description="The day the assessment was done (a calendar date, YYYY-MM-DD).")
    def date(self) -> date:
        return self.assessment.date

    @strawberry.field(description="How the assessment was done.")
    def modality(self) -> Modality:
        return self.assessment.modality

    @strawberry.field(description="`modality` in words, in the language asked for.")
    def modality_label(self, info: Info, lang: Lang = None) -> str:
        return label(self.assessment.modality.value, info.context.language_for(lang))

    @strawberry.field(
        description="The number of the factory's cycle it belongs to (a cycle is a one-year period of the programme's "
        "services to the factory, numbered per factory from 1)."
    )
    def cycle(self) -> int:
        return self.assessment.cycle

    @strawberry.field(description="False for a virtual check: its findings may not be comprehensive.")
    def comprehensive(self) -> bool:
        return self.assessment.comprehensive

    @strawberry.field(
        description="One finding for every issue the factory's country reports publicly (compliant, non-compliant or not "
        "assessed), in the country's order."
    )
    def findings(self) -> list[Finding]:
        return [Finding.of(self.assessment, f) for f in self.assessment.findings]

    @strawberry.field(
        description="Only the findings that are NON_COMPLIANT (after corrections), in the country's order; as many as the "
        "factory's `nonComplianceCount`."
    )
    def non_compliances(self) -> list[Finding]:
        return [Finding.of(self.assessment, f) for f in self.assessment.non_compliances]

    @strawberry.field(description="The factory assessed.")
    def factory(self) -> Factory:
        return Factory.of(self.factory_view)

    @strawberry.field(
        description="The factory's approved responses to this assessment and to each of its findings, oldest first."
    )
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


@strawberry.type(
    description="The factory's refusals to let an assessment happen, dated after its latest published assessment."
)
class Refusals:
    unexcused: int = strawberry.field(
        description="How many of them had no excuse (an excuse is force majeure, or more than one other audit the same day)."
    )
    highlighted: bool = strawberry.field(description="True from two unexcused refusals on: the public portal highlights them.")


@strawberry.type(
    description="A factory (a supplier site) with at least two published assessments, as the public may see it. "
    "A factory that left the programme stays until the end of the cycle it was in."
)
class Factory(relay.Node):
    factory_id: relay.NodeID[str]
    view: strawberry.Private[PublicFactory]

    @strawberry.field(description="The factory's name as registered, in its own script and accents.")
    def name(self) -> str:
        return self.view.name

    @strawberry.field(description="What the factory makes.")
    def factory_type(self) -> FactoryType:
        return vocabulary.FactoryType(self.view.factory_type)

    @strawberry.field(description="`factoryType` in words, in the language asked for.")
    def factory_type_label(self, info: Info, lang: Lang = None) -> str:
        return label(self.view.factory_type, info.context.language_for(lang))

    @strawberry.field(description="The country programme the factory belongs to.")
    async def country(self, info: Info) -> Country:
        return Country(programme=await info.context.loaders.country.load(self.view.country))

    @strawberry.field(description="GREEN or NON_COMPLIANT, by the latest published assessment.")
    def compliance_status(self) -> ComplianceStatus:
        return self.view.compliance_status

    @strawberry.field(description="`complianceStatus` in words, in the language asked for.")
    def compliance_status_label(self, info: Info, lang: Lang = None) -> str:
        return label(self.view.compliance_status.value, info.context.language_for(lang))

    @strawberry.field(
        description="How many of its country's publicly reported issues the latest published assessment found "
        "NON_COMPLIANT (after corrections); 0 is GREEN."
    )
    def non_compliance_count(self) -> int:
        return self.view.non_compliance_count

    @strawberry.field(description="The factory's most recent published assessment, the only one shown.")
    def latest_assessment(self) -> Assessment:
        return Assessment.of(self.view)

    @strawberry.field(description="Refusals to be assessed since the latest published assessment.")
    def refusals(self) -> Refusals:
        return Refusals(unexcused=self.view.unexcused_refusals, highlighted=self.view.refusals_highlighted)

    @strawberry.field(
        description="The day the factory left the programme (YYYY-MM-DD); null while it is in. It stays public until "
        "the end of the cycle it was in, then disappears."
    )
    def left_programme_on(self) -> date | None:
        return self.view.left_programme_on

    @classmethod
    def of(cls, view: PublicFactory) -> Factory:
        return cls(factory_id=view.source_id, view=view)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        found = await info.context.loaders.factory.load_many(list(node_ids))
        return [cls.of(f) if f else None for f in found]
