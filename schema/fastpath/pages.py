"""The list's pages as the fast path answers them (`executor.py` takes the request, this the page).

The envelope is built here (keyset page, cursors, `pageInfo`, `totalCount`); each node is
strawberry's own rendering (`render.py`: the schema's own resolvers run by the node selection's
plan, `node_plan.py`, or one execution of the selection by strawberry, for all the factories a
page misses), kept between requests by factory row version (`renderings.py`), so an import or a
decision re-renders the factories it changed, not the list. A page's row keys come from the list
kept in memory when it is asked for page after page (`storage/page_index.py`), else from one
keyset query (a statement built once per filter, order and day); the total per filter and day is
kept per data version.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import orjson
import strawberry

from ...resolvers import factories as factory_reads
from ...resolvers.issues import catalogue
from ...storage.db import Sessions
from ...storage.hot_reads import HotReads
from ...storage.page_index import PageIndex
from ..types.public import PageInfo
from .arguments import page_arguments
from .plan import ConnectionPlan, EdgePlan, NodeSelection
from .render import render_nodes
from .renderings import PageRequest, Renderings, digest


class ListPages:
    """What the pages of the list keep between requests, and how one is built."""

    def __init__(
        self, schema: strawberry.Schema, hot: HotReads, sessions: Sessions, clock: Callable[[], datetime], render_cache_bytes: int
    ) -> None:
        self.schema = schema
        self.factories_field = schema._schema.query_type.fields["factories"]
        self.hot = hot
        self.sessions = sessions
        self.clock = clock
        self.renderings = Renderings(render_cache_bytes)
        self.page_index = PageIndex()
        self.version: int | None = None
        self.catalogue: tuple[dict, dict] = ({}, {})
        self.catalogue_digest = ""
        self.totals: dict[tuple[Any, date], int] = {}
        self.rendered = 0  # nodes rendered (renderings missed)
        self.planned = 0  # of those, by a node plan rather than by strawberry (`render.py`)

    async def follow(self, version: int) -> None:
        """Totals and the catalogue the renderings' loaders start with hold for one data version.
        Renderings outlive it: each is kept under its factory's row version (bumped only when
        that factory's public document changes) and the catalogue's digest, so an import or a
        decision re-renders the factories it changed, not the whole list."""
        if version != self.version:
            self.totals.clear()
            self.catalogue = await catalogue(self.sessions)
            self.catalogue_digest = digest(self.catalogue)
            self.version = version

    async def connection(self, plan: ConnectionPlan, variables, request: PageRequest, version: int) -> dict[str, Any]:
        after, (first, spec, order) = page_arguments(
            self.schema, self.factories_field, plan.field, variables, plan.converted
        )
        today = request.now.date()
        page = await factory_reads.key_page(self.hot, first, after, spec, order, today, self.page_index, version)
        result: dict[str, Any] = {}
        for key, what, sub in plan.selection:
            if what == "totalCount":
                result[key] = await self._total(spec, today)
            elif what == "edges":
                result[key] = request.add(await self._edges(sub, page, request))
            elif what == "nodes":
                result[key] = request.add(await self._nodes(sub, page.keys, request))
            elif what == "pageInfo":
                ends = [page.cursor(page.rows[0]), page.cursor(page.rows[-1])] if page.rows else []
                page_info = PageInfo.of(ends, has_next=page.has_next, has_previous=page.has_previous)
                result[key] = sub.render([page_info], None)[0]
            else:
                result[key] = "FactoryConnection"
        return result

    async def _nodes(self, selection: NodeSelection, pks: list[int], request: PageRequest) -> list[bytes]:
        """One rendering per factory: kept ones as they are, the others rendered (`_render`) and kept."""
        group = self.renderings.group((selection, request.language, request.now.date(), self.catalogue_digest))
        parts, complete = self.renderings.found(group, pks)
        if complete:
            return parts
        missing = [pk for pk, part in zip(pks, parts) if part is None]
        rendered = await self._render(selection, missing, request)
        for pk, part in rendered.items():
            self.renderings.put(group, pk, part)
        return [part if part is not None else rendered[pk] for pk, part in zip(pks, parts)]

    async def _render(self, selection: NodeSelection, pks: list, request: PageRequest) -> dict:
        """Strawberry's rendering of these factories' nodes (by the selection's plan, or by one
        execution) over the factories read in one statement."""
        views = await factory_reads.factories_by_pk(self.hot, pks)
        found = [pk for pk in pks if pk in views]
        rendered = await render_nodes(
            selection, [views[pk] for pk in found], sessions=self.sessions, now=request.now, clock=self.clock,
            language=request.language, catalogue=self.catalogue,
        )
        self.rendered += len(found)
        self.planned += len(found) if rendered.by_plan else 0
        return dict(zip(found, rendered.nodes))

    async def _edges(self, plan: EdgePlan, page, request: PageRequest) -> list[bytes]:
        """One edge per factory, kept per order too (its cursor): a node's bytes inside it as they
        were rendered."""
        group = self.renderings.group((plan, request.language, request.now.date(), page.order, self.catalogue_digest))
        parts, complete = self.renderings.found(group, page.keys)
        if complete:
            return parts
        missing = [(index, pk) for index, (pk, part) in enumerate(zip(page.keys, parts)) if part is None]
        missing_pks = [pk for _, pk in missing]
        # Rendered for the edge and kept inside it only: kept as nodes too, every factory would
        # take twice the memory, and past the bound the oldest go first, so a list larger than
        # half the bound would miss on every page.
        nodes = {
            key: await self._render(selection, missing_pks, request) for key, what, selection in plan.selection if what == "node"
        }
        for index, pk in missing:
            edge = {}
            for key, what, _ in plan.selection:
                if what == "cursor":
                    edge[key] = page.cursor(page.rows[index])
                elif what == "node":
                    edge[key] = orjson.Fragment(nodes[key][pk])
                else:
                    edge[key] = "FactoryEdge"
            parts[index] = orjson.dumps(edge)
            self.renderings.put(group, pk, parts[index])
        return parts

    async def _total(self, spec, today: date) -> int:
        key = (spec, today)
        if key not in self.totals:
            self.totals[key] = await factory_reads.count(self.hot, spec, today)
        return self.totals[key]

