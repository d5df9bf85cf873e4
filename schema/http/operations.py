"""What operators and their tools ask a server: is it alive (`/healthz`), may it take traffic
(`/readyz`), and its figures (`/metrics`).

`/healthz` and `/readyz` are answered by `Probes`, a layer in front of the body timeout, the rate
limit and the caches, so a load balancer's probes are never limited, cached or slowed by them:

- `/healthz`: 200 `{"status": "ok"}` while the process serves; it reads nothing.
- `/readyz`: 200 `{"status": "ready", "checks": {...}}` when the database answers, its schema is
  at the latest migration, Redis answers a PING (when PORTAL_REDIS_URL is set), the attachment
  store can be written (`ping`), and on PostgreSQL the event bus listens; else 503
  `{"status": "unavailable", "failed": [...], "checks": {...}}` naming the parts that failed.
  Never an error's text (it may hold a host or a user name): that goes to the log. Each check
  waits `CHECK_SECONDS` at most, all at once; a result is reused for `READY_SECONDS` and checks in
  flight are shared, so a flood of probes costs the database one `SELECT 1` a second at most.

`/metrics` (a route, so it is rate-limited like any other path) is Prometheus' text format: the
counters of `metrics.py`, summed over the workers of `portal serve --workers N` (prometheus-client's
multiprocess mode, when PROMETHEUS_MULTIPROC_DIR is set), and what the database holds now
(`storage/operations.py`: the moderation queue and imports), read at each scrape.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path

import orjson
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import Response

from ...storage.db import Sessions
from ...storage.operations import Backlog, backlog, database_answers, schema_at_latest

log = logging.getLogger("transparency_portal.operations")

HEALTH, READY = "/healthz", "/readyz"
CHECK_SECONDS = 2.0
READY_SECONDS = 1.0
OK = "ok"

Check = Callable[[], Awaitable[str]]  # returns OK or a word for what is wrong; may raise


async def store_ready(store) -> str:
    """The attachment store can be written: its own `ping` (storage/objects), else its folder."""
    ping = getattr(store, "ping", None)
    if ping is not None:
        await ping()
        return OK
    return await asyncio.to_thread(_folder_writable, Path(store.root))


def _folder_writable(root: Path) -> str:
    root.mkdir(parents=True, exist_ok=True)
    return OK if os.access(root, os.W_OK | os.X_OK) else "not writable"


async def redis_ready(client) -> str:
    await client.ping()
    return OK


async def database_ready(engine: AsyncEngine) -> str:
    await database_answers(engine)
    return OK


async def migrations_ready(engine: AsyncEngine) -> str:
    return OK if await schema_at_latest(engine) else "not at the latest migration (run `portal db upgrade`)"


class Readiness:
    """The checks by name, run together, the result kept `max_age` seconds."""

    def __init__(self, checks: dict[str, Check], *, timeout: float = CHECK_SECONDS, max_age: float = READY_SECONDS) -> None:
        self.checks = checks
        self.timeout = timeout
        self.max_age = max_age
        self._last: tuple[float, dict[str, str]] | None = None
        self._running: asyncio.Task | None = None

    async def results(self) -> dict[str, str]:
        if self._last is not None and time.monotonic() - self._last[0] < self.max_age:
            return self._last[1]
        if self._running is None:
            self._running = asyncio.create_task(self._run())
            self._running.add_done_callback(self._ran)
        return await asyncio.shield(self._running)

    def _ran(self, task: asyncio.Task) -> None:
        self._running = None
        if not task.cancelled() and task.exception() is None:
            self._last = (time.monotonic(), task.result())

    async def _run(self) -> dict[str, str]:
        names = list(self.checks)
        found = await asyncio.gather(*(self._one(name) for name in names))
        return dict(zip(names, found))

    async def _one(self, name: str) -> str:
        try:
            async with asyncio.timeout(self.timeout):
                return await self.checks[name]()
        except TimeoutError:
            log.warning("readiness: %s did not answer within %s s", name, self.timeout)
            return "no answer"
        except Exception as error:  # what failed is logged here, never sent
            log.warning("readiness: %s failed: %s: %s", name, type(error).__name__, error)
            return "unavailable"


def readiness_checks(engine: AsyncEngine, store, redis=None, bus=None) -> dict[str, Check]:
    """The database and its schema always; Redis when configured; the bus when it has a
    connection of its own to lose (PostgreSQL's LISTEN)."""
    checks: dict[str, Check] = {
        "database": lambda: database_ready(engine),
        "migrations": lambda: migrations_ready(engine),
        "storage": lambda: store_ready(store),
    }
    if redis is not None:
        checks["redis"] = lambda: redis_ready(redis)
    if bus is not None and hasattr(bus, "listening"):
        checks["events"] = lambda: _listening(bus)
    return checks


async def _listening(bus) -> str:
    return OK if bus.listening else "not listening"


class Probes:
    """`/healthz` and `/readyz` (see the module's docstring), answered by `first_layers.FirstLayers`
    for the paths in `PATHS`."""

    PATHS = frozenset({HEALTH, READY})

    def __init__(self, *, readiness: Readiness) -> None:
        self.readiness = readiness

    async def answer(self, scope, send) -> None:
        if scope["path"] == HEALTH:
            return await _json(send, 200, {"status": "ok"})
        checks = await self.readiness.results()
        failed = [name for name, result in checks.items() if result != OK]
        if failed:
            return await _json(send, 503, {"status": "unavailable", "failed": failed, "checks": checks})
        await _json(send, 200, {"status": "ready", "checks": checks})


async def _json(send, status: int, body: dict) -> None:
    content = orjson.dumps(body)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(content)).encode()),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": content})


def metrics_endpoint(sessions: Sessions, clock: Callable[[], datetime]):
    async def metrics(_request: Request) -> Response:
        body = generate_latest(_counted())
        try:
            async with asyncio.timeout(CHECK_SECONDS):
                figures = await backlog(sessions)
        except Exception as error:  # the counters are worth having most when the database is down
            log.warning("metrics: the database's figures are left out: %s: %s", type(error).__name__, error)
        else:
            body += generate_latest(_Backlog(figures, clock()))
        return Response(body, headers={"content-type": CONTENT_TYPE_LATEST, "cache-control": "no-store"})

    return metrics


def _counted():
    """This process's registry, or under `--workers` every worker's counts summed."""
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    return registry


class _Backlog:
    """The database's figures as metrics (a registry of one collector, for one scrape)."""

    def __init__(self, figures: Backlog, now: datetime) -> None:
        self.figures = figures
        self.now = now

    def collect(self):
        figures = self.figures
        yield GaugeMetricFamily("portal_queue_length", "Responses submitted and waiting for a decision.", value=figures.waiting)
        oldest = (self.now - figures.oldest_waiting_at).total_seconds() if figures.oldest_waiting_at else 0.0
        yield GaugeMetricFamily(
            "portal_queue_oldest_seconds", "How long the longest-waiting submitted response has waited (0: none waits).",
            value=max(0.0, oldest),
        )
        yield CounterMetricFamily("portal_imports", "Imports committed.", value=figures.imports)
        last = figures.last_import_at.timestamp() if figures.last_import_at else 0.0
        yield GaugeMetricFamily(
            "portal_last_import_timestamp_seconds", "When the last import was committed (Unix time; 0: never).", value=last
        )
