"""A node's selection compiled over the schema's own type definitions: strawberry's answer for a
factory without graphql-core's execution.

`compile_selection` walks the selection as graphql-core would (fields merged by response key in
order of first sight, fragments whose condition the type meets, literal `@skip`/`@include`)
and, for each field, takes what strawberry's schema says of it: the `StrawberryField` of the
GraphQL field (`extensions["strawberry-definition"]`), its resolver and how strawberry calls it
(`self`, `root`/`parent`, `info`, the literal arguments converted by strawberry's own
`convert_arguments`), or the config's default resolver for a plain attribute; and its GraphQL
type: a leaf is coerced by the schema's own scalar or enum type, a list must be iterable, a
non-null value must not be None, an object is checked with its `is_type_of`. So no resolver,
label or id has a second copy here: the plan calls the very functions strawberry would call, on
the very objects it would get, and builds the same dict, which orjson serialises as the view does.

What the plan does not handle raises `Unsupported` when it compiles (strawberry renders that
selection, `render.py`): abstract types, field extensions (permissions), a custom `is_type_of`,
directives other than `@skip`/`@include`, arguments strawberry could not convert without a
request. What it meets while rendering raises `Unrenderable` (strawberry renders that batch,
with its errors if any): a resolver that waits (a loader not primed), an awaitable from a
synchronous resolver, a null where the type forbids it, a resolver that reads more of `info` than
its context, path, field and python name, or any exception.
"""

from __future__ import annotations

from functools import partial
from operator import attrgetter
from typing import Any

import strawberry
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLIncludeDirective,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSkipDirective,
    InlineFragmentNode,
    SelectionSetNode,
    is_abstract_type,
    is_enum_type,
    is_leaf_type,
    is_object_type,
)
from graphql.execution.values import get_argument_values, get_directive_values
from strawberry.types.arguments import convert_arguments

from .completion import (
    Path,
    PlanInfo,
    Render,
    Unrenderable,
    complete_enum,
    complete_leaf,
    complete_list,
    complete_object,
    settled,
    with_source,
)


class Unsupported(Exception):
    """This document (or request) is not for the compiled executor, or this node selection not
    for a plan: strawberry answers it."""


class NodePlan:
    """A factory node's selection, compiled: `render` gives each source's node as a dict."""

    __slots__ = ("infos", "render_object")

    def __init__(self, render_object: Render, infos: list[PlanInfo]) -> None:
        self.render_object = render_object
        self.infos = tuple(infos)

    def render(self, sources: list[Any], context: Any) -> list[Any]:
        """The nodes of these `Factory` objects, or Unrenderable. Runs without awaiting, so the
        infos' shared context cannot be another request's."""
        for info in self.infos:
            info.context = context
        try:
            render = self.render_object
            return [render(source) for source in sources]
        except Unrenderable:
            raise
        except Exception as error:  # strawberry renders it again, and says what went wrong
            raise Unrenderable(repr(error)) from error
        finally:
            for info in self.infos:
                info.context = None


def compile_selection(
    schema: strawberry.Schema,
    object_type: GraphQLObjectType,
    selection_set: SelectionSetNode,
    fragments: dict[str, FragmentDefinitionNode],
) -> NodePlan:
    """The plan of a selection on `object_type` (a `Factory` node; `PageInfo`); raises Unsupported."""
    compiler = _NodeCompiler(schema, fragments)
    render = compiler.object(object_type, [selection_set])
    return NodePlan(render, compiler.infos)


