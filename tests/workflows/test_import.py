"""`portal import`: the use case behind it (workflows.import_document), on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from transparency_portal.storage.tables import metadata
from transparency_portal.storage.tables.public import PublicFactoryRow, PublicNonComplianceRow
from transparency_portal.storage.tables.record import AssessmentRow, CorrectionRow, FindingRow, ImportRunRow
from transparency_portal.workflows.import_document import (
    Correction,
    ImportRejected,
    Problem,
    import_document,
    parse_document,
)

# A copy of /work/shared/import-format/example.json (the format's own example), so the suite
# does not depend on files outside the repository; `test_example_is_the_shared_one` keeps them equal.
EXAMPLE = {
    "format": "assessment-export/1",
    "exportedAt": "2026-10-01T08:00:00Z",
    "questions": [
        {"id": "CHI-1", "cluster": "CHILD_LABOUR", "title": {"en": "No unremediated child labour", "fr": "Pas de travail des enfants non corrigé"}},
        {"id": "OSH-7", "cluster": "OCCUPATIONAL_SAFETY_AND_HEALTH", "title": {"en": "Emergency exit doors are unlocked during working hours"}},
        {"id": "COM-2", "cluster": "COMPENSATION", "title": {"en": "Correctly paid overtime wages"}},
        {"id": "WT-4", "cluster": "WORKING_TIME", "title": {"en": "Overtime within legal limits"}},
    ],
    "countries": [
        {"code": "KH", "name": "Cambodia", "languages": ["km", "en"], "publicReportingSince": "2014-01-01",
         "publicQuestions": ["CHI-1", "OSH-7", "COM-2"]},
    ],
    "factories": [
        {"id": "KH-0001", "name": "Example Garment Co. (fictional)", "type": "APPAREL", "country": "KH"},
    ],
    "cycles": [
        {"factory": "KH-0001", "number": 1, "start": "2024-02-01", "end": "2025-01-31"},
        {"factory": "KH-0001", "number": 2, "start": "2025-02-01", "end": "2026-01-31"},
    ],
    "assessments": [
        {"id": "KH-0001-A1", "factory": "KH-0001", "cycle": 1, "date": "2024-05-14", "modality": "ONSITE",
         "status": "PUBLISHED", "publishedOn": "2024-07-01",
         "findings": [{"question": "CHI-1", "result": "COMPLIANT"}, {"question": "OSH-7", "result": "NON_COMPLIANT"},
                      {"question": "COM-2", "result": "NON_COMPLIANT"}, {"question": "WT-4", "result": "NON_COMPLIANT"}]},
        {"id": "KH-0001-A2", "factory": "KH-0001", "cycle": 2, "date": "2025-06-03", "modality": "VIRTUAL",
         "status": "PUBLISHED", "publishedOn": "2025-07-20",
         "findings": [{"question": "OSH-7", "result": "COMPLIANT"}, {"question": "COM-2", "result": "NON_COMPLIANT"}]},
    ],
    "refusals": [
        {"factory": "KH-0001", "date": "2025-03-10", "excuse": "FORCE_MAJEURE"},
    ],
}  # fmt: skip

SHARED_EXAMPLE = Path("/work/shared/import-format/example.json")
ACTOR = "alice@example.org"


def example() -> dict:
    return copy.deepcopy(EXAMPLE)


def assessment(document: dict, source_id: str) -> dict:
    return next(a for a in document["assessments"] if a["id"] == source_id)


def set_finding(entry: dict, question: str, result: str | None) -> None:
    """Change (or, with None, remove) one finding of an assessment entry."""
    entry["findings"] = [f for f in entry["findings"] if f["question"] != question]
    if result is not None:
        entry["findings"].append({"question": question, "result": result})


async def dump(sessions) -> dict[str, list[tuple]]:
    """Every row of every table, in a stable order: compare two of these to see any write at all."""
    async with sessions() as session:
        tables = {}
        for table in metadata.sorted_tables:
            rows = (await session.exec(select(table))).all()
            tables[table.name] = sorted((tuple(row) for row in rows), key=repr)
        return tables


async def public_factories(sessions) -> list[PublicFactoryRow]:
    async with sessions() as session:
        return list((await session.exec(select(PublicFactoryRow))).scalars())


async def count(sessions, table) -> int:
    async with sessions() as session:
        return (await session.exec(select(func.count()).select_from(table))).scalar_one()


def locations(error: ImportRejected) -> list[tuple[str | None, str | None, str | None]]:
    return [(p.section, p.key, p.field) for p in error.problems]


def test_example_is_the_shared_one():
    if not SHARED_EXAMPLE.exists():
        pytest.skip("the shared import-format folder is not on this machine")
    assert json.loads(SHARED_EXAMPLE.read_bytes()) == EXAMPLE


# --------------------------------------------------------------------------------------------
# A good document


async def test_example_imports_with_one_public_factory(sessions):
    document = parse_document(json.dumps(EXAMPLE).encode(), "example.json")
    summary = await import_document(sessions, document, source="example.json", actor=ACTOR)

    assert not summary.dry_run and summary.changed
    assert {name: (c.created, c.updated, c.unchanged) for name, c in summary.sections.items()} == {
        "questions": (4, 0, 0),
        "countries": (1, 0, 0),
        "factories": (1, 0, 0),
        "cycles": (2, 0, 0),
        "assessments": (2, 0, 0),
        "refusals": (1, 0, 0),
    }
    assert summary.findings.created == 6
    assert summary.corrections == []
    assert summary.public_factories == 1
    assert "example.json: imported" in str(summary)

    [public] = await public_factories(sessions)
    assert public.source_id == "KH-0001"
    assert public.latest_assessment == "KH-0001-A2"  # the newest published one supersedes A1
    assert (public.latest_date, public.modality, public.cycle_number) == (date(2025, 6, 3), "VIRTUAL", 2)
    assert public.non_compliance_count == 1
    assert public.unexcused_refusals == 0  # the one refusal is excused (force majeure)
    # Every publicly reported issue of the country, with A2's answer (CHI-1 was not asked: virtual).
    assert public.document["findings"] == [
        ["CHI-1", "NOT_ASSESSED", None],
        ["OSH-7", "COMPLIANT", None],
        ["COM-2", "NON_COMPLIANT", None],
    ]
    async with sessions() as session:
        non_compliances = (await session.exec(select(PublicNonComplianceRow.question_id))).scalars().all()
        assert non_compliances == ["COM-2"]
        # The record keeps everything: the superseded A1 and its non-public WT-4 finding too.
        findings = (
            await session.exec(
                select(AssessmentRow.source_id, FindingRow.question_id, FindingRow.result).join(
                    AssessmentRow, AssessmentRow.pk == FindingRow.assessment_pk
                )
            )
        ).all()
        assert sorted(findings) == [
            ("KH-0001-A1", "CHI-1", "COMPLIANT"),
            ("KH-0001-A1", "COM-2", "NON_COMPLIANT"),
            ("KH-0001-A1", "OSH-7", "NON_COMPLIANT"),
            ("KH-0001-A1", "WT-4", "NON_COMPLIANT"),
            ("KH-0001-A2", "COM-2", "NON_COMPLIANT"),
            ("KH-0001-A2", "OSH-7", "COMPLIANT"),
        ]
        [run] = (await session.exec(select(ImportRunRow))).scalars().all()
        assert (run.source, run.actor, len(run.sha256)) == ("example.json", ACTOR, 64)
        assert run.summary["sections"]["assessments"] == {"created": 2, "updated": 0, "unchanged": 0}
        assert run.summary["public_factories"] == 1
    assert await count(sessions, CorrectionRow) == 0


async def test_importing_twice_changes_nothing(sessions):
    await import_document(sessions, example(), actor=ACTOR)
    before = await dump(sessions)

    summary = await import_document(sessions, example(), source="again.json", actor=ACTOR)

    assert not summary.changed
    assert summary.corrections == []
    assert summary.sections["assessments"].unchanged == 2
    assert summary.findings.unchanged == 6
    assert "nothing to change" in str(summary)
    assert await dump(sessions) == before  # not even an import run or a data version bump


async def test_all_findings_are_kept_not_only_the_public_ones(sessions):
    clusters = ["CHILD_LABOUR", "FORCED_LABOUR", "DISCRIMINATION", "FREEDOM_OF_ASSOCIATION", "COMPENSATION",
                "CONTRACTS_AND_HUMAN_RESOURCES", "OCCUPATIONAL_SAFETY_AND_HEALTH", "WORKING_TIME"]  # fmt: skip
    questions = [f"Q-{n:03}" for n in range(1, 254)]
    public = questions[::10][:26]
    document = {
        "format": "assessment-export/1",
        "questions": [
            {"id": q, "cluster": clusters[n % 8], "title": {"en": f"Question {n}"}} for n, q in enumerate(questions)
        ],
        "countries": [{"code": "VN", "name": "Việt Nam", "languages": ["vi", "en"], "publicQuestions": public}],
        "factories": [{"id": "VN-1", "name": "Công ty Dệt May (fictional)", "type": "TEXTILE", "country": "VN"}],
        "cycles": [{"factory": "VN-1", "number": 1, "start": "2024-01-01", "end": "2024-12-31"}],
        "assessments": [
            {
                "id": f"VN-1-A{k}", "factory": "VN-1", "cycle": 1, "date": f"2024-0{k + 3}-01", "modality": "ONSITE",
                "status": "PUBLISHED",
                "findings": [
                    {"question": q, "result": "NON_COMPLIANT" if n % 7 == k else "COMPLIANT"}
                    for n, q in enumerate(questions)
                ],
            }  # fmt: skip
            for k in (1, 2)
        ],
    }
    summary = await import_document(sessions, document, actor=ACTOR)

    assert summary.findings.created == 2 * 253
    assert await count(sessions, FindingRow) == 2 * 253
    [factory] = await public_factories(sessions)
    assert factory.latest_assessment == "VN-1-A2"
    assert [f[0] for f in factory.document["findings"]] == public  # the public view: the 26 public ones
    expected = [q for n, q in enumerate(questions) if q in public and n % 7 == 2]
    assert factory.non_compliance_count == len(expected)


# --------------------------------------------------------------------------------------------
# A bad document changes nothing


def _bad_result(document: dict) -> None:
    assessment(document, "KH-0001-A2")["findings"][1]["result"] = "COMPLAINT"


def _unknown_question(document: dict) -> None:
    assessment(document, "KH-0001-A1")["findings"][2]["question"] = "COM-99"


def _duplicate_assessment(document: dict) -> None:
    twin = copy.deepcopy(assessment(document, "KH-0001-A1"))
    twin["date"] = "2024-06-01"
    document["assessments"].append(twin)


def _unknown_country(document: dict) -> None:
    document["factories"].append({"id": "XX-0002", "name": "Nowhere Ltd (fictional)", "type": "OTHER", "country": "ZZ"})


@pytest.mark.parametrize(
    ("break_it", "where", "words"),
    [
        (_bad_result, ("assessments", "KH-0001-A2", "findings[1].result"), "must be one of COMPLIANT, NON_COMPLIANT"),
        (_unknown_question, ("assessments", "KH-0001-A1", "findings[2].question"), "unknown question COM-99"),
        (_duplicate_assessment, ("assessments", "KH-0001-A1", "id"), "appears more than once"),
        (_unknown_country, ("factories", "XX-0002", "country"), "unknown country ZZ"),
    ],
    ids=["invalid-result", "unknown-question", "duplicate-assessment", "unknown-country"],
)
async def test_a_bad_document_changes_nothing(sessions, break_it, where, words):
    await import_document(sessions, example(), actor=ACTOR)
    before = await dump(sessions)
    document = example()
    # Valid changes beside the error: none of them may be written either.
    document["factories"][0]["name"] = "Renamed Garment Co. (fictional)"
    document["refusals"].append({"factory": "KH-0001", "date": "2025-09-01", "excuse": None})
    break_it(document)

    with pytest.raises(ImportRejected) as caught:
        await import_document(sessions, document, source="bad.json", actor=ACTOR)

    assert where in locations(caught.value)
    problem = caught.value.problems[locations(caught.value).index(where)]
    assert words in problem.message
    assert str(caught.value).startswith("bad.json: ")
    assert "Traceback" not in str(caught.value)
    assert await dump(sessions) == before


async def test_the_schema_error_names_section_key_and_field(sessions):
    document = example()
    _bad_result(document)
    with pytest.raises(ImportRejected) as caught:
        parse_document(json.dumps(document).encode(), "bad.json")
    [problem] = caught.value.problems
    assert str(problem) == (
        'assessments[KH-0001-A2].findings[1].result: must be one of COMPLIANT, NON_COMPLIANT, NOT_ASSESSED, '
        'not "COMPLAINT"'
    )
    # Entries keyed by two fields (README: "keyed by") are named by both.
    document = example()
    document["cycles"][1]["start"] = "2025-02-30"
    with pytest.raises(ImportRejected) as caught:
        parse_document(json.dumps(document).encode())
    assert locations(caught.value) == [("cycles", "KH-0001+2", "start")]
    assert "real date" in caught.value.problems[0].message
    # A missing field is named itself.
    document = example()
    del document["factories"][0]["type"]
    with pytest.raises(ImportRejected) as caught:
        parse_document(json.dumps(document).encode())
    assert [str(p) for p in caught.value.problems] == ["factories[KH-0001].type: is required"]
    # Problems of the document itself have no section.
    with pytest.raises(ImportRejected) as caught:
        parse_document(b'{"format": "assessment-export/2"}')
    assert [str(p) for p in caught.value.problems] == ['format: must be assessment-export/1, not "assessment-export/2"']
    with pytest.raises(ImportRejected) as caught:
        parse_document(b"[]", "list.json")
    assert str(caught.value) == "list.json: the document must be a JSON object, not a list"


async def test_broken_json_changes_nothing(sessions):
    await import_document(sessions, example(), actor=ACTOR)
    before = await dump(sessions)
    raw = json.dumps(example(), indent=1).encode()
    raw = raw[: len(raw) // 2]

    with pytest.raises(ImportRejected) as caught:
        await import_document(sessions, parse_document(raw, "broken.json"), actor=ACTOR)

    [problem] = caught.value.problems
    assert (problem.section, problem.key, problem.field) == (None, None, None)
    assert "not valid JSON" in problem.message and "line" in problem.message and "column" in problem.message
    assert str(caught.value).startswith("broken.json: not valid JSON")
    assert await dump(sessions) == before


async def test_every_rule_problem_is_reported_at_once(sessions):
    await import_document(sessions, example(), actor=ACTOR)
    before = await dump(sessions)
    document = example()
    _unknown_question(document)
    _duplicate_assessment(document)
    _unknown_country(document)
    document["cycles"].append({"factory": "KH-0001", "number": 3, "start": "2026-02-01", "end": "2026-01-01"})
    document["cycles"].append({"factory": "KH-0404", "number": 1, "start": "2026-02-01", "end": "2027-01-01"})
    assessment(document, "KH-0001-A2")["date"] = "2026-03-01"  # outside its cycle 2
    document["assessments"].append(
        {"id": "KH-0001-A3", "factory": "KH-0001", "cycle": 7, "date": "2026-03-01", "modality": "ONSITE",
         "status": "DRAFT", "findings": [{"question": "CHI-1", "result": "COMPLIANT"},
                                         {"question": "CHI-1", "result": "NON_COMPLIANT"}]}
    )  # fmt: skip
    document["refusals"].append({"factory": "KH-0404", "date": "2025-03-10"})
    document["countries"][0]["publicQuestions"].append("NOPE-1")

    with pytest.raises(ImportRejected) as caught:
        await import_document(sessions, document, actor=ACTOR)

    found = locations(caught.value)
    for where in [
        ("assessments", "KH-0001-A1", "findings[2].question"),
        ("assessments", "KH-0001-A1", "id"),
        ("factories", "XX-0002", "country"),
        ("cycles", "KH-0001+3", "end"),
        ("cycles", "KH-0404+1", "factory"),
        ("assessments", "KH-0001-A2", "date"),
        ("assessments", "KH-0001-A3", "cycle"),
        ("assessments", "KH-0001-A3", "findings[1].question"),
        ("refusals", "KH-0404+2025-03-10", "factory"),
        ("countries", "KH", "publicQuestions[3]"),
    ]:
        assert where in found, where
    assert await dump(sessions) == before


async def test_what_is_stored_may_not_be_contradicted(sessions):
    await import_document(sessions, example(), actor=ACTOR)
    before = await dump(sessions)
    document = example()
    document["countries"].append({"code": "VN", "name": "Viet Nam", "publicQuestions": ["CHI-1"]})
    document["factories"].append({"id": "VN-0001", "name": "Other (fictional)", "type": "FOOTWEAR", "country": "VN"})
    document["cycles"].append({"factory": "VN-0001", "number": 2, "start": "2025-02-01", "end": "2026-01-31"})
    document["factories"][0]["country"] = "VN"  # a factory cannot change country
    assessment(document, "KH-0001-A1")["status"] = "DRAFT"  # a published assessment cannot go back
    assessment(document, "KH-0001-A2")["factory"] = "VN-0001"  # nor move to another factory

    with pytest.raises(ImportRejected) as caught:
        await import_document(sessions, document, actor=ACTOR)

    assert set(locations(caught.value)) == {
        ("factories", "KH-0001", "country"),
        ("assessments", "KH-0001-A1", "status"),
        ("assessments", "KH-0001-A2", "factory"),
    }
    assert await dump(sessions) == before


async def test_a_cycle_may_not_leave_a_stored_assessment_outside_it(sessions):
    await import_document(sessions, example(), actor=ACTOR)
    before = await dump(sessions)
    document = {"format": "assessment-export/1", "cycles": [
        {"factory": "KH-0001", "number": 2, "start": "2025-07-01", "end": "2026-01-31"}]}  # fmt: skip

    with pytest.raises(ImportRejected) as caught:
        await import_document(sessions, document, actor=ACTOR)

    assert locations(caught.value) == [("cycles", "KH-0001+2", "start")]
    assert "KH-0001-A2" in caught.value.problems[0].message
    assert await dump(sessions) == before


# --------------------------------------------------------------------------------------------
# Corrections of published findings


async def test_a_changed_published_finding_needs_a_reason(sessions):
    await import_document(sessions, example(), actor=ACTOR)
    before = await dump(sessions)
    document = example()
    set_finding(assessment(document, "KH-0001-A2"), "OSH-7", "NON_COMPLIANT")

    with pytest.raises(ImportRejected) as caught:
        await import_document(sessions, document, actor=ACTOR)

    [problem] = caught.value.problems
    assert problem == Problem(
        "assessments",
        "KH-0001-A2",
        "findings[OSH-7]",
        "changes a published finding from COMPLIANT to NON_COMPLIANT; re-run with --correction-reason",
    )
    assert await dump(sessions) == before


async def test_a_correction_is_recorded_and_shown(sessions):
    await import_document(sessions, example(), actor=ACTOR)
    document = example()
    set_finding(assessment(document, "KH-0001-A2"), "OSH-7", "NON_COMPLIANT")
    set_finding(assessment(document, "KH-0001-A2"), "COM-2", None)  # absent now: not assessed
    set_finding(assessment(document, "KH-0001-A1"), "WT-4", "COMPLIANT")  # superseded, not public: still one
    reason = "Exit doors were found locked at the time of collection; data entry error"
    started = datetime.now(UTC)

    summary = await import_document(sessions, document, actor="bob", correction_reason=reason)

    assert sorted(summary.corrections) == [
        Correction("KH-0001-A1", "WT-4", "NON_COMPLIANT", "COMPLIANT"),
        Correction("KH-0001-A2", "COM-2", "NON_COMPLIANT", "NOT_ASSESSED"),
        Correction("KH-0001-A2", "OSH-7", "COMPLIANT", "NON_COMPLIANT"),
    ]
    assert summary.sections["assessments"].updated == 2
    assert (summary.findings.updated, summary.findings.deleted) == (2, 1)
    async with sessions() as session:
        rows = (await session.exec(select(CorrectionRow).order_by(CorrectionRow.question_id))).scalars().all()
        [run] = (await session.exec(select(ImportRunRow).order_by(ImportRunRow.pk.desc()).limit(1))).scalars().all()
        a2 = (await session.exec(select(AssessmentRow).where(AssessmentRow.source_id == "KH-0001-A2"))).scalar_one()
        a2_findings = dict(
            (await session.exec(select(FindingRow.question_id, FindingRow.result).where(FindingRow.assessment_pk == a2.pk))).all()
        )  # fmt: skip
    assert [(r.question_id, r.field, r.old_value, r.new_value) for r in rows] == [
        ("COM-2", "result", "NON_COMPLIANT", "NOT_ASSESSED"),
        ("OSH-7", "result", "COMPLIANT", "NON_COMPLIANT"),
        ("WT-4", "result", "NON_COMPLIANT", "COMPLIANT"),
    ]
    for row in rows:
        assert (row.corrected_by, row.reason, row.import_run_pk) == ("bob", reason, run.pk)
        corrected_at = row.corrected_at
        assert corrected_at.tzinfo is not None
        assert started - timedelta(seconds=1) <= corrected_at <= datetime.now(UTC) + timedelta(seconds=1)
    assert a2_findings == {"OSH-7": "NON_COMPLIANT"}  # the absent finding is gone from the record
    assert run.actor == "bob" and run.summary["corrections"] == 3

    [public] = await public_factories(sessions)
    assert public.latest_assessment == "KH-0001-A2"
    today = rows[0].corrected_at.date().isoformat()
    assert public.document["findings"] == [
        ["CHI-1", "NOT_ASSESSED", None],
        ["OSH-7", "NON_COMPLIANT", [reason, today, "COMPLIANT"]],
        ["COM-2", "NOT_ASSESSED", [reason, today, "NON_COMPLIANT"]],
    ]
    assert public.non_compliance_count == 1
    async with sessions() as session:
        assert (await session.exec(select(PublicNonComplianceRow.question_id))).scalars().all() == ["OSH-7"]

    # The same corrected document again: nothing to change, no second correction.
    again = await import_document(sessions, document, actor="bob", correction_reason=reason)
    assert not again.changed and again.corrections == []
    assert await count(sessions, CorrectionRow) == 3


async def test_a_changed_date_of_a_published_assessment_is_a_correction(sessions):
    await import_document(sessions, example(), actor=ACTOR)
    document = example()
    assessment(document, "KH-0001-A2")["date"] = "2025-06-04"
    assessment(document, "KH-0001-A2")["modality"] = "HYBRID"

    with pytest.raises(ImportRejected) as caught:
        await import_document(sessions, document, actor=ACTOR)
    assert set(locations(caught.value)) == {
        ("assessments", "KH-0001-A2", "date"),
        ("assessments", "KH-0001-A2", "modality"),
    }

    summary = await import_document(sessions, document, actor=ACTOR, correction_reason="Typo in the visit date")
    assert sorted(summary.corrections) == [
        Correction("KH-0001-A2", None, "2025-06-03", "2025-06-04", "date"),
        Correction("KH-0001-A2", None, "VIRTUAL", "HYBRID", "modality"),
    ]
    [public] = await public_factories(sessions)
    assert (public.latest_date, public.modality) == (date(2025, 6, 4), "HYBRID")


# --------------------------------------------------------------------------------------------
# Publication and dry runs


def _with_draft(status: str = "DRAFT") -> dict:
    document = example()
    document["assessments"].append(
        {"id": "KH-0001-A3", "factory": "KH-0001", "cycle": 2, "date": "2025-12-02", "modality": "ONSITE",
         "status": status, "findings": [{"question": "CHI-1", "result": "NON_COMPLIANT"},
                                        {"question": "OSH-7", "result": "NON_COMPLIANT"},
                                        {"question": "COM-2", "result": "COMPLIANT"}]}
    )  # fmt: skip
    return document


async def test_a_draft_that_becomes_published_moves_the_public_view(sessions):
    await import_document(sessions, _with_draft("DRAFT"), actor=ACTOR)
    [public] = await public_factories(sessions)
    assert public.latest_assessment == "KH-0001-A2"  # drafts are stored, never shown

    # Changes to an unpublished assessment are plain updates.
    document = _with_draft("FINALIZED")
    set_finding(assessment(document, "KH-0001-A3"), "COM-2", "NON_COMPLIANT")
    summary = await import_document(sessions, document, actor=ACTOR)
    assert summary.corrections == [] and summary.findings.updated == 1
    assert (await public_factories(sessions))[0].latest_assessment == "KH-0001-A2"

    document = _with_draft("PUBLISHED")
    set_finding(assessment(document, "KH-0001-A3"), "COM-2", "NON_COMPLIANT")
    assessment(document, "KH-0001-A3")["publishedOn"] = "2026-01-10"
    summary = await import_document(sessions, document, actor=ACTOR)

    assert summary.corrections == []
    assert summary.sections["assessments"].updated == 1 and summary.sections["assessments"].unchanged == 2
    [public] = await public_factories(sessions)
    assert (public.latest_assessment, public.modality, public.non_compliance_count) == ("KH-0001-A3", "ONSITE", 3)
    assert await count(sessions, CorrectionRow) == 0


async def test_dry_run_reports_and_writes_nothing(sessions):
    before = await dump(sessions)
    summary = await import_document(sessions, example(), source="example.json", actor=ACTOR, dry_run=True)

    assert summary.dry_run and summary.changed
    assert summary.sections["assessments"].created == 2 and summary.findings.created == 6
    assert summary.public_factories == 1
    assert "dry run" in str(summary)
    assert await dump(sessions) == before

    # A correction in a dry run: reported, not recorded.
    await import_document(sessions, example(), actor=ACTOR)
    before = await dump(sessions)
    document = example()
    set_finding(assessment(document, "KH-0001-A2"), "OSH-7", "NON_COMPLIANT")
    summary = await import_document(sessions, document, actor=ACTOR, correction_reason="why", dry_run=True)
    assert summary.corrections == [Correction("KH-0001-A2", "OSH-7", "COMPLIANT", "NON_COMPLIANT")]
    assert await dump(sessions) == before


async def test_a_partial_document_updates_only_what_it_carries(sessions):
    await import_document(sessions, example(), actor=ACTOR)
    document = {
        "format": "assessment-export/1",
        "factories": [{"id": "KH-0001", "name": "Example Garment Co. (fictional)", "type": "APPAREL",
                       "country": "KH", "leftProgrammeOn": "2025-08-01"}],
        "refusals": [{"factory": "KH-0001", "date": "2025-09-01"}, {"factory": "KH-0001", "date": "2025-10-01"}],
    }  # fmt: skip
    summary = await import_document(sessions, document, actor=ACTOR)

    assert summary.sections["factories"].updated == 1 and summary.sections["refusals"].created == 2
    [public] = await public_factories(sessions)
    assert public.visible_until == date(2026, 1, 31)  # rule 5: the end of the cycle it left in
    assert (public.unexcused_refusals, public.refusals_highlighted) == (2, True)
    assert await count(sessions, AssessmentRow) == 2
