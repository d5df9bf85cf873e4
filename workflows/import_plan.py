"""The plan of an import: every entry compared with what is stored, giving every problem that
needs the database too and every row to write (nothing is written here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from ..domain.vocabulary import AssessmentStatus, FindingResult
from .export_entries import Doc
from .import_problems import Problem
from .import_stored import Stored, assessment_dates
from .import_summary import Correction, ImportSummary

PUBLISHED = AssessmentStatus.PUBLISHED.value
NOT_ASSESSED = FindingResult.NOT_ASSESSED.value


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


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


async def plan_import(
    session: AsyncSession, doc: Doc, stored: Stored, summary: ImportSummary, problems: list[Problem]
) -> Plan:
    plan = Plan(summary)
    counts = summary.sections

    # Questions.
    for qid, (cluster, titles, descriptions) in doc.questions.items():
        row = {"id": qid, "cluster": cluster, "titles": titles, "descriptions": descriptions}
        old = stored.questions.get(qid)
        if old is None:
            plan.question_inserts.append(row)
            counts["questions"].created += 1
        elif old != (cluster, titles, descriptions):
            plan.question_updates.append(row)
            counts["questions"].updated += 1
        else:
            counts["questions"].unchanged += 1
    known_questions = doc.questions.keys() | stored.questions.keys()

    # Countries and their public questions.
    for code, (name, languages, since) in doc.countries.items():
        row = {"code": code, "name": name, "languages": languages, "public_reporting_since": since}
        wanted = doc.public_questions[code]
        for i, qid in enumerate(wanted):
            if qid not in known_questions:
                problems.append(
                    Problem(
                        "countries", code, f"publicQuestions[{i}]",
                        f"unknown question {qid}: it is neither in this document's questions nor in the portal",
                    )
                )  # fmt: skip
        old = stored.countries.get(code)
        list_changed = wanted != stored.public_questions.get(code, [])
        if list_changed:
            plan.public_question_lists[code] = wanted
            plan.affected_countries.add(code)
        if old is None:
            plan.country_inserts.append(row)
            counts["countries"].created += 1
        elif old != (name, languages, since) or list_changed:
            if old != (name, languages, since):
                plan.country_updates.append(row)
            counts["countries"].updated += 1
        else:
            counts["countries"].unchanged += 1
    known_countries = doc.countries.keys() | stored.countries.keys()

    # Factories.
    for fid, (name, ftype, country, left) in doc.factories.items():
        if country not in known_countries:
            problems.append(
                Problem(
                    "factories", fid, "country",
                    f"unknown country {country}: it is neither in this document's countries nor in the portal",
                )
            )  # fmt: skip
        old = stored.factories.get(fid)
        row = {"name": name, "factory_type": ftype, "country_code": country, "left_programme_on": left}
        if old is None:
            plan.factory_inserts.append({"source_id": fid, **row})
            plan.affected_factories.add(fid)
            counts["factories"].created += 1
            continue
        pk, old_name, old_type, old_country, old_left = old
        if old_country != country:
            problems.append(
                Problem(
                    "factories", fid, "country",
                    f"is {old_country} in the portal; a factory cannot move to another country ({country})",
                )
            )  # fmt: skip
        if (old_name, old_type, old_country, old_left) != (name, ftype, country, left):
            plan.factory_updates.append({"pk": pk, **row})
            plan.affected_factories.add(fid)
            counts["factories"].updated += 1
        else:
            counts["factories"].unchanged += 1
    known_factories = doc.factories.keys() | stored.factories.keys()

    def factory_pk(fid: str) -> int | None:
        old = stored.factories.get(fid)
        return old[0] if old else None

    def unknown_factory(section: str, key: str, fid: str) -> Problem:
        return Problem(
            section, key, "factory",
            f"unknown factory {fid}: it is neither in this document's factories nor in the portal",
        )  # fmt: skip

    # Cycles.
    changed_cycles: dict[tuple[int, int], tuple[str, date, date]] = {}  # stored cycles whose dates change
    for (fid, number), (start, end) in doc.cycles.items():
        key = f"{fid}+{number}"
        if fid not in known_factories:
            problems.append(unknown_factory("cycles", key, fid))
        if start > end:
            problems.append(Problem("cycles", key, "end", f"{end} is before the cycle's start ({start})"))
        fpk = factory_pk(fid)
        old = stored.cycles.get((fpk, number)) if fpk is not None else None
        if old is None:
            plan.cycle_inserts.append((fid, {"number": number, "start": start, "end": end}))
            plan.affected_factories.add(fid)
            counts["cycles"].created += 1
        elif (old[1], old[2]) != (start, end):
            plan.cycle_updates.append({"pk": old[0], "start": start, "end": end})
            changed_cycles[(fpk, number)] = (key, start, end)
            plan.affected_factories.add(fid)
            counts["cycles"].updated += 1
        else:
            counts["cycles"].unchanged += 1

    def cycle_span(fid: str, number: int) -> tuple[date, date] | None:
        if (fid, number) in doc.cycles:
            return doc.cycles[(fid, number)]
        fpk = factory_pk(fid)
        old = stored.cycles.get((fpk, number)) if fpk is not None else None
        return (old[1], old[2]) if old else None

    # Assessments and their findings.
    for aid, a in doc.assessments.items():
        if a.factory not in known_factories:
            problems.append(unknown_factory("assessments", aid, a.factory))
        else:
            span = cycle_span(a.factory, a.cycle)
            if span is None:
                problems.append(
                    Problem(
                        "assessments", aid, "cycle",
                        f"factory {a.factory} has no cycle {a.cycle}, neither in this document nor in the portal",
                    )
                )  # fmt: skip
            elif not span[0] <= a.date <= span[1]:
                problems.append(
                    Problem(
                        "assessments", aid, "date",
                        f"{a.date} is outside cycle {a.cycle} of factory {a.factory} ({span[0]} to {span[1]})",
                    )
                )  # fmt: skip
        unknown = a.findings.keys() - known_questions
        if unknown:
            for j, f in enumerate(a.raw_findings):
                if f["question"] in unknown:
                    problems.append(
                        Problem(
                            "assessments", aid, f"findings[{j}].question",
                            f"unknown question {f['question']}: it is neither in this document's questions "
                            "nor in the portal",
                        )
                    )  # fmt: skip

        row = {
            "cycle_number": a.cycle,
            "date": a.date,
            "modality": a.modality,
            "status": a.status,
            "published_on": a.published_on,
        }
        old = stored.assessments.get(aid)
        if old is None:
            plan.assessment_inserts.append((a.factory, {"source_id": aid, **row}, a.findings))
            plan.affected_factories.add(a.factory)
            counts["assessments"].created += 1
            summary.findings.created += len(a.findings)
            continue

        pk, old_factory_pk, old_cycle, old_date, old_modality, old_status, old_published_on = old
        old_factory = stored.factory_id_of.get(old_factory_pk, "?")
        if old_factory != a.factory:
            problems.append(
                Problem(
                    "assessments", aid, "factory",
                    f"belongs to factory {old_factory} in the portal; an assessment cannot move to another "
                    f"factory ({a.factory})",
                )
            )  # fmt: skip
            continue
        was_published = old_status == PUBLISHED
        if was_published and a.status != PUBLISHED:
            problems.append(
                Problem(
                    "assessments", aid, "status",
                    f"is published in the portal and cannot go back to {a.status}",
                )
            )  # fmt: skip
            continue

        old_findings = stored.findings.get(pk, {})
        fields_changed = (old_cycle, old_date, old_modality, old_status, old_published_on) != (
            a.cycle, a.date, a.modality, a.status, a.published_on,
        )  # fmt: skip
        findings_changed = old_findings != a.findings
        if not fields_changed and not findings_changed:
            counts["assessments"].unchanged += 1
            summary.findings.unchanged += len(a.findings)
            continue
        counts["assessments"].updated += 1
        plan.affected_factories.add(a.factory)
        if fields_changed:
            plan.assessment_updates.append({"pk": pk, **row})
        if was_published:
            for name, before, after in (
                ("date", _iso(old_date), _iso(a.date)),
                ("modality", old_modality, a.modality),
                ("cycle", str(old_cycle), str(a.cycle)),
            ):
                if before != after:
                    plan.corrections.append((pk, Correction(aid, None, before, after, name)))
        if findings_changed:
            for qid, result in a.findings.items():
                before = old_findings.get(qid)
                if before is None:
                    plan.finding_inserts.append({"assessment_pk": pk, "question_id": qid, "result": result})
                    summary.findings.created += 1
                elif before != result:
                    plan.finding_updates.append({"assessment_pk": pk, "question_id": qid, "result": result})
                    summary.findings.updated += 1
                else:
                    summary.findings.unchanged += 1
                if was_published and (before or NOT_ASSESSED) != result:
                    plan.corrections.append((pk, Correction(aid, qid, before or NOT_ASSESSED, result)))
            for qid, before in old_findings.items():
                if qid not in a.findings:
                    plan.finding_deletes.append({"assessment_pk": pk, "question_id": qid})
                    summary.findings.deleted += 1
                    if was_published and before != NOT_ASSESSED:
                        plan.corrections.append((pk, Correction(aid, qid, before, NOT_ASSESSED)))
        else:
            summary.findings.unchanged += len(a.findings)

    # A cycle whose dates change may leave stored assessments (absent from the document) outside it.
    if changed_cycles:
        for source_id, fpk, number, day in await assessment_dates(session, {fpk for fpk, _ in changed_cycles}):
            change = changed_cycles.get((fpk, number))
            if change is None or source_id in doc.assessments:
                continue
            key, start, end = change
            if not start <= day <= end:
                problems.append(
                    Problem(
                        "cycles", key, "start" if day < start else "end",
                        f"would leave assessment {source_id} ({day}) outside its cycle ({start} to {end})",
                    )
                )  # fmt: skip

    # Refusals.
    for (fid, day), excuse in doc.refusals.items():
        key = f"{fid}+{day.isoformat()}"
        if fid not in known_factories:
            problems.append(unknown_factory("refusals", key, fid))
        fpk = factory_pk(fid)
        old = stored.refusals.get((fpk, day)) if fpk is not None else None
        if old is None:
            plan.refusal_inserts.append((fid, {"date": day, "excuse": excuse}))
            plan.affected_factories.add(fid)
            counts["refusals"].created += 1
        elif old[1] != excuse:
            plan.refusal_updates.append({"pk": old[0], "excuse": excuse})
            plan.affected_factories.add(fid)
            counts["refusals"].updated += 1
        else:
            counts["refusals"].unchanged += 1

    summary.corrections = [c for _, c in plan.corrections]
    return plan


def correction_problem(change: Correction) -> Problem:
    if change.question is not None:
        return Problem(
            "assessments", change.assessment, f"findings[{change.question}]",
            f"changes a published finding from {change.old} to {change.new}; re-run with --correction-reason",
        )  # fmt: skip
    return Problem(
        "assessments", change.assessment, change.field,
        f"changes the {change.field} of a published assessment from {change.old} to {change.new}; "
        "re-run with --correction-reason",
    )  # fmt: skip
