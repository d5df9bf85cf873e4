"""`portal users add|revoke|list`: people who may act, and their bearer tokens (workflows/users.py)."""

from __future__ import annotations

import argparse

from ...config import Settings
from ...domain.moderation import Role
from . import on_database, refusals


@refusals("users add")
def add(args: argparse.Namespace, settings: Settings) -> int:
    from ...resolvers.ids import node_key
    from ..users import add_user

    factory = node_key(args.factory, "Factory", "factory") if args.factory else None
    created = on_database(settings, lambda sessions: add_user(
        sessions, name=args.name, role=Role(args.role), factory_source_id=factory, valid_days=args.valid_days
    ))  # fmt: skip
    expiry = created.expires_at.isoformat() if created.expires_at else "never"
    print(f"user {created.user_pk} ({created.role.value}) {created.name}; token expires: {expiry}")
    print("the token is shown once, now:")
    print(created.token)
    return 0


@refusals("users revoke")
def revoke(args: argparse.Namespace, settings: Settings) -> int:
    from ..users import revoke_user

    on_database(settings, lambda sessions: revoke_user(sessions, args.user))
    print(f"user {args.user} revoked")
    return 0


def listing(_args: argparse.Namespace, settings: Settings) -> int:
    from ..users import list_users

    for user, factory in on_database(settings, list_users):
        state = f"revoked {user.revoked_at:%Y-%m-%d}" if user.revoked_at else "active"
        print(f"{user.pk}\t{user.role}\t{user.name}\t{factory or '-'}\t{state}")
    return 0
