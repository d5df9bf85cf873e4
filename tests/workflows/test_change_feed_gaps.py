"""No gaps in the change feed: a client that polls `changes` while changes commit concurrently sees
every one exactly once, also when (on PostgreSQL) a transaction that took a later id commits
first. Writers are real write transactions through `append_changes`; the reader polls over HTTP."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime

import pytest
from exports import base_document, factory_with_history, merge
from ids import key
from sqlalchemy import select
from transparency_portal.domain.public_changes import Change, ChangeKind
from transparency_portal.storage.db import write_transaction
from transparency_portal.storage.public_changes import append_changes
from transparency_portal.storage.tables.public_changes import PublicChangeRow
from transparency_portal.storage.tables.record import FactoryRow

POLL = """query($after: String) { changes(first: 5, after: $after) {
  edges { node { id kind } } pageInfo { hasNextPage endCursor } } }"""


class Poller:
    """A client polling the feed from where it stopped, keeping every change it is given."""

    def __init__(self, api) -> None:
        self.api = api
        self.after: str | None = None
        self.seen: list[int] = []

    async def poll(self) -> None:
        while True:
            page = (await self.api.query(POLL, {"after": self.after}))["changes"]
            self.seen += [int(key(e["node"]["id"])) for e in page["edges"]]
            self.after = page["pageInfo"]["endCursor"]
            if not page["pageInfo"]["hasNextPage"]:
                return


def updated(factory: str = "KH-A") -> Change:
    return Change(ChangeKind.FACTORY_UPDATED, factory, "KH", "Alpha Garments (test)", 1, assessment_id=f"{factory}-A2")


async def factory_pk(sessions) -> int:
    async with sessions() as session:
        return (await session.exec(select(FactoryRow.pk).where(FactoryRow.source_id == "KH-A"))).scalar_one()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_change_that_took_an_earlier_id_but_committed_later_is_not_skipped(api, load, sessions):
    await load(merge(base_document(), factory_with_history("KH-A", "Alpha Garments (test)")))
    reader = Poller(api)
    await reader.poll()
    before = list(reader.seen)
    pk = await factory_pk(sessions)

    async with write_transaction(sessions) as first:
        (early,) = await append_changes(first, [(pk, updated())], datetime.now(UTC))
        async with write_transaction(sessions) as second:
            (late,) = await append_changes(second, [(pk, updated())], datetime.now(UTC))
        assert early.id < late.id  # the later id commits first
        await reader.poll()
        assert reader.seen[len(before):] == [late.id]
    await reader.poll()
    assert reader.seen[len(before):] == [late.id, early.id]

    async with sessions() as session:
        positions = dict((await session.exec(select(PublicChangeRow.id, PublicChangeRow.position))).all())
    assert positions[late.id] < positions[early.id]  # the feed's order is the commit order


async def test_a_poller_sees_every_change_of_concurrent_writers_exactly_once(api, load, sessions):
    await load(merge(base_document(), factory_with_history("KH-A", "Alpha Garments (test)")))
    pk = await factory_pk(sessions)
    reader = Poller(api)
    written: list[int] = []
    rng = random.Random(15)

    async def writer(delays: list[float]) -> None:
        for delay in delays:
            async with write_transaction(sessions) as session:
                rows = await append_changes(session, [(pk, updated())] * rng.randint(1, 3), datetime.now(UTC))
                # Hold the transaction open a while, so that others take ids and commit meanwhile.
                await asyncio.sleep(delay)
            written.extend(row.id for row in rows)

    async def polling(done: asyncio.Event) -> None:
        while not done.is_set():
            await reader.poll()
            await asyncio.sleep(0)

    done = asyncio.Event()
    poller = asyncio.create_task(polling(done))
    await asyncio.gather(*(writer([rng.random() / 50 for _ in range(8)]) for _ in range(6)))
    done.set()
    await poller
    await reader.poll()

    changes = [c for c in reader.seen if c in set(written)]
    assert sorted(changes) == sorted(written) and len(set(reader.seen)) == len(reader.seen)
