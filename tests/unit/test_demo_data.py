"""The demo data generator: valid documents, in import order, with every case the portal shows."""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from transparency_portal.workflows import demo_data
from transparency_portal.workflows.demo_data import DemoExport, generate_demo

AS_OF = date(2026, 11, 25)
SMALL = 120

CAMBODIA_CRITICAL_ISSUES = {
    "No unremediated child labour",
    "No forced labour (freedom of movement)",
    "No discrimination against workers",
    "No dismissal of pregnant workers",
    "No dismissal of workers during maternity leave",
    "No sexual harassment",
    "Equal pay for men and women",
    "No discrimination against workers based on union membership",
    "Workers join and form unions freely",
    "No control of union by employer",
    "Job is not dependent on union membership",
    "No management interference with union",
    "Workers are free not to join union",
    "Regular emergency evacuation drills (every 6 months)",
    "Emergency exit doors are unlocked during working hours",
    "Emergency exit doors are sufficient",
    "Dangerous machine parts have safety guards (not needle guards)",
    "Clean and sufficient drinking water",
    "Correctly paid minimum wages",
    "Correctly paid overtime wages (ordinary overtime hours)",
    "Bonuses, allowances, leaves count entire employment period",
}
MINIMUM_AGE = {"BD": 14, "NI": 14, "JO": 16, "HT": 15, "ID": 15, "VN": 15}
CLUSTERS = {"CHILD_LABOUR", "FORCED_LABOUR", "DISCRIMINATION", "FREEDOM_OF_ASSOCIATION", "COMPENSATION",
            "CONTRACTS_AND_HUMAN_RESOURCES", "OCCUPATIONAL_SAFETY_AND_HEALTH", "WORKING_TIME"}


@pytest.fixture(scope="module")
def exports() -> list[DemoExport]:
    return generate_demo(SMALL, as_of=AS_OF)


@pytest.fixture(scope="module")
def demo(exports):
    return Demo(exports)


class Demo:
    """The generated documents read back as the importer would store them, before corrections."""

    def __init__(self, exports: list[DemoExport]):
        reference = exports[0].document
        self.questions = {q["id"]: q for q in reference["questions"]}
        self.countries = {c["code"]: c for c in reference["countries"]}
        self.factories, self.cycles, self.assessments, self.refusals = {}, {}, {}, {}
        for export in exports:
            if export.correction_reason is not None:
                continue
            document = export.document
            for f in document.get("factories", []):
                self.factories[f["id"]] = f
            for c in document.get("cycles", []):
                self.cycles.setdefault(c["factory"], []).append(c)
            for a in document.get("assessments", []):
                self.assessments.setdefault(a["factory"], []).append(a)
            for r in document.get("refusals", []):
                self.refusals.setdefault(r["factory"], []).append(r)

    def public_questions(self, factory_id: str) -> set[str]:
        return set(self.countries[self.factories[factory_id]["country"]]["publicQuestions"])

    def published(self, factory_id: str) -> list[dict]:
        done = [a for a in self.assessments.get(factory_id, []) if a["status"] == "PUBLISHED"]
        return sorted(done, key=lambda a: a["date"])

    def is_public(self, factory_id: str) -> bool:
        return len(self.published(factory_id)) >= 2

    def non_compliances(self, factory_id: str) -> list[str]:
        public = self.public_questions(factory_id)
        latest = self.published(factory_id)[-1]
        return [f["question"] for f in latest["findings"] if f["question"] in public and f["result"] == "NON_COMPLIANT"]

    def unexcused_since_latest(self, factory_id: str) -> int:
        latest = self.published(factory_id)[-1]["date"]
        return sum(1 for r in self.refusals.get(factory_id, []) if r.get("excuse") is None and r["date"] > latest)

    def visible_until(self, factory_id: str) -> date:
        """End of the cycle containing the exit date, else of the latest assessment's cycle."""
        left = self.factories[factory_id]["leftProgrammeOn"]
        cycles = self.cycles[factory_id]
        for c in cycles:
            if c["start"] <= left <= c["end"]:
                return date.fromisoformat(c["end"])
        latest = max(self.assessments[factory_id], key=lambda a: a["date"])
        return date.fromisoformat(next(c["end"] for c in cycles if c["number"] == latest["cycle"]))


def _dump(exports: list[DemoExport]) -> list[str]:
    return [json.dumps([e.document, e.correction_reason], sort_keys=True) for e in exports]


# --- the documents --------------------------------------------------------------------------


