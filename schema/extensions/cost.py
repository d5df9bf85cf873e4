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

The figures (`LIST_SIZES`, `FIELD_COSTS`, ...) are in `cost_figures.py`; the budgets they are
held to are `limits.py`'s; the compiled executor
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

from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
)
from graphql.pyutils import Undefined
from graphql.type.introspection import SchemaMetaFieldDef, TypeMetaFieldDef
from graphql.utilities import get_operation_ast, value_from_ast_untyped

from .cost_figures import (
    DEFAULT_FIRST,
    FIELD_COSTS,
    FILTERED,
    LIST_ARGUMENTS,
    LIST_SIZES,
    MAX_FIRST,
    SEARCH_COST,
    UNKNOWN_LIST,
    introspection_sizes,
)


class Measure(NamedTuple):
    """An operation's worst case: the list items its response could hold, and its work in requests."""

    nodes: int
    cost: int

    def __add__(self, other: Measure) -> Measure:  # type: ignore[override]
        return Measure(self.nodes + other.nodes, self.cost + other.cost)

    def times(self, items: int) -> Measure:
        return Measure(self.nodes * items, self.cost * items)


NOTHING = Measure(0, 0)

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


class _Scope(NamedTuple):
    """Where a selection is counted: in a connection of `page` items whose reads cost `scan`
    times their requests, or (page None, scan 1) anywhere else."""

    page: int | None = None
    scan: int = 1


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
    counter = _Counter(schema, document, operation, variables, sizes)
    counted = counter.selections(operation.selection_set, root, _Scope())
    if operation.operation is OperationType.QUERY and counter.only_free_roots(operation.selection_set):
        return Measure(counted.nodes, 0)
    return Measure(counted.nodes, max(counted.cost, 1))


class _Counter:
    def __init__(
        self, schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode,
        variables: Mapping[str, Any], sizes: Mapping[str, int],
    ) -> None:
        self.schema = schema
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        defaults = {
            d.variable.name.value: value_from_ast_untyped(d.default_value)
            for d in operation.variable_definitions or ()
            if d.default_value is not None
        }
        # The values the operation runs with: those sent, else the variables' defaults.
        self.variables = {**defaults, **variables}
        self.sizes = sizes
        # A fragment's count depends only on the scope it is spread in: count each once.
        self.fragment_counts: dict[tuple[str, _Scope], Measure] = {}
        self.spreading: set[str] = set()

    def selections(self, selection_set: SelectionSetNode | None, parent: Any, scope: _Scope) -> Measure:
        """What one object of type `parent` costs, in `scope`."""
        if selection_set is None:
            return NOTHING
        total = NOTHING
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent, scope)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                on = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selections(selection.selection_set, on or parent, scope)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.spread(selection.name.value, scope)
        return total

    def only_free_roots(self, selection_set: SelectionSetNode) -> bool:
        """Whether the root selection asks `rateLimit` and nothing but `FREE_ROOT_FIELDS`."""
        names = set(self.root_names(selection_set, set()))
        return "rateLimit" in names and names <= FREE_ROOT_FIELDS

    def root_names(self, selection_set: SelectionSetNode, seen: set[str]) -> Iterator[str]:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                yield selection.name.value
            elif isinstance(selection, InlineFragmentNode):
                yield from self.root_names(selection.selection_set, seen)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
                seen.add(selection.name.value)
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    yield from self.root_names(fragment.selection_set, seen)

    def spread(self, name: str, scope: _Scope) -> Measure:
        key = (name, scope)
        if key not in self.fragment_counts:
            fragment = self.fragments.get(name)
            if fragment is None or name in self.spreading:  # validation refuses both
                return NOTHING
            self.spreading.add(name)
            on = self.schema.get_type(fragment.type_condition.name.value)
            self.fragment_counts[key] = self.selections(fragment.selection_set, on, scope) if on else NOTHING
            self.spreading.discard(name)
        return self.fragment_counts[key]

    def field(self, node: FieldNode, parent: Any, scope: _Scope) -> Measure:
        definition = self.definition(parent, node.name.value)
        if definition is None:
            return NOTHING
        name = f"{parent.name}.{node.name.value}"
        output = definition.type
        if isinstance(output, GraphQLNonNull):
            output = output.of_type
        first = self.first(node, definition) if "first" in definition.args else None
        own = FIELD_COSTS.get(name, 0) * (scope.scan if name in FILTERED else 1)
        if first is not None and not isinstance(output, GraphQLList):
            # A connection: one request per 100 nodes of its page, each a scan with a search;
            # its lists hold `first` items each.
            scan = SEARCH_COST if self.searches(node, definition) else 1
            requests = max(1, -(-first // MAX_FIRST)) * scan
            return Measure(0, own + requests) + self.selections(node.selection_set, get_named_type(output), _Scope(first, scan))
        if not isinstance(output, GraphQLList):
            # An object (or a scalar), once: its lists are not the connection's, its reads are.
            return Measure(0, own) + self.selections(node.selection_set, get_named_type(output), _Scope(None, scope.scan))
        below = self.selections(node.selection_set, get_named_type(output), _Scope())
        size = self.list_size(name, node, definition)
        if size is None:
            size = next((s for s in (first, scope.page) if s is not None), UNKNOWN_LIST)
        return Measure(size, own) + below.times(size)

    def list_size(self, name: str, node: FieldNode, definition: GraphQLField) -> int | None:
        sized_by = LIST_ARGUMENTS.get(name)
        if sized_by is not None:
            values = self.argument(node, definition, sized_by)
            if values is not None and values is not Undefined:
                count = len(values) if isinstance(values, list) else 1  # one value is a list of one
                return min(count, self.sizes.get(name, UNKNOWN_LIST))
        for argument in node.arguments or ():
            bound = self.sizes.get(f"{name}({argument.name.value})")
            if bound is not None and value_from_ast_untyped(argument.value, self.variables) not in (None, Undefined):
                return bound
        return self.sizes.get(name)

    def searches(self, node: FieldNode, definition: GraphQLField) -> bool:
        """Whether the connection's `filter` has a name search (the only filter that scans)."""
        if "filter" not in definition.args:
            return False
        value = self.argument(node, definition, "filter")
        return isinstance(value, Mapping) and bool(value.get("search"))

    def argument(self, node: FieldNode, definition: GraphQLField, name: str) -> Any:
        """An argument's value as the field would get it (its default when absent)."""
        for argument in node.arguments or ():
            if argument.name.value == name:
                return value_from_ast_untyped(argument.value, self.variables)
        return definition.args[name].default_value

    def definition(self, parent: Any, name: str) -> GraphQLField | None:
        if name == "__schema" and parent is self.schema.query_type:
            return SchemaMetaFieldDef
        if name == "__type" and parent is self.schema.query_type:
            return TypeMetaFieldDef
        fields = getattr(parent, "fields", None)
        return fields.get(name) if fields else None  # None too for __typename: a scalar

    def first(self, node: FieldNode, definition: GraphQLField) -> int:
        value = self.argument(node, definition, "first")
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            return DEFAULT_FIRST
        return min(max(value, 0), MAX_FIRST)
