"""Tokens: stored only as hashes; expired, revoked or unknown ones make a request anonymous."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from transparency_portal.domain.errors import BadUserInput
from transparency_portal.domain.moderation import Role
from transparency_portal.storage.tables.users import TokenRow
from transparency_portal.workflows.users import add_user, authenticate, revoke_user


async def test_tokens_are_stored_as_hashes_and_expire(sessions):
    created = await add_user(sessions, name="Moderator", role=Role.MODERATOR, valid_days=1)
    async with sessions() as session:
        stored = (await session.exec(select(TokenRow))).scalars().all()
    assert len(stored) == 1 and created.token not in stored[0].token_hash
    assert (await authenticate(sessions, created.token)).role is Role.MODERATOR
    assert await authenticate(sessions, created.token + "x") is None
    assert await authenticate(sessions, "not-a-token") is None
    assert await authenticate(sessions, None) is None

    async with sessions() as session:
        await session.exec(update(TokenRow).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
        await session.commit()
    assert await authenticate(sessions, created.token) is None


async def test_revoked_users_are_anonymous(sessions):
    created = await add_user(sessions, name="Steward", role=Role.STEWARD)
    await revoke_user(sessions, created.user_pk)
    assert await authenticate(sessions, created.token) is None


async def test_a_user_needs_a_name_and_the_right_factory_binding(sessions):
    with pytest.raises(BadUserInput):
        await add_user(sessions, name="  ", role=Role.MODERATOR)
    with pytest.raises(BadUserInput):
        await add_user(sessions, name="Supplier", role=Role.SUPPLIER)
