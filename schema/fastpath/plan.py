"""Plans of the compiled executor: the envelope of a public list query, compiled once.

The fast path (`executor.py`) answers the list's envelope itself — keyset page, cursors,
`pageInfo`, `totalCount` and the join of rendered nodes — and leaves every node to strawberry
(`render.py`), so no resolver has a second copy here. What compiles:

- one query operation (named as `operationName` asks, if it does), no directives on it or on
  its variables;
- root fields `factories` (arguments as literals or variables) and `__typename`;
- in the envelope (`FactoryConnection`, `FactoryEdge`, `PageInfo`): fields only (no fragments
  or directives), `pageInfo` compiled as a node is (`node_plan.py`), and no response key twice
  in one selection (graphql-core would merge them);
- in a node: anything strawberry answers (fragments, literal directives and arguments) within
  `KEPT_TYPES` but the catalogue's lists, and no variables, since a rendering is kept per
  selection, language and day only. A node's selection is also compiled over the schema's own
  resolvers (`node_plan.py`), when it can be, which renders as strawberry would, faster.

Anything else raises `Unsupported` and strawberry answers as always. In golden mode
(`PORTAL_COMPILED_CHECK=1`, on in the test suite) every compiled answer is compared with
strawberry's own, byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import strawberry
from graphql import (
    BREAK,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    NameNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    Visitor,
    get_named_type,
    is_leaf_type,
    parse,
    print_ast,
    visit,
)

from .node_plan import NodePlan, Unsupported, compile_selection

# The object types a kept node rendering may hold: what a factory's public projection row and
# the question catalogue determine, so that a rendering stays true while the data version does.
# Responses (moderated on their own) and nested factory lists (other factories) are not.
KEPT_TYPES = frozenset({"Factory", "Country", "Assessment", "Refusals", "Finding", "Correction", "ComplianceIssue"})
# The catalogue's own lists are the same for every factory: repeated in each rendering, and a
# few more reads on every miss. Strawberry answers a list that asks for them.
CATALOGUE_LISTS = frozenset({("Country", "issues"), ("ComplianceIssue", "countries")})
RENDER_FIELD = "render"  # the render schema's root field (render.py)


@dataclass(frozen=True, eq=False)
class NodeSelection:
    """A `Factory` selection as a document of the render schema (`render.py`): its
    fields under the root `render`, with the fragments they spread; and its plan, if it has one."""

    query: str
    plan: NodePlan | None = None


@dataclass(frozen=True, eq=False)
class EdgePlan:
    """An edge's selection as (key, what, selection): `cursor`, `node` (a NodeSelection), `__typename`."""

    selection: tuple[tuple[str, str, NodeSelection | None], ...]


@dataclass(frozen=True)
class ConnectionPlan:
    """One root `factories` field: its node for arguments, and its selection as (key, what, plan)
    with `what` one of edges (an EdgePlan), nodes (a NodeSelection), pageInfo (a NodePlan),
    totalCount, __typename."""

    key: str
    field: FieldNode
    selection: tuple[tuple[str, str, Any], ...]
    # Its arguments as converted, by the variables they were converted from (`arguments.py`).
    converted: dict = field(default_factory=dict, compare=False, hash=False, repr=False)


@dataclass(frozen=True, eq=False)
class Plan:
    document: DocumentNode
    operation: OperationDefinitionNode
    roots: tuple[tuple[str, ConnectionPlan | None], ...]  # None: `__typename`


def compile_plan(schema: strawberry.Schema, arguments: frozenset[str], query: str, operation_name: str | None) -> Plan:
    """The plan of a document; raises Unsupported. `arguments`: the `factories` arguments the
    fast path passes on. Only documents strawberry has answered without errors are ever run by
    plan (`executor.py`), so validity is not checked here."""
    try:
        document = parse(query)
    except GraphQLError as error:
        raise Unsupported("does not parse") from error
    operation = _operation(document, operation_name)
    if operation.operation is not OperationType.QUERY or operation.directives:
        raise Unsupported("not a plain query")
    if any(v.directives for v in operation.variable_definitions or ()):
        raise Unsupported("directives")
    compiler = _Compiler(schema, {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)})
    roots = []
    for node in _fields(operation.selection_set):
        name = node.name.value
        if name == "__typename":
            _no_arguments(node)
            roots.append((_key(node), None))
        elif name == "factories":
            if any(a.name.value not in arguments for a in node.arguments or ()):
                raise Unsupported("an argument the fast path does not pass on")
            roots.append((_key(node), compiler.connection(node)))
        else:
            raise Unsupported(f"root field {name}")
    return Plan(document, operation, tuple(roots))


def _operation(document: DocumentNode, operation_name: str | None) -> OperationDefinitionNode:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if any(not isinstance(d, (OperationDefinitionNode, FragmentDefinitionNode)) for d in document.definitions):
        raise Unsupported("type system definitions")
    if operation_name is None:
        if len(operations) != 1:
            raise Unsupported("which operation")
        return operations[0]
    named = [o for o in operations if o.name is not None and o.name.value == operation_name]
    if len(named) != 1:
        raise Unsupported("another operation name")
    return named[0]


