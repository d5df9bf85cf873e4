"""The event bus: what committed reaches every subscriber, on SQLite in process and on PostgreSQL
across processes through LISTEN/NOTIFY; nothing that rolled back does; a lost connection ends in
EVERYTHING_CHANGED and then events again.

Mutations go through the real server over HTTP; the subscriber is the server's own bus (or a
second bus, as a second process would have). Every wait is bounded, so a missing event fails
the test instead of hanging it; no assertion is about time.
"""

from __future__ import annotations

import asyncio
import json
import os

import pytest
from exports import base_document, factory_with_history, merge
from ids import gid, key
from processes import portal
from sqlalchemy import select, text
from transparency_portal.domain.events import EVERYTHING_CHANGED, BusEvent, BusEventKind
from transparency_portal.domain.moderation import ResponseState
from transparency_portal.storage.db import write_transaction
from transparency_portal.storage.event_bus import LISTENER_NAME, make_event_bus
from transparency_portal.storage.tables.supplier_responses import ResponseRow
from transparency_portal.workflows.import_document import import_document

K = BusEventKind
WAIT = 30  # seconds before a missing event fails the test

SUBMIT = "mutation($input: SubmitResponseInput!) { submitResponse(input: $input) { id version } }"
APPROVE = "mutation($id: ID!, $version: Int!) { approveResponse(id: $id, version: $version) { version } }"
REMOVE = "mutation($id: ID!, $version: Int!) { removeResponse(id: $id, version: $version, reason: OFF_TOPIC) { version } }"
WITHDRAW = "mutation($id: ID!) { withdrawResponse(id: $id) { state } }"
CLAIM = "mutation($id: ID!) { claimResponse(id: $id) { id } }"
RELEASE = "mutation($id: ID!) { releaseResponse(id: $id) { id } }"
NOTE = "mutation($id: ID!) { addModeratorNote(id: $id, text: \"checked\") { id } }"


async def submit(api, token, text="The emergency exit is now unlocked.") -> dict:
    variables = {"input": {"assessmentId": gid("Assessment", "KH-A-A2"), "text": text}}
    return (await api.query(SUBMIT, variables, token))["submitResponse"]


async def ids(sessions, response_global_id: str) -> tuple[int, int]:
    """The response's and its factory's database ids, which events carry."""
    async with sessions() as session:
        statement = select(ResponseRow.pk, ResponseRow.factory_pk).where(ResponseRow.public_id == key(response_global_id))
        return tuple((await session.exec(statement)).one())


async def until(events, wanted, *, skip=()) -> list[BusEvent]:
    """Reads events until `wanted` (one event or a predicate) and returns all read, the wanted
    one last. Kinds in `skip` are passed over: e.g. the PUBLIC_DATA_CHANGED of the fixtures'
    import, which on PostgreSQL may arrive after the test subscribed."""
    matches = wanted if callable(wanted) else wanted.__eq__
    seen = []
    async with asyncio.timeout(WAIT):
        async for event in events:
            if event.kind in skip:
                continue
            seen.append(event)
            if matches(event):
                return seen
    raise AssertionError(f"the subscription ended before {wanted}; read {seen}")


async def marker(bus, sessions) -> BusEvent:
    """Publishes an event nothing else publishes, in a committed transaction: read up to it,
    a subscriber has read everything that committed before."""
    event = BusEvent(K.RESPONSE_NOTED, response_id=987_654_321)
    async with write_transaction(sessions) as session:
        await bus.publish(session, [event])
    return event


async def test_every_step_is_delivered_once_committed_with_its_ids_and_new_state(api, people, sessions):
    bus = api.app.state.event_bus
    async with bus.subscribe() as events:
        response = await submit(api, people.alpha)
        pk, factory = await ids(sessions, response["id"])
        [submitted] = await until(events, lambda e: e.kind is K.RESPONSE_SUBMITTED, skip={K.PUBLIC_DATA_CHANGED})
        assert submitted == BusEvent(K.RESPONSE_SUBMITTED, pk, factory, ResponseState.SUBMITTED)
        # Delivered after the commit: what it names is there for anyone who reads it.
        assert await ids(sessions, response["id"]) == (pk, factory)

        await api.query(CLAIM, {"id": response["id"]}, people.mod1)
        await api.query(NOTE, {"id": response["id"]}, people.mod1)
        await api.query(RELEASE, {"id": response["id"]}, people.mod1)
        await api.query(APPROVE, {"id": response["id"], "version": 1}, people.mod1)
        public = BusEvent(K.PUBLIC_DATA_CHANGED, factory_id=factory)
        assert await until(events, public) == [
            BusEvent(K.RESPONSE_CLAIMED, pk, factory, ResponseState.SUBMITTED),
            BusEvent(K.RESPONSE_NOTED, pk, factory, ResponseState.SUBMITTED),
            BusEvent(K.RESPONSE_RELEASED, pk, factory, ResponseState.SUBMITTED),
            BusEvent(K.RESPONSE_DECIDED, pk, factory, ResponseState.APPROVED),
            public,
        ]

        await api.query(REMOVE, {"id": response["id"], "version": 2}, people.mod2)
        assert await until(events, public) == [BusEvent(K.RESPONSE_DECIDED, pk, factory, ResponseState.REMOVED), public]

        # A withdrawal leaves the queue but never changed what the public sees.
        other = await submit(api, people.alpha, "A second answer.")
        other_pk, _ = await ids(sessions, other["id"])
        await api.query(WITHDRAW, {"id": other["id"]}, people.alpha)
        end = await marker(bus, sessions)
        assert await until(events, end) == [
            BusEvent(K.RESPONSE_SUBMITTED, other_pk, factory, ResponseState.SUBMITTED),
            BusEvent(K.RESPONSE_WITHDRAWN, other_pk, factory, ResponseState.REMOVED),
            end,
        ]


