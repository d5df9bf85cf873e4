"""Durability with real processes and real signals: `portal import` and `portal serve` killed
with SIGKILL at the worst moments lose nothing committed and leave nothing half-written;
`portal backup` / `portal restore` round-trip a live database and its attachments.

Every child process is killed in a `finally` (the `children` fixture); every wait is bounded.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import re
import sqlite3
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from exports import base_document, factory_with_history, merge
from processes import PORTAL, Children, portal, slow_upload_until_killed
from PIL import Image
from sqlalchemy import inspect, text

from transparency_portal.domain.moderation import Role
from transparency_portal.storage.backup import BackupError, attachments_backup_path, restore_sqlite
from transparency_portal.storage.backup_postgres import postgres_commands
from transparency_portal.storage.db import make_engine, make_sessions
from transparency_portal.storage.migrate import upgrade
from transparency_portal.storage.objects.files import FileStore
from transparency_portal.workflows.demo_data import generate_demo
from transparency_portal.workflows.import_document import IMPORT_LOCK_KEY, import_document
from transparency_portal.workflows.users import add_user

# --------------------------------------------------------------------------- a killed import


@dataclass(frozen=True)
class ImportFiles:
    reference: Path  # questions and countries
    first: Path  # a small batch of factories: the previous, committed import
    big: Path  # the rest, merged into one document: the import that gets killed
    big_findings: int


@pytest.fixture(scope="module")
def import_files(tmp_path_factory):
    """Demo exports written as files, per size (`factories`), made once per module."""
    made: dict[int, ImportFiles] = {}

    def files(factories: int) -> ImportFiles:
        if factories not in made:
            folder = tmp_path_factory.mktemp(f"exports-{factories}")
            exports = generate_demo(factories=factories, seed=7, as_of=date.today(), chunk=25)
            big = {key: value for key, value in exports[1].document.items() if not isinstance(value, list)}
            for export in exports[2:]:
                if export.correction_reason is None:
                    for section, entries in export.document.items():
                        if isinstance(entries, list):
                            big.setdefault(section, []).extend(entries)
            paths = []
            for name, document in (("reference", exports[0].document), ("first", exports[1].document), ("big", big)):
                paths.append(folder / f"{name}.json")
                paths[-1].write_text(json.dumps(document))
            findings = sum(len(a["findings"]) for a in big["assessments"])
            made[factories] = ImportFiles(*paths, big_findings=findings)
        return made[factories]

    return files


async def table_dump(engine) -> dict[str, tuple[int, str]]:
    """Every table of the database: its row count and a digest of all its rows."""
    dump = {}
    async with engine.connect() as connection:
        names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
        for name in sorted(names):
            rows = (await connection.execute(text(f'SELECT * FROM "{name}"'))).all()
            digest = hashlib.sha256("\n".join(sorted(repr(tuple(row)) for row in rows)).encode()).hexdigest()
            dump[name] = (len(rows), digest)
    return dump


async def row_count(engine, table: str) -> int:
    async with engine.connect() as connection:
        return (await connection.execute(text(f'SELECT count(*) FROM "{table}"'))).scalar_one()


PROGRESS = re.compile(rb"(\d+)/(\d+) \[")


def progress_of(log: Path) -> float:
    """How far the import's write step is, from its progress bar (0 before it starts)."""
    found = PROGRESS.findall(log.read_bytes())
    if not found:
        return 0.0
    done, total = found[-1]
    return int(done) / max(int(total), 1)


async def write_under_way(engine, database_url: str) -> bool:
    """Whether the database shows an import's write transaction open right now."""
    if database_url.startswith("sqlite"):
        path = database_url.split(":///", 1)[1]
        probe = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError as error:
            return "locked" in str(error)
        finally:
            probe.close()
    async with engine.connect() as connection:
        held = await connection.execute(
            text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = :key"),
            {"key": IMPORT_LOCK_KEY},
        )
        return held.scalar_one() > 0


