"""The CSV exports' content: query parameters checked, rows read a keyset page at a time.

Parameters are named like the GraphQL fields, and the factory list goes through the same filter
translation (`filters.factory_filter`) and the same public reads as `Query.factories`, so an export
holds exactly the factories the API lists. Rows are plain values; `schema.exports` writes them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from datetime import date
from typing import Any

from ..domain.errors import BadUserInput
from ..domain.publication import PublicFactory
from ..domain.reports import CountryReport
from ..storage import reports as report_reads
from ..storage.db import Sessions
from ..storage.public_filter import FactoryFilter
from ..storage.public_pages import FactoryOrder, page_of_factories
from .filters import factory_filter
from .ids import to_global
from .loaders import Loaders
from .reports import country_report

# Rows per database read: enough to amortize the query, few enough to keep memory flat.
PAGE = 500

FACTORY_COLUMNS = [
    "data_as_of", "factory_id", "name", "factory_type", "country", "compliance_status",
    "non_compliance_count", "latest_assessment_id", "latest_assessment_date", "modality", "cycle",
    "comprehensive", "refusals_unexcused", "refusals_highlighted", "left_programme_on",
    "non_compliant_issues",
]  # fmt: skip
REPORT_COLUMNS = ["data_as_of", "country", "series", "period", "assessed", "count", "share", "suppressed"]

# Parameter name -> whether it may be repeated (a list in GraphQL).
FACTORY_PARAMETERS = {
    "country": True, "factoryType": True, "compliance": True, "nonCompliantOn": True, "modality": True,
    "search": False, "assessedSince": False, "refusalsHighlighted": False,
}  # fmt: skip
REPORT_PARAMETERS = {"country": False, "from": False, "to": False}


def parameters(items: Iterable[tuple[str, str]], allowed: dict[str, bool]) -> dict[str, list[str]]:
    """Query parameters by name. An unknown one is refused rather than ignored: a misspelt
    filter would otherwise silently export everything."""
    found: dict[str, list[str]] = {}
    for name, value in items:
        if name not in allowed:
            raise BadUserInput(f"Unknown parameter {name!r}; expected one of {', '.join(allowed)}.", argument=name)
        found.setdefault(name, []).append(value)
        if len(found[name]) > 1 and not allowed[name]:
            raise BadUserInput(f"`{name}` may be given only once.", argument=name)
    return found


def _single(found: dict[str, list[str]], name: str) -> str | None:
    return found[name][0] if name in found else None


def parse_date(value: str | None, argument: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise BadUserInput(f"{value!r} is not a date (YYYY-MM-DD).", argument=argument) from error


def parse_bool(value: str | None, argument: str) -> bool | None:
    if value is None:
        return None
    if value.lower() not in ("true", "false"):
        raise BadUserInput(f"{value!r} is not true or false.", argument=argument)
    return value.lower() == "true"


def factories_filter(items: Iterable[tuple[str, str]]) -> FactoryFilter:
    found = parameters(items, FACTORY_PARAMETERS)
    return factory_filter(
        country=found.get("country", ()),
        factory_type=found.get("factoryType", ()),
        compliance=found.get("compliance", ()),
        non_compliant_on=found.get("nonCompliantOn", ()),
        modality=found.get("modality", ()),
        search=_single(found, "search"),
        assessed_since=parse_date(_single(found, "assessedSince"), "assessedSince"),
        refusals_highlighted=parse_bool(_single(found, "refusalsHighlighted"), "refusalsHighlighted"),
    )


async def data_as_of(sessions: Sessions, today: date) -> date | None:
    """The export's as-of day as the public may know it on `today` (the caller's clock; the UTC
    day when not given)."""
    async with sessions() as session:
        return await report_reads.data_as_of(session, today)


async def factory_pages(
    sessions: Sessions, f: FactoryFilter, today: date, as_of: date | None
) -> AsyncIterator[list[list[Any]]]:
    """The export's rows, a page at a time, in the API's default order (by name).

    Each page is read in its own short session, so a slow download holds no connection; keyset
    positions mean no factory is skipped or repeated when data changes between pages.
    """
    order = FactoryOrder()
    after = None
    while True:
        async with sessions() as session:
            page = await page_of_factories(session, f, order, after, PAGE, today)
        if not page:
            return
        yield [factory_row(item.factory, as_of) for item in page]
        if len(page) < PAGE:
            return
        after = page[-1].position


def factory_row(factory: PublicFactory, as_of: date | None) -> list[Any]:
    latest = factory.latest
    return [
        as_of,
        to_global("Factory", factory.source_id),
        factory.name,
        factory.factory_type,
        factory.country,
        factory.compliance_status.value,
        factory.non_compliance_count,
        to_global("Assessment", latest.source_id),
        latest.date,
        latest.modality.value,
        latest.cycle,
        latest.comprehensive,
        factory.unexcused_refusals,
        factory.refusals_highlighted,
        factory.left_programme_on,
        ";".join(factory.non_compliant_question_ids),
    ]


async def report_and_rows(
    sessions: Sessions, loaders: Loaders, items: Iterable[tuple[str, str]]
) -> tuple[CountryReport, list[list[Any]]]:
    found = parameters(items, REPORT_PARAMETERS)
    country = _single(found, "country")
    if country is None:
        raise BadUserInput("`country` is required.", argument="country")
    report = await country_report(
        sessions, loaders, country, parse_date(_single(found, "from"), "from"), parse_date(_single(found, "to"), "to")
    )
    return report, report_rows(report)


def report_rows(report: CountryReport) -> list[list[Any]]:
    # A report is a few hundred cells at most: no need to stream it.
    return [
        [report.as_of, report.country, series, cell.period, cell.assessed, cell.count, cell.share, cell.suppressed]
        for series, cell in report.cells()
    ]
