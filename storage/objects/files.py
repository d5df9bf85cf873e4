"""`file:///folder`: the attachment objects as files under a folder (the embedded default).

A key `ab/cd/<sha256><ext>` is the file `root/ab/cd/<sha256><ext>`. A write goes to a temporary
file in the target folder, is flushed and fsynced, then renamed over the final name, so a reader
never sees a half-written file; a process killed mid-write leaves only the temporary file
(`.<sha256>.<random>.tmp`), which `sweep_temporary` removes at the next start. Content already
there is not rewritten: its modification time is refreshed (the sweep's "last written").
Several server processes on one host (or on a shared filesystem) may share the folder.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import aiofiles
import aiofiles.os

from ..backup_files import fsync_folder
from . import KEY, ObjectMissing, StoredObject, StoreUnavailable, check_key, object_key

# What `put` writes before the rename: `.<sha256>.<random>.tmp`.
_TEMPORARY = re.compile(r"\.[0-9a-f]{64}\.[0-9a-f]{16}\.tmp")


class FileStore:
    """Attachment objects under `root`, named by the SHA-256 of their content."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.url = self.root.resolve().as_uri()

    def path_for(self, sha256: str, extension: str) -> Path:
        return self.root / object_key(sha256, extension)

    def path_of(self, key: str) -> Path:
        return self.root / check_key(key)

    async def put(self, key: str, content: bytes) -> None:
        path = self.path_of(key)
        try:
            # Already there (same name, same content): only its age is renewed.
            await asyncio.to_thread(os.utime, path)
            return
        except FileNotFoundError:
            pass
        await aiofiles.os.makedirs(path.parent, exist_ok=True)
        temp = path.with_name(f".{path.stem}.{secrets.token_hex(8)}.tmp")
        try:
            async with aiofiles.open(temp, "xb") as out:
                await out.write(content)
                await out.flush()
                await asyncio.to_thread(os.fsync, out.fileno())
            # Atomic: a concurrent put of the same content renames the same bytes over it.
            await aiofiles.os.replace(temp, path)
            await asyncio.to_thread(fsync_folder, path.parent)  # the rename made durable
        except BaseException:
            try:
                await aiofiles.os.remove(temp)
            except FileNotFoundError:
                pass
            raise

    async def read(self, key: str) -> bytes:
        try:
            async with aiofiles.open(self.path_of(key), "rb") as stored:
                return await stored.read()
        except FileNotFoundError:
            raise ObjectMissing(key) from None

    async def exists(self, key: str) -> bool:
        return await aiofiles.os.path.isfile(self.path_of(key))

    async def modified(self, key: str) -> datetime | None:
        try:
            stat = await aiofiles.os.stat(self.path_of(key))
        except FileNotFoundError:
            return None
        return datetime.fromtimestamp(stat.st_mtime, UTC)

    async def delete(self, key: str) -> None:
        try:
            await aiofiles.os.remove(self.path_of(key))
        except FileNotFoundError:
            pass

    async def list(self) -> AsyncIterator[StoredObject]:
        for stored in await asyncio.to_thread(self._list):
            yield stored

    def _list(self) -> list[StoredObject]:
        found = []
        for folder, _subfolders, names in os.walk(self.root):
            for name in names:
                path = Path(folder) / name
                key = path.relative_to(self.root).as_posix()
                if not KEY.fullmatch(key):
                    continue
                try:
                    found.append(StoredObject(key, datetime.fromtimestamp(path.lstat().st_mtime, UTC)))
                except FileNotFoundError:
                    pass
        return found

    async def ping(self) -> None:
        """The folder exists (or can be made) and this process may write in it."""
        try:
            await aiofiles.os.makedirs(self.root, exist_ok=True)
        except OSError as error:
            raise StoreUnavailable(self.url) from error
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise StoreUnavailable(self.url)

    async def sweep_temporary(self, older_than: float = 600.0) -> list[Path]:
        """Remove the temporary files of `put`s that never finished (a killed process); call it
        at startup. Only files named like `put`'s temporaries and older than `older_than`
        seconds go, so a `put` in progress in another server process sharing the folder is
        left alone (a `put` takes milliseconds). Returns the removed paths."""
        return await asyncio.to_thread(self._sweep_temporary, older_than)

    def _sweep_temporary(self, older_than: float) -> list[Path]:
        removed: list[Path] = []
        if not self.root.is_dir():
            return removed
        cutoff = time.time() - older_than
        for folder, _subfolders, names in os.walk(self.root):
            for name in names:
                if not _TEMPORARY.fullmatch(name):
                    continue
                path = Path(folder) / name
                try:
                    if path.lstat().st_mtime <= cutoff:
                        path.unlink()
                        removed.append(path)
                except FileNotFoundError:
                    pass
        return removed

    async def close(self) -> None:
        return None
