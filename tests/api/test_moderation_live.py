"""The live moderation queue: `Subscription.moderationEvents` over a real WebSocket (the
`websockets` library speaking graphql-transport-ws by hand) against the server under uvicorn:
who may connect, what each step sends, the filter, and a submit on one server process heard by a
moderator subscribed on another (PostgreSQL's LISTEN/NOTIFY)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import json
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import websockets
from ids import gid
from websockets.asyncio.client import ClientConnection, connect

from transparency_portal.domain.moderation import Role
from transparency_portal.workflows.users import add_user, revoke_user

A2, B2 = gid("Assessment", "KH-A-A2"), gid("Assessment", "KH-B-A2")
SUBMIT = "mutation($input: SubmitResponseInput!) { submitResponse(input: $input) { id version } }"
APPROVE = "mutation($id: ID!, $version: Int!) { approveResponse(id: $id, version: $version) { version } }"
REMOVE = "mutation($id: ID!, $version: Int!) { removeResponse(id: $id, version: $version, reason: OFF_TOPIC) { version } }"
WITHDRAW = "mutation($id: ID!) { withdrawResponse(id: $id) { id } }"
CLAIM = "mutation($id: ID!) { claimResponse(id: $id) { id } }"
RELEASE = "mutation($id: ID!) { releaseResponse(id: $id) { id } }"
NOTE = "mutation($id: ID!, $text: String!) { addModeratorNote(id: $id, text: $text) { id } }"
EVENTS = """subscription($filter: ModerationFilter) { moderationEvents(filter: $filter) {
  kind queue at response { id state version text claim { mine } history { kind note } } } }"""
PROTOCOL = "graphql-transport-ws"
# Every wait for the server is bounded: a test that hears nothing fails instead of hanging.
WAIT = 10.0


def ws_url(base_url: str) -> str:
    return base_url.replace("http://", "ws://", 1) + "/graphql"


@contextlib.asynccontextmanager
async def socket(base_url: str, *, header_token: str | None = None, subprotocol: str = PROTOCOL) -> AsyncIterator[ClientConnection]:
    headers = {"Authorization": f"Bearer {header_token}"} if header_token else None
    async with connect(
        ws_url(base_url), subprotocols=[subprotocol], additional_headers=headers, proxy=None, open_timeout=WAIT
    ) as ws:
        yield ws


async def send(ws: ClientConnection, message: dict) -> None:
    await ws.send(json.dumps(message))


async def receive(ws: ClientConnection) -> dict:
    frame = await asyncio.wait_for(ws.recv(), WAIT)
    assert isinstance(frame, str), "graphql-transport-ws messages are text frames"
    return json.loads(frame)


async def init(ws: ClientConnection, token: str | None = None) -> dict:
    """connection_init (with the token in its payload, if given); the server's answer."""
    await send(ws, {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"} if token else {}})
    return await receive(ws)


async def closed_with(ws: ClientConnection) -> int:
    """The close code of a connection the server closes, after checking that no event came first."""
    with pytest.raises(websockets.ConnectionClosed) as closed:
        message = await asyncio.wait_for(ws.recv(), WAIT)
        raise AssertionError(f"got {message!r} instead of the close")
    return closed.value.rcvd.code


_ids = itertools.count(1)


async def subscribe(ws: ClientConnection, query: str = EVENTS, variables: dict | None = None) -> str:
    operation = str(next(_ids))
    await send(ws, {"id": operation, "type": "subscribe", "payload": {"query": query, "variables": variables or {}}})
    return operation


async def next_event(ws: ClientConnection, operation: str) -> dict:
    message = await receive(ws)
    assert message["type"] == "next" and message["id"] == operation, message
    assert "errors" not in message["payload"], message
    return message["payload"]["data"]["moderationEvents"]


class Live:
    """A moderator's subscription, and what a test does to be sure it listens: there is no
    'subscribed' message in the protocol, so `ready()` adds notes to a probe response until one
    is heard (the probe is a response the test otherwise leaves alone)."""

    def __init__(self, api, ws: ClientConnection, operation: str, probe: str, moderator: str) -> None:
        self.api, self.ws, self.operation, self.probe, self.moderator = api, ws, operation, probe, moderator

    async def ready(self, via=None) -> None:
        via = via or self.api
        for attempt in range(50):
            await via.query(NOTE, {"id": self.probe, "text": f"probe {attempt}"}, self.moderator)
            try:
                message = json.loads(await asyncio.wait_for(self.ws.recv(), 0.2))
            except TimeoutError:
                continue
            assert message["type"] == "next", message
            assert message["payload"]["data"]["moderationEvents"]["response"]["id"] == self.probe, message
            await self.skip_probes()
            return
        raise AssertionError("the subscription never heard the probe")

    async def skip_probes(self) -> None:
        """Drops the probe notes still on their way (each is one UPDATED of the probe)."""
        while True:
            try:
                message = json.loads(await asyncio.wait_for(self.ws.recv(), 0.3))
            except TimeoutError:
                return
            assert message["payload"]["data"]["moderationEvents"]["response"]["id"] == self.probe, message

    async def next(self) -> dict:
        return await next_event(self.ws, self.operation)


async def submit(api, token: str, text: str = "The fire exits are unlocked now.", assessment: str = A2) -> dict:
    return (await api.query(SUBMIT, {"input": {"assessmentId": assessment, "text": text}}, token))["submitResponse"]


@contextlib.asynccontextmanager
async def live(api, people, variables: dict | None = None, *, probe_assessment: str = A2) -> AsyncIterator[Live]:
    probe = (await submit(api, people.alpha if probe_assessment == A2 else people.beta, "Probe.", probe_assessment))["id"]
    async with socket(api.base_url) as ws:
        assert (await init(ws, people.mod1))["type"] == "connection_ack"
        operation = await subscribe(ws, variables=variables)
        subscription = Live(api, ws, operation, probe, people.mod2)
        await subscription.ready()
        yield subscription


# --- Who may connect ---------------------------------------------------------------------


async def test_a_moderator_connects_with_the_token_in_connection_init(api, people):
    async with socket(api.base_url) as ws:
        assert ws.subprotocol == PROTOCOL
        assert await init(ws, people.mod1) == {"type": "connection_ack"}


async def test_a_moderator_connects_with_the_token_in_the_upgrade_header(api, people):
    probe = await submit(api, people.alpha, "Probe.")
    async with socket(api.base_url, header_token=people.mod2) as ws:
        assert await init(ws) == {"type": "connection_ack"}
        events = Live(api, ws, await subscribe(ws), probe["id"], people.mod1)
        await events.ready()
        response = await submit(api, people.alpha)
        assert (await events.next())["response"]["id"] == response["id"]


@pytest.mark.parametrize("who", ["nobody", "supplier", "steward", "invented", "revoked"])
async def test_anyone_but_a_moderator_is_closed_with_4403_and_hears_nothing(api, people, sessions, who):
    revoked = await add_user(sessions, name="Former Moderator", role=Role.MODERATOR)
    await revoke_user(sessions, revoked.user_pk)
    token = {
        "nobody": None, "supplier": people.alpha, "steward": people.steward, "invented": "not-a-token",
        "revoked": revoked.token,
    }[who]  # fmt: skip
    async with socket(api.base_url) as ws:
        await send(ws, {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"} if token else {}})
        await subscribe(ws)
        await submit(api, people.alpha)
        assert await closed_with(ws) == 4403


async def test_a_suppliers_header_with_no_payload_token_is_closed_with_4403(api, people):
    async with socket(api.base_url, header_token=people.alpha) as ws:
        await send(ws, {"type": "connection_init"})
        assert await closed_with(ws) == 4403


async def test_a_subscription_before_connection_init_is_refused(api, people):
    async with socket(api.base_url, header_token=people.mod1) as ws:
        await subscribe(ws)
        assert await closed_with(ws) == 4401  # the protocol's Unauthorized: no connection_init yet


async def test_the_legacy_subscriptions_transport_ws_protocol_is_not_spoken(api, people):
    async with socket(api.base_url, subprotocol="graphql-ws") as ws:
        assert await closed_with(ws) == 4406


async def test_queries_and_mutations_go_over_http_not_the_socket(api, people):
    response = await submit(api, people.alpha)
    async with socket(api.base_url) as ws:
        await init(ws, people.mod1)
        operation = await subscribe(ws, APPROVE, {"id": response["id"], "version": 1})
        message = await receive(ws)
    assert message["type"] == "error" and message["id"] == operation, message
    assert message["payload"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "over HTTP" in message["payload"][0]["message"]
    one = "query($id: ID!) { response(id: $id) { state version } }"
    assert (await api.query(one, {"id": response["id"]}, people.mod1))["response"] == {"state": "SUBMITTED", "version": 1}


async def test_a_subscription_over_http_is_refused_with_a_code(api, people):
    response = await api.post(EVENTS, token=people.mod1, headers={"accept": "application/graphql-response+json"})
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "WebSocket" in error["message"]


async def test_a_bad_filter_is_the_protocols_error_with_its_code(api, people):
    async with socket(api.base_url) as ws:
        await init(ws, people.mod1)
        operation = await subscribe(ws, variables={"filter": {"waitingHours": -1}})
        message = await receive(ws)
    assert message["id"] == operation and message["type"] == "error", message  # before any event
    assert message["payload"][0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": "waitingHours", "max": 878400}


async def test_a_page_of_another_origin_cannot_open_the_socket(api, people):
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with connect(ws_url(api.base_url), subprotocols=[PROTOCOL], origin="https://elsewhere.example", proxy=None):
            pass
    assert refused.value.response.status_code == 403


async def test_an_upgrade_counts_as_one_request_of_the_rate_limit(settings, engine):
    from servers import serving

    from transparency_portal.schema.http.app import create_app

    app = create_app(dataclasses.replace(settings, rate_limit=2))
    async with serving(app) as base_url:
        for _ in range(2):
            async with socket(base_url) as ws:
                await send(ws, {"type": "connection_init"})
                assert await closed_with(ws) == 4403  # admitted by the limit, refused as no moderator
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with socket(base_url):
                pass
    response = refused.value.response
    assert response.status_code == 429 and int(response.headers["retry-after"]) >= 1
    assert json.loads(response.body)["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


# --- What each step sends ------------------------------------------------------------------


async def test_each_step_of_a_response_is_an_event_of_the_submitted_queue(api, people):
    async with live(api, people) as events:
        response = await submit(api, people.alpha, "Overtime is paid at the legal rate now.")
        entered = await events.next()
        assert entered["kind"] == "ENTERED" and entered["queue"] == "SUBMITTED"
        assert entered["response"]["id"] == response["id"]
        assert entered["response"]["text"] == "Overtime is paid at the legal rate now."
        assert entered["response"]["history"] == [{"kind": "SUBMIT", "note": None}]  # moderators' fields

        await api.query(CLAIM, {"id": response["id"]}, people.mod1)
        claimed = await events.next()
        assert (claimed["kind"], claimed["response"]["claim"]) == ("UPDATED", {"mine": True})  # mod1 subscribed
        await api.query(NOTE, {"id": response["id"], "text": "asked the union"}, people.mod1)
        noted = await events.next()
        assert noted["kind"] == "UPDATED" and noted["response"]["history"][-1] == {"kind": "NOTE", "note": "asked the union"}
        await api.query(RELEASE, {"id": response["id"]}, people.mod1)
        released = await events.next()
        assert (released["kind"], released["response"]["claim"]) == ("UPDATED", None)

        await api.query(APPROVE, {"id": response["id"], "version": 1}, people.mod2)
        left = await events.next()
        assert (left["kind"], left["queue"], left["response"]["state"], left["response"]["version"]) == (
            "LEFT", "SUBMITTED", "APPROVED", 2,
        )  # fmt: skip

        # Removing it now takes it from no queue (it was approved): nothing is sent for it.
        await api.query(REMOVE, {"id": response["id"], "version": 2}, people.mod2)
        withdrawn = await submit(api, people.alpha, "Sent too early.")
        assert (await events.next())["response"]["id"] == withdrawn["id"]
        await api.query(WITHDRAW, {"id": withdrawn["id"]}, people.alpha)
        gone = await events.next()
        assert (gone["kind"], gone["queue"], gone["response"]["state"]) == ("LEFT", "SUBMITTED", "REMOVED")

        removed = await submit(api, people.alpha, "Off topic.")
        assert (await events.next())["kind"] == "ENTERED"
        await api.query(REMOVE, {"id": removed["id"], "version": 1}, people.mod2)
        assert (await events.next())["kind"] == "LEFT"


async def test_the_filter_applies_to_events(api, people):
    factory = gid("Factory", "KH-A")
    async with live(api, people, {"filter": {"factory": [factory]}}) as events:
        await submit(api, people.beta, "Another factory.", B2)  # filtered out
        mine = await submit(api, people.alpha, "This factory.")
        # Events come in commit order: had the other factory's passed the filter, it would be first.
        assert (await events.next())["response"]["id"] == mine["id"]


async def test_a_subscription_to_the_reported_queue_hears_nothing_of_the_submitted_one(api, people):
    async with live(api, people, {"filter": {"queue": "SUBMITTED"}}) as submitted:
        async with socket(api.base_url) as ws:
            await init(ws, people.mod1)
            reported = await subscribe(ws, variables={"filter": {"queue": "REPORTED"}})
            response = await submit(api, people.alpha)
            await api.query(APPROVE, {"id": response["id"], "version": 1}, people.mod2)
            assert (await submitted.next())["kind"] == "ENTERED"
            assert (await submitted.next())["kind"] == "LEFT"
            await send(ws, {"id": reported, "type": "complete"})
            await send(ws, {"type": "ping"})
            assert await receive(ws) == {"type": "pong"}  # no event came before it


async def test_a_subscription_stops_listening_when_completed_or_disconnected(api, people):
    bus = api.app.state.event_bus
    # The server's own listeners (the webhook worker's wake-up) stay; the socket's come and go.
    others = len(bus._subscriptions)
    async with live(api, people) as events:
        assert len(bus._subscriptions) == others + 1
        await send(events.ws, {"id": events.operation, "type": "complete"})
        await until(lambda: len(bus._subscriptions) == others)
        again = await subscribe(events.ws)
        await Live(api, events.ws, again, events.probe, people.mod2).ready()
        assert len(bus._subscriptions) == others + 1
    await until(lambda: len(bus._subscriptions) == others)  # the socket closed with the subscription open


async def until(condition) -> None:
    for _ in range(100):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("still not so after 5 s")


async def test_a_subscription_that_fell_behind_ends_with_events_missed(api, people):
    """The bus gives a subscriber that fell behind EVERYTHING_CHANGED (storage/event_bus); the
    moderator is told to read the queue again, and the subscription ends."""
    from transparency_portal.domain.events import EVERYTHING_CHANGED

    async with live(api, people) as events:
        api.app.state.event_bus._fan_out([EVERYTHING_CHANGED])
        message = await receive(events.ws)
        assert message["type"] == "next" and message["id"] == events.operation
        error = message["payload"]["errors"][0]
        assert error["extensions"]["code"] == "UNAVAILABLE" and error["extensions"]["eventsMissed"] is True
        assert "moderationQueue" in error["message"]
        assert await receive(events.ws) == {"id": events.operation, "type": "complete"}


async def test_a_moderator_revoked_meanwhile_hears_nothing_once_the_token_is_checked_again(api, people, settings, sessions):
    from servers import serving

    from transparency_portal.resolvers.moderation_live import RECHECK_AFTER
    from transparency_portal.schema.http.app import create_app

    offset = timedelta(0)
    app = create_app(settings, clock=lambda: datetime.now(UTC) + offset)  # a bus and clock of its own
    leaving = await add_user(sessions, name="Leaving Moderator", role=Role.MODERATOR)
    async with serving(app) as base_url, httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        server = type(api)(client, base_url, app)
        probe = await submit(server, people.alpha, "Probe.")
        async with socket(base_url) as ws:
            assert (await init(ws, leaving.token))["type"] == "connection_ack"
            events = Live(server, ws, await subscribe(ws), probe["id"], people.mod1)
            await events.ready()
            await revoke_user(sessions, leaving.user_pk)
            offset = RECHECK_AFTER + timedelta(seconds=1)
            await submit(server, people.alpha, "Not for a former moderator.")
            message = await receive(ws)
            assert message["type"] == "next" and message["payload"]["data"] is None, message
            assert message["payload"]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
            assert await receive(ws) == {"id": events.operation, "type": "complete"}


# --- Across server processes -----------------------------------------------------------------


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_submit_on_one_server_reaches_a_moderator_subscribed_on_another(api, people, children, tmp_path, database_url):
    env = {
        **os.environ, "PORTAL_DATABASE_URL": database_url, "PORTAL_STORAGE_DIR": str(tmp_path / "attachments"),
        "PORTAL_RATE_LIMIT": "0",
    }  # fmt: skip
    _, other = children.serve(env)
    async with httpx.AsyncClient(base_url=other, timeout=30) as client:
        elsewhere = type(api)(client, other, None)  # the same client, of the other server
        async with live(api, people) as events:
            await events.ready(via=elsewhere)  # the probe's note, made on the other server, is heard here
            response = await submit(elsewhere, people.alpha, "Submitted on the other server.")
            entered = await events.next()
            assert (entered["kind"], entered["response"]["id"]) == ("ENTERED", response["id"])
            assert entered["response"]["text"] == "Submitted on the other server."
