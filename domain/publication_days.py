"""The publication rules that depend on the calendar: rule 2's embargo (an assessment is public
from its publication day, `public_from`, not before; which assessment shows on a day) and rule
5's last day (`visible_until`). `domain.publication` derives the public view from these."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from .factory_facts import AssessmentFacts, FactoryFacts
from .vocabulary import AssessmentStatus


def public_from(status: AssessmentStatus, published_on: date | None, day: date) -> date | None:
    """Rule 2's embargo: the first day the public may see an assessment, its publication day
    (`publishedOn`, else its date); None for drafts and finalized reports, never public."""
    if status is not AssessmentStatus.PUBLISHED:
        return None
    return published_on or day


def _public_from(a: AssessmentFacts) -> date | None:
    return public_from(a.status, a.published_on, a.date)


def _newest(assessments: Sequence[AssessmentFacts]) -> AssessmentFacts:
    # A newer assessment supersedes an older one; ties on the date fall back to publication
    # date, then to the source id, so the choice never depends on row order.
    return max(assessments, key=lambda a: (a.date, a.published_on or a.date, a.source_id))


def published(assessments: Sequence[AssessmentFacts], on: date) -> list[AssessmentFacts]:
    """The assessments the public may see on this day (published, and past their embargo)."""
    return [a for a in assessments if (first := _public_from(a)) is not None and first <= on]


def newest_published(assessments: Sequence[AssessmentFacts], on: date) -> AssessmentFacts | None:
    """The assessment rule 2 shows on this day, if any: drafts and finalized reports never are,
    nor an assessment before its publication day."""
    done = published(assessments, on)
    return _newest(done) if done else None


def change_days(assessments: Sequence[AssessmentFacts], today: date) -> list[date]:
    """Today, then every later day an embargo lifts: the only days the public view can change
    (besides rule 5's last day, which ends it)."""
    later = {first for a in assessments if (first := _public_from(a)) is not None and first > today}
    return [today, *sorted(later)]


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
