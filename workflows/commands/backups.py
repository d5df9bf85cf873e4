"""`portal backup|restore FILE`: a SQLite database and its attachments (storage/backup.py), or
PostgreSQL's own tools' commands (storage/backup_postgres.py)."""

from __future__ import annotations

import argparse
import sys

from ...config import Settings, sqlite_path
from ...storage.objects import folder_or_url


def backup(args: argparse.Namespace, settings: Settings) -> int:
    from ...storage.backup import backup_sqlite

    return _database_copy("backup", args, settings, lambda database, attachments: backup_sqlite(
        database, args.file, attachments
    ))  # fmt: skip


def restore(args: argparse.Namespace, settings: Settings) -> int:
    from ...storage.backup import restore_sqlite

    return _database_copy("restore", args, settings, lambda database, attachments: restore_sqlite(
        args.file, database, attachments, force=args.force
    ))  # fmt: skip


def _database_copy(command: str, args: argparse.Namespace, settings: Settings, copy) -> int:
    """`copy(database, attachments)` of a SQLite database, its report printed. PostgreSQL has its
    own tools: print their commands (never the password), do nothing."""
    from ...storage.backup import BackupError
    from ...storage.backup_postgres import postgres_commands

    database = sqlite_path(settings.database_url)
    try:
        if database is not None:
            print(copy(database, folder_or_url(settings.attachments_url)))
            return 0
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
