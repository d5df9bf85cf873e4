"""Does a GraphQL response keep the promises of the schema and of our error contract?

`response_problems` checks one HTTP answer to one query: the body is a GraphQL response object,
`data` has exactly the shape the query's selection asks for, with the schema's types (no null
where the schema says non-null, enum values of the enum, 32-bit Ints, ...), and every error
carries an `extensions.code` from the documented set and no server internals. It knows nothing
of the server: only the schema (graphql-core) and the query text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    is_abstract_type,
    parse,
    value_from_ast_untyped,
)

INT_RANGE = range(-(2**31), 2**31)
# What must never reach a client (issue 5): stack traces, SQL, file paths.
LEAKS = re.compile(r"Traceback|File \"|\.py\b|/work/|/usr/|site-packages|sqlalchemy|aiosqlite|asyncpg|\bSELECT\b|\bINSERT\b|\bUPDATE\b.*\bSET\b", re.I)


def response_problems(
    schema: GraphQLSchema,
    status: int,
    body: bytes,
    query: str,
    variables: Mapping[str, Any] | None,
    error_codes: Collection[str],
    allowed_codes: Collection[str] = (),
) -> list[str]:
    """Everything wrong with this answer; [] when it is a well-formed GraphQL response.

    `error_codes` is the documented set; a code outside `allowed_codes` but inside the set is
    fine, except INTERNAL, which always counts as a server error."""
    problems = []
    if status >= 500:
        problems.append(f"HTTP {status}")
    try:
        payload = json.loads(body)
    except ValueError:
        return [*problems, f"HTTP {status}: the body is not JSON: {body[:200]!r}"]
    if not isinstance(payload, dict):
        return [*problems, f"the body is not a JSON object: {payload!r:.200}"]
    extra = payload.keys() - {"data", "errors", "extensions"}
    if extra:
        problems.append(f"unexpected top-level keys {sorted(extra)}")
    if "data" not in payload and not payload.get("errors"):
        problems.append("neither data nor errors")
    for error in payload.get("errors") or []:
        problems += _error_problems(error, error_codes)
    data = payload.get("data")
    if data is not None:
        try:
            document = parse(query)
        except Exception as exc:  # the server executed what we cannot parse
            return [*problems, f"data for a query that does not parse: {exc}"]
        walker = _Walker(schema, document, dict(variables or {}))
        problems += walker.check_operation(data)
    return problems


def _error_problems(error: Any, error_codes: Collection[str]) -> list[str]:
    if not isinstance(error, dict) or not isinstance(error.get("message"), str):
        return [f"an error is not an object with a message: {error!r:.200}"]
    out = []
    code = (error.get("extensions") or {}).get("code")
    if code not in error_codes:
        out.append(f"error without a documented extensions.code ({code!r}): {error['message']!r:.200}")
    elif code == "INTERNAL":
        out.append(f"INTERNAL error (a server error): {error!r:.300}")
    if LEAKS.search(error["message"]) or LEAKS.search(json.dumps(error.get("extensions") or {})):
        out.append(f"server internals in an error: {error!r:.300}")
    return out


class _Walker:
    def __init__(self, schema: GraphQLSchema, document, variables: dict[str, Any]) -> None:
        self.schema = schema
        self.variables = variables
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        self.operation = operations[0] if len(operations) == 1 else None

    def check_operation(self, data: Any) -> list[str]:
        if self.operation is None:
            return []  # several operations and no name: the server chose; not checked
        root = {
            "query": self.schema.query_type,
            "mutation": self.schema.mutation_type,
            "subscription": self.schema.subscription_type,
        }[self.operation.operation.value]
        out: list[str] = []
        self.check_object(data, root, self.operation.selection_set, "data", out)
        return out

    def check_value(self, value: Any, type_: Any, selections: SelectionSetNode | None, path: str, out: list[str]) -> None:
        if isinstance(type_, GraphQLNonNull):
            if value is None:
                out.append(f"{path}: null, but the schema says {type_} (non-null)")
                return
            type_ = type_.of_type
        if value is None:
            return
        if isinstance(type_, GraphQLList):
            if not isinstance(value, list):
                out.append(f"{path}: {value!r:.80} is not a list ({type_})")
                return
            for i, item in enumerate(value):
                self.check_value(item, type_.of_type, selections, f"{path}[{i}]", out)
        elif isinstance(type_, GraphQLEnumType):
            if value not in type_.values:
                out.append(f"{path}: {value!r:.80} is not a value of enum {type_.name}")
        elif isinstance(type_, GraphQLScalarType):
            problem = _scalar_problem(type_.name, value)
            if problem:
                out.append(f"{path}: {problem}")
        else:
            self.check_object(value, type_, selections, path, out)

    def check_object(self, value: Any, type_: Any, selections: SelectionSetNode | None, path: str, out: list[str]) -> None:
        if not isinstance(value, dict):
            out.append(f"{path}: {value!r:.80} is not an object ({type_.name})")
            return
        runtime = None
        if isinstance(type_, GraphQLObjectType):
            runtime = type_
        if "__typename" in value:
            named = self.schema.get_type(value["__typename"]) if isinstance(value["__typename"], str) else None
            if not isinstance(named, GraphQLObjectType) or not (
                named is type_ or (is_abstract_type(type_) and self.schema.is_sub_type(type_, named))
            ):
                out.append(f"{path}.__typename: {value['__typename']!r} is not a possible type of {type_.name}")
                return
            runtime = named
        fields: dict[str, tuple[FieldNode, Any]] = {}
        self.collect(selections, type_, runtime, fields)
        for key in value:
            if key not in fields:
                out.append(f"{path}.{key}: not asked for")
        for key, (node, owner) in fields.items():
            if key not in value:
                if runtime is not None:
                    out.append(f"{path}.{key}: missing")
                continue
            name = node.name.value
            if name == "__typename":
                if not isinstance(value[key], str):
                    out.append(f"{path}.{key}: not a type name")
                continue
            if name.startswith("__"):
                continue  # introspection fields: graphql-core's own
            definition = owner.fields.get(name) if hasattr(owner, "fields") else None
            if definition is None:
                out.append(f"{path}.{key}: {name} is not a field of {owner.name}")
                continue
            self.check_value(value[key], definition.type, node.selection_set, f"{path}.{key}", out)

    def collect(self, selections, type_, runtime, fields) -> None:
        """The fields a selection set asks for on an object of type `runtime` (None: unknown,
        then every fragment counts and missing keys are not held against the response)."""
        for selection in selections.selections if selections else ():
            if not self.included(selection):
                continue
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                fields.setdefault(key, (selection, type_))
                continue
            if isinstance(selection, InlineFragmentNode):
                condition = self.schema.get_type(selection.type_condition.name.value) if selection.type_condition else type_
                inner = selection.selection_set
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is None:
                    continue
                condition = self.schema.get_type(fragment.type_condition.name.value)
                inner = fragment.selection_set
            else:
                continue
            if runtime is not None and not (condition is runtime or (is_abstract_type(condition) and self.schema.is_sub_type(condition, runtime))):
                continue
            self.collect(inner, condition, runtime, fields)

    def included(self, selection) -> bool:
        for directive in selection.directives or ():
            argument = next((a for a in directive.arguments if a.name.value == "if"), None)
            if argument is None:
                continue
            value = value_from_ast_untyped(argument.value, self.variables)
            if directive.name.value == "skip" and value is True:
                return False
            if directive.name.value == "include" and value is False:
                return False
        return True


def _scalar_problem(name: str, value: Any) -> str | None:
    if name == "Int":
        if type(value) is not int or value not in INT_RANGE:
            return f"{value!r:.80} is not a 32-bit Int"
    elif name == "Float":
        if type(value) not in (int, float):
            return f"{value!r:.80} is not a Float"
    elif name == "Boolean":
        if type(value) is not bool:
            return f"{value!r:.80} is not a Boolean"
    elif name in ("String", "ID"):
        if type(value) is not str:
            return f"{value!r:.80} is not a {name}"
    return None
