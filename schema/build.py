"""The GraphQL schema: the root types of every area, and the extensions every operation runs
through (error codes, the query budgets, introspection, the depth, alias and token limits)."""

from __future__ import annotations

import strawberry
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, ParserCache, QueryDepthLimiter, ValidationCache
from strawberry.tools import merge_types

from .extensions.errors import ExecutionMarker
from .extensions.introspection import IntrospectionGate
from .extensions.limits import NodeBudget
from .types.moderation import ModerationQuery
from .types.mutation import Mutation
from .types.query import Query
from .types.reports import ReportQuery


class PortalSchema(strawberry.Schema):
    def process_errors(self, errors, execution_context=None) -> None:
        # ErrorCodes logs what is unexpected, with the request id; client mistakes are not logged.
        return None


def build_schema() -> strawberry.Schema:
    return PortalSchema(
        query=merge_types("Query", (Query, ModerationQuery, ReportQuery)),
        mutation=Mutation,
        extensions=[
            ExecutionMarker,
            NodeBudget,
            IntrospectionGate,
            lambda: QueryDepthLimiter(max_depth=12),
            lambda: MaxAliasesLimiter(max_alias_count=30),
            lambda: MaxTokensLimiter(max_token_count=2000),
            ParserCache,
            ValidationCache,
        ],
    )


schema = build_schema()
