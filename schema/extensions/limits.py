"""A node budget and a work budget: a query that could return or do too much is refused before it runs.

In the manner of GitHub's GraphQL API (500,000 nodes), sized for us. What an operation could return
(its nodes) and what it could make the server do (its cost, in requests) are counted on the
document alone by `cost.py`'s `measure`.

Over the node budget (`max_nodes`: `PORTAL_MAX_QUERY_NODES`, 50,000), the operation does not run: the result is one error with
`extensions = {"code": "QUERY_TOO_COMPLEX", "nodes": <count>, "maxNodes": <budget>}`.
The extension sets the execution context's `result` in `on_execute` (every extension's
`on_execute` begins before execution does), and strawberry returns that result instead of
executing: no resolver runs. The error's original error is a `PortalError`, so
`schema.errors.with_codes` keeps its code and details, wherever `NodeBudget` is in the list.
Without `data` and without a path, it is a request error for `schema.http` (400 with
`application/graphql-response+json`, 200 with `application/json`).

Over the work budget (`max_cost`: `PORTAL_MAX_QUERY_COST`, 1,000), the operation does not run either:
one error with `extensions = {"code": "QUERY_TOO_COMPLEX", "cost": <requests>, "maxCost": <budget>}`
(and `nodes`/`maxNodes` too when both are crossed). The compiled executor
(`schema/fastpath/executor.py`) checks both budgets too, with the same `measure`, per request.

Within both budgets, the operation's points (the same measure, as GitHub normalises it:
`cost.points`) are charged to the client's budget per hour before it runs (`cost_charge.py`);
over that budget it does not run either, and is answered 429 RATE_LIMITED.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping

from graphql import ExecutionResult, GraphQLError
from strawberry.extensions import SchemaExtension

from ...domain.errors import QUERY_TOO_COMPLEX, TIMEOUT, PortalError
from .cost import NOTHING, Measure, measure
from .cost_charge import charge

log = logging.getLogger("transparency_portal.limits")

MAX_NODES = 50_000
MAX_COST = 1_000


class QueryTooComplex(PortalError):
    code = QUERY_TOO_COMPLEX


class NodeBudget(SchemaExtension):
    """Refuses an operation whose worst case exceeds `max_nodes`, or whose work exceeds
    `max_cost` (pass it as a factory: `lambda: NodeBudget(max_nodes=...)`). `list_sizes` adds to
    or overrides `cost_figures.LIST_SIZES`."""

    def __init__(
        self, max_nodes: int = MAX_NODES, list_sizes: Mapping[str, int] | None = None, max_cost: int = MAX_COST
    ) -> None:
        super().__init__()
        self.max_nodes = max_nodes
        self.max_cost = max_cost
        self.list_sizes = dict(list_sizes or {})

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context
        # The server's configured budgets travel on the request context (the schema is global).
        max_nodes = getattr(context.context, "max_query_nodes", None) or self.max_nodes
        max_cost = getattr(context.context, "max_query_cost", None) or self.max_cost
        # Execution begins only for documents that parsed and validated.
        if context.result is None and context.graphql_document is not None:
            try:
                counted = measure(
                    context.schema._schema, context.graphql_document, context.operation_name, context.variables,
                    self.list_sizes,
                )
            except Exception:  # a bug here must not reach the client; depth and token limits still hold
                log.exception("the query budget could not count this operation; it runs uncounted")
                counted = NOTHING
            if over_budget(counted, max_nodes, max_cost):
                context.result = ExecutionResult(data=None, errors=[too_complex(counted, max_nodes, max_cost)])
            elif counted is not NOTHING:  # not when it could not be counted: it runs uncharged too
                await charge(context, counted)
        yield


def over_budget(counted: Measure, max_nodes: int, max_cost: int) -> bool:
    return counted.nodes > max_nodes or counted.cost > max_cost


def too_complex(counted: Measure, max_nodes: int, max_cost: int) -> GraphQLError:
    nodes, cost = counted
    details: dict[str, int] = {}
    reasons = []
    if nodes > max_nodes:
        details.update(nodes=nodes, maxNodes=max_nodes)
        reasons.append(
            f"could return up to {nodes:,} nodes, {nodes - max_nodes:,} more than the limit of {max_nodes:,}. "
            "Ask for smaller pages (first) or fewer nested lists."
        )
    if cost > max_cost:
        details.update(cost=cost, maxCost=max_cost)
        reasons.append(
            f"would cost {cost:,} requests (connections, counts, facets, searches and reports it may run), "
            f"{cost - max_cost:,} more than the limit of {max_cost:,}. Ask for fewer aliases or nested "
            "connections; for counts per issue, ask `facets { issue { value count } }` once."
        )
    refused = QueryTooComplex("This query " + " It also ".join(reasons), **details)
    return GraphQLError(refused.message, original_error=refused, extensions={"code": refused.code, **details})


class TimedOut(PortalError):
    code = TIMEOUT


def timed_out(seconds: float) -> GraphQLError:
    """The answer to an operation cancelled at the time budget (`PORTAL_REQUEST_SECONDS`)."""
    seconds = int(seconds) if float(seconds).is_integer() else seconds  # 10, not 10.0
    refused = TimedOut(
        f"This operation ran longer than the limit of {seconds:g} seconds and was stopped. Ask for less at "
        "once (fewer aliases, reports or nested connections), or try again later.",
        maxSeconds=seconds,
    )
    return GraphQLError(refused.message, original_error=refused, extensions={"code": refused.code, "maxSeconds": seconds})
