"""In production, schema introspection is for signed-in clients only.

The published SDL stays at /schema.graphql for anyone who wants to build a client; what this
closes is the cheap way for scrapers and fuzzers to map the API from GraphiQL-style tools.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError, NoSchemaIntrospectionCustomRule, validate
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult

from ...domain.errors import GRAPHQL_VALIDATION_FAILED


class IntrospectionGate(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        execution = self.execution_context
        context = execution.context
        closed = getattr(context, "introspection_closed", False) and getattr(context, "principal", None) is None
        if closed and execution.result is None and execution.graphql_document is not None:
            found = validate(execution.schema._schema, execution.graphql_document, [NoSchemaIntrospectionCustomRule])
            if found:
                error = GraphQLError(
                    "Introspection is off for anonymous clients here; the schema is published at /schema.graphql.",
                    nodes=found[0].nodes,
                    extensions={"code": GRAPHQL_VALIDATION_FAILED},
                )
                execution.result = ExecutionResult(data=None, errors=[error])
        yield
