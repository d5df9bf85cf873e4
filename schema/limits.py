"""A node budget: a query whose worst case is too large is refused before it runs.

In the manner of GitHub's GraphQL API (500,000 nodes), sized for us. The worst case of an
operation is the number of list items its response could hold, counted on the document alone
(after validation, with fragments and variables resolved, before any resolver runs):

- a connection (a field with a `first` argument) holds `first` items in each of its list fields
  (`edges`, `nodes`); `first` comes from a literal, a variable or the variable's default, is 20
  when absent or null, and counts as at most 100 (the connections refuse more themselves);
- a plain list holds at most `LIST_SIZES["Type.field"]` items, `UNKNOWN_LIST` when the table
  does not know it; introspection lists are bounded by the schema itself (its number of types,
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

Over the budget, the operation does not run: the result is one error with
`extensions = {"code": "QUERY_TOO_COMPLEX", "nodes": <count>, "maxNodes": <budget>}`.
The extension sets the execution context's `result` in `on_execute` (every extension's
`on_execute` begins before execution does), and strawberry returns that result instead of
executing: no resolver runs. The error's original error is a `PortalError`, so
`schema.errors.with_codes` keeps its code and details, wherever `NodeBudget` is in the list.
Without `data` and without a path, it is a request error for `schema.http` (400 with
`application/graphql-response+json`, 200 with `application/json`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLError,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_abstract_type,
)
from graphql.type.introspection import SchemaMetaFieldDef, TypeMetaFieldDef
from graphql.utilities import get_operation_ast, value_from_ast_untyped
from strawberry.extensions import SchemaExtension

from ..domain.errors import QUERY_TOO_COMPLEX, PortalError
from ..resolvers.factories import MAX_PAGE

log = logging.getLogger("transparency_portal.limits")

MAX_NODES = 50_000
# What a connection returns when `first` is absent or null, and the most it returns.
DEFAULT_FIRST = 20
MAX_FIRST = MAX_PAGE
# A list the table below does not know.
UNKNOWN_LIST = 100

# The most items of each plain list we know a bound for, keyed "Type.field".
LIST_SIZES: dict[str, int] = {
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
}


class QueryTooComplex(PortalError):
    code = QUERY_TOO_COMPLEX


def count_nodes(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None = None,
    variables: Mapping[str, Any] | None = None,
    list_sizes: Mapping[str, int] | None = None,
) -> int:
    """The worst-case number of list items the operation's response could hold.

    `document` must have passed validation (unknown fields and fragments count nothing)."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return 0
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    sizes = {**_introspection_sizes(schema), **LIST_SIZES, **(list_sizes or {})}
    variables = variables if isinstance(variables, Mapping) else {}
    return _Counter(schema, document, operation, variables, sizes).selections(operation.selection_set, root, None)


class NodeBudget(SchemaExtension):
    """Refuses an operation whose worst case exceeds `max_nodes` (pass it as a factory:
    `lambda: NodeBudget(max_nodes=...)`). `list_sizes` adds to or overrides `LIST_SIZES`."""

    def __init__(self, max_nodes: int = MAX_NODES, list_sizes: Mapping[str, int] | None = None) -> None:
        super().__init__()
        self.max_nodes = max_nodes
        self.list_sizes = dict(list_sizes or {})

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        # The server's configured budget travels on the request context (the schema is global).
        max_nodes = getattr(context.context, "max_query_nodes", None) or self.max_nodes
        # Execution begins only for documents that parsed and validated.
        if context.result is None and context.graphql_document is not None:
            try:
                nodes = count_nodes(
                    context.schema._schema, context.graphql_document, context.operation_name, context.variables,
                    self.list_sizes,
                )
            except Exception:  # a bug here must not reach the client; depth and token limits still hold
                log.exception("the node budget could not count this operation; it runs uncounted")
                nodes = 0
            if nodes > max_nodes:
                context.result = ExecutionResult(data=None, errors=[too_complex(nodes, max_nodes)])
        yield


def too_complex(nodes: int, max_nodes: int) -> GraphQLError:
    details = {"nodes": nodes, "maxNodes": max_nodes}
    refused = QueryTooComplex(
        f"This query could return up to {nodes:,} nodes, {nodes - max_nodes:,} more than the limit of "
        f"{max_nodes:,}. Ask for smaller pages (first) or fewer nested lists.",
        **details,
    )
    return GraphQLError(refused.message, original_error=refused, extensions={"code": refused.code, **details})


class _Counter:
    def __init__(
        self, schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode,
        variables: Mapping[str, Any], sizes: Mapping[str, int],
    ) -> None:
        self.schema = schema
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        self.variables = variables
        self.defaults = {d.variable.name.value: d.default_value for d in operation.variable_definitions or ()}
        self.sizes = sizes
        # A fragment's count depends only on the page it is spread in: count each once.
        self.fragment_counts: dict[tuple[str, int | None], int] = {}
        self.spreading: set[str] = set()

    def selections(self, selection_set: SelectionSetNode | None, parent: Any, page: int | None) -> int:
        """Nodes under one object of type `parent`; `page`: the `first` of the connection it is."""
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent, page)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                on = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selections(selection.selection_set, on or parent, page)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.spread(selection.name.value, page)
        return total

    def spread(self, name: str, page: int | None) -> int:
        key = (name, page)
        if key not in self.fragment_counts:
            fragment = self.fragments.get(name)
            if fragment is None or name in self.spreading:  # validation refuses both
                return 0
            self.spreading.add(name)
            on = self.schema.get_type(fragment.type_condition.name.value)
            self.fragment_counts[key] = self.selections(fragment.selection_set, on, page) if on else 0
            self.spreading.discard(name)
        return self.fragment_counts[key]

    def field(self, node: FieldNode, parent: Any, page: int | None) -> int:
        definition = self.definition(parent, node.name.value)
        if definition is None:
            return 0
        output = definition.type
        if isinstance(output, GraphQLNonNull):
            output = output.of_type
        first = self.first(node, definition) if "first" in definition.args else None
        if not isinstance(output, GraphQLList):
            # A connection: its lists hold `first` items each.
            return self.selections(node.selection_set, get_named_type(output), first)
        below = self.selections(node.selection_set, get_named_type(output), None)
        size = self.sizes.get(f"{parent.name}.{node.name.value}")
        if size is None:
            size = next((s for s in (first, page) if s is not None), UNKNOWN_LIST)
        return size * (1 + below)

    def definition(self, parent: Any, name: str) -> GraphQLField | None:
        if name == "__schema" and parent is self.schema.query_type:
            return SchemaMetaFieldDef
        if name == "__type" and parent is self.schema.query_type:
            return TypeMetaFieldDef
        fields = getattr(parent, "fields", None)
        return fields.get(name) if fields else None  # None too for __typename: a scalar

    def first(self, node: FieldNode, definition: GraphQLField) -> int:
        value: Any = definition.args["first"].default_value
        for argument in node.arguments or ():
            if argument.name.value != "first":
                continue
            literal = argument.value
            if isinstance(literal, VariableNode):
                name = literal.name.value
                if name in self.variables:
                    value = self.variables[name]
                else:
                    default = self.defaults.get(name)
                    value = value_from_ast_untyped(default) if default is not None else None
            elif isinstance(literal, IntValueNode):
                value = int(literal.value)
            else:
                value = None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            return DEFAULT_FIRST
        return min(max(value, 0), MAX_FIRST)


@lru_cache(maxsize=8)
def _introspection_sizes(schema: GraphQLSchema) -> dict[str, int]:
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
