"""The compiled executor: the public factory list answered without graphql-core's execution.

ASGI middleware in front of strawberry's view (inside the response cache). A request takes this
path when all of these hold, and otherwise strawberry answers it as always:

- POST with a JSON body, or GET with query parameters (not for GraphiQL's page), no
  Authorization header, an Accept the view can answer; a document named by hash comes resolved
  (schema/http/persisted.py);
- its document has a plan (`plan.py`: the envelope; the nodes' selection within the
  public graph's kept types) and strawberry has answered that document once
  without errors: validation, depth, alias and token limits depend on the document alone, so
  they hold ever after; the node budget depends on `first`, so it is counted per request;
- its variables coerce, and its arguments are good (a malformed cursor or `first` out of range
  goes to strawberry, which answers with the usual error).

The executor checks and charges the request, then has `pages.py` build the page: the envelope
itself, the nodes strawberry's own renderings, kept per factory row version.

The arguments of `factories` are passed on as `arguments.py` says, or the executor stays off.

Golden mode (`PORTAL_COMPILED_CHECK=1`; on in the test suite): strawberry answers every request
the executor could answer too, and the two answers must be the same bytes, status and headers;
a difference is logged, counted in `mismatches` and answered with 500.
"""

from __future__ import annotations

import logging
import secrets
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache, partial
from typing import Any

import orjson
import strawberry
from graphql import GraphQLError, GraphQLSchema, OperationType
from graphql.execution.values import get_variable_values

from ...domain.errors import PortalError
from ...domain.labels import negotiate_language
from ...storage.db import Sessions
from ...storage.hot_reads import HotReads
from ..extensions.cost import Measure, measure, points
from ..extensions.limits import MAX_COST, over_budget
from ..http.asgi import read_body
from ..http.budget import account_of, asks_cost
from ..http.persisted_request import requested_operation
from ..http.request_state import header_map, request_state
from ..http.rate_limit import client_address
from ..http.request_log import name_operation
from ..http.view import JSON, negotiate_media_type
from .answers import DISAGREES, Answer, captured, json_answer, same, succeeded
from .arguments import budget_key, passed_arguments
from .completion import Unrenderable
from .pages import ListPages
from .plan import Plan, Unsupported, compile_plan
from .render import RenderFailed
from .renderings import PageRequest

log = logging.getLogger(__name__)


