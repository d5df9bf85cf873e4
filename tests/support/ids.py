"""Relay global ids as the API shows them, built and read back the way a client would."""

from __future__ import annotations

import base64


def gid(type_name: str, key: str) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


def key(global_id: str) -> str:
    return base64.b64decode(global_id).decode().split(":", 1)[1]
