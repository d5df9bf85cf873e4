"""Publicly reported issues and country programmes."""

from __future__ import annotations

from collections.abc import Sequence

from ..domain.errors import BadUserInput, NotFound
from ..domain.programme import CountryProgramme, Question
from ..storage import public_programme
from ..storage.db import Sessions
from .heavy import heavy_session
from .loaders import Loaders


def normalise_country_code(code: str) -> str:
    code = code.strip().upper()
    if len(code) != 2 or not code.isascii() or not code.isalpha():
        raise BadUserInput(f"{code!r} is not an ISO 3166-1 alpha-2 country code.", argument="country")
    return code


async def public_issues(sessions: Sessions, loaders: Loaders, ids: Sequence[str]) -> list[Question | None]:
    """The questions among `ids` that some country reports publicly; None for the others."""
    async with sessions() as session:
        reported = set(await public_programme.publicly_reported_question_ids(session))
    questions = await loaders.question.load_many([i for i in ids if i in reported])
    by_id = {q.id: q for q in questions if q is not None}
    return [by_id.get(i) for i in ids]


async def public_issue(sessions: Sessions, loaders: Loaders, question_id: str) -> Question:
    (question,) = await public_issues(sessions, loaders, [question_id])
    if question is None:
        raise NotFound("No publicly reported issue has this id.", id=question_id)
    return question


async def reporting_countries(sessions: Sessions, loaders: Loaders, question_id: str) -> list[CountryProgramme]:
    async with heavy_session(sessions) as session:  # a read per issue: many under `issues`
        codes = (await public_programme.reporting_countries(session, [question_id])).get(question_id, [])
    return [c for c in await loaders.country.load_many(codes) if c is not None]


async def issues(sessions: Sessions, loaders: Loaders, country: str | None) -> list[Question]:
    if country is None:
        async with sessions() as session:
            ids = await public_programme.publicly_reported_question_ids(session)
    else:
        ids = list((await country_programme(loaders, country)).public_questions)
    return [q for q in await loaders.question.load_many(ids) if q is not None]


async def country_programme(loaders: Loaders, code: str) -> CountryProgramme:
    programme = await loaders.country.load(normalise_country_code(code))
    if programme is None:
        raise NotFound(f"There is no country programme {code!r}.", country=code)
    return programme


async def country_programmes(sessions: Sessions) -> list[CountryProgramme]:
    async with sessions() as session:
        return await public_programme.country_programmes(session)


async def catalogue(sessions: Sessions) -> tuple[dict[str, Question], dict[str, CountryProgramme]]:
    """Every publicly reported question and every country programme, by id."""
    async with sessions() as session:
        ids = await public_programme.publicly_reported_question_ids(session)
        questions = await public_programme.questions_by_id(session, ids)
        countries = {c.code: c for c in await public_programme.country_programmes(session)}
    return questions, countries
