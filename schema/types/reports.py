"""The country report: `Query.countryReport` and its types (the method is in domain/reports.py)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from ...domain import reports
from ...resolvers import reports as report_reads
from ..context import Info
from .programme import ComplianceIssue, Country


@strawberry.type(
    description=(
        f"One cell of a report. Built on fewer than {reports.MIN_CELL} factories (`assessed`), it is "
        "suppressed: `count` and `share` are null."
    )
)
class PeriodShare:
    period: str = strawberry.field(
        description="A calendar year (\"2023\"), or an ISO 8601 interval for before / after public "
        "reporting (\"../2013-12-31\", \"2014-01-01/..\")."
    )
    assessed: int = strawberry.field(
        description="Factories behind the cell, each counted once. For an issue: those whose assessment answered it "
        "COMPLIANT or NON_COMPLIANT; for green: every factory counted. 0 for a year without assessments."
    )
    count: int | None = strawberry.field(
        description="Of them, those with the property (non-compliant on the issue; green); null when suppressed."
    )
    share: float | None = strawberry.field(description="count / assessed, from 0 to 1; null when suppressed.")
    suppressed: bool = strawberry.field(
        description=f"True when fewer than {reports.MIN_CELL} factories are behind the cell: `count` and `share` are then null."
    )

    @classmethod
    def of(cls, cell: reports.PeriodShare | None) -> PeriodShare | None:
        if cell is None:
            return None
        return cls(
            period=cell.period, assessed=cell.assessed, count=cell.count, share=cell.share, suppressed=cell.suppressed
        )


@strawberry.type(description="The share of assessed factories found non-compliant on one issue, over time.")
class IssueTrend:
    trend: strawberry.Private[reports.IssueTrend]

    @strawberry.field(description="The issue.")
    async def issue(self, info: Info) -> ComplianceIssue:
        return ComplianceIssue.of(await info.context.loaders.question.load(self.trend.question_id))

    @strawberry.field(description="One cell per calendar year in `from`..`to`, oldest first.")
    def periods(self) -> list[PeriodShare]:
        return [PeriodShare.of(c) for c in self.trend.periods]

    @strawberry.field(description="Every assessment dated before public reporting began; null without such a date.")
    def before_public_reporting(self) -> PeriodShare | None:
        return PeriodShare.of(self.trend.before_public_reporting)

    @strawberry.field(description="Every assessment dated on or after the day public reporting began; null without such a date.")
    def after_public_reporting(self) -> PeriodShare | None:
        return PeriodShare.of(self.trend.after_public_reporting)


@strawberry.type(
    description=(
        "Country-level figures over every published assessment, superseded ones included: each factory "
        "counts once per period, by its latest published assessment in it. Names no factory."
    )
)
class CountryReport:
    report: strawberry.Private[reports.CountryReport]

    @strawberry.field(description="The country programme reported on.")
    async def country(self, info: Info) -> Country:
        return Country(programme=await info.context.loaders.country.load(self.report.country))

    @strawberry.field(
        description="The day of the latest publication or correction the report includes (YYYY-MM-DD); null when the "
        "country has no published assessment."
    )
    def as_of(self) -> date | None:
        return self.report.as_of

    @strawberry.field(
        description="The day factory-level public reporting began in the country, which splits the before / after "
        "cells; null when it has not."
    )
    def public_reporting_since(self) -> date | None:
        return self.report.public_reporting_since

    @strawberry.field(description=f"Cells built on fewer factories than this ({reports.MIN_CELL}) are suppressed.")
    def suppression_threshold(self) -> int:
        return reports.MIN_CELL

    @strawberry.field(
        description="The share of green factories (no non-compliance on the country's current public issues), one cell "
        "per calendar year in `from`..`to`, oldest first."
    )
    def green(self) -> list[PeriodShare]:
        return [PeriodShare.of(c) for c in self.report.green]

    @strawberry.field(
        description="The share of green factories over every assessment dated before public reporting began; null "
        "without such a date."
    )
    def green_before_public_reporting(self) -> PeriodShare | None:
        return PeriodShare.of(self.report.green_before_public_reporting)

    @strawberry.field(
        description="The share of green factories over every assessment dated on or after the day public reporting "
        "began; null without such a date."
    )
    def green_after_public_reporting(self) -> PeriodShare | None:
        return PeriodShare.of(self.report.green_after_public_reporting)

    @strawberry.field(description="Every issue the country reports publicly, in its order.")
    def issues(self) -> list[IssueTrend]:
        return [IssueTrend(trend=t) for t in self.report.issues]


@strawberry.type
class ReportQuery:
    @strawberry.field(
        description="Country-level figures per calendar year: `from` and `to` choose the years shown (whole "
        "years, never cut); before / after public reporting always cover the whole record. NOT_FOUND for a "
        "country without a programme."
    )
    async def country_report(
        self,
        info: Info,
        country: Annotated[
            str, strawberry.argument(description="The country's ISO 3166-1 alpha-2 code (any case); BAD_USER_INPUT for anything else.")
        ],
        from_: Annotated[
            date | None,
            strawberry.argument(
                name="from",
                description="Show the years from this day's year on (YYYY-MM-DD); none (the default): from the first "
                "year with an assessment. It never cuts a year.",
            ),
        ] = None,
        to: Annotated[
            date | None,
            strawberry.argument(
                description="Show the years up to this day's year (YYYY-MM-DD); none (the default): up to the last year "
                "with an assessment. BAD_USER_INPUT when it is before `from`."
            ),
        ] = None,
    ) -> CountryReport | None:
        report = await report_reads.country_report(info.context.sessions, info.context.loaders, country, from_, to)
        return CountryReport(report=report)