async def test_killing_an_import_midway_leaves_the_database_as_it_was(engine, database_url, import_files, children, tmp_path):
    sqlite = database_url.startswith("sqlite")
    # About 350,000 findings on SQLite (about 3 s to import); fewer on PostgreSQL, which writes
    # more slowly. Either way the import is killed while it writes.
    files = import_files(500 if sqlite else 180)
    env = {**os.environ, "PORTAL_DATABASE_URL": database_url, "PORTAL_ACTOR": "durability-test"}
    for committed in (files.reference, files.first):  # the previous imports, committed
        await import_document(make_sessions(engine), json.loads(committed.read_bytes()), actor="durability-test")
    before = await table_dump(engine)
    assert before["finding"][0] > 10_000

    process, log = children.spawn([PORTAL, "import", str(files.big)], env, "import.log")
    try:
        deadline = time.monotonic() + 60
        while progress_of(log) < 0.3:
            assert process.poll() is None, log.read_text(errors="replace")[-2000:]
            assert time.monotonic() < deadline, "the import never got to writing"
            await asyncio.sleep(0.02)
        assert await write_under_way(engine, database_url)
        children.kill(process)
    finally:
        children.close()
    reached = progress_of(log)
    assert 0.3 <= reached < 1.0, f"killed at {reached:.0%} of the writes"

    if not sqlite:
        # The server notices the dead client at its next statement and rolls back.
        deadline = time.monotonic() + 30
        while await write_under_way(engine, database_url):
            assert time.monotonic() < deadline, "the killed import's transaction is still open"
            await asyncio.sleep(0.1)
    else:
        async with engine.connect() as connection:
            assert (await connection.exec_driver_sql("PRAGMA integrity_check")).scalars().all() == ["ok"]
    assert await table_dump(engine) == before

    again = portal(env, "import", str(files.big))
    assert again.returncode == 0, again.stderr
    assert f"findings: {files.big_findings} created" in again.stdout
    assert await row_count(engine, "finding") == before["finding"][0] + files.big_findings
    assert await row_count(engine, "import_run") == before["import_run"][0] + 1
    if sqlite:
        async with engine.connect() as connection:
            assert (await connection.exec_driver_sql("PRAGMA integrity_check")).scalars().all() == ["ok"]


# --------------------------------------------------------------------------- a killed server

SUBMIT = """mutation($input: SubmitResponseInput!) { submitResponse(input: $input) {
  id state attachments { url contentType size } } }"""
RESPONSE = "query($id: ID!) { response(id: $id) { id state text attachments { url contentType size } } }"
ASSESSMENT = "QXNzZXNzbWVudDpLSC1BLUEy"  # Assessment:KH-A-A2


@dataclass(frozen=True)
class World:
    database: Path
    storage: Path
    env: dict
    token: str


@pytest.fixture
async def world(tmp_path) -> World:
    """A SQLite database with one public factory and its supplier, for `portal serve`."""
    database, storage, server_tmp = tmp_path / "portal.db", tmp_path / "attachments", tmp_path / "server-tmp"
    server_tmp.mkdir()
    url = f"sqlite+aiosqlite:///{database}"
    engine = make_engine(url)
    try:
        await upgrade(engine)
        sessions = make_sessions(engine)
        await import_document(
            sessions, merge(base_document(), factory_with_history("KH-A", "Alpha Garments (test)")), actor="test"
        )
        token = (await add_user(sessions, name="Alpha Supplier", role=Role.SUPPLIER, factory_source_id="KH-A")).token
    finally:
        await engine.dispose()
    # TMPDIR: where the server spools uploads, checked for leftovers too.
    env = {**os.environ, "PORTAL_DATABASE_URL": url, "PORTAL_STORAGE_DIR": str(storage), "TMPDIR": str(server_tmp)}
    return World(database, storage, env, token)


def png(seed: int) -> bytes:
    image = Image.effect_noise((48, 48), 40 + seed).convert("RGB")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def submit(base: str, token: str, text: str, file: bytes) -> dict:
    variables = {"input": {"assessmentId": ASSESSMENT, "text": text, "attachments": [None]}}
    response = httpx.post(
        f"{base}/graphql",
        data={"operations": json.dumps({"query": SUBMIT, "variables": variables}),
              "map": json.dumps({"0": ["variables.input.attachments.0"]})},
        files={"0": ("photo.png", file, "image/png")},
        headers={"authorization": f"Bearer {token}"},
        timeout=30,
    )
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, body
    return body["data"]["submitResponse"]


