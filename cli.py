"""`portal`: serve, migrate, import exports, load demo data."""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from .config import Settings
from .storage.db import make_engine, make_sessions
from .storage.migrate import upgrade


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="portal", description="Labour-compliance transparency API.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="migrate the database, then serve the API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(run=_serve)

    db = commands.add_parser("db", help="database schema")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="apply all migrations").set_defaults(run=_db_upgrade)

    imports = commands.add_parser("import", help="import assessment-export documents, each in one transaction")
    imports.add_argument("files", nargs="+", type=Path)
    imports.add_argument("--correction-reason", help="accept changed published findings, recorded with this reason")
    imports.add_argument("--dry-run", action="store_true", help="report what would change, write nothing")
    imports.add_argument("--actor", help="who the import is recorded as (default: $PORTAL_ACTOR or $USER)")
    imports.set_defaults(run=_import)

    demo = commands.add_parser("demo", help="generate and import deterministic, fictional demo data")
    demo.add_argument("--factories", type=int, default=1700)
    demo.add_argument("--seed", type=int, default=20261125)
    demo.add_argument("--as-of", type=date.fromisoformat, default=None, help="the demo's 'today' (default: today)")
    demo.add_argument("--if-empty", action="store_true", help="do nothing when the database has factories already")
    demo.set_defaults(run=_demo)

    args = parser.parse_args(argv)
    return args.run(args, Settings.from_env())


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from .schema.app import create_app

    asyncio.run(_migrate(settings))
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info")
    return 0


def _db_upgrade(_args: argparse.Namespace, settings: Settings) -> int:
    asyncio.run(_migrate(settings))
    print("database is at the latest schema")
    return 0


async def _migrate(settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


def _import(args: argparse.Namespace, settings: Settings) -> int:
    from .workflows.import_export import ImportRejected, import_document, parse_document

    async def run() -> int:
        engine = make_engine(settings.database_url)
        sessions = make_sessions(engine)
        try:
            await upgrade(engine)
            for path in args.files:
                try:
                    raw = path.read_bytes()
                except OSError as error:
                    print(f"{path}: cannot read: {error.strerror}", file=sys.stderr)
                    return 2
                try:
                    document = parse_document(raw, source=str(path))
                    summary = await import_document(
                        sessions,
                        document,
                        source=str(path),
                        sha256=hashlib.sha256(raw).hexdigest(),
                        actor=args.actor or settings.actor,
                        correction_reason=args.correction_reason,
                        dry_run=args.dry_run,
                        progress=sys.stderr.isatty() or len(raw) > 5_000_000,
                    )
                except ImportRejected as rejected:
                    print(f"{path}: rejected, nothing was written:", file=sys.stderr)
                    for problem in rejected.problems:
                        print(f"  {problem}", file=sys.stderr)
                    return 1
                print(f"{path}: {summary}")
            return 0
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _demo(args: argparse.Namespace, settings: Settings) -> int:
    from .workflows.demo import load_demo

    async def run() -> int:
        engine = make_engine(settings.database_url)
        try:
            await upgrade(engine)
            report = await load_demo(
                make_sessions(engine),
                factories=args.factories,
                seed=args.seed,
                as_of=args.as_of,
                only_if_empty=args.if_empty,
                progress=True,
            )
            print(report)
            return 0
        finally:
            await engine.dispose()

    return asyncio.run(run())


if __name__ == "__main__":
    sys.exit(main())
