"""`portal import FILE...`: bring an export of the assessment system into the record.

The export format is fixed (`assessment_export.schema.json`, a copy of the shared contract). An
import runs in three steps, all inside one write transaction:

1. check: the schema (fastjsonschema, first error only), then every rule of the format's README
   against the document and the database together (all problems, not just the first); a
   changed finding of a published assessment is a problem too unless a correction reason is
   given. Any problem rejects the whole document and nothing is written.
2. plan: compare every entry with what is stored, by the source system's keys. Unchanged entries
   are not written; when nothing changed nothing at all is written.
3. write: bulk inserts, updates and deletes, the import run, one correction row per changed
   published value, then the public projection of the affected factories.

A dry run does steps 1-3 and rolls back, so it reports exactly what a real run would do.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from importlib.resources import files
from typing import Any, NamedTuple

import fastjsonschema
from sqlalchemy import Table, bindparam, delete, func, insert, or_, select, text, update
from sqlmodel.ext.asyncio.session import AsyncSession
from tqdm import tqdm

from ..domain.errors import BadUserInput
from ..domain.vocabulary import AssessmentStatus, FindingResult
from ..storage.db import Sessions, write_transaction
from ..storage.projection import chunks, refresh_public_view
from ..storage.tables import (
    AssessmentRow,
    CorrectionRow,
    CountryQuestionRow,
    CountryRow,
    CycleRow,
    FactoryRow,
    FindingRow,
    ImportRunRow,
    PublicFactoryRow,
    QuestionRow,
    RefusalRow,
)

SECTIONS = ("questions", "countries", "factories", "cycles", "assessments", "refusals")
FORMAT = "assessment-export/1"

# Rows per executemany call while writing (also the progress bar's step).
WRITE_BATCH = 10_000
# PostgreSQL advisory lock taken for the length of an import transaction ("port").
IMPORT_LOCK_KEY = 0x706F7274
# Problems shown in the text of an ImportRejected (all of them stay in `.problems`).
SHOWN_PROBLEMS = 50

_QUESTION = QuestionRow.__table__
_COUNTRY = CountryRow.__table__
_COUNTRY_QUESTION = CountryQuestionRow.__table__
_FACTORY = FactoryRow.__table__
_CYCLE = CycleRow.__table__
_ASSESSMENT = AssessmentRow.__table__
_FINDING = FindingRow.__table__
_REFUSAL = RefusalRow.__table__
_CORRECTION = CorrectionRow.__table__
_IMPORT_RUN = ImportRunRow.__table__
_PUBLIC_FACTORY = PublicFactoryRow.__table__

PUBLISHED = AssessmentStatus.PUBLISHED.value
NOT_ASSESSED = FindingResult.NOT_ASSESSED.value


# --------------------------------------------------------------------------------------------
# Problems and results


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a document: where (section, entry key, field) and what."""

    section: str | None
    key: str | None
    field: str | None
    message: str

    @property
    def location(self) -> str:
        where = self.section or ""
        if self.key is not None:
            where += f"[{self.key}]"
        if self.field:
            where += ("." if where else "") + self.field
        return where

    def __str__(self) -> str:
        where = self.location
        return f"{where}: {self.message}" if where else self.message


class ImportRejected(BadUserInput):
    """A document that cannot be imported as it is: nothing was written."""

    def __init__(self, problems: Sequence[Problem], source: str = "<document>") -> None:
        self.problems: list[Problem] = list(problems)
        self.source = source
        super().__init__(
            self._text(),
            source=source,
            problem_count=len(self.problems),
            problems=[str(p) for p in self.problems[:SHOWN_PROBLEMS]],
        )

    def _text(self) -> str:
        if len(self.problems) == 1:
            return f"{self.source}: {self.problems[0]}"
        lines = [f"{self.source}: {len(self.problems)} problems, nothing was imported:"]
        lines += [f"  {p}" for p in self.problems[:SHOWN_PROBLEMS]]
        if len(self.problems) > SHOWN_PROBLEMS:
            lines.append(f"  ... and {len(self.problems) - SHOWN_PROBLEMS} more")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.message


@dataclass
class SectionCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> int:
        return self.created + self.updated

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass
class FindingCounts:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> int:
        return self.created + self.updated + self.deleted


class Correction(NamedTuple):
    """A change of a published value: a finding's result (field "result") or an assessment field."""

    assessment: str
    question: str | None
    old: str | None
    new: str | None
    field: str = "result"


