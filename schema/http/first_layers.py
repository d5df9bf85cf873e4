"""The first layers of every request, run as one call, outermost of the application: its header
lines made one value per field (`headers.py`), the request log (`request_log.py`), CORS
(`cors.py`), the probes (`operations.py`) and the body's pace (`body_limit.BodyTimeout`), in that
order; and the last resort for a failure, in Starlette's error layer's place (`app.py`).

Each keeps its rules in its own module; this one runs their parts in order, adds what they add to
an answer in one place, and hands a failure to the one that answers it. As nested ASGI layers they
were six frames and four wrapped `send`s for every request, and a kept answer spent more time
passing them than the answer cache took to find it (README, "Performance").

- A request repeating a single-value header with another value, or framing its body twice, is
  refused 400 (after the request log named it: it is counted and logged); a WebSocket upgrade
  like it is closed.
- The request log names the request when it arrives, adds `X-Request-Id` to every answer (the
  ones these layers give too) and counts and logs it when it is done, whatever answered.
- CORS answers preflights and refuses signed-in requests from untrusted pages itself; every other
  answer on its paths, refusals and failures included, gets its headers.
- The probes answer `/healthz` and `/readyz` before any limit or cache.
- The body's reads are timed; a body too slow, before its answer began, gets 408.
- A failure before an answer began is answered 500: in GraphQL's shape where CORS applies
  (`CorsAnswer.failed`), else in plain text as Starlette's error layer did; it goes on to be
  logged by the server.
"""

from __future__ import annotations

import time

from starlette.responses import PlainTextResponse

from ...domain.errors import BAD_USER_INPUT
from .asgi import run_or_refuse, send_json_error
from .body_limit import BodyTimedOut, BodyTimeout
from .cors import Cors
from .headers import HeaderConflict, canonical
from .operations import Probes
from .request_log import RequestLog
from .request_state import request_state

_FAILED = PlainTextResponse("Internal Server Error", status_code=500)


class FirstLayers:
    def __init__(self, app, *, log: RequestLog, cors: Cors, probes: Probes, body_timeout: BodyTimeout) -> None:
        self.app = app
        self.log = log
        self.cors = cors
        self.probes = probes
        self.body_timeout = body_timeout

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self._other(scope, receive, send)
        started = time.perf_counter()
        state = request_state(scope)
        try:
            scope, conflict = canonical(scope), None
        except HeaderConflict as error:
            conflict = error
        request_id = self.log.begin(scope, state)
        cors = None  # CORS's part of this answer (`Cors.decide`; None: not a path of CORS's)

        async def answering(message) -> None:
            if message["type"] == "http.response.start":
                state.status = message["status"]
                headers = message.get("headers", [])
                message = {**message, "headers": [*(headers if cors is None else cors.headers(headers)), request_id]}
            await send(message)

        try:
            if conflict is not None:
                return await send_json_error(scope, answering, 400, str(conflict), {"code": BAD_USER_INPUT})
            cors = self.cors.decide(scope)
            # CORS's own answers carry their own CORS headers: `cors` is cleared before they are
            # sent (`answering` reads it when the answer starts).
            if cors is not None and cors.answer is not None:
                answer, cors = cors.answer, None
                return await answer(scope, answering)
            if scope["path"] in self.probes.PATHS:
                return await self.probes.answer(scope, answering)
            timed = self.body_timeout.timed(receive)
            await run_or_refuse(self.app, scope, timed, answering, BodyTimedOut, self.body_timeout.refuse)
        except Exception:
            if state.status is None:
                failing, cors = cors, None
                await (_FAILED(scope, receive, answering) if failing is None else failing.failed(scope, answering))
            raise
        finally:
            self.log.end(scope, state, time.perf_counter() - started)

    async def _other(self, scope, receive, send) -> None:
        """WebSocket upgrades get their headers checked too; lifespan passes."""
        if scope["type"] == "websocket":
            try:
                scope = canonical(scope)
            except HeaderConflict:
                return await send({"type": "websocket.close", "code": 1008})
        await self.app(scope, receive, send)
