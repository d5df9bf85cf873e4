"""`s3://bucket/prefix`: the attachment objects in an S3-compatible bucket, through aioboto3.

The client is configured the way every S3 client is, from the environment: AWS_ENDPOINT_URL
(any S3-compatible store: MinIO, Ceph, Garage, a cloud's S3; unset: Amazon S3),
AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION (or an AWS profile, instance role,
and the rest of botocore's credential chain). A key `ab/cd/<sha256><ext>` is the object
`prefix/ab/cd/<sha256><ext>`. The bucket must exist; the portal never creates or deletes one.

An S3 PUT is atomic: a reader sees the whole object or none, and a request killed mid-upload
leaves nothing. `put` always writes, even content already there: it is the same bytes, and the
write renews the object's LastModified, which the sweep reads as "last written".

Every call that cannot reach the store, or that the store refuses (no such bucket, access
denied), raises `StoreUnavailable` after botocore's retries (standard mode, 3 attempts); a
missing object raises `ObjectMissing`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import datetime

import aioboto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from . import KEY, ObjectMissing, StoredObject, StoreUnavailable, check_key

log = logging.getLogger("transparency_portal.storage")

# Short enough that an unreachable store fails a request within its time budget
# (PORTAL_REQUEST_SECONDS), long enough for a 10 MB object on a slow link.
_CLIENT_CONFIG = Config(connect_timeout=3, read_timeout=30, retries={"mode": "standard", "max_attempts": 3})
_MISSING = {"404", "NoSuchKey", "NotFound"}


class S3Store:
    """Attachment objects under `prefix/` in `bucket`."""

    def __init__(self, bucket: str, prefix: str = "") -> None:
        self.bucket = bucket
        self.prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
        self.url = f"s3://{bucket}/{self.prefix}"
        self._client = None
        self._exit = contextlib.AsyncExitStack()
        self._opening = asyncio.Lock()

    async def _s3(self):
        """The client, made at first use (in the running event loop) and kept until `close`."""
        if self._client is None:
            async with self._opening:
                if self._client is None:
                    try:
                        session = aioboto3.Session()
                        self._client = await self._exit.enter_async_context(session.client("s3", config=_CLIENT_CONFIG))
                    except (BotoCoreError, ClientError) as error:
                        raise self._unavailable("connect", error) from error
        return self._client

    def _unavailable(self, what: str, error: Exception) -> StoreUnavailable:
        log.error("attachment store %s: %s failed: %s", self.url, what, error)
        return StoreUnavailable(self.url)

    def _name(self, key: str) -> str:
        return self.prefix + check_key(key)

    async def put(self, key: str, content: bytes) -> None:
        name = self._name(key)
        try:
            await (await self._s3()).put_object(Bucket=self.bucket, Key=name, Body=content)
        except (BotoCoreError, ClientError) as error:
            raise self._unavailable(f"put {name}", error) from error

    async def read(self, key: str) -> bytes:
        name = self._name(key)
        try:
            answer = await (await self._s3()).get_object(Bucket=self.bucket, Key=name)
            async with answer["Body"] as body:
                return await body.read()
        except ClientError as error:
            if _code(error) in _MISSING:
                raise ObjectMissing(key) from None
            raise self._unavailable(f"get {name}", error) from error
        except BotoCoreError as error:
            raise self._unavailable(f"get {name}", error) from error

    async def _head(self, key: str) -> dict | None:
        name = self._name(key)
        try:
            return await (await self._s3()).head_object(Bucket=self.bucket, Key=name)
        except ClientError as error:
            if _code(error) in _MISSING:
                return None
            raise self._unavailable(f"head {name}", error) from error
        except BotoCoreError as error:
            raise self._unavailable(f"head {name}", error) from error

    async def exists(self, key: str) -> bool:
        return await self._head(key) is not None

    async def modified(self, key: str) -> datetime | None:
        head = await self._head(key)
        return None if head is None else head["LastModified"]

    async def delete(self, key: str) -> None:
        name = self._name(key)
        try:
            await (await self._s3()).delete_object(Bucket=self.bucket, Key=name)
        except (BotoCoreError, ClientError) as error:
            raise self._unavailable(f"delete {name}", error) from error

    async def list(self) -> AsyncIterator[StoredObject]:
        try:
            pages = (await self._s3()).get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix)
            async for page in pages:
                for item in page.get("Contents", []):
                    key = item["Key"][len(self.prefix) :]
                    if KEY.fullmatch(key):
                        yield StoredObject(key, item["LastModified"])
        except (BotoCoreError, ClientError) as error:
            raise self._unavailable("list", error) from error

    async def ping(self) -> None:
        """The bucket answers to these credentials (HeadBucket)."""
        try:
            await (await self._s3()).head_bucket(Bucket=self.bucket)
        except (BotoCoreError, ClientError) as error:
            raise self._unavailable("head bucket", error) from error

    async def sweep_temporary(self) -> list[str]:
        return []  # an S3 PUT leaves nothing half-written

    async def close(self) -> None:
        self._client = None
        await self._exit.aclose()


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))
