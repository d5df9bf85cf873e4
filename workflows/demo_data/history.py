"""Factory histories: profiles, yearly cycles, assessment dates, statuses and exit dates."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any, NamedTuple


# What kind of history a factory gets; the shares make about 9-10% of factories end with a single
# published assessment (not public yet) and about 3% of each kind of exit.
PROFILES = (("active", 0.915), ("draft_only", 0.015), ("exit_running", 0.035), ("exit_ended", 0.035))
ACTIVE_CYCLE_COUNTS = ((1, 0.08), (2, 0.27), (3, 0.30), (4, 0.35))
LATEST_NOT_PUBLISHED = 0.12  # an active factory's newest assessment is still a draft or finalized
SECOND_ASSESSMENT = 0.07  # a cycle sometimes holds a follow-up assessment
MODALITIES = (("ONSITE", 0.75), ("VIRTUAL", 0.15), ("HYBRID", 0.10))

LATEST_WITHIN_DAYS = 420  # latest published assessments fall within ~14 months before as_of
PUBLICATION_LAG_DAYS = (21, 56)  # published 3 to 8 weeks after the assessment


def _weighted(rng: random.Random, table: Sequence[tuple[Any, float]]) -> Any:
    values = [v for v, _ in table]
    weights = [w for _, w in table]
    return rng.choices(values, weights)[0]


def _add_years(first_of_month: date, years: int) -> date:
    # Cycles start on the first of a month, so adding years never meets 29 February.
    return first_of_month.replace(year=first_of_month.year + years)


def _month_starts(lo: date, hi: date) -> list[date]:
    months, day = [], date(lo.year, lo.month, 1)
    if day < lo:
        day = _add_months(day, 1)
    while day <= hi:
        months.append(day)
        day = _add_months(day, 1)
    return months


def _add_months(first_of_month: date, months: int) -> date:
    index = first_of_month.year * 12 + first_of_month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _pick_day(rng: random.Random, lo: date, hi: date) -> date:
    return lo + timedelta(days=rng.randint(0, (hi - lo).days))


def _latest_cycle(rng: random.Random, as_of: date, profile: str, published: bool) -> tuple[date, date]:
    """The start of the factory's newest cycle and the date of its newest assessment.

    The newest assessment happens 1 to 6.5 months into its cycle. Published ones need room for
    their publication date before as_of; an exit whose cycle has ended needs a cycle that ended
    before as_of; an exit whose cycle still runs needs one that has not ended yet.
    """
    day = timedelta(days=1)
    if not published:
        starts, latest = (as_of - 280 * day, as_of - 60 * day), (as_of - 75 * day, as_of - 3 * day)
    elif profile == "exit_ended":
        starts, latest = (as_of - 560 * day, as_of - 380 * day), (as_of - 540 * day, as_of - 200 * day)
    elif profile == "exit_running":
        starts, latest = (as_of - 330 * day, as_of - 90 * day), (as_of - 300 * day, as_of - 60 * day)
    else:
        starts, latest = (as_of - 600 * day, as_of - 90 * day), (as_of - LATEST_WITHIN_DAYS * day, as_of - 60 * day)
    months = _month_starts(*starts)
    while True:
        start = rng.choice(months)
        lo = max(start + 30 * day, latest[0])
        hi = min(start + 200 * day, latest[1])
        if lo <= hi:
            return start, _pick_day(rng, lo, hi)


def _cycle_dates(rng: random.Random, start: date, end: date, count: int, last: date | None) -> list[date]:
    """Dates of `count` (1 or 2) assessments in a cycle; `last` fixes the newest one if given."""
    day = timedelta(days=1)
    if last is None:
        last = _pick_day(rng, start + 30 * day, start + 200 * day)
        if count == 2:
            first = last
            last = min(end, first + rng.randint(90, 150) * day)
            return [first, last]
        return [last]
    if count == 2:
        earlier = last - rng.randint(90, 150) * day
        if earlier >= start:
            return [earlier, last]
    return [last]


class Plan(NamedTuple):
    """One assessment to generate: where it sits in the factory's history."""

    cycle: int
    date: date
    status: str
    published_on: date | None


def _history(rng: random.Random, as_of: date, profile: str) -> tuple[list[tuple[int, date, date]], list[Plan]]:
    """Cycles (number, start, end) and assessment plans, oldest first."""
    if profile == "draft_only":
        cycle_count, newest_published = 1, False
    elif profile == "active":
        cycle_count = _weighted(rng, ACTIVE_CYCLE_COUNTS)
        newest_published = cycle_count == 1 or rng.random() >= LATEST_NOT_PUBLISHED
    else:
        cycle_count, newest_published = rng.randint(2, 4), True

    latest_start, latest_date = _latest_cycle(rng, as_of, profile, newest_published)
    cycles = []
    for number in range(1, cycle_count + 1):
        start = _add_years(latest_start, number - cycle_count)
        cycles.append((number, start, _add_years(start, 1) - timedelta(days=1)))

    plans = []
    for number, start, end in cycles:
        newest = number == cycle_count
        # A single-cycle factory keeps a single assessment: it is the "not public yet" case.
        count = 2 if cycle_count > 1 and rng.random() < SECOND_ASSESSMENT else 1
        for day in _cycle_dates(rng, start, end, count, latest_date if newest else None):
            is_newest = newest and day == latest_date
            if is_newest and not newest_published:
                plans.append(Plan(number, day, rng.choice(("DRAFT", "FINALIZED")), None))
            else:
                lag = rng.randint(*PUBLICATION_LAG_DAYS)
                plans.append(Plan(number, day, "PUBLISHED", min(day + timedelta(days=lag), as_of)))
    return cycles, plans


def _exit_date(rng: random.Random, as_of: date, profile: str, cycles, plans: list[Plan]) -> date | None:
    """When an exiting factory left: after its newest publication, never after as_of.

    Some of the factories whose cycle has ended left after that cycle's end, so no cycle contains
    the exit date and the rule falls back to the cycle of the latest assessment.
    """
    if profile not in ("exit_running", "exit_ended"):
        return None
    day = timedelta(days=1)
    after = plans[-1].published_on + day
    cycle_end = cycles[-1][2]
    if profile == "exit_ended" and rng.random() < 0.3:
        return _pick_day(rng, cycle_end + day, as_of - day)
    return _pick_day(rng, after, min(cycle_end, as_of - day))
