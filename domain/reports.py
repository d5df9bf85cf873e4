"""Country reports: the share of assessed factories non-compliant on each publicly reported issue,
and the share of green factories, per calendar year and before / after public reporting began.

DOMAIN.md rule 7 allows country-level aggregates to use history, superseded assessments
included, as long as no factory-level result is exposed. The method:

- A report covers the published assessments of the country's factories. Drafts and finalized
  reports never count. Factories that are not public today (one published assessment, or gone
  after leaving) count too: the aggregate is over the record, not over the public list.
- Periods are whole calendar years of assessment dates: every year from the first to the last
  one with such an assessment (a year without any has `assessed` 0). `start` and `end` only
  choose which years are shown (those with a day in [start, end]); they never cut a year.
- In a period, each factory counts once, by its latest published assessment dated in that period
  (latest as in `domain.publication_days`: by date, then publication date, then id). Its earlier ones
  in the same period do not count, so a factory assessed twice in a year is not counted twice.
- For an issue, `assessed` is the number of counted factories whose assessment answered the
  question COMPLIANT or NON_COMPLIANT (NOT_ASSESSED or absent - a virtual check asks a subset -
  is left out), `count` those NON_COMPLIANT. For green, `assessed` is every counted factory and
  `count` those with no non-compliance on any of the country's publicly reported issues (rule 3).
  The issues are the country's public list as it is today, for every period.
- Before / after public reporting: the same over two periods, every assessment dated before
  `public_reporting_since`, and every one on or after it (each factory once per side, by its
  latest there), whatever the window. Labelled as ISO 8601 intervals ("../2013-12-31",
  "2014-01-01/.."); None when the country has no such date.
- Why no cell depends on the window: were `start` and `end` to cut periods to the day, two
  reports a day apart could be subtracted to isolate the one factory assessed that day. Every
  cell is the same aggregate in every report, so there is nothing to subtract.
- Suppression: a cell built on fewer than MIN_CELL factories (`assessed` < MIN_CELL) keeps its
  `assessed` but not its `count` nor its `share`, which could otherwise single a factory out.
- A report never names a factory: it holds counts only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from .errors import BadUserInput
from .programme import CountryProgramme

# Cells built on fewer factories than this are suppressed (count and share withheld).
MIN_CELL = 5

BEFORE = "before"
AFTER = "after"


@dataclass(frozen=True)
class ReportWindow:
    """Which years a report shows; None is open-ended."""

    start: date | None = None
    end: date | None = None

    def __post_init__(self) -> None:
        if self.start is not None and self.end is not None and self.start > self.end:
            raise BadUserInput("`from` must not be after `to`.", argument="from")

    @property
    def first_day(self) -> date | None:
        """The first day of the first year shown: years are never cut (see the module doc)."""
        return date(self.start.year, 1, 1) if self.start is not None else None

    @property
    def last_day(self) -> date | None:
        return date(self.end.year, 12, 31) if self.end is not None else None


@dataclass(frozen=True)
class PeriodTally:
    """What the record says about one period, each factory counted once (see the module doc)."""

    factories: int = 0
    # Counted factories with at least one non-compliance among the country's public issues.
    non_compliant_factories: int = 0
    # Per question: counted factories that answered it COMPLIANT or NON_COMPLIANT ...
    answered: Mapping[str, int] = field(default_factory=dict)
    # ... and those that answered NON_COMPLIANT.
    non_compliant: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class PeriodShare:
    period: str
    assessed: int
    count: int | None
    share: float | None

    @property
    def suppressed(self) -> bool:
        return self.count is None


def share_cell(period: str, assessed: int, count: int) -> PeriodShare:
    """The one place the suppression threshold is applied."""
    if assessed < MIN_CELL:
        return PeriodShare(period, assessed, None, None)
    return PeriodShare(period, assessed, count, count / assessed)


@dataclass(frozen=True)
class IssueTrend:
    question_id: str
    periods: tuple[PeriodShare, ...]
    before_public_reporting: PeriodShare | None
    after_public_reporting: PeriodShare | None


@dataclass(frozen=True)
class CountryReport:
    country: str
    as_of: date | None
    public_reporting_since: date | None
    green: tuple[PeriodShare, ...]
    green_before_public_reporting: PeriodShare | None
    green_after_public_reporting: PeriodShare | None
    issues: tuple[IssueTrend, ...]

    def cells(self) -> list[tuple[str, PeriodShare]]:
        """Every cell with its series ("green" or the issue's code), in report order."""
        out: list[tuple[str, PeriodShare]] = []
        for series, periods, before, after in [
            ("green", self.green, self.green_before_public_reporting, self.green_after_public_reporting),
            *((i.question_id, i.periods, i.before_public_reporting, i.after_public_reporting) for i in self.issues),
        ]:
            out += [(series, cell) for cell in (*periods, before, after) if cell is not None]
        return out


def side_labels(since: date | None) -> dict[str, str]:
    """The before / after periods, as ISO 8601 intervals with open ends."""
    if since is None:
        return {}
    return {BEFORE: f"../{(since - timedelta(days=1)).isoformat()}", AFTER: f"{since.isoformat()}/.."}


def build_country_report(
    programme: CountryProgramme,
    as_of: date | None,
    years: Mapping[int, PeriodTally],
    sides: Mapping[str, PeriodTally],
) -> CountryReport:
    """The report from the tallies of the record (years: the window's, by calendar year; sides:
    BEFORE/AFTER over the whole record)."""
    year_periods = [(str(y), years.get(y, PeriodTally())) for y in range(min(years), max(years) + 1)] if years else []
    labels = side_labels(programme.public_reporting_since)
    side = {key: (label, sides.get(key, PeriodTally())) for key, label in labels.items()}

    def green(label: str, tally: PeriodTally) -> PeriodShare:
        return share_cell(label, tally.factories, tally.factories - tally.non_compliant_factories)

    def issue(question_id: str, label: str, tally: PeriodTally) -> PeriodShare:
        return share_cell(label, tally.answered.get(question_id, 0), tally.non_compliant.get(question_id, 0))

    return CountryReport(
        country=programme.code,
        as_of=as_of,
        public_reporting_since=programme.public_reporting_since,
        green=tuple(green(label, tally) for label, tally in year_periods),
        green_before_public_reporting=green(*side[BEFORE]) if BEFORE in side else None,
        green_after_public_reporting=green(*side[AFTER]) if AFTER in side else None,
        issues=tuple(
            IssueTrend(
                question_id=q,
                periods=tuple(issue(q, label, tally) for label, tally in year_periods),
                before_public_reporting=issue(q, *side[BEFORE]) if BEFORE in side else None,
                after_public_reporting=issue(q, *side[AFTER]) if AFTER in side else None,
            )
            for q in programme.public_questions
        ),
    )
