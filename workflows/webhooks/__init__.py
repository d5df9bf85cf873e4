"""Webhooks: what stewards subscribe, what a delivery sends, where it may go, and who sends it.

Where each part lives:

- `subscriptions.py`: the steward's use-cases (`portal webhooks add|list|remove|deliveries|redeliver`).
- `signing.py`: a delivery's body (`render`, the feed's ids) and its Standard Webhooks signature.
- `destinations.py`: which URLs and addresses are refused (server-side request forgery).
- `delivery.py`: one attempt (`attempt`, `Outcome`): checked again, posted to the checked address.
- `worker.py`: `WebhookWorker`, the lease holder that sends the outbox.

The rows they read and write are `storage/webhooks.py` and `storage/webhook_outbox.py`.
"""

from .subscriptions import (
    NewWebhook,
    add_webhook,
    list_webhooks,
    redeliver,
    remove_webhook,
    webhook_deliveries,
)
from .worker import WebhookWorker

__all__ = [
    "NewWebhook",
    "WebhookWorker",
    "add_webhook",
    "list_webhooks",
    "redeliver",
    "remove_webhook",
    "webhook_deliveries",
]