def _fields(selection_set: SelectionSetNode | None) -> list[FieldNode]:
    if selection_set is None:
        raise Unsupported("an object needs a selection")
    fields = []
    for selection in selection_set.selections:
        if not isinstance(selection, FieldNode) or selection.directives:
            raise Unsupported("fragments and directives in the envelope")
        fields.append(selection)
    keys = [_key(f) for f in fields]
    if len(set(keys)) != len(keys):
        raise Unsupported("a response key twice")
    return fields


def _key(node: FieldNode) -> str:
    return node.alias.value if node.alias else node.name.value


def _no_arguments(node: FieldNode) -> None:
    if node.arguments:
        raise Unsupported(f"arguments on {node.name.value}")


class _Compiler:
    def __init__(self, schema: strawberry.Schema, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.strawberry_schema = schema
        self.schema: GraphQLSchema = schema._schema
        self.fragments = fragments

    def connection(self, node: FieldNode) -> ConnectionPlan:
        selection = []
        for field in _fields(node.selection_set):
            name, key = field.name.value, _key(field)
            _no_arguments(field)
            if name == "edges":
                selection.append((key, name, self.edge(field)))
            elif name == "nodes":
                selection.append((key, name, self.node(field)))
            elif name == "pageInfo":
                selection.append((key, name, self.attributes(field, "PageInfo")))
            elif name in ("totalCount", "__typename"):
                selection.append((key, name, None))
            else:
                raise Unsupported(f"FactoryConnection.{name}")
        return ConnectionPlan(_key(node), node, tuple(selection))

    def edge(self, node: FieldNode) -> EdgePlan:
        selection = []
        for field in _fields(node.selection_set):
            name = field.name.value
            _no_arguments(field)
            if name == "node":
                selection.append((_key(field), name, self.node(field)))
            elif name in ("cursor", "__typename"):
                selection.append((_key(field), name, None))
            else:
                raise Unsupported(f"FactoryEdge.{name}")
        return EdgePlan(tuple(selection))

    def attributes(self, node: FieldNode, type_name: str) -> NodePlan:
        """An object of the envelope (`pageInfo`): fields only, compiled as a node is."""
        for field in _fields(node.selection_set):
            _no_arguments(field)
        return compile_selection(self.strawberry_schema, self.schema.get_type(type_name), node.selection_set, {})

    def node(self, node: FieldNode) -> NodeSelection:
        """The node's selection as a render-schema document, after checking that it stays within
        `KEPT_TYPES` and uses no variables."""
        if node.selection_set is None:
            raise Unsupported("a node needs a selection")
        spread: dict[str, FragmentDefinitionNode] = {}
        self._check(node.selection_set, self.schema.get_type("Factory"), spread)
        if _has_variables(node.selection_set, *spread.values()):
            raise Unsupported("variables in a node")
        operation = OperationDefinitionNode(
            operation=OperationType.QUERY,
            variable_definitions=(),
            directives=(),
            selection_set=SelectionSetNode(
                selections=(FieldNode(name=NameNode(value=RENDER_FIELD), arguments=(), directives=(), selection_set=node.selection_set),)
            ),
        )
        factory = self.schema.get_type("Factory")
        try:
            plan = compile_selection(self.strawberry_schema, factory, node.selection_set, self.fragments)
        except Unsupported:
            plan = None  # strawberry renders it
        return NodeSelection(print_ast(DocumentNode(definitions=(operation, *spread.values()))), plan)

    def _check(self, selection_set: SelectionSetNode, parent, spread: dict[str, FragmentDefinitionNode]) -> None:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                if selection.name.value == "__typename":
                    continue
                definition = parent.fields.get(selection.name.value)
                if definition is None:
                    raise Unsupported(f"{parent.name}.{selection.name.value}")
                named = get_named_type(definition.type)
                if is_leaf_type(named):
                    continue
                kept = named.name in KEPT_TYPES and (parent.name, selection.name.value) not in CATALOGUE_LISTS
                if not kept or selection.selection_set is None:
                    raise Unsupported(f"{parent.name}.{selection.name.value} is not kept")
                self._check(selection.selection_set, named, spread)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                self._check(selection.selection_set, self._condition(condition.name.value) if condition else parent, spread)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None:
                    raise Unsupported(f"fragment {name}")
                if name not in spread:
                    spread[name] = fragment
                    self._check(fragment.selection_set, self._condition(fragment.type_condition.name.value), spread)

    def _condition(self, type_name: str):
        found = self.schema.get_type(type_name)
        if isinstance(found, GraphQLInterfaceType) or isinstance(found, GraphQLObjectType) and type_name in KEPT_TYPES:
            return found
        raise Unsupported(f"fragment on {type_name}")


class _FindsVariables(Visitor):
    found = False

    def enter_variable(self, *_args):
        self.found = True
        return BREAK


def _has_variables(*nodes) -> bool:
    finder = _FindsVariables()
    for node in nodes:
        visit(node, finder)
    return finder.found