class _NodeCompiler:
    def __init__(self, schema: strawberry.Schema, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.schema = schema
        self.graphql_schema = schema._schema
        self.fragments = fragments
        self.infos: list[PlanInfo] = []

    # -- which fields, in which order (graphql-core's CollectFields)

    def collect(self, object_type: GraphQLObjectType, selection_sets: list[SelectionSetNode]) -> dict[str, list[FieldNode]]:
        grouped: dict[str, list[FieldNode]] = {}
        visited: set[str] = set()
        for selection_set in selection_sets:
            self._visit(object_type, selection_set, grouped, visited)
        return grouped

    def _visit(self, object_type, selection_set: SelectionSetNode, grouped: dict, visited: set[str]) -> None:
        for selection in selection_set.selections:
            if not _included(selection):
                continue
            if isinstance(selection, FieldNode):
                grouped.setdefault(selection.alias.value if selection.alias else selection.name.value, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if condition is None or self._matches(condition.name.value, object_type):
                    self._visit(object_type, selection.selection_set, grouped, visited)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in visited:
                    continue
                visited.add(name)
                fragment = self.fragments.get(name)
                if fragment is None or fragment.directives:
                    raise Unsupported(f"fragment {name}")
                if self._matches(fragment.type_condition.name.value, object_type):
                    self._visit(object_type, fragment.selection_set, grouped, visited)

    def _matches(self, type_name: str, object_type: GraphQLObjectType) -> bool:
        condition = self.graphql_schema.get_type(type_name)
        if condition is object_type:
            return True
        return is_abstract_type(condition) and self.graphql_schema.is_sub_type(condition, object_type)

    # -- what each field's value is, and how it is completed

    def object(self, object_type: GraphQLObjectType, selection_sets: list[SelectionSetNode]) -> Render:
        fields = tuple(self.field(object_type, key, nodes) for key, nodes in self.collect(object_type, selection_sets).items())

        def render(source: Any) -> dict[str, Any]:
            return {key: complete(get(source)) for key, get, complete in fields}

        return render

    def field(self, parent: GraphQLObjectType, key: str, nodes: list[FieldNode]) -> tuple[str, Render, Render]:
        name = nodes[0].name.value
        if name == "__typename":
            return key, lambda _source, typename=parent.name: typename, _same
        definition = parent.fields.get(name)
        field = definition.extensions.get("strawberry-definition") if definition is not None else None
        if field is None or field.extensions:
            raise Unsupported(f"{parent.name}.{name}")
        arguments = self._arguments(definition, field, nodes[0])
        info = PlanInfo(name, field.python_name, Path(key, parent.name))
        return key, self._resolver(field, arguments, info), self.completion(definition.type, nodes)

    def _arguments(self, definition, field, node: FieldNode) -> dict[str, Any]:
        """The field's literal arguments as strawberry hands them to its resolver."""
        try:
            values = get_argument_values(definition, node, {})
            return convert_arguments(values, field.arguments, self.schema.schema_converter.scalar_registry, self.schema.config)
        except Exception as error:
            raise Unsupported(f"arguments of {field.python_name}") from error

    def _resolver(self, field, arguments: dict[str, Any], info: PlanInfo) -> Render:
        """How strawberry calls the field (schema_converter.get_arguments), bound once."""
        resolver = field.base_resolver
        if resolver is None:
            if field.default_resolver is not getattr:
                raise Unsupported(f"{field.python_name}: a custom default resolver")
            return attrgetter(field.python_name)
        call = resolver.wrapped_func
        keywords = dict(arguments)
        if resolver.info_parameter is not None:
            keywords[resolver.info_parameter.name] = info
            self.infos.append(info)
        sources = [p for p in (resolver.parent_parameter, resolver.root_parameter) if p is not None]
        if resolver.self_parameter is not None and not sources:
            get = partial(call, **keywords) if keywords else call
        elif resolver.self_parameter is None and len(sources) == 1:
            get = with_source(call, sources[0].name, keywords)
        else:
            raise Unsupported(f"{field.python_name}: how its resolver takes its source")
        return settled(get) if resolver.is_async else get

    def completion(self, graphql_type, nodes: list[FieldNode]) -> Render:
        """graphql-core's completion of a value of this type, as a function."""
        nullable = not isinstance(graphql_type, GraphQLNonNull)
        inner_type = graphql_type if nullable else graphql_type.of_type
        if isinstance(inner_type, GraphQLList):
            return complete_list(self.completion(inner_type.of_type, nodes), nullable)
        if is_leaf_type(inner_type):
            if is_enum_type(inner_type):
                return complete_enum(inner_type, nullable)
            return complete_leaf(getattr(inner_type, "coerce_output_value", None) or inner_type.serialize, nullable)
        if is_object_type(inner_type):
            definition = inner_type.extensions.get("strawberry-definition")
            if definition is None or definition.is_type_of is not None:
                raise Unsupported(f"{inner_type.name}: its own is_type_of")
            render = self.object(inner_type, [n.selection_set for n in nodes if n.selection_set])
            return complete_object(render, inner_type.is_type_of, nullable)
        raise Unsupported(f"{inner_type}: an abstract type")


def _included(selection) -> bool:
    directives = selection.directives or ()
    if any(d.name.value not in ("skip", "include") for d in directives):
        raise Unsupported("a directive besides skip and include")
    if not directives:
        return True
    skip = get_directive_values(GraphQLSkipDirective, selection, {})
    if skip is not None and skip["if"] is True:
        return False
    include = get_directive_values(GraphQLIncludeDirective, selection, {})
    return include is None or include["if"] is not False


def _same(value: Any) -> Any:
    return value
