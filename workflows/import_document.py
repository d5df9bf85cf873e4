"""`portal import FILE...`: bring an export of the assessment system into the record.

The export format is fixed (`assessment_export.schema.json`, a copy of the shared contract). An
import runs in three steps, all inside one write transaction:

1. check: the schema (fastjsonschema, first error only), then every rule of the format's README
   against the document and the database together (all problems, not just the first); a
   changed finding of a published assessment is a problem too unless a correction reason is
   given. Any problem rejects the whole document and nothing is written.
2. plan: compare every entry with what is stored, by the source system's keys. Unchanged entries
   are not written; when nothing changed nothing at all is written.
3. write: bulk inserts, updates and deletes, the import run, one correction row per changed
   published value, then the public projection of the affected factories.

A dry run does steps 1-3 and rolls back, so it reports exactly what a real run would do.

The steps live in their own modules: `import_format` (parsing, the schema), `import_entries`
(the document by its keys), `import_stored` (what is stored for those keys), `import_plan`
(comparing the two, by the rules of `domain/import_rules.py`), `import_writes` (writing the
plan), `import_summary` (the result).
"""

from __future__ import annotations

import hashlib

from sqlalchemy import text

from ..domain import import_rules as rules
from ..domain.events import PUBLIC_DATA_CHANGED
from ..storage.db import Sessions, write_transaction
from ..storage.event_bus import EventBus, publish
from .import_entries import index_document
from .import_format import document_sha256, parse_document, validate_document
from .import_plan import correction_problem, plan_import
from .import_problems import ImportRejected, Problem
from .import_stored import load_stored
from .import_summary import Correction, FindingCounts, ImportSummary, SectionCounts
from .import_writes import Progress, write_plan

# PostgreSQL advisory lock taken for the length of an import transaction ("port").
IMPORT_LOCK_KEY = 0x706F7274


# A file this large shows its progress even when nobody watches the terminal (a log has a line).
PROGRESS_BYTES = 5_000_000


class _DryRun(Exception):
    """Raised inside the transaction to roll a dry run back."""

    def __init__(self, summary: ImportSummary) -> None:
        super().__init__("dry run")
        self.summary = summary


async def import_document(
    sessions: Sessions,
    document: dict,
    *,
    source: str = "<document>",
    actor: str,
    correction_reason: str | None = None,
    dry_run: bool = False,
    progress: bool = False,
    sha256: str | None = None,
    bus: EventBus | None = None,
) -> ImportSummary:
    """Check the whole document, then write it in one transaction (or, for a dry run, roll back).

    Raises ImportRejected, with every problem found, when the document cannot be imported;
    nothing is written then. `sha256` is the digest recorded for the import run (pass the raw
    file's; by default that of the document's canonical JSON). A real import that changed anything
    publishes PUBLIC_DATA_CHANGED on `bus` when it commits.
    """
    document = validate_document(document, source)
    blank = rules.correction_reason(correction_reason)
    if blank is not None:
        raise ImportRejected([Problem(None, None, blank.field, blank.message)], source)
    summary = ImportSummary(source=source, dry_run=dry_run)
    try:
        async with write_transaction(sessions) as session:
            if session.bind.dialect.name == "postgresql":
                # Imports queue behind each other (SQLite's BEGIN IMMEDIATE does the same): two
                # at once would both plan to insert the same new entries.
                await session.exec(text("SELECT pg_advisory_xact_lock(:key)"), params={"key": IMPORT_LOCK_KEY})
            problems: list[Problem] = []
            doc = index_document(document, problems)
            stored = await load_stored(session, doc)
            plan = await plan_import(session, doc, stored, summary, problems)
            if plan.corrections and correction_reason is None:
                problems += [correction_problem(change) for _, change in plan.corrections]
            if problems:
                raise ImportRejected(problems, source)
            if not summary.changed:
                return summary
            bar = Progress(plan.rows_to_write, progress, source)
            try:
                await write_plan(
                    session,
                    plan,
                    stored,
                    source=source,
                    sha256=sha256 or document_sha256(document),
                    actor=actor,
                    correction_reason=correction_reason.strip() if correction_reason else None,
                    progress=bar,
                )
            finally:
                bar.close()
            if dry_run:
                raise _DryRun(summary)
            # Without a bus (the command line) PostgreSQL still notifies the running servers.
            await publish(bus, session, [PUBLIC_DATA_CHANGED])
    except _DryRun as stop:
        stop.summary.import_run_pk = None
        return stop.summary
    return summary


async def import_file_bytes(
    sessions: Sessions,
    raw: bytes,
    *,
    source: str,
    actor: str,
    correction_reason: str | None = None,
    dry_run: bool = False,
    progress: bool = False,
) -> ImportSummary:
    """`portal import`: an export file's bytes, parsed and imported, the import run recording
    the file's own SHA-256. Raises ImportRejected as `import_document` does."""
    return await import_document(
        sessions,
        parse_document(raw, source=source),
        source=source,
        sha256=hashlib.sha256(raw).hexdigest(),
        actor=actor,
        correction_reason=correction_reason,
        dry_run=dry_run,
        progress=progress or len(raw) > PROGRESS_BYTES,
    )


__all__ = [
    "Correction",
    "FindingCounts",
    "ImportRejected",
    "ImportSummary",
    "Problem",
    "SectionCounts",
    "document_sha256",
    "import_document",
    "import_file_bytes",
    "parse_document",
    "validate_document",
]
