"""`portal serve` (`serve`), and the application as `portal serve --workers N` starts it in each
worker process (`app_from_env`).

uvicorn starts workers as fresh interpreters and builds each one's app from an import string,
so nothing can be handed over but the environment: the settings (`Settings.from_env`), and
`REQUEST_LINES`, which `portal serve` sets to "0" for `--no-access-log`.
"""

from __future__ import annotations

import os
import signal
import tempfile

import uvicorn
from starlette.applications import Starlette

from ...config import Settings
from .request_log import configure_logging

IMPORT_STRING = "transparency_portal.schema.http.serve:app_from_env"
# Set by `portal serve` for its workers only: "0" means no line per request.
REQUEST_LINES = "PORTAL_SERVE_REQUEST_LINES"


def app_from_env() -> Starlette:
    from .app import (
        create_app,  # here: the supervisor imports this module for its names only
    )

    settings = Settings.from_env()
    configure_logging(settings.log_format)
    return create_app(settings, request_lines=os.environ.get(REQUEST_LINES, "1") != "0")


def serve(settings: Settings, *, host: str, port: int, workers: int, graceful_timeout: int, request_lines: bool) -> None:
    """Serve the API until stopped (the database is migrated already): in this process, or in
    `workers` processes on the one port."""
    configure_logging(settings.log_format)
    # uvicorn handles SIGTERM (stops taking connections, lets requests in flight finish, runs the
    # lifespan's shutdown), then raises it again for the handler it found: this one ends the
    # command with status 0, a stop that was asked for.
    signal.signal(signal.SIGTERM, _stopped)
    # Our request log writes the lines (request_log.py); uvicorn's access log is off.
    options = {
        "host": host, "port": port, "log_config": None, "log_level": "info", "access_log": False,
        "timeout_graceful_shutdown": graceful_timeout,
    }
    if workers == 1:
        from .app import create_app

        uvicorn.run(create_app(settings, request_lines=request_lines), **options)
        return
    # Workers are fresh processes that build their app from the environment. Their counters go
    # to files in a folder of this run, which /metrics sums (prometheus-client's multiprocess mode).
    with tempfile.TemporaryDirectory(prefix="portal-metrics-") as metrics:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics
        os.environ[REQUEST_LINES] = "1" if request_lines else "0"
        uvicorn.run(IMPORT_STRING, factory=True, workers=workers, **options)


def _stopped(_signal, _frame) -> None:
    raise SystemExit(0)
