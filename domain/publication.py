"""What the public may see of a factory: the publication rules of DOMAIN.md as one function.

Everything is stored; the public view is derived from it by `derive_public_factory`, and the
storage keeps that derivation as a projection, refreshed in the same transaction as every write
that can change it. Only one rule depends on the calendar (rule 5, a factory that left the
programme): the projection records the last day the factory may be shown, and readers compare it
with today.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .vocabulary import AssessmentStatus, ComplianceStatus, FindingResult, Modality, RefusalExcuse

# Rule 1: a factory is public only once it has at least this many published assessments.
MIN_PUBLISHED_ASSESSMENTS = 2
# Rule 4: this many unexcused refusals since the latest published assessment are highlighted.
HIGHLIGHTED_REFUSALS = 2


@dataclass(frozen=True)
class CycleFacts:
    number: int
    start: date
    end: date


@dataclass(frozen=True)
class CorrectionFacts:
    question_id: str
    reason: str
    corrected_on: date
    previous: FindingResult


@dataclass(frozen=True)
class AssessmentFacts:
    source_id: str
    cycle: int
    date: date
    modality: Modality
    status: AssessmentStatus
    published_on: date | None
    # Absent questions were not assessed (a virtual check asks a subset).
    results: Mapping[str, FindingResult]
    # Corrections of this assessment's findings, oldest first.
    corrections: Sequence[CorrectionFacts] = ()


@dataclass(frozen=True)
class RefusalFacts:
    date: date
    excuse: RefusalExcuse | None


@dataclass(frozen=True)
class FactoryFacts:
    """Everything stored about one factory that the public view can depend on."""

    source_id: str
    name: str
    factory_type: str
    country: str
    left_programme_on: date | None
    cycles: Sequence[CycleFacts]
    assessments: Sequence[AssessmentFacts]
    refusals: Sequence[RefusalFacts]


@dataclass(frozen=True)
class PublicCorrection:
    reason: str
    corrected_on: date
    previous_status: FindingResult


@dataclass(frozen=True)
class PublicFinding:
    question_id: str
    status: FindingResult
    correction: PublicCorrection | None = None


@dataclass(frozen=True)
class PublicAssessment:
    source_id: str
    date: date
    modality: Modality
    cycle: int
    findings: tuple[PublicFinding, ...]

    @property
    def comprehensive(self) -> bool:
        # A Virtual Compliance Check asks a subset of questions: its findings may not be complete.
        return self.modality is not Modality.VIRTUAL

    @property
    def non_compliances(self) -> tuple[PublicFinding, ...]:
        return tuple(f for f in self.findings if f.status is FindingResult.NON_COMPLIANT)


@dataclass(frozen=True)
class PublicFactory:
    source_id: str
    name: str
    factory_type: str
    country: str
    left_programme_on: date | None
    latest: PublicAssessment
    unexcused_refusals: int
    # Rule 5: the last day this factory may be shown; None while it is in the programme.
    visible_until: date | None = None
    non_compliant_question_ids: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        ids = tuple(f.question_id for f in self.latest.non_compliances)
        object.__setattr__(self, "non_compliant_question_ids", ids)

    @property
    def non_compliance_count(self) -> int:
        return len(self.non_compliant_question_ids)

    @property
    def compliance_status(self) -> ComplianceStatus:
        # Rule 3: zero publicly reported non-compliances is "green".
        return ComplianceStatus.GREEN if not self.non_compliant_question_ids else ComplianceStatus.NON_COMPLIANT

    @property
    def refusals_highlighted(self) -> bool:
        return self.unexcused_refusals >= HIGHLIGHTED_REFUSALS

    def is_visible_on(self, today: date) -> bool:
        return self.visible_until is None or today <= self.visible_until

    # The projection stores the public document as JSON; these two are its only codec.
    def to_document(self) -> dict[str, Any]:
        latest = self.latest
        return {
            "assessment": latest.source_id,
            "date": latest.date.isoformat(),
            "modality": latest.modality.value,
            "cycle": latest.cycle,
            "findings": [
                [f.question_id, f.status.value, _correction_document(f.correction)] for f in latest.findings
            ],
        }

    @staticmethod
    def assessment_from_document(document: Mapping[str, Any]) -> PublicAssessment:
        return PublicAssessment(
            source_id=document["assessment"],
            date=date.fromisoformat(document["date"]),
            modality=Modality(document["modality"]),
            cycle=document["cycle"],
            findings=tuple(
                PublicFinding(q, FindingResult(s), _correction_from_document(c)) for q, s, c in document["findings"]
            ),
        )


def _correction_document(correction: PublicCorrection | None) -> list[str] | None:
    if correction is None:
        return None
    return [correction.reason, correction.corrected_on.isoformat(), correction.previous_status.value]


def _correction_from_document(document: Sequence[str] | None) -> PublicCorrection | None:
    if document is None:
        return None
    reason, corrected_on, previous = document
    return PublicCorrection(reason, date.fromisoformat(corrected_on), FindingResult(previous))


def _newest(assessments: Sequence[AssessmentFacts]) -> AssessmentFacts:
    # A newer assessment supersedes an older one; ties on the date fall back to publication
    # date, then to the source id, so the choice never depends on row order.
    return max(assessments, key=lambda a: (a.date, a.published_on or a.date, a.source_id))


def published(assessments: Sequence[AssessmentFacts]) -> list[AssessmentFacts]:
    return [a for a in assessments if a.status is AssessmentStatus.PUBLISHED]


def newest_published(assessments: Sequence[AssessmentFacts]) -> AssessmentFacts | None:
    """The assessment rule 2 shows, if any: drafts and finalized reports never are."""
    done = published(assessments)
    return _newest(done) if done else None


def public_findings(assessment: AssessmentFacts, public_questions: Sequence[str]) -> tuple[PublicFinding, ...]:
    """Every publicly reported issue of the country, with this assessment's answer to it.

    Rule 6: a corrected finding carries its latest correction (who is not public: rule 8).
    """
    latest_correction = {c.question_id: c for c in assessment.corrections}
    findings = []
    for question_id in public_questions:
        correction = latest_correction.get(question_id)
        findings.append(
            PublicFinding(
                question_id=question_id,
                status=assessment.results.get(question_id, FindingResult.NOT_ASSESSED),
                correction=(
                    PublicCorrection(correction.reason, correction.corrected_on, correction.previous)
                    if correction
                    else None
                ),
            )
        )
    return tuple(findings)


def visible_until(facts: FactoryFacts) -> date | None:
    """Rule 5: a factory that left stays public until the end of the cycle it was in.

    That is the cycle containing the exit date; when none does, the cycle of its latest
    assessment; with neither, the exit date itself.
    """
    left_on = facts.left_programme_on
    if left_on is None:
        return None
    for cycle in facts.cycles:
        if cycle.start <= left_on <= cycle.end:
            return cycle.end
    if facts.assessments:
        latest_cycle = _newest(facts.assessments).cycle
        for cycle in facts.cycles:
            if cycle.number == latest_cycle:
                return cycle.end
    return left_on


def unexcused_refusals_since(refusals: Sequence[RefusalFacts], since: date) -> int:
    """Rule 4 counts unexcused refusals dated after the latest published assessment."""
    return sum(1 for r in refusals if r.excuse is None and r.date > since)


def derive_public_factory(facts: FactoryFacts, public_questions: Sequence[str]) -> PublicFactory | None:
    """The public view of one factory, or None when rule 1 keeps it private.

    Rule 2: only the most recent published assessment is shown; drafts, finalized reports and
    superseded assessments never are.
    """
    if len(published(facts.assessments)) < MIN_PUBLISHED_ASSESSMENTS:
        return None
    latest = newest_published(facts.assessments)
    return PublicFactory(
        source_id=facts.source_id,
        name=facts.name,
        factory_type=facts.factory_type,
        country=facts.country,
        left_programme_on=facts.left_programme_on,
        latest=PublicAssessment(
            source_id=latest.source_id,
            date=latest.date,
            modality=latest.modality,
            cycle=latest.cycle,
            findings=public_findings(latest, public_questions),
        ),
        unexcused_refusals=unexcused_refusals_since(facts.refusals, latest.date),
        visible_until=visible_until(facts),
    )
