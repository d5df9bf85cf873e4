"""`portal`: serve, migrate, import exports, load demo data, back up and restore."""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from .config import Settings, sqlite_path
from .domain.errors import PortalError
from .domain.moderation import Role
from .storage.db import make_engine, make_sessions
from .storage.migrate import upgrade
from .storage.objects import folder_or_url


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="portal", description="Labour-compliance transparency API.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="migrate the database, then serve the API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--no-access-log", action="store_true", help="no line per request (a benchmark's choice)")
    serve.add_argument("--workers", type=_at_least_one, default=1, help="server processes on the one port (default 1)")
    serve.add_argument(
        "--graceful-timeout", type=_at_least_one, default=30, metavar="SECONDS",
        help="on SIGTERM, how long requests in flight may take to finish before they are cancelled (default 30)",
    )
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
        "backup",
        help="copy the SQLite database (online, safe while serving) to FILE and its attachment folder to "
        "FILE.attachments/ (attachments in an s3:// bucket are not copied: the bucket is their backup)",
    )
    backup.add_argument("file", type=Path)
    backup.set_defaults(run=_backup)
    restore = commands.add_parser(
        "restore",
        help="put a backup made by `portal backup` back, then migrate it (an s3:// bucket is left alone: "
        "its objects must still be there, see `portal attachments check`)",
    )
    restore.add_argument("file", type=Path)
    restore.add_argument("--force", action="store_true", help="replace an existing database (stop the server first)")
    restore.set_defaults(run=_restore)

    attachments = commands.add_parser("attachments", help="the attachment store (PORTAL_STORAGE_URL: a folder or an s3:// bucket)")
    attachment_commands = attachments.add_subparsers(dest="attachments_command", required=True)
    sweep = attachment_commands.add_parser(
        "sweep", help="remove stored files no attachment refers to (left by failed or killed uploads); prints them"
    )
    sweep.add_argument(
        "--older-than-minutes", type=int, default=60, help="only files last written this long ago (default: 60)"
    )
    sweep.set_defaults(run=_attachments_sweep)
    attachment_commands.add_parser(
        "check", help="list the stored files that attachments refer to and the store lacks (exit 1 if any)"
    ).set_defaults(run=_attachments_check)

    webhooks = commands.add_parser("webhooks", help="endpoints that receive the public changes, signed (Standard Webhooks)")
    webhook_commands = webhooks.add_subparsers(dest="webhooks_command", required=True)
    hook = webhook_commands.add_parser(
        "add", help="subscribe an endpoint; prints `webhook <id>` first and its signing secret alone on the last line"
    )
    hook.add_argument("--url", required=True, help="where changes are POSTed (http:// or https://, a public address)")
    hook.add_argument("--country", action="append", default=[], help="only changes of this country (repeatable)")
    hook.add_argument("--factory", action="append", default=[], help="only changes of this factory, its API id (repeatable)")
    hook.set_defaults(run=_webhooks_add)
    webhook_commands.add_parser("list", help="list endpoints and their deliveries' counts").set_defaults(run=_webhooks_list)
    unhook = webhook_commands.add_parser("remove", help="stop sending to an endpoint; its deliveries go too")
    unhook.add_argument("webhook", type=int)
    unhook.set_defaults(run=_webhooks_remove)
    sent = webhook_commands.add_parser("deliveries", help="an endpoint's latest deliveries, newest first")
    sent.add_argument("webhook", type=int)
    sent.add_argument("--limit", type=_at_least_one, default=50)
    sent.set_defaults(run=_webhooks_deliveries)
    again = webhook_commands.add_parser("redeliver", help="send a delivery again (same webhook-id and body)")
    again.add_argument("delivery", type=int)
    again.set_defaults(run=_webhooks_redeliver)

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
    import signal
    import tempfile

    import uvicorn

    from .schema.http import serve
    from .schema.http.request_log import configure_logging

    asyncio.run(_migrate(settings))  # once, before any worker starts
    configure_logging(settings.log_format)
    # uvicorn handles SIGTERM (stops taking connections, lets requests in flight finish, runs the
    # lifespan's shutdown), then raises it again for the handler it found: this one ends the
    # command with status 0, a stop that was asked for.
    signal.signal(signal.SIGTERM, _stopped)
    # Our request log writes the lines (schema/http/request_log.py); uvicorn's access log is off.
    options = {
        "host": args.host, "port": args.port, "log_config": None, "log_level": "info", "access_log": False,
        "timeout_graceful_shutdown": args.graceful_timeout,
    }
    if args.workers == 1:
        from .schema.http.app import create_app

        uvicorn.run(create_app(settings, request_lines=not args.no_access_log), **options)
        return 0
    # Workers are fresh processes that build their app from the environment. Their counters go
    # to files in a folder of this run, which /metrics sums (prometheus-client's multiprocess mode).
    with tempfile.TemporaryDirectory(prefix="portal-metrics-") as metrics:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics
        os.environ[serve.REQUEST_LINES] = "0" if args.no_access_log else "1"
        uvicorn.run(serve.IMPORT_STRING, factory=True, workers=args.workers, **options)
    return 0


def _stopped(_signal, _frame) -> None:
    raise SystemExit(0)


