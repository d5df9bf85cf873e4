"""Persisted GraphQL documents: the ones clients register by automatic persisted queries (a table
shared by every server process), and the trusted-documents manifest an operator deploys.

The table is bounded, so that strangers cannot fill the disk by registering documents: at most
`max_documents` rows and `max_bytes` bytes of documents (each document is at most the request
body limit, PORTAL_MAX_BODY_BYTES). Past either bound the least recently used go first, pruned in
the transaction of each registration. "Used" is registration, or a read from this table, recorded
at most once a day per document (`touch`): each process keeps the documents it reads in memory
(schema/http/persisted.py), so a read here is a process's first use, and the table sees no write
per request. A pruned document costs its clients one round trip: the server answers
PERSISTED_QUERY_NOT_FOUND and they send it again.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .db import Sessions, write_transaction
from .hot_reads import HotReads
from .tables.persisted import PersistedDocumentRow as Row

# A use is recorded once a day at most: the order of pruning needs no finer clock.
TOUCH_EVERY = timedelta(days=1)
SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def sha256_of(document: str) -> str:
    """The document's SHA-256 in lower-case hex, of its UTF-8 bytes (as Apollo, Relay and
    GraphQL Code Generator compute it)."""
    return hashlib.sha256(document.encode("utf-8", "surrogatepass")).hexdigest()


async def find(hot: HotReads, sha256: str) -> tuple[str, datetime] | None:
    """The document registered under `sha256` and when it was last used, or None."""
    rows = await hot.rows(select(Row.document, Row.used_at).where(Row.sha256 == sha256))
    return (rows[0][0], rows[0][1]) if rows else None


async def touch(sessions: Sessions, sha256: str, used_at: datetime, now: datetime) -> None:
    """Records a use of a document read at `used_at`, if that was over a day ago."""
    if now - used_at < TOUCH_EVERY:
        return
    async with write_transaction(sessions) as session:
        await session.exec(update(Row).where(Row.sha256 == sha256).values(used_at=now))


async def register(
    sessions: Sessions, sha256: str, document: str, now: datetime, *, max_documents: int, max_bytes: int
) -> None:
    """Stores `document` under its `sha256` (the caller checked that it is its hash), then prunes
    the least recently used past the bounds, in one transaction."""
    async with write_transaction(sessions) as session:
        insert = postgresql_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
        statement = insert(Row).values(sha256=sha256, document=document, size=len(document.encode("utf-8", "surrogatepass")), used_at=now)
        await session.exec(statement.on_conflict_do_update(index_elements=[Row.sha256], set_={"used_at": now}))
        newest_first = (Row.used_at.desc(), Row.sha256)
        ranked = select(
            Row.sha256,
            func.row_number().over(order_by=newest_first).label("rank"),
            func.sum(Row.size).over(order_by=newest_first).label("running"),
        ).subquery()
        beyond = select(ranked.c.sha256).where((ranked.c.rank > max_documents) | (ranked.c.running > max_bytes))
        await session.exec(delete(Row).where(Row.sha256.in_(beyond)))


class ManifestError(ValueError):
    """A trusted-documents manifest that cannot be used; the message says why, for the operator."""


def load_manifest(path: str | Path) -> dict[str, str]:
    """The `{"<sha256>": "<document>"}` manifest that Relay (`persistConfig`) and GraphQL Code
    Generator (client preset, `persistedDocuments`) write. Every key must be the SHA-256 of its
    document: a manifest that says otherwise would run documents nobody reviewed under a listed
    name. A key may carry GraphQL over HTTP's `sha256:` prefix."""
    try:
        manifest = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise ManifestError(f"PORTAL_TRUSTED_DOCUMENTS: cannot read {str(path)!r}: {error.strerror or error}") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise ManifestError(f"PORTAL_TRUSTED_DOCUMENTS: {str(path)!r} is not JSON: {error}") from None
    if not isinstance(manifest, dict):
        raise ManifestError(f'PORTAL_TRUSTED_DOCUMENTS: {str(path)!r} must be an object {{"<sha256>": "<document>"}}')
    documents: dict[str, str] = {}
    for key, document in manifest.items():
        sha256 = key.removeprefix("sha256:").lower()
        if not isinstance(document, str):
            raise ManifestError(f"PORTAL_TRUSTED_DOCUMENTS: the entry {key!r} of {str(path)!r} is not a document (a string)")
        if not SHA256_HEX.fullmatch(sha256) or sha256 != sha256_of(document):
            raise ManifestError(
                f"PORTAL_TRUSTED_DOCUMENTS: the key {key!r} of {str(path)!r} is not the SHA-256 of its document "
                f"(that is {sha256_of(document)}); regenerate the manifest"
            )
        documents[sha256] = document
    return documents
