"""Serve an ASGI application with uvicorn on loopback, for tests that talk real HTTP to it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import uvicorn


@contextlib.asynccontextmanager
async def serving(app, **config) -> AsyncIterator[str]:
    """Runs `app` (lifespan on) on a free port of 127.0.0.1 and yields its base URL.
    `config`: more uvicorn.Config arguments."""
    server = uvicorn.Server(
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
        await task
