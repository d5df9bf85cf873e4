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
    assessed: int = strawberry.field(description="Factories behind the cell, each counted once.")
    count: int | None = strawberry.field(description="Of them, those with the property (non-compliant; green).")
    share: float | None = strawberry.field(description="count / assessed.")
    suppressed: bool

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

    @strawberry.field
    async def issue(self, info: Info) -> ComplianceIssue:
        return ComplianceIssue.of(await info.context.loaders.question.load(self.trend.question_id))

    @strawberry.field(description="Per calendar year.")
    def periods(self) -> list[PeriodShare]:
        return [PeriodShare.of(c) for c in self.trend.periods]

    @strawberry.field(description="Every assessment dated before public reporting began; null without such a date.")
    def before_public_reporting(self) -> PeriodShare | None:
        return PeriodShare.of(self.trend.before_public_reporting)

    @strawberry.field(description="Every assessment dated on or after the day public reporting began.")
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

    @strawberry.field
    async def country(self, info: Info) -> Country:
        return Country(programme=await info.context.loaders.country.load(self.report.country))

    @strawberry.field(description="The day of the latest publication or correction the report includes.")
    def as_of(self) -> date | None:
        return self.report.as_of

    @strawberry.field
    def public_reporting_since(self) -> date | None:
        return self.report.public_reporting_since

    @strawberry.field(description="Cells with fewer factories than this are suppressed.")
    def suppression_threshold(self) -> int:
        return reports.MIN_CELL

    @strawberry.field(description="The share of green factories (no public issue non-compliant), per calendar year.")
    def green(self) -> list[PeriodShare]:
        return [PeriodShare.of(c) for c in self.report.green]

    @strawberry.field
    def green_before_public_reporting(self) -> PeriodShare | None:
        return PeriodShare.of(self.report.green_before_public_reporting)

    @strawberry.field
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
        country: str,
        from_: Annotated[date | None, strawberry.argument(name="from")] = None,
        to: date | None = None,
    ) -> CountryReport | None:
        report = await report_reads.country_report(info.context.sessions, info.context.loaders, country, from_, to)
        return CountryReport(report=report)
