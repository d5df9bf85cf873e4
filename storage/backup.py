"""`portal backup FILE` / `portal restore FILE`: the embedded SQLite database and its attachments.

Backup
  1. The database is copied with SQLite's online backup API in one step, which reads one
     consistent snapshot; with WAL on, the running server keeps reading and writing meanwhile.
     The copy goes to a temporary file beside FILE (`.FILE.<random>.tmp`), is switched to a
     rollback journal (one self-contained file), checked (`PRAGMA quick_check`), fsynced and
     renamed over FILE.
  2. Then the attachment folder is copied to `FILE.attachments/` (same layout; the store's
     temporary files are left out), through a temporary folder renamed into place. Files are
     content-addressed and never change, and the store only ever deletes files no committed row
     references, so copying them after the snapshot gives every attachment row of the snapshot
     its file (files stored since then come along as unreferenced extras, which are harmless).

Restore
  The backup is checked first: a SQLite file (by its header) that passes `quick_check` and
  has an `alembic_version` at a revision this code knows (older ones are migrated; an unknown one
  was made by a newer version and is refused). It is copied to a temporary file beside the
  database and migrated to the latest schema there. An attachment whose content does not match
  its name (its SHA-256) refuses the restore before anything is changed. Then:
  - the attachment files the backup has and the folder lacks are put in place (each written
    to a temporary file and renamed), so every row restored next finds its file;
  - no database yet: the temporary file is renamed into place. A database exists: it is only
    replaced with `force`, since a running server may hold it; it is then overwritten through
    SQLite's backup API, as one transaction under SQLite's own locking, never by renaming a file
    under an open connection (that would pair the server's WAL with another database). Its
    `data_version` is then set past the replaced database's, so that caches keyed on it
    (the response cache, ETags) never take the restored data for data they cached;
  - attachment files that the backup does not have are removed (their rows are gone too).

PostgreSQL is backed up with its own tools: `postgres_commands` gives the `pg_dump -Fc` and
`pg_restore --clean --if-exists` command lines for a URL (never its password).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import secrets
import shlex
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from sqlalchemy.engine import make_url

from .hot_reads import sqlite_data_version

SQLITE_HEADER = b"SQLite format 3\x00"
# FileStore's temporary files (`.<sha256>.<random>.tmp`) and ours: never content.
_TEMPORARY = re.compile(r"^\..*\.tmp$")
_CONTENT_ADDRESS = re.compile(r"^([0-9a-f]{64})\.[a-z]+$")


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why, for the command line."""


@dataclass(frozen=True)
class BackupReport:
    database: Path
    revision: str
    size: int
    attachments: Path
    files: int

    def __str__(self) -> str:
        return (
            f"database backed up to {self.database} ({self.size:,} bytes, schema revision {self.revision}); "
            f"{self.files} attachment file(s) to {self.attachments}"
        )


@dataclass(frozen=True)
class RestoreReport:
    database: Path
    revision: str
    replaced: bool
    attachments: Path
    files: int | None  # None: the backup had no attachment folder, the attachments were left alone
    removed: int

    def __str__(self) -> str:
        what = "replaced" if self.replaced else "created"
        text = f"database {self.database} {what} from the backup (revision {self.revision}, migrated to the latest schema)"
        if self.files is None:
            return text + f"; the backup has no attachment folder: {self.attachments} was left as it was"
        return text + f"; {self.attachments} holds the backup's {self.files} attachment file(s) ({self.removed} removed)"


def attachments_backup_path(backup: Path) -> Path:
    """Where the attachments of the backup `backup` go: `FILE.attachments/` beside it."""
    return backup.with_name(backup.name + ".attachments")


# --------------------------------------------------------------------------- backup


def backup_sqlite(database: Path, target: Path, attachments_dir: Path) -> BackupReport:
    """Copy the live `database` to `target` and `attachments_dir` to `target.attachments/`."""
    database, target, attachments_dir = Path(database), Path(target), Path(attachments_dir)
    if not database.is_file():
        raise BackupError(f"there is no database at {database}")
    if target.is_dir():
        raise BackupError(f"{target} is a folder; give the name of the backup file")
    if _same_or_inside(target, _database_files(database)) or _is_within(target, attachments_dir):
        raise BackupError(f"{target} is the live database or inside its attachment folder; back up elsewhere")
    folder = attachments_backup_path(target)
    if _is_within(attachments_dir, folder) or _is_within(folder, attachments_dir):
        raise BackupError(f"{folder} overlaps the attachment folder {attachments_dir}; back up elsewhere")
    target.parent.mkdir(parents=True, exist_ok=True)

    temp = _temporary_beside(target)
    try:
        with _closing(_connect_existing(database)) as source:
            _revision(source, database)  # a database of ours, before anything is written
            with _closing(sqlite3.connect(temp)) as copy:
                # One step (pages=-1): a single read transaction, so one consistent snapshot.
                source.backup(copy)
        with _closing(sqlite3.connect(temp)) as copy:
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal
            _check(copy, temp)
            revision = _revision(copy, temp)
        _fsync(temp)
        files = _copy_attachments(attachments_dir, folder)
        os.replace(temp, target)
        _fsync_folder(target.parent)
    finally:
        _remove_database_files(temp)
    return BackupReport(target, revision, target.stat().st_size, folder, files)


