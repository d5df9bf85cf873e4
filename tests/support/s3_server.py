"""A throwaway S3-compatible server for the test suite: moto's standalone server.

``running_s3()`` starts ``python -m moto.server`` (from ``moto[server]``, a test dependency) on
127.0.0.1 and a free port, waits until it answers HTTP, yields its endpoint URL
(``http://127.0.0.1:PORT``) and stops it on exit, even when the body raises. The server keeps
everything in memory: nothing is left behind.

The client code under test is the real one: point it at the endpoint the way every S3 client is
configured, with ``s3_environment(endpoint)`` as environment variables (AWS_ENDPOINT_URL, fake
keys, a region). moto accepts any keys. ``running_s3_bucket()`` also creates a bucket and yields
an ``S3`` (what the ``s3_endpoint`` fixture of tests/conftest.py gives tests).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
from processes import free_port

START_TIMEOUT = 30.0
_START_ATTEMPTS = 3  # the free port can be taken between picking and binding it


def s3_environment(endpoint: str) -> dict[str, str]:
    """The variables an S3 client (boto3, aioboto3, the AWS CLI) reads to reach `endpoint`."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }


@contextmanager
def running_s3() -> Iterator[str]:
    """moto's S3 server on a free loopback port; yields its endpoint URL."""
    for attempt in range(_START_ATTEMPTS):
        port = free_port()
        # Its log (a line per request) goes to a file: a pipe nobody reads would fill and stall it.
        with tempfile.TemporaryFile() as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            endpoint = f"http://127.0.0.1:{port}"
            try:
                if _wait_until_answering(process, endpoint):
                    yield endpoint
                    return
            finally:
                _stop(process)
            if attempt == _START_ATTEMPTS - 1:
                log.seek(0)
                raise RuntimeError(f"moto's S3 server did not start: {log.read()[-2000:].decode(errors='replace')}")


def _wait_until_answering(process: subprocess.Popen, endpoint: str) -> bool:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False  # e.g. the port was taken meanwhile: try another
        try:
            httpx.get(endpoint + "/moto-api/", timeout=1)
            return True
        except httpx.TransportError:
            time.sleep(0.1)
    return False


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass(frozen=True)
class S3:
    """moto's server with one bucket, as the `s3_endpoint` fixture gives it.

    - `endpoint`: the server's URL; `bucket`: a bucket that exists.
    - `env`: the AWS_* variables that point any S3 client at it (for `portal` subprocesses:
      `{**os.environ, **s3.env, "PORTAL_STORAGE_URL": s3.url("run-1")}`).
    - `use(monkeypatch)`: sets those variables in this process (before a store's first use).
    - `url(prefix)`: `s3://bucket/prefix`, a PORTAL_STORAGE_URL; give each test its own prefix.
    - `client()`: a plain boto3 client, to look at the bucket behind the portal's back.
    """

    endpoint: str
    bucket: str

    @property
    def env(self) -> dict[str, str]:
        return s3_environment(self.endpoint)

    def use(self, monkeypatch) -> None:
        for name, value in self.env.items():
            monkeypatch.setenv(name, value)

    def url(self, prefix: str) -> str:
        return f"s3://{self.bucket}/{prefix.strip('/')}"

    def client(self):
        import boto3

        env = self.env
        return boto3.client(
            "s3", endpoint_url=self.endpoint, region_name=env["AWS_DEFAULT_REGION"],
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"], aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        )  # fmt: skip


@contextmanager
def running_s3_bucket(bucket: str = "portal-test") -> Iterator[S3]:
    """`running_s3()` with `bucket` created in it."""
    with running_s3() as endpoint:
        s3 = S3(endpoint, bucket)
        s3.client().create_bucket(Bucket=bucket)
        yield s3