def test_every_document_is_valid_against_the_export_schema(exports):
    schema_path = Path(demo_data.__file__).parent.with_name("assessment_export.schema.json")
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    for index, export in enumerate(exports):
        errors = list(validator.iter_errors(export.document))
        assert not errors, f"document {index}: {errors[0].message} at {list(errors[0].absolute_path)}"


def test_documents_come_in_import_order(exports):
    reference, *rest = exports
    assert set(reference.document) == {"format", "exportedAt", "questions", "countries"}
    assert reference.correction_reason is None
    corrections = [e for e in rest if e.correction_reason is not None]
    factories = [e for e in rest if e.correction_reason is None]
    assert corrections and rest[-len(corrections):] == corrections, "corrections come last"
    assert sum(len(e.document["factories"]) for e in factories) == SMALL
    for export in factories:
        assert set(export.document) == {"format", "exportedAt", "factories", "cycles", "assessments", "refusals"}
        assert 1 <= len(export.document["factories"]) <= 100
    for export in corrections:
        assert set(export.document) == {"format", "exportedAt", "assessments"}


def test_chunk_bounds_the_factories_per_document():
    exports = generate_demo(45, as_of=AS_OF, chunk=10)
    sizes = [len(e.document["factories"]) for e in exports if "factories" in e.document]
    assert sizes == [10, 10, 10, 10, 5]


def test_same_arguments_give_identical_documents(exports):
    assert _dump(generate_demo(SMALL, as_of=AS_OF)) == _dump(exports)


def test_another_seed_gives_other_documents(exports):
    other = generate_demo(SMALL, seed=7, as_of=AS_OF)
    assert _dump(other)[0] == _dump(exports)[0], "questions and countries do not depend on the seed"
    assert _dump(other)[1:] != _dump(exports)[1:]


def test_a_smaller_demo_is_a_prefix_of_a_bigger_one(demo):
    smaller = Demo(generate_demo(50, as_of=AS_OF))
    assert smaller.factories == {k: demo.factories[k] for k in smaller.factories}
    assert all(smaller.assessments[k] == demo.assessments[k] for k in smaller.assessments)


def test_dates_are_relative_to_as_of():
    later = Demo(generate_demo(20, as_of=AS_OF + timedelta(days=365)))
    earlier = Demo(generate_demo(20, as_of=AS_OF))
    for factory_id, assessments in earlier.assessments.items():
        moved = later.assessments[factory_id]
        assert [a["modality"] for a in assessments] == [a["modality"] for a in moved]
        assert all(a["date"] != b["date"] for a, b in zip(assessments, moved))


def test_invalid_arguments_are_refused():
    with pytest.raises(ValueError):
        generate_demo(10, chunk=0)
    with pytest.raises(ValueError):
        generate_demo(-1)


# --- questions and countries -----------------------------------------------------------------


def test_about_250_questions_over_the_eight_clusters(demo):
    assert 240 <= len(demo.questions) <= 260
    per_cluster = Counter(q["cluster"] for q in demo.questions.values())
    assert set(per_cluster) == CLUSTERS
    prefixes = {"CHILD_LABOUR": "CHI-", "FORCED_LABOUR": "FOL-", "DISCRIMINATION": "DIS-",
                "FREEDOM_OF_ASSOCIATION": "FOA-", "COMPENSATION": "COM-", "CONTRACTS_AND_HUMAN_RESOURCES": "CHR-",
                "OCCUPATIONAL_SAFETY_AND_HEALTH": "OSH-", "WORKING_TIME": "WT-"}
    assert all(q["id"].startswith(prefixes[q["cluster"]]) for q in demo.questions.values())
    titles = [q["title"]["en"] for q in demo.questions.values()]
    assert len(set(titles)) == len(titles), "no two questions read the same"
    assert not any("question" in t.lower() for t in titles), "no placeholder titles"


def test_some_titles_are_translated(demo):
    translated = [q["title"] for q in demo.questions.values() if set(q["title"]) >= {"fr", "es"}]
    assert len(translated) >= 5


def test_cambodia_reports_exactly_its_21_critical_issues(demo):
    public = demo.countries["KH"]["publicQuestions"]
    assert {demo.questions[q]["title"]["en"] for q in public} == CAMBODIA_CRITICAL_ISSUES
    assert len(public) == 21


