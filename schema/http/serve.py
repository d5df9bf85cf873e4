"""The application as `portal serve --workers N` starts it in each worker process.

uvicorn starts workers as fresh interpreters and builds each one's app from an import string,
so nothing can be handed over but the environment: the settings (`Settings.from_env`), and
`REQUEST_LINES`, which `portal serve` sets to "0" for `--no-access-log`.
"""

from __future__ import annotations

import os

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
