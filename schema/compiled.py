"""The compiled executor: the public factory list answered without graphql-core's execution.

ASGI middleware in front of strawberry's view (inside the response cache). A request takes this
path when all of these hold, and otherwise strawberry answers it as always:

- POST with a JSON body, no Authorization header, an Accept the view can answer;
- its document has a plan (`compiled_plan.py`) and strawberry has answered that document once
  without errors: validation, depth, alias and token limits depend on the document alone, so
  they hold ever after; the node budget depends on `first`, so it is counted per request;
- its variables coerce, and its arguments are good (a malformed cursor or `first` out of range
  goes to strawberry, which answers with the usual error).

Rendered edges (cursor and node) and nodes are kept as JSON bytes per (selection, language,
order) and factory while the data version stays the same (`Renderings`, bounded in bytes,
oldest dropped first): a node depends only on its projection row, the questions and the country
programmes, all of which change only with the version, and a cursor only on the row and the
order. The page's keys are read every time (one keyset query, from a statement built once per
filter, order and day), so a page after any cursor costs that query and a join of bytes; the
total per filter and day is kept per version.

Golden mode (`PORTAL_COMPILED_CHECK=1`; on in the test suite): strawberry answers every request
the executor could answer too, and the two answers must be the same bytes, status and headers;
a difference is logged, counted in `mismatches` and answered with 500.
"""

from __future__ import annotations

import logging
import secrets
from collections import OrderedDict, deque
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import orjson
import strawberry
from graphql import GraphQLError, GraphQLSchema
from graphql.execution.values import get_argument_values, get_variable_values
from strawberry.utils.str_converters import to_camel_case

from ..domain.errors import PortalError
from ..domain.labels import negotiate as negotiate_language
from ..domain.publication import PublicFactory
from ..resolvers import factories as factory_reads
from ..resolvers.issues import catalogue
from ..storage.db import Sessions
from ..storage.hot_reads import HotReads
from .http.asgi import graphql_request, header_map, read_body
from .compiled_plan import ConnectionPlan, EdgePlan, Env, Plan, Unsupported, compile_plan
from .http.view import JSON, negotiate
from .extensions.limits import MAX_COST, Measure, measure, over_budget
from .types.query import FactoryFilter, FactoryOrder, list_arguments
from .http.answer_cache import VERSION_STATE
from .types.public import PageInfo

log = logging.getLogger(__name__)

Answer = tuple[int, list[tuple[bytes, bytes]], bytes]


