"""The plan of an import: every entry compared with what is stored, section by section, giving
every problem that needs the database too and every row to write (nothing is written here).

The planner's state and shared checks are here; each group of sections plans in its own module
(`import_plan_programme`, `import_plan_factories`, `import_plan_assessments`). The rules
themselves are `domain/import_rules.py`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from ..domain import import_rules as rules
from ..domain.import_rules import Breach
from .import_entries import Doc
from .import_plan_assessments import AssessmentSections
from .import_plan_factories import FactorySections
from .import_plan_programme import ProgrammeSections
from .import_problems import Problem
from .import_stored import Stored
from .import_summary import Correction, ImportSummary


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


class _Planner(ProgrammeSections, FactorySections, AssessmentSections):
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