def fetch_response(base: str, token: str, public_id: str) -> dict | None:
    """The response as its author sees it; None when there is no such response."""
    body = httpx.post(
        f"{base}/graphql", json={"query": RESPONSE, "variables": {"id": public_id}},
        headers={"authorization": f"Bearer {token}"}, timeout=30,
    ).json()
    if body.get("errors"):
        assert [e["extensions"]["code"] for e in body["errors"]] == ["NOT_FOUND"], body
        return None
    return body["data"]["response"]


def files_under(folder: Path) -> list[Path]:
    return sorted(Path(root) / name for root, _, names in os.walk(folder) for name in names) if folder.exists() else []


def one_value(database: Path, sql: str):
    connection = sqlite3.connect(database)
    try:
        return connection.execute(sql).fetchone()[0]
    finally:
        connection.close()


def rows(database: Path, table: str) -> int:
    return one_value(database, f'SELECT count(*) FROM "{table}"')


def integrity(database: Path) -> str:
    return one_value(database, "PRAGMA integrity_check")


async def test_killing_the_server_mid_upload_leaves_nothing_and_committed_responses_survive(world, children):
    server, base = children.serve(world.env)
    sent = slow_upload_until_killed(base, world.token, server, ASSESSMENT)
    assert sent > 1_000_000
    # Nothing of the interrupted request: no row, no file, not even a temporary one.
    assert integrity(world.database) == "ok"
    assert rows(world.database, "response") == 0 and rows(world.database, "attachment") == 0
    assert files_under(world.storage) == []
    assert files_under(Path(world.env["TMPDIR"])) == []

    # A later start finds nothing to mistake for content; a response committed just before a
    # kill is all there after the next start, file included.
    server, base = children.serve(world.env)
    assert files_under(world.storage) == []
    committed = submit(base, world.token, "The exit door is unlocked now.", png(1))
    Children.kill(server)
    server, base = children.serve(world.env)
    found = fetch_response(base, world.token, committed["id"])
    assert found is not None and found["state"] == "SUBMITTED" and found["text"] == "The exit door is unlocked now."
    [attachment] = found["attachments"]
    assert urlsplit(attachment["url"]).path == urlsplit(committed["attachments"][0]["url"]).path
    assert attachment["contentType"] == "image/png" and attachment["size"] == committed["attachments"][0]["size"]
    served = httpx.get(
        base + urlsplit(attachment["url"]).path, headers={"authorization": f"Bearer {world.token}"}, timeout=30
    )
    assert served.status_code == 200 and len(served.content) == attachment["size"]
    [stored] = files_under(world.storage)
    assert stored.read_bytes() == served.content
    assert stored.stem == hashlib.sha256(served.content).hexdigest()
    assert integrity(world.database) == "ok"


async def test_startup_sweep_removes_only_stale_temporary_files(tmp_path):
    store = FileStore(tmp_path / "store")
    folder = tmp_path / "store" / "ab" / "cd"
    folder.mkdir(parents=True)
    digest = "abcd" + "0" * 60
    stale = folder / f".{digest}.{'1' * 16}.tmp"  # what a `put` killed mid-write leaves
    fresh = folder / f".{digest}.{'2' * 16}.tmp"  # a `put` in progress in another process
    content = folder / f"{digest}.png"
    for path in (stale, fresh, content):
        path.write_bytes(b"x")
    an_hour_ago = time.time() - 3600
    os.utime(stale, (an_hour_ago, an_hour_ago))
    assert await store.sweep_temporary() == [stale]
    assert sorted(folder.iterdir()) == sorted([fresh, content])


# --------------------------------------------------------------------------- backup and restore


