"""What the public may see of a factory: the publication rules of DOMAIN.md as one function.

Everything is stored; the public view (`PublicFactory`) is derived from what is stored about a
factory (`domain.factory_facts`) by `derive_public_factory`, and the storage keeps that
derivation as a projection, refreshed in the same transaction as every write that can change it.

Two rules depend on the calendar (`domain.publication_days` holds them):
- rule 2's embargo: an assessment is public from its publication day (`public_from`: its
  `publishedOn`, else its date; never for a draft or finalized report), not before;
- rule 5: a factory that left is public until the end of the cycle it was in (`visible_until`).

So the public view of a factory is a function of the day, and it changes on days nobody writes
anything. `public_periods` gives it as a few periods, [start, end), each with the one view shown
on its days: the view on the day of the refresh, then one period per later publication day that
changes it, the last one ending after rule 5's last day. The projection stores one row per period
and a reader asks only "which row covers today" (`storage.public_factories.visible`), so every public
path (lists, counts, facets, nodes, exports, responses, attachments) answers from the same rows
for the same day, an embargo lifts at midnight without another import, and keyset pages, counts
and indexes stay plain SQL. The first period starts at `date.min`: what the projection knows of
the days before it was written is the view of that day (a clock never runs backwards in
production; a test clock set earlier sees the view of the import's day, as before embargoes).

The other option, deriving the view per day at query time, would need the whole record on every
public read (counts and facets over every factory): the projection exists to avoid exactly that.
Aggregates over the record (country reports, `data_as_of`) compare the stored `public_from` of each
assessment with the day, the same date `domain.publication_days` computes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from .factory_facts import AssessmentFacts, FactoryFacts, RefusalFacts
from .publication_days import change_days, newest_published, published, visible_until
from .vocabulary import ComplianceStatus, FindingResult, Modality

# Rule 1: a factory is public only once it has at least this many published assessments.
MIN_PUBLISHED_ASSESSMENTS = 2
# Rule 4: this many unexcused refusals since the latest published assessment are highlighted.
HIGHLIGHTED_REFUSALS = 2


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


def unexcused_refusals_since(refusals: Sequence[RefusalFacts], since: date) -> int:
    """Rule 4 counts unexcused refusals dated after the latest published assessment."""
    return sum(1 for r in refusals if r.excuse is None and r.date > since)


def derive_public_factory(facts: FactoryFacts, public_questions: Sequence[str], *, on: date) -> PublicFactory | None:
    """The public view of one factory on a day, or None when rule 1 keeps it private.

    Rule 2: only the most recent published assessment is shown; drafts, finalized reports,
    superseded assessments and assessments before their publication day never are. (Rule 5's
    last day is in `visible_until`; `public_periods` applies it.)
    """
    if len(published(facts.assessments, on)) < MIN_PUBLISHED_ASSESSMENTS:
        return None
    latest = newest_published(facts.assessments, on)
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


@dataclass(frozen=True)
class PublicPeriod:
    """Days [start, end) on which the public sees `view` of a factory."""

    start: date
    end: date
    view: PublicFactory


def public_periods(facts: FactoryFacts, public_questions: Sequence[str], today: date) -> list[PublicPeriod]:
    """Every view of the factory from `today` on, each with the days it is shown.

    The first period starts at `date.min` (see the module's docstring); a new one starts on each
    publication day that changes the view; days on which rule 1 keeps the factory private have
    no period, and none reaches past rule 5's last day.
    """
    days = change_days(facts.assessments, today)
    views = [derive_public_factory(facts, public_questions, on=day) for day in days]
    starts = [date.min, *days[1:]]
    ends = [*days[1:], date.max]
    last_day = visible_until(facts)
    stop = last_day + timedelta(days=1) if last_day is not None else date.max
    periods: list[PublicPeriod] = []
    for start, end, view in zip(starts, ends, views):
        if periods and periods[-1].view == view and periods[-1].end == start:
            periods[-1] = PublicPeriod(periods[-1].start, end, view)  # an embargo that changes nothing
        elif view is not None:
            periods.append(PublicPeriod(start, end, view))
    return [PublicPeriod(p.start, min(p.end, stop), p.view) for p in periods if p.start < stop]
