"""Country reports: arguments checked, the tallies read, the report built by `domain.reports`."""

from __future__ import annotations

from datetime import date

from ..domain.reports import CountryReport, ReportWindow, build_country_report
from ..storage import reports as report_reads
from ..storage.db import Sessions
from .heavy import heavy_session
from .issues import country_programme
from .loaders import Loaders


async def country_report(
    sessions: Sessions, loaders: Loaders, country: str, start: date | None, end: date | None
) -> CountryReport:
    window = ReportWindow(start, end)
    programme = await country_programme(loaders, country)
    since = programme.public_reporting_since
    questions = programme.public_questions
    async with heavy_session(sessions) as session:
        today = loaders.today
        years = await report_reads.tallies_by_year(session, programme.code, questions, window, today)
        sides = await report_reads.tallies_by_side(session, programme.code, questions, since, today) if since else {}
        as_of = await report_reads.data_as_of(session, today, programme.code)
    return build_country_report(programme, as_of, years, sides)
