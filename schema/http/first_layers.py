"""The first layers of every HTTP request, after `headers.CanonicalHeaders`, run as one call: the
request log (`request_log.py`), CORS (`cors.py`), the probes (`operations.py`) and the body's pace
(`body_limit.BodyTimeout`), in that order.

Each keeps its rules in its own module; this one runs their parts in order, adds what they add to
an answer in one place, and hands a failure to the one that answers it. As nested ASGI layers they
were four frames and two wrapped `send`s for every request, and a kept answer spent more time
passing them than the answer cache took to find it (README, "Performance").

- The request log names the request when it arrives, adds `X-Request-Id` to every answer (the
  ones these layers give too) and counts and logs it when it is done, whatever answered.
- CORS answers preflights and refuses signed-in requests from untrusted pages itself; every other
  answer on its paths, refusals and failures included, gets its headers. A failure before an
  answer began is answered in GraphQL's shape (`CorsAnswer.failed`) and goes on to be logged.
- The probes answer `/healthz` and `/readyz` before any limit or cache.
- The body's reads are timed; a body too slow, before its answer began, gets 408.
"""

from __future__ import annotations

import functools
import time

from .asgi import run_or_refuse
from .body_limit import BodyTimedOut, BodyTimeout
from .cors import Cors
from .operations import Probes
from .request_log import RequestLog
from .request_state import request_state


class FirstLayers:
    def __init__(self, app, *, log: RequestLog, cors: Cors, probes: Probes, body_timeout: BodyTimeout) -> None:
        self.app = app
        self.log = log
        self.cors = cors
        self.probes = probes
        self.body_timeout = body_timeout

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        state = request_state(scope)
        request_id = self.log.begin(scope, state)
        cors = None  # CORS's part of this answer (`Cors.decide`; None: not a path of CORS's)

        async def answering(message) -> None:
            if message["type"] == "http.response.start":
                state.status = message["status"]
                headers = message.get("headers", [])
                message = {**message, "headers": [*(headers if cors is None else cors.headers(headers)), request_id]}
            await send(message)

        try:
            cors = self.cors.decide(scope)
            # CORS's own answers carry their own CORS headers: `cors` is cleared before they are
            # sent (`answering` reads it when the answer starts).
            if cors is not None and cors.answer is not None:
                answer, cors = cors.answer, None
                return await answer(scope, answering)
            if scope["path"] in self.probes.PATHS:
                return await self.probes.answer(scope, answering)
            try:
                refuse = functools.partial(self.body_timeout.refuse, scope, answering)
                await run_or_refuse(self.app, scope, self.body_timeout.timed(receive), answering, BodyTimedOut, refuse)
            except Exception:
                if cors is not None and state.status is None:
                    failing, cors = cors, None
                    await failing.failed(scope, answering)
                raise
        finally:
            self.log.end(scope, state, time.perf_counter() - started)
