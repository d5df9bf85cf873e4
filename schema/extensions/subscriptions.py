"""Subscriptions run over WebSocket only (graphql-transport-ws on /graphql,
schema/http/subscriptions.py): over HTTP a subscription would be executed once as if it were a
query, and answer nothing useful."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from ...domain.errors import BAD_USER_INPUT

OVER_WEBSOCKET = "Subscriptions run over WebSocket (the graphql-transport-ws protocol on /graphql), not over HTTP."


class SubscriptionsOverWebSocket(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        execution = self.execution_context
        request = getattr(execution.context, "request", None)
        over_websocket = getattr(request, "scope", {}).get("type") == "websocket"
        if execution.operation_type is OperationType.SUBSCRIPTION and not over_websocket and execution.result is None:
            error = GraphQLError(OVER_WEBSOCKET, extensions={"code": BAD_USER_INPUT})
            execution.result = ExecutionResult(data=None, errors=[error])
        yield
