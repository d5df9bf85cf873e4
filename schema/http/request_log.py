"""The request log: one line and one count per request, and the request's id.

`RequestLog` is run by `first_layers.py`, right after the request's headers are checked.
It gives every request an id (the client's `X-Request-Id` when it is sane: 1 to 128 visible ASCII
characters; else a random one), returns it in the `X-Request-Id` response header, and when the
answer is sent writes one line (request id, method, path, operation, status, duration, process
id) and counts the request in
`metrics.REQUESTS` and `metrics.LATENCY`. It never reads the body: the operation's name is set by
the layer that read the request (`name_operation`), in the request's one `RequestState`
(schema/http/request_state.py).

Metric labels must stay few (every label value is a time series, in every process): a request
is labelled by its GraphQL `operationName` when it has a sane one, else by the route's path
template (`/attachments/{id}`, never the id), and past `MAX_OPERATIONS` distinct names per process
by "other". The log line keeps the name itself.

Lines go through structlog and the standard library's logging (`configure_logging`), so that
uvicorn's own lines and ours have one format: JSON objects with PORTAL_LOG_FORMAT=json, lines for
people otherwise.
"""

from __future__ import annotations

import itertools
import logging.config
import os
import re
import secrets
import sys

import structlog

from .metrics import LATENCY, REQUESTS
from .request_state import RequestState, header_map, request_state

MAX_OPERATIONS = 200
OTHER = "other"
_SANE_ID = re.compile(rb"[\x21-\x7e]{1,128}")
# A GraphQL Name (the only thing an operationName can be), short enough for a label.
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,99}")

log = structlog.get_logger("transparency_portal.requests")


def name_operation(scope, name: str | None) -> None:
    """Called by the layer that parsed the request (cache, fast path, view) with its operationName."""
    if name:
        request_state(scope).operation = name if _NAME.fullmatch(name) else "(not a name)"


def resolved_document(scope) -> str | None:
    """The document the persisted-documents layer resolved for this request, if it did."""
    return request_state(scope).document


def request_id(scope) -> str | None:
    return request_state(scope).request_id


class _Labels:
    """Operation labels: at most `limit` distinct operation names per process, else a path the
    application serves (a route's template, never a path of the client's making)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.seen: set[str] = set()
        self.paths: frozenset[str] | None = None

    def __call__(self, scope, facts: RequestState) -> str:
        name = facts.operation
        if name is None:
            route = scope.get("route")  # set by Starlette's router when the request reached it
            if route is not None:
                return route.path
            return scope["path"] if scope["path"] in self._paths(scope) else OTHER
        if name in self.seen:
            return name
        if len(self.seen) >= self.limit:
            return OTHER
        self.seen.add(name)
        return name

    def _paths(self, scope) -> frozenset[str]:
        """The application's fixed paths, for requests a layer answered before the router."""
        if self.paths is None:
            routes = getattr(scope.get("app"), "routes", ())
            self.paths = frozenset({"/healthz", "/readyz"} | {r.path for r in routes if "{" not in getattr(r, "path", "{")})
        return self.paths


def outcome(status: int, graphql_errors: bool) -> str:
    if status == 429:
        return "rate_limited"
    if status >= 500:
        return "failed"
    if status >= 400:
        return "refused"
    return "error" if graphql_errors else "ok"


class RequestLog:
    """The request log's part of every HTTP request, run by `first_layers.FirstLayers`: `begin`
    when it arrives, the id header added to its answer, `end` when it is done, whatever answered.
    `lines`: write a line per request (`portal serve --no-access-log`: no); ids and metrics always."""

    def __init__(self, *, lines: bool = True, max_operations: int = MAX_OPERATIONS) -> None:
        self.lines = lines
        self.labels = _Labels(max_operations)
        # Made ids: unique, not secret (they are shown to the client): a random prefix per
        # process and a counter cost a tenth of a uuid4's read of the system's randomness.
        self.id_prefix = secrets.token_hex(8)
        self.ids = itertools.count()
        # prometheus-client's `labels()` takes a lock and checks its arguments each call:
        # (label, outcome) -> (its counter, its label's histogram).
        self.counters: dict[tuple[str, str], tuple] = {}

    def begin(self, scope, facts: RequestState) -> tuple[bytes, bytes]:
        """Names the request (the client's X-Request-Id when sane, else a made one); the header
        its answer carries. This layer is the one home of X-Request-Id: no other sets it."""
        given = header_map(scope).get(b"x-request-id")
        made = given is None or not _SANE_ID.fullmatch(given)
        facts.request_id = f"{self.id_prefix}{next(self.ids):016x}" if made else given.decode("ascii")
        return (b"x-request-id", facts.request_id.encode("ascii"))

    def end(self, scope, facts: RequestState, seconds: float) -> None:
        """Counts the request and writes its line."""
        status = 500 if facts.status is None else facts.status  # an app that raised before answering: 500
        self._count(self.labels(scope, facts), outcome(status, facts.graphql_errors), seconds)
        if self.lines:
            log.info(
                "request",
                request_id=facts.request_id,
                method=scope["method"],
                path=scope["path"],
                operation=facts.operation,
                status=status,
                duration_ms=round(seconds * 1000, 3),
            )

    def _count(self, label: str, result: str, seconds: float) -> None:
        found = self.counters.get((label, result))
        if found is None:
            found = self.counters[(label, result)] = (REQUESTS.labels(label, result), LATENCY.labels(label))
        counter, histogram = found
        counter.inc()
        histogram.observe(seconds)


def _add_pid(_logger, _method, event: dict) -> dict:
    event["pid"] = os.getpid()
    return event


def configure_logging(log_format: str, level: int = logging.INFO) -> None:
    """Every line of the process (ours, uvicorn's, the libraries') in one format on stderr:
    a JSON object per line for "json", a line for people for "text". Call it once per process,
    before serving (each `--workers` process does, when it builds its app)."""
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_pid,
    ]
    if log_format == "json":
        renderer = structlog.processors.JSONRenderer()
        shared.append(structlog.processors.format_exc_info)
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    logging.captureWarnings(True)  # a library's warning is a line in the same format too
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {
                "portal": {
                    "()": structlog.stdlib.ProcessorFormatter,
                    "processors": [structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
                    "foreign_pre_chain": shared,
                }
            },
            "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "portal", "stream": "ext://sys.stderr"}},
            "root": {"handlers": ["stderr"], "level": level},
            # uvicorn's loggers write through the root's handler (uvicorn adds none when it is
            # given no log_config); its access log never writes: ours takes its place.
            "loggers": {
                "uvicorn": {"handlers": [], "propagate": True},
                "uvicorn.error": {"handlers": [], "propagate": True},
                "uvicorn.access": {"handlers": [], "propagate": False},
                # Readiness reads the schema's revision through alembic, which says so at INFO.
                "alembic": {"level": logging.WARNING},
            },
        }
    )
