"""Where cleaned files are kept: a folder, content-addressed.

`FileStore` writes cleaned files under a root folder (`PORTAL_STORAGE_DIR`), content-addressed
by the SHA-256 of the cleaned bytes: `root/ab/cd/<sha256><ext>`. A write goes to a temporary file
in the target folder, is flushed and fsynced, then renamed over the final name, so a reader never
sees a half-written file (a process killed mid-write leaves only the temporary file, which
`sweep_temporary` removes at the next start). Identical content is stored once (`put` returns
created=False and does not rewrite it). A request whose transaction fails calls `discard` with
the paths it created, so that no file is left without a row.

Caveat for callers: content addressing means two requests can share one file. If request A
created a file and fails while request B, which found it already there, commits, discarding A's
path removes B's file. Callers should re-check, inside or after the failed transaction, that no
committed row references the hash before discarding (or leave orphans to a periodic sweep).
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import time
from collections.abc import Iterable
from pathlib import Path

import aiofiles
import aiofiles.os

from ...storage.backup_files import fsync_folder
from .files import ALLOWED, CleanFile

_HEX64 = re.compile(r"[0-9a-f]{64}")
# What `FileStore.put` writes before the rename: `.<sha256>.<random>.tmp`.
_TEMPORARY = re.compile(r"\.[0-9a-f]{64}\.[0-9a-f]{16}\.tmp")


class FileStore:
    """Cleaned files under `root`, named by the SHA-256 of their content."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_for(self, sha256: str, extension: str) -> Path:
        if not _HEX64.fullmatch(sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        if extension not in ALLOWED.values():
            raise ValueError(f"not an attachment extension: {extension!r}")
        return self.root / sha256[:2] / sha256[2:4] / f"{sha256}{extension}"

    async def put(self, file: CleanFile) -> tuple[Path, bool]:
        """Store `file`; returns its path and whether this call created it."""
        path = self.path_for(file.sha256, file.extension)
        if await aiofiles.os.path.exists(path):
            return path, False
        await aiofiles.os.makedirs(path.parent, exist_ok=True)
        temp = path.with_name(f".{file.sha256}.{secrets.token_hex(8)}.tmp")
        try:
            async with aiofiles.open(temp, "xb") as out:
                await out.write(file.content)
                await out.flush()
                await asyncio.to_thread(os.fsync, out.fileno())
            await aiofiles.os.replace(temp, path)
            await asyncio.to_thread(fsync_folder, path.parent)  # the rename made durable
        except BaseException:
            try:
                await aiofiles.os.remove(temp)
            except FileNotFoundError:
                pass
            raise
        return path, True

    async def discard(self, paths: Iterable[Path]) -> None:
        """Remove files this request created (after its transaction failed)."""
        root = self.root.resolve()
        for path in paths:
            path = Path(path)
            if not path.resolve().is_relative_to(root):
                raise ValueError(f"not a stored attachment: {path}")
            try:
                await aiofiles.os.remove(path)
            except FileNotFoundError:
                pass

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

    async def read(self, sha256: str, extension: str) -> bytes:
        """The stored bytes; FileNotFoundError when nothing is stored under that hash."""
        async with aiofiles.open(self.path_for(sha256, extension), "rb") as stored:
            return await stored.read()
