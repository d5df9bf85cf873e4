"""The public list's filter from plain values: one translation for the GraphQL input and the
CSV export's query parameters, so both always select the same factories."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import Enum
from typing import TypeVar

from ..domain import vocabulary
from ..domain.errors import BadUserInput
from ..storage.public_filter import FactoryFilter
from .ids import node_key
from .issues import normalise_country_code

E = TypeVar("E", bound=Enum)


def factory_filter(
    *,
    country: Iterable[str] = (),
    factory_type: Iterable[str] = (),
    compliance: Iterable[str] = (),
    non_compliant_on: Iterable[str] = (),
    modality: Iterable[str] = (),
    search: str | None = None,
    assessed_since: date | None = None,
    refusals_highlighted: bool | None = None,
) -> FactoryFilter:
    """Arguments are named like the GraphQL fields; errors name them in camelCase, as clients do."""
    return FactoryFilter(
        countries=tuple(normalise_country_code(c) for c in country),
        factory_types=tuple(_member(vocabulary.FactoryType, t, "factoryType").value for t in factory_type),
        compliance=tuple(_member(vocabulary.ComplianceStatus, c, "compliance") for c in compliance),
        non_compliant_on=tuple(node_key(i, "ComplianceIssue", "nonCompliantOn") for i in non_compliant_on),
        modalities=tuple(_member(vocabulary.Modality, m, "modality").value for m in modality),
        search=_search(search),
        assessed_since=assessed_since,
        refusals_highlighted=refusals_highlighted,
    )


# Factory names are at most a few hundred characters; a longer search can match nothing, and
# SQLite refuses LIKE patterns past 50,000 bytes ("pattern too complex").
MAX_SEARCH = 200


def _search(search: str | None) -> str | None:
    if search is None:
        return None
    if len(search) > MAX_SEARCH:
        raise BadUserInput(f"`search` may have at most {MAX_SEARCH} characters.", argument="search", max=MAX_SEARCH)
    try:
        search.encode("utf-8")
    except UnicodeEncodeError as error:  # a lone surrogate (JSON "\ud800") is no text a name can hold
        raise BadUserInput("`search` is not valid Unicode text.", argument="search") from error
    return search


def _member(enum: type[E], value: str, argument: str) -> E:
    try:
        return enum(value)
    except ValueError as error:
        allowed = ", ".join(m.value for m in enum)
        raise BadUserInput(f"{value!r} is not one of {allowed}.", argument=argument) from error
