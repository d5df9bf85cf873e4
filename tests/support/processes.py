"""Real `portal` processes for tests: start them, wait until they serve, kill them like a crash.

`Children` holds the processes of one test (whatever still runs at its end is killed; every wait
is bounded); `portal(env, ...)` runs one command to its end.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx

PORTAL = str(Path(sys.executable).parent / "portal")
START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def portal(env: dict, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([PORTAL, *args], env=env, capture_output=True, text=True, timeout=timeout)


class Children:
    """Child processes of one test; whatever still runs at the end is killed."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.processes: list[subprocess.Popen] = []

    def spawn(self, args: list[str], env: dict, log_name: str) -> tuple[subprocess.Popen, Path]:
        log = self.folder / log_name
        with open(log, "wb") as out:
            process = subprocess.Popen(args, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process, log

    def serve(self, env: dict, *options: str) -> tuple[subprocess.Popen, str]:
        """`portal serve` on a free port; returns once its /healthz answers."""
        [server] = self.serve_several(1, env, *options)
        return server

    def serve_several(self, count: int, env: dict, *options: str) -> list[tuple[subprocess.Popen, str]]:
        """`count` servers like `serve`, started at once (each spends seconds starting up);
        returns once every one answers."""
        started = []
        for _ in range(count):
            port = free_port()
            process, log = self.spawn(
                [PORTAL, "serve", "--port", str(port), *options], env, f"serve-{len(self.processes)}.log"
            )
            started.append((process, log, f"http://127.0.0.1:{port}"))
        deadline = time.monotonic() + START_TIMEOUT
        for process, log, base in started:
            while True:
                try:
                    if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"the server did not start:\n{log.read_text(errors='replace')[-3000:]}")
                time.sleep(0.1)
        return [(process, base) for process, _log, base in started]

    @staticmethod
    def kill(process: subprocess.Popen) -> None:
        """SIGKILL: no handler runs, no cleanup, exactly like a crash or the OOM killer."""
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        assert process.returncode == -signal.SIGKILL

    def close(self) -> None:
        # SIGTERM first: `serve --workers N` stops its workers then; SIGKILL would orphan them.
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


SUBMIT = """mutation($input: SubmitResponseInput!) { submitResponse(input: $input) {
  id state attachments { url contentType size } } }"""


def slow_upload_until_killed(base: str, token: str, server: subprocess.Popen, assessment: str, size: int = 4_000_000) -> int:
    """Send a multipart upload (a response to `assessment` with one file of `size` bytes) slowly
    over a raw socket, kill the server when about half of it is through, and return how many
    bytes were sent."""
    boundary = "killed" + os.urandom(8).hex()
    variables = {"input": {"assessmentId": assessment, "text": "slow", "attachments": [None]}}
    fields = {"operations": json.dumps({"query": SUBMIT, "variables": variables}),
              "map": json.dumps({"0": ["variables.input.attachments.0"]})}  # fmt: skip
    head = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    )
    head += f'--{boundary}\r\nContent-Disposition: form-data; name="0"; filename="big.png"\r\nContent-Type: image/png\r\n\r\n'.encode()
    body = head + b"\x89PNG\r\n\x1a\n" + os.urandom(size) + f"\r\n--{boundary}--\r\n".encode()
    host, port = urlsplit(base).hostname, urlsplit(base).port
    request = (
        f"POST /graphql HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    sent = 0
    with socket.create_connection((host, port), timeout=10) as connection:
        connection.sendall(request)
        chunk = 64 * 1024
        while sent < len(body) // 2:
            connection.sendall(body[sent : sent + chunk])
            sent += chunk
            time.sleep(0.01)
        connection.setblocking(False)
        try:
            answer = connection.recv(1024)  # b"" would mean the server closed the connection
        except BlockingIOError:
            answer = None
        assert answer is None, f"the server answered before the body was complete: {answer!r}"
        assert server.poll() is None
        Children.kill(server)
    return sent
