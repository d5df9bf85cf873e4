"""Where attachments' cleaned bytes are kept: a folder (`file:///path`) or any S3-compatible
bucket (`s3://bucket/prefix`), picked by `open_store(Settings.attachments_url)`.

Objects are content-addressed: the key of a file is `ab/cd/<sha256><ext>` (`object_key`), under
the folder or under `prefix/` in the bucket. Identical content is one object, shared by every
row that refers to it, and an object is never rewritten with other bytes. The rules callers
keep (workflows/responses.py, workflows/attachments/sweep.py):

- An object is written before the row that refers to it commits, so no row is without its object.
- A failed request deletes nothing: between its `put` and its failure another request may have
  committed a row that refers to the same content. Objects no row refers to are left to
  `portal attachments sweep`, which removes those last written more than an hour ago.
- `put` of content already there writes it again (S3) or refreshes its time (folder), so an
  object a request is about to refer to is never old enough for the sweep.

Errors: a store that cannot be reached or written raises `StoreUnavailable` (a `PortalError`,
so a client sees a GraphQL error with its code and message, never a stack trace); an object
that is not there raises `ObjectMissing` (a `FileNotFoundError`).

Backends: `files.py` (`FileStore`, the embedded default) and `s3.py` (`S3Store`, on aioboto3,
configured from AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION
like every S3 client).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol, runtime_checkable
from urllib.parse import unquote, urlsplit

from ...domain.errors import Unavailable

# The extensions of workflows/attachments/files.py ALLOWED (a test checks that they agree).
EXTENSIONS = frozenset({".jpg", ".png", ".webp", ".pdf"})

_HEX64 = re.compile(r"[0-9a-f]{64}")
# What `object_key` makes: only these are ever listed, read or deleted as attachments.
KEY = re.compile(r"([0-9a-f]{2})/([0-9a-f]{2})/(\1\2[0-9a-f]{60})(\.[a-z]+)")


class StoreUnavailable(Unavailable):
    """The attachment store could not be reached or written; nothing was saved."""

    def __init__(self, store: str) -> None:
        super().__init__(
            "The attachment store cannot be reached right now; nothing was saved. Please try again later.",
            reason="storage_unavailable",
        )
        self.store = store


class ObjectMissing(FileNotFoundError):
    """No object is stored under the key."""


@dataclass(frozen=True)
class StoredObject:
    key: str
    # When it was last written (timezone-aware); the sweep removes unreferenced old ones.
    modified: datetime


def object_key(sha256: str, extension: str) -> str:
    """`ab/cd/<sha256><ext>`; ValueError for anything but a SHA-256 hex digest and an
    attachment extension (so no key can leave the store's folder or prefix)."""
    if not _HEX64.fullmatch(sha256):
        raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
    if extension not in EXTENSIONS:
        raise ValueError(f"not an attachment extension: {extension!r}")
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}{extension}"


def check_key(key: str) -> str:
    named = KEY.fullmatch(key)
    if named is None or named.group(4) not in EXTENSIONS:
        raise ValueError(f"not an attachment key: {key!r}")
    return key


def key_sha256(key: str) -> str:
    """The content hash a key names."""
    return check_key(key).rsplit("/", 1)[1].split(".", 1)[0]


@runtime_checkable
class ObjectStore(Protocol):
    """Cleaned attachment files by key (`object_key`). Every method may raise StoreUnavailable."""

    url: str  # where it is, for messages: file:///... or s3://bucket/prefix

    async def put(self, key: str, content: bytes) -> None:
        """Store `content` under `key`, whole or not at all; a reader never sees part of it."""

    async def read(self, key: str) -> bytes:
        """The object's bytes; ObjectMissing when there is none."""

    async def exists(self, key: str) -> bool: ...

    async def delete(self, key: str) -> None:
        """Remove the object (no error when it is already gone)."""

    def list(self) -> AsyncIterator[StoredObject]:
        """Every attachment object, with when it was last written (anything else is skipped)."""

    async def modified(self, key: str) -> datetime | None:
        """When the object was last written; None when there is none."""

    async def ping(self) -> None:
        """Return when the store answers (for /readyz); StoreUnavailable otherwise."""

    async def sweep_temporary(self) -> list[str]:
        """Remove what writes killed half-way left behind (start-up); what was removed."""

    async def close(self) -> None: ...


def open_store(url: str) -> ObjectStore:
    """The store for `url`: `file:///folder` or `s3://bucket/prefix` (Settings.attachments_url).
    Nothing is contacted yet: an unreachable store shows at its first use or `ping()`."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        from .files import FileStore

        return FileStore(Path(unquote(parts.path)))
    if parts.scheme == "s3" and parts.netloc:
        from .s3 import S3Store

        return S3Store(parts.netloc, unquote(parts.path).strip("/"))
    raise ValueError(f"an attachment store is file:///folder or s3://bucket/prefix, not {url!r}")


@asynccontextmanager
async def opened_store(url: str) -> AsyncIterator[ObjectStore]:
    """`open_store(url)` for the length of a block, closed however it ends (the commands)."""
    store = open_store(url)
    try:
        yield store
    finally:
        await store.close()


def folder_or_url(url: str) -> Path | str:
    """The folder of a `file://` store; an `s3://` store's URL as it is (backup, restore)."""
    parts = urlsplit(url)
    return Path(unquote(parts.path)) if parts.scheme == "file" else url


__all__ = [
    "EXTENSIONS",
    "ObjectMissing",
    "ObjectStore",
    "StoreUnavailable",
    "StoredObject",
    "check_key",
    "folder_or_url",
    "key_sha256",
    "object_key",
    "open_store",
    "opened_store",
]