def _copy_attachments(source: Path, folder: Path) -> int:
    """Copy the stored files to `folder` (through a temporary folder renamed into place)."""
    temp = _temporary_beside(folder)
    old = None
    try:
        temp.mkdir()
        count = 0
        for relative in _stored_files(source):
            destination = temp / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            try:
                shutil.copyfile(source / relative, destination)
            except FileNotFoundError:  # removed meanwhile: no committed row references it
                continue
            _fsync(destination)
            count += 1
        if folder.exists():
            old = _temporary_beside(folder)
            os.replace(folder, old)
        os.replace(temp, folder)
        _fsync_folder(folder.parent)
        return count
    finally:
        for leftover in (temp, old):
            if leftover is not None and leftover.exists():
                shutil.rmtree(leftover, ignore_errors=True)


# --------------------------------------------------------------------------- restore


def restore_sqlite(source: Path, database: Path, attachments_dir: Path, *, force: bool = False) -> RestoreReport:
    """Put the backup `source` (and `source.attachments/`) back as `database` and `attachments_dir`.

    Call it outside a running event loop: the migrations run in their own (`asyncio.run`).
    """
    source, database, attachments_dir = Path(source), Path(database), Path(attachments_dir)
    if not source.is_file():
        raise BackupError(f"there is no backup file at {source}")
    with open(source, "rb") as file:
        if file.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise BackupError(f"{source} is not a SQLite database")
    if _same_or_inside(source, _database_files(database)):
        raise BackupError(f"{source} is the live database itself")
    try:
        with _closing(_connect_existing(source, read_only=True)) as backup:
            _revision(backup, source)  # a database of ours, before the live one is even looked at
    except sqlite3.Error as error:
        raise BackupError(f"cannot read {source}: {error}") from None
    replacing = database.exists()
    if replacing and not force:
        raise BackupError(
            f"{database} exists and a running server may hold it; stop the server, then run again "
            "with --force to replace it (its attachment folder is replaced too)"
        )
    folder = attachments_backup_path(source)
    files = _verified_attachments(folder) if folder.is_dir() else None
    database.parent.mkdir(parents=True, exist_ok=True)

    temp = _temporary_beside(database)
    try:
        with _closing(_connect_existing(source, read_only=True)) as backup:
            with _closing(sqlite3.connect(temp)) as copy:
                backup.backup(copy)
        with _closing(sqlite3.connect(temp)) as copy:
            _check(copy, source)
            revision = _revision(copy, source)
        _migrate(temp)
        _settle(temp)
        if files is not None:
            _put_missing(folder, attachments_dir, files)
        if replacing:
            with _closing(sqlite3.connect(database, timeout=60)) as live:
                with _closing(sqlite3.connect(temp)) as restored:
                    _version_past(restored, sqlite_data_version(live))
                    restored.backup(live)  # one write transaction on the live database
        else:
            _remove_database_files(database)  # a stale -wal or -shm of a database that is gone
            _fsync(temp)
            os.replace(temp, database)
            _fsync_folder(database.parent)
        removed = _remove_extras(attachments_dir, set(files)) if files is not None else 0
    except sqlite3.Error as error:
        raise BackupError(f"cannot restore {source} to {database}: {error}") from None
    finally:
        _remove_database_files(temp)
    return RestoreReport(database, revision, replacing, attachments_dir, len(files) if files is not None else None, removed)


def _verified_attachments(folder: Path) -> list[Path]:
    """The backup's files (relative paths); a content-addressed one must match its hash."""
    files = list(_stored_files(folder))
    for relative in files:
        named = _CONTENT_ADDRESS.match(relative.name)
        if named and _sha256(folder / relative) != named.group(1):
            raise BackupError(f"{folder / relative} does not match its name (damaged backup); nothing was restored")
    return files


def _put_missing(folder: Path, attachments_dir: Path, files: list[Path]) -> None:
    for relative in files:
        destination = attachments_dir / relative
        if destination.is_file() and destination.stat().st_size == (folder / relative).stat().st_size:
            continue  # content-addressed: same name, same content
        destination.parent.mkdir(parents=True, exist_ok=True)
        temp = _temporary_beside(destination)
        try:
            shutil.copyfile(folder / relative, temp)
            _fsync(temp)
            os.replace(temp, destination)
            _fsync_folder(destination.parent)
        finally:
            temp.unlink(missing_ok=True)


def _remove_extras(attachments_dir: Path, keep: set[Path]) -> int:
    removed = 0
    for relative in list(_stored_files(attachments_dir)):
        if relative not in keep:
            (attachments_dir / relative).unlink(missing_ok=True)
            removed += 1
    return removed


