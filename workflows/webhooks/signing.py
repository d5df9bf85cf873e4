"""What a delivery sends: the change as a JSON body, signed the Standard Webhooks way (symmetric):
HMAC-SHA256 over "id.timestamp.body" with the secret's bytes, base64, as "v1,<signature>"."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from datetime import UTC, datetime

from ...resolvers.ids import change_ids
from ...storage.tables.public_changes import PublicChangeRow

SECRET_PREFIX = "whsec_"
EVENT_TYPE = "public.change"


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
    ids = change_ids(change)
    data = {
        "id": ids.change,
        "kind": change.kind,
        "at": _iso(change.at),
        "factoryId": ids.factory,
        "assessmentId": ids.assessment,
        "findingId": ids.finding,
        "responseId": ids.response,
    }
    return json.dumps({"type": EVENT_TYPE, "timestamp": _iso(change.at), "data": data}, separators=(",", ":"))
