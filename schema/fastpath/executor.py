"""The compiled executor: the public factory list answered without graphql-core's execution.

ASGI middleware in front of strawberry's view (inside the response cache). A request takes this
path when all of these hold, and otherwise strawberry answers it as always:

- POST with a JSON body, no Authorization header, an Accept the view can answer;
- its document has a plan (`plan.py`: the envelope; the nodes' selection within the
  public graph's kept types) and strawberry has answered that document once
  without errors: validation, depth, alias and token limits depend on the document alone, so
  they hold ever after; the node budget depends on `first`, so it is counted per request;
- its variables coerce, and its arguments are good (a malformed cursor or `first` out of range
  goes to strawberry, which answers with the usual error).

The executor answers the envelope (keyset page, cursors, `pageInfo`, `totalCount`) itself; each
node is strawberry's own rendering (`render.py`: one execution of the node selection for
all the factories a page misses). Rendered edges (cursor and node) and nodes are kept as JSON
bytes per (selection, language, day, order for edges, the catalogue's digest) and factory row
version (`Renderings`, bounded in bytes, oldest dropped first): a node depends only on its
projection row, whose `row_version` moves when that factory's public document changes, and on
the questions and country programmes (the catalogue, re-read with each data version and kept by
its digest), and a cursor only on the row and the order. An import or a decision re-renders
the factories it changed, not the list. The page's keys are read every time (one
keyset query, from a statement built once per filter, order and day), so a page after any cursor
costs that query and a join of bytes; the total per filter and day is kept per version.

The arguments of `factories` are converted as strawberry converts them for its resolver and all
passed on to `list_arguments`; if the field defines one `list_arguments` does not take, the
executor stays off (every request goes to strawberry) rather than drop it.

Golden mode (`PORTAL_COMPILED_CHECK=1`; on in the test suite): strawberry answers every request
the executor could answer too, and the two answers must be the same bytes, status and headers;
a difference is logged, counted in `mismatches` and answered with 500.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
import secrets
from collections import OrderedDict, deque
from collections.abc import Callable
from datetime import date, datetime
from functools import lru_cache, partial
from typing import Any

import orjson
import strawberry
from graphql import GraphQLError, GraphQLField, GraphQLSchema
from graphql.execution.values import get_argument_values, get_variable_values
from strawberry.types.arguments import convert_arguments

from ...domain.errors import PortalError
from ...domain.labels import negotiate_language
from ...resolvers import factories as factory_reads
from ...resolvers.issues import catalogue
from ...storage.db import Sessions
from ...storage.hot_reads import HotReads
from .plan import (
    ConnectionPlan,
    EdgePlan,
    NodeSelection,
    Plan,
    Unsupported,
    compile_plan,
)
from ..extensions.limits import MAX_COST, Measure, measure, over_budget
from .render import RenderFailed, render_nodes
from ..http.answer_cache import VERSION_STATE
from ..http.asgi import graphql_request, header_map, read_body
from ..http.view import JSON, negotiate_media_type
from ..types.factory_list import list_arguments
from ..types.public import PageInfo

log = logging.getLogger(__name__)

Answer = tuple[int, list[tuple[bytes, bytes]], bytes]


class Renderings:
    """Edges and nodes rendered as JSON bytes, at most `max_bytes` of them (the oldest dropped
    first). Grouped by what they were rendered for (a selection, language, day, order, catalogue),
    each group a dict by the row key of `factories.key_page`: (factory, valid from, row version)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.groups: dict[tuple, dict[tuple, bytes]] = {}
        self.order: deque[tuple[dict[tuple, bytes], int]] = deque()  # for dropping the oldest

    def group(self, key: tuple) -> dict[tuple, bytes]:
        found = self.groups.get(key)
        if found is None:
            found = self.groups[key] = {}
        return found

    def put(self, group: dict[tuple, bytes], pk: tuple, rendered: bytes) -> None:
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
        self.strawberry_schema = schema
        self.schema: GraphQLSchema = schema._schema
        self.factories_field = self.schema.query_type.fields["factories"]
        self.arguments = passed_arguments(self.factories_field)
        if self.arguments is None:
            log.warning("`factories` has an argument list_arguments does not take: the compiled executor is off")
        else:
            self.compile = lru_cache(maxsize=512)(partial(compile_plan, self.schema, self.arguments))
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
        self.catalogue_digest = ""
        self.totals: dict[tuple[Any, date], int] = {}
        self.node_counts: dict[tuple[Plan, tuple], Measure] = {}
        self.answered = 0  # by plan
        self.rendered = 0  # nodes strawberry rendered for the plan (renderings missed)
        # Stands for a rendered list until the answer is joined (`_spliced`): random, so that no
        # text of the data can be taken for it.
        self.marker = secrets.token_hex(8)
        self.mismatches: list[str] = []

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path or scope["method"] != "POST" or self.arguments is None:
            return await self.app(scope, receive, send)
        headers = header_map(scope)
        content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        media_type = negotiate_media_type(headers.get(b"accept", b"").decode("latin-1"))
        if b"authorization" in headers or content_type != JSON.encode() or media_type is None:
            return await self.app(scope, receive, send)
        body, receive = await read_body(receive, self.max_body_bytes)
        request = graphql_request(body) if body is not None else None
        if request is None:
            return await self.app(scope, receive, send)
        query, operation_name, variables = request
        try:
            plan = self.compile(query, operation_name)
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
            version = scope.get("state", {}).get(VERSION_STATE)
            await self._follow(await self.hot.data_version() if version is None else version)
            request = _PageRequest(self.clock(), language, self.marker)
            data = {}
            for key, connection in plan.roots:
                data[key] = "Query" if connection is None else await self._connection(connection, coerced, request)
        except (PortalError, GraphQLError, RenderFailed):
            return None  # a client's mistake, or data strawberry answers with an error: it says which
        except Exception:
            log.exception("the compiled executor failed; strawberry answers")
            return None
        return self._spliced(orjson.dumps({"data": data}), request.lists)

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

    async def _follow(self, version: int) -> None:
        """Totals and the catalogue the renderings' loaders start with hold for one data version.
        Renderings outlive it: each is kept under its factory's row version (bumped only when
        that factory's public document changes) and the catalogue's digest, so an import or a
        decision re-renders the factories it changed, not the whole list."""
        if version != self.version:
            self.totals.clear()
            self.catalogue = await catalogue(self.sessions)
            self.catalogue_digest = _digest(self.catalogue)
            self.version = version

    def _list_arguments(self, plan: ConnectionPlan, variables) -> tuple[str | None, tuple]:
        """`after`, and what `list_arguments` makes of every other argument of `factories`,
        converted as strawberry converts them for the field's resolver."""
        values = get_argument_values(self.factories_field, plan.field, variables)
        definition = self.factories_field.extensions["strawberry-definition"]
        converter = self.strawberry_schema.schema_converter
        arguments = convert_arguments(values, definition.arguments, converter.scalar_registry, self.strawberry_schema.config)
        after = arguments.pop("after", None)
        return after, list_arguments(**arguments)

    async def _connection(self, plan: ConnectionPlan, variables, request: _PageRequest) -> dict[str, Any]:
        after, (first, spec, order) = self._list_arguments(plan, variables)
        today = request.now.date()
        page = await factory_reads.key_page(self.hot, first, after, spec, order, today)
        pks = [pk for pk, _ in page.keys]
        result: dict[str, Any] = {}
        for key, what, sub in plan.selection:
            if what == "totalCount":
                result[key] = await self._total(spec, today)
            elif what == "edges":
                result[key] = request.add(await self._edges(sub, page, request))
            elif what == "nodes":
                result[key] = request.add(await self._nodes(sub, pks, request))
            elif what == "pageInfo":
                ends = [page.cursor(page.keys[0][1]), page.cursor(page.keys[-1][1])] if page.keys else []
                result[key] = sub.render(PageInfo.of(ends, has_next=page.has_next, has_previous=page.has_previous))
            else:
                result[key] = "FactoryConnection"
        return result

    async def _nodes(self, selection: NodeSelection, pks: list[int], request: _PageRequest) -> list[bytes]:
        """One rendering per factory: kept ones as they are, the others rendered by strawberry in
        one execution over the factories read in one statement, and kept."""
        group = self.renderings.group((selection, request.language, request.now.date(), self.catalogue_digest))
        parts = [group.get(pk) for pk in pks]
        missing = [pk for pk, part in zip(pks, parts) if part is None]
        if not missing:
            return parts
        views = await factory_reads.factories_by_pk(self.hot, missing)
        found = [pk for pk in missing if pk in views]
        rendered = dict(
            zip(
                found,
                await render_nodes(
                    selection, [views[pk] for pk in found], sessions=self.sessions, now=request.now,
                    language=request.language, catalogue=self.catalogue,
                ),
            )
        )
        self.rendered += len(rendered)
        for pk, part in rendered.items():
            self.renderings.put(group, pk, part)
        return [part if part is not None else rendered[pk] for pk, part in zip(pks, parts)]

    async def _edges(self, plan: EdgePlan, page, request: _PageRequest) -> list[bytes]:
        """One edge per factory, kept per order too (its cursor): a node's bytes inside it as they
        were rendered."""
        group = self.renderings.group((plan, request.language, request.now.date(), page.order, self.catalogue_digest))
        pks = [pk for pk, _ in page.keys]
        parts = [group.get(pk) for pk in pks]
        missing = [(index, pk) for index, (pk, part) in enumerate(zip(pks, parts)) if part is None]
        if not missing:
            return parts
        missing_pks = [pk for _, pk in missing]
        nodes = {
            key: dict(zip(missing_pks, await self._nodes(selection, missing_pks, request)))
            for key, what, selection in plan.selection
            if what == "node"
        }
        for index, pk in missing:
            edge = {}
            for key, what, _ in plan.selection:
                if what == "cursor":
                    edge[key] = page.cursor(page.keys[index][1])
                elif what == "node":
                    edge[key] = orjson.Fragment(nodes[key][pk])
                else:
                    edge[key] = "FactoryEdge"
            parts[index] = orjson.dumps(edge)
            self.renderings.put(group, pk, parts[index])
        return parts


    def _spliced(self, body: bytes, lists: list[list[bytes]]) -> bytes:
        """The answer with each list marker replaced by its list, in one join: a page is a few
        hundred kilobytes, and every concatenation or serialisation of it is another copy."""
        if not lists:
            return body
        markers = [orjson.dumps(_marker(self.marker, n)) for n in range(len(lists))]
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


