"""The assessments' section of an import's plan: new and changed assessments with their
findings, and the corrections a change of published data makes (methods of `import_plan`'s
planner, over its state). The rules are `domain.import_rules`': an assessment cannot change
factory, a published assessment cannot go back (`status_change`), changes of published data are
corrections (rule 6).
"""

from __future__ import annotations

from ..domain import import_rules as rules
from ..domain.publication_days import public_from
from ..domain.vocabulary import AssessmentStatus
from .import_entries import DocAssessment


class AssessmentSections:
    """Plans the `assessments` section."""

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
