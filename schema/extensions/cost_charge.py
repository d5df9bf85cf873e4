"""Charging an operation's points to its client's budget (schema/http/budget.py), where the
document is measured: `limits.NodeBudget` calls `charge` once the operation is within the node
and work budgets, before anything runs.

Over budget, the operation does not run: the execution context's `result` becomes one
RATE_LIMITED error (no `data`), and the answer is 429 with `Retry-After`, under either media type
(set on the view's sub-response, as `endpoint.py` sets TIMEOUT's 503).
"""

from __future__ import annotations

from graphql import ExecutionResult, GraphQLError, OperationType
from strawberry.types import ExecutionContext

from ..http.budget import account_of
from ..http.rate_limit import client_address
from .cost import Measure, points


async def charge(execution_context: ExecutionContext, counted: Measure) -> None:
    context = execution_context.context
    request = getattr(context, "request", None)
    account = account_of(request.scope) if request is not None else None
    if account is None:  # no points budget configured, or not a request (a rendering)
        return
    # The view says who the client is (endpoint.py, once the token is checked); else its address.
    key = account.key or client_address(request.scope)
    operation = OperationType(execution_context.operation_type.value)  # strawberry's enum, graphql-core's values
    charged = await account.charge_for(key, points(counted, operation))
    if charged is None or not charged.refused:
        return
    refused = charged.refusal()
    execution_context.result = ExecutionResult(
        data=None, errors=[GraphQLError(refused.message, original_error=refused, extensions={"code": refused.code, **refused.details})]
    )
    response = getattr(context, "response", None)
    if response is not None:
        response.status_code = 429
        response.headers["retry-after"] = str(charged.reset_in)
