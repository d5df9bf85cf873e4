"""Several servers, one service: two `portal serve` processes on different ports over one
PostgreSQL, one Redis and one S3-compatible store (moto's server), as README's "Running several
servers" lays them out. Each test gets its own database, Redis and bucket prefix, and its own two
servers; every child process is killed at the end (tests/support/processes.py)."""

from __future__ import annotations

import io
import json
import os
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
import pytest
from exports import base_document, factory_with_history, merge
from PIL import Image
from prometheus_client.parser import text_string_to_metric_families
from processes import Children, slow_upload_until_killed
from redis_server import RedisServer, running_redis
from sqlalchemy import text
from sqlalchemy.engine import make_url

from transparency_portal.domain.moderation import Role
from transparency_portal.storage.db import make_engine, make_sessions
from transparency_portal.storage.migrate import upgrade
from transparency_portal.workflows.import_document import import_document
from transparency_portal.workflows.users import add_user

pytestmark = pytest.mark.deploy

ASSESSMENT = "QXNzZXNzbWVudDpLSC1BLUEy"  # Assessment:KH-A-A2
FACTORY = "RmFjdG9yeTpLSC1B"  # Factory:KH-A
SUBMIT = """mutation($input: SubmitResponseInput!) { submitResponse(input: $input) {
  id state version attachments { url contentType size } } }"""
APPROVE = "mutation($id: ID!, $version: Int!) { approveResponse(id: $id, version: $version) { state } }"
PUBLIC = """query($id: ID!) { factory(id: $id) { latestAssessment { responses { id text attachments { url } } } } }"""
LIST = "{ factories(first: 5) { totalCount edges { node { id name } } } }"


@dataclass
class Deployment:
    first: str  # base URLs of the two servers
    second: str
    env: dict
    database_url: str
    redis: RedisServer
    s3: object  # s3_server.S3
    prefix: str
    supplier: str
    moderator: str
    children: Children


async def fresh_database(server_url: str, name: str) -> str:
    """A new, empty database on the test run's PostgreSQL server; its URL."""
    admin = make_engine(server_url)
    try:
        async with admin.connect() as connection:
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await admin.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture
async def deployment(postgres_url, s3_endpoint, tmp_path, request):
    database_url = await fresh_database(postgres_url, "portal_deploy")
    engine = make_engine(database_url)
    try:
        await upgrade(engine)
        sessions = make_sessions(engine)
        await import_document(
            sessions, merge(base_document(), factory_with_history("KH-A", "Alpha Garments (test)")), actor="test"
        )
        supplier = (await add_user(sessions, name="Alpha Supplier", role=Role.SUPPLIER, factory_source_id="KH-A")).token
        moderator = (await add_user(sessions, name="Moderator One", role=Role.MODERATOR)).token
    finally:
        await engine.dispose()
    limit = getattr(request, "param", 1000)
    prefix = f"deploy-{uuid.uuid4().hex[:12]}"
    children = Children(tmp_path)
    try:
        with running_redis() as redis:
            env = {
                **os.environ, **s3_endpoint.env,
                "PORTAL_DATABASE_URL": database_url,
                "PORTAL_REDIS_URL": redis.url,
                "PORTAL_STORAGE_URL": s3_endpoint.url(prefix),
                "PORTAL_RATE_LIMIT": str(limit),
                "TMPDIR": str(tmp_path),
            }  # fmt: skip
            (_, first), (_, second) = children.serve_several(2, env)
            yield Deployment(first, second, env, database_url, redis, s3_endpoint, prefix, supplier, moderator, children)
    finally:
        children.close()


def photo_with_gps() -> bytes:
    image = Image.effect_noise((64, 48), 50).convert("RGB")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (11.0, 33.0, 0.0), 3: "E", 4: (104.0, 55.0, 0.0)}  # GPS
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def has_metadata(jpeg: bytes) -> bool:
    with Image.open(io.BytesIO(jpeg)) as image:
        return bool(image.getexif()) or "exif" in image.info


def graphql(base: str, query: str, variables: dict | None = None, token: str | None = None) -> dict:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    response = httpx.post(f"{base}/graphql", json={"query": query, "variables": variables or {}}, headers=headers, timeout=30)
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, body
    return body["data"]


def submit_photo(base: str, token: str, photo: bytes, text: str = "The fire exit is unlocked now.") -> dict:
    variables = {"input": {"assessmentId": ASSESSMENT, "text": text, "attachments": [None]}}
    response = httpx.post(
        f"{base}/graphql",
        data={"operations": json.dumps({"query": SUBMIT, "variables": variables}),
              "map": json.dumps({"0": ["variables.input.attachments.0"]})},
        files={"0": ("door.jpg", photo, "image/jpeg")},
        headers={"authorization": f"Bearer {token}"},
        timeout=30,
    )  # fmt: skip
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, body
    return body["data"]["submitResponse"]


