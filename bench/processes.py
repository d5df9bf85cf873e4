"""The benchmark's processes (see run.py's docstring for the method): the project's server and
the ceiling spawned and stopped, their environment, waiting until they answer, the `portal`
command, the throwaway PostgreSQL of tests/support; and the progress lines on stderr."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PORTAL = [sys.executable, "-m", "transparency_portal.cli"]
CEILING = [sys.executable, str(BENCH / "ceiling.py")]

STARTED = time.monotonic()


def say(message: str) -> None:
    print(f"[bench {time.monotonic() - STARTED:7.1f}s] {message}", file=sys.stderr, flush=True)


_children: list[subprocess.Popen] = []


def spawn(command: list[str], *, env: dict[str, str], log: Path) -> subprocess.Popen:
    with open(log, "ab") as out:
        process = subprocess.Popen(
            command, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
            start_new_session=True,
        )
    _children.append(process)
    return process


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)  # uvicorn's graceful stop; nothing to wait for
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
    if process in _children:
        _children.remove(process)


def stop_all_children() -> None:
    for process in list(_children):
        with contextlib.suppress(Exception):
            stop(process)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def wait_ready(process: subprocess.Popen, url: str, log: Path, what: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"bench: {what} exited with code {process.returncode} before it was ready:\n{tail(log)}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    raise SystemExit(f"bench: {what} did not answer {url} within {timeout:.0f} s:\n{tail(log)}")


def portal_env(database_url: str, storage_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(
        PORTAL_DATABASE_URL=database_url,
        PORTAL_STORAGE_DIR=str(storage_dir),
        PORTAL_RATE_LIMIT="0",
        PORTAL_RATE_LIMIT_POINTS="0",  # the benchmark measures the server, not a client's budget
        PORTAL_RESPONSES_PER_DAY="0",  # the upload case writes a response per request
        PORTAL_ACTOR="bench",
        PYTHONUNBUFFERED="1",
    )
    return env


def run_portal(args: list[str], env: dict[str, str], log: Path, timeout: float = 3600) -> str:
    result = subprocess.run(
        [*PORTAL, *args], env=env, cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout
    )
    with open(log, "a") as out:
        out.write(f"$ portal {' '.join(args)}\n{result.stdout}{result.stderr}\n")
    if result.returncode != 0:
        raise SystemExit(f"bench: `portal {' '.join(args)}` failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return result.stdout


def load_postgres_server_module():
    spec = importlib.util.spec_from_file_location("bench_postgres_server", ROOT / "tests" / "support" / "postgres_server.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module
