"""The public list's filter and the SQL conditions it stands for, shared by the list's pages
and its counts; statements that must scan every public factory (a name search) are marked."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, Select, select, tuple_

from ..domain.text import fold
from ..domain.vocabulary import ComplianceStatus
from .public_factories import visible
from .tables.public import PublicFactoryRow, PublicNonComplianceRow


@dataclass(frozen=True)
class FactoryFilter:
    """The public list's filter; each tuple matches any of its values, empty means no filter."""

    countries: tuple[str, ...] = ()
    factory_types: tuple[str, ...] = ()
    compliance: tuple[ComplianceStatus, ...] = ()
    non_compliant_on: tuple[str, ...] = ()
    modalities: tuple[str, ...] = ()
    search: str | None = None
    assessed_since: date | None = None
    refusals_highlighted: bool | None = None
    # Non-compliant on this issue, whatever else the filter says (the per-issue view).
    issue: str | None = None


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _non_compliant_on(question_ids: Sequence[str]) -> ColumnElement[bool]:
    nc = PublicNonComplianceRow
    return tuple_(PublicFactoryRow.factory_pk, PublicFactoryRow.valid_from).in_(
        select(nc.factory_pk, nc.valid_from).where(nc.question_id.in_(question_ids))
    )


def filter_conditions(f: FactoryFilter, today: date) -> list[ColumnElement[bool]]:
    row = PublicFactoryRow
    conditions = [visible(today)]
    if f.issue is not None:
        conditions.append(_non_compliant_on([f.issue]))
    if f.countries:
        conditions.append(row.country_code.in_(f.countries))
    if f.factory_types:
        conditions.append(row.factory_type.in_(f.factory_types))
    if set(f.compliance) == {ComplianceStatus.GREEN}:
        conditions.append(row.non_compliance_count == 0)
    elif set(f.compliance) == {ComplianceStatus.NON_COMPLIANT}:
        conditions.append(row.non_compliance_count > 0)
    if f.non_compliant_on:
        conditions.append(_non_compliant_on(f.non_compliant_on))
    if f.modalities:
        conditions.append(row.modality.in_(f.modalities))
    if _searches(f):
        conditions.append(row.name_key.like(f"%{_escape_like(fold(f.search))}%", escape="\\"))
    if f.assessed_since is not None:
        conditions.append(row.latest_date >= f.assessed_since)
    if f.refusals_highlighted is not None:
        conditions.append(row.refusals_highlighted.is_(f.refusals_highlighted))
    return conditions


# An execution option on statements that scan every public factory: a name search (LIKE
# '%...%' uses no index). `storage.hot_reads` runs those off the event loop.
SCANS = "portal_scans"


def _searches(f: FactoryFilter) -> bool:
    return bool(f.search and fold(f.search))


def scanning(statement: Select, f: FactoryFilter) -> Select:
    return statement.execution_options(**{SCANS: True}) if _searches(f) else statement
