"""A throwaway Redis server for the test suite (standard library only).

    from redis_server import running_redis

    with running_redis() as redis:   # a RedisServer, answering PING
        redis.url                    # "redis://127.0.0.1:PORT/0"
        redis.stop()                 # nothing listens on PORT any more
        redis.start()                # a fresh, empty Redis on the same PORT again

``running_redis()`` starts Debian's ``redis-server`` on 127.0.0.1 and a free port, in a fresh
temporary folder, without persistence (``--save '' --appendonly no``), and waits until it answers
PING. On exit the server is stopped (even when the body raises) and the folder removed. The
session fixture ``redis_url`` (tests/conftest.py) is one such server for the whole run; a test
that stops Redis should start its own with ``running_redis()``.

When ``redis-server`` is missing and we run as root on a machine with ``apt-get``, Debian's
``redis-server`` package is installed; otherwise a ``RuntimeError`` says how to install it.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HOST = "127.0.0.1"
_START_ATTEMPTS = 3
_START_TIMEOUT_S = 20
_STOP_TIMEOUT_S = 10

INSTALL_HINT = (
    "redis-server was not found on PATH. Install it, e.g. on Debian/Ubuntu:\n"
    "    sudo apt-get update && sudo apt-get install -y --no-install-recommends redis-server"
)


def _log(message: str) -> None:
    print(f"[redis_server] {message}", file=sys.stderr, flush=True)


def ensure_redis_server() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        for command in (["apt-get", "update"], ["apt-get", "install", "-y", "--no-install-recommends", "redis-server"]):
            _log("redis-server is missing; running: " + " ".join(command))
            if subprocess.run(command, check=False, env=env, stdin=subprocess.DEVNULL).returncode != 0:
                raise RuntimeError(f"{' '.join(command)} failed.\n{INSTALL_HINT}")
        found = shutil.which("redis-server")
        if found:
            return found
    raise RuntimeError(INSTALL_HINT)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def answers_ping(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=1) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """One redis-server process on a fixed port; `stop()` and `start()` it as often as needed."""

    def __init__(self, binary: str, folder: Path, port: int) -> None:
        self.binary = binary
        self.folder = folder
        self.port = port
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def start(self) -> None:
        if self.process is not None:
            return
        command = [
            self.binary, "--bind", HOST, "--port", str(self.port), "--dir", str(self.folder),
            "--save", "", "--appendonly", "no", "--logfile", str(self.folder / "redis.log"),
        ]
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not answers_ping(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"redis-server did not start on port {self.port}:\n{self._log_tail()}")
            time.sleep(0.05)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def _log_tail(self) -> str:
        log = self.folder / "redis.log"
        return "\n".join(log.read_text(errors="replace").splitlines()[-20:]) if log.exists() else "(no log)"


@contextmanager
def running_redis() -> Iterator[RedisServer]:
    binary = ensure_redis_server()
    folder = Path(tempfile.mkdtemp(prefix="portal-redis-"))
    server = RedisServer(binary, folder, free_port())
    atexit.register(server.stop)  # also when the run is interrupted
    try:
        for attempt in range(_START_ATTEMPTS):
            try:
                server.start()
                break
            except RuntimeError:
                # The free port can be taken between picking and binding it.
                if attempt == _START_ATTEMPTS - 1:
                    raise
                server.port = free_port()
        yield server
    finally:
        server.stop()
        atexit.unregister(server.stop)
        shutil.rmtree(folder, ignore_errors=True)
