"""What every resolver can reach: the database, the request's loaders, and the date of 'today'."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

import strawberry

from ..domain.access import Principal
from ..domain.labels import negotiate_language
from ..resolvers.loaders import Loaders
from ..storage.db import Sessions
from ..workflows.attachments import FileStore
from ..workflows.responses import Limits


@dataclass
class Context:
    sessions: Sessions
    loaders: Loaders
    now: datetime
    request_id: str
    # The server's clock (tests move it): for steps that read the time again, after waiting.
    clock: Callable[[], datetime]
    store: FileStore
    limits: Limits
    # None: an anonymous request, which sees only public data.
    principal: Principal | None = None
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
