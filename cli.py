"""`portal`: serve, migrate, import exports, load demo data, back up and restore.

The parser and its dispatch. Each subcommand's body is in workflows/commands/ (it calls its
use-case, prints what that returns, and gives the exit status), `serve`'s in schema/http/serve.py.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from .config import Settings
from .domain.moderation import Role
from .workflows.commands import attachments, backups, on_database, records, users, webhooks


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
    imports.set_defaults(run=records.import_files)

    demo = commands.add_parser("demo", help="generate and import deterministic, fictional demo data")
    demo.add_argument("--factories", type=int, default=1700)
    demo.add_argument("--seed", type=int, default=20261125)
    demo.add_argument("--as-of", type=date.fromisoformat, default=None, help="the demo's 'today' (default: today)")
    demo.add_argument("--if-empty", action="store_true", help="do nothing when the database has factories already")
    demo.set_defaults(run=records.demo)

    users_parser = commands.add_parser("users", help="people who may act: suppliers, moderators, stewards")
    user_commands = users_parser.add_subparsers(dest="users_command", required=True)
    add = user_commands.add_parser("add", help="create a user; prints its token once, alone on the last line")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--name", required=True)
    add.add_argument("--factory", help="a supplier's factory: its id as the API shows it")
    add.add_argument("--valid-days", type=int, help="the token expires after this many days (default: never)")
    add.set_defaults(run=users.add)
    revoke = user_commands.add_parser("revoke", help="stop a user and all their tokens at once")
    revoke.add_argument("user", type=int, help="the user's number, as `portal users list` shows it")
    revoke.set_defaults(run=users.revoke)
    user_commands.add_parser("list", help="list users").set_defaults(run=users.listing)

    backup = commands.add_parser(
        "backup",
        help="copy the SQLite database (online, safe while serving) to FILE and its attachment folder to "
        "FILE.attachments/ (attachments in an s3:// bucket are not copied: the bucket is their backup)",
    )
    backup.add_argument("file", type=Path)
    backup.set_defaults(run=backups.backup)
    restore = commands.add_parser(
        "restore",
        help="put a backup made by `portal backup` back, then migrate it (an s3:// bucket is left alone: "
        "its objects must still be there, see `portal attachments check`)",
    )
    restore.add_argument("file", type=Path)
    restore.add_argument("--force", action="store_true", help="replace an existing database (stop the server first)")
    restore.set_defaults(run=backups.restore)

    attachments_parser = commands.add_parser(
        "attachments", help="the attachment store (PORTAL_STORAGE_URL: a folder or an s3:// bucket)"
    )
    attachment_commands = attachments_parser.add_subparsers(dest="attachments_command", required=True)
    sweep = attachment_commands.add_parser(
        "sweep", help="remove stored files no attachment refers to (left by failed or killed uploads); prints them"
    )
    sweep.add_argument(
        "--older-than-minutes", type=int, default=60, help="only files last written this long ago (default: 60)"
    )
    sweep.set_defaults(run=attachments.sweep)
    attachment_commands.add_parser(
        "check", help="list the stored files that attachments refer to and the store lacks (exit 1 if any)"
    ).set_defaults(run=attachments.check)

    webhooks_parser = commands.add_parser(
        "webhooks", help="endpoints that receive the public changes, signed (Standard Webhooks)"
    )
    webhook_commands = webhooks_parser.add_subparsers(dest="webhooks_command", required=True)
    hook = webhook_commands.add_parser(
        "add", help="subscribe an endpoint; prints `webhook <id>` first and its signing secret alone on the last line"
    )
    hook.add_argument("--url", required=True, help="where changes are POSTed (http:// or https://, a public address)")
    hook.add_argument("--country", action="append", default=[], help="only changes of this country (repeatable)")
    hook.add_argument("--factory", action="append", default=[], help="only changes of this factory, its API id (repeatable)")
    hook.set_defaults(run=webhooks.add)
    webhook_commands.add_parser("list", help="list endpoints and their deliveries' counts").set_defaults(run=webhooks.listing)
    unhook = webhook_commands.add_parser("remove", help="stop sending to an endpoint; its deliveries go too")
    unhook.add_argument("webhook", type=int)
    unhook.set_defaults(run=webhooks.remove)
    sent = webhook_commands.add_parser("deliveries", help="an endpoint's latest deliveries, newest first")
    sent.add_argument("webhook", type=int)
    sent.add_argument("--limit", type=_at_least_one, default=50)
    sent.set_defaults(run=webhooks.deliveries)
    again = webhook_commands.add_parser("redeliver", help="send a delivery again (same webhook-id and body)")
    again.add_argument("delivery", type=int)
    again.set_defaults(run=webhooks.redeliver)

    args = parser.parse_args(argv)
    return args.run(args, Settings.from_env())


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from .schema.http.serve import serve

    on_database(settings)  # migrates, once, before any worker starts
    serve(
        settings, host=args.host, port=args.port, workers=args.workers, graceful_timeout=args.graceful_timeout,
        request_lines=not args.no_access_log,
    )
    return 0


def _at_least_one(raw: str) -> int:
    if not raw.isdigit() or int(raw) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {raw!r}")
    return int(raw)


def _db_upgrade(_args: argparse.Namespace, settings: Settings) -> int:
    on_database(settings)  # the upgrade on the way in is all the work
    print("database is at the latest schema")
    return 0


if __name__ == "__main__":
    sys.exit(main())
