"""The first layer a request passes: its header lines made one value per field, once, for every
layer after it (README, "Security and limits")."""

from __future__ import annotations

from ...domain.errors import BAD_USER_INPUT
from .asgi import send_json_error


# Fields defined as one value, where a repeated line cannot be combined (RFC 9110 §5.3) and
# two layers might each pick a different line: a request repeating one with another value is refused.
SINGLETON_HEADERS = frozenset(
    {b"authorization", b"content-length", b"content-type", b"host", b"if-modified-since", b"origin"}
)


class HeaderConflict(ValueError):
    pass


def combine_headers(raw) -> list[tuple[bytes, bytes]]:
    """One line per field name (lower case), in first-seen order: repeated lines of a list field
    joined with ", " as RFC 9110 §5.3 says (cookies with "; ", RFC 6265 §5.4). Raises
    HeaderConflict for a repeated single-value field with different values, and for a body framed
    both by Content-Length and by Transfer-Encoding (RFC 9112 §6.1: the way requests are smuggled)."""
    values: dict[bytes, list[bytes]] = {}
    for name, value in raw:
        values.setdefault(name.lower(), []).append(value.strip(b" \t"))
    for name, lines in values.items():
        if len(lines) > 1 and name in SINGLETON_HEADERS and len(set(lines)) > 1:
            raise HeaderConflict(f"The request repeats the {name.decode('latin-1')} header with different values.")
    if b"content-length" in values and b"transfer-encoding" in values:
        raise HeaderConflict("The request has both Content-Length and Transfer-Encoding.")
    separator = {b"cookie": b"; "}
    return [
        (name, lines[0] if name in SINGLETON_HEADERS else separator.get(name, b", ").join(lines))
        for name, lines in values.items()
    ]


class CanonicalHeaders:
    """The outermost layer: rewrites the request's headers into `combine_headers`' form once, so
    that every layer after it reads one value per field (today's three readings of a repeated
    Accept-Language were three different answers), and refuses conflicting framing with 400."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        raw = scope.get("headers", [])
        names = {name.lower() for name, _ in raw}
        if len(names) == len(raw) and not (b"content-length" in names and b"transfer-encoding" in names):
            return await self.app(scope, receive, send)  # already one line per field: most requests
        try:
            headers = combine_headers(raw)
        except HeaderConflict as conflict:
            if scope["type"] == "websocket":
                return await send({"type": "websocket.close", "code": 1008})
            return await send_json_error(scope, send, 400, str(conflict), {"code": BAD_USER_INPUT})
        await self.app({**scope, "headers": headers}, receive, send)