def test_every_country_reports_21_to_30_issues_covering_every_cluster(demo):
    assert set(demo.countries) == {"BD", "KH", "HT", "ID", "JO", "NI", "VN"}
    for code, country in demo.countries.items():
        public = country["publicQuestions"]
        assert 21 <= len(public) <= 30, code
        # Cambodia's published list has no working-time issue; every other list covers all eight.
        expected = CLUSTERS - {"WORKING_TIME"} if code == "KH" else CLUSTERS
        assert {demo.questions[q]["cluster"] for q in public} == expected, code
        assert all("description" in demo.questions[q] for q in public), code
        assert country["languages"][-1] == "en" and country["name"]


def test_each_country_reports_its_own_legal_minimum_age(demo):
    for code, age in MINIMUM_AGE.items():
        titles = [demo.questions[q]["title"]["en"] for q in demo.countries[code]["publicQuestions"]]
        age_titles = [t for t in titles if "minimum age" in t]
        assert age_titles == [f"No workers under the legal minimum age of {age}"], code


def test_cambodia_has_data_before_and_after_public_reporting(demo):
    since = demo.countries["KH"]["publicReportingSince"]
    dates = [a["date"] for f, v in demo.assessments.items() if demo.factories[f]["country"] == "KH" for a in v]
    assert min(dates) < since < max(dates)


# --- references, keys and dates ---------------------------------------------------------------


def test_every_reference_resolves_in_an_earlier_or_the_same_document(exports):
    questions, factories, cycles, assessment_ids, refusal_keys = set(), set(), set(), set(), set()
    for export in exports:
        document = export.document
        questions |= {q["id"] for q in document.get("questions", [])}
        for country in document.get("countries", []):
            assert set(country["publicQuestions"]) <= questions
        for factory in document.get("factories", []):
            assert factory["id"] not in factories
            factories.add(factory["id"])
        for cycle in document.get("cycles", []):
            assert cycle["factory"] in factories
            cycles.add((cycle["factory"], cycle["number"]))
        for assessment in document.get("assessments", []):
            assert (assessment["factory"], assessment["cycle"]) in cycles
            assert {f["question"] for f in assessment["findings"]} <= questions
            assert len({f["question"] for f in assessment["findings"]}) == len(assessment["findings"])
            if export.correction_reason is None:
                assert assessment["id"] not in assessment_ids
                assessment_ids.add(assessment["id"])
            else:
                assert assessment["id"] in assessment_ids
        for refusal in document.get("refusals", []):
            assert refusal["factory"] in factories
            key = (refusal["factory"], refusal["date"])
            assert key not in refusal_keys
            refusal_keys.add(key)


def test_cycles_are_consecutive_years(demo):
    for factory_id, cycles in demo.cycles.items():
        assert 1 <= len(cycles) <= 4
        assert [c["number"] for c in cycles] == list(range(1, len(cycles) + 1))
        for c in cycles:
            start, end = date.fromisoformat(c["start"]), date.fromisoformat(c["end"])
            assert end == start.replace(year=start.year + 1) - timedelta(days=1)
        for before, after in zip(cycles, cycles[1:]):
            assert date.fromisoformat(after["start"]) == date.fromisoformat(before["end"]) + timedelta(days=1)


def test_nothing_is_dated_after_as_of(exports):
    # A running cycle ends in the future by nature; every other date is on or before as_of.
    limit = AS_OF.isoformat()
    for export in exports:
        document = export.document
        assert document["exportedAt"][:10] <= limit
        assert all(c["start"] <= limit for c in document.get("cycles", []))
        assert all(f.get("leftProgrammeOn") is None or f["leftProgrammeOn"] <= limit
                   for f in document.get("factories", []))
        assert all(r["date"] <= limit for r in document.get("refusals", []))
        for a in document.get("assessments", []):
            assert a["date"] <= limit and a.get("publishedOn", a["date"]) <= limit


def test_assessments_sit_in_their_cycle_and_are_published_weeks_later(demo):
    for factory_id, assessments in demo.assessments.items():
        cycles = {c["number"]: c for c in demo.cycles[factory_id]}
        for a in assessments:
            assert cycles[a["cycle"]]["start"] <= a["date"] <= cycles[a["cycle"]]["end"]
            if a["status"] == "PUBLISHED":
                lag = (date.fromisoformat(a["publishedOn"]) - date.fromisoformat(a["date"])).days
                assert 0 <= lag <= 56
            else:
                assert "publishedOn" not in a
        # Only a factory's newest assessment may still be unpublished.
        assert all(a["status"] == "PUBLISHED" for a in sorted(assessments, key=lambda a: a["date"])[:-1])


