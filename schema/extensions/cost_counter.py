"""The traversal that counts an operation's worst case (`cost.py` gives its rules and prices):
once over the validated document, fragments counted once per scope they are spread in.
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
    SelectionSetNode,
    get_named_type,
)
from graphql.pyutils import Undefined
from graphql.type.introspection import SchemaMetaFieldDef, TypeMetaFieldDef
from graphql.utilities import value_from_ast_untyped

from .cost_figures import DEFAULT_FIRST, FIELD_COSTS, FILTERED, LIST_ARGUMENTS, MAX_FIRST, SEARCH_COST, UNKNOWN_LIST


class Measure(NamedTuple):
    """An operation's worst case: the list items its response could hold, and its work in requests."""

    nodes: int
    cost: int

    def __add__(self, other: Measure) -> Measure:  # type: ignore[override]
        return Measure(self.nodes + other.nodes, self.cost + other.cost)

    def times(self, items: int) -> Measure:
        return Measure(self.nodes * items, self.cost * items)


NOTHING = Measure(0, 0)


class Scope(NamedTuple):
    """Where a selection is counted: in a connection of `page` items whose reads cost `scan`
    times their requests, or (page None, scan 1) anywhere else."""

    page: int | None = None
    scan: int = 1



class CostCounter:
    """Walks an operation's selections once, counting what each field may hold and cost."""

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
        self.fragment_counts: dict[tuple[str, Scope], Measure] = {}
        self.spreading: set[str] = set()

    def selections(self, selection_set: SelectionSetNode | None, parent: Any, scope: Scope) -> Measure:
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

    def root_names(self, selection_set: SelectionSetNode, seen: set[str]) -> Iterator[str]:
        """The names of the fields a selection asks for, its fragments' included."""
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

    def spread(self, name: str, scope: Scope) -> Measure:
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

    def field(self, node: FieldNode, parent: Any, scope: Scope) -> Measure:
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
            return Measure(0, own + requests) + self.selections(node.selection_set, get_named_type(output), Scope(first, scan))
        if not isinstance(output, GraphQLList):
            # An object (or a scalar), once: its lists are not the connection's, its reads are.
            return Measure(0, own) + self.selections(node.selection_set, get_named_type(output), Scope(None, scope.scan))
        below = self.selections(node.selection_set, get_named_type(output), Scope())
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
