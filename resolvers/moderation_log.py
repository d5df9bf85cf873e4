"""The moderation log, the moderators' figures and a factory's own responses: GraphQL arguments
in (cursors, filters, pages), who may read checked, records out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ..domain.access import Principal, require_role
from ..domain.errors import BadUserInput
from ..domain.moderation import EventKind, ResponseState, Role
from ..domain.responses import ResponseRecord, require_oversight
from ..storage import factory_responses, moderation_log, moderation_queue
from ..storage.db import Sessions
from ..storage.moderation_log import LogFilter, ModeratorFigures
from ..storage.responses import Event
from . import cursors
from .ids import user_key
from .paging import keyset_page

# The window of each moderator's figures (moderatorStats).
FIGURES_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class LogPage:
    events: list[Event]
    has_next: bool
    has_previous: bool
    filter: LogFilter


def log_filter(moderators: list[str] | None, kinds: list[EventKind] | None, since: datetime | None) -> LogFilter:
    if since is not None and since.tzinfo is None:
        raise BadUserInput("`since` needs its offset, e.g. 2026-12-01T00:00:00+00:00.", argument="since")
    return LogFilter(
        actor_pks=tuple(user_key(m, "moderator") for m in moderators or ()),
        kinds=tuple(EventKind(k.value) for k in kinds or ()),
        since=since,
    )


async def log_page(sessions: Sessions, principal: Principal | None, first: int, after: str | None, f: LogFilter) -> LogPage:
    require_oversight(principal)
    page = await keyset_page(
        sessions, first, after, decode_log, lambda s, at, limit: moderation_log.log_page(s, f, at, limit)
    )
    return LogPage(*page, f)


async def log_count(sessions: Sessions, f: LogFilter) -> int:
    async with sessions() as session:
        return await moderation_log.log_count(session, f)


def encode_log(event: Event) -> str:
    return cursors.pack("log", [event.at.isoformat(), event.pk])


def decode_log(cursor: str) -> moderation_log.LogPosition:
    return _time_and_key(cursors.unpack(cursor, "log"))


@dataclass(frozen=True)
class CountryFigures:
    country: str
    waiting: int
    oldest_posted_at: datetime | None
    reported: int
    oldest_reported_at: datetime | None


async def country_figures(sessions: Sessions, principal: Principal | None) -> list[CountryFigures]:
    """Per country with anything waiting: submitted responses and reported ones."""
    require_oversight(principal)
    async with sessions() as session:
        waiting = {c: (n, oldest) for c, n, oldest in await moderation_queue.queue_stats(session)}
        reported = {c: (n, oldest) for c, n, oldest in await moderation_queue.reported_stats(session)}
    return [
        CountryFigures(country, *waiting.get(country, (0, None)), *reported.get(country, (0, None)))
        for country in sorted(waiting.keys() | reported.keys())
    ]


async def moderator_figures(sessions: Sessions, principal: Principal | None, now: datetime) -> list[ModeratorFigures]:
    require_oversight(principal)
    async with sessions() as session:
        return await moderation_log.moderator_figures(session, now - FIGURES_WINDOW)


@dataclass(frozen=True)
class FactoryResponsesPage:
    records: list[ResponseRecord]
    has_next: bool
    has_previous: bool
    factory_pk: int
    state: ResponseState | None


async def factory_responses_page(
    sessions: Sessions, principal: Principal | None, first: int, after: str | None, state: ResponseState | None
) -> FactoryResponsesPage:
    """A supplier's factory's responses, newest first; FORBIDDEN for other roles (they act for
    no factory)."""
    principal = require_role(principal, Role.SUPPLIER)
    factory_pk = principal.factory_pk
    page = await keyset_page(
        sessions, first, after, decode_factory_response,
        lambda s, at, limit: factory_responses.factory_responses_page(s, factory_pk, state, at, limit),
    )  # fmt: skip
    return FactoryResponsesPage(*page, factory_pk, state)


async def factory_responses_count(sessions: Sessions, factory_pk: int, state: ResponseState | None) -> int:
    async with sessions() as session:
        return await factory_responses.factory_responses_count(session, factory_pk, state)


def encode_factory_response(record: ResponseRecord) -> str:
    return cursors.pack("factory-responses", [record.posted_at.isoformat(), record.pk])


def decode_factory_response(cursor: str) -> tuple[datetime, int]:
    return _time_and_key(cursors.unpack(cursor, "factory-responses"))


def _time_and_key(values: list) -> tuple[datetime, int]:
    try:
        at, pk = values
        if not isinstance(pk, int):
            raise ValueError("not a position")
        moment = datetime.fromisoformat(at)
        if moment.tzinfo is None:
            raise ValueError("not a position")
        return moment, pk
    except (ValueError, TypeError) as error:
        raise BadUserInput("The cursor is malformed.", argument="after") from error
