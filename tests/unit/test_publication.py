"""The publication rules of DOMAIN.md, on the domain function that derives the public view."""

from __future__ import annotations

from datetime import date

from transparency_portal.domain.factory_facts import (
    AssessmentFacts,
    CorrectionFacts,
    CycleFacts,
    FactoryFacts,
    RefusalFacts,
)
from transparency_portal.domain.publication import derive_public_factory, public_periods
from transparency_portal.domain.publication_days import public_from
from transparency_portal.domain.vocabulary import (
    AssessmentStatus,
    ComplianceStatus,
    FindingResult,
    Modality,
    RefusalExcuse,
)

C, N, X = FindingResult.COMPLIANT, FindingResult.NON_COMPLIANT, FindingResult.NOT_ASSESSED
PUBLIC = ("Q1", "Q2", "Q3")
# Every assessment below is published before this day.
TODAY = date(2026, 11, 26)
CYCLES = (
    CycleFacts(1, date(2023, 1, 1), date(2023, 12, 31)),
    CycleFacts(2, date(2024, 1, 1), date(2024, 12, 31)),
    CycleFacts(3, date(2025, 1, 1), date(2025, 12, 31)),
)


def assessment(source_id, cycle, day, results, status=AssessmentStatus.PUBLISHED, modality=Modality.ONSITE, corrections=()):
    return AssessmentFacts(source_id, cycle, day, modality, status, day, results, corrections)


def factory(assessments, refusals=(), left_on=None, cycles=CYCLES):
    return FactoryFacts("F", "Factory", "APPAREL", "KH", left_on, cycles, tuple(assessments), tuple(refusals))


A1 = assessment("A1", 1, date(2023, 5, 1), {"Q1": N, "Q2": N, "Q3": C})
A2 = assessment("A2", 2, date(2024, 5, 1), {"Q1": C, "Q2": N, "Q3": C, "PRIVATE": N})


def test_one_published_assessment_is_not_public():
    assert derive_public_factory(factory([A1]), PUBLIC, on=TODAY) is None


def test_drafts_and_finalized_reports_do_not_count():
    draft = assessment("A3", 3, date(2025, 5, 1), {"Q1": C}, status=AssessmentStatus.DRAFT)
    final = assessment("A4", 3, date(2025, 6, 1), {"Q1": C}, status=AssessmentStatus.FINALIZED)
    assert derive_public_factory(factory([A1, draft, final]), PUBLIC, on=TODAY) is None
    view = derive_public_factory(factory([A1, A2, draft, final]), PUBLIC, on=TODAY)
    assert view.latest.source_id == "A2"


def test_only_the_latest_published_assessment_and_only_public_issues_are_shown():
    view = derive_public_factory(factory([A2, A1]), PUBLIC, on=TODAY)
    assert view.latest.source_id == "A2"
    assert [(f.question_id, f.status) for f in view.latest.findings] == [("Q1", C), ("Q2", N), ("Q3", C)]
    assert view.non_compliant_question_ids == ("Q2",)
    assert view.compliance_status is ComplianceStatus.NON_COMPLIANT


def test_green_means_no_public_non_compliance_even_with_private_ones():
    green = assessment("A3", 3, date(2025, 5, 1), {"Q1": C, "Q2": C, "Q3": C, "PRIVATE": N})
    view = derive_public_factory(factory([A1, A2, green]), PUBLIC, on=TODAY)
    assert view.compliance_status is ComplianceStatus.GREEN and view.non_compliance_count == 0


def test_a_virtual_check_is_not_comprehensive_and_unasked_questions_are_not_assessed():
    virtual = assessment("A3", 3, date(2025, 5, 1), {"Q1": C}, modality=Modality.VIRTUAL)
    view = derive_public_factory(factory([A1, A2, virtual]), PUBLIC, on=TODAY)
    assert not view.latest.comprehensive
    assert [f.status for f in view.latest.findings] == [C, X, X]


def test_two_unexcused_refusals_after_the_latest_assessment_are_highlighted():
    refusals = [
        RefusalFacts(date(2024, 4, 1), None),  # before the latest assessment: not counted
        RefusalFacts(date(2024, 6, 1), None),
        RefusalFacts(date(2024, 7, 1), RefusalExcuse.FORCE_MAJEURE),
        RefusalFacts(date(2024, 8, 1), RefusalExcuse.OTHER_AUDITS_SAME_DAY),
    ]
    view = derive_public_factory(factory([A1, A2], refusals), PUBLIC, on=TODAY)
    assert view.unexcused_refusals == 1 and not view.refusals_highlighted
    view = derive_public_factory(factory([A1, A2], [*refusals, RefusalFacts(date(2024, 9, 1), None)]), PUBLIC, on=TODAY)
    assert view.unexcused_refusals == 2 and view.refusals_highlighted


