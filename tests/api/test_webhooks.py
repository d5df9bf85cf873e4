"""Webhooks as stewards and receivers meet them: `portal webhooks ...` on the command line, real
receivers on loopback, deliveries verified with the `standardwebhooks` library (the Standard
Webhooks reference), changes made by real imports."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import re

import httpx
import pytest
from exports import base_document, factory_with_history, merge
from processes import portal
from servers import serving
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from transparency_portal.config import Settings
from transparency_portal.resolvers.ids import to_global
from transparency_portal.schema.http.app import create_app

WAIT = 60.0  # a bound on every wait, never a measure


class Receiver:
    """An HTTP endpoint on loopback that records each POST to /{name} and answers it as told:
    statuses to give in turn (then 200), or an event to wait for first (a slow receiver)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, str], bytes]] = []
        self.statuses: dict[str, list[int]] = {}
        self.hold: dict[str, asyncio.Event] = {}
        self.base = ""
        self.app = Starlette(routes=[Route("/{name}", self._receive, methods=["POST"])])

    async def _receive(self, request: Request) -> Response:
        name = request.path_params["name"]
        self.calls.append((name, dict(request.headers), await request.body()))
        if name in self.hold:
            await self.hold[name].wait()
        answers = self.statuses.get(name)
        status = answers.pop(0) if answers else 200
        return Response(status_code=status, headers={"location": "/followed"} if 300 <= status < 400 else {})

    def url(self, name: str, host: str = "127.0.0.1") -> str:
        return self.base.replace("127.0.0.1", host) + f"/{name}"

    def of(self, name: str) -> list[tuple[dict[str, str], bytes]]:
        return [(headers, body) for n, headers, body in self.calls if n == name]


@pytest.fixture
async def receiver():
    receiver = Receiver()
    async with serving(receiver.app) as base:
        receiver.base = base
        yield receiver
        for event in receiver.hold.values():  # let held requests end before the server stops
            event.set()


# The worker looks at the outbox this often (imports come from other processes, which wake it
# only through its poll on SQLite): a test waits for it, never for the 2 s default.
POLL_SECONDS = 0.1


@pytest.fixture
def portal_settings(sqlite_url, tmp_path):
    """A server on SQLite with PORTAL_WEBHOOK_RETRIES=0.2,0.2 (three attempts) and loopback receivers allowed."""
    return Settings(
        database_url=sqlite_url, storage_dir=tmp_path / "attachments", rate_limit=0, rate_limit_points=0,
        webhook_retries=(0.2, 0.2), webhook_allow_private=True, webhook_poll_seconds=POLL_SECONDS,
    )


def env_for(database_url: str, *, allow_private: bool = True) -> dict:
    env = {
        **os.environ, "PORTAL_DATABASE_URL": database_url, "PORTAL_ACTOR": "webhook-test",
        "PORTAL_WEBHOOK_POLL_SECONDS": str(POLL_SECONDS),
    }  # fmt: skip
    env.pop("PORTAL_WEBHOOK_ALLOW_PRIVATE", None)
    if allow_private:
        env["PORTAL_WEBHOOK_ALLOW_PRIVATE"] = "1"
    return env


async def run(env: dict, *args: str):
    """`portal ...` in a process of its own (off the event loop: the servers keep serving)."""
    return await asyncio.to_thread(portal, env, *args)


async def subscribe(env: dict, url: str, *filters: str) -> tuple[int, str]:
    added = await run(env, "webhooks", "add", "--url", url, *filters)
    assert added.returncode == 0, added.stderr
    lines = added.stdout.strip().splitlines()
    number = re.fullmatch(r"webhook (\d+)", lines[0])
    assert number, lines[0]
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/]+={0,2}", lines[-1]), lines[-1]
    return int(number.group(1)), lines[-1]


async def import_document(env: dict, tmp_path, document: dict, name: str = "export.json"):
    path = tmp_path / name
    path.write_text(json.dumps(document))
    imported = await run(env, "import", str(path))
    assert imported.returncode == 0, imported.stderr


async def until(condition, what: str) -> None:
    async with asyncio.timeout(WAIT):
        while not condition():
            await asyncio.sleep(0.05)


async def deliveries(env: dict, webhook: int) -> list[list[str]]:
    listed = await run(env, "webhooks", "deliveries", str(webhook))
    assert listed.returncode == 0, listed.stderr
    return [line.split("\t") for line in listed.stdout.splitlines()]


@contextlib.asynccontextmanager
async def portal_server(settings):
    app = create_app(settings)
    async with serving(app) as base:
        yield app, base


