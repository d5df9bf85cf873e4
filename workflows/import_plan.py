"""The plan of an import: every entry compared with what is stored, section by section, giving
every problem that needs the database too and every row to write (nothing is written here).
The rules themselves are `domain/import_rules.py`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from ..domain import import_rules as rules
from ..domain.import_rules import Breach
from ..domain.publication import public_from
from ..domain.vocabulary import AssessmentStatus
from .import_entries import Doc, DocAssessment
from .import_problems import Problem
from .import_stored import Stored, assessment_dates
from .import_summary import Correction, ImportSummary

# Stored cycles whose dates change: (factory pk, number) -> (entry key, new start, new end).
ChangedCycles = dict[tuple[int, int], tuple[str, date, date]]


@dataclass
class Plan:
    summary: ImportSummary
    question_inserts: list[dict] = field(default_factory=list)
    question_updates: list[dict] = field(default_factory=list)
    country_inserts: list[dict] = field(default_factory=list)
    country_updates: list[dict] = field(default_factory=list)
    public_question_lists: dict[str, list[str]] = field(default_factory=dict)  # replaced lists
    factory_inserts: list[dict] = field(default_factory=list)
    factory_updates: list[dict] = field(default_factory=list)
    cycle_inserts: list[tuple[str, dict]] = field(default_factory=list)  # (factory id, row)
    cycle_updates: list[dict] = field(default_factory=list)
    assessment_inserts: list[tuple[str, dict, dict[str, str]]] = field(default_factory=list)
    assessment_updates: list[dict] = field(default_factory=list)
    finding_inserts: list[dict] = field(default_factory=list)
    finding_updates: list[dict] = field(default_factory=list)
    finding_deletes: list[dict] = field(default_factory=list)
    refusal_inserts: list[tuple[str, dict]] = field(default_factory=list)
    refusal_updates: list[dict] = field(default_factory=list)
    corrections: list[tuple[int, Correction]] = field(default_factory=list)  # (assessment pk, change)
    affected_factories: set[str] = field(default_factory=set)  # source ids
    affected_countries: set[str] = field(default_factory=set)

    @property
    def rows_to_write(self) -> int:
        new_findings = sum(len(f) for _, _, f in self.assessment_inserts)
        return (
            len(self.question_inserts) + len(self.question_updates) + len(self.country_inserts)
            + len(self.country_updates) + sum(len(v) for v in self.public_question_lists.values())
            + len(self.factory_inserts) + len(self.factory_updates) + len(self.cycle_inserts)
            + len(self.cycle_updates) + len(self.assessment_inserts) + len(self.assessment_updates)
            + new_findings + len(self.finding_inserts) + len(self.finding_updates) + len(self.finding_deletes)
            + len(self.refusal_inserts) + len(self.refusal_updates) + len(self.corrections)
        )  # fmt: skip


async def plan_import(
    session: AsyncSession, doc: Doc, stored: Stored, summary: ImportSummary, problems: list[Problem]
) -> Plan:
    planner = _Planner(doc, stored, Plan(summary), problems)
    planner.questions()
    planner.countries()
    planner.factories()
    changed_cycles = planner.cycles()
    planner.assessments()
    await planner.moved_cycles(session, changed_cycles)
    planner.refusals()
    summary.corrections = [c for _, c in planner.plan.corrections]
    return planner.plan


def correction_problem(change: Correction) -> Problem:
    return _problem("assessments", change.assessment, rules.uncorrected(change))


def _problem(section: str | None, key: str | None, breach: Breach) -> Problem:
    return Problem(section, key, breach.field, breach.message)


class _Planner:
    """One pass per section, in the format's order: a later section may refer to an earlier one."""

    def __init__(self, doc: Doc, stored: Stored, plan: Plan, problems: list[Problem]) -> None:
        self.doc, self.stored, self.plan, self.problems = doc, stored, plan, problems
        self.summary = plan.summary
        self.counts = plan.summary.sections
        self.known = {
            "question": doc.questions.keys() | stored.questions.keys(),
            "country": doc.countries.keys() | stored.countries.keys(),
            "factory": doc.factories.keys() | stored.factories.keys(),
        }

    def check(self, section: str, key: str, breach: Breach | None) -> bool:
        """Record a broken rule; True when the rule holds."""
        if breach is not None:
            self.problems.append(_problem(section, key, breach))
        return breach is None

    def refers(self, section: str, key: str, kind: str, ref: str, field_name: str) -> bool:
        """Check that `ref` names a known question, country or factory; True when it does."""
        return self.check(section, key, rules.reference(kind, ref, self.known[kind], field_name))

    def factory_pk(self, fid: str) -> int | None:
        old = self.stored.factories.get(fid)
        return old[0] if old else None

    def stored_cycle(self, fid: str, number: int) -> tuple[int, date, date] | None:
        fpk = self.factory_pk(fid)
        return self.stored.cycles.get((fpk, number)) if fpk is not None else None

    def cycle_span(self, fid: str, number: int) -> tuple[date, date] | None:
        if (fid, number) in self.doc.cycles:
            return self.doc.cycles[(fid, number)]
        old = self.stored_cycle(fid, number)
        return (old[1], old[2]) if old else None

    def questions(self) -> None:
        counts = self.counts["questions"]
        for qid, (cluster, titles, descriptions) in self.doc.questions.items():
            row = {"id": qid, "cluster": cluster, "titles": titles, "descriptions": descriptions}
            old = self.stored.questions.get(qid)
            if old is None:
                self.plan.question_inserts.append(row)
                counts.created += 1
            elif old != (cluster, titles, descriptions):
                self.plan.question_updates.append(row)
                counts.updated += 1
            else:
                counts.unchanged += 1

    def countries(self) -> None:
        plan, counts = self.plan, self.counts["countries"]
        for code, (name, languages, since) in self.doc.countries.items():
            row = {"code": code, "name": name, "languages": languages, "public_reporting_since": since}
            wanted = self.doc.public_questions[code]
            for i, qid in enumerate(wanted):
                self.refers("countries", code, "question", qid, f"publicQuestions[{i}]")
            old = self.stored.countries.get(code)
            list_changed = wanted != self.stored.public_questions.get(code, [])
            if list_changed:
                plan.public_question_lists[code] = wanted
                plan.affected_countries.add(code)
            if old is None:
                plan.country_inserts.append(row)
                counts.created += 1
            elif old != (name, languages, since) or list_changed:
                if old != (name, languages, since):
                    plan.country_updates.append(row)
                counts.updated += 1
            else:
                counts.unchanged += 1

    def factories(self) -> None:
        plan, counts = self.plan, self.counts["factories"]
        for fid, (name, ftype, country, left) in self.doc.factories.items():
            self.refers("factories", fid, "country", country, "country")
            old = self.stored.factories.get(fid)
            row = {"name": name, "factory_type": ftype, "country_code": country, "left_programme_on": left}
            if old is None:
                plan.factory_inserts.append({"source_id": fid, **row})
                plan.affected_factories.add(fid)
                counts.created += 1
                continue
            pk, old_name, old_type, old_country, old_left = old
            self.check("factories", fid, rules.country_change(old_country, country))
            if (old_name, old_type, old_country, old_left) != (name, ftype, country, left):
                plan.factory_updates.append({"pk": pk, **row})
                plan.affected_factories.add(fid)
                counts.updated += 1
            else:
                counts.unchanged += 1

    def cycles(self) -> ChangedCycles:
        """Plans the cycles; returns the stored cycles whose dates change, for `moved_cycles`."""
        plan, counts = self.plan, self.counts["cycles"]
        changed: ChangedCycles = {}
        for (fid, number), (start, end) in self.doc.cycles.items():
            key = f"{fid}+{number}"
            self.refers("cycles", key, "factory", fid, "factory")
            self.check("cycles", key, rules.cycle_order(start, end))
            old = self.stored_cycle(fid, number)
            if old is None:
                plan.cycle_inserts.append((fid, {"number": number, "start": start, "end": end}))
                plan.affected_factories.add(fid)
                counts.created += 1
            elif (old[1], old[2]) != (start, end):
                plan.cycle_updates.append({"pk": old[0], "start": start, "end": end})
                changed[(self.factory_pk(fid), number)] = (key, start, end)
                plan.affected_factories.add(fid)
                counts.updated += 1
            else:
                counts.unchanged += 1
        return changed

    def assessments(self) -> None:
        for aid, a in self.doc.assessments.items():
            self.check_references(aid, a)
            row = {
                "cycle_number": a.cycle,
                "date": a.date,
                "modality": a.modality,
                "status": a.status,
                "published_on": a.published_on,
                # Rule 2's embargo, stored for the aggregates that read the record.
                "public_from": public_from(AssessmentStatus(a.status), a.published_on, a.date),
            }
            if aid in self.stored.assessments:
                self.update_assessment(aid, a, row)
                continue
            self.plan.assessment_inserts.append((a.factory, {"source_id": aid, **row}, a.findings))
            self.plan.affected_factories.add(a.factory)
            self.counts["assessments"].created += 1
            self.summary.findings.created += len(a.findings)

    def check_references(self, aid: str, a: DocAssessment) -> None:
        """Its factory, its cycle (and the date in it) and the questions its findings answer."""
        if self.refers("assessments", aid, "factory", a.factory, "factory"):
            span = self.cycle_span(a.factory, a.cycle)
            self.check("assessments", aid, rules.assessment_in_cycle(a.factory, a.cycle, a.date, span))
        if a.findings.keys() <= self.known["question"]:
            return
        for j, f in enumerate(a.raw_findings):
            self.refers("assessments", aid, "question", f["question"], f"findings[{j}].question")

    def update_assessment(self, aid: str, a: DocAssessment, row: dict) -> None:
        plan, summary = self.plan, self.summary
        stored = self.stored.assessments[aid]
        pk, old_factory_pk, old_cycle, old_date, old_modality, old_status, old_published_on = stored
        old_factory = self.stored.factory_id_of.get(old_factory_pk, "?")
        if not self.check("assessments", aid, rules.factory_change(old_factory, a.factory)):
            return
        if not self.check("assessments", aid, rules.status_change(old_status, a.status)):
            return
        old_findings = self.stored.findings.get(pk, {})
        fields_changed = (old_cycle, old_date, old_modality, old_status, old_published_on) != (
            a.cycle, a.date, a.modality, a.status, a.published_on,
        )  # fmt: skip
        findings_changed = old_findings != a.findings
        if not fields_changed and not findings_changed:
            self.counts["assessments"].unchanged += 1
            summary.findings.unchanged += len(a.findings)
            return
        self.counts["assessments"].updated += 1
        plan.affected_factories.add(a.factory)
        if fields_changed:
            plan.assessment_updates.append({"pk": pk, **row})
        if rules.is_published(old_status):
            old_fields, new_fields = (old_date, old_modality, old_cycle), (a.date, a.modality, a.cycle)
            changes = rules.assessment_corrections(aid, old_fields, new_fields)
            changes += rules.finding_corrections(aid, old_findings, a.findings)
            plan.corrections += [(pk, change) for change in changes]
        if findings_changed:
            self.plan_findings(pk, old_findings, a.findings)
        else:
            summary.findings.unchanged += len(a.findings)

    def plan_findings(self, pk: int, old_findings: dict[str, str], findings: dict[str, str]) -> None:
        plan, counts = self.plan, self.summary.findings
        for qid, result in findings.items():
            before = old_findings.get(qid)
            if before is None:
                plan.finding_inserts.append({"assessment_pk": pk, "question_id": qid, "result": result})
                counts.created += 1
            elif before != result:
                plan.finding_updates.append({"assessment_pk": pk, "question_id": qid, "result": result})
                counts.updated += 1
            else:
                counts.unchanged += 1
        for qid in old_findings:
            if qid in findings:
                continue
            plan.finding_deletes.append({"assessment_pk": pk, "question_id": qid})
            counts.deleted += 1

    async def moved_cycles(self, session: AsyncSession, changed: ChangedCycles) -> None:
        """A cycle whose dates change may leave stored assessments (absent from the document) outside it."""
        if not changed:
            return
        for source_id, fpk, number, day in await assessment_dates(session, {fpk for fpk, _ in changed}):
            change = changed.get((fpk, number))
            if change is None or source_id in self.doc.assessments:
                continue
            key, start, end = change
            self.check("cycles", key, rules.cycle_change(source_id, day, start, end))

    def refusals(self) -> None:
        plan, counts = self.plan, self.counts["refusals"]
        for (fid, day), excuse in self.doc.refusals.items():
            self.refers("refusals", f"{fid}+{day.isoformat()}", "factory", fid, "factory")
            fpk = self.factory_pk(fid)
            old = self.stored.refusals.get((fpk, day)) if fpk is not None else None
            if old is None:
                plan.refusal_inserts.append((fid, {"date": day, "excuse": excuse}))
                plan.affected_factories.add(fid)
                counts.created += 1
            elif old[1] != excuse:
                plan.refusal_updates.append({"pk": old[0], "excuse": excuse})
                plan.affected_factories.add(fid)
                counts.updated += 1
            else:
                counts.unchanged += 1