def test_a_factory_that_left_is_shown_until_the_end_of_its_cycle():
    view = derive_public_factory(factory([A1, A2], left_on=date(2024, 3, 10)), PUBLIC, on=TODAY)
    assert view.visible_until == date(2024, 12, 31)
    # Shown through its last day, gone from the next one.
    [period] = public_periods(factory([A1, A2], left_on=date(2024, 3, 10)), PUBLIC, TODAY)
    assert (period.start, period.end) == (date.min, date(2025, 1, 1))
    [period] = public_periods(factory([A1, A2]), PUBLIC, TODAY)
    assert (period.start, period.end) == (date.min, date.max)


def test_an_exit_outside_every_cycle_uses_the_cycle_of_the_latest_assessment():
    view = derive_public_factory(factory([A1, A2], left_on=date(2026, 6, 1)), PUBLIC, on=TODAY)
    assert view.visible_until == date(2024, 12, 31)


def test_a_correction_is_shown_with_reason_date_and_previous_status_but_no_name():
    correction = CorrectionFacts("Q2", "Payroll re-examined", date(2024, 9, 1), C)
    corrected = assessment("A2", 2, date(2024, 5, 1), {"Q1": C, "Q2": N, "Q3": C}, corrections=(correction,))
    view = derive_public_factory(factory([A1, corrected]), PUBLIC, on=TODAY)
    finding = view.latest.findings[1]
    assert finding.correction.reason == "Payroll re-examined"
    assert finding.correction.previous_status is C
    assert "corrected_by" not in repr(view.to_document())


def test_the_public_document_round_trips():
    correction = CorrectionFacts("Q2", "why", date(2024, 9, 1), C)
    corrected = assessment("A2", 2, date(2024, 5, 1), {"Q1": C, "Q2": N}, corrections=(correction,))
    view = derive_public_factory(factory([A1, corrected]), PUBLIC, on=TODAY)
    assert view.assessment_from_document(view.to_document()) == view.latest


# Rule 2's embargo: an assessment is public from its publication day, not before.


def published_on(source_id, cycle, day, published, results):
    return AssessmentFacts(source_id, cycle, day, Modality.ONSITE, AssessmentStatus.PUBLISHED, published, results)


A3 = published_on("A3", 3, date(2025, 5, 1), date(2026, 12, 10), {"Q1": N, "Q2": C, "Q3": C})


def test_the_publication_day_is_published_on_else_the_date_and_never_for_unpublished_ones():
    assert public_from(AssessmentStatus.PUBLISHED, date(2026, 12, 10), date(2025, 5, 1)) == date(2026, 12, 10)
    assert public_from(AssessmentStatus.PUBLISHED, None, date(2025, 5, 1)) == date(2025, 5, 1)
    assert public_from(AssessmentStatus.FINALIZED, date(2026, 12, 10), date(2025, 5, 1)) is None
    assert public_from(AssessmentStatus.DRAFT, None, date(2025, 5, 1)) is None


def test_an_embargoed_assessment_is_not_shown_before_its_publication_day():
    before = derive_public_factory(factory([A1, A2, A3]), PUBLIC, on=date(2026, 12, 9))
    assert before.latest.source_id == "A2"
    on_the_day = derive_public_factory(factory([A1, A2, A3]), PUBLIC, on=date(2026, 12, 10))
    assert on_the_day.latest.source_id == "A3"
    # Nor does it count for rule 1: one published-and-public assessment is not enough.
    assert derive_public_factory(factory([A1, A3]), PUBLIC, on=date(2026, 12, 9)) is None
    assert derive_public_factory(factory([A1, A3]), PUBLIC, on=date(2026, 12, 10)).latest.source_id == "A3"


def test_periods_change_on_publication_days_only():
    periods = public_periods(factory([A1, A2, A3]), PUBLIC, TODAY)
    assert [(p.start, p.end, p.view.latest.source_id) for p in periods] == [
        (date.min, date(2026, 12, 10), "A2"),
        (date(2026, 12, 10), date.max, "A3"),
    ]
    # Not public before the embargo lifts: no period until then.
    [period] = public_periods(factory([A1, A3]), PUBLIC, TODAY)
    assert (period.start, period.end, period.view.latest.source_id) == (date(2026, 12, 10), date.max, "A3")


def test_an_embargo_that_changes_nothing_starts_no_period_and_an_exit_ends_the_last():
    older = published_on("A0", 1, date(2023, 1, 5), date(2026, 12, 10), {"Q1": C})  # older than A2
    [period] = public_periods(factory([A1, A2, older]), PUBLIC, TODAY)
    assert (period.start, period.end, period.view.latest.source_id) == (date.min, date.max, "A2")
    # Left in cycle 3, which ends before A3's day: A3 is never shown.
    cycles = (*CYCLES[:2], CycleFacts(3, date(2025, 1, 1), date(2026, 12, 5)))
    [period] = public_periods(factory([A1, A2, A3], left_on=date(2026, 11, 1), cycles=cycles), PUBLIC, TODAY)
    assert (period.end, period.view.latest.source_id) == (date(2026, 12, 6), "A2")
