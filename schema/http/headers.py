"""A request's header lines made one value per field, once, before any layer reads them
(`first_layers.FirstLayers` runs `canonical` first; README, "Security and limits")."""

from __future__ import annotations

from .request_state import header_map


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


def canonical(scope):
    """The scope with its header lines in `combine_headers`' form, so that every layer reads one
    value per field (three readings of a repeated Accept-Language were three different answers);
    the very scope when they already are (most requests: the check is the header map every layer
    reads, made here first). Raises HeaderConflict (the first layers answer it 400)."""
    raw = scope.get("headers", [])
    headers = header_map(scope)
    if len(headers) == len(raw) and not (b"content-length" in headers and b"transfer-encoding" in headers):
        return scope
    return {**scope, "headers": combine_headers(raw)}
