"""Files for `portal backup` / `portal restore` (`backup.py`): the attachment folder, a SQLite
database's own files, and safe writes.

The store's files are content-addressed (`<sha256>.<ext>`) and never change; its temporary files
(`.<sha256>.<random>.tmp`) and ours are never content and are left out. Every file or folder is
written beside its place under a temporary name, fsynced, and renamed into place.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import secrets
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

# FileStore's temporary files (`.<sha256>.<random>.tmp`) and ours: never content.
_TEMPORARY = re.compile(r"^\..*\.tmp$")
_CONTENT_ADDRESS = re.compile(r"^([0-9a-f]{64})\.[a-z]+$")
SQLITE_HEADER = b"SQLite format 3\x00"


def copy_attachments(source: Path, folder: Path) -> int:
    """Copy the stored files to `folder` (through a temporary folder renamed into place)."""
    temp = temporary_beside(folder)
    old = None
    try:
        temp.mkdir()
        count = 0
        for relative in stored_files(source):
            destination = temp / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            try:
                shutil.copyfile(source / relative, destination)
            except FileNotFoundError:  # removed meanwhile: no committed row references it
                continue
            fsync(destination)
            count += 1
        if folder.exists():
            old = temporary_beside(folder)
            os.replace(folder, old)
        os.replace(temp, folder)
        fsync_folder(folder.parent)
        return count
    finally:
        for leftover in (temp, old):
            if leftover is not None and leftover.exists():
                shutil.rmtree(leftover, ignore_errors=True)


def damaged(folder: Path, files: list[Path]) -> Path | None:
    """The first of `files` (relative to `folder`) whose content does not match its name, if any."""
    for relative in files:
        named = _CONTENT_ADDRESS.match(relative.name)
        if named and _sha256(folder / relative) != named.group(1):
            return relative
    return None


def put_missing(folder: Path, attachments_dir: Path, files: list[Path]) -> None:
    for relative in files:
        destination = attachments_dir / relative
        if destination.is_file() and destination.stat().st_size == (folder / relative).stat().st_size:
            continue  # content-addressed: same name, same content
        destination.parent.mkdir(parents=True, exist_ok=True)
        temp = temporary_beside(destination)
        try:
            shutil.copyfile(folder / relative, temp)
            fsync(temp)
            os.replace(temp, destination)
            fsync_folder(destination.parent)
        finally:
            temp.unlink(missing_ok=True)


def remove_extras(attachments_dir: Path, keep: set[Path]) -> int:
    removed = 0
    for relative in list(stored_files(attachments_dir)):
        if relative not in keep:
            (attachments_dir / relative).unlink(missing_ok=True)
            removed += 1
    return removed


def stored_files(root: Path):
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


def temporary_beside(path: Path) -> Path:
    return path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")


def same_or_inside(path: Path, candidates: list[Path]) -> bool:
    resolved = path.resolve()
    return any(resolved == candidate.resolve() for candidate in candidates)


def is_within(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def fsync(path: Path) -> None:
    with open(path, "rb") as file:
        os.fsync(file.fileno())


def fsync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable (best effort: not every platform can open a folder).
    The attachment store uses it too."""
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


# --------------------------------------------------------------------------- a SQLite database's files


def database_files(database: Path) -> list[Path]:
    return [database, Path(f"{database}-wal"), Path(f"{database}-shm"), Path(f"{database}-journal")]


def remove_database_files(database: Path) -> None:
    for path in database_files(database):
        path.unlink(missing_ok=True)


def is_sqlite_file(path: Path) -> bool:
    """Whether the file starts with SQLite's header."""
    with open(path, "rb") as file:
        return file.read(len(SQLITE_HEADER)) == SQLITE_HEADER


def settle(path: Path) -> None:
    """Fold the -wal back into the file, so the file alone is the whole database."""
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def migrate_file(path: Path) -> None:
    """Bring the SQLite database at `path` to the latest schema (outside a running event loop)."""
    from .migrate import migrated

    async def run() -> None:
        async with migrated(f"sqlite+aiosqlite:///{path}"):
            pass  # the upgrade on the way in is the work

    asyncio.run(run())
