"""`portal backup FILE` / `portal restore FILE`: the embedded SQLite database and its attachments.

What happens to the attachments depends on where they are (PORTAL_STORAGE_URL, storage/objects/):
- a folder (`file://`, the default): copied to `FILE.attachments/` and put back, as below;
- an S3 bucket (`s3://`): left alone by both commands. Objects are named by their content and
  never rewritten, and a request writes its object before its row commits, so the bucket holds
  every object of any backup taken earlier, unless something deleted it: `portal attachments
  sweep` (only objects no row refers to, so an object of rows deleted since the backup may go)
  or whoever manages the bucket. A bucket with versioning, or its own replication, is the
  attachments' backup. Restore says so, and `portal attachments check` lists the rows' objects
  the bucket lacks.

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

PostgreSQL: `backup_postgres.py`. The attachment folder, a SQLite database's own files and safe
file writes: `backup_files.py`.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from .backup_files import (
    copy_attachments,
    damaged,
    database_files,
    fsync,
    fsync_folder,
    is_sqlite_file,
    is_within,
    migrate_file,
    put_missing,
    remove_database_files,
    remove_extras,
    same_or_inside,
    settle,
    stored_files,
    temporary_beside,
)
from .hot_reads import sqlite_data_version


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why, for the command line."""


@dataclass(frozen=True)
class BackupReport:
    database: Path
    revision: str
    size: int
    attachments: Path | str  # the backup's folder, or the bucket's URL (not copied)
    files: int | None  # None: in a bucket, not copied

    def __str__(self) -> str:
        text = f"database backed up to {self.database} ({self.size:,} bytes, schema revision {self.revision}); "
        if self.files is None:
            return text + f"attachments are in {self.attachments} and were not copied: {BUCKET_IS_ITS_BACKUP}"
        return text + f"{self.files} attachment file(s) to {self.attachments}"


@dataclass(frozen=True)
class RestoreReport:
    database: Path
    revision: str
    replaced: bool
    attachments: Path | str  # the folder, or the bucket's URL (left alone)
    files: int | None  # None: the backup had no attachment folder, the attachments were left alone
    removed: int

    def __str__(self) -> str:
        what = "replaced" if self.replaced else "created"
        text = f"database {self.database} {what} from the backup (revision {self.revision}, migrated to the latest schema)"
        if isinstance(self.attachments, str):
            return text + (
                f"; attachments in {self.attachments} were left as they are: the restored rows refer to objects "
                "the bucket must still hold (`portal attachments check` lists any it lacks)"
            )
        if self.files is None:
            return text + f"; the backup has no attachment folder: {self.attachments} was left as it was"
        return text + f"; {self.attachments} holds the backup's {self.files} attachment file(s) ({self.removed} removed)"


BUCKET_IS_ITS_BACKUP = (
    "objects are named by their content and never rewritten, so the bucket (with versioning or its own "
    "replication) is their backup"
)


def attachments_backup_path(backup: Path) -> Path:
    """Where the attachments of the backup `backup` go: `FILE.attachments/` beside it."""
    return backup.with_name(backup.name + ".attachments")


# --------------------------------------------------------------------------- backup


