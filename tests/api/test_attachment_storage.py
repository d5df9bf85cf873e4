"""Attachments on either store, through real HTTP: a folder (`file://`) and an S3 bucket (moto's
server, reached by the real aioboto3 client through AWS_ENDPOINT_URL): the photo's way from upload
through moderation to the public, simultaneous uploads of the same bytes, the sweep of objects no
row refers to, and a store that does not answer."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import io
import os
import re
import time
import uuid
from datetime import UTC, datetime

import pytest
from ids import gid
from PIL import Image
from processes import free_port, portal
from sqlalchemy import func, select
from transparency_portal.storage.objects import object_key, open_store
from transparency_portal.storage.tables.supplier_responses import (
    AttachmentRow,
    ResponseRow,
)
from transparency_portal.workflows.attachments.sweep import (
    missing_objects,
    sweep_unreferenced,
)

SUBMIT = """mutation($input: SubmitResponseInput!) { submitResponse(input: $input) {
  id attachments { url contentType size } } }"""
APPROVE = "mutation($id: ID!, $version: Int!) { approveResponse(id: $id, version: $version) { state } }"
A2, B2 = gid("Assessment", "KH-A-A2"), gid("Assessment", "KH-B-A2")


def photo_with_metadata(colour=(200, 30, 30)) -> bytes:
    image = Image.new("RGB", (64, 32), colour)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (11.0, 33.0, 15.0), 3: "E", 4: (104.0, 55.0, 2.0)}
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif, comment=b"taken by Jane at home")
    return buffer.getvalue()


def metadata_free(content: bytes) -> bool:
    image = Image.open(io.BytesIO(content))
    return not image.getexif() and "comment" not in image.info and b"Jane" not in content and b"PhoneMaker" not in content


@pytest.fixture(params=["file", "s3"])
def backend(request) -> str:
    return request.param


@pytest.fixture
def settings(settings, backend, request, monkeypatch):
    """The suite's settings, with attachments in a folder or under a prefix of its own in the bucket."""
    if backend == "file":
        return settings
    s3 = request.getfixturevalue("s3_endpoint")
    s3.use(monkeypatch)
    return dataclasses.replace(settings, storage_url=s3.url(f"t-{uuid.uuid4().hex[:12]}/files"))


def stored(settings, request) -> dict[str, bytes]:
    """What the store holds, read behind the portal's back: key (under the folder or prefix) -> bytes."""
    if not settings.storage_url:
        root = settings.attachments_dir
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()} if root.exists() else {}
    s3 = request.getfixturevalue("s3_endpoint")
    prefix = settings.storage_url.split("/", 3)[3] + "/"
    client = s3.client()
    listed = client.list_objects_v2(Bucket=s3.bucket, Prefix=prefix).get("Contents", [])
    return {o["Key"][len(prefix) :]: client.get_object(Bucket=s3.bucket, Key=o["Key"])["Body"].read() for o in listed}


async def upload(api, token, content: bytes, assessment=A2, name="exit.jpg"):
    variables = {"input": {"assessmentId": assessment, "text": "The exit, now clear."}}
    return await api.upload(SUBMIT, variables, [(name, content, "image/jpeg")], token)


def path_of(attachment: dict) -> str:
    return "/attachments/" + attachment["url"].rsplit("/attachments/", 1)[1]


async def rows(sessions) -> tuple[int, int]:
    async with sessions() as session:
        return tuple(
            [(await session.exec(select(func.count()).select_from(table))).scalar_one() for table in (ResponseRow, AttachmentRow)]
        )


