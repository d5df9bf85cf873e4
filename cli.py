"""`portal`: serve, migrate, import exports, load demo data, back up and restore."""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from .config import Settings, sqlite_path
from .domain.errors import PortalError
from .domain.moderation import Role
from .storage.db import make_engine, make_sessions
from .storage.migrate import upgrade


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="portal", description="Labour-compliance transparency API.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="migrate the database, then serve the API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--no-access-log", action="store_true", help="no line per request (a benchmark's choice)")
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

    users = commands.add_parser("users", help="people who may act: suppliers, moderators, stewards")
    user_commands = users.add_subparsers(dest="users_command", required=True)
    add = user_commands.add_parser("add", help="create a user; prints its token once, alone on the last line")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--name", required=True)
    add.add_argument("--factory", help="a supplier's factory: its id as the API shows it")
    add.add_argument("--valid-days", type=int, help="the token expires after this many days (default: never)")
    add.set_defaults(run=_users_add)
    revoke = user_commands.add_parser("revoke", help="stop a user and all their tokens at once")
    revoke.add_argument("user", type=int, help="the user's number, as `portal users list` shows it")
    revoke.set_defaults(run=_users_revoke)
    user_commands.add_parser("list", help="list users").set_defaults(run=_users_list)

    backup = commands.add_parser(
        "backup", help="copy the SQLite database (online, safe while serving) to FILE and its attachments to FILE.attachments/"
    )
    backup.add_argument("file", type=Path)
    backup.set_defaults(run=_backup)
    restore = commands.add_parser("restore", help="put a backup made by `portal backup` back, then migrate it")
    restore.add_argument("file", type=Path)
    restore.add_argument("--force", action="store_true", help="replace an existing database (stop the server first)")
    restore.set_defaults(run=_restore)

    args = parser.parse_args(argv)
    return args.run(args, Settings.from_env())


async def _with_sessions(settings: Settings, work):
    engine = make_engine(settings.database_url)
    try:
        await upgrade(engine)
        return await work(make_sessions(engine))
    finally:
        await engine.dispose()


def _users_add(args: argparse.Namespace, settings: Settings) -> int:
    from .resolvers.ids import node_key
    from .workflows.users import add_user

    try:
        factory = node_key(args.factory, "Factory", "factory") if args.factory else None
        created = asyncio.run(
            _with_sessions(
                settings,
                lambda sessions: add_user(
                    sessions, name=args.name, role=Role(args.role), factory_source_id=factory, valid_days=args.valid_days
                ),
            )
        )
    except PortalError as error:
        print(f"portal users add: {error.message}", file=sys.stderr)
        return 1
    expiry = created.expires_at.isoformat() if created.expires_at else "never"
    print(f"user {created.user_pk} ({created.role.value}) {created.name}; token expires: {expiry}")
    print("the token is shown once, now:")
    print(created.token)
    return 0


def _users_revoke(args: argparse.Namespace, settings: Settings) -> int:
    from .workflows.users import revoke_user

    try:
        asyncio.run(_with_sessions(settings, lambda sessions: revoke_user(sessions, args.user)))
    except PortalError as error:
        print(f"portal users revoke: {error.message}", file=sys.stderr)
        return 1
    print(f"user {args.user} revoked")
    return 0


def _users_list(_args: argparse.Namespace, settings: Settings) -> int:
    from .workflows.users import list_users

    for user, factory in asyncio.run(_with_sessions(settings, list_users)):
        state = f"revoked {user.revoked_at:%Y-%m-%d}" if user.revoked_at else "active"
        print(f"{user.pk}\t{user.role}\t{user.name}\t{factory or '-'}\t{state}")
    return 0


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from .schema.http.app import create_app

    asyncio.run(_migrate(settings))
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info", access_log=not args.no_access_log)
    return 0


def _db_upgrade(_args: argparse.Namespace, settings: Settings) -> int:
    asyncio.run(_migrate(settings))
    print("database is at the latest schema")
    return 0


async def _migrate(settings: Settings) -> None:
    # _with_sessions migrates before its work; here that is all the work.
    await _with_sessions(settings, _nothing)


async def _nothing(_sessions) -> None:
    return None


def _backup(args: argparse.Namespace, settings: Settings) -> int:
    from .storage.backup import BackupError, backup_sqlite

    database = sqlite_path(settings.database_url)
    if database is None:
        return _not_sqlite("backup", args, settings)
    try:
        print(backup_sqlite(database, args.file, settings.attachments_dir))
    except BackupError as error:
        print(f"portal backup: {error}", file=sys.stderr)
        return 1
    return 0


def _restore(args: argparse.Namespace, settings: Settings) -> int:
    from .storage.backup import BackupError, restore_sqlite

    database = sqlite_path(settings.database_url)
    if database is None:
        return _not_sqlite("restore", args, settings)
    try:
        print(restore_sqlite(args.file, database, settings.attachments_dir, force=args.force))
    except BackupError as error:
        print(f"portal restore: {error}", file=sys.stderr)
        return 1
    return 0


def _not_sqlite(command: str, args: argparse.Namespace, settings: Settings) -> int:
    """PostgreSQL has its own tools: print their commands (never the password), do nothing."""
    from .storage.backup import BackupError
    from .storage.backup_postgres import postgres_commands

    try:
        lines = postgres_commands(command, settings.database_url, args.file, settings.attachments_dir)
    except BackupError as error:
        print(f"portal {command}: {error}", file=sys.stderr)
        return 1
    print(
        f"portal {command}: the database is PostgreSQL; nothing was done. Use PostgreSQL's tools "
        "(the password comes from PGPASSWORD or ~/.pgpass):",
        file=sys.stderr,
    )
    for line in lines:
        print(line)
    return 3


def _import(args: argparse.Namespace, settings: Settings) -> int:
    from .workflows.import_document import ImportRejected, import_document, parse_document

    async def run(sessions) -> int:
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

    return asyncio.run(_with_sessions(settings, run))


def _demo(args: argparse.Namespace, settings: Settings) -> int:
    from .workflows.demo import load_demo

    async def run(sessions) -> int:
        report = await load_demo(
            sessions,
            factories=args.factories,
            seed=args.seed,
            as_of=args.as_of,
            only_if_empty=args.if_empty,
            progress=True,
        )
        print(report)
        return 0

    return asyncio.run(_with_sessions(settings, run))


if __name__ == "__main__":
    sys.exit(main())