async def test_a_rolled_back_transaction_delivers_nothing(api, people, sessions):
    bus = api.app.state.event_bus
    lost = BusEvent(K.RESPONSE_DECIDED, response_id=123_456, state=ResponseState.APPROVED)
    async with bus.subscribe() as events:
        with pytest.raises(RuntimeError):
            async with write_transaction(sessions) as session:
                await bus.publish(session, [lost])
                raise RuntimeError("the workflow fails after publishing")
        # A refused step (a stale version: CONFLICT) publishes nothing either.
        response = await submit(api, people.alpha)
        errors = await api.errors(APPROVE, {"id": response["id"], "version": 7}, people.mod1)
        assert errors[0]["extensions"]["code"] == "CONFLICT"
        end = await marker(bus, sessions)
        seen = await until(events, end, skip={K.PUBLIC_DATA_CHANGED})
    pk, factory = await ids(sessions, response["id"])
    assert seen == [BusEvent(K.RESPONSE_SUBMITTED, pk, factory, ResponseState.SUBMITTED), end]


async def test_an_import_publishes_public_data_changed(api, sessions):
    bus = api.app.state.event_bus
    document = merge(base_document(), factory_with_history("KH-A", "Alpha Garments (test)"))
    async with bus.subscribe() as events:
        await import_document(sessions, document, actor="test-steward", bus=bus)
        assert (await until(events, lambda e: True)) == [BusEvent(K.PUBLIC_DATA_CHANGED)]
        # An import that changes nothing commits nothing, and says nothing.
        await import_document(sessions, document, actor="test-steward", bus=bus)
        end = await marker(bus, sessions)
        assert await until(events, end) == [end]


async def test_a_slow_subscriber_gets_everything_changed_instead_of_a_growing_queue(database_url, sessions):
    bus = make_event_bus(database_url, queue_limit=3)
    await bus.start()
    try:
        slow, fast = bus.subscribe(), bus.subscribe()
        published = [BusEvent(K.RESPONSE_NOTED, response_id=n) for n in range(1, 7)]
        for event in published:
            async with write_transaction(sessions) as session:
                await bus.publish(session, [event])
            assert await until(fast, event) == [event]
        # The slow one reads only now: the three it could hold were dropped for one reset.
        assert await until(slow, published[-1]) == [EVERYTHING_CHANGED, *published[4:]]
    finally:
        await bus.close()


async def test_close_ends_every_subscription(database_url, sessions):
    bus = make_event_bus(database_url)
    await bus.start()
    subscription = bus.subscribe()
    reader = asyncio.create_task(until(subscription, lambda e: False))
    await bus.close()
    with pytest.raises(AssertionError, match="subscription ended"):
        async with asyncio.timeout(WAIT):
            await reader
    assert [e async for e in bus.subscribe()] == []


@pytest.fixture
def postgres_only(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("LISTEN/NOTIFY across processes is PostgreSQL's")
    return database_url


async def test_a_second_process_hears_what_the_first_committed(postgres_only, api, people, sessions):
    other = make_event_bus(postgres_only)  # another process's bus: its own LISTEN connection
    await other.start()
    try:
        async with other.subscribe() as events:
            response = await submit(api, people.alpha)
            pk, factory = await ids(sessions, response["id"])
            submitted = BusEvent(K.RESPONSE_SUBMITTED, pk, factory, ResponseState.SUBMITTED)
            assert await until(events, submitted, skip={K.PUBLIC_DATA_CHANGED}) == [submitted]
            await api.query(APPROVE, {"id": response["id"], "version": 1}, people.mod1)
            public = BusEvent(K.PUBLIC_DATA_CHANGED, factory_id=factory)
            assert await until(events, public) == [BusEvent(K.RESPONSE_DECIDED, pk, factory, ResponseState.APPROVED), public]
    finally:
        await other.close()


async def test_a_lost_listener_reconnects_and_says_everything_changed(postgres_only, sessions):
    bus = make_event_bus(postgres_only)
    await bus.start()
    try:
        async with bus.subscribe() as events:
            async with sessions() as session:
                killed = (
                    await session.exec(
                        text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :name"),
                        params={"name": LISTENER_NAME},
                    )
                ).all()
            assert killed and all(ok for ok, in killed)
            assert await until(events, EVERYTHING_CHANGED) == [EVERYTHING_CHANGED]
            # Listening again: later commits arrive as before.
            end = await marker(bus, sessions)
            assert await until(events, end) == [end]
    finally:
        await bus.close()


async def test_the_command_line_import_reaches_running_servers(postgres_only, api, tmp_path):
    bus = api.app.state.event_bus
    path = tmp_path / "export.json"
    path.write_text(json.dumps(merge(base_document(), factory_with_history("KH-C", "Gamma Garments (test)"))))
    async with bus.subscribe() as events:
        done = await asyncio.to_thread(portal, {**os.environ, "PORTAL_DATABASE_URL": postgres_only}, "import", str(path))
        assert done.returncode == 0, done.stderr
        assert await until(events, lambda e: True) == [BusEvent(K.PUBLIC_DATA_CHANGED)]