async def test_a_photo_is_stored_clean_and_served_after_moderation(api, people, settings, backend, request):
    original = photo_with_metadata()
    uploaded = await upload(api, people.alpha, original)
    response = uploaded.json()["data"]["submitResponse"]
    (attachment,) = response["attachments"]
    path = path_of(attachment)

    # In the store: one object, named by the hash of its bytes, with no metadata left.
    ((key, content),) = stored(settings, request).items()
    digest = hashlib.sha256(content).hexdigest()
    assert key == f"{digest[:2]}/{digest[2:4]}/{digest}.jpg"
    assert metadata_free(content)

    assert (await api.client.get(path)).status_code == 404  # not public before approval
    private = await api.client.get(path, headers={"authorization": f"Bearer {people.mod1}"})
    assert private.status_code == 200 and private.content == content
    assert private.headers["cache-control"] == "private, no-store"

    await api.query(APPROVE, {"id": response["id"], "version": 1}, people.mod1)
    public = await api.client.get(path)
    assert public.status_code == 200 and public.content == content and metadata_free(public.content)
    assert public.headers["content-type"] == "image/jpeg"
    assert public.headers["cache-control"] == "public, no-cache"
    again = await api.client.get(path, headers={"if-none-match": public.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


async def test_simultaneous_uploads_of_the_same_bytes_both_succeed(api, people, settings, sessions, request):
    same = photo_with_metadata((10, 120, 200))
    # Two factories' suppliers, so that nothing in the database orders the two requests.
    answers = await asyncio.gather(*(upload(api, token, same, assessment) for token, assessment in
                                     ((people.alpha, A2), (people.beta, B2), (people.alpha2, A2))))
    bodies = [answer.json() for answer in answers]
    assert all("errors" not in body for body in bodies), bodies
    attachments = [body["data"]["submitResponse"]["attachments"][0] for body in bodies]
    assert await rows(sessions) == (3, 3)

    # One object, and every row is served from it.
    ((_key, content),) = stored(settings, request).items()
    for attachment in attachments:
        served = await api.client.get(path_of(attachment), headers={"authorization": f"Bearer {people.mod1}"})
        assert served.status_code == 200 and served.content == content


async def test_the_sweep_removes_old_objects_no_row_refers_to(api, people, settings, sessions, request):
    kept = (await upload(api, people.alpha, photo_with_metadata((1, 2, 3)))).json()["data"]["submitResponse"]
    store = open_store(settings.attachments_url)
    try:
        # What a failed or killed upload leaves: objects without rows.
        old_orphan, young_orphan = object_key("a" * 64, ".png"), object_key("b" * 64, ".pdf")
        await store.put(old_orphan, b"old orphan")
        # A cutoff after everything so far (S3 keeps times to the second: wait for the next one).
        await asyncio.sleep(1.05 - time.time() % 1)
        before = datetime.now(UTC).replace(microsecond=0)
        await store.put(young_orphan, b"young orphan")

        assert await sweep_unreferenced(sessions, store, before=before) == [old_orphan]
        left = stored(settings, request)
        assert old_orphan not in left and young_orphan in left and len(left) == 2
        served = await api.client.get(path_of(kept["attachments"][0]), headers={"authorization": f"Bearer {people.mod1}"})
        assert served.status_code == 200
        assert await missing_objects(sessions, store) == []
    finally:
        await store.close()


async def test_a_store_that_does_not_answer_refuses_uploads_and_writes_no_row(api, people, sessions, settings, backend, monkeypatch):
    if backend == "file":
        pytest.skip("a folder always answers; a full or read-only disk is an unexpected INTERNAL error")
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")  # nothing listens there
    before = await rows(sessions)
    (error,) = (await upload(api, people.alpha, photo_with_metadata())).json()["errors"]
    assert error["extensions"]["code"] == "UNAVAILABLE" and error["extensions"]["reason"] == "storage_unavailable"
    assert "attachment store cannot be reached" in error["message"] and "nothing was saved" in error["message"]
    assert await rows(sessions) == before


def test_sweep_and_check_from_the_command_line(tmp_path, request):
    """`portal attachments sweep` on the folder: the default leaves what is younger than an hour."""
    import sqlite3

    database = tmp_path / "portal.db"
    env = {**os.environ, "PORTAL_DATABASE_URL": f"sqlite:///{database}", "PORTAL_STORAGE_DIR": str(tmp_path / "files")}
    assert portal(env, "db", "upgrade").returncode == 0
    folder = tmp_path / "files"
    old, young = object_key("c" * 64, ".jpg"), object_key("d" * 64, ".webp")
    for key in (old, young):
        (folder / key).parent.mkdir(parents=True, exist_ok=True)
        (folder / key).write_bytes(b"x")
    two_hours_ago = time.time() - 7200
    os.utime(folder / old, (two_hours_ago, two_hours_ago))

    swept = portal(env, "attachments", "sweep")
    assert swept.returncode == 0, swept.stderr
    assert f"removed {old}" in swept.stdout and young not in swept.stdout
    assert "1 file(s) no attachment refers to removed" in swept.stdout
    assert not (folder / old).exists() and (folder / young).exists()
    assert "0 file(s)" in portal(env, "attachments", "sweep", "--older-than-minutes", "60").stdout

    # A row whose file is gone (e.g. a database restored without its files): `check` names it.
    connection = sqlite3.connect(database)
    connection.execute("PRAGMA foreign_keys=OFF")
    connection.execute(
        "INSERT INTO attachment (public_id, response_pk, position, sha256, extension, content_type, size, original_name)"
        " VALUES ('x', 1, 0, ?, '.png', 'image/png', 1, 'a.png')", ("e" * 64,)
    )
    connection.commit()
    connection.close()
    checked = portal(env, "attachments", "check")
    assert checked.returncode == 1 and re.search(rf"missing {object_key('e' * 64, '.png')}", checked.stdout)
