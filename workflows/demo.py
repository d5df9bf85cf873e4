"""`portal demo`: generate the fictional demo exports and import them like any other export."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from ..storage.db import Sessions
from ..storage.event_bus import EventBus
from ..storage.tables.record import FactoryRow
from .demo_data import generate_demo
from .import_document import import_document

DEMO_ACTOR = "demo-loader"


async def load_demo(
    sessions: Sessions,
    *,
    factories: int = 1700,
    seed: int = 20261125,
    as_of: date | None = None,
    only_if_empty: bool = False,
    progress: bool = False,
    bus: EventBus | None = None,
) -> str:
    if only_if_empty:
        async with sessions() as session:
            count = (await session.exec(select(func.count()).select_from(FactoryRow))).scalar_one()
        if count:
            return f"demo data not loaded: the database already holds {count} factories"
    exports = generate_demo(factories=factories, seed=seed, as_of=as_of)
    public = 0
    for number, export in enumerate(exports, start=1):
        summary = await import_document(
            sessions,
            export.document,
            source=f"demo:{seed}:{number}",
            actor=DEMO_ACTOR,
            correction_reason=export.correction_reason,
            progress=progress,
            bus=bus,
        )
        public = summary.public_factories
    return f"demo data loaded: {factories} factories in {len(exports)} exports, {public} of them public"
