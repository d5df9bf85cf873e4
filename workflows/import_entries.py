"""An export's entries indexed by the source system's keys, with the rules that need only the
document itself (no key twice, no question answered twice)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .import_problems import Problem


@dataclass
class DocAssessment:
    index: int
    factory: str
    cycle: int
    date: date
    modality: str
    status: str
    published_on: date | None
    findings: dict[str, str]
    raw_findings: list[dict]


@dataclass
class Doc:
    questions: dict[str, tuple] = field(default_factory=dict)  # id -> (cluster, titles, descriptions)
    countries: dict[str, tuple] = field(default_factory=dict)  # code -> (name, languages, since)
    public_questions: dict[str, list[str]] = field(default_factory=dict)
    factories: dict[str, tuple] = field(default_factory=dict)  # id -> (name, type, country, left)
    cycles: dict[tuple[str, int], tuple[date, date]] = field(default_factory=dict)
    assessments: dict[str, DocAssessment] = field(default_factory=dict)
    refusals: dict[tuple[str, date], str | None] = field(default_factory=dict)


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value is not None else None


def index_document(document: Mapping[str, Any], problems: list[Problem]) -> Doc:
    """Index every section by its key; a key seen twice is a problem (the first entry wins)."""
    doc = Doc()
    first_seen: dict[tuple[str, Any], int] = {}

    def duplicate(section: str, key: Any, index: int, label: str, field_name: str) -> bool:
        seen = first_seen.setdefault((section, key), index)
        if seen == index:
            return False
        problems.append(
            Problem(section, label, field_name, f"appears more than once in {section} (entries {seen} and {index})")
        )
        return True

    for i, q in enumerate(document.get("questions", ())):
        if not duplicate("questions", q["id"], i, q["id"], "id"):
            doc.questions[q["id"]] = (q["cluster"], q["title"], q.get("description", {}))
    for i, c in enumerate(document.get("countries", ())):
        if not duplicate("countries", c["code"], i, c["code"], "code"):
            doc.countries[c["code"]] = (c["name"], c.get("languages", []), _day(c.get("publicReportingSince")))
            doc.public_questions[c["code"]] = list(c["publicQuestions"])
    for i, f in enumerate(document.get("factories", ())):
        if not duplicate("factories", f["id"], i, f["id"], "id"):
            doc.factories[f["id"]] = (f["name"], f["type"], f["country"], _day(f.get("leftProgrammeOn")))
    for i, c in enumerate(document.get("cycles", ())):
        key = (c["factory"], int(c["number"]))
        if not duplicate("cycles", key, i, f"{key[0]}+{key[1]}", "number"):
            doc.cycles[key] = (_day(c["start"]), _day(c["end"]))
    for i, a in enumerate(document.get("assessments", ())):
        if duplicate("assessments", a["id"], i, a["id"], "id"):
            continue
        raw = a["findings"]
        findings = {f["question"]: f["result"] for f in raw}
        if len(findings) != len(raw):
            seen: dict[str, int] = {}
            for j, f in enumerate(raw):
                first = seen.setdefault(f["question"], j)
                if first != j:
                    problems.append(
                        Problem(
                            "assessments",
                            a["id"],
                            f"findings[{j}].question",
                            f"question {f['question']} is answered more than once (also findings[{first}])",
                        )
                    )
        doc.assessments[a["id"]] = DocAssessment(
            index=i,
            factory=a["factory"],
            cycle=int(a["cycle"]),
            date=_day(a["date"]),
            modality=a["modality"],
            status=a["status"],
            published_on=_day(a.get("publishedOn")),
            findings=findings,
            raw_findings=raw,
        )
    for i, r in enumerate(document.get("refusals", ())):
        key = (r["factory"], _day(r["date"]))
        if not duplicate("refusals", key, i, f"{r['factory']}+{r['date']}", "date"):
            doc.refusals[key] = r.get("excuse")
    return doc