def verified(secret: str, headers: dict[str, str], body: bytes) -> dict:
    """The payload, once the reference library has checked its signature."""
    return Webhook(secret).verify(body, headers)


def kinds(payloads: list[dict]) -> list[tuple[str, str]]:
    return [(p["data"]["kind"], p["data"]["factoryId"]) for p in payloads]


async def test_deliveries_are_signed_filtered_and_follow_new_subscriptions(tmp_path, receiver, portal_settings, sqlite_url):
    env = env_for(sqlite_url)
    async with portal_server(portal_settings) as (_app, base):
        await import_document(env, tmp_path, merge(base_document(), factory_with_history("KH-A", "Alpha (test)")), "a.json")
        # `localhost` resolves to loopback: allowed here. The request goes to the checked address
        # with the name in Host.
        webhook, secret = await subscribe(env, receiver.url("kh", "localhost"), "--country", "KH")
        await import_document(
            env, tmp_path,
            merge(factory_with_history("KH-B", "Beta (test)"), factory_with_history("VN-C", "Gamma (test)", country="VN")),
            "b.json",
        )  # fmt: skip
        await until(lambda: receiver.of("kh"), "the delivery")

        (headers, body), = receiver.of("kh")
        payload = verified(secret, headers, body)
        assert headers["host"] == receiver.url("", "localhost").split("/")[2]
        assert headers["content-type"] == "application/json"
        assert headers["webhook-id"].startswith("msg_")
        assert payload["type"] == "public.change"
        assert payload["timestamp"].endswith("Z")
        data = payload["data"]
        assert (data["kind"], data["factoryId"]) == ("FACTORY_PUBLISHED", to_global("Factory", "KH-B"))
        assert set(data) == {"id", "kind", "at", "factoryId", "assessmentId", "findingId", "responseId"}
        assert data["assessmentId"] == to_global("Assessment", "KH-B-A2")
        assert data["findingId"] is None and data["responseId"] is None
        # The ids are the API's: the factory is there by that id.
        async with httpx.AsyncClient() as client:
            answer = await client.post(f"{base}/graphql", json={
                "query": "query($id: ID!) { factory(id: $id) { name } "
                "changes(first: 100) { edges { node { id kind factoryId assessmentId findingId responseId } } } }",
                "variables": {"id": data["factoryId"]},
            })  # fmt: skip
        assert answer.json()["data"]["factory"]["name"] == "Beta (test)"
        # The change is the feed's entry, by its id, naming the same things by the same ids.
        feed = {edge["node"]["id"]: edge["node"] for edge in answer.json()["data"]["changes"]["edges"]}
        assert feed[data["id"]] == {key: value for key, value in data.items() if key != "at"}
        # Alpha changed before the subscription, Gamma is in Vietnam: neither is queued for it.
        assert [(row[1], row[2]) for row in await deliveries(env, webhook)] == [("DELIVERED", headers["webhook-id"])]

        # A signature made with another secret is refused by the same check.
        with pytest.raises(WebhookVerificationError):
            verified("whsec_" + "A" * 44, headers, body)


async def test_a_failing_receiver_gets_the_same_message_until_it_answers_and_can_ask_again(
    tmp_path, receiver, portal_settings, sqlite_url
):
    env = env_for(sqlite_url)
    receiver.statuses["flaky"] = [500, 503]
    receiver.statuses["down"] = [500, 502, 404]
    receiver.statuses["moved"] = [307, 308, 301]
    async with portal_server(portal_settings):  # PORTAL_WEBHOOK_RETRIES=0.2,0.2: three attempts
        await import_document(env, tmp_path, base_document(), "base.json")
        (flaky, flaky_secret), (down, _), (moved, _) = await asyncio.gather(
            *(subscribe(env, receiver.url(name)) for name in ("flaky", "down", "moved"))
        )
        await import_document(env, tmp_path, merge(factory_with_history("KH-A", "Alpha (test)")), "a.json")
        await until(lambda: all(len(receiver.of(name)) == 3 for name in ("flaky", "down", "moved")), "three attempts each")

        attempts = receiver.of("flaky")
        assert len({headers["webhook-id"] for headers, _ in attempts}) == 1
        assert len({body for _, body in attempts}) == 1
        for headers, body in attempts:
            verified(flaky_secret, headers, body)
        [[_pk, status, message, count, outcome]] = await deliveries(env, flaky)
        assert (status, message, count, outcome) == ("DELIVERED", attempts[0][0]["webhook-id"], "attempts 3", "HTTP 200")

        rows = await deliveries(env, down)
        # Out of retries: failed, with the last answer.
        while rows[0][1] != "FAILED":
            await asyncio.sleep(0.1)
            rows = await deliveries(env, down)
        assert rows[0][3:5] == ["attempts 3", "HTTP 404"]

        # Redirects are failures, never followed.
        rows_moved = await deliveries(env, moved)
        while rows_moved[0][1] != "FAILED":
            await asyncio.sleep(0.1)
            rows_moved = await deliveries(env, moved)
        assert rows_moved[0][3] == "attempts 3" and "HTTP 301" in rows_moved[0][4]
        assert receiver.of("followed") == []

        again = await run(env, "webhooks", "redeliver", rows[0][0])
        assert again.returncode == 0, again.stderr
        assert rows[0][2] in again.stdout
        await until(lambda: len(receiver.of("down")) == 4, "the redelivery")
        first, *_, last = receiver.of("down")
        assert last[0]["webhook-id"] == first[0]["webhook-id"] and last[1] == first[1]


