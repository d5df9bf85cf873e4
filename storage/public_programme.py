"""Public reads of the programme: the countries with their publicly reported questions, and
the questions themselves."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from ..domain.programme import CountryProgramme, Question
from ..domain.vocabulary import Cluster
from .batches import chunks
from .tables.programme import CountryQuestionRow, CountryRow, QuestionRow


async def reporting_countries(session: AsyncSession, question_ids: Sequence[str]) -> dict[str, list[str]]:
    """The countries that report each question publicly."""
    found: dict[str, list[str]] = defaultdict(list)
    statement = (
        select(CountryQuestionRow.question_id, CountryQuestionRow.country_code)
        .where(CountryQuestionRow.question_id.in_(list(question_ids)))
        .order_by(CountryQuestionRow.country_code)
    )
    for question_id, country in (await session.exec(statement)).all():
        found[question_id].append(country)
    return found


async def questions_by_id(session: AsyncSession, ids: Sequence[str]) -> dict[str, Question]:
    found: dict[str, Question] = {}
    for part in chunks(list(ids)):
        for row in (await session.exec(select(QuestionRow).where(QuestionRow.id.in_(part)))).scalars():
            found[row.id] = Question(row.id, Cluster(row.cluster), row.titles, row.descriptions)
    return found


async def publicly_reported_question_ids(session: AsyncSession) -> list[str]:
    """Every question some country reports publicly, in a stable order."""
    statement = select(CountryQuestionRow.question_id).distinct().order_by(CountryQuestionRow.question_id)
    return list((await session.exec(statement)).scalars())


async def country_programmes(session: AsyncSession, codes: Sequence[str] | None = None) -> list[CountryProgramme]:
    statement = select(CountryRow).order_by(CountryRow.name)
    questions_statement = select(CountryQuestionRow).order_by(CountryQuestionRow.position)
    if codes is not None:
        statement = statement.where(CountryRow.code.in_(codes))
        questions_statement = questions_statement.where(CountryQuestionRow.country_code.in_(codes))
    public: dict[str, list[str]] = defaultdict(list)
    for row in (await session.exec(questions_statement)).scalars():
        public[row.country_code].append(row.question_id)
    return [
        CountryProgramme(
            code=row.code,
            name=row.name,
            languages=tuple(row.languages),
            public_reporting_since=row.public_reporting_since,
            public_questions=tuple(public[row.code]),
        )
        for row in (await session.exec(statement)).scalars()
    ]
