"""Nodes of the public list rendered as strawberry renders them, for the fast path (`executor.py`).

Two ways, one answer. A node selection compiled over the schema's own resolvers
(`node_plan.py`, when it compiles) is run first: the same resolvers on the same `Factory`
objects in the same context, without graphql-core's execution (a tenth of its cost). If it
cannot be compiled, or a batch meets what the plan leaves to strawberry (`Unrenderable`),
strawberry itself renders the batch: a second strawberry schema, built from the very types of
the public graph, whose one root field `render` returns the factories it is given (its root
value), runs the node's selection (`plan.NodeSelection`) once for all the factories a page
misses. Either way in an anonymous context built as the view builds it (`context.build_context`),
serialised with orjson as the view does. Golden mode (`executor.py`) compares with the view.

Speed, for the warm-up after a start or a change: the request's loaders are primed with the page's
factories and the catalogue (questions and country programmes, read once per data version), and
the schema's async resolvers are started eagerly (`_eager`): one whose loader already holds its
value completes at once, and graphql-core takes the synchronous path for it instead of an
awaitable per field (a page of 100 factories with 26 findings each: 4x faster).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import NamedTuple

import orjson
import strawberry
from strawberry.extensions import ParserCache, ValidationCache

from ...domain.programme import CountryProgramme, Question
from ...domain.publication import PublicFactory
from ...storage.db import Sessions
from ..context import Context, Info, build_context
from ..types.public import Factory
from .completion import Unrenderable
from .plan import RENDER_FIELD, NodeSelection

log = logging.getLogger(__name__)


class RenderFailed(Exception):
    """Strawberry answered a node with errors: the whole request goes to strawberry, which says which."""


@strawberry.type
class RenderQuery:
    @strawberry.field(name=RENDER_FIELD)
    def render(self, info: Info) -> list[Factory]:
        return info.root_value  # `Factory` objects, the same the plan renders


class _RenderSchema(strawberry.Schema):
    def process_errors(self, errors, execution_context=None) -> None:
        return None  # RenderFailed: the request is answered by strawberry's view, which reports


def _eager(resolve):
    """`resolve`, with a coroutine it returns run at once: its value when it completes without
    waiting, else an awaitable that goes on from where it stopped."""

    def run(source, info, **arguments):
        result = resolve(source, info, **arguments)
        if not inspect.iscoroutine(result):
            return result
        try:
            waiting = _taken(result.send(None))
        except StopIteration as done:
            return done.value
        return _resumed(result, waiting)

    return run


async def _resumed(coroutine, waiting):
    """Drives `coroutine` on as a task would: it stopped on `waiting` (a future, or None for a
    bare yield); once that is done the coroutine reads its outcome itself."""
    while True:
        try:
            await (asyncio.sleep(0) if waiting is None else waiting)
        except BaseException:
            if waiting is None or not waiting.done():  # this task was cancelled: stop the coroutine too
                coroutine.close()
                raise
        try:
            waiting = _taken(coroutine.send(None))
        except StopIteration as done:
            return done.value


def _taken(waiting):
    """A future a coroutine stopped on, taken as a task takes it at once (asyncio refuses a second
    wait on a future still marked as handed over)."""
    if getattr(waiting, "_asyncio_future_blocking", False):
        waiting._asyncio_future_blocking = False
    return waiting


def _eagerly(schema: strawberry.Schema) -> strawberry.Schema:
    for graphql_type in schema._schema.type_map.values():
        for field in getattr(graphql_type, "fields", {}).values() if not graphql_type.name.startswith("__") else ():
            if getattr(field, "resolve", None) is not None:
                field.resolve = _eager(field.resolve)
    return schema


render_schema = _eagerly(_RenderSchema(query=RenderQuery, extensions=[ParserCache, ValidationCache]))


class Rendered(NamedTuple):
    nodes: list[bytes]
    by_plan: bool  # False: strawberry rendered them


async def render_nodes(
    selection: NodeSelection,
    views: list[PublicFactory],
    *,
    sessions: Sessions,
    now: datetime,
    clock: Callable[[], datetime],
    language: str,
    catalogue: tuple[Mapping[str, Question], Mapping[str, CountryProgramme]] = ({}, {}),
) -> Rendered:
    """Each factory's node as JSON bytes, in the order given. `catalogue`: questions and country
    programmes by id, as the loaders would read them (`resolvers.issues.catalogue`)."""
    context = _primed(build_context(sessions, clock, now=now, language=language), views, catalogue)
    factories = [Factory.of(view) for view in views]
    if selection.plan is not None:
        try:
            return Rendered([orjson.dumps(node) for node in selection.plan.render(factories, context)], True)
        except Unrenderable as why:
            log.debug("strawberry renders a batch the node plan left: %s", why)
    result = await render_schema.execute(selection.query, context_value=context, root_value=factories)
    if result.errors:
        raise RenderFailed(result.errors)
    return Rendered([orjson.dumps(node) for node in result.data[RENDER_FIELD]], False)


def _primed(context: Context, views: list[PublicFactory], catalogue) -> Context:
    """The context's loaders hold the page's factories and the catalogue: no resolver waits."""
    loaders = context.loaders
    loaders.prime_factories(views)
    questions, countries = catalogue
    for question in questions.values():
        loaders.question.prime(question.id, question)
    for country in countries.values():
        loaders.country.prime(country.code, country)
    return context
