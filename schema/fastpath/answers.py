"""Whole HTTP answers as the fast path handles them: (status, headers, body).

Strawberry's answer captured from the app behind, the executor's own built as strawberry's view
builds it, and what golden mode (`executor.py`) compares and answers when the two differ.
"""

from __future__ import annotations

from typing import Any

from ..http.view import JSON

Answer = tuple[int, list[tuple[bytes, bytes]], bytes]

_DISAGREEMENT = b'{"errors":[{"message":"The compiled executor disagrees with strawberry.","extensions":{"code":"INTERNAL"}}]}'
# Golden mode's answer when the executor and strawberry differ.
DISAGREES: Answer = (
    500,
    [(b"content-type", JSON.encode()), (b"content-length", str(len(_DISAGREEMENT)).encode())],
    _DISAGREEMENT,
)


async def captured(app, scope, receive, send=None) -> Answer:
    """Strawberry's answer, captured (and passed on to `send`, when given)."""
    got: dict[str, Any] = {"status": 500, "headers": [], "body": b""}

    async def capture(message) -> None:
        if message["type"] == "http.response.start":
            got["status"] = message["status"]
            got["headers"] = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            got["body"] += message.get("body", b"")
        if send is not None:
            await send(message)

    await app(scope, receive, capture)
    return got["status"], got["headers"], got["body"]


def succeeded(answer: Answer) -> bool:
    return answer[0] == 200 and b'"errors"' not in answer[2]


def same(answer: Answer, reference: Answer) -> bool:
    """The same status, body and headers (in any order)."""
    return answer[0] == reference[0] and answer[2] == reference[2] and sorted(answer[1]) == sorted(reference[1])


def json_answer(body: bytes, media_type: str) -> Answer:
    # As strawberry's view answers (schema/http/view.py: create_response), so that golden mode can compare.
    return (
        200,
        [
            (b"vary", b"Accept"),
            (b"content-length", str(len(body)).encode()),
            (b"content-type", f"{media_type}; charset=utf-8".encode()),
        ],
        body,
    )
