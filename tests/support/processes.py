"""Real `portal` processes for tests: start them, wait until they serve, kill them like a crash.

`Children` holds the processes of one test (whatever still runs at its end is killed; every wait
is bounded); `portal(env, ...)` runs one command to its end.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

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
        port = free_port()
        process, log = self.spawn(
            [PORTAL, "serve", "--port", str(port), *options], env, f"serve-{len(self.processes)}.log"
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    return process, base
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the server did not start:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.1)

    @staticmethod
    def kill(process: subprocess.Popen) -> None:
        """SIGKILL: no handler runs, no cleanup, exactly like a crash or the OOM killer."""
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        assert process.returncode == -signal.SIGKILL

    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
