"""The throwaway PostgreSQL server used by the test suite really starts, serves and stops."""

from __future__ import annotations

import os
from pathlib import Path

import asyncpg
import pytest

import postgres_server
from postgres_server import running_postgres


def _running(pid: int) -> bool:
    """True while ``pid`` runs; an exited process left as a zombie (no reaper) counts as gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    state = next(line for line in status.splitlines() if line.startswith("State:"))
    return "Z" not in state.split()[1]


async def test_running_postgres_serves_queries_and_stops(monkeypatch: pytest.MonkeyPatch) -> None:
    # Exercise the real launcher even when the suite is pointed at an external server.
    monkeypatch.delenv(postgres_server.ENV_URL, raising=False)

    with running_postgres() as url:
        assert url.startswith("postgresql+asyncpg://portal@127.0.0.1:")
        assert url.endswith("/portal_test")
        dsn = url.replace("+asyncpg", "", 1)
        conn = await asyncpg.connect(dsn, timeout=10)
        try:
            assert await conn.fetchval("select 1") == 1
            assert await conn.fetchval("select current_database()") == "portal_test"
            data_dir = Path(await conn.fetchval("select current_setting('data_directory')"))
            backend_pid = await conn.fetchval("select pg_backend_pid()")
        finally:
            await conn.close()
        postmaster_pid = int((data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
        assert _running(postmaster_pid)

    assert not _running(postmaster_pid), "the postmaster still runs after exit"
    assert not _running(backend_pid)
    assert not data_dir.parent.exists(), "the temporary folder was not removed"
    with pytest.raises(OSError):
        await asyncpg.connect(dsn, timeout=5)


def test_external_url_is_used_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    external = "postgresql+asyncpg://someone@db.example:6543/elsewhere"
    monkeypatch.setenv(postgres_server.ENV_URL, external)

    def must_not_start(*args: object, **kwargs: object) -> None:
        raise AssertionError("nothing should be started when the URL is given")

    monkeypatch.setattr(postgres_server, "ensure_bin_dir", must_not_start)
    with running_postgres() as url:
        assert url == external
