"""PostgreSQL is backed up with its own tools: `postgres_commands` gives the `pg_dump -Fc` and
`pg_restore --clean --if-exists` command lines for a URL (never its password), and the `rsync`
of the attachment folder beside them (`portal backup` / `portal restore` print them). Attachments
in an S3 bucket are not copied (storage/backup.py says why): a comment line says so instead.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from sqlalchemy.engine import make_url

from .backup import BUCKET_IS_ITS_BACKUP, BackupError, attachments_backup_path


def postgres_commands(command: str, url: str, file: Path, attachments: Path | str) -> list[str]:
    """The shell commands that do `command` ("backup" or "restore") for a PostgreSQL `url`;
    `attachments`: the attachment folder, or the bucket's URL (not copied).

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
            ["rsync", "-a", "--delete", "--exclude", ".*.tmp", f"{attachments}/", f"{folder}/"],
        ]
    elif command == "restore":
        lines = [
            ["pg_restore", "--clean", "--if-exists", "--single-transaction", *connection, str(file)],
            ["rsync", "-a", "--delete", "--exclude", ".*.tmp", f"{folder}/", f"{attachments}/"],
            ["portal", "db", "upgrade"],
        ]
    else:
        raise ValueError(command)
    if isinstance(attachments, str):
        note = f"# attachments in {attachments} are not copied: {BUCKET_IS_ITS_BACKUP}"
        if command == "restore":
            note += "; then `portal attachments check` lists the rows' objects it lacks"
        return [shlex.join(line) for line in lines if line[0] != "rsync"] + [note]
    return [shlex.join(line) for line in lines]