class CompiledExecutor:
    def __init__(
        self,
        app,
        *,
        schema: strawberry.Schema,
        hot: HotReads,
        sessions: Sessions,
        clock: Callable[[], datetime],
        max_query_nodes: int,
        max_query_cost: int = MAX_COST,
        golden: bool = False,
        render_cache_bytes: int = 128 * 1024 * 1024,
        path: str = "/graphql",
        max_body_bytes: int = 64 * 1024,
        max_documents: int = 512,
    ) -> None:
        self.app = app
        self.strawberry_schema = schema
        self.schema: GraphQLSchema = schema._schema
        self.factories_field = self.schema.query_type.fields["factories"]
        self.arguments = passed_arguments(self.factories_field)
        if self.arguments is None:
            log.warning("`factories` has an argument list_arguments does not take: the compiled executor is off")
        else:
            self.compile = lru_cache(maxsize=512)(partial(compile_plan, schema, self.arguments))
        self.hot = hot
        self.sessions = sessions
        self.clock = clock
        self.max_query_nodes = max_query_nodes
        self.max_query_cost = max_query_cost
        self.golden = golden
        self.path = path
        self.max_body_bytes = max_body_bytes
        self.max_documents = max_documents
        self.vetted: OrderedDict[tuple[str, str | None], None] = OrderedDict()
        self.pages = ListPages(schema, hot, sessions, clock, render_cache_bytes)
        self.node_counts: dict[tuple[Plan, tuple], Measure] = {}
        self.answered = 0  # by plan
        # Stands for a rendered list until the answer is joined (`PageRequest.spliced`).
        self.marker = secrets.token_hex(8)
        self.mismatches: list[str] = []

    async def __call__(self, scope, receive, send) -> None:
        method = scope.get("method")
        if scope["type"] != "http" or scope["path"] != self.path or method not in ("GET", "POST") or self.arguments is None:
            return await self.app(scope, receive, send)
        headers = header_map(scope)
        content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        accept = headers.get(b"accept", b"")
        media_type = negotiate_media_type(accept.decode("latin-1"))
        if b"authorization" in headers or media_type is None or asks_cost(scope):
            return await self.app(scope, receive, send)  # `?cost=1` answers carry the client's budget: the view's
        if (method == "POST" and content_type != JSON.encode()) or (method == "GET" and b"text/html" in accept):
            return await self.app(scope, receive, send)  # what the view answers (415, uploads; GraphiQL's page)
        body = None
        if method == "POST":
            body, receive = await read_body(receive, self.max_body_bytes)
        request = requested_operation(scope, body)
        if request is None:
            return await self.app(scope, receive, send)
        query, operation_name, variables = request
        name_operation(scope, operation_name)
        try:
            plan = self.compile(query, operation_name)
        except Unsupported:
            return await self.app(scope, receive, send)

        document = (query, operation_name)
        vetted = document in self.vetted
        if not vetted and not self.golden:
            answer = await captured(self.app, scope, receive, send)
            if succeeded(answer):
                self._vet(document)
            return
        language = negotiate_language(headers.get(b"accept-language", b"").decode("latin-1") or None)
        if self.golden:
            answer = await self._check(document, vetted, scope, receive, plan, variables, language, media_type)
        else:
            body = await self._execute(plan, variables, language, scope)
            if body is None:
                return await self.app(scope, receive, send)
            self.answered += 1
            answer = json_answer(body, media_type)
        status, response_headers, response_body = answer
        await send({"type": "http.response.start", "status": status, "headers": response_headers})
        await send({"type": "http.response.body", "body": response_body})

    def _vet(self, document: tuple[str, str | None]) -> None:
        self.vetted[document] = None
        while len(self.vetted) > self.max_documents:
            self.vetted.popitem(last=False)

    async def _check(self, document, vetted: bool, scope, receive, plan, variables, language, media_type) -> Answer:
        reference = await captured(self.app, scope, receive)
        if succeeded(reference):
            self._vet(document)
        elif not vetted:
            return reference  # not vetted: the executor would not have run
        body = await self._execute(plan, variables, language, scope)
        if body is None:
            return reference
        self.answered += 1
        answer = json_answer(body, media_type)
        if same(answer, reference):
            return answer
        difference = f"compiled executor and strawberry differ on {document[0]!r}:\n{answer!r}\n{reference!r}"
        log.error(difference)
        self.mismatches.append(difference)
        return DISAGREES

    async def _execute(self, plan: Plan, variables: dict[str, Any], language: str, scope) -> bytes | None:
        """The answer's bytes, or None when strawberry should answer (with its error)."""
        try:
            coerced = get_variable_values(self.schema, plan.operation.variable_definitions or (), variables)
            if isinstance(coerced, list):
                return None
            counted = self._counted(plan, variables)
            if over_budget(counted, self.max_query_nodes, self.max_query_cost):
                return None
            if not await self._charged(scope, counted):
                return None  # over the client's points budget: strawberry answers the refusal
            version = request_state(scope).data_version
            version = await self.hot.data_version() if version is None else version
            await self.pages.follow(version)
            request = PageRequest(self.clock(), language, self.marker)
            data = {}
            for key, connection in plan.roots:
                data[key] = "Query" if connection is None else await self.pages.connection(connection, coerced, request, version)
        except (PortalError, GraphQLError, RenderFailed, Unrenderable):
            return None  # a client's mistake, or data strawberry answers with an error: it says which
        except Exception:
            log.exception("the compiled executor failed; strawberry answers")
            return None
        return request.spliced(orjson.dumps({"data": data}))

    async def _charged(self, scope, counted: Measure) -> bool:
        """Charges the client (anonymous: its address) what strawberry would charge for the same
        document (`cost.points` of the same measure), unless the request was charged already
        (golden mode, or strawberry answered first); False when that is more than it has left."""
        account = account_of(scope)
        if account is None:
            return True
        charge = await account.charge_for(client_address(scope), points(counted, OperationType.QUERY))
        return charge is None or not charge.refused

    def _counted(self, plan: Plan, variables: dict[str, Any]) -> Measure:
        """The query budget's count, kept per plan and what of the variables moves it."""
        key = (plan, budget_key(variables))
        counted = self.node_counts.get(key)
        if counted is None:
            if len(self.node_counts) > 4096:
                self.node_counts.clear()
            name = plan.operation.name.value if plan.operation.name else None
            counted = self.node_counts[key] = measure(self.schema, plan.document, name, variables)
        return counted
