"""What stewards do (`portal webhooks add|list|remove|deliveries|redeliver`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from ...domain.errors import BadUserInput, NotFound
from ...resolvers.ids import node_key, to_global
from ...storage import webhooks as store
from ...storage.db import Sessions, write_transaction
from ...storage.tables.programme import CountryRow
from ...storage.tables.webhooks import WebhookDeliveryRow, WebhookSubscriptionRow
from .destinations import DestinationRefused, resolve
from .signing import new_secret


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
            session, url=str(destination.url), secret=secret, countries=codes, factories=sources, now=datetime.now(UTC)
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
        await store.send_again(session, delivery_pk, datetime.now(UTC))
    return row