class Renderings:
    """Edges and nodes rendered as JSON bytes, for one data version, at most `max_bytes` of them
    (the oldest dropped first). Grouped by what they were rendered for (a selection, language and
    order), each group a dict by factory key: a page looks up plain ints."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.groups: dict[tuple, dict[int, bytes]] = {}
        self.order: deque[tuple[dict[int, bytes], int]] = deque()  # for dropping the oldest

    def group(self, key: tuple) -> dict[int, bytes]:
        found = self.groups.get(key)
        if found is None:
            found = self.groups[key] = {}
        return found

    def put(self, group: dict[int, bytes], pk: int, rendered: bytes) -> None:
        if len(rendered) > self.max_bytes:
            return
        group[pk] = rendered
        self.order.append((group, pk))
        self.size += len(rendered)
        while self.size > self.max_bytes:
            oldest, oldest_pk = self.order.popleft()
            dropped = oldest.pop(oldest_pk, None)
            self.size -= len(dropped) if dropped is not None else 0

    def clear(self) -> None:
        self.groups.clear()
        self.order.clear()
        self.size = 0


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
        self.schema: GraphQLSchema = schema._schema
        self.factories_field = self.schema.query_type.fields["factories"]
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
        self.renderings = Renderings(render_cache_bytes)
        self.version: int | None = None
        self.catalogue: tuple[dict, dict] = ({}, {})
        self.shared: dict[tuple, Any] = {}
        self.totals: dict[tuple[Any, date], int] = {}
        self.node_counts: dict[tuple[Plan, tuple], Measure] = {}
        self.answered = 0  # by plan
        # Stands for a rendered list until the answer is joined (`_spliced`): random, so that no
        # text of the data can be taken for it.
        self.marker = secrets.token_hex(8)
        self.mismatches: list[str] = []

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path or scope["method"] != "POST":
            return await self.app(scope, receive, send)
        headers = header_map(scope)
        content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        media_type = negotiate(headers.get(b"accept", b"").decode("latin-1"))
        if b"authorization" in headers or content_type != JSON.encode() or media_type is None:
            return await self.app(scope, receive, send)
        body, receive = await read_body(receive, self.max_body_bytes)
        request = graphql_request(body) if body is not None else None
        if request is None:
            return await self.app(scope, receive, send)
        query, operation_name, variables = request
        try:
            plan = compile_plan(query, operation_name)
        except Unsupported:
            return await self.app(scope, receive, send)

        document = (query, operation_name)
        vetted = document in self.vetted
        if not vetted and not self.golden:
            answer = await self._strawberry(scope, receive, send)
            if _succeeded(answer):
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
            answer = _response(body, media_type)
        status, response_headers, response_body = answer
        await send({"type": "http.response.start", "status": status, "headers": response_headers})
        await send({"type": "http.response.body", "body": response_body})

    def _vet(self, document: tuple[str, str | None]) -> None:
        self.vetted[document] = None
        while len(self.vetted) > self.max_documents:
            self.vetted.popitem(last=False)

    async def _strawberry(self, scope, receive, send=None) -> Answer:
        """Strawberry's answer, captured (and passed on to `send`, when given)."""
        captured: dict[str, Any] = {"status": 500, "headers": [], "body": b""}

        async def capture(message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")
            if send is not None:
                await send(message)

        await self.app(scope, receive, capture)
        return captured["status"], captured["headers"], captured["body"]

    async def _check(self, document, vetted: bool, scope, receive, plan, variables, language, media_type) -> Answer:
        reference = await self._strawberry(scope, receive)
        if _succeeded(reference):
            self._vet(document)
        elif not vetted:
            return reference  # not vetted: the executor would not have run
        body = await self._execute(plan, variables, language, scope)
        if body is None:
            return reference
        self.answered += 1
        answer = _response(body, media_type)
        if answer[0] == reference[0] and answer[2] == reference[2] and sorted(answer[1]) == sorted(reference[1]):
            return answer
        difference = f"compiled executor and strawberry differ on {document[0]!r}:\n{answer!r}\n{reference!r}"
        log.error(difference)
        self.mismatches.append(difference)
        message = b'{"errors":[{"message":"The compiled executor disagrees with strawberry.","extensions":{"code":"INTERNAL"}}]}'
        return 500, [(b"content-type", JSON.encode()), (b"content-length", str(len(message)).encode())], message

    async def _execute(self, plan: Plan, variables: dict[str, Any], language: str, scope) -> bytes | None:
        """The answer's bytes, or None when strawberry should answer (with its error)."""
        try:
            coerced = get_variable_values(self.schema, plan.operation.variable_definitions or (), variables)
            if isinstance(coerced, list):
                return None
            if over_budget(self._counted(plan, variables), self.max_query_nodes, self.max_query_cost):
                return None
            lists: list[list[bytes]] = []
            version = scope.get("state", {}).get(VERSION_STATE)
            env = await self._env(language, await self.hot.data_version() if version is None else version)
            today = self.clock().date()
            data = {}
            for key, connection in plan.roots:
                data[key] = "Query" if connection is None else await self._connection(connection, coerced, env, today, lists)
        except (PortalError, GraphQLError):
            return None  # a client's mistake: strawberry says which
        except Exception:
            log.exception("the compiled executor failed; strawberry answers")
            return None
        return self._spliced(orjson.dumps({"data": data}), lists)

    def _counted(self, plan: Plan, variables: dict[str, Any]) -> Measure:
        """The query budget's count, kept per plan and what of the variables moves it: numbers
        (`first`) and whether a filter or string has a search (a cursor's value moves nothing)."""
        key = (plan, tuple(sorted((k, _counted_as(v)) for k, v in variables.items())))
        counted = self.node_counts.get(key)
        if counted is None:
            if len(self.node_counts) > 4096:
                self.node_counts.clear()
            name = plan.operation.name.value if plan.operation.name else None
            counted = self.node_counts[key] = measure(self.schema, plan.document, name, variables)
        return counted

    async def _env(self, language: str, version: int) -> Env:
        if version != self.version:
            self.renderings.clear()
            self.totals.clear()
            self.catalogue = await catalogue(self.sessions)
            self.shared = {}
            self.version = version
        questions, countries = self.catalogue
        return Env(language, questions, countries, self.shared)

    async def _connection(self, plan: ConnectionPlan, variables, env: Env, today: date, lists: list) -> dict[str, Any]:
        arguments = get_argument_values(self.factories_field, plan.field, variables)
        first, spec, order = list_arguments(
            arguments.get("first"), _input(FactoryFilter, arguments.get("filter")), _input(FactoryOrder, arguments.get("orderBy"))
        )
        page = await factory_reads.key_page(self.hot, first, arguments.get("after"), spec, order, today)
        pks = [pk for pk, _ in page.keys]
        result: dict[str, Any] = {}
        for key, what, sub in plan.selection:
            if what == "totalCount":
                result[key] = await self._total(spec, today)
            elif what == "edges":
                rows = dict(page.keys)

                def edge(pk: int, factory: PublicFactory, sub: EdgePlan = sub) -> dict[str, Any]:
                    return {
                        k: page.cursor(rows[pk]) if w == "cursor" else p.render(factory, env) if w == "node" else "FactoryEdge"
                        for k, w, p in sub.selection
                    }

                result[key] = await self._list(pks, (sub, env.language, order), edge, lists)
            elif what == "nodes":
                result[key] = await self._list(pks, (sub, env.language), lambda pk, f, sub=sub: sub.render(f, env), lists)
            elif what == "pageInfo":
                ends = [page.cursor(page.keys[0][1]), page.cursor(page.keys[-1][1])] if page.keys else []
                info = PageInfo.of(ends, has_next=page.has_next, has_previous=page.has_previous)
                result[key] = sub.render(info, env)
            else:
                result[key] = "FactoryConnection"
        return result

    async def _list(self, pks: list[int], group_key: tuple, render, lists: list[list[bytes]]) -> str:
        """A list of one rendering per factory: kept ones as they are, the others rendered from
        the factories read in one statement, and kept. It goes into `lists`; the answer holds a
        marker that `_spliced` replaces with it."""
        group = self.renderings.group(group_key)
        parts = [group.get(pk) for pk in pks]
        missing = [pk for pk, part in zip(pks, parts) if part is None]
        if missing:
            rendered = {}
            for pk, factory in (await factory_reads.factories_by_pk(self.hot, missing)).items():
                rendered[pk] = orjson.dumps(render(pk, factory))
                self.renderings.put(group, pk, rendered[pk])
            parts = [part if part is not None else rendered[pk] for pk, part in zip(pks, parts)]
        lists.append(parts)
        return self._marker(len(lists) - 1)

    def _marker(self, n: int) -> str:
        return f"\x00{self.marker}{n}\x00"

    def _spliced(self, body: bytes, lists: list[list[bytes]]) -> bytes:
        """The answer with each list marker replaced by its list, in one join: a page is a few
        hundred kilobytes, and every concatenation or serialisation of it is another copy."""
        if not lists:
            return body
        markers = [orjson.dumps(self._marker(n)) for n in range(len(lists))]
        found = sorted((body.index(marker), n) for n, marker in enumerate(markers))
        pieces, at = [], 0
        for position, n in found:
            pieces.append(body[at:position])
            parts = lists[n]
            pieces.append(b"[")
            for index, part in enumerate(parts):
                if index:
                    pieces.append(b",")
                pieces.append(part)
            pieces.append(b"]")
            at = position + len(markers[n])
        pieces.append(body[at:])
        return b"".join(pieces)

    async def _total(self, spec, today: date) -> int:
        key = (spec, today)
        if key not in self.totals:
            self.totals[key] = await factory_reads.count(self.hot, spec, today)
        return self.totals[key]


def _counted_as(value: Any) -> Any:
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, dict):
        return bool(value.get("search"))
    return bool(value) if isinstance(value, str) else None


def _input(cls, values: dict[str, Any] | None):
    """A strawberry input object from graphql-core's coerced values (keys in camelCase)."""
    if values is None:
        return None
    fields = cls.__strawberry_definition__.fields
    return cls(**{f.python_name: values[to_camel_case(f.python_name)] for f in fields if to_camel_case(f.python_name) in values})


def _succeeded(answer: Answer) -> bool:
    return answer[0] == 200 and b'"errors"' not in answer[2]


def _response(body: bytes, media_type: str) -> Answer:
    # As strawberry's view answers (schema/http.py: create_response), so that golden mode can compare.
    return (
        200,
        [
            (b"vary", b"Accept"),
            (b"content-length", str(len(body)).encode()),
            (b"content-type", f"{media_type}; charset=utf-8".encode()),
        ],
        body,
    )
