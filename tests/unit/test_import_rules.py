"""The rules an import keeps against what is stored (domain/import_rules.py), one value at a time.

The same rules through a whole import, on SQLite and PostgreSQL, are in
tests/workflows/test_import.py; these pin each rule's edge and the exact words a steward reads.
"""

from __future__ import annotations

from datetime import date

import pytest

from transparency_portal.domain import import_rules as rules
from transparency_portal.domain.import_rules import Breach, Correction

JAN_1, JUN_30, DEC_31 = date(2025, 1, 1), date(2025, 6, 30), date(2025, 12, 31)


@pytest.mark.parametrize(
    "kind, section", [("question", "questions"), ("country", "countries"), ("factory", "factories")]
)
def test_a_reference_must_name_an_entry_of_the_document_or_the_portal(kind, section):
    assert rules.reference(kind, "X-1", {"X-1", "X-2"}, "field") is None
    assert rules.reference(kind, "X-9", {"X-1", "X-2"}, "findings[3].question") == Breach(
        "findings[3].question", f"unknown {kind} X-9: it is neither in this document's {section} nor in the portal"
    )


def test_a_factory_cannot_move_to_another_country():
    assert rules.country_change("KH", "KH") is None
    assert rules.country_change("KH", "VN") == Breach(
        "country", "is KH in the portal; a factory cannot move to another country (VN)"
    )


def test_a_cycle_may_last_one_day_but_not_end_before_it_starts():
    assert rules.cycle_order(JAN_1, JAN_1) is None
    assert rules.cycle_order(DEC_31, JAN_1) == Breach("end", "2025-01-01 is before the cycle's start (2025-12-31)")


def test_an_assessment_is_dated_inside_a_cycle_of_its_factory():
    span = (JAN_1, DEC_31)
    assert rules.assessment_in_cycle("KH-1", 2, JAN_1, span) is None
    assert rules.assessment_in_cycle("KH-1", 2, DEC_31, span) is None
    assert rules.assessment_in_cycle("KH-1", 2, date(2026, 1, 1), span) == Breach(
        "date", "2026-01-01 is outside cycle 2 of factory KH-1 (2025-01-01 to 2025-12-31)"
    )
    assert rules.assessment_in_cycle("KH-1", 7, JUN_30, None) == Breach(
        "cycle", "factory KH-1 has no cycle 7, neither in this document nor in the portal"
    )


def test_new_dates_of_a_cycle_keep_its_stored_assessments_inside():
    assert rules.cycle_change("A1", JUN_30, JAN_1, JUN_30) is None
    early = rules.cycle_change("A1", date(2024, 12, 31), JAN_1, DEC_31)
    late = rules.cycle_change("A1", date(2026, 1, 1), JAN_1, DEC_31)
    assert early == Breach("start", "would leave assessment A1 (2024-12-31) outside its cycle (2025-01-01 to 2025-12-31)")
    assert late is not None and late.field == "end"


def test_an_assessment_cannot_move_to_another_factory():
    assert rules.factory_change("KH-1", "KH-1") is None
    assert rules.factory_change("KH-1", "KH-2") == Breach(
        "factory", "belongs to factory KH-1 in the portal; an assessment cannot move to another factory (KH-2)"
    )


@pytest.mark.parametrize(
    "stored, wanted, allowed",
    [
        ("DRAFT", "FINALIZED", True),
        ("FINALIZED", "DRAFT", True),
        ("DRAFT", "PUBLISHED", True),
        ("PUBLISHED", "PUBLISHED", True),
        ("PUBLISHED", "DRAFT", False),
        ("PUBLISHED", "FINALIZED", False),
    ],
)
def test_a_published_assessment_cannot_go_back(stored, wanted, allowed):
    breach = rules.status_change(stored, wanted)
    if allowed:
        assert breach is None
    else:
        assert breach == Breach("status", f"is published in the portal and cannot go back to {wanted}")


def test_changed_fields_of_a_published_assessment_are_corrections():
    stored = (date(2025, 6, 3), "VIRTUAL", 2)
    assert rules.assessment_corrections("A2", stored, stored) == []
    assert rules.assessment_corrections("A2", stored, (date(2025, 6, 4), "HYBRID", 3)) == [
        Correction("A2", None, "2025-06-03", "2025-06-04", "date"),
        Correction("A2", None, "VIRTUAL", "HYBRID", "modality"),
        Correction("A2", None, "2", "3", "cycle"),
    ]


def test_changed_findings_of_a_published_assessment_are_corrections():
    stored = {"Q1": "COMPLIANT", "Q2": "NON_COMPLIANT", "Q3": "NOT_ASSESSED", "Q4": "COMPLIANT"}
    wanted = {"Q1": "NON_COMPLIANT", "Q3": "COMPLIANT", "Q4": "COMPLIANT", "Q5": "NON_COMPLIANT", "Q6": "NOT_ASSESSED"}
    assert rules.finding_corrections("A2", stored, stored) == []
    assert rules.finding_corrections("A2", stored, wanted) == [
        Correction("A2", "Q1", "COMPLIANT", "NON_COMPLIANT"),
        Correction("A2", "Q3", "NOT_ASSESSED", "COMPLIANT"),
        # A question newly answered was not assessed before; answering NOT_ASSESSED changes nothing.
        Correction("A2", "Q5", "NOT_ASSESSED", "NON_COMPLIANT"),
        # A question no longer answered is not assessed now.
        Correction("A2", "Q2", "NON_COMPLIANT", "NOT_ASSESSED"),
    ]
    # Dropping a NOT_ASSESSED finding changes nothing public.
    assert rules.finding_corrections("A2", {"Q3": "NOT_ASSESSED"}, {}) == []


def test_a_correction_without_a_reason_names_what_it_changes():
    finding = rules.uncorrected(Correction("A2", "Q2", "COMPLIANT", "NON_COMPLIANT"))
    field = rules.uncorrected(Correction("A2", None, "VIRTUAL", "HYBRID", "modality"))
    assert finding == Breach(
        "findings[Q2]", "changes a published finding from COMPLIANT to NON_COMPLIANT; re-run with --correction-reason"
    )
    assert field == Breach(
        "modality",
        "changes the modality of a published assessment from VIRTUAL to HYBRID; re-run with --correction-reason",
    )


@pytest.mark.parametrize("reason, blank", [(None, False), ("Payroll re-examined", False), ("", True), (" \t\n", True)])
def test_a_correction_reason_says_something(reason, blank):
    breach = rules.correction_reason(reason)
    assert (breach == Breach(None, "the correction reason is empty: say why")) if blank else breach is None