@dataclass
class ImportSummary:
    source: str = "<document>"
    sections: dict[str, SectionCounts] = field(default_factory=lambda: {s: SectionCounts() for s in SECTIONS})
    findings: FindingCounts = field(default_factory=FindingCounts)
    corrections: list[Correction] = field(default_factory=list)
    # Factories the public may see after the import (visible today); None when nothing changed.
    public_factories: int | None = None
    dry_run: bool = False
    import_run_pk: int | None = None

    @property
    def changed(self) -> bool:
        return any(c.changed for c in self.sections.values()) or self.findings.changed > 0

    def lines(self) -> list[str]:
        if not self.changed:
            unchanged = sum(c.unchanged for c in self.sections.values())
            return [f"{self.source}: nothing to change ({unchanged} entries already up to date)"]
        head = f"{self.source}: " + ("dry run, nothing written; would change:" if self.dry_run else "imported:")
        out = [head]
        for name, counts in self.sections.items():
            if counts.total:
                out.append(
                    f"  {name}: {counts.created} created, {counts.updated} updated, {counts.unchanged} unchanged"
                )
        f = self.findings
        if f.changed or f.unchanged:
            out.append(
                f"  findings: {f.created} created, {f.updated} updated, {f.deleted} removed, {f.unchanged} unchanged"
            )
        if self.corrections:
            out.append(f"  corrections of published data: {len(self.corrections)}")
            for c in self.corrections[:20]:
                what = f"finding {c.question}" if c.question is not None else c.field
                out.append(f"    {c.assessment} {what}: {c.old or '-'} -> {c.new or '-'}")
            if len(self.corrections) > 20:
                out.append(f"    ... and {len(self.corrections) - 20} more")
        if self.public_factories is not None:
            out.append(f"  public factories after the import: {self.public_factories}")
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def to_json(self) -> dict[str, Any]:
        return {
            "sections": {
                name: {"created": c.created, "updated": c.updated, "unchanged": c.unchanged}
                for name, c in self.sections.items()
                if c.total
            },
            "findings": {
                "created": self.findings.created,
                "updated": self.findings.updated,
                "deleted": self.findings.deleted,
                "unchanged": self.findings.unchanged,
            },
            "corrections": len(self.corrections),
            "public_factories": self.public_factories,
        }


# --------------------------------------------------------------------------------------------
# Parsing and the schema


class _ValidatedDocument(dict):
    """A document `validate_document` accepted (a shallow copy, so later checks can skip the schema)."""


_DATE_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _is_date(value: str) -> bool:
    if not _DATE_PATTERN.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


@cache
def _schema_validator():
    text = (files("transparency_portal.workflows") / "assessment_export.schema.json").read_text("utf-8")
    schema = json.loads(text)
    # fastjsonschema tries to fetch a relative `$id` as a URL ("unknown url type").
    schema.pop("$id", None)
    return fastjsonschema.compile(schema, formats={"date": _is_date})


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def parse_document(raw: bytes | str, source: str = "<document>") -> dict:
    """Parse an export and check it against the schema; raises ImportRejected."""
    try:
        document = json.loads(raw, parse_constant=_reject_constant)
    except json.JSONDecodeError as e:
        raise ImportRejected(
            [Problem(None, None, None, f"not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}")], source
        ) from None
    except UnicodeDecodeError as e:
        raise ImportRejected([Problem(None, None, None, f"not UTF-8 text (at byte {e.start})")], source) from None
    except RecursionError:
        raise ImportRejected([Problem(None, None, None, "not valid JSON: nested too deeply")], source) from None
    except ValueError as e:
        raise ImportRejected([Problem(None, None, None, f"not valid JSON: {e}")], source) from None
    return validate_document(document, source)


def validate_document(document: Any, source: str = "<document>") -> dict:
    """The schema check alone (the first error only: fastjsonschema stops there)."""
    if isinstance(document, _ValidatedDocument):
        return document
    try:
        _schema_validator()(document)
    except fastjsonschema.JsonSchemaValueException as e:
        raise ImportRejected([_schema_problem(e, document)], source) from None
    return _ValidatedDocument(document)


def _show(value: Any, limit: int = 60) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _field_path(parts: Sequence[str]) -> str | None:
    out = ""
    for part in parts:
        if part.isdigit():
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out or None


