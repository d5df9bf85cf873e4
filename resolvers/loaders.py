"""DataLoaders: one per request, one database session per batch (an AsyncSession must never be
shared by resolvers running concurrently)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

from strawberry.dataloader import DataLoader
from sqlmodel.ext.asyncio.session import AsyncSession

from ..domain.programme import CountryProgramme, Question
from ..domain.publication import PublicFactory
from ..domain.response_reports import ResponseReport
from ..domain.responses import ResponseRecord
from ..storage import public_programme, public_factories
from ..storage import response_reports
from ..storage import responses as response_reads
from ..storage.db import Sessions
from ..storage.responses import Event, Flag

K = TypeVar("K")
V = TypeVar("V")


def _loader(
    sessions: Sessions, fetch: Callable[[AsyncSession, list[K]], Awaitable[dict[K, V]]]
) -> DataLoader[K, V | None]:
    async def load(keys: Sequence[K]) -> list[V | None]:
        async with sessions() as session:
            found = await fetch(session, list(keys))
        return [found.get(key) for key in keys]

    return DataLoader(load_fn=load)


async def _countries(session: AsyncSession, codes: list[str]) -> dict[str, CountryProgramme]:
    return {c.code: c for c in await public_programme.country_programmes(session, codes)}


@dataclass
class Loaders:
    sessions: Sessions
    today: date
    question: DataLoader[str, Question | None] = field(init=False)
    country: DataLoader[str, CountryProgramme | None] = field(init=False)
    factory: DataLoader[str, PublicFactory | None] = field(init=False)
    factory_by_assessment: DataLoader[str, PublicFactory | None] = field(init=False)
    response: DataLoader[str, ResponseRecord | None] = field(init=False)
    # Approved responses per assessment (callers make sure the assessment is current).
    approved_responses: DataLoader[str, list[ResponseRecord] | None] = field(init=False)
    # Moderators' views, by the response's key.
    flags: DataLoader[int, list[Flag] | None] = field(init=False)
    history: DataLoader[int, list[Event] | None] = field(init=False)
    reports: DataLoader[int, list[ResponseReport] | None] = field(init=False)

    def __post_init__(self) -> None:
        today = self.today
        self.question = _loader(self.sessions, public_programme.questions_by_id)
        self.country = _loader(self.sessions, _countries)
        self.factory = _loader(self.sessions, lambda s, ids: public_factories.factories_by_source_id(s, ids, today))
        self.factory_by_assessment = _loader(
            self.sessions, lambda s, ids: public_factories.factories_by_assessment(s, ids, today)
        )
        self.response = _loader(self.sessions, response_reads.records_by_public_id)
        self.approved_responses = _loader(self.sessions, response_reads.approved_for_assessments)
        self.flags = _loader(self.sessions, response_reads.flags_of)
        self.history = _loader(self.sessions, response_reads.events_of)
        self.reports = _loader(self.sessions, response_reports.reports_of)

    def prime_factories(self, factories: Sequence[PublicFactory]) -> None:
        """A page already holds its factories: later lookups by id need no query."""
        for factory in factories:
            self.factory.prime(factory.source_id, factory)
            self.factory_by_assessment.prime(factory.latest.source_id, factory)