def _at_least_one(raw: str) -> int:
    if not raw.isdigit() or int(raw) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {raw!r}")
    return int(raw)


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
        print(backup_sqlite(database, args.file, folder_or_url(settings.attachments_url)))
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
        print(restore_sqlite(args.file, database, folder_or_url(settings.attachments_url), force=args.force))
    except BackupError as error:
        print(f"portal restore: {error}", file=sys.stderr)
        return 1
    return 0


def _not_sqlite(command: str, args: argparse.Namespace, settings: Settings) -> int:
    """PostgreSQL has its own tools: print their commands (never the password), do nothing."""
    from .storage.backup import BackupError
    from .storage.backup_postgres import postgres_commands

    try:
        lines = postgres_commands(command, settings.database_url, args.file, folder_or_url(settings.attachments_url))
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


def _webhook_command(name: str, settings: Settings, work):
    """Runs `work(sessions)`; a refusal is printed and becomes exit status 1 (None returned)."""
    try:
        return asyncio.run(_with_sessions(settings, work))
    except PortalError as error:
        print(f"portal webhooks {name}: {error.message}", file=sys.stderr)
        return None


def _webhooks_add(args: argparse.Namespace, settings: Settings) -> int:
    from .workflows.webhooks import add_webhook

    created = _webhook_command("add", settings, lambda sessions: add_webhook(
        sessions, args.url, countries=args.country, factories=args.factory, allow_private=settings.webhook_allow_private
    ))  # fmt: skip
    if created is None:
        return 1
    print(f"webhook {created.pk}")
    print(f"url: {created.url}")
    print(f"countries: {', '.join(created.countries) or 'all'}; factories: {', '.join(created.factories) or 'all'}")
    print("the signing secret (receivers verify deliveries with it; `portal webhooks list` does not show it):")
    print(created.secret)
    return 0


def _webhooks_list(_args: argparse.Namespace, settings: Settings) -> int:
    from .workflows.webhooks import list_webhooks

    for hook in asyncio.run(_with_sessions(settings, list_webhooks)):
        row = hook.row
        state = f"disabled {row.disabled_at:%Y-%m-%d %H:%M} UTC: {row.disabled_reason}" if row.disabled_at else "active"
        print(
            f"{row.pk}\t{row.url}\tcountries: {','.join(row.countries) or 'all'}\tfactories: {','.join(row.factories) or 'all'}"
            f"\t{state}\tpending {hook.pending}, delivered {hook.delivered}, failed {hook.failed}"
        )
    return 0


def _webhooks_remove(args: argparse.Namespace, settings: Settings) -> int:
    from .workflows.webhooks import remove_webhook

    if _webhook_command("remove", settings, lambda sessions: remove_webhook(sessions, args.webhook)) is None:
        return 1
    print(f"webhook {args.webhook} removed")
    return 0


def _webhooks_deliveries(args: argparse.Namespace, settings: Settings) -> int:
    from .workflows.webhooks import webhook_deliveries

    rows = _webhook_command("deliveries", settings, lambda sessions: webhook_deliveries(sessions, args.webhook, args.limit))
    if rows is None:
        return 1
    for row in rows:
        outcome = row.last_error or (f"HTTP {row.last_status_code}" if row.last_status_code else "-")
        upcoming = f"next attempt {row.next_attempt_at:%Y-%m-%d %H:%M:%S} UTC" if row.status == "PENDING" else ""
        print(f"{row.pk}\t{row.status}\t{row.message_id}\tattempts {row.attempts}\t{outcome}\t{upcoming}".rstrip())
    return 0


def _webhooks_redeliver(args: argparse.Namespace, settings: Settings) -> int:
    from .workflows.webhooks import redeliver

    row = _webhook_command("redeliver", settings, lambda sessions: redeliver(sessions, args.delivery))
    if row is None:
        return 1
    print(f"delivery {row.pk} queued again (webhook-id {row.message_id})")
    return 0


def _attachments_sweep(args: argparse.Namespace, settings: Settings) -> int:
    from .storage.objects import open_store
    from .workflows.attachments.sweep import sweep_unreferenced

    async def run(sessions) -> list[str]:
        store = open_store(settings.attachments_url)
        try:
            before = datetime.now(UTC) - timedelta(minutes=args.older_than_minutes)
            return await sweep_unreferenced(sessions, store, before=before)
        finally:
            await store.close()

    if args.older_than_minutes < 0:
        print("portal attachments sweep: --older-than-minutes must not be negative", file=sys.stderr)
        return 2
    try:
        removed = asyncio.run(_with_sessions(settings, run))
    except PortalError as error:
        print(f"portal attachments sweep: {error.message}", file=sys.stderr)
        return 1
    for key in removed:
        print(f"removed {key}")
    print(f"{len(removed)} file(s) no attachment refers to removed from {settings.attachments_url}")
    return 0


def _attachments_check(_args: argparse.Namespace, settings: Settings) -> int:
    from .storage.objects import open_store
    from .workflows.attachments.sweep import missing_objects

    async def run(sessions) -> list[str]:
        store = open_store(settings.attachments_url)
        try:
            return await missing_objects(sessions, store)
        finally:
            await store.close()

    try:
        missing = asyncio.run(_with_sessions(settings, run))
    except PortalError as error:
        print(f"portal attachments check: {error.message}", file=sys.stderr)
        return 1
    for key in missing:
        print(f"missing {key}")
    print(f"{len(missing)} file(s) that attachments refer to are missing from {settings.attachments_url}")
    return 1 if missing else 0


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