def _marker(marker: str, n: int) -> str:
    return f"\x00{marker}{n}\x00"


class _PageRequest:
    """What one request's rendering needs: its time and language, and the lists of renderings
    its answer holds as markers until `_spliced` joins them in."""

    __slots__ = ("language", "lists", "marker", "now")

    def __init__(self, now: datetime, language: str, marker: str) -> None:
        self.now = now
        self.language = language
        self.marker = marker
        self.lists: list[list[bytes]] = []

    def add(self, parts: list[bytes]) -> str:
        self.lists.append(parts)
        return _marker(self.marker, len(self.lists) - 1)


def passed_arguments(field: GraphQLField) -> frozenset[str] | None:
    """The GraphQL names of the `factories` arguments, when the fast path passes each on
    (`after` to the keyset page, every other one to `list_arguments`); None when one of them
    would be dropped."""
    definition = field.extensions["strawberry-definition"]
    taken = set(inspect.signature(list_arguments).parameters) | {"after"}
    if any(argument.python_name not in taken for argument in definition.arguments):
        return None
    return frozenset(field.args)


def _digest(catalogue: tuple[dict, dict]) -> str:
    """The same questions and programmes give the same digest in every process and version."""
    questions, countries = catalogue
    return hashlib.sha256(repr((sorted(questions.items()), sorted(countries.items()))).encode()).hexdigest()


def _counted_as(value: Any) -> Any:
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, dict):
        return bool(value.get("search"))
    return bool(value) if isinstance(value, str) else None


def _succeeded(answer: Answer) -> bool:
    return answer[0] == 200 and b'"errors"' not in answer[2]


def _response(body: bytes, media_type: str) -> Answer:
    # As strawberry's view answers (schema/http/view.py: create_response), so that golden mode can compare.
    return (
        200,
        [
            (b"vary", b"Accept"),
            (b"content-length", str(len(body)).encode()),
            (b"content-type", f"{media_type}; charset=utf-8".encode()),
        ],
        body,
    )