def _entry_key(section: str, entry: Any, index: int) -> str:
    """The README's "keyed by" for one entry, or its position when the key itself is broken."""

    def part(name: str) -> str | None:
        value = entry.get(name) if isinstance(entry, dict) else None
        if isinstance(value, bool) or not isinstance(value, (str, int)) or value == "":
            return None
        value = str(value)
        return value if len(value) <= 80 else value[:77] + "..."

    if section == "countries":
        key = part("code")
    elif section == "cycles":
        factory, number = part("factory"), part("number")
        key = f"{factory}+{number}" if factory and number else None
    elif section == "refusals":
        factory, day = part("factory"), part("date")
        key = f"{factory}+{day}" if factory and day else None
    else:
        key = part("id")
    return key if key is not None else f"#{index}"


_TYPE_NAMES = {
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "array": "a list",
    "object": "an object",
    "null": "null",
    "boolean": "true or false",
}


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


_PATTERN_TEXT = {
    "^[A-Za-z0-9._:-]+$": "must be an id of letters, digits, '.', '_', ':' or '-'",
    "^[A-Z]{2}$": "must be a two-letter country code in capitals (ISO 3166)",
    "^[a-z]{2,3}$": "must be a language code of 2 or 3 lowercase letters",
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}$": "must be a real date written YYYY-MM-DD",
}


def _schema_problem(error: fastjsonschema.JsonSchemaValueException, document: Any) -> Problem:
    parts = [str(p) for p in (error.path or [])][1:]  # drop the leading "data"
    section = key = None
    rest: list[str] = parts
    if parts:
        section, rest = parts[0], parts[1:]
        if section in SECTIONS and rest and rest[0].isdigit():
            index = int(rest[0])
            entries = document.get(section) if isinstance(document, dict) else None
            entry = entries[index] if isinstance(entries, list) and index < len(entries) else None
            key, rest = _entry_key(section, entry, index), rest[1:]
    rest = list(rest)
    rule, definition, value = error.rule, error.definition or {}, error.value

    if rule == "required":
        missing = [n for n in definition.get("required", []) if not (isinstance(value, dict) and n in value)]
        rest.append(missing[0] if missing else "?")
        message = "is required"
    elif rule == "additionalProperties":
        allowed = definition.get("properties", {})
        extra = sorted(k for k in (value if isinstance(value, dict) else {}) if k not in allowed)
        rest.append(extra[0] if extra else "?")
        if not parts:
            message = "is not a section of this format (known: format, exportedAt, " + ", ".join(SECTIONS) + ")"
        else:
            message = "is not a field of this format (known: " + ", ".join(allowed) + ")"
    elif rule == "enum":
        options = ", ".join("null" if v is None else str(v) for v in definition.get("enum", []))
        message = f"must be one of {options}, not {_show(value)}"
    elif rule == "const":
        message = f"must be {definition.get('const')}, not {_show(value)}"
    elif rule == "type":
        wanted = definition.get("type")
        wanted = wanted if isinstance(wanted, list) else [wanted]
        message = f"must be {' or '.join(_TYPE_NAMES.get(w, str(w)) for w in wanted)}, not {_kind(value)}"
        if not parts:
            message = "the document must be a JSON object, not " + _kind(value)
    elif rule == "format":
        if definition.get("format") == "date":
            message = f"must be a real date written YYYY-MM-DD, not {_show(value)}"
        elif definition.get("format") == "date-time":
            message = f"must be a date and time in ISO 8601 (e.g. 2026-10-01T08:00:00Z), not {_show(value)}"
        else:
            message = f"must be a valid {definition.get('format')}, not {_show(value)}"
    elif rule == "pattern":
        pattern = definition.get("pattern", "")
        message = _PATTERN_TEXT.get(pattern, f"must match the pattern {pattern}") + f", not {_show(value)}"
    elif rule == "propertyNames":
        pattern = definition.get("propertyNames", {}).get("pattern", "")
        bad = [k for k in (value if isinstance(value, dict) else {}) if not re.search(pattern, k)]
        wanted = _PATTERN_TEXT.get(pattern, f"must match the pattern {pattern}").removeprefix("must be ")
        message = f"keys must each be {wanted}; {_show(bad[0] if bad else None)} is not"
    elif rule == "oneOf":
        message = f"must be a real date written YYYY-MM-DD, or null; not {_show(value)}"
    elif rule == "minLength":
        minimum = definition.get("minLength")
        message = "must not be empty" if minimum == 1 else f"must have at least {minimum} characters"
    elif rule == "maxLength":
        message = f"must have at most {definition.get('maxLength')} characters (has {len(value)})"
    elif rule == "minimum":
        message = f"must be at least {definition.get('minimum')}, not {_show(value)}"
    elif rule == "uniqueItems":
        message = "lists an item more than once"
    else:
        message = re.sub(r"^data[\w.\[\]-]*\s+", "", error.message)
    return Problem(section, key, _field_path(rest), message)


