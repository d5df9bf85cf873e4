"""PostgreSQL is backed up with its own tools: `postgres_commands` gives the `pg_dump -Fc` and
`pg_restore --clean --if-exists` command lines for a URL (never its password), and the `rsync`
of the attachment folder beside them (`portal backup` / `portal restore` print them).
"""

from __future__ import annotations

import shlex
from pathlib import Path

from sqlalchemy.engine import make_url

from .backup import BackupError, attachments_backup_path


def postgres_commands(command: str, url: str, file: Path, attachments_dir: Path) -> list[str]:
    """The shell commands that do `command` ("backup" or "restore") for a PostgreSQL `url`.

    The connection parameters come from the URL; the password never does (pg_dump and
    pg_restore read it from PGPASSWORD or ~/.pgpass).
    """
    if not url.startswith("postgres"):
        raise BackupError("backup and restore work on a SQLite file or, through pg_dump, on PostgreSQL")
    parsed = make_url(url)
    connection: list[str] = []
    host = parsed.host or parsed.query.get("host")
    if isinstance(host, tuple):
        host = host[0]
    for flag, value in (("-h", host), ("-p", parsed.port), ("-U", parsed.username), ("-d", parsed.database)):
        if value not in (None, ""):
            connection += [flag, str(value)]
    folder = attachments_backup_path(Path(file))
    if command == "backup":
        lines = [
            ["pg_dump", "-Fc", *connection, "-f", str(file)],
            ["rsync", "-a", "--delete", "--exclude", ".*.tmp", f"{attachments_dir}/", f"{folder}/"],
        ]
    elif command == "restore":
        lines = [
            ["pg_restore", "--clean", "--if-exists", "--single-transaction", *connection, str(file)],
            ["rsync", "-a", "--delete", "--exclude", ".*.tmp", f"{folder}/", f"{attachments_dir}/"],
            ["portal", "db", "upgrade"],
        ]
    else:
        raise ValueError(command)
    return [shlex.join(line) for line in lines]
