"""What every resolver can reach: the database, the request's loaders, and the date of 'today'."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import strawberry

from ..resolvers.loaders import Loaders
from ..storage.db import Sessions


@dataclass
class Context:
    sessions: Sessions
    loaders: Loaders
    today: date
    request_id: str
    request: object = None
    response: object = None
    # Set once the operation parsed and validated (schema.errors.ExecutionMarker).
    executed: bool = False


Info = strawberry.Info[Context, None]