async def test_410_gone_disables_the_subscription(tmp_path, receiver, portal_settings, sqlite_url):
    env = env_for(sqlite_url)
    receiver.statuses["gone"] = [410]
    async with portal_server(portal_settings):
        await import_document(env, tmp_path, base_document(), "base.json")
        gone, _ = await subscribe(env, receiver.url("gone"))
        await subscribe(env, receiver.url("live"))  # after: `webhooks list` shows it second
        await import_document(env, tmp_path, merge(factory_with_history("KH-A", "Alpha (test)")), "a.json")
        await until(lambda: receiver.of("gone") and receiver.of("live"), "both deliveries")
        listed = await run(env, "webhooks", "list")
        gone_line, live_line = listed.stdout.splitlines()
        while "disabled" not in gone_line:
            await asyncio.sleep(0.1)
            gone_line, live_line = (await run(env, "webhooks", "list")).stdout.splitlines()
        assert "410" in gone_line and "active" in live_line

        await import_document(env, tmp_path, merge(factory_with_history("KH-B", "Beta (test)")), "b.json")
        await until(lambda: len(receiver.of("live")) == 2, "the live endpoint's next delivery")
        assert len(receiver.of("gone")) == 1
        assert len(await deliveries(env, gone)) == 1  # nothing more queued for it
        refused = await run(env, "webhooks", "redeliver", (await deliveries(env, gone))[0][0])
        assert refused.returncode == 1 and "disabled" in refused.stderr


async def test_a_slow_receiver_holds_up_neither_another_receiver_nor_public_requests(
    tmp_path, receiver, portal_settings, sqlite_url
):
    env = env_for(sqlite_url)
    receiver.hold["slow"] = asyncio.Event()
    async with portal_server(portal_settings) as (_app, base):
        await import_document(env, tmp_path, base_document(), "base.json")
        await asyncio.gather(subscribe(env, receiver.url("slow")), subscribe(env, receiver.url("fast")))
        await import_document(env, tmp_path, merge(factory_with_history("KH-A", "Alpha (test)")), "a.json")
        await until(lambda: receiver.of("slow") and receiver.of("fast"), "both requests")
        # The slow receiver has not answered yet, and the API answers meanwhile.
        assert not receiver.hold["slow"].is_set()
        async with httpx.AsyncClient() as client:
            answer = await client.post(f"{base}/graphql", json={"query": "{ factories { totalCount } }"})
        assert answer.json()["data"]["factories"]["totalCount"] == 1
        receiver.hold["slow"].set()


async def test_loopback_is_refused_when_subscribing_and_when_delivering(tmp_path, receiver, portal_settings, sqlite_url):
    strict = env_for(sqlite_url, allow_private=False)
    await import_document(strict, tmp_path, base_document(), "base.json")
    refusals = [
        (receiver.url("x"), "loopback"),
        (receiver.url("x", "localhost"), "loopback"),
        ("http://[::ffff:127.0.0.1]/x", "loopback"),
        ("http://10.1.2.3/x", "private"),
        ("http://100.64.0.7/x", "shared"),
        ("http://169.254.169.254/latest/meta-data", "link-local"),
        ("http://[fd12::1]/x", "unique-local"),
        ("http://0.0.0.0/x", "unspecified"),
    ]
    # Separate commands, all at once: each process spends most of its life starting up.
    answers = await asyncio.gather(*(run(strict, "webhooks", "add", "--url", url) for url, _why in refusals))
    for (url, why), refused in zip(refusals, answers, strict=True):
        assert refused.returncode == 1, (url, refused.stdout)
        assert why in refused.stderr and "PORTAL_WEBHOOK_ALLOW_PRIVATE" in refused.stderr, refused.stderr
    assert (await run(strict, "webhooks", "list")).stdout == ""

    # Subscribed while private destinations were allowed, delivered by a server where they are not:
    # each attempt checks the address again.
    webhook, _ = await subscribe(env_for(sqlite_url), receiver.url("inside"))
    server_settings = dataclasses.replace(portal_settings, webhook_allow_private=False)
    async with portal_server(server_settings) as (app, _base):
        await import_document(strict, tmp_path, merge(factory_with_history("KH-A", "Alpha (test)")), "a.json")
        await until(lambda: app.state.webhooks.attempts == 3, "three refused attempts")
        rows = await deliveries(strict, webhook)
        while rows[0][1] != "FAILED":
            await asyncio.sleep(0.2)
            rows = await deliveries(strict, webhook)
    assert rows[0][3] == "attempts 3" and "refused" in rows[0][4] and "loopback" in rows[0][4]
    assert receiver.of("inside") == []


