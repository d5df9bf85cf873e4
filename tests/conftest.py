"""Fixtures shared by every test: a fresh, migrated database on SQLite and on PostgreSQL.

Tests that take `sessions` or `engine` run twice, once per backend. PostgreSQL is a real server
that `postgres_server` starts on loopback for the whole run (or PORTAL_TEST_POSTGRES_URL).
"""

from __future__ import annotations

import itertools
import shutil

import pytest
from api_client import Api
from sqlalchemy import text

from transparency_portal.config import sqlite_path
from transparency_portal.storage.db import make_engine, make_sessions
from transparency_portal.storage.migrate import upgrade

_counter = itertools.count()


@pytest.fixture(scope="session")
def postgres_url():
    import postgres_server

    with postgres_server.running_postgres() as url:
        yield url


@pytest.fixture(scope="session")
def redis_url():
    """A Redis on loopback for the whole run (tests/support/redis_server.py): redis://127.0.0.1:PORT/0."""
    import redis_server

    with redis_server.running_redis() as server:
        yield server.url


@pytest.fixture(scope="session")
def s3_endpoint():
    """moto's S3 server on loopback for the whole run, with a bucket (tests/support/s3_server.py
    `S3`): `.url(prefix)` is a PORTAL_STORAGE_URL (one prefix per test), `.use(monkeypatch)` sets
    the AWS_* variables in this process, `.env` holds them for subprocesses, `.client()` is a
    plain boto3 client."""
    import s3_server

    with s3_server.running_s3_bucket() as s3:
        yield s3


@pytest.fixture
def children(tmp_path):
    """Child processes of one test (tests/support/processes.py); what still runs at its end is stopped."""
    from processes import Children

    processes = Children(tmp_path)
    try:
        yield processes
    finally:
        processes.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'portal.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture(scope="session")
async def migrated_sqlite(tmp_path_factory):
    """An empty SQLite database at the latest revision, made once for the run."""
    path = tmp_path_factory.mktemp("migrated") / "portal.db"
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    await upgrade(engine)
    await engine.dispose()  # the last connection's close checkpoints the WAL into the file
    return path


@pytest.fixture
def sqlite_url(tmp_path, migrated_sqlite) -> str:
    """An empty, migrated SQLite database of the test's own (a copy of `migrated_sqlite`), for
    tests that start their own servers on it."""
    path = tmp_path / "portal.db"
    shutil.copyfile(migrated_sqlite, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
async def engine(database_url, migrated_sqlite):
    file = sqlite_path(database_url)
    copied = file is not None and not file.exists()
    if copied:
        # A copy of the migrated file is the database `upgrade` would leave, without alembic's
        # ~0.15 s a test.
        shutil.copyfile(migrated_sqlite, file)
    engine = make_engine(database_url)
    if engine.dialect.name == "postgresql":
        # One server for the run; each test starts from an empty schema.
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    if not copied:
        await upgrade(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine):
    return make_sessions(engine)


@pytest.fixture
def settings(database_url, tmp_path):
    from transparency_portal.config import Settings

    # Small upload limits, so tests can cross them with small files.
    return Settings(
        database_url=database_url, storage_dir=tmp_path / "attachments", max_attachment_bytes=300_000, rate_limit=0,
        rate_limit_points=0,
        compiled_check=True
    )


@pytest.fixture
async def api(settings, engine):
    import httpx
    from servers import serving

    from transparency_portal.schema.http.app import create_app

    app = create_app(settings)
    async with serving(app) as base_url, httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        yield Api(client, base_url, app)


@pytest.fixture
async def load(sessions):
    """Import export documents through the real import workflow."""
    from transparency_portal.workflows.import_document import import_document

    async def load(document: dict, correction_reason: str | None = None, actor: str = "test-steward"):
        return await import_document(sessions, document, actor=actor, correction_reason=correction_reason)

    return load


class People:
    """Bearer tokens of the users of `people`, by attribute."""

    def __init__(self, **tokens: str) -> None:
        self.__dict__.update(tokens)


@pytest.fixture
async def people(api, load, sessions) -> People:
    """Two public factories of Cambodia, KH-A and KH-B, with suppliers, moderators and a steward."""
    from exports import base_document, factory_with_history, merge

    from transparency_portal.domain.moderation import Role
    from transparency_portal.workflows.users import add_user

    await load(
        merge(
            base_document(),
            factory_with_history("KH-A", "Alpha Garments (test)"),
            factory_with_history("KH-B", "Beta Garments (test)"),
        )
    )

    async def token(role: Role, name: str, factory: str | None = None) -> str:
        return (await add_user(sessions, name=name, role=role, factory_source_id=factory)).token

    return People(
        alpha=await token(Role.SUPPLIER, "Alpha Supplier", "KH-A"),
        alpha2=await token(Role.SUPPLIER, "Alpha Colleague", "KH-A"),
        beta=await token(Role.SUPPLIER, "Beta Supplier", "KH-B"),
        mod1=await token(Role.MODERATOR, "Moderator One"),
        mod2=await token(Role.MODERATOR, "Moderator Two"),
        steward=await token(Role.STEWARD, "Steward"),
    )
