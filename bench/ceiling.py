"""The ceiling of the benchmark: a bare ASGI app that answers with bytes the project returned.

`bench/run.py` records, for every case, the response the project gave to the very request wrk
will send (status, header lines and body: the same answer, so the ceiling does the server's work of
sending it too, headers included), writes them to a folder with a `recordings.json` index, and
starts this app (uvicorn, no access log, as many worker processes as the project has) beside the project. Each request names its
case in an `X-Bench-Case` header (the project ignores it). The app reads the whole request
body (a 1 MB upload is received, as the project receives it) and answers:

- a fixed case: the one recorded response;
- the random-page case: the recorded page whose size is the request's `first` (one page was
  recorded for every size 51-100, each after a random cursor; a `--quick` run records only a
  few sizes and the nearest one is sent), so the ceiling sends pages of the same sizes as the
  project without knowing anything about cursors.

Anything without the header (e.g. the readiness probe) gets `200 ok`.

    python bench/ceiling.py --recordings DIR/recordings.json --port 8123
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

Answer = tuple[int, list[tuple[bytes, bytes]], bytes]


def _answer(base: Path, entry: dict) -> Answer:
    # The project's header lines as it sent them, Content-Length included (the body is the bytes
    # it sent: cases.py records no compressed answer); the server adds Date and Server to both.
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in entry["headers"]]
    return entry["status"], headers, (base / entry["body_file"]).read_bytes()


def load(recordings: Path) -> tuple[dict[bytes, Answer], dict[bytes, dict[int, Answer]]]:
    index = json.loads(recordings.read_text())
    base = recordings.parent
    fixed: dict[bytes, Answer] = {}
    by_first: dict[bytes, dict[int, Answer]] = {}
    for case, entry in index.items():
        if "by_first" in entry:
            by_first[case.encode()] = {int(n): _answer(base, e) for n, e in entry["by_first"].items()}
        else:
            fixed[case.encode()] = _answer(base, entry)
    return fixed, by_first


def _first_of(body: bytes) -> int | None:
    at = body.rfind(b'"first":')
    if at < 0:
        return None
    digits = bytearray()
    for byte in body[at + 8 : at + 20]:
        if 48 <= byte <= 57:
            digits.append(byte)
        elif digits or byte not in b" \t":
            break
    return int(digits) if digits else None


OK: Answer = (200, [(b"content-type", b"text/plain"), (b"content-length", b"2")], b"ok")
MISSING: Answer = (404, [(b"content-type", b"text/plain"), (b"content-length", b"22")], b"no recording for that\n")


def make_app(recordings: Path):
    fixed, by_first = load(recordings)

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        case = None
        for name, value in scope["headers"]:
            if name == b"x-bench-case":
                case = value
                break
        if case is None:
            status, headers, body = OK
        elif case in fixed:
            status, headers, body = fixed[case]
        elif case in by_first:
            pages = by_first[case]
            first = _first_of(b"".join(chunks))
            answer = pages.get(first)
            if answer is None and first is not None:
                answer = pages[min(pages, key=lambda n: abs(n - first))]
            status, headers, body = answer or MISSING
        else:
            status, headers, body = MISSING
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


def app_from_env():
    """For `--workers N`: each worker process builds the app from the recordings named here."""
    import os

    return make_app(Path(os.environ["CEILING_RECORDINGS"]))


def main() -> None:
    import os

    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--recordings", type=Path, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1, help="processes on the port, as `portal serve --workers`")
    args = parser.parse_args()
    options = dict(host=args.host, port=args.port, log_level="warning", access_log=False, lifespan="off")
    if args.workers > 1:
        os.environ["CEILING_RECORDINGS"] = str(args.recordings.resolve())
        uvicorn.run("ceiling:app_from_env", factory=True, workers=args.workers, app_dir=str(Path(__file__).parent), **options)
    else:
        uvicorn.run(make_app(args.recordings), **options)


if __name__ == "__main__":
    main()
