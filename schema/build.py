"""The GraphQL schema: the root types of every area, and the extensions every operation runs
through (error codes, the query budgets, introspection, the depth, alias and token limits)."""

from __future__ import annotations

import strawberry
from strawberry.extensions import MaxTokensLimiter, ParserCache, ValidationCache
from strawberry.tools import merge_types

from .extensions.errors import ExecutionMarker
from .extensions.introspection import IntrospectionGate
from .extensions.limits import NodeBudget
from .extensions.subscriptions import SubscriptionsOverWebSocket
from .extensions.validation_rules import AliasLimit, DepthLimit
from .types.decisions import DecisionMutation
from .types.moderation import ModerationQuery
from .types.mutation import Mutation
from .types.query import Query
from .types.reports import ReportQuery
from .types.scalars import SCALARS
from .types.subscription import Subscription


class PortalSchema(strawberry.Schema):
    def process_errors(self, errors, execution_context=None) -> None:
        # ErrorCodes logs what is unexpected, with the request id; client mistakes are not logged.
        return None


def merged(name: str, parts: tuple[type, ...]) -> type:
    """merge_types, with the first part's description (merge_types drops every part's)."""
    root = merge_types(name, parts)
    root.__strawberry_definition__.description = parts[0].__strawberry_definition__.description
    return root


def build_schema() -> strawberry.Schema:
    return PortalSchema(
        query=merged("Query", (Query, ModerationQuery, ReportQuery)),
        mutation=merged("Mutation", (Mutation, DecisionMutation)),
        subscription=Subscription,
        scalar_overrides=SCALARS,
        extensions=[
            ExecutionMarker,
            NodeBudget,
            IntrospectionGate,
            SubscriptionsOverWebSocket,
            DepthLimit,
            AliasLimit,
            lambda: MaxTokensLimiter(max_token_count=2000),
            ParserCache,
            ValidationCache,
        ],
    )


schema = build_schema()