def backup_sqlite(database: Path, target: Path, attachments: Path | str) -> BackupReport:
    """Copy the live `database` to `target` and the attachment folder `attachments` to
    `target.attachments/`; `attachments` given as a store URL (a bucket) is not copied."""
    database, target = Path(database), Path(target)
    attachments_dir = None if isinstance(attachments, str) else Path(attachments)
    if not database.is_file():
        raise BackupError(f"there is no database at {database}")
    if target.is_dir():
        raise BackupError(f"{target} is a folder; give the name of the backup file")
    if same_or_inside(target, database_files(database)) or (attachments_dir and is_within(target, attachments_dir)):
        raise BackupError(f"{target} is the live database or inside its attachment folder; back up elsewhere")
    folder = attachments_backup_path(target)
    if attachments_dir and (is_within(attachments_dir, folder) or is_within(folder, attachments_dir)):
        raise BackupError(f"{folder} overlaps the attachment folder {attachments_dir}; back up elsewhere")
    target.parent.mkdir(parents=True, exist_ok=True)

    temp = temporary_beside(target)
    try:
        with closing(_connect_existing(database)) as source:
            _revision(source, database)  # a database of ours, before anything is written
            with closing(sqlite3.connect(temp)) as copy:
                # One step (pages=-1): a single read transaction, so one consistent snapshot.
                source.backup(copy)
        with closing(sqlite3.connect(temp)) as copy:
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal
            _check(copy, temp)
            revision = _revision(copy, temp)
        fsync(temp)
        files = copy_attachments(attachments_dir, folder) if attachments_dir else None
        os.replace(temp, target)
        fsync_folder(target.parent)
    finally:
        remove_database_files(temp)
    return BackupReport(target, revision, target.stat().st_size, folder if attachments_dir else attachments, files)


# --------------------------------------------------------------------------- restore


def restore_sqlite(source: Path, database: Path, attachments: Path | str, *, force: bool = False) -> RestoreReport:
    """Put the backup `source` (and `source.attachments/`) back as `database` and the folder
    `attachments`; `attachments` given as a store URL (a bucket) is left alone.

    Call it outside a running event loop: the migrations run in their own (`asyncio.run`).
    """
    source, database = Path(source), Path(database)
    attachments_dir = None if isinstance(attachments, str) else Path(attachments)
    if not source.is_file():
        raise BackupError(f"there is no backup file at {source}")
    if not is_sqlite_file(source):
        raise BackupError(f"{source} is not a SQLite database")
    if same_or_inside(source, database_files(database)):
        raise BackupError(f"{source} is the live database itself")
    try:
        with closing(_connect_existing(source, read_only=True)) as backup:
            _revision(backup, source)  # a database of ours, before the live one is even looked at
    except sqlite3.Error as error:
        raise BackupError(f"cannot read {source}: {error}") from None
    replacing = database.exists()
    if replacing and not force:
        raise BackupError(
            f"{database} exists and a running server may hold it; stop the server, then run again "
            "with --force to replace it" + (" (its attachment folder is replaced too)" if attachments_dir else "")
        )
    folder = attachments_backup_path(source)
    files = _verified_attachments(folder) if folder.is_dir() and attachments_dir else None
    database.parent.mkdir(parents=True, exist_ok=True)

    temp = temporary_beside(database)
    try:
        with closing(_connect_existing(source, read_only=True)) as backup:
            with closing(sqlite3.connect(temp)) as copy:
                backup.backup(copy)
        with closing(sqlite3.connect(temp)) as copy:
            _check(copy, source)
            revision = _revision(copy, source)
        migrate_file(temp)
        settle(temp)
        if files is not None:
            put_missing(folder, attachments_dir, files)
        if replacing:
            with closing(sqlite3.connect(database, timeout=60)) as live:
                with closing(sqlite3.connect(temp)) as restored:
                    _version_past(restored, sqlite_data_version(live))
                    restored.backup(live)  # one write transaction on the live database
        else:
            remove_database_files(database)  # a stale -wal or -shm of a database that is gone
            fsync(temp)
            os.replace(temp, database)
            fsync_folder(database.parent)
        removed = remove_extras(attachments_dir, set(files)) if files is not None else 0
    except sqlite3.Error as error:
        raise BackupError(f"cannot restore {source} to {database}: {error}") from None
    finally:
        remove_database_files(temp)
    return RestoreReport(
        database, revision, replacing, attachments_dir or attachments, len(files) if files is not None else None, removed
    )


def _verified_attachments(folder: Path) -> list[Path]:
    """The backup's files (relative paths); a content-addressed one must match its hash."""
    files = list(stored_files(folder))
    wrong = damaged(folder, files)
    if wrong is not None:
        raise BackupError(f"{folder / wrong} does not match its name (damaged backup); nothing was restored")
    return files


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


# --------------------------------------------------------------------------- helpers


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