async def test_a_server_started_after_changes_delivers_them_and_picks_up_imports_while_it_runs(
    tmp_path, receiver, children, sqlite_url
):
    """Real `portal serve` processes: one killed like a crash (its lease stays behind) while a
    delivery was waiting, changes imported meanwhile, then a new one delivers all of them."""
    # A lease of 1 s: the killed server's runs out by the time the next one has started.
    env = {**env_for(sqlite_url), "PORTAL_WEBHOOK_RETRIES": "3600", "PORTAL_WEBHOOK_LEASE_SECONDS": "1"}
    await import_document(env, tmp_path, base_document(), "base.json")
    webhook, secret = await subscribe(env, receiver.url("hook"))
    receiver.statuses["hook"] = [500]  # the first attempt fails: retried in an hour
    first, _ = await asyncio.to_thread(children.serve, env)
    await import_document(env, tmp_path, merge(factory_with_history("KH-A", "Alpha (test)")), "a.json")
    await until(lambda: receiver.of("hook"), "the first attempt")
    await asyncio.to_thread(children.kill, first)

    await import_document(env, tmp_path, merge(factory_with_history("KH-B", "Beta (test)")), "b.json")
    redo = await run(env, "webhooks", "redeliver", (await deliveries(env, webhook))[-1][0])
    assert redo.returncode == 0, redo.stderr
    await asyncio.to_thread(children.serve, env)
    await until(lambda: len(receiver.of("hook")) == 3, "both changes")
    payloads = [verified(secret, headers, body) for headers, body in receiver.of("hook")]
    factories = [to_global("Factory", "KH-A"), to_global("Factory", "KH-B")]
    assert sorted(kinds(payloads[1:])) == sorted(("FACTORY_PUBLISHED", f) for f in factories)

    # An import by another process while the server runs is delivered too.
    await import_document(env, tmp_path, merge(factory_with_history("KH-C", "Gamma (test)")), "c.json")
    await until(lambda: len(receiver.of("hook")) == 4, "the import's change")
    assert kinds([verified(secret, *receiver.of("hook")[-1])]) == [("FACTORY_PUBLISHED", to_global("Factory", "KH-C"))]


async def test_of_two_servers_one_delivers_and_the_other_takes_over_when_it_stops(
    tmp_path, receiver, settings, database_url, engine
):
    env = env_for(database_url)
    both = dataclasses.replace(settings, webhook_retries=(1, 1), webhook_allow_private=True, webhook_poll_seconds=POLL_SECONDS)
    await import_document(env, tmp_path, base_document(), "base.json")
    await subscribe(env, receiver.url("hook"))
    servers = []
    try:
        for _ in range(2):
            stack = contextlib.AsyncExitStack()
            app, _base = await stack.enter_async_context(portal_server(both))
            servers.append((app.state.webhooks, stack))
        factories = merge(*(factory_with_history(f"KH-{n}", f"Factory {n} (test)") for n in range(5)))
        await import_document(env, tmp_path, factories, "a.json")
        await until(lambda: len(receiver.of("hook")) == 5, "five deliveries")
        (holder, holder_stack), (other, _) = sorted(servers, key=lambda server: -server[0].attempts)
        assert (holder.attempts, other.attempts) == (5, 0)

        await holder_stack.aclose()  # as on SIGTERM: the lease is released
        await import_document(env, tmp_path, merge(factory_with_history("KH-9", "Factory 9 (test)")), "b.json")
        await until(lambda: len(receiver.of("hook")) == 6, "the next delivery")
        assert (holder.attempts, other.attempts) == (5, 1)
    finally:
        for _worker, stack in servers:
            await stack.aclose()
    assert len({headers["webhook-id"] for headers, _ in receiver.of("hook")}) == 6