def bucket_objects(deployment: Deployment) -> dict[str, bytes]:
    """Every object under the deployment's prefix, by key, read behind the portal's back."""
    client = deployment.s3.client()
    listed = client.list_objects_v2(Bucket=deployment.s3.bucket, Prefix=deployment.prefix + "/")
    return {
        item["Key"]: client.get_object(Bucket=deployment.s3.bucket, Key=item["Key"])["Body"].read()
        for item in listed.get("Contents", [])
    }


def uploads_stored(base: str) -> float:
    families = text_string_to_metric_families(httpx.get(f"{base}/metrics", timeout=30).text)
    return sum(
        sample.value for family in families if family.name == "portal_uploads" for sample in family.samples
        if sample.name == "portal_uploads_total" and sample.labels.get("outcome") == "stored"
    )  # fmt: skip


async def attachment_hashes(database_url: str) -> list[str]:
    engine = make_engine(database_url)
    try:
        async with engine.connect() as connection:
            return list((await connection.execute(text("SELECT sha256 FROM attachment"))).scalars())
    finally:
        await engine.dispose()


async def test_an_upload_through_one_server_is_served_clean_by_the_other_and_a_decision_shows_at_once(deployment):
    one, other = deployment.first, deployment.second
    # The other server has answered the public query before the decision: what it cached must
    # not outlive the decision taken on the first.
    assert graphql(other, PUBLIC, {"id": FACTORY})["factory"]["latestAssessment"]["responses"] == []

    response = submit_photo(one, deployment.supplier, photo_with_gps())
    [attachment] = response["attachments"]
    assert uploads_stored(one) == 1 and uploads_stored(other) == 0  # each server counts what it took
    path = urlsplit(attachment["url"]).path

    # Not public yet: the other server refuses the public, serves the author, without metadata.
    assert httpx.get(other + path, timeout=30).status_code == 404
    served = httpx.get(other + path, headers={"authorization": f"Bearer {deployment.supplier}"}, timeout=30)
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert not has_metadata(served.content)
    # What the store holds is the cleaned file, once, named by its content.
    objects = bucket_objects(deployment)
    assert list(objects.values()) == [served.content]

    assert graphql(one, APPROVE, {"id": response["id"], "version": response["version"]}, deployment.moderator) == {
        "approveResponse": {"state": "APPROVED"}
    }
    # The other server's very next public answer has the decision.
    [public] = graphql(other, PUBLIC, {"id": FACTORY})["factory"]["latestAssessment"]["responses"]
    assert public["id"] == response["id"] and public["text"] == "The fire exit is unlocked now."
    anonymous = httpx.get(other + urlsplit(public["attachments"][0]["url"]).path, timeout=30)
    assert anonymous.status_code == 200 and anonymous.content == served.content


@pytest.mark.parametrize("deployment", [12], indirect=True)
async def test_one_budget_across_both_servers_and_reads_go_on_without_redis(deployment):
    one, other = deployment.first, deployment.second
    statuses = [httpx.post(f"{base}/graphql", json={"query": LIST}, timeout=30).status_code for base in [one, other] * 10]
    # Twelve requests a minute for this address, counted once across both servers.
    assert statuses[:12] == [200] * 12 and statuses[12:] == [429] * 8, statuses
    refused = httpx.post(f"{other}/graphql", json={"query": LIST}, timeout=30)
    assert refused.status_code == 429 and refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"

    deployment.redis.stop()
    # Redis gone: the limit fails open, public reads are answered by both servers.
    for base in [one, other] * 3:
        answer = httpx.post(f"{base}/graphql", json={"query": LIST}, timeout=30)
        assert answer.status_code == 200 and answer.json()["data"]["factories"]["totalCount"] == 1
    deployment.redis.start()


async def test_a_server_killed_during_an_upload_leaves_no_row_without_its_object(deployment, tmp_path):
    server = deployment.children.processes[0]
    sent = slow_upload_until_killed(deployment.first, deployment.supplier, server, ASSESSMENT)
    assert sent > 1_000_000
    # The other server goes on; the interrupted upload left no row.
    assert await attachment_hashes(deployment.database_url) == []
    photo = photo_with_gps()
    submit_photo(deployment.second, deployment.supplier, photo, "Committed just before.")
    submit_photo(deployment.second, deployment.supplier, photo, "Same photo, again.")
    hashes = await attachment_hashes(deployment.database_url)
    objects = bucket_objects(deployment)
    assert len(hashes) == 2 and len(set(hashes)) == 1
    # Every row has its object in the store (and the store holds nothing of the killed upload).
    assert [key.rsplit("/", 1)[1].split(".")[0] for key in objects] == [hashes[0]]
