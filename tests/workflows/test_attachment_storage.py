"""`portal backup` / `restore` / `attachments check` with attachments in an S3 bucket (moto's
server): the database is backed up and restored, the bucket is left alone, and both say so."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from processes import portal
from transparency_portal.storage.backup import attachments_backup_path
from transparency_portal.storage.backup_postgres import postgres_commands


def test_backup_and_restore_leave_the_bucket_alone_and_say_so(tmp_path, s3_endpoint):
    storage = s3_endpoint.url(f"backup-{uuid.uuid4().hex[:8]}")
    env = {**os.environ, **s3_endpoint.env, "PORTAL_DATABASE_URL": f"sqlite:///{tmp_path / 'portal.db'}",
           "PORTAL_STORAGE_URL": storage}  # fmt: skip
    assert portal(env, "db", "upgrade").returncode == 0
    prefix = storage.split("/", 3)[3] + "/"
    s3_endpoint.client().put_object(Bucket=s3_endpoint.bucket, Key=prefix + "ab/cd/abcd" + "0" * 60 + ".png", Body=b"x")

    backup = tmp_path / "backups" / "portal.bak"
    made = portal(env, "backup", str(backup))
    assert made.returncode == 0, made.stderr
    assert backup.is_file() and not attachments_backup_path(backup).exists()
    assert f"attachments are in {storage} and were not copied" in made.stdout and "versioning" in made.stdout

    elsewhere = {**env, "PORTAL_DATABASE_URL": f"sqlite:///{tmp_path / 'restored' / 'portal.db'}"}
    restored = portal(elsewhere, "restore", str(backup))
    assert restored.returncode == 0, restored.stderr
    assert f"attachments in {storage} were left as they are" in restored.stdout
    assert "portal attachments check" in restored.stdout
    checked = portal(elsewhere, "attachments", "check")
    assert checked.returncode == 0 and "0 file(s)" in checked.stdout
    # The object no row refers to is still there: restore touched nothing in the bucket.
    listed = s3_endpoint.client().list_objects_v2(Bucket=s3_endpoint.bucket, Prefix=prefix)
    assert len(listed["Contents"]) == 1


def test_postgres_commands_copy_no_bucket():
    url = "postgresql://alice:s3cret@db.example:5432/portal"
    dump = Path("/b/portal.dump")
    backup = postgres_commands("backup", url, dump, "s3://bucket/portal")
    assert backup[0].startswith("pg_dump") and not any(line.startswith("rsync") for line in backup)
    assert backup[-1].startswith("# attachments in s3://bucket/portal are not copied")
    restore = postgres_commands("restore", url, dump, "s3://bucket/portal")
    assert "portal attachments check" in restore[-1] and "s3cret" not in "\n".join(backup + restore)