def sqlite_dump(database: Path) -> dict[str, list]:
    connection = sqlite3.connect(database)
    try:
        names = [r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {name: sorted(map(repr, connection.execute(f'SELECT * FROM "{name}"'))) for name in names}
    finally:
        connection.close()


def relative_files(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in files_under(folder)}


async def test_backup_of_a_serving_database_restores_the_same_content(world, children, tmp_path):
    server, base = children.serve(world.env)
    first = submit(base, world.token, "Backed up.", png(2))
    content, attachments = sqlite_dump(world.database), relative_files(world.storage)
    assert len(attachments) == 1

    backup = tmp_path / "backups" / "portal.bak"
    made = portal(world.env, "backup", str(backup))  # the server keeps running
    assert made.returncode == 0, made.stderr
    assert relative_files(attachments_backup_path(backup)) == attachments
    assert not [p for p in backup.parent.iterdir() if p.name.startswith(".")], "temporary files left behind"
    later = submit(base, world.token, "After the backup.", png(3))  # the live database moves on

    # Into a new place: the same content as at the backup, attachments too.
    elsewhere = tmp_path / "restored"
    other_env = {**world.env, "PORTAL_DATABASE_URL": f"sqlite:///{elsewhere / 'portal.db'}",
                 "PORTAL_STORAGE_DIR": str(elsewhere / "attachments")}
    restored = portal(other_env, "restore", str(backup))
    assert restored.returncode == 0, restored.stderr
    assert "created from the backup" in restored.stdout
    assert sqlite_dump(elsewhere / "portal.db") == content
    assert relative_files(elsewhere / "attachments") == attachments
    assert integrity(elsewhere / "portal.db") == "ok"

    # Over the live database: refused without --force; nothing changes.
    with pytest.raises(BackupError, match="--force"):
        restore_sqlite(backup, world.database, world.storage)
    assert fetch_response(base, world.token, later["id"]) is not None
    assert len(relative_files(world.storage)) == 2

    # With --force, even under the running server (through SQLite's locking, not a rename).
    live_version = one_value(world.database, "SELECT version FROM data_version")
    forced = portal(world.env, "restore", "--force", str(backup))
    assert forced.returncode == 0, forced.stderr
    restored_content = sqlite_dump(world.database)
    # The same content, under a data version the live database never had (for caches).
    assert one_value(world.database, "SELECT version FROM data_version") > live_version
    assert {k: v for k, v in restored_content.items() if k != "data_version"} == {
        k: v for k, v in content.items() if k != "data_version"
    }
    assert relative_files(world.storage) == attachments
    assert fetch_response(base, world.token, later["id"]) is None
    assert fetch_response(base, world.token, first["id"])["text"] == "Backed up."
    Children.kill(server)
    assert integrity(world.database) == "ok"


def test_restore_checks_the_file_is_a_portal_database(tmp_path):
    target, attachments = tmp_path / "portal.db", tmp_path / "attachments"
    not_sqlite = tmp_path / "notes.txt"
    not_sqlite.write_text("hello")
    foreign, newer = tmp_path / "foreign.db", tmp_path / "newer.db"
    for database, script in (
        (foreign, "CREATE TABLE t (x);"),
        (newer, "CREATE TABLE alembic_version (version_num TEXT); INSERT INTO alembic_version VALUES ('9999_new');"),
    ):
        connection = sqlite3.connect(database)
        connection.executescript(script)
        connection.close()
    for bad, why in ((not_sqlite, "not a SQLite database"), (foreign, "not a portal database"), (newer, "does not know")):
        with pytest.raises(BackupError, match=why):
            restore_sqlite(bad, target, attachments)
    assert not target.exists() and not attachments.exists()


def test_postgres_backup_and_restore_print_pg_dump_commands_without_the_password(tmp_path):
    env = {**os.environ, "PORTAL_DATABASE_URL": "postgresql://alice:s3cret-pw@db.example:6543/portal",
           "PORTAL_STORAGE_DIR": "/srv/attachments"}
    backup = portal(env, "backup", "/backups/portal.dump")
    assert backup.returncode == 3
    assert "pg_dump -Fc -h db.example -p 6543 -U alice -d portal -f /backups/portal.dump" in backup.stdout
    assert "/srv/attachments/ /backups/portal.dump.attachments/" in backup.stdout
    assert "s3cret" not in backup.stdout + backup.stderr and "nothing was done" in backup.stderr
    assert not (tmp_path / "backups").exists()
    url = env["PORTAL_DATABASE_URL"]
    restore = "\n".join(postgres_commands("restore", url, Path("/backups/portal.dump"), Path("/srv/attachments")))
    assert "pg_restore --clean --if-exists --single-transaction -h db.example -p 6543 -U alice -d portal /backups/portal.dump" in restore
    assert "/backups/portal.dump.attachments/ /srv/attachments/" in restore and "portal db upgrade" in restore
    assert "s3cret" not in restore