# --------------------------------------------------------------------------------------------
# The document, indexed by the source keys


@dataclass
class _DocAssessment:
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
class _Doc:
    questions: dict[str, tuple] = field(default_factory=dict)  # id -> (cluster, titles, descriptions)
    countries: dict[str, tuple] = field(default_factory=dict)  # code -> (name, languages, since)
    public_questions: dict[str, list[str]] = field(default_factory=dict)
    factories: dict[str, tuple] = field(default_factory=dict)  # id -> (name, type, country, left)
    cycles: dict[tuple[str, int], tuple[date, date]] = field(default_factory=dict)
    assessments: dict[str, _DocAssessment] = field(default_factory=dict)
    refusals: dict[tuple[str, date], str | None] = field(default_factory=dict)


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value is not None else None


def _index_document(document: Mapping[str, Any], problems: list[Problem]) -> _Doc:
    """Index every section by its key; a key seen twice is a problem (the first entry wins)."""
    doc = _Doc()
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
        doc.assessments[a["id"]] = _DocAssessment(
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


# --------------------------------------------------------------------------------------------
# What is stored, for the keys of the document (batched look-ups)


@dataclass
class _Stored:
    questions: dict[str, tuple] = field(default_factory=dict)
    countries: dict[str, tuple] = field(default_factory=dict)
    public_questions: dict[str, list[str]] = field(default_factory=dict)
    factories: dict[str, tuple] = field(default_factory=dict)  # id -> (pk, name, type, country, left)
    factory_id_of: dict[int, str] = field(default_factory=dict)
    cycles: dict[tuple[int, int], tuple[int, date, date]] = field(default_factory=dict)  # (fpk, n) -> (pk, s, e)
    # id -> (pk, factory_pk, cycle, date, modality, status, published_on)
    assessments: dict[str, tuple] = field(default_factory=dict)
    findings: dict[int, dict[str, str]] = field(default_factory=dict)
    refusals: dict[tuple[int, date], tuple[int, str | None]] = field(default_factory=dict)


async def _rows(session: AsyncSession, statement) -> list:
    return list((await session.exec(statement)).all())


async def _load_stored(session: AsyncSession, doc: _Doc) -> _Stored:
    stored = _Stored()
    # Questions and countries are small tables (hundreds of rows): load them whole.
    for qid, cluster, titles, descriptions in await _rows(
        session, select(_QUESTION.c.id, _QUESTION.c.cluster, _QUESTION.c.titles, _QUESTION.c.descriptions)
    ):
        stored.questions[qid] = (cluster, titles, descriptions or {})
    for code, name, languages, since in await _rows(
        session, select(_COUNTRY.c.code, _COUNTRY.c.name, _COUNTRY.c.languages, _COUNTRY.c.public_reporting_since)
    ):
        stored.countries[code] = (name, languages or [], since)
    for code, qid in await _rows(
        session,
        select(_COUNTRY_QUESTION.c.country_code, _COUNTRY_QUESTION.c.question_id).order_by(
            _COUNTRY_QUESTION.c.country_code, _COUNTRY_QUESTION.c.position
        ),
    ):
        stored.public_questions.setdefault(code, []).append(qid)

    factory_ids = set(doc.factories)
    factory_ids.update(f for f, _ in doc.cycles)
    factory_ids.update(a.factory for a in doc.assessments.values())
    factory_ids.update(f for f, _ in doc.refusals)
    columns = (
        _FACTORY.c.source_id,
        _FACTORY.c.pk,
        _FACTORY.c.name,
        _FACTORY.c.factory_type,
        _FACTORY.c.country_code,
        _FACTORY.c.left_programme_on,
    )
    for part in chunks(sorted(factory_ids)):
        for source_id, *rest in await _rows(session, select(*columns).where(_FACTORY.c.source_id.in_(part))):
            stored.factories[source_id] = tuple(rest)
            stored.factory_id_of[rest[0]] = source_id

    factory_pks = sorted(stored.factory_id_of)
    for part in chunks(factory_pks):
        for pk, factory_pk, number, start, end in await _rows(
            session,
            select(_CYCLE.c.pk, _CYCLE.c.factory_pk, _CYCLE.c.number, _CYCLE.c.start, _CYCLE.c.end).where(
                _CYCLE.c.factory_pk.in_(part)
            ),
        ):
            stored.cycles[(factory_pk, number)] = (pk, start, end)

    refusal_factory_pks = sorted({stored.factories[f][0] for f, _ in doc.refusals if f in stored.factories})
    for part in chunks(refusal_factory_pks):
        for pk, factory_pk, day, excuse in await _rows(
            session,
            select(_REFUSAL.c.pk, _REFUSAL.c.factory_pk, _REFUSAL.c.date, _REFUSAL.c.excuse).where(
                _REFUSAL.c.factory_pk.in_(part)
            ),
        ):
            stored.refusals[(factory_pk, day)] = (pk, excuse)

    a = _ASSESSMENT.c
    for part in chunks(sorted(doc.assessments)):
        for source_id, *rest in await _rows(
            session,
            select(
                a.source_id, a.pk, a.factory_pk, a.cycle_number, a.date, a.modality, a.status, a.published_on
            ).where(a.source_id.in_(part)),
        ):
            stored.assessments[source_id] = tuple(rest)
    assessment_pks = sorted(row[0] for row in stored.assessments.values())
    findings: dict[int, dict[str, str]] = defaultdict(dict)
    for part in chunks(assessment_pks):
        for assessment_pk, qid, result in await _rows(
            session,
            select(_FINDING.c.assessment_pk, _FINDING.c.question_id, _FINDING.c.result).where(
                _FINDING.c.assessment_pk.in_(part)
            ),
        ):
            findings[assessment_pk][qid] = result
    stored.findings = findings
    return stored


# --------------------------------------------------------------------------------------------
# The plan: every problem, and every row to write


@dataclass
class _Plan:
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


async def _plan(
    session: AsyncSession, doc: _Doc, stored: _Stored, summary: ImportSummary, problems: list[Problem]
) -> _Plan:
    plan = _Plan(summary)
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
        a_ = _ASSESSMENT.c
        for part in chunks(sorted({fpk for fpk, _ in changed_cycles})):
            for source_id, fpk, number, day in await _rows(
                session,
                select(a_.source_id, a_.factory_pk, a_.cycle_number, a_.date).where(a_.factory_pk.in_(part)),
            ):
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


def _correction_problem(change: Correction) -> Problem:
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


# --------------------------------------------------------------------------------------------
# Writing


class _Progress:
    def __init__(self, total: int, enabled: bool, source: str) -> None:
        self.bar = tqdm(
            total=total, disable=not enabled, file=sys.stderr, unit="row", desc=f"import {source}"
        )

    def __call__(self, n: int) -> None:
        self.bar.update(n)

    def close(self) -> None:
        self.bar.close()


async def _insert_many(session: AsyncSession, table: Table, rows: Sequence[dict], progress: _Progress) -> None:
    for part in chunks(rows, WRITE_BATCH):
        await session.exec(insert(table), params=list(part))
        progress(len(part))


async def _insert_findings(session: AsyncSession, rows: Sequence[dict], progress: _Progress) -> None:
    """The bulk of an import: on PostgreSQL through COPY (about 4x executemany), in this transaction."""
    if not rows:
        return
    connection = await session.connection()
    if connection.dialect.name != "postgresql" or connection.dialect.driver != "asyncpg":
        await _insert_many(session, _FINDING, rows, progress)
        return
    driver = (await connection.get_raw_connection()).driver_connection
    columns = ("assessment_pk", "question_id", "result")
    for part in chunks(rows, WRITE_BATCH * 5):
        records = [(row["assessment_pk"], row["question_id"], row["result"]) for row in part]
        await driver.copy_records_to_table(_FINDING.name, records=records, columns=columns)
        progress(len(part))


async def _insert_returning(
    session: AsyncSession, table: Table, rows: Sequence[dict], progress: _Progress
) -> dict[str, int]:
    """Insert rows with a `source_id`; returns their new primary keys by source id."""
    pks: dict[str, int] = {}
    for part in chunks(rows, WRITE_BATCH):
        result = await session.exec(insert(table).returning(table.c.source_id, table.c.pk), params=list(part))
        pks.update(result.all())
        progress(len(part))
    return pks


async def _update_many(
    session: AsyncSession, table: Table, keys: Sequence[str], rows: Sequence[dict], progress: _Progress
) -> None:
    """Executemany UPDATE of the other columns of each row, matched on `keys`."""
    if not rows:
        return
    groups: dict[tuple[str, ...], list[dict]] = defaultdict(list)
    for row in rows:
        groups[tuple(row)].append(row)
    for columns, group in groups.items():
        statement = (
            update(table)
            .where(*(table.c[k] == bindparam(f"b_{k}", type_=table.c[k].type) for k in keys))
            .values({c: bindparam(f"b_{c}", type_=table.c[c].type) for c in columns if c not in keys})
        )
        for part in chunks(group, WRITE_BATCH):
            await session.exec(statement, params=[{f"b_{c}": v for c, v in row.items()} for row in part])
            progress(len(part))


async def _delete_many(
    session: AsyncSession, table: Table, keys: Sequence[str], rows: Sequence[dict], progress: _Progress
) -> None:
    if not rows:
        return
    statement = delete(table).where(*(table.c[k] == bindparam(f"b_{k}", type_=table.c[k].type) for k in keys))
    for part in chunks(rows, WRITE_BATCH):
        await session.exec(statement, params=[{f"b_{c}": v for c, v in row.items()} for row in part])
        progress(len(part))


async def _write(
    session: AsyncSession,
    plan: _Plan,
    stored: _Stored,
    *,
    source: str,
    sha256: str,
    actor: str,
    correction_reason: str | None,
    progress: _Progress,
) -> None:
    summary = plan.summary
    await _insert_many(session, _QUESTION, plan.question_inserts, progress)
    await _update_many(session, _QUESTION, ["id"], plan.question_updates, progress)
    await _insert_many(session, _COUNTRY, plan.country_inserts, progress)
    await _update_many(session, _COUNTRY, ["code"], plan.country_updates, progress)
    if plan.public_question_lists:
        codes = sorted(plan.public_question_lists)
        await session.exec(delete(_COUNTRY_QUESTION).where(_COUNTRY_QUESTION.c.country_code.in_(codes)))
        rows = [
            {"country_code": code, "question_id": qid, "position": position}
            for code in codes
            for position, qid in enumerate(plan.public_question_lists[code], start=1)
        ]
        await _insert_many(session, _COUNTRY_QUESTION, rows, progress)

    factory_pks = {fid: row[0] for fid, row in stored.factories.items()}
    factory_pks.update(await _insert_returning(session, _FACTORY, plan.factory_inserts, progress))
    await _update_many(session, _FACTORY, ["pk"], plan.factory_updates, progress)

    await _insert_many(
        session, _CYCLE, [{"factory_pk": factory_pks[fid], **row} for fid, row in plan.cycle_inserts], progress
    )
    await _update_many(session, _CYCLE, ["pk"], plan.cycle_updates, progress)

    new_assessments = [{"factory_pk": factory_pks[fid], **row} for fid, row, _ in plan.assessment_inserts]
    assessment_pks = await _insert_returning(session, _ASSESSMENT, new_assessments, progress)
    await _update_many(session, _ASSESSMENT, ["pk"], plan.assessment_updates, progress)

    await _delete_many(session, _FINDING, ["assessment_pk", "question_id"], plan.finding_deletes, progress)
    await _update_many(session, _FINDING, ["assessment_pk", "question_id"], plan.finding_updates, progress)
    await _insert_findings(session, plan.finding_inserts, progress)
    batch: list[dict] = []
    for _, row, findings in plan.assessment_inserts:
        pk = assessment_pks[row["source_id"]]
        batch += [{"assessment_pk": pk, "question_id": q, "result": r} for q, r in findings.items()]
        if len(batch) >= WRITE_BATCH:
            await _insert_findings(session, batch, progress)
            batch = []
    await _insert_findings(session, batch, progress)

    await _insert_many(
        session, _REFUSAL, [{"factory_pk": factory_pks[fid], **row} for fid, row in plan.refusal_inserts], progress
    )
    await _update_many(session, _REFUSAL, ["pk"], plan.refusal_updates, progress)

    now = datetime.now(UTC)
    result = await session.exec(
        insert(_IMPORT_RUN).returning(_IMPORT_RUN.c.pk),
        params={"source": source, "sha256": sha256, "actor": actor, "imported_at": now, "summary": summary.to_json()},
    )
    summary.import_run_pk = result.scalar_one()
    if plan.corrections:
        await _insert_many(
            session,
            _CORRECTION,
            [
                {
                    "assessment_pk": pk,
                    "question_id": change.question,
                    "field": change.field,
                    "old_value": change.old,
                    "new_value": change.new,
                    "reason": correction_reason,
                    "corrected_by": actor,
                    "corrected_at": now,
                    "import_run_pk": summary.import_run_pk,
                }
                for pk, change in plan.corrections
            ],
            progress,
        )

    affected = {factory_pks[fid] for fid in plan.affected_factories}
    for part in chunks(sorted(plan.affected_countries)):
        affected.update(
            (await session.exec(select(_FACTORY.c.pk).where(_FACTORY.c.country_code.in_(part)))).scalars()
        )
    # Also when no factory is affected: question texts are public, and the data version must move.
    await refresh_public_view(session, affected)

    today = now.date()
    summary.public_factories = (
        await session.exec(
            select(func.count()).select_from(_PUBLIC_FACTORY).where(
                or_(_PUBLIC_FACTORY.c.visible_until.is_(None), _PUBLIC_FACTORY.c.visible_until >= today)
            )
        )
    ).scalar_one()
    await session.exec(
        update(_IMPORT_RUN).where(_IMPORT_RUN.c.pk == summary.import_run_pk).values(summary=summary.to_json())
    )


# --------------------------------------------------------------------------------------------
# The use case


class _DryRun(Exception):
    """Raised inside the transaction to roll a dry run back."""

    def __init__(self, summary: ImportSummary) -> None:
        super().__init__("dry run")
        self.summary = summary


def document_sha256(document: Mapping[str, Any]) -> str:
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


async def import_document(
    sessions: Sessions,
    document: dict,
    *,
    source: str = "<document>",
    actor: str,
    correction_reason: str | None = None,
    dry_run: bool = False,
    progress: bool = False,
    sha256: str | None = None,
) -> ImportSummary:
    """Check the whole document, then write it in one transaction (or, for a dry run, roll back).

    Raises ImportRejected, with every problem found, when the document cannot be imported;
    nothing is written then. `sha256` is the digest recorded for the import run (pass the raw
    file's; by default that of the document's canonical JSON).
    """
    document = validate_document(document, source)
    if correction_reason is not None and not correction_reason.strip():
        raise ImportRejected([Problem(None, None, None, "the correction reason is empty: say why")], source)
    summary = ImportSummary(source=source, dry_run=dry_run)
    try:
        async with write_transaction(sessions) as session:
            if session.bind.dialect.name == "postgresql":
                # Imports queue behind each other (SQLite's BEGIN IMMEDIATE does the same): two
                # at once would both plan to insert the same new entries.
                await session.exec(text("SELECT pg_advisory_xact_lock(:key)"), params={"key": IMPORT_LOCK_KEY})
            problems: list[Problem] = []
            doc = _index_document(document, problems)
            stored = await _load_stored(session, doc)
            plan = await _plan(session, doc, stored, summary, problems)
            if plan.corrections and correction_reason is None:
                problems += [_correction_problem(change) for _, change in plan.corrections]
            if problems:
                raise ImportRejected(problems, source)
            if not summary.changed:
                return summary
            bar = _Progress(plan.rows_to_write, progress, source)
            try:
                await _write(
                    session,
                    plan,
                    stored,
                    source=source,
                    sha256=sha256 or document_sha256(document),
                    actor=actor,
                    correction_reason=correction_reason.strip() if correction_reason else None,
                    progress=bar,
                )
            finally:
                bar.close()
            if dry_run:
                raise _DryRun(summary)
    except _DryRun as stop:
        stop.summary.import_run_pk = None
        return stop.summary
    return summary


__all__ = [
    "Correction",
    "FindingCounts",
    "ImportRejected",
    "ImportSummary",
    "Problem",
    "SectionCounts",
    "document_sha256",
    "import_document",
    "parse_document",
    "validate_document",
]
