"""What is stored for the keys of an export, loaded in batched look-ups."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from ..storage.batches import chunks
from .import_entries import Doc
from .import_tables import ASSESSMENT, COUNTRY, COUNTRY_QUESTION, CYCLE, FACTORY, FINDING, QUESTION, REFUSAL


@dataclass
class Stored:
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


async def load_stored(session: AsyncSession, doc: Doc) -> Stored:
    stored = Stored()
    # Questions and countries are small tables (hundreds of rows): load them whole.
    for qid, cluster, titles, descriptions in await _rows(
        session, select(QUESTION.c.id, QUESTION.c.cluster, QUESTION.c.titles, QUESTION.c.descriptions)
    ):
        stored.questions[qid] = (cluster, titles, descriptions or {})
    for code, name, languages, since in await _rows(
        session, select(COUNTRY.c.code, COUNTRY.c.name, COUNTRY.c.languages, COUNTRY.c.public_reporting_since)
    ):
        stored.countries[code] = (name, languages or [], since)
    for code, qid in await _rows(
        session,
        select(COUNTRY_QUESTION.c.country_code, COUNTRY_QUESTION.c.question_id).order_by(
            COUNTRY_QUESTION.c.country_code, COUNTRY_QUESTION.c.position
        ),
    ):
        stored.public_questions.setdefault(code, []).append(qid)

    factory_ids = set(doc.factories)
    factory_ids.update(f for f, _ in doc.cycles)
    factory_ids.update(a.factory for a in doc.assessments.values())
    factory_ids.update(f for f, _ in doc.refusals)
    columns = (
        FACTORY.c.source_id,
        FACTORY.c.pk,
        FACTORY.c.name,
        FACTORY.c.factory_type,
        FACTORY.c.country_code,
        FACTORY.c.left_programme_on,
    )
    for part in chunks(sorted(factory_ids)):
        for source_id, *rest in await _rows(session, select(*columns).where(FACTORY.c.source_id.in_(part))):
            stored.factories[source_id] = tuple(rest)
            stored.factory_id_of[rest[0]] = source_id

    factory_pks = sorted(stored.factory_id_of)
    for part in chunks(factory_pks):
        for pk, factory_pk, number, start, end in await _rows(
            session,
            select(CYCLE.c.pk, CYCLE.c.factory_pk, CYCLE.c.number, CYCLE.c.start, CYCLE.c.end).where(
                CYCLE.c.factory_pk.in_(part)
            ),
        ):
            stored.cycles[(factory_pk, number)] = (pk, start, end)

    refusal_factory_pks = sorted({stored.factories[f][0] for f, _ in doc.refusals if f in stored.factories})
    for part in chunks(refusal_factory_pks):
        for pk, factory_pk, day, excuse in await _rows(
            session,
            select(REFUSAL.c.pk, REFUSAL.c.factory_pk, REFUSAL.c.date, REFUSAL.c.excuse).where(
                REFUSAL.c.factory_pk.in_(part)
            ),
        ):
            stored.refusals[(factory_pk, day)] = (pk, excuse)

    a = ASSESSMENT.c
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
            select(FINDING.c.assessment_pk, FINDING.c.question_id, FINDING.c.result).where(
                FINDING.c.assessment_pk.in_(part)
            ),
        ):
            findings[assessment_pk][qid] = result
    stored.findings = findings
    return stored


async def assessment_dates(session: AsyncSession, factory_pks: Iterable[int]) -> list[tuple[str, int, int, date]]:
    """(source id, factory pk, cycle number, date) of every stored assessment of these factories."""
    a = ASSESSMENT.c
    found: list[tuple[str, int, int, date]] = []
    for part in chunks(sorted(factory_pks)):
        found += await _rows(
            session, select(a.source_id, a.factory_pk, a.cycle_number, a.date).where(a.factory_pk.in_(part))
        )
    return found
