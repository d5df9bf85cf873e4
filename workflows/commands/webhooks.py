"""`portal webhooks add|list|remove|deliveries|redeliver`: endpoints that receive the public
changes (workflows/webhooks/)."""

from __future__ import annotations

import argparse

from ...config import Settings
from . import on_database, refusals


@refusals("webhooks add")
def add(args: argparse.Namespace, settings: Settings) -> int:
    from ..webhooks import add_webhook

    created = on_database(settings, lambda sessions: add_webhook(
        sessions, args.url, countries=args.country, factories=args.factory, allow_private=settings.webhook_allow_private
    ))  # fmt: skip
    print(f"webhook {created.pk}")
    print(f"url: {created.url}")
    print(f"countries: {', '.join(created.countries) or 'all'}; factories: {', '.join(created.factories) or 'all'}")
    print("the signing secret (receivers verify deliveries with it; `portal webhooks list` does not show it):")
    print(created.secret)
    return 0


def listing(_args: argparse.Namespace, settings: Settings) -> int:
    from ..webhooks import list_webhooks

    for hook in on_database(settings, list_webhooks):
        row = hook.row
        state = f"disabled {row.disabled_at:%Y-%m-%d %H:%M} UTC: {row.disabled_reason}" if row.disabled_at else "active"
        print(
            f"{row.pk}\t{row.url}\tcountries: {','.join(row.countries) or 'all'}\tfactories: {','.join(row.factories) or 'all'}"
            f"\t{state}\tpending {hook.pending}, delivered {hook.delivered}, failed {hook.failed}"
        )
    return 0


@refusals("webhooks remove")
def remove(args: argparse.Namespace, settings: Settings) -> int:
    from ..webhooks import remove_webhook

    on_database(settings, lambda sessions: remove_webhook(sessions, args.webhook))
    print(f"webhook {args.webhook} removed")
    return 0


@refusals("webhooks deliveries")
def deliveries(args: argparse.Namespace, settings: Settings) -> int:
    from ..webhooks import webhook_deliveries

    for row in on_database(settings, lambda sessions: webhook_deliveries(sessions, args.webhook, args.limit)):
        outcome = row.last_error or (f"HTTP {row.last_status_code}" if row.last_status_code else "-")
        upcoming = f"next attempt {row.next_attempt_at:%Y-%m-%d %H:%M:%S} UTC" if row.status == "PENDING" else ""
        print(f"{row.pk}\t{row.status}\t{row.message_id}\tattempts {row.attempts}\t{outcome}\t{upcoming}".rstrip())
    return 0


@refusals("webhooks redeliver")
def redeliver(args: argparse.Namespace, settings: Settings) -> int:
    from ..webhooks import redeliver

    row = on_database(settings, lambda sessions: redeliver(sessions, args.delivery))
    print(f"delivery {row.pk} queued again (webhook-id {row.message_id})")
    return 0