def test_latest_published_assessments_are_recent_for_factories_in_the_programme(demo):
    oldest = (AS_OF - timedelta(days=14 * 31)).isoformat()
    for factory_id, factory in demo.factories.items():
        published = demo.published(factory_id)
        if published and "leftProgrammeOn" not in factory and len(demo.assessments[factory_id]) == len(published):
            assert published[-1]["date"] >= oldest


# --- findings ---------------------------------------------------------------------------------


def test_onsite_and_hybrid_assessments_answer_every_question(demo):
    for assessments in demo.assessments.values():
        for a in assessments:
            if a["modality"] != "VIRTUAL":
                assert [f["question"] for f in a["findings"]] == list(demo.questions)
                assert all(f["result"] != "NOT_ASSESSED" for f in a["findings"])


def test_virtual_checks_ask_the_public_questions_and_a_subset_of_the_rest(demo):
    listed_unasked = absent_unasked = public_not_assessed = 0
    for factory_id, assessments in demo.assessments.items():
        public = demo.public_questions(factory_id)
        for a in (a for a in assessments if a["modality"] == "VIRTUAL"):
            results = {f["question"]: f["result"] for f in a["findings"]}
            assert public <= set(results), "public questions are answered or marked NOT_ASSESSED"
            asked_others = [q for q, r in results.items() if q not in public and r != "NOT_ASSESSED"]
            assert 30 <= len(asked_others) <= 60
            if len(results) == len(demo.questions):
                listed_unasked += 1
            else:
                absent_unasked += 1
            public_not_assessed += any(results[q] == "NOT_ASSESSED" for q in public)
    assert listed_unasked and absent_unasked and public_not_assessed


def test_most_findings_are_compliant_and_overtime_is_a_common_issue(demo):
    results = Counter(f["result"] for v in demo.assessments.values() for a in v for f in a["findings"])
    assert results["NON_COMPLIANT"] < 0.2 * results["COMPLIANT"]
    overtime = next(q for q, v in demo.questions.items() if v["title"]["en"] == "Overtime within legal limits")
    child = next(q for q, v in demo.questions.items() if v["title"]["en"] == "No unremediated child labour")
    share = {}
    for question in (overtime, child):
        answers = [f["result"] for v in demo.assessments.values() for a in v for f in a["findings"]
                   if f["question"] == question and f["result"] != "NOT_ASSESSED"]
        share[question] = answers.count("NON_COMPLIANT") / len(answers)
    assert share[overtime] > 0.2 > 0.05 > share[child]


def test_modalities_and_statuses_are_mixed(demo):
    assessments = [a for v in demo.assessments.values() for a in v]
    modalities = Counter(a["modality"] for a in assessments)
    assert modalities["ONSITE"] > modalities["VIRTUAL"] > 0 and modalities["HYBRID"] > 0
    statuses = Counter(a["status"] for a in assessments)
    assert statuses["PUBLISHED"] > 0 and statuses["DRAFT"] + statuses["FINALIZED"] > 0


# --- the cases the public views show ----------------------------------------------------------


def test_there_are_green_and_non_green_public_factories(demo):
    public = [f for f in demo.factories if demo.is_public(f)]
    green = [f for f in public if not demo.non_compliances(f)]
    assert green and len(green) < len(public)


def test_some_factories_have_a_single_published_assessment(demo):
    assert any(len(demo.published(f)) == 1 for f in demo.factories)


def test_exited_factories_are_still_public_or_already_gone(demo):
    exited = [f for f, v in demo.factories.items() if v.get("leftProgrammeOn")]
    until = [demo.visible_until(f) for f in exited if demo.is_public(f)]
    assert any(d >= AS_OF for d in until) and any(d < AS_OF for d in until)
    # No exit before its factory's last publication, and no refusal from a factory that left.
    for f in exited:
        assert demo.factories[f]["leftProgrammeOn"] > demo.published(f)[-1]["publishedOn"]
        assert f not in demo.refusals


def test_refusal_cases(demo):
    cases = Counter()
    for factory_id, refusals in demo.refusals.items():
        latest = demo.published(factory_id)[-1]["date"]
        after = [r for r in refusals if r["date"] > latest]
        unexcused = [r for r in after if r.get("excuse") is None]
        if len(unexcused) >= 2:
            cases["highlighted"] += 1
        elif len(unexcused) == 1 and len(after) == 1:
            cases["single"] += 1
        if any(r.get("excuse") for r in after) and len(unexcused) < 2:
            cases["excused"] += 1
        if any(r["date"] < latest for r in refusals):
            cases["old"] += 1
    assert set(cases) == {"highlighted", "single", "excused", "old"}, cases
    excuses = {r.get("excuse", "absent") for v in demo.refusals.values() for r in v}
    assert excuses == {"FORCE_MAJEURE", "OTHER_AUDITS_SAME_DAY", None, "absent"}


