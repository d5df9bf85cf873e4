"""GraphiQL without the internet: strawberry's GraphiQL page, with the files it loads from
unpkg.com served from this folder instead, under `/graphiql/` (README.md here says which and
whence).

The files are byte for byte those the page names, in unpkg's layout (`<package>@<version>/<path>`),
so the page's own `integrity` attributes still hold: rewriting the CDN's address is the whole
change, and a strawberry release that names other versions fails tests/browser/ and
tests/api/test_cors.py until the files here follow. Each URL names its version, so browsers may
keep the files for a year without asking again.
"""

from __future__ import annotations

import functools
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from strawberry.http.ides import get_graphql_ide_html

from ....domain.errors import NOT_FOUND

CDN = "https://unpkg.com/"
PREFIX = "/graphiql/"
FOLDER = Path(__file__).parent
MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable", "X-Content-Type-Options": "nosniff"}


@functools.cache
def page() -> str:
    """Strawberry's GraphiQL page, loading its scripts and styles from this server."""
    return get_graphql_ide_html("graphiql").replace(CDN, PREFIX)


@functools.cache
def assets() -> dict[str, Path]:
    """What `/graphiql/` serves, by path below it: the scripts and styles here, nothing else."""
    return {
        path.relative_to(FOLDER).as_posix(): path
        for path in FOLDER.rglob("*")
        if path.suffix in MEDIA_TYPES and path.is_file()
    }


async def asset(request: Request) -> Response:
    path = assets().get(request.path_params["path"])
    if path is None:
        error = {"message": "No such GraphiQL file.", "extensions": {"code": NOT_FOUND}}
        return JSONResponse({"errors": [error]}, status_code=404)
    return FileResponse(path, media_type=MEDIA_TYPES[path.suffix], headers=IMMUTABLE)
