"""The worst case of an operation, counted on its document alone: its nodes and its work cost.

The node count is the number of list items its response could hold, counted after validation
(with fragments and variables resolved, before any resolver runs):

- a connection (a field with a `first` argument) holds `first` items in each of its list fields
  (`edges`, `nodes`); `first` comes from a literal, a variable or the variable's default, is 20
  when absent or null, and counts as at most 100 (the connections refuse more themselves);
- a plain list holds at most `LIST_SIZES["Type.field"]` items, `UNKNOWN_LIST` when the table
  does not know it; a list sized by an argument (`LIST_ARGUMENTS`: `nodes(ids:)`) holds one item
  per value of that argument, at most its `LIST_SIZES` bound (100 ids); introspection lists are bounded by the schema itself (its number of types,
  the most fields of any type, ...);
- a list nested in a list counts once per item of its parent: the counts multiply down the tree
  and add up across it. `factories(first: 100)` with `latestAssessment { findings { id } }` is
  100 + 100 x 40 = 4,100 nodes; add `responses { id }` to the findings and it is
  4,100 + 4,000 x 50 = 204,100.

The count is an upper bound: fragments on different types of an interface are all counted, and
`@skip`/`@include` are ignored. Bounds shared by siblings are not modelled either: an assessment
has at most 50 responses in all, yet `findings { responses }` counts 50 for each finding. Clients
that want the responses of many assessments should ask `Assessment.responses` (with
`finding { id }`), which counts 50 per assessment.

The work cost: what a query makes the server do, not how much it returns. The same traversal
counts it (`measure`), in *requests*: one request is one database read of a page of at most 100
nodes, the unit of GitHub's rate-limit cost. Each field costs its own requests once for every
object it is resolved on, so a field under a list costs once per item the list may hold (the
list sizes above), and nested connections multiply:

| what | requests, each time it is resolved |
| --- | --- |
| a connection (`first`) | `ceil(first / 100)`, at least 1 (always 1 today: `first` is at most 100) |
| `totalCount` (`FactoryConnection`, `ModerationQueue`) | 1 |
| each `facets` field (`country`, `factoryType`, `compliance`, `modality`, `issue`) | 1 |
| ... of a factory connection with a `search` filter | the above x `SEARCH_COST` (10): a name search scans every public factory, where the other filters read indexes |
| `countryReport` | `REPORT_COST` (50): it aggregates the country's whole history |
| `ComplianceIssue.countries` | 1: one read per issue |
| anything else | 0: plain fields, and fields that DataLoaders batch into one read per request |

A query costs at least 1. `issues` holds every question some country reports publicly: up to
`LIST_SIZES["Query.issues"]`, or `LIST_SIZES["Query.issues(country)"]` with a country. So
`issues { nonCompliantFactories(first: 1, filter: {search: "x"}) { totalCount } }` costs
250 x (10 + 10) = 5,000 requests, and 30 aliases of it 150,000; `factories(filter: {search: "x"})
{ totalCount facets { issue { count } } }` costs 30; twenty `countryReport`s 1,000.

The figures (`LIST_SIZES`, `FIELD_COSTS`, ...) are in `cost_figures.py`, the traversal in
`cost_counter.py`; the budgets they are held to are `limits.py`'s; the compiled executor
(`schema/fastpath/executor.py`) counts with the same `measure`, per request.

Points: what an operation costs the client, charged to its budget per hour (`schema/http/budget.py`),
shown in `rateLimit { cost }`. The same measure, normalised as GitHub does ("Rate limits and node
limits for the GraphQL API": add up the requests, divide by 100, round to the nearest whole
number, at least 1):

- a query: `round(requests / 100)`, at least 1, halves rounded up. For a query of connections
  only this is GitHub's formula exactly (a connection 1 request per 100 nodes of its page, once
  per object it is resolved on); our counts, facets, searches and reports add their requests
  (`FIELD_COSTS`) before the division, since they are reads like a page. `factories(first: 100)`
  and `factories { totalCount }` cost 1; `issues { nonCompliantFactories { totalCount } }`
  (500 requests) 5; the costliest query the work budget lets run (1,000 requests) 10;
- a query of nothing but `rateLimit` (and `__typename`): 0, so a client may check its budget freely;
- a mutation: `MUTATION_POINTS` (10), whatever it selects: its writes cost more than a read, and
  its selection is bounded by the same work budget as a query's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from graphql import DocumentNode, GraphQLSchema, OperationType
from graphql.utilities import get_operation_ast

from .cost_counter import NOTHING, CostCounter, Measure, Scope
from .cost_figures import LIST_SIZES, introspection_sizes

__all__ = ["FREE_ROOT_FIELDS", "MUTATION_POINTS", "NOTHING", "Measure", "count_nodes", "measure", "points"]

# GitHub's normalisation of requests into points, and the fixed price of a mutation.
REQUESTS_PER_POINT = 100
MUTATION_POINTS = 10
# Root fields that cost nothing: an operation of these alone (with `rateLimit`) is free.
FREE_ROOT_FIELDS = frozenset({"rateLimit", "__typename"})


def points(counted: Measure, operation: OperationType) -> int:
    """The operation's price in points (the module's docstring): what the client's budget is charged."""
    if operation is OperationType.MUTATION:
        return MUTATION_POINTS
    if counted.cost == 0:
        return 0  # `rateLimit` alone
    return max(1, (counted.cost + REQUESTS_PER_POINT // 2) // REQUESTS_PER_POINT)


def count_nodes(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None = None,
    variables: Mapping[str, Any] | None = None,
    list_sizes: Mapping[str, int] | None = None,
) -> int:
    """The worst-case number of list items the operation's response could hold.

    `document` must have passed validation (unknown fields and fragments count nothing)."""
    return measure(schema, document, operation_name, variables, list_sizes).nodes


def measure(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None = None,
    variables: Mapping[str, Any] | None = None,
    list_sizes: Mapping[str, int] | None = None,
) -> Measure:
    """The operation's worst-case nodes and its work cost in requests (at least 1, but 0 for a
    query of `rateLimit` alone), in one pass.

    `document` must have passed validation (unknown fields and fragments count nothing)."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return Measure(0, 1)
    root = schema.get_root_type(operation.operation)
    if root is None:
        return Measure(0, 1)
    sizes = {**introspection_sizes(schema), **LIST_SIZES, **(list_sizes or {})}
    variables = variables if isinstance(variables, Mapping) else {}
    counter = CostCounter(schema, document, operation, variables, sizes)
    counted = counter.selections(operation.selection_set, root, Scope())
    if operation.operation is OperationType.QUERY and _only_free_roots(counter.root_names(operation.selection_set, set())):
        return Measure(counted.nodes, 0)
    return Measure(counted.nodes, max(counted.cost, 1))


def _only_free_roots(root_names: Iterable[str]) -> bool:
    """Whether the root selection asks `rateLimit` and nothing but `FREE_ROOT_FIELDS`."""
    names = set(root_names)
    return "rateLimit" in names and names <= FREE_ROOT_FIELDS
