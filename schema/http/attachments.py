"""GET /attachments/{id}: a response's file, to whoever may see the response.

The public gets files of approved responses to current assessments only; the factory's own
users and moderators get them before. Anyone else gets the same 404 as for an unknown id.

The file is streamed through the app from the store (storage/objects/: a folder or an S3
bucket), after the access check, never by a redirect to a presigned URL: the answer is the same
on both backends (ETag, 304 without reading the object, `public, no-cache` for public files,
`private, no-store` otherwise), the store need not be reachable by the public, and no URL that
outlives the check is handed out. A file is at most PORTAL_MAX_ATTACHMENT_BYTES, read whole.
A store that does not answer gives 503 with Retry-After.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ...storage.db import Sessions
from ...storage.objects import ObjectStore, StoreUnavailable
from ...workflows.attachments_read import open_attachment
from ...workflows.users import authenticate
from .asgi import bearer_token, if_none_match

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    # Even opened directly, a file can run nothing and load nothing.
    "Content-Security-Policy": "default-src 'none'; img-src 'self'; sandbox",
}


def attachment_endpoint(sessions: Sessions, store: ObjectStore, clock: Callable[[], datetime]):
    async def serve(request: Request) -> Response:
        not_found = JSONResponse({"error": "not found"}, status_code=404, headers=SECURITY_HEADERS)
        principal = await authenticate(sessions, bearer_token(request.scope))
        opened = await open_attachment(sessions, store, principal, request.path_params["id"], clock().date())
        if opened is None:
            return not_found
        attachment = opened.attachment
        # Shared caches may keep a public file but must ask again before each use (a 304 costs
        # no file read), so a removed response's file is never served from a cache.
        etag = f'"{attachment.sha256[:32]}"'
        caching = (
            {"Cache-Control": "public, no-cache", "ETag": etag, "Vary": "Authorization"}
            if opened.public
            else {"Cache-Control": "private, no-store", "Vary": "Authorization"}
        )
        if "ETag" in caching and etag in if_none_match(request.headers.get("if-none-match", "")):
            return Response(status_code=304, headers={**SECURITY_HEADERS, **caching})
        try:
            content = await opened.read()
        except StoreUnavailable:
            return JSONResponse(
                {"error": "the attachment store is unavailable"}, status_code=503,
                headers={**SECURITY_HEADERS, "Retry-After": "5", "Cache-Control": "no-store"},
            )
        if content is None:
            return not_found
        disposition = "attachment" if attachment.content_type == "application/pdf" else "inline"
        headers = {
            **SECURITY_HEADERS,
            "Content-Disposition": f'{disposition}; filename="attachment-{attachment.public_id}{attachment.extension}"',
            **caching,
        }
        return Response(content, media_type=attachment.content_type, headers=headers)

    return serve
