"""What every resolver can reach: the database, the request's loaders, and the date of 'today'.

Built in one place (`build_context`) for the view (http/endpoint.py) and for the fast path's
node renderings (fastpath/render.py), so that an anonymous request and a rendering kept for it
see the same context."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import strawberry

from ..domain.access import Principal
from ..domain.labels import negotiate_language
from ..resolvers.loaders import Loaders
from ..storage.db import Sessions
from ..storage.event_bus import EventBus
from ..storage.objects import ObjectStore
from ..workflows.responses import Limits


@dataclass
class Context:
    sessions: Sessions
    loaders: Loaders
    now: datetime
    request_id: str
    # The server's clock (tests move it): for steps that read the time again, after waiting.
    clock: Callable[[], datetime]
    store: ObjectStore
    limits: Limits
    # None: an anonymous request, which sees only public data.
    principal: Principal | None = None
    # The bearer token `principal` came from: a subscription checks it again as it runs.
    token: str | None = None
    # A WebSocket connection's connection_init payload (strawberry sets it; http/endpoint.py reads
    # the token there).
    connection_params: dict | None = None
    # What mutations publish on and subscriptions listen to (storage/event_bus.py); None where
    # nothing is published (the fast path's public reads).
    bus: EventBus | None = None
    base_url: str = ""
    # From Accept-Language; a field's own `lang` argument wins over it.
    language: str = "en"
    # The node budget of schema.limits.NodeBudget (PORTAL_MAX_QUERY_NODES).
    max_query_nodes: int | None = None
    # The work-cost budget of the same extension (PORTAL_MAX_QUERY_COST).
    max_query_cost: int | None = None
    # Production: anonymous clients may not introspect (schema.introspection.IntrospectionGate).
    introspection_closed: bool = False
    request: object = None
    response: object = None

    @property
    def today(self) -> date:
        return self.now.date()

    def language_for(self, lang: str | None) -> str:
        return negotiate_language(None, lang) if lang else self.language
    # Set once the operation parsed and validated (schema.errors.ExecutionMarker).
    executed: bool = False


Info = strawberry.Info[Context, None]


def build_context(
    sessions: Sessions,
    clock: Callable[[], datetime],
    *,
    language: str,
    now: datetime | None = None,
    principal: Principal | None = None,
    store: ObjectStore | None = None,
    limits: Limits | None = None,
    **request: Any,
) -> Context:
    """A request's context, at `now` (by default the clock's time): fresh loaders for that day and
    a new request id. The rest (`base_url`, budgets, the HTTP request and response) as the view
    passes it; the fast path passes none of it, as an anonymous request that writes nothing."""
    now = clock() if now is None else now
    return Context(
        sessions=sessions, loaders=Loaders(sessions, now.date()), now=now, clock=clock, request_id=uuid.uuid4().hex,
        store=store, limits=limits, principal=principal, language=language, **request,
    )
