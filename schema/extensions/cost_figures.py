"""The figures `cost.measure` counts with (its docstring gives the rules): the page sizes of a
connection, the bound of every plain list we know one for (introspection's from the schema
itself), and the requests of the fields that read the database on their own."""

from __future__ import annotations

from functools import lru_cache

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    is_abstract_type,
)

from ...resolvers.paging import MAX_PAGE
from ...resolvers.ids import MAX_NODE_IDS

# What a connection returns when `first` is absent or null, and the most it returns.
DEFAULT_FIRST = 20
MAX_FIRST = MAX_PAGE
# A list the table below does not know.
UNKNOWN_LIST = 100

# The most items of each plain list we know a bound for, keyed "Type.field", or
# "Type.field(argument)" for the bound when that argument is given (not null).
LIST_SIZES: dict[str, int] = {
    # Every question some country reports publicly: at most the tool's questions (200+; the
    # demo's 250, of which its 7 programmes report 51). With `country`, that country's.
    "Query.issues": 250,
    "Query.issues(country)": 40,
    # A country reports at most 40 of the tool's questions publicly (Cambodia: 21).
    "Country.issues": 40,
    # One finding per publicly reported issue of the factory's country.
    "Assessment.findings": 40,
    "Assessment.nonCompliances": 40,
    # Approved responses of one assessment; per finding, at most as many.
    "Assessment.responses": 50,
    "Finding.responses": 50,
    # PORTAL_MAX_ATTACHMENTS (5 unless configured otherwise).
    "Response.attachments": 5,
    # A country report: the country's public issues, and one period per calendar year from its
    # first assessment to its last (programmes began in 2001; 50 leaves room for odd dates).
    "CountryReport.issues": 40,
    "CountryReport.green": 50,
    "IssueTrend.periods": 50,
    # `nodes(ids:)` refuses more ids than this; with the ids known, one item per id (below).
    "Query.nodes": MAX_NODE_IDS,
}
# Lists that hold one item per value of one of their arguments ("Type.field": argument), at
# most their bound above. `nodes` costs no request of its own: its ids are read per type by the
# DataLoaders, one read for all of them (as `node`), so only what is selected on them counts.
LIST_ARGUMENTS: dict[str, str] = {"Query.nodes": "ids"}

# Requests a name search multiplies the reads of its connection by: it scans every public
# factory (a LIKE '%...%' uses no index), where the other filters read indexes.
SEARCH_COST = 10
# A country report aggregates the country's whole history: about 50 page reads' worth of time.
REPORT_COST = 50
# The requests of fields that read the database on their own, each time they are resolved
# ("Type.field"); connections are counted by their `first`, every other field costs 0.
FIELD_COSTS: dict[str, int] = {
    "FactoryConnection.totalCount": 1,
    "ModerationQueue.totalCount": 1,
    "ModerationLogConnection.totalCount": 1,
    "ViewerResponseConnection.totalCount": 1,
    "FactoryFacets.country": 1,
    "FactoryFacets.factoryType": 1,
    "FactoryFacets.compliance": 1,
    "FactoryFacets.modality": 1,
    "FactoryFacets.issue": 1,
    "ComplianceIssue.countries": 1,
    "Query.countryReport": REPORT_COST,
}
# The fields above that read with their connection's filter, and so scan with its search.
FILTERED = frozenset(
    {"FactoryConnection.totalCount", *(k for k in FIELD_COSTS if k.startswith("FactoryFacets."))}
)


@lru_cache(maxsize=8)
def introspection_sizes(schema: GraphQLSchema) -> dict[str, int]:
    """Introspection lists are bounded by the schema: the most of each that any type has."""
    types = list(schema.type_map.values())
    composite = [t for t in types if isinstance(t, (GraphQLObjectType, GraphQLInterfaceType))]
    fields = [f for t in composite for f in t.fields.values()]
    return {
        "__Schema.types": len(types),
        "__Schema.directives": len(schema.directives),
        "__Type.fields": max((len(t.fields) for t in composite), default=0),
        "__Type.interfaces": max((len(t.interfaces) for t in composite), default=0),
        "__Type.possibleTypes": max((len(schema.get_possible_types(t)) for t in types if is_abstract_type(t)), default=0),
        "__Type.enumValues": max((len(t.values) for t in types if isinstance(t, GraphQLEnumType)), default=0),
        "__Type.inputFields": max((len(t.fields) for t in types if isinstance(t, GraphQLInputObjectType)), default=0),
        "__Field.args": max((len(f.args) for f in fields), default=0),
        "__Directive.args": max((len(d.args) for d in schema.directives), default=0),
        "__Directive.locations": max((len(d.locations) for d in schema.directives), default=0),
    }
