"""The arguments of `factories` as the fast path (`executor.py`) takes them.

They are converted as strawberry converts them for its resolver and all passed on to
`list_arguments`; if the field defines one `list_arguments` does not take, the executor stays off
(every request goes to strawberry) rather than drop it.
"""

from __future__ import annotations

import inspect
from typing import Any

import strawberry
from graphql import FieldNode, GraphQLField, VariableNode
from graphql.execution.values import VariableValues, get_argument_values
from strawberry.types.arguments import convert_arguments

from ..types.factory_list import list_arguments


def passed_arguments(field: GraphQLField) -> frozenset[str] | None:
    """The GraphQL names of the `factories` arguments, when the fast path passes each on
    (`after` to the keyset page, every other one to `list_arguments`); None when one of them
    would be dropped."""
    definition = field.extensions["strawberry-definition"]
    taken = set(inspect.signature(list_arguments).parameters) | {"after"}
    if any(argument.python_name not in taken for argument in definition.arguments):
        return None
    return frozenset(field.args)


# Converted arguments kept per field node (by the other variables' values) at most.
MAX_CONVERTED = 256
_SCALARS = (str, int, float, bool, type(None))


def page_arguments(
    schema: strawberry.Schema, field: GraphQLField, node: FieldNode, variables: VariableValues, converted: dict | None = None
) -> tuple[str | None, tuple]:
    """`after`, and what `list_arguments` makes of every other argument of `factories`,
    converted as strawberry converts them for the field's resolver.

    `converted` keeps what the conversion gave, by the values of the variables other than the
    one `after` takes (a cursor is new on every page; `first` or a filter seldom is): `after`
    itself is a string, passed on as the coerced variables hold it. Variables holding objects
    (an input filter) are converted every time."""
    after_variable = _after_variable(node)
    coerced = variables.coerced
    key = None
    if converted is not None:
        key = tuple(sorted((name, value) for name, value in coerced.items() if name != after_variable))
        if all(isinstance(value, _SCALARS) for _, value in key):
            kept = converted.get(key)
            if kept is not None:
                return (coerced.get(after_variable) if after_variable else kept[0]), kept[1]
        else:
            key = None
    after, listed = _converted(schema, field, node, variables)
    if key is not None:
        if len(converted) >= MAX_CONVERTED:
            converted.clear()
        converted[key] = (after, listed)
    return after, listed


def _after_variable(node: FieldNode) -> str | None:
    """The name of the variable `after` takes, if it takes one."""
    for argument in node.arguments or ():
        if argument.name.value == "after" and isinstance(argument.value, VariableNode):
            return argument.value.name.value
    return None


def _converted(schema: strawberry.Schema, field: GraphQLField, node: FieldNode, variables: VariableValues) -> tuple[str | None, tuple]:
    values = get_argument_values(field, node, variables)
    definition = field.extensions["strawberry-definition"]
    converter = schema.schema_converter
    arguments = convert_arguments(values, definition.arguments, converter.scalar_registry, schema.config)
    after = arguments.pop("after", None)
    return after, list_arguments(**arguments)


def budget_key(variables: dict[str, Any]) -> tuple:
    """What of the variables moves the query budget's count: numbers (`first`) and whether a
    filter or string has a search (a cursor's value moves nothing)."""
    return tuple(sorted((k, _counted_as(v)) for k, v in variables.items()))


def _counted_as(value: Any) -> Any:
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, dict):
        return bool(value.get("search"))
    return bool(value) if isinstance(value, str) else None
