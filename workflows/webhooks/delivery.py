"""One attempt of a delivery: its destination checked again, then one signed POST to a checked
address, within a deadline that includes the lookup."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import httpx

from ...storage import webhooks as store
from .destinations import Destination, DestinationRefused, resolve
from .signing import sign

# Standard Webhooks recommends 15-30 s; the issue asks for 10 s, the whole attempt included.
ATTEMPT_SECONDS = 10.0
USER_AGENT = "transparency-portal-webhooks/1"


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    status_code: int | None = None
    error: str | None = None

    @property
    def gone(self) -> bool:
        return self.status_code == 410


async def attempt(client: httpx.AsyncClient, due: store.Due, *, allow_private: bool, seconds: float) -> Outcome:
    """One POST of a delivery to the address its name resolves to now, if that is allowed; the
    lookup counts in the attempt's `seconds`."""
    try:
        async with asyncio.timeout(seconds):
            return await _attempt(client, due, allow_private=allow_private)
    except TimeoutError:
        return Outcome(False, error=f"no answer within {seconds:g} s")


async def _attempt(client: httpx.AsyncClient, due: store.Due, *, allow_private: bool) -> Outcome:
    try:
        destination = await resolve(due.url, allow_private=allow_private)
    except DestinationRefused as refused:
        return Outcome(False, error=f"refused: {refused}")
    url = destination.url
    timestamp = int(time.time())
    headers = {
        "host": url.netloc.decode("ascii"),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": due.message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(due.secret, due.message_id, timestamp, due.body),
    }
    try:
        response = await _post(client, destination, headers, due.body.encode())
    except httpx.HTTPError as error:
        return Outcome(False, error=f"{type(error).__name__}: {error}" if str(error) else type(error).__name__)
    code = response.status_code
    if 200 <= code < 300:
        return Outcome(True, code)
    if 300 <= code < 400:
        return Outcome(False, code, f"HTTP {code}: redirects are not followed (subscribe the final URL)")
    return Outcome(False, code, f"HTTP {code}")


async def _post(client: httpx.AsyncClient, destination: Destination, headers: dict, body: bytes) -> httpx.Response:
    """POST to the checked addresses in turn (`localhost` may be ::1 first while the receiver
    listens on 127.0.0.1 only), never to the name: nothing resolves it again."""
    url = destination.url
    for n, address in enumerate(destination.addresses, start=1):
        request = client.build_request(
            "POST", url.copy_with(host=address), content=body, headers=headers,
            extensions={"sni_hostname": destination.host} if url.scheme == "https" else {},
        )  # fmt: skip
        try:
            # The answer's body is never read: a receiver cannot make us hold megabytes.
            response = await client.send(request, stream=True)
        except httpx.ConnectError:
            if n == len(destination.addresses):
                raise
            continue
        await response.aclose()
        return response
    raise AssertionError("resolve() returns at least one address")