def _migrate(path: Path) -> None:
    from .db import make_engine
    from .migrate import upgrade

    async def run() -> None:
        engine = make_engine(f"sqlite+aiosqlite:///{path}")
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())


def _version_past(restored: sqlite3.Connection, live: int | None) -> None:
    """Give the restored data a `data_version` the live database never had, so that no cache
    keyed on it (a running server's response cache, ETags) takes it for what it cached."""
    own = sqlite_data_version(restored)
    if own is None:
        return
    version = max(own, live or 0) + 1
    if restored.execute("UPDATE data_version SET version = ? WHERE id = 1", (version,)).rowcount == 0:
        restored.execute("INSERT INTO data_version (id, version) VALUES (1, ?)", (version,))
    restored.commit()


def _settle(path: Path) -> None:
    """Fold the -wal back into the file, so the file alone is the whole database."""
    with _closing(sqlite3.connect(path)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


# --------------------------------------------------------------------------- PostgreSQL


def postgres_commands(command: str, url: str, file: Path, attachments_dir: Path) -> list[str]:
    """The shell commands that do `command` ("backup" or "restore") for a PostgreSQL `url`.

    The connection parameters come from the URL; the password never does (pg_dump and
    pg_restore read it from PGPASSWORD or ~/.pgpass).
    """
    if not url.startswith("postgres"):
        raise BackupError("backup and restore work on a SQLite file or, through pg_dump, on PostgreSQL")
    parsed = make_url(url)
    connection: list[str] = []
    host = parsed.host or parsed.query.get("host")
    if isinstance(host, tuple):
        host = host[0]
    for flag, value in (("-h", host), ("-p", parsed.port), ("-U", parsed.username), ("-d", parsed.database)):
        if value not in (None, ""):
            connection += [flag, str(value)]
    folder = attachments_backup_path(Path(file))
    if command == "backup":
        lines = [
            ["pg_dump", "-Fc", *connection, "-f", str(file)],
            ["rsync", "-a", "--delete", "--exclude", ".*.tmp", f"{attachments_dir}/", f"{folder}/"],
        ]
    elif command == "restore":
        lines = [
            ["pg_restore", "--clean", "--if-exists", "--single-transaction", *connection, str(file)],
            ["rsync", "-a", "--delete", "--exclude", ".*.tmp", f"{folder}/", f"{attachments_dir}/"],
            ["portal", "db", "upgrade"],
        ]
    else:
        raise ValueError(command)
    return [shlex.join(line) for line in lines]


# --------------------------------------------------------------------------- helpers


class _closing:
    """`with` for sqlite3 connections: closes them (sqlite3's own `with` only commits)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def __enter__(self) -> sqlite3.Connection:
        return self.connection

    def __exit__(self, *_exc) -> None:
        self.connection.close()


def _connect_existing(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    """A connection to a database that must exist already (never creates one)."""
    mode = "ro" if read_only else "rw"
    try:
        return sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode={mode}", uri=True, timeout=30)
    except sqlite3.Error as error:
        raise BackupError(f"cannot open {path}: {error}") from None


def _check(connection: sqlite3.Connection, name: Path) -> None:
    try:
        result = [row[0] for row in connection.execute("PRAGMA quick_check")]
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{name} is not a readable SQLite database: {error}") from None
    if result != ["ok"]:
        raise BackupError(f"{name} is damaged: " + "; ".join(result[:5]))


def _revision(connection: sqlite3.Connection, name: Path) -> str:
    """The schema revision of a database of ours; BackupError for anything else."""
    try:
        rows = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.DatabaseError:
        raise BackupError(f"{name} is not a portal database (it has no alembic_version table)") from None
    if len(rows) != 1:
        raise BackupError(f"{name} is not a portal database (alembic_version holds {len(rows)} rows)")
    revision = rows[0][0]
    if revision not in known_revisions():
        raise BackupError(f"{name} is at schema revision {revision!r}, which this version does not know (a newer portal made it?)")
    return revision


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    from .migrate import alembic_config

    return {script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def _stored_files(root: Path):
    """Relative paths of the regular files under `root`, temporary ones left out."""
    if not root.is_dir():
        return
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [name for name in subfolders if not _TEMPORARY.match(name)]
        for name in names:
            path = Path(folder) / name
            if not _TEMPORARY.match(name) and path.is_file() and not path.is_symlink():
                yield path.relative_to(root)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _temporary_beside(path: Path) -> Path:
    return path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")


def _database_files(database: Path) -> list[Path]:
    return [database, Path(f"{database}-wal"), Path(f"{database}-shm"), Path(f"{database}-journal")]


def _remove_database_files(database: Path) -> None:
    for path in _database_files(database):
        path.unlink(missing_ok=True)


def _same_or_inside(path: Path, candidates: list[Path]) -> bool:
    resolved = path.resolve()
    return any(resolved == candidate.resolve() for candidate in candidates)


def _is_within(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def _fsync(path: Path) -> None:
    with open(path, "rb") as file:
        os.fsync(file.fileno())


def _fsync_folder(folder: Path) -> None:
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
