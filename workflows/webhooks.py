"""Webhooks: what stewards subscribe, how deliveries are signed (Standard Webhooks), which
destinations are refused (server-side request forgery), and the worker that delivers.

The worker runs in every `portal serve` process; one at a time delivers, the holder of a lease
row in the database (`storage/webhooks.py`), renewed while it works, released when the server
stops, taken over by another process once it has expired (a crashed holder). It reads the outbox
every `poll_seconds` and whenever the event bus says public data changed, and sends each due
delivery in a task of its own: at most `concurrency` at once and one per endpoint, with a
deadline per attempt, so a slow or dead receiver only ever holds its own slot, and never a
public request (the worker shares nothing with them but the database).

Destinations are checked when a subscription is added and again at every attempt, against the
addresses its name resolves to then; the attempt connects to the address that was checked (the
name is not looked up twice, so a DNS answer that changes in between, DNS rebinding, cannot
smuggle in an internal address), sending the name in `Host` and in TLS's SNI, where the
certificate is checked against it.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import ipaddress
import json
import logging
import os
import secrets
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select

from ..domain.errors import BadUserInput, NotFound
from ..domain.events import BusEventKind
from ..resolvers.ids import node_key, to_global
from ..storage import webhooks as store
from ..storage.db import Sessions, make_engine, make_sessions, write_transaction
from ..storage.event_bus import EventBus
from ..storage.tables.programme import CountryRow
from ..storage.tables.public_changes import PublicChangeRow
from ..storage.tables.webhooks import WebhookDeliveryRow, WebhookSubscriptionRow

log = logging.getLogger("transparency_portal.webhooks")

SECRET_PREFIX = "whsec_"
EVENT_TYPE = "public.change"
# Standard Webhooks recommends 15-30 s; the issue asks for 10 s, the whole attempt included.
ATTEMPT_SECONDS = 10.0
MAX_URL_LENGTH = 2000
USER_AGENT = "transparency-portal-webhooks/1"


def utc_now() -> datetime:
    return datetime.now(UTC)


# Signing (Standard Webhooks, symmetric): HMAC-SHA256 over "id.timestamp.body" with the secret's
# bytes, base64, as "v1,<signature>".


def new_secret() -> str:
    """`whsec_` and 32 random bytes in base64 (the specification asks for 24 to 64)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def sign(secret: str, message_id: str, timestamp: int, body: str) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    digest = hmac.new(key, f"{message_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def render(change: PublicChangeRow) -> str:
    """A delivery's body: the change as the feed shows it, with the API's global ids."""
    assessment, question, response = change.assessment_source_id, change.question_id, change.response_public_id
    data = {
        "id": to_global("PublicChange", str(change.id)),
        "kind": change.kind,
        "at": _iso(change.at),
        "factoryId": to_global("Factory", change.factory_source_id),
        "assessmentId": to_global("Assessment", assessment) if assessment else None,
        "findingId": to_global("Finding", f"{assessment}/{question}") if assessment and question else None,
        "responseId": to_global("Response", response) if response else None,
    }
    return json.dumps({"type": EVENT_TYPE, "timestamp": _iso(change.at), "data": data}, separators=(",", ":"))


# Destinations: server-side request forgery.


class DestinationRefused(Exception):
    """A URL the portal will not send to; the message says why."""


_SHARED = ipaddress.ip_network("100.64.0.0/10")
_UNIQUE_LOCAL = ipaddress.ip_network("fc00::/7")


def refusal(address: str) -> str | None:
    """Why webhooks may not go to this address (None: they may): loopback, private, link-local,
    unique-local, shared, unspecified, multicast or reserved, an IPv4 address inside IPv6 too."""
    ip = ipaddress.ip_address(address)
    if ip.version == 6 and (inner := ip.ipv4_mapped or ip.sixtofour):
        reason = refusal(str(inner))
        return f"{reason}, inside the IPv6 address {ip}" if reason else None
    kinds = (
        ("an unspecified", ip.is_unspecified),
        ("a loopback", ip.is_loopback),
        ("a link-local", ip.is_link_local),
        ("a shared (100.64.0.0/10, carrier-grade NAT)", ip in _SHARED),
        ("a unique-local", ip in _UNIQUE_LOCAL),
        ("a private", ip.is_private),
        ("a multicast", ip.is_multicast),
        ("a reserved", ip.is_reserved),
        ("no public", not ip.is_global),
    )
    for kind, hit in kinds:
        if hit:
            return f"{ip} is {kind} address"
    return None


@dataclass(frozen=True)
class Destination:
    url: httpx.URL
    host: str  # the name as DNS and TLS know it (IDNA)
    addresses: tuple[str, ...]


def parse_url(raw: str) -> httpx.URL:
    if len(raw) > MAX_URL_LENGTH:
        raise DestinationRefused(f"the URL is longer than {MAX_URL_LENGTH} characters")
    try:
        url = httpx.URL(raw)
    except httpx.InvalidURL as error:
        raise DestinationRefused(f"{raw!r} is not a URL: {error}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise DestinationRefused(f"{raw!r} is not an http:// or https:// URL")
    if url.userinfo:
        raise DestinationRefused("a URL with a user name or password is not accepted: the signature authenticates")
    if url.fragment:
        raise DestinationRefused("a URL with a #fragment is not accepted")
    return url


async def resolve(raw: str | httpx.URL, *, allow_private: bool) -> Destination:
    """The URL's name resolved now, every address checked; DestinationRefused says why not."""
    url = raw if isinstance(raw, httpx.URL) else parse_url(raw)
    host = url.raw_host.decode("ascii")
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise DestinationRefused(f"{host} does not resolve: {getattr(error, 'strerror', None) or error}") from None
    addresses = tuple(dict.fromkeys(sockaddr[0] for *_, sockaddr in found))
    if not allow_private:
        for address in addresses:
            if reason := refusal(address):
                raise DestinationRefused(
                    f"{host} resolves to {address}: {reason}, where webhooks are not sent "
                    "(PORTAL_WEBHOOK_ALLOW_PRIVATE=1 allows it)"
                )
    if not addresses:
        raise DestinationRefused(f"{host} does not resolve")
    return Destination(url, host, addresses)


# What stewards do (`portal webhooks ...`).


@dataclass(frozen=True)
class NewWebhook:
    pk: int
    url: str
    secret: str
    countries: list[str]
    factories: list[str]  # global ids


async def add_webhook(
    sessions: Sessions, url: str, *, countries: Sequence[str], factories: Sequence[str], allow_private: bool
) -> NewWebhook:
    """BadUserInput (the destination, with why), NotFound (a country or factory)."""
    try:
        destination = await resolve(url, allow_private=allow_private)
    except DestinationRefused as refused:
        raise BadUserInput(f"{url} is refused: {refused}", argument="url") from None
    codes = sorted({code.strip().upper() for code in countries})
    sources = sorted({node_key(factory, "Factory", "factory") for factory in factories})
    secret = new_secret()
    async with write_transaction(sessions) as session:
        known = set((await session.exec(select(CountryRow.code).where(CountryRow.code.in_(codes)))).scalars().all())
        if unknown := [code for code in codes if code not in known]:
            raise NotFound(f"There is no country programme {', '.join(unknown)}.", argument="country")
        if missing := sorted(set(sources) - await store.known_factories(session, sources)):
            raise NotFound(f"There is no factory {', '.join(missing)}.", argument="factory")
        row = await store.add_subscription(
            session, url=str(destination.url), secret=secret, countries=codes, factories=sources, now=utc_now()
        )
    return NewWebhook(row.pk, row.url, secret, codes, [to_global("Factory", s) for s in sources])


async def list_webhooks(sessions: Sessions) -> list[store.SubscriptionSummary]:
    async with sessions() as session:
        return await store.subscriptions(session)


async def remove_webhook(sessions: Sessions, subscription_pk: int) -> int:
    async with write_transaction(sessions) as session:
        if not await store.remove_subscription(session, subscription_pk):
            raise NotFound(f"There is no webhook {subscription_pk}.")
    return subscription_pk


async def webhook_deliveries(sessions: Sessions, subscription_pk: int, limit: int) -> list[WebhookDeliveryRow]:
    async with sessions() as session:
        if await store.subscription(session, subscription_pk) is None:
            raise NotFound(f"There is no webhook {subscription_pk}.")
        return await store.deliveries(session, subscription_pk, limit)


async def redeliver(sessions: Sessions, delivery_pk: int) -> WebhookDeliveryRow:
    """Send a delivery again, whatever became of it: same `webhook-id`, same body."""
    async with write_transaction(sessions) as session:
        row = await store.delivery(session, delivery_pk)
        if row is None:
            raise NotFound(f"There is no delivery {delivery_pk}.")
        owner: WebhookSubscriptionRow = await store.subscription(session, row.subscription_pk)
        if owner.disabled_at is not None:
            raise BadUserInput(
                f"Webhook {owner.pk} is disabled ({owner.disabled_reason}); add the endpoint again to receive changes."
            )
        await store.send_again(session, delivery_pk, utc_now())
    return row


# Delivering.


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


class WebhookWorker:
    """Delivers the outbox while this process holds the lease (see the module)."""

    def __init__(
        self,
        database_url: str,
        bus: EventBus | None,
        *,
        retries: Sequence[float],
        allow_private: bool,
        concurrency: int = 8,
        attempt_seconds: float = ATTEMPT_SECONDS,
        poll_seconds: float = 2.0,
        lease_seconds: float = 10.0,
    ) -> None:
        self.database_url = database_url
        self.bus = bus
        self.retries = tuple(retries)
        self.allow_private = allow_private
        self.concurrency = concurrency
        self.attempt_seconds = attempt_seconds
        self.poll_seconds = poll_seconds
        self.lease = timedelta(seconds=lease_seconds)
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        # Attempts this process made (tests and logs: which server delivered).
        self.attempts = 0
        self._wake = asyncio.Event()
        # Subscription pk -> the delivery being sent to it, and its task.
        self._in_flight: dict[int, tuple[int, asyncio.Task]] = {}
        self._holding_until: datetime | None = None
        self._tasks: list[asyncio.Task] = []
        self._client: httpx.AsyncClient | None = None
        self._engine = None
        self.sessions: Sessions | None = None

    async def start(self) -> None:
        # An engine of its own: the worker never waits for, nor holds, a connection that public
        # requests need (and its statements are not theirs).
        self._engine = make_engine(self.database_url)
        self.sessions = make_sessions(self._engine)
        # No pooled connections: each is opened to one checked address with one name's SNI.
        self._client = httpx.AsyncClient(
            follow_redirects=False, trust_env=False, timeout=self.attempt_seconds,
            limits=httpx.Limits(max_connections=self.concurrency, max_keepalive_connections=0),
        )  # fmt: skip
        self._tasks = [asyncio.create_task(self._run(), name="webhook-worker")]
        if self.bus is not None:
            self._tasks.append(asyncio.create_task(self._listen(self.bus.subscribe()), name="webhook-wake"))

    async def stop(self) -> None:
        """Stop sending; what was in flight is due again at once, for whoever holds the lease next."""
        interrupted = [pk for pk, _task in self._in_flight.values()]
        tasks = [*self._tasks, *(task for _pk, task in self._in_flight.values())]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._in_flight.clear()
        if self._holding_until is not None:
            try:
                async with write_transaction(self.sessions) as session:
                    await store.release_lease(session, self.holder)
                    await store.due_now(session, interrupted, utc_now())
            except Exception:  # the lease then expires on its own
                log.exception("could not release the webhook lease")
        if self._client is not None:
            await self._client.aclose()
        if self._engine is not None:
            await self._engine.dispose()

    async def _listen(self, events) -> None:
        async with events:
            async for event in events:
                if event.kind in (BusEventKind.PUBLIC_DATA_CHANGED, BusEventKind.EVERYTHING_CHANGED):
                    self._wake.set()

    async def _run(self) -> None:
        while True:
            self._wake.clear()  # before the work: a wake-up during it makes the wait below return at once
            try:
                if await self._hold_lease():
                    await self._dispatch()
            except Exception:
                log.exception("webhook delivery loop failed; trying again")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_seconds):
                    await self._wake.wait()

    async def _hold_lease(self) -> bool:
        now = utc_now()
        # Renewed once a third of it has passed; taken every poll while another holds it.
        if self._holding_until is not None and now < self._holding_until - self.lease * 2 / 3:
            return True
        if self._holding_until is None:
            async with self.sessions() as session:  # a read: another's live lease needs no write
                holder = await store.lease_holder(session, now)
            if holder not in (None, self.holder):
                return False
        async with write_transaction(self.sessions) as session:
            held = await store.take_lease(session, self.holder, now, self.lease)
        if held and self._holding_until is None:
            log.info("this process delivers webhooks now (%s)", self.holder)
        self._holding_until = now + self.lease if held else None
        return held

    async def _dispatch(self) -> None:
        if len(self._in_flight) >= self.concurrency:
            return
        async with self.sessions() as session:  # a read first: most polls find nothing to do
            if not await store.any_due(session, utc_now(), busy=set(self._in_flight)):
                return
        async with write_transaction(self.sessions) as session:
            due = await store.claim_due(
                session, utc_now(), limit=self.concurrency - len(self._in_flight), busy=set(self._in_flight),
                hold=timedelta(seconds=3 * self.attempt_seconds), render=render,
            )  # fmt: skip
        for one in due:
            self._in_flight[one.subscription_pk] = (one.pk, asyncio.create_task(self._deliver(one), name=f"webhook-{one.pk}"))

    async def _deliver(self, due: store.Due) -> None:
        try:
            outcome = await attempt(self._client, due, allow_private=self.allow_private, seconds=self.attempt_seconds)
            self.attempts += 1
            done = due.attempts + 1
            retry = self.retries[done - 1] if not outcome.delivered and not outcome.gone and done <= len(self.retries) else None
            async with write_transaction(self.sessions) as session:
                await store.record_attempt(
                    session, due, utc_now(), delivered=outcome.delivered, status_code=outcome.status_code,
                    error=outcome.error, retry_after=retry,
                )  # fmt: skip
                if outcome.gone:
                    await store.disable_subscription(session, due.subscription_pk, utc_now(), "the endpoint answered 410 Gone")
            if not outcome.delivered:
                log.warning("webhook delivery %s to %s failed: %s", due.pk, due.url, outcome.error)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("webhook delivery %s could not be recorded", due.pk)
        finally:
            if self._in_flight.get(due.subscription_pk, (None,))[0] == due.pk:
                del self._in_flight[due.subscription_pk]
            self._wake.set()  # the endpoint's next delivery may go now