def test_corrections_change_exactly_one_published_finding(exports, demo):
    originals = {a["id"]: a for v in demo.assessments.values() for a in v}
    corrections = [e for e in exports if e.correction_reason is not None]
    assert corrections
    for export in corrections:
        assert "inaccurate at the time of collection" in export.correction_reason
        for corrected in export.document["assessments"]:
            original = originals[corrected["id"]]
            assert original["status"] == "PUBLISHED"
            assert {k: v for k, v in corrected.items() if k != "findings"} == \
                   {k: v for k, v in original.items() if k != "findings"}
            changed = [(a, b) for a, b in zip(original["findings"], corrected["findings"]) if a != b]
            assert len(corrected["findings"]) == len(original["findings"]) and len(changed) == 1
            before, after = changed[0]
            assert before["question"] == after["question"]
            assert before["question"] in demo.public_questions(corrected["factory"])


def test_factories_are_fictional_and_spread_over_the_countries(demo):
    names = [f["name"] for f in demo.factories.values()]
    assert all(n.endswith("(demo)") for n in names)
    assert len(set(names)) == len(names)
    assert any(not n.isascii() for n in names), "some names have accents or a local script"
    assert all(f["id"].startswith(f["country"] + "-") for f in demo.factories.values())
    assert len({f["country"] for f in demo.factories.values()}) == 7
    assert Counter(f["type"] for f in demo.factories.values()).most_common(1)[0][0] == "APPAREL"


# --- the default size -------------------------------------------------------------------------


def test_default_size_has_realistic_shares():
    started = time.perf_counter()
    exports = generate_demo(as_of=AS_OF)
    assert time.perf_counter() - started < 10
    demo = Demo(exports)
    assert len(demo.factories) == 1700
    assert all(len(e.document.get("factories", [])) <= 100 for e in exports)
    single = sum(1 for f in demo.factories if len(demo.published(f)) == 1)
    assert 0.08 <= single / 1700 <= 0.12
    public = [f for f in demo.factories if demo.is_public(f)]
    green = [f for f in public if not demo.non_compliances(f)]
    assert 0.15 <= len(green) / len(public) <= 0.25
    highlighted = [f for f in public if "leftProgrammeOn" not in demo.factories[f] and demo.unexcused_since_latest(f) >= 2]
    assert 0.02 <= len(highlighted) / len(public) <= 0.1
    weights = Counter(f["country"] for f in demo.factories.values())
    assert {c for c, _ in weights.most_common(4)} == {"VN", "BD", "ID", "KH"}
    virtual = Counter(a["modality"] for v in demo.assessments.values() for a in v)
    assert 0.1 <= virtual["VIRTUAL"] / sum(virtual.values()) <= 0.2


def test_cambodia_complies_more_after_public_reporting():
    demo = Demo(generate_demo(as_of=AS_OF))
    since = demo.countries["KH"]["publicReportingSince"]
    public = set(demo.countries["KH"]["publicQuestions"])
    rates = {}
    for after in (False, True):
        findings = [f["result"] for factory_id, v in demo.assessments.items()
                    if demo.factories[factory_id]["country"] == "KH"
                    for a in v if a["status"] == "PUBLISHED" and (a["date"] >= since) == after
                    for f in a["findings"] if f["question"] in public and f["result"] != "NOT_ASSESSED"]
        rates[after] = findings.count("NON_COMPLIANT") / len(findings)
    assert rates[True] < 0.8 * rates[False]


def test_compliance_improves_over_cycles():
    demo = Demo(generate_demo(600, as_of=AS_OF))
    by_cycle = {}
    for factory_id, assessments in demo.assessments.items():
        public = demo.public_questions(factory_id)
        for a in assessments:
            nc = sum(1 for f in a["findings"] if f["question"] in public and f["result"] == "NON_COMPLIANT")
            by_cycle.setdefault(a["cycle"], []).append(nc)
    means = [sum(v) / len(v) for _, v in sorted(by_cycle.items())]
    assert means == sorted(means, reverse=True)
