"""Serve an ASGI application with uvicorn on loopback, for tests that talk real HTTP to it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import uvicorn


class _Server(uvicorn.Server):
    """uvicorn's server, stopped without its idle pauses: its main loop looks at `should_exit`
    every 0.1 s (here `exiting` wakes it), and its shutdown waits 0.1 s for open connections to
    finish (here only when there are connections or requests left; else it goes straight on to the
    lifespan's shutdown). About 0.15 s a test, minutes over the suite."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.exiting = asyncio.Event()

    async def main_loop(self) -> None:
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + 1) % 864000
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(0.1):  # on_tick's pace: the Date header, once a second
                    await self.exiting.wait()
            should_exit = await self.on_tick(counter)

    async def shutdown(self, sockets=None) -> None:
        if self.server_state.connections or self.server_state.tasks or self.force_exit:
            return await super().shutdown(sockets)
        for server in self.servers:
            server.close()
        for server in self.servers:
            await server.wait_closed()
        await self.lifespan.shutdown()


@contextlib.asynccontextmanager
async def serving(app, **config) -> AsyncIterator[str]:
    """Runs `app` (lifespan on) on a free port of 127.0.0.1 and yields its base URL.
    `config`: more uvicorn.Config arguments."""
    server = _Server(
        uvicorn.Config(app, **{"host": "127.0.0.1", "port": 0, "log_level": "warning", "lifespan": "on", **config})
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("uvicorn stopped before it started")
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        server.exiting.set()
        await task
